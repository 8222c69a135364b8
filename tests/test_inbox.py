"""The durable update queue stores each update's JSON as Telegram sent it (kept by the
getUpdates request), and serialises only updates that came another way."""

from __future__ import annotations

import json
from typing import Any

import pytest
from telegram import Bot, Update
from telegram._utils.defaultvalue import DEFAULT_NONE
from telegram._utils.types import ODVInput
from telegram.error import NetworkError
from telegram.request import BaseRequest, RequestData

import bot.tg.inbox as inbox
from bot.tg.inbox import DurableUpdateQueue, UpdateRecorder

API = "https://api.example.invalid/bot1:x"


def _message_update(update_id: int, text: str) -> dict[str, Any]:
    return {
        "update_id": update_id,
        "message": {
            "message_id": update_id,
            "date": 1_700_000_000,
            "chat": {"id": 7, "type": "private", "first_name": "Lan"},
            "from": {"id": 7, "is_bot": False, "first_name": "Lan"},
            "text": text,
            "some_future_field": {"kept": True},  # unknown to the framework
        },
    }


class Canned(BaseRequest):
    """Answers every call with ``result``."""

    def __init__(self, result: Any, code: int = 200) -> None:
        self.result = result
        self.code = code

    @property
    def read_timeout(self) -> float | None:
        return None

    async def initialize(self) -> None:
        return None

    async def shutdown(self) -> None:
        return None

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: ODVInput[float] = DEFAULT_NONE,
        write_timeout: ODVInput[float] = DEFAULT_NONE,
        connect_timeout: ODVInput[float] = DEFAULT_NONE,
        pool_timeout: ODVInput[float] = DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        body = {"ok": self.code == 200, "result": self.result}
        if self.code != 200:
            body = {"ok": False, "error_code": self.code, "description": "Bad Gateway"}
        return self.code, json.dumps(body).encode()


async def test_get_updates_keeps_each_update_as_received() -> None:
    sent = [_message_update(1, "chào"), _message_update(2, "/help")]
    recorder = UpdateRecorder(Canned(sent))
    result = await recorder.post(f"{API}/getUpdates")
    assert result == sent  # the framework gets the same answer
    assert json.loads(recorder.take(2) or "") == sent[1]
    assert recorder.take(2) is None  # once
    assert json.loads(recorder.take(1) or "") == sent[0]


async def test_other_answers_are_not_kept() -> None:
    recorder = UpdateRecorder(Canned([_message_update(3, "x")]))
    await recorder.post(f"{API}/getMe")
    assert recorder.take(3) is None
    failing = UpdateRecorder(Canned(None, code=502))
    with pytest.raises(Exception, match="Bad Gateway"):
        await failing.post(f"{API}/getUpdates")


async def test_the_recorder_forgets_the_oldest_beyond_its_bound(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(inbox, "RECORDED_MAX", 3)
    recorder = UpdateRecorder(Canned([]))
    await recorder.received([_message_update(i, "x") for i in range(1, 6)])
    assert [recorder.take(i) is not None for i in range(1, 6)] == [False, False, True, True, True]


async def test_the_queue_stores_the_received_json_else_serialises() -> None:
    bot = Bot("1:x")
    recorder = UpdateRecorder(Canned([]))
    queue = DurableUpdateQueue(recorder)
    stored: dict[int, str] = {}

    async def store(update: Update, data: str) -> None:
        stored[update.update_id] = data

    queue.store = store
    received = _message_update(10, "chào")
    await recorder.received([received])
    await queue.put(Update.de_json(received, bot))
    assert json.loads(stored[10]) == received  # as sent, unknown field included

    other = Update.de_json(_message_update(11, "webhook"), bot)  # never went through getUpdates
    await queue.put(other)
    assert json.loads(stored[11])["message"]["text"] == "webhook"
    assert queue.qsize() == 2


async def test_each_get_updates_answer_is_stored_in_one_write_before_it_is_handed_over() -> None:
    sent = [_message_update(i, f"tin {i}") for i in (20, 21, 22)]
    recorder = UpdateRecorder(Canned(sent))
    batches: list[list[tuple[int, str]]] = []

    async def store_batch(items: list[tuple[int, str]]) -> None:
        batches.append(items)

    recorder.store = store_batch
    result = await recorder.post(f"{API}/getUpdates")
    assert result == sent
    assert len(batches) == 1  # one write for the whole answer, done when the answer returns
    assert [(i, json.loads(data)) for i, data in batches[0]] == [(u["update_id"], u) for u in sent]

    queue = DurableUpdateQueue(recorder)
    singles: list[int] = []

    async def store(update: Update, data: str) -> None:
        singles.append(update.update_id)

    queue.store = store
    bot = Bot("1:x")
    for item in sent:
        await queue.put(Update.de_json(item, bot))
    assert singles == []  # stored already
    await queue.put(Update.de_json(sent[0], bot))  # the same update again, another way
    assert singles == [20]
    assert queue.qsize() == 4


async def test_a_failed_write_fails_get_updates_so_nothing_is_confirmed() -> None:
    recorder = UpdateRecorder(Canned([_message_update(30, "x")]))

    async def broken(items: list[tuple[int, str]]) -> None:
        raise OSError("disk full")

    recorder.store = broken
    with pytest.raises(NetworkError, match="disk full"):  # the framework retries
        await recorder.post(f"{API}/getUpdates")
    assert not recorder.was_stored(30)


async def test_an_empty_answer_writes_nothing() -> None:
    recorder = UpdateRecorder(Canned([]))
    calls: list[object] = []

    async def store_batch(items: list[tuple[int, str]]) -> None:
        calls.append(items)

    recorder.store = store_batch
    assert await recorder.post(f"{API}/getUpdates") == []
    assert calls == []
