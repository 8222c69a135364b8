"""A durable update queue: every update is written to the database as it arrives.

python-telegram-bot confirms a batch of polled updates to Telegram (the next ``getUpdates``
offset) as soon as it has queued them, and the webhook server answers 200 once the update is
queued: either way Telegram will not deliver it again. So ``put`` stores the update (table
``inbox``) before queuing it, the processing of an update deletes it in the transaction that
records it as processed, and what a ``kill -9`` left in between is processed at the next start
(:meth:`DurableUpdateQueue.replay`).

What is stored is the update's JSON as Telegram sent it, kept by :class:`UpdateRecorder` (the
``getUpdates`` request): serialising the parsed ``Update`` again (``to_json``) cost more CPU than
the rest of storing it. An update that came another way (the webhook server) is serialised.
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

# Updates received but not queued yet (a batch of getUpdates is at most 100): beyond this the
# oldest are forgotten (and serialised again if they ever reach the queue).
RECORDED_MAX = 1000


class UpdateRecorder(BaseRequest):
    """The ``getUpdates`` request (wrapping the real one, used for nothing else): keeps the
    JSON of each update it receives until the queue stores it (:meth:`take`)."""

    def __init__(self, inner: BaseRequest) -> None:
        self.inner = inner
        self._recorded: OrderedDict[int, str] = OrderedDict()

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
                self.record(result)
        return code, payload

    def record(self, updates: list[Any]) -> None:
        """Keep the JSON of ``updates`` (dicts as Telegram sent them)."""
        for item in updates:
            if isinstance(item, dict) and isinstance(item.get("update_id"), int):
                self._recorded[item["update_id"]] = json.dumps(item, ensure_ascii=False)
        while len(self._recorded) > RECORDED_MAX:
            self._recorded.popitem(last=False)

    def take(self, update_id: int) -> str | None:
        """The JSON of that update as received (once), or ``None``."""
        return self._recorded.pop(update_id, None)


class DurableUpdateQueue(asyncio.Queue[object]):
    def __init__(self, recorder: UpdateRecorder | None = None) -> None:
        super().__init__()
        self.recorder = recorder
        self.store: Store | None = None

    async def put(self, item: object) -> None:
        if isinstance(item, Update) and self.store is not None:
            raw = self.recorder.take(item.update_id) if self.recorder is not None else None
            await self.store(item, raw if raw is not None else item.to_json())
        await super().put(item)

    async def replay(self, updates: list[Update]) -> None:
        """Queue updates that were stored but never processed (they are stored already)."""
        for update in updates:
            await super().put(update)
        if updates:
            log.info("processing %d update(s) received before the last stop", len(updates))
