"""A durable update queue: every update is written to the database as it arrives.

python-telegram-bot confirms a batch of polled updates to Telegram (the next ``getUpdates``
offset) as soon as it has queued them, and the webhook server answers 200 once the update is
queued: either way Telegram will not deliver it again. So ``put`` stores the update (table
``inbox``) before queuing it, the processing of an update deletes it in the transaction that
records it as processed, and what a ``kill -9`` left in between is processed at the next start
(:meth:`DurableUpdateQueue.replay`).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from telegram import Update

log = logging.getLogger(__name__)

Store = Callable[[Update], Awaitable[None]]


class DurableUpdateQueue(asyncio.Queue[object]):
    def __init__(self) -> None:
        super().__init__()
        self.store: Store | None = None

    async def put(self, item: object) -> None:
        if isinstance(item, Update) and self.store is not None:
            await self.store(item)
        await super().put(item)

    async def replay(self, updates: list[Update]) -> None:
        """Queue updates that were stored but never processed (they are stored already)."""
        for update in updates:
            await super().put(update)
        if updates:
            log.info("processing %d update(s) received before the last stop", len(updates))
