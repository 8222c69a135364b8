"""A durable update queue: every update is written to the database as it arrives.

python-telegram-bot confirms a batch of polled updates to Telegram (the next ``getUpdates``
offset) as soon as it has queued them, and the webhook server answers 200 once the update is
queued: either way Telegram will not deliver it again. So every update is stored (table
``inbox``) before it is queued, the processing of an update deletes it in the transaction that
records it as processed, and what a ``kill -9`` left in between is processed at the next start
(:meth:`DurableUpdateQueue.replay`).

Polling: :class:`UpdateRecorder` (the ``getUpdates`` request) stores the whole answer of each
``getUpdates``, in one transaction, before the framework even parses it: one write per batch
(up to 100 updates) instead of one per update, and the JSON stored is the update as Telegram
sent it (serialising the parsed ``Update`` again cost more CPU than the rest of storing it). If
that write fails, the request fails: the framework retries ``getUpdates`` without confirming
anything. Webhook: :meth:`DurableUpdateQueue.put` stores each update (serialised) before
queuing it.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from http import HTTPStatus
from typing import Any

from telegram import Update
from telegram._utils.defaultvalue import DEFAULT_NONE
from telegram._utils.types import ODVInput
from telegram.request import BaseRequest, RequestData

log = logging.getLogger(__name__)

Store = Callable[[Update, str], Awaitable[None]]
StoreBatch = Callable[[list[tuple[int, str]]], Awaitable[None]]

# Updates received but not queued yet (a batch of getUpdates is at most 100): beyond this the
# oldest are forgotten (and serialised again if they ever reach the queue).
RECORDED_MAX = 1000


class UpdateRecorder(BaseRequest):
    """The ``getUpdates`` request (wrapping the real one, used for nothing else): stores each
    answer's updates with :attr:`store` (one call per answer) before handing the answer over;
    without a store, keeps their JSON until the queue stores them one by one (:meth:`take`)."""

    def __init__(self, inner: BaseRequest) -> None:
        self.inner = inner
        self.store: StoreBatch | None = None  # set in post_init (the database is open then)
        self._recorded: OrderedDict[int, str] = OrderedDict()
        self._stored: OrderedDict[int, None] = OrderedDict()  # stored, not yet queued

    @property
    def read_timeout(self) -> float | None:
        return self.inner.read_timeout

    async def initialize(self) -> None:
        await self.inner.initialize()

    async def shutdown(self) -> None:
        await self.inner.shutdown()

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
        code, payload = await self.inner.do_request(
            url,
            method,
            request_data,
            read_timeout=read_timeout,
            write_timeout=write_timeout,
            connect_timeout=connect_timeout,
            pool_timeout=pool_timeout,
        )
        if code == HTTPStatus.OK and url.endswith("/getUpdates"):
            try:
                result = json.loads(payload).get("result")
            except (ValueError, AttributeError):
                result = None  # the framework reports a bad answer itself
            if isinstance(result, list):
                await self.received(result)
        return code, payload

    async def received(self, updates: list[Any]) -> None:
        """The updates of one ``getUpdates`` answer (dicts as Telegram sent them): stored at
        once when there is a store, else kept for :meth:`take`."""
        items = [
            (item["update_id"], json.dumps(item, ensure_ascii=False))
            for item in updates
            if isinstance(item, dict) and isinstance(item.get("update_id"), int)
        ]
        if self.store is None:
            self._keep(items)
            return
        if items:
            await self.store(items)
        for update_id, _ in items:
            self._stored[update_id] = None
        while len(self._stored) > RECORDED_MAX:
            self._stored.popitem(last=False)

    def _keep(self, items: list[tuple[int, str]]) -> None:
        for update_id, data in items:
            self._recorded[update_id] = data
        while len(self._recorded) > RECORDED_MAX:
            self._recorded.popitem(last=False)

    def take(self, update_id: int) -> str | None:
        """The JSON of that update as received (once), or ``None``."""
        return self._recorded.pop(update_id, None)

    def was_stored(self, update_id: int) -> bool:
        """Whether that update was stored on arrival (answered once: the queue asks once)."""
        if update_id in self._stored:
            del self._stored[update_id]
            return True
        return False


class DurableUpdateQueue(asyncio.Queue[object]):
    def __init__(self, recorder: UpdateRecorder | None = None) -> None:
        super().__init__()
        self.recorder = recorder
        self.store: Store | None = None

    async def put(self, item: object) -> None:
        if isinstance(item, Update) and self.store is not None:
            recorder = self.recorder
            if recorder is None or not recorder.was_stored(item.update_id):
                raw = recorder.take(item.update_id) if recorder is not None else None
                await self.store(item, raw if raw is not None else item.to_json())
        await super().put(item)

    async def replay(self, updates: list[Update]) -> None:
        """Queue updates that were stored but never processed (they are stored already)."""
        for update in updates:
            await super().put(update)
        if updates:
            log.info("processing %d update(s) received before the last stop", len(updates))
