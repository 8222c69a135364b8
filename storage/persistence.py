"""SQL behind the Telegram framework's persistence: user/chat/bot data and conversation states,
stored as JSON in the same database as everything else."""

from __future__ import annotations

import json
from typing import Any

import aiosqlite

from storage.db import utcnow

_DATA_TABLES = {"user": ("user_data", "user_id"), "chat": ("chat_data", "chat_id")}


async def load_data(conn: aiosqlite.Connection, kind: str) -> dict[int, Any]:
    table, column = _DATA_TABLES[kind]
    async with conn.execute(f"SELECT {column}, data FROM {table}") as cur:
        return {int(r[0]): json.loads(r[1]) for r in await cur.fetchall()}


async def save_data(conn: aiosqlite.Connection, kind: str, ident: int, data_json: str) -> None:
    table, column = _DATA_TABLES[kind]
    await conn.execute(
        f"INSERT INTO {table} ({column}, data) VALUES (?, ?) "
        f"ON CONFLICT ({column}) DO UPDATE SET data = excluded.data",
        (ident, data_json),
    )


async def drop_data(conn: aiosqlite.Connection, kind: str, ident: int) -> None:
    table, column = _DATA_TABLES[kind]
    await conn.execute(f"DELETE FROM {table} WHERE {column} = ?", (ident,))


async def load_singleton(conn: aiosqlite.Connection, table: str) -> Any:
    if table not in ("bot_data", "callback_data"):
        raise ValueError(table)
    async with conn.execute(f"SELECT data FROM {table} WHERE id = 1") as cur:
        row = await cur.fetchone()
    return json.loads(row[0]) if row else None


async def save_singleton(conn: aiosqlite.Connection, table: str, data_json: str) -> None:
    if table not in ("bot_data", "callback_data"):
        raise ValueError(table)
    await conn.execute(
        f"INSERT INTO {table} (id, data) VALUES (1, ?) "
        "ON CONFLICT (id) DO UPDATE SET data = excluded.data",
        (data_json,),
    )


async def load_conversations(conn: aiosqlite.Connection, name: str) -> dict[tuple[Any, ...], Any]:
    async with conn.execute("SELECT key, state FROM conversations WHERE name = ?", (name,)) as cur:
        return {tuple(json.loads(r[0])): json.loads(r[1]) for r in await cur.fetchall()}


async def all_conversation_states(conn: aiosqlite.Connection) -> list[tuple[str, str, Any]]:
    async with conn.execute("SELECT name, key, state FROM conversations") as cur:
        return [(str(r[0]), str(r[1]), json.loads(r[2])) for r in await cur.fetchall()]


def now() -> str:
    return utcnow()
