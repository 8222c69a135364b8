"""SQL for unfinished flows: drafts, conversation states, the inbox of received updates and the
processed-update log.

A flow step saves the person's answer, the conversation's next state and the id of the update
that caused it in *one* transaction, before the bot replies (see ``bot.services.flows``).
"""

from __future__ import annotations

import json
from typing import Any

import aiosqlite

from storage.db import DuplicateUpdateError, utcnow


def conversation_key(key: tuple[int | str, ...]) -> str:
    return json.dumps(list(key), separators=(",", ":"))


async def mark_processed(conn: aiosqlite.Connection, update_id: int) -> None:
    """Record an update as applied; raises :class:`DuplicateUpdateError` if it already was."""
    cur = await conn.execute(
        "INSERT INTO processed_updates (update_id, processed_at) VALUES (?, ?) "
        "ON CONFLICT DO NOTHING",
        (update_id, utcnow()),
    )
    if cur.rowcount == 0:
        raise DuplicateUpdateError(update_id)
    await conn.execute("DELETE FROM inbox WHERE update_id = ?", (update_id,))


async def mark_processed_quietly(conn: aiosqlite.Connection, update_id: int) -> None:
    await conn.execute(
        "INSERT INTO processed_updates (update_id, processed_at) VALUES (?, ?) "
        "ON CONFLICT DO NOTHING",
        (update_id, utcnow()),
    )
    await conn.execute("DELETE FROM inbox WHERE update_id = ?", (update_id,))


async def receive(conn: aiosqlite.Connection, update_id: int, data: str) -> None:
    """Keep an update that arrived until it is processed."""
    await conn.execute(
        "INSERT INTO inbox (update_id, data, received_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
        (update_id, data, utcnow()),
    )


async def receive_many(conn: aiosqlite.Connection, items: list[tuple[int, str]]) -> None:
    """Keep updates that arrived together (update id, JSON) until they are processed."""
    at = utcnow()
    await conn.executemany(
        "INSERT INTO inbox (update_id, data, received_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
        [(update_id, data, at) for update_id, data in items],
    )


async def unprocessed(conn: aiosqlite.Connection) -> list[str]:
    """Updates received and never processed (a crash came in between), oldest first."""
    async with conn.execute(
        """SELECT data FROM inbox
           WHERE update_id NOT IN (SELECT update_id FROM processed_updates)
           ORDER BY update_id"""
    ) as cur:
        return [str(row[0]) for row in await cur.fetchall()]


async def is_processed(conn: aiosqlite.Connection, update_id: int) -> bool:
    rows = await conn.execute_fetchall(
        "SELECT 1 FROM processed_updates WHERE update_id = ?", (update_id,)
    )
    return bool(rows)


async def latest_processed(conn: aiosqlite.Connection) -> int | None:
    """The highest update id recorded as processed (``None`` when none is)."""
    rows = list(await conn.execute_fetchall("SELECT max(update_id) FROM processed_updates"))
    return int(rows[0][0]) if rows and rows[0][0] is not None else None


async def drop_received(conn: aiosqlite.Connection, update_id: int) -> None:
    """Forget a stored update that will not be processed (it was before: delivered again)."""
    await conn.execute("DELETE FROM inbox WHERE update_id = ?", (update_id,))


async def prune_processed(conn: aiosqlite.Connection, older_than_iso: str) -> int:
    """Forget the ids of updates processed before ``older_than_iso``. Stored updates already
    processed go first (a delivery seen again left one): once its id is forgotten, such a row
    would look unprocessed and be replayed at the next start."""
    await conn.execute(
        "DELETE FROM inbox WHERE update_id IN (SELECT update_id FROM processed_updates)"
    )
    cur = await conn.execute(
        "DELETE FROM processed_updates WHERE processed_at < ?", (older_than_iso,)
    )
    return cur.rowcount


async def set_state(
    conn: aiosqlite.Connection, name: str, key: tuple[int | str, ...], state: object | None
) -> None:
    if state is None:
        await conn.execute(
            "DELETE FROM conversations WHERE name = ? AND key = ?", (name, conversation_key(key))
        )
        return
    await conn.execute(
        """INSERT INTO conversations (name, key, state, updated_at) VALUES (?, ?, ?, ?)
           ON CONFLICT (name, key) DO UPDATE SET state = excluded.state,
                                                 updated_at = excluded.updated_at""",
        (name, conversation_key(key), json.dumps(state), utcnow()),
    )


async def get_draft(conn: aiosqlite.Connection, user_id: int, flow: str) -> dict[str, Any] | None:
    rows = list(
        await conn.execute_fetchall(
            "SELECT data FROM drafts WHERE user_id = ? AND flow = ?", (user_id, flow)
        )
    )
    if not rows:
        return None
    data = json.loads(rows[0][0])
    return data if isinstance(data, dict) else None


async def put_draft(
    conn: aiosqlite.Connection, user_id: int, flow: str, data: dict[str, Any]
) -> None:
    await conn.execute(
        """INSERT INTO drafts (user_id, flow, data, updated_at) VALUES (?, ?, ?, ?)
           ON CONFLICT (user_id, flow) DO UPDATE SET data = excluded.data,
                                                     updated_at = excluded.updated_at""",
        (user_id, flow, json.dumps(data, ensure_ascii=False), utcnow()),
    )


async def delete_draft(conn: aiosqlite.Connection, user_id: int, flow: str) -> None:
    await conn.execute("DELETE FROM drafts WHERE user_id = ? AND flow = ?", (user_id, flow))
