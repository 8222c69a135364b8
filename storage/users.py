"""SQL for people: identity, profile, language, roles, consent and erasure."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import aiosqlite

from storage.db import utcnow

_COLUMNS = (
    "user_id, first_name, last_name, username, tg_language, language, full_name, unit, "
    "position, phone, registered_at, created_at, muted, unreachable_at, review_notices"
)
PROFILE_FIELDS = frozenset({"full_name", "unit", "position", "phone"})


def _row(row: aiosqlite.Row | None) -> dict[str, Any] | None:
    return dict(row) if row is not None else None


async def get(conn: aiosqlite.Connection, user_id: int) -> dict[str, Any] | None:
    rows = list(
        await conn.execute_fetchall(f"SELECT {_COLUMNS} FROM users WHERE user_id = ?", (user_id,))
    )
    return _row(rows[0] if rows else None)


async def find_by_username(conn: aiosqlite.Connection, username: str) -> dict[str, Any] | None:
    sql = f"SELECT {_COLUMNS} FROM users WHERE lower(username) = lower(?)"
    async with conn.execute(sql, (username,)) as cur:
        return _row(await cur.fetchone())


async def upsert_contact(
    conn: aiosqlite.Connection,
    user_id: int,
    first_name: str | None,
    last_name: str | None,
    username: str | None,
    tg_language: str | None,
) -> None:
    now = utcnow()
    await conn.execute(
        """INSERT INTO users (user_id, first_name, last_name, username, tg_language,
                              created_at, updated_at)
           VALUES (?, ?, ?, ?, ?, ?, ?)
           ON CONFLICT (user_id) DO UPDATE SET
             first_name = excluded.first_name, last_name = excluded.last_name,
             username = excluded.username, tg_language = excluded.tg_language,
             unreachable_at = NULL, updated_at = excluded.updated_at""",
        (user_id, first_name, last_name, username, tg_language, now, now),
    )


async def set_language(conn: aiosqlite.Connection, user_id: int, language: str) -> None:
    await conn.execute(
        "UPDATE users SET language = ?, updated_at = ? WHERE user_id = ?",
        (language, utcnow(), user_id),
    )


async def set_profile(
    conn: aiosqlite.Connection, user_id: int, fields: dict[str, str | None], *, complete: bool
) -> None:
    unknown = set(fields) - PROFILE_FIELDS
    if unknown:
        raise ValueError(f"not profile fields: {sorted(unknown)}")
    assignments = ", ".join(f"{name} = ?" for name in fields)
    params: list[Any] = list(fields.values())
    if complete:
        assignments += ", registered_at = coalesce(registered_at, ?)"
        params.append(utcnow())
    await conn.execute(
        f"UPDATE users SET {assignments}, updated_at = ? WHERE user_id = ?",
        (*params, utcnow(), user_id),
    )


async def roles(conn: aiosqlite.Connection, user_id: int) -> set[str]:
    rows = await conn.execute_fetchall("SELECT role FROM user_roles WHERE user_id = ?", (user_id,))
    return {str(r[0]) for r in rows}


async def users_with_role(conn: aiosqlite.Connection, role: str) -> list[int]:
    async with conn.execute(
        "SELECT user_id FROM user_roles WHERE role = ? ORDER BY user_id", (role,)
    ) as cur:
        return [int(r[0]) for r in await cur.fetchall()]


async def grant(conn: aiosqlite.Connection, user_id: int, role: str, granted_by: int) -> bool:
    cur = await conn.execute(
        """INSERT INTO user_roles (user_id, role, granted_by, granted_at) VALUES (?, ?, ?, ?)
           ON CONFLICT DO NOTHING""",
        (user_id, role, granted_by, utcnow()),
    )
    return cur.rowcount > 0


async def revoke(conn: aiosqlite.Connection, user_id: int, role: str) -> bool:
    cur = await conn.execute(
        "DELETE FROM user_roles WHERE user_id = ? AND role = ?", (user_id, role)
    )
    return cur.rowcount > 0


async def record_consent(
    conn: aiosqlite.Connection, user_id: int, notice_version: str, accepted: bool
) -> None:
    await conn.execute(
        "INSERT INTO consents (user_id, notice_version, accepted, at) VALUES (?, ?, ?, ?)",
        (user_id, notice_version, int(accepted), utcnow()),
    )


async def latest_consent(conn: aiosqlite.Connection, user_id: int) -> dict[str, Any] | None:
    async with conn.execute(
        """SELECT notice_version, accepted, at FROM consents WHERE user_id = ?
           ORDER BY id DESC LIMIT 1""",
        (user_id,),
    ) as cur:
        return _row(await cur.fetchone())


async def set_muted(conn: aiosqlite.Connection, user_id: int, muted: bool) -> None:
    await conn.execute(
        "UPDATE users SET muted = ?, updated_at = ? WHERE user_id = ?",
        (int(muted), utcnow(), user_id),
    )


async def set_review_notices(conn: aiosqlite.Connection, user_id: int, on: bool) -> None:
    await conn.execute(
        "UPDATE users SET review_notices = ?, updated_at = ? WHERE user_id = ?",
        (int(on), utcnow(), user_id),
    )


async def erase(conn: aiosqlite.Connection, user_id: int) -> None:
    """Delete everything stored about one person (roles, consents and drafts cascade)."""
    key_prefix = "[%," + str(user_id) + "]"
    await conn.execute("DELETE FROM conversations WHERE key LIKE ?", (key_prefix,))
    await conn.execute("DELETE FROM user_data WHERE user_id = ?", (user_id,))
    await conn.execute("DELETE FROM chat_data WHERE chat_id = ?", (user_id,))
    await conn.execute("DELETE FROM users WHERE user_id = ?", (user_id,))


async def count(conn: aiosqlite.Connection) -> int:
    async with conn.execute("SELECT count(*) FROM users") as cur:
        row = await cur.fetchone()
    return int(row[0]) if row else 0


async def registered_names(conn: aiosqlite.Connection) -> list[tuple[int, str]]:
    """Every registered person's id and full name (to find someone by the name they gave)."""
    async with conn.execute(
        "SELECT user_id, full_name FROM users "
        "WHERE registered_at IS NOT NULL AND full_name IS NOT NULL ORDER BY user_id"
    ) as cur:
        return [(int(r[0]), str(r[1])) for r in await cur.fetchall()]


async def contacts(
    conn: aiosqlite.Connection, user_ids: Sequence[int]
) -> dict[int, tuple[str, str]]:
    """Name and phone (empty when not given) of each of ``user_ids`` the bot has a record of."""
    found: dict[int, tuple[str, str]] = {}
    for start in range(0, len(user_ids), 500):
        chunk = list(user_ids[start : start + 500])
        marks = ",".join("?" * len(chunk))
        async with conn.execute(
            "SELECT user_id, full_name, first_name, last_name, phone FROM users "
            f"WHERE user_id IN ({marks})",
            chunk,
        ) as cur:
            for row in await cur.fetchall():
                name = row["full_name"] or " ".join(n for n in row[2:4] if n)
                found[int(row["user_id"])] = (name or "", row["phone"] or "")
    return found


async def known(conn: aiosqlite.Connection, user_ids: Sequence[int]) -> set[int]:
    """Which of ``user_ids`` the bot has a record of (they wrote to it at least once)."""
    found: set[int] = set()
    for start in range(0, len(user_ids), 500):
        chunk = list(user_ids[start : start + 500])
        marks = ",".join("?" * len(chunk))
        async with conn.execute(
            f"SELECT user_id FROM users WHERE user_id IN ({marks})", chunk
        ) as cur:
            found.update(int(row[0]) for row in await cur.fetchall())
    return found
