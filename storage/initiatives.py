"""SQL for initiatives: submission, amendment, review history, lists, exports, draft reminders."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import aiosqlite

from bot.domain.initiative import Initiative, Person, Status, StatusChange
from storage.db import utcnow

_COLUMNS = (
    "id, number, submitter_id, status, title, unit, form_version, content, submitted_at, "
    "updated_at, last_comment"
)


def _initiative(row: aiosqlite.Row | tuple[Any, ...]) -> Initiative:
    return Initiative(
        id=row[0],
        number=row[1],
        submitter_id=row[2],
        status=Status(row[3]),
        title=row[4],
        unit=row[5],
        form_version=row[6],
        content=json.loads(row[7]),
        submitted_at=datetime.fromisoformat(row[8]),
        updated_at=datetime.fromisoformat(row[9]),
        last_comment=row[10],
    )


async def by_draft(conn: aiosqlite.Connection, draft_id: str) -> Initiative | None:
    rows = list(
        await conn.execute_fetchall(
            f"SELECT {_COLUMNS} FROM initiatives WHERE draft_id = ?", (draft_id,)
        )
    )
    return _initiative(rows[0]) if rows else None


async def get(conn: aiosqlite.Connection, initiative_id: int) -> Initiative | None:
    rows = list(
        await conn.execute_fetchall(
            f"SELECT {_COLUMNS} FROM initiatives WHERE id = ?", (initiative_id,)
        )
    )
    return _initiative(rows[0]) if rows else None


async def by_number(conn: aiosqlite.Connection, number: str) -> Initiative | None:
    async with conn.execute(
        f"SELECT {_COLUMNS} FROM initiatives WHERE number = ? COLLATE NOCASE", (number,)
    ) as cur:
        row = await cur.fetchone()
    return _initiative(row) if row else None


async def by_sequence(conn: aiosqlite.Connection, seq: int) -> Initiative | None:
    """The initiative numbered ``seq`` in the latest year that has one."""
    async with conn.execute(
        f"SELECT {_COLUMNS} FROM initiatives WHERE seq = ? ORDER BY year DESC LIMIT 1", (seq,)
    ) as cur:
        row = await cur.fetchone()
    return _initiative(row) if row else None


async def next_seq(conn: aiosqlite.Connection, year: int) -> int:
    """The next number of the year; call inside the write transaction that inserts it."""
    rows = list(
        await conn.execute_fetchall(
            "SELECT COALESCE(MAX(seq), 0) + 1 FROM initiatives WHERE year = ?", (year,)
        )
    )
    return int(rows[0][0])


async def insert(
    conn: aiosqlite.Connection,
    *,
    number: str,
    year: int,
    seq: int,
    submitter_id: int,
    draft_id: str,
    title: str,
    title_key: str,
    unit: str | None,
    form_version: str,
    content: dict[str, Any],
    authors: list[Person],
    at: str,
) -> int:
    cur = await conn.execute(
        """INSERT INTO initiatives (number, year, seq, submitter_id, draft_id, status, title,
               title_key, unit, form_version, content, submitted_at, updated_at)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
        (
            number,
            year,
            seq,
            submitter_id,
            draft_id,
            Status.SUBMITTED.value,
            title,
            title_key,
            unit,
            form_version,
            json.dumps(content, ensure_ascii=False),
            at,
            at,
        ),
    )
    initiative_id = cur.lastrowid
    assert initiative_id is not None
    await _put_authors(conn, initiative_id, authors)
    return initiative_id


async def replace_content(
    conn: aiosqlite.Connection,
    initiative_id: int,
    *,
    draft_id: str,
    title: str,
    title_key: str,
    content: dict[str, Any],
    authors: list[Person],
    status: Status,
    at: str,
) -> None:
    """An amended initiative (resubmitted after "needs changes")."""
    await conn.execute(
        """UPDATE initiatives SET draft_id = ?, title = ?, title_key = ?, content = ?,
               status = ?, last_comment = NULL, updated_at = ? WHERE id = ?""",
        (
            draft_id,
            title,
            title_key,
            json.dumps(content, ensure_ascii=False),
            status.value,
            at,
            initiative_id,
        ),
    )
    await conn.execute("DELETE FROM initiative_authors WHERE initiative_id = ?", (initiative_id,))
    await _put_authors(conn, initiative_id, authors)


async def _put_authors(
    conn: aiosqlite.Connection, initiative_id: int, authors: list[Person]
) -> None:
    await conn.executemany(
        """INSERT INTO initiative_authors (initiative_id, ord, full_name, birth_date, workplace,
               position, qualification, share) VALUES (?, ?, ?, ?, ?, ?, ?, ?)""",
        [
            (
                initiative_id,
                i + 1,
                a.full_name,
                a.birth_date.isoformat() if a.birth_date else None,
                a.workplace,
                a.position,
                a.qualification,
                a.share,
            )
            for i, a in enumerate(authors)
        ],
    )


async def set_status(
    conn: aiosqlite.Connection,
    initiative_id: int,
    status: Status,
    comment: str | None,
    at: str,
) -> None:
    await conn.execute(
        "UPDATE initiatives SET status = ?, last_comment = ?, updated_at = ? WHERE id = ?",
        (status.value, comment, at, initiative_id),
    )


async def log_change(
    conn: aiosqlite.Connection,
    initiative_id: int,
    *,
    actor_id: int | None,
    actor_name: str,
    from_status: Status | None,
    to_status: Status,
    comment: str | None,
    at: str | None = None,
) -> None:
    await conn.execute(
        """INSERT INTO initiative_history (initiative_id, at, actor_id, actor_name, from_status,
               to_status, comment) VALUES (?, ?, ?, ?, ?, ?, ?)""",
        (
            initiative_id,
            at or utcnow(),
            actor_id,
            actor_name,
            from_status.value if from_status else None,
            to_status.value,
            comment,
        ),
    )


def _change(row: aiosqlite.Row | tuple[Any, ...]) -> StatusChange:
    return StatusChange(
        initiative_id=row[0],
        at=datetime.fromisoformat(row[1]),
        actor_id=row[2],
        actor_name=row[3],
        from_status=Status(row[4]) if row[4] else None,
        to_status=Status(row[5]),
        comment=row[6],
    )


async def history(
    conn: aiosqlite.Connection, initiative_id: int | None = None
) -> list[StatusChange]:
    """The status changes of one initiative, or of all, oldest first."""
    sql = (
        "SELECT initiative_id, at, actor_id, actor_name, from_status, to_status, comment "
        "FROM initiative_history"
    )
    params: tuple[Any, ...] = ()
    if initiative_id is not None:
        sql += " WHERE initiative_id = ?"
        params = (initiative_id,)
    async with conn.execute(sql + " ORDER BY id", params) as cur:
        return [_change(row) for row in await cur.fetchall()]


async def listing(
    conn: aiosqlite.Connection,
    *,
    statuses: list[Status] | None = None,
    unit: str | None = None,
    submitter_id: int | None = None,
    limit: int = 1000,
    offset: int = 0,
) -> list[Initiative]:
    where: list[str] = []
    params: list[Any] = []
    if statuses:
        where.append(f"status IN ({', '.join('?' for _ in statuses)})")
        params += [s.value for s in statuses]
    if unit is not None:
        where.append("unit = ?")
        params.append(unit)
    if submitter_id is not None:
        where.append("submitter_id = ?")
        params.append(submitter_id)
    sql = f"SELECT {_COLUMNS} FROM initiatives"
    if where:
        sql += " WHERE " + " AND ".join(where)
    sql += " ORDER BY submitted_at, id LIMIT ? OFFSET ?"
    async with conn.execute(sql, (*params, limit, offset)) as cur:
        return [_initiative(row) for row in await cur.fetchall()]


async def count_by_status(conn: aiosqlite.Connection, unit: str | None = None) -> dict[Status, int]:
    """The initiatives of each status: all of them, or of ``unit``."""
    where, params = ("WHERE unit = ?", (unit,)) if unit is not None else ("", ())
    async with conn.execute(
        f"SELECT status, COUNT(*) FROM initiatives {where} GROUP BY status", params
    ) as cur:
        return {Status(s): int(n) for s, n in await cur.fetchall()}


async def units(conn: aiosqlite.Connection) -> list[str]:
    async with conn.execute(
        "SELECT DISTINCT unit FROM initiatives WHERE unit IS NOT NULL ORDER BY unit"
    ) as cur:
        return [str(row[0]) for row in await cur.fetchall()]


async def title_keys(conn: aiosqlite.Connection) -> list[tuple[int, str, str]]:
    """(id, number, folded title) of every initiative not withdrawn."""
    rows = await conn.execute_fetchall(
        "SELECT id, number, title_key FROM initiatives WHERE status != ?",
        (Status.WITHDRAWN.value,),
    )
    return [(int(i), str(n), str(k)) for i, n, k in rows]


async def briefs(conn: aiosqlite.Connection, numbers: list[str]) -> list[tuple[str, str, int]]:
    """(number, title, submitter id) of the initiatives numbered ``numbers``, in that order."""
    marks = ", ".join("?" for _ in numbers)
    rows = await conn.execute_fetchall(
        f"SELECT number, title, submitter_id FROM initiatives WHERE number IN ({marks})",
        tuple(numbers),
    )
    found = {str(n): (str(n), str(t), int(u)) for n, t, u in rows}
    return [found[n] for n in numbers if n in found]


async def stale_drafts(conn: aiosqlite.Connection, flow: str, before_iso: str) -> list[int]:
    """People whose draft of ``flow`` is untouched since ``before_iso`` and not reminded yet."""
    async with conn.execute(
        """SELECT user_id FROM drafts
           WHERE flow = ? AND updated_at < ? AND reminded_at IS NULL ORDER BY updated_at""",
        (flow, before_iso),
    ) as cur:
        return [int(row[0]) for row in await cur.fetchall()]


async def mark_reminded(conn: aiosqlite.Connection, user_id: int, flow: str) -> bool:
    cur = await conn.execute(
        "UPDATE drafts SET reminded_at = ? WHERE user_id = ? AND flow = ? AND reminded_at IS NULL",
        (utcnow(), user_id, flow),
    )
    return cur.rowcount == 1
