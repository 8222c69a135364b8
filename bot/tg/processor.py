"""Concurrent update processing: different people at once, each person's updates in order.

A real Bot API call takes 50-300 ms, so one-update-at-a-time processing caps the bot at a few
updates per second. Updates are keyed by user (else chat): one lock per key keeps a person's
conversation in order while other people's updates run concurrently. Around each update:

* ``before`` can skip an update already applied (Telegram delivers again after a crash);
* ``after`` records it as processed and writes the person's user_data, so state is written
  through.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any

from telegram import Update
from telegram.ext import BaseUpdateProcessor

log = logging.getLogger(__name__)

Hook = Callable[[Update], Awaitable[bool]]
AfterHook = Callable[[Update], Awaitable[None]]


def update_key(update: object) -> int | None:
    if isinstance(update, Update):
        if update.effective_user is not None:
            return update.effective_user.id
        if update.effective_chat is not None:
            return update.effective_chat.id
    return None


def _close(coroutine: Awaitable[Any]) -> None:
    """Drop a coroutine that will not run (without a "never awaited" warning)."""
    if isinstance(coroutine, Coroutine):
        coroutine.close()


class KeyedUpdateProcessor(BaseUpdateProcessor):
    def __init__(self, max_concurrent_updates: int = 512) -> None:
        super().__init__(max_concurrent_updates)
        self._locks: dict[int, tuple[asyncio.Lock, int]] = {}
        self.before: Hook | None = None
        self.after: AfterHook | None = None

    def _acquire(self, key: int) -> asyncio.Lock:
        lock, users = self._locks.get(key, (None, 0))
        if lock is None:
            lock = asyncio.Lock()
        self._locks[key] = (lock, users + 1)
        return lock

    def _release(self, key: int) -> None:
        lock, users = self._locks[key]
        if users <= 1:
            del self._locks[key]
        else:
            self._locks[key] = (lock, users - 1)

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        key = update_key(update)
        if key is None:
            await coroutine
            return
        lock = self._acquire(key)
        try:
            async with lock:
                await self._process(update, coroutine)
        finally:
            self._release(key)

    async def _process(self, update: object, coroutine: Awaitable[Any]) -> None:
        try:
            skip = (
                isinstance(update, Update)
                and self.before is not None
                and not await self.before(update)
            )
        except BaseException:
            _close(coroutine)
            raise
        if skip:
            assert isinstance(update, Update)
            log.info("skipping update %s: already processed", update.update_id)
            _close(coroutine)
            return
        try:
            await coroutine
        finally:
            if isinstance(update, Update) and self.after is not None:
                try:
                    await self.after(update)
                except Exception:
                    log.exception("after-update hook failed for update %s", update.update_id)

    @property
    def active_keys(self) -> int:
        return len(self._locks)

    async def initialize(self) -> None:
        return None

    async def shutdown(self) -> None:
        return None
