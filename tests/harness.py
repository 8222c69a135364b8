"""Offline test harness: the real Application with a recording request (``StubRequest`` over
``BotAPIStub``), updates fed through the production update processor."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any

from telegram import Update

from bot.app import build_application, post_init
from bot.config import Settings, load_settings
from bot.services.container import Services
from bot.tg.context import ThiduaApplication
from bot.tg.stub_api import JSON, BotAPIStub, StubUser
from bot.tg.stub_request import StubRequest

ADMIN_ID = 9001


def make_settings(tmp_path: Path, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "database_path": tmp_path / "bot.sqlite3",
        "admin_ids": str(ADMIN_ID),
        "document_workers": 0,  # forms rendered in a thread: no helper process per test
    }
    values.update(overrides)
    return load_settings(None, **values)


class Harness:
    """Drive the bot like Telegram would, and look at what it answered."""

    def __init__(
        self,
        settings: Settings,
        stub: BotAPIStub | None = None,
        *,
        rate_limiter: bool = False,
        deliver_on_demand: bool = False,
    ) -> None:
        """``deliver_on_demand``: the delivery worker of the outbox only sends during
        :meth:`deliver` (notifications then arrive at a set point of the conversation, not
        whenever the worker gets to them); else it runs on its own, as in production."""
        self.settings = settings
        self.stub = stub or BotAPIStub()
        self.rate_limiter = rate_limiter
        self.deliver_on_demand = deliver_on_demand
        self.app: ThiduaApplication | None = None

    @property
    def services(self) -> Services:
        assert self.app is not None
        return self.app.services

    async def start(self) -> Harness:
        self.app = build_application(
            self.settings,
            request=StubRequest(self.stub),
            updates_request=StubRequest(self.stub),
            rate_limiter=self.rate_limiter,
        )
        self.app.services.translator.strict = True  # a missing message fails the test
        await self.app.initialize()
        await post_init(self.app)
        if self.deliver_on_demand and self.app.broadcaster is not None:
            await self.app.broadcaster.pause()
        return self

    async def stop(self) -> None:
        """A clean shutdown, as ``post_shutdown`` does it: the delivery worker stops (its
        deliveries in flight are recorded), persistence is flushed, the database closed."""
        if self.app is not None:
            if self.app.broadcaster is not None:
                await self.app.broadcaster.stop()
                self.app.broadcaster = None
            await self.app.shutdown()
            await self.app.services.close()
            self.app = None

    async def crash(self) -> None:
        """What ``kill -9`` leaves: no flush, no shutdown; the delivery worker dies where it
        is and the connections just go away."""
        if self.app is not None:
            if self.app.broadcaster is not None:
                await self.app.broadcaster.abandon()
                self.app.broadcaster = None
            await self.app.services.db.close()
            self.app = None

    async def deliver(self, seconds: float = 15.0) -> None:
        """Let the delivery worker send what is queued in the outbox (notifications go there),
        retries included: return once no row of a broadcast being sent is pending and nothing
        is in flight."""
        assert self.app is not None and self.app.broadcaster is not None, "no delivery worker"
        worker = self.app.broadcaster
        worker.start()  # (running already unless deliver_on_demand)
        worker.wake()
        deadline = time.monotonic() + seconds
        try:
            while True:
                pending = await self.db_value(
                    "SELECT count(*) FROM outbox o JOIN broadcasts b ON b.id = o.broadcast_id "
                    "WHERE o.status = 'pending' AND b.status = 'sending'"
                )
                if not pending and not worker.busy:
                    return
                assert time.monotonic() < deadline, f"the outbox still has {pending} rows pending"
                await asyncio.sleep(0.01)
        finally:
            if self.deliver_on_demand:
                await worker.pause()

    async def restart(self, *, crash: bool = True) -> Harness:
        await (self.crash() if crash else self.stop())
        return await self.start()

    # --- people's side --------------------------------------------------------------------

    async def feed(self, update_json: JSON) -> None:
        assert self.app is not None
        update = Update.de_json(update_json, self.app.bot)
        assert update is not None
        await self.app.update_processor.process_update(update, self.app.process_update(update))

    async def say(self, user: StubUser, text: str, **kwargs: Any) -> JSON:
        update = self.stub.user_message(user, text, **kwargs)
        self.stub.pending_updates(update["update_id"] + 1)  # not polled: confirm it
        await self.feed(update)
        return update

    async def send_raw(self, user: StubUser, extra: JSON) -> JSON:
        update = self.stub.user_message(user, None, extra=extra)
        self.stub.pending_updates(update["update_id"] + 1)
        await self.feed(update)
        return update

    def last_keyboard_message(self, chat_id: int) -> JSON:
        for (chat, _), message in sorted(
            self.stub.messages.items(), key=lambda kv: kv[0][1], reverse=True
        ):
            if (
                chat == chat_id
                and message.get("from", {}).get("is_bot")
                and message.get("reply_markup")
            ):
                return message
        raise AssertionError("no message with buttons")

    def buttons(self, chat_id: int) -> list[tuple[str, str]]:
        message = self.last_keyboard_message(chat_id)
        return [
            (b["text"], b["callback_data"])
            for row in message["reply_markup"]["inline_keyboard"]
            for b in row
        ]

    async def tap(self, user: StubUser, data: str, *, message: JSON | None = None) -> JSON:
        """Press the button of ``message`` (default: the last keyboard) whose data is ``data``,
        or ``data`` marked for that screen (``bc:p:send:<stamp>``, see
        ``handlers.common.stamped``)."""
        message = message or self.last_keyboard_message(user.id)
        every = [
            b["callback_data"] for row in message["reply_markup"]["inline_keyboard"] for b in row
        ]
        found = [d for d in every if d == data or d.startswith(data + ":")]
        assert len(found) == 1, (data, every)
        return await self.press(user, found[0], message=message)

    async def press(self, user: StubUser, data: str, *, message: JSON | None = None) -> JSON:
        message = message or self.last_keyboard_message(user.id)
        update = self.stub.user_press(user, message, data)
        self.stub.pending_updates(update["update_id"] + 1)
        await self.feed(update)
        return update

    # --- the bot's side -------------------------------------------------------------------

    def texts(self, chat_id: int) -> list[str]:
        return self.stub.texts(chat_id)

    def last_text(self, chat_id: int) -> str:
        texts = self.texts(chat_id)
        assert texts, "the bot sent nothing"
        return texts[-1]

    def mark(self) -> int:
        return len(self.stub.calls)

    def texts_since(self, mark: int, chat_id: int) -> list[str]:
        return [
            str(c.params.get("text", ""))
            for c in self.stub.calls[mark:]
            if c.method in ("sendMessage", "editMessageText")
            and str(c.params.get("chat_id")) == str(chat_id)
        ]

    def t(self, key: str, locale: str = "vi", **params: object) -> str:
        return self.services.translator(locale, key, **params)

    async def state(self, user: StubUser, conversation: str) -> object | None:
        return self.services.states.get(conversation, (user.id, user.id))

    async def db_row(self, sql: str, *params: object) -> dict[str, Any] | None:
        async with self.services.db.read() as conn, conn.execute(sql, params) as cur:
            row = await cur.fetchone()
        return dict(row) if row is not None else None

    async def db_value(self, sql: str, *params: object) -> Any:
        row = await self.db_row(sql, *params)
        return next(iter(row.values())) if row else None
