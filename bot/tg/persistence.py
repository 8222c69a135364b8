"""A ``BasePersistence`` in the bot's SQLite database (JSON values), written through.

Flow steps write their conversation state themselves before replying, and the update processor
writes the person's user_data after each of their updates (``flush_user``, see ``bot.app``), so
the interval flush of the framework is only a safety net. Unchanged data is not written again.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from telegram.ext import BasePersistence, PersistenceInput
from telegram.ext._utils.types import CDCData, ConversationDict, ConversationKey

from bot.services.flows import FlowStates
from storage import Database
from storage import flows as flow_sql
from storage import persistence as sql


def _dumps(data: object) -> str:
    return json.dumps(data, ensure_ascii=False, sort_keys=True, default=str)


class SQLitePersistence(BasePersistence[dict[Any, Any], dict[Any, Any], dict[Any, Any]]):
    def __init__(self, db: Database, states: FlowStates, update_interval: float = 30) -> None:
        # The bot keeps per-person data only (user_data: screens, choices in progress);
        # chat_data and bot_data are unused, and not copied and compared after every update.
        super().__init__(
            store_data=PersistenceInput(
                bot_data=False, chat_data=False, user_data=True, callback_data=False
            ),
            update_interval=update_interval,
        )
        self.db = db
        self.states = states
        self._written: dict[tuple[str, int], str] = {}

    async def _open(self) -> Database:
        await self.db.open()
        return self.db

    async def _load(self, kind: str) -> dict[int, dict[Any, Any]]:
        db = await self._open()
        async with db.read() as conn:
            data = await sql.load_data(conn, kind)
        for ident, value in data.items():
            self._written[(kind, ident)] = _dumps(value)
        return {ident: value if isinstance(value, dict) else {} for ident, value in data.items()}

    async def get_user_data(self) -> dict[int, dict[Any, Any]]:
        return await self._load("user")

    async def get_chat_data(self) -> dict[int, dict[Any, Any]]:
        return await self._load("chat")

    async def get_bot_data(self) -> dict[Any, Any]:
        db = await self._open()
        async with db.read() as conn:
            data = await sql.load_singleton(conn, "bot_data")
        self._written[("bot", 0)] = _dumps(data or {})
        return data if isinstance(data, dict) else {}

    async def get_callback_data(self) -> CDCData | None:
        return None

    async def get_conversations(self, name: str) -> ConversationDict:
        db = await self._open()
        async with db.read() as conn:
            conversations = await sql.load_conversations(conn, name)
        for key, state in conversations.items():
            self.states.set(name, key, state)
        return conversations

    async def update_conversation(
        self, name: str, key: ConversationKey, new_state: object | None
    ) -> None:
        if self.states.get(name, key) == new_state:
            return  # a flow step already wrote it
        async with (await self._open()).transaction() as conn:
            await flow_sql.set_state(conn, name, key, new_state)
        self.states.set(name, key, new_state)

    async def _save(self, kind: str, ident: int, data: object) -> None:
        encoded = _dumps(data)
        if self._written.get((kind, ident)) == encoded:
            return
        async with (await self._open()).transaction() as conn:
            if kind == "bot":
                await sql.save_singleton(conn, "bot_data", encoded)
            else:
                await sql.save_data(conn, kind, ident, encoded)
        self._written[(kind, ident)] = encoded

    async def update_user_data(self, user_id: int, data: dict[Any, Any]) -> None:
        if not data and ("user", user_id) not in self._written:
            return
        await self._save("user", user_id, data)

    async def update_chat_data(self, chat_id: int, data: dict[Any, Any]) -> None:
        if not data and ("chat", chat_id) not in self._written:
            return
        await self._save("chat", chat_id, data)

    async def flush_user(self, user_id: int, data: Mapping[Any, Any] | None) -> None:
        """Write one person's user_data now if it changed (after each of their updates): the
        framework's flush would deep-copy and compare everything touched since its last run."""
        if data is not None:
            await self.update_user_data(user_id, dict(data))

    async def update_bot_data(self, data: dict[Any, Any]) -> None:
        await self._save("bot", 0, data)

    async def update_callback_data(self, data: CDCData) -> None:
        return None  # callback data is plain strings; nothing arbitrary to persist

    async def drop_chat_data(self, chat_id: int) -> None:
        async with (await self._open()).transaction() as conn:
            await sql.drop_data(conn, "chat", chat_id)
        self._written.pop(("chat", chat_id), None)

    async def drop_user_data(self, user_id: int) -> None:
        async with (await self._open()).transaction() as conn:
            await sql.drop_data(conn, "user", user_id)
        self._written.pop(("user", user_id), None)

    def forget_cached(self, user_id: int) -> None:
        self._written.pop(("user", user_id), None)
        self._written.pop(("chat", user_id), None)

    async def refresh_user_data(self, user_id: int, user_data: dict[Any, Any]) -> None:
        return None

    async def refresh_chat_data(self, chat_id: int, chat_data: dict[Any, Any]) -> None:
        return None

    async def refresh_bot_data(self, bot_data: dict[Any, Any]) -> None:
        return None

    async def flush(self) -> None:
        return None  # every write is already committed
