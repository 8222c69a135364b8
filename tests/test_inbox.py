"""The durable update queue stores each update's JSON as Telegram sent it (kept by the
getUpdates request), and serialises only updates that came another way."""

from __future__ import annotations

import json
from typing import Any

import pytest
from telegram import Bot, Update
from telegram._utils.defaultvalue import DEFAULT_NONE
from telegram._utils.types import ODVInput
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


def test_the_recorder_forgets_the_oldest_beyond_its_bound(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(inbox, "RECORDED_MAX", 3)
    recorder = UpdateRecorder(Canned([]))
    recorder.record([_message_update(i, "x") for i in range(1, 6)])
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
    recorder.record([received])
    await queue.put(Update.de_json(received, bot))
    assert json.loads(stored[10]) == received  # as sent, unknown field included

    other = Update.de_json(_message_update(11, "webhook"), bot)  # never went through getUpdates
    await queue.put(other)
    assert json.loads(stored[11])["message"]["text"] == "webhook"
    assert queue.qsize() == 2
