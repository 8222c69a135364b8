"""SQL for announcements: audiences, broadcasts and the durable outbox (one row per recipient)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import aiosqlite

from bot.domain.broadcasts import (
    Audience,
    AudienceKind,
    Broadcast,
    BroadcastStatus,
    Content,
    OutboxRow,
    Progress,
    RowStatus,
)
from storage.db import utcnow

# --- audiences --------------------------------------------------------------------------------


def _audience_sql(audience: Audience) -> tuple[str, list[Any]]:
    """SELECT user_id of the audience (before muting and reachability are applied)."""
    kind = audience.kind
    if kind is AudienceKind.ALL:
        return "SELECT user_id FROM users", []
    if kind is AudienceKind.UNIT:
        return "SELECT user_id FROM users WHERE unit = ?", [audience.unit]
    if kind is AudienceKind.ROLE:
        if audience.role == "admin":
            return "SELECT user_id FROM user_roles WHERE role = 'admin'", []
        return "SELECT user_id FROM user_roles WHERE role = ?", [audience.role]
    if kind is AudienceKind.RSVP:
        event = audience.event_id
        if audience.segment == "confirmed":
            return "SELECT user_id FROM rsvps WHERE event_id = ? AND seat = 'confirmed'", [event]
        if audience.segment == "waitlisted":
            return "SELECT user_id FROM rsvps WHERE event_id = ? AND seat = 'waitlisted'", [event]
        if audience.segment == "declined":
            return "SELECT user_id FROM rsvps WHERE event_id = ? AND answer = 'no'", [event]
        # not answered: invited (the code was opened) without an answer, or "maybe"
        return (
            """SELECT user_id FROM invitees WHERE event_id = ? AND user_id IS NOT NULL
               AND user_id NOT IN (SELECT user_id FROM rsvps WHERE event_id = ?
                                   AND answer IN ('yes', 'no'))""",
            [event, event],
        )
    if kind is AudienceKind.AUTHORS:
        if audience.status:
            return (
                "SELECT submitter_id FROM initiatives WHERE submitter_id IS NOT NULL "
                "AND status = ?",
                [audience.status],
            )
        return "SELECT submitter_id FROM initiatives WHERE submitter_id IS NOT NULL", []
    marks = ", ".join("?" for _ in audience.ids)
    return f"SELECT user_id FROM users WHERE user_id IN ({marks})", list(audience.ids)


async def recipients(
    conn: aiosqlite.Connection, audience: Audience, essential: bool, admins: frozenset[int]
) -> list[tuple[int, str]]:
    """(user id, name) of everyone the audience reaches: known people who did not block the bot
    and, for an ordinary announcement, did not mute announcements. ``admins`` are the admins
    of the configuration (they have no role row)."""
    inner, params = _audience_sql(audience)
    extra = ""
    if audience.kind is AudienceKind.ROLE and audience.role == "admin" and admins:
        extra = f" OR u.user_id IN ({', '.join('?' for _ in admins)})"
        params = [*params, *sorted(admins)]
    sql = f"""SELECT u.user_id, COALESCE(u.full_name, u.first_name, u.username, u.user_id)
              FROM users u
              WHERE (u.user_id IN ({inner}){extra})
                AND u.unreachable_at IS NULL {"" if essential else "AND u.muted = 0"}
              ORDER BY u.user_id"""
    async with conn.execute(sql, params) as cur:
        return [(int(row[0]), str(row[1])) for row in await cur.fetchall()]


async def units(conn: aiosqlite.Connection) -> list[str]:
    async with conn.execute(
        "SELECT DISTINCT unit FROM users WHERE unit IS NOT NULL AND unit != '' ORDER BY unit"
    ) as cur:
        return [str(row[0]) for row in await cur.fetchall()]


# --- broadcasts -------------------------------------------------------------------------------

_BROADCAST = (
    "id, created_by, created_at, kind, text, file_id, essential, audience, status, scheduled_at, "
    "started_at, finished_at, progress_chat_id, progress_message_id, total"
)


def _dt(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def _broadcast(row: Any) -> Broadcast:
    return Broadcast(
        id=row[0],
        created_by=row[1],
        created_at=datetime.fromisoformat(row[2]),
        content=Content(kind=row[3], text=row[4], file_id=row[5]),
        essential=bool(row[6]),
        audience=Audience.model_validate_json(row[7]),
        status=BroadcastStatus(row[8]),
        scheduled_at=_dt(row[9]),
        started_at=_dt(row[10]),
        finished_at=_dt(row[11]),
        progress_chat_id=row[12],
        progress_message_id=row[13],
        total=row[14],
    )


async def insert_broadcast(
    conn: aiosqlite.Connection,
    *,
    created_by: int | None,
    content: Content,
    essential: bool,
    audience: Audience,
    status: BroadcastStatus,
    scheduled_at: str | None,
    progress_chat_id: int | None,
) -> int:
    cur = await conn.execute(
        """INSERT INTO broadcasts (created_by, created_at, kind, text, file_id, essential,
               audience, status, scheduled_at, progress_chat_id)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
        (
            created_by,
            utcnow(),
            content.kind,
            content.text,
            content.file_id,
            int(essential),
            audience.model_dump_json(),
            status.value,
            scheduled_at,
            progress_chat_id,
        ),
    )
    assert cur.lastrowid is not None
    return cur.lastrowid


async def queue(conn: aiosqlite.Connection, broadcast_id: int, user_ids: list[int], at: str) -> int:
    """One pending outbox row per recipient."""
    await conn.executemany(
        """INSERT INTO outbox (broadcast_id, user_id, status, next_attempt_at)
           VALUES (?, ?, 'pending', ?) ON CONFLICT DO NOTHING""",
        [(broadcast_id, uid, at) for uid in user_ids],
    )
    await conn.execute(
        "UPDATE broadcasts SET total = (SELECT count(*) FROM outbox WHERE broadcast_id = ?) "
        "WHERE id = ?",
        (broadcast_id, broadcast_id),
    )
    return len(user_ids)


async def queue_notices(
    conn: aiosqlite.Connection, broadcast_id: int, notices: list[tuple[int, str]], at: str
) -> None:
    """One pending row per person, each with its own text."""
    await conn.executemany(
        """INSERT INTO outbox (broadcast_id, user_id, status, next_attempt_at, text)
           VALUES (?, ?, 'pending', ?, ?) ON CONFLICT DO NOTHING""",
        [(broadcast_id, uid, at, text) for uid, text in notices],
    )
    await conn.execute(
        "UPDATE broadcasts SET total = (SELECT count(*) FROM outbox WHERE broadcast_id = ?) "
        "WHERE id = ?",
        (broadcast_id, broadcast_id),
    )


async def reachable_chats(conn: aiosqlite.Connection, chat_ids: list[int]) -> set[int]:
    """Of ``chat_ids``, those a notification may be written to: groups (negative chat ids, such
    as the office chat, which have no user row) and people the bot knows who did not block it
    (a bot cannot start a conversation with someone who never wrote to it)."""
    people = sorted({c for c in chat_ids if c > 0})
    found: set[int] = set()
    for start in range(0, len(people), 500):
        chunk = people[start : start + 500]
        marks = ", ".join("?" for _ in chunk)
        async with conn.execute(
            f"SELECT user_id FROM users WHERE user_id IN ({marks}) AND unreachable_at IS NULL",
            chunk,
        ) as cur:
            found.update(int(row[0]) for row in await cur.fetchall())
    return found | {c for c in chat_ids if c < 0}


async def get(conn: aiosqlite.Connection, broadcast_id: int) -> Broadcast | None:
    async with conn.execute(
        f"SELECT {_BROADCAST} FROM broadcasts WHERE id = ?", (broadcast_id,)
    ) as cur:
        row = await cur.fetchone()
    return _broadcast(row) if row else None


async def listing(conn: aiosqlite.Connection, limit: int = 20) -> list[Broadcast]:
    async with conn.execute(
        f"SELECT {_BROADCAST} FROM broadcasts WHERE kind != 'notice' ORDER BY id DESC LIMIT ?",
        (limit,),
    ) as cur:
        return [_broadcast(row) for row in await cur.fetchall()]


async def set_status(
    conn: aiosqlite.Connection, broadcast_id: int, status: BroadcastStatus, **times: str
) -> None:
    sets = ", ".join(["status = ?", *(f"{name} = ?" for name in times)])
    await conn.execute(
        f"UPDATE broadcasts SET {sets} WHERE id = ?",
        (status.value, *times.values(), broadcast_id),
    )


async def set_progress_message(
    conn: aiosqlite.Connection, broadcast_id: int, chat_id: int, message_id: int
) -> None:
    await conn.execute(
        "UPDATE broadcasts SET progress_chat_id = ?, progress_message_id = ? WHERE id = ?",
        (chat_id, message_id, broadcast_id),
    )


async def due_scheduled(conn: aiosqlite.Connection, now: str) -> list[int]:
    async with conn.execute(
        "SELECT id FROM broadcasts WHERE status = 'scheduled' AND scheduled_at <= ?", (now,)
    ) as cur:
        return [int(row[0]) for row in await cur.fetchall()]


async def sending(conn: aiosqlite.Connection) -> list[int]:
    async with conn.execute(
        "SELECT id FROM broadcasts WHERE status = 'sending' ORDER BY id"
    ) as cur:
        return [int(row[0]) for row in await cur.fetchall()]


async def progress(conn: aiosqlite.Connection, broadcast_id: int) -> Progress:
    async with conn.execute(
        "SELECT status, count(*) FROM outbox WHERE broadcast_id = ? GROUP BY status",
        (broadcast_id,),
    ) as cur:
        counts = {str(s): int(n) for s, n in await cur.fetchall()}
    return Progress(total=sum(counts.values()), **counts)


# --- the outbox -------------------------------------------------------------------------------


async def due_rows(conn: aiosqlite.Connection, now: str, limit: int) -> list[OutboxRow]:
    """Pending rows of broadcasts being sent whose time has come, oldest broadcast first."""
    async with conn.execute(
        """SELECT o.id, o.broadcast_id, o.user_id, o.attempts, o.text FROM outbox o
           JOIN broadcasts b ON b.id = o.broadcast_id AND b.status = 'sending'
           WHERE o.status = 'pending' AND o.next_attempt_at <= ?
           ORDER BY o.broadcast_id, o.next_attempt_at, o.id LIMIT ?""",
        (now, limit),
    ) as cur:
        return [
            OutboxRow(id=r[0], broadcast_id=r[1], user_id=r[2], attempts=r[3], text=r[4])
            for r in await cur.fetchall()
        ]


async def next_due(conn: aiosqlite.Connection) -> str | None:
    async with conn.execute(
        """SELECT MIN(o.next_attempt_at) FROM outbox o
           JOIN broadcasts b ON b.id = o.broadcast_id AND b.status = 'sending'
           WHERE o.status = 'pending'"""
    ) as cur:
        row = await cur.fetchone()
    return str(row[0]) if row and row[0] else None


async def mark_sent(conn: aiosqlite.Connection, row_id: int, message_id: int, at: str) -> None:
    await conn.execute(
        """UPDATE outbox SET status = 'sent', message_id = ?, sent_at = ?,
               attempts = attempts + 1 WHERE id = ? AND status = 'pending'""",
        (message_id, at, row_id),
    )


async def mark_retry(
    conn: aiosqlite.Connection, row_id: int, next_at: str, error: str, *, count: bool = True
) -> None:
    """Try again at ``next_at`` (``count=False``: a 429 is Telegram's pacing, not a failure)."""
    await conn.execute(
        f"""UPDATE outbox SET next_attempt_at = ?, error = ?
               {", attempts = attempts + 1" if count else ""}
            WHERE id = ? AND status = 'pending'""",
        (next_at, error, row_id),
    )


async def mark_final(
    conn: aiosqlite.Connection, row_id: int, status: RowStatus, error: str | None
) -> None:
    await conn.execute(
        """UPDATE outbox SET status = ?, error = ?, attempts = attempts + 1
           WHERE id = ? AND status = 'pending'""",
        (status.value, error, row_id),
    )


async def mark_unreachable_user(conn: aiosqlite.Connection, user_id: int, at: str) -> None:
    """The person blocked the bot (or is deactivated): no more announcements until they write."""
    await conn.execute("UPDATE users SET unreachable_at = ? WHERE user_id = ?", (at, user_id))
    await conn.execute(
        """UPDATE outbox SET status = 'unreachable', error = 'blocked'
           WHERE user_id = ? AND status = 'pending'""",
        (user_id,),
    )


async def cancel(conn: aiosqlite.Connection, broadcast_id: int) -> int:
    cur = await conn.execute(
        "UPDATE outbox SET status = 'cancelled' WHERE broadcast_id = ? AND status = 'pending'",
        (broadcast_id,),
    )
    return cur.rowcount


async def failures(conn: aiosqlite.Connection, broadcast_id: int) -> list[OutboxRow]:
    async with conn.execute(
        """SELECT id, broadcast_id, user_id, attempts, status, error, message_id FROM outbox
           WHERE broadcast_id = ? AND status IN ('failed', 'unreachable') ORDER BY id""",
        (broadcast_id,),
    ) as cur:
        return [
            OutboxRow(
                id=r[0],
                broadcast_id=r[1],
                user_id=r[2],
                attempts=r[3],
                status=RowStatus(r[4]),
                error=r[5],
                message_id=r[6],
            )
            for r in await cur.fetchall()
        ]
