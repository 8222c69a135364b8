"""SQL for conference events: events, invitees, answers and seats, reminders, alerts."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import aiosqlite

from bot.domain.events import Answer, Event, Invitee, Rsvp, Seat
from storage.db import utcnow

# --- events -----------------------------------------------------------------------------------


async def get_event(
    conn: aiosqlite.Connection, event_id: str, *, deleted: bool = False
) -> Event | None:
    sql = "SELECT data FROM events WHERE id = ?"
    if not deleted:
        sql += " AND deleted_at IS NULL"
    async with conn.execute(sql, (event_id,)) as cur:
        row = await cur.fetchone()
    return Event.model_validate_json(row[0]) if row else None


async def list_events(conn: aiosqlite.Connection) -> list[Event]:
    async with conn.execute("SELECT data FROM events WHERE deleted_at IS NULL") as cur:
        events = [Event.model_validate_json(row[0]) for row in await cur.fetchall()]
    return sorted(events, key=lambda e: e.starts_at)


async def count_events(conn: aiosqlite.Connection) -> int:
    async with conn.execute("SELECT count(*) FROM events") as cur:
        row = await cur.fetchone()
    return int(row[0]) if row else 0


async def put_event(conn: aiosqlite.Connection, event: Event) -> bool:
    """Insert or replace (an earlier deleted event of the same id comes back). True if new."""
    now = utcnow()
    cur = await conn.execute(
        """INSERT INTO events (id, data, created_at, updated_at) VALUES (?, ?, ?, ?)
           ON CONFLICT (id) DO UPDATE SET data = excluded.data, deleted_at = NULL,
                                          updated_at = excluded.updated_at
           RETURNING created_at = updated_at""",
        (event.id, event.model_dump_json(), now, now),
    )
    row = await cur.fetchone()
    await cur.close()
    return bool(row[0]) if row else False


async def delete_event(conn: aiosqlite.Connection, event_id: str) -> bool:
    cur = await conn.execute(
        "UPDATE events SET deleted_at = ? WHERE id = ? AND deleted_at IS NULL",
        (utcnow(), event_id),
    )
    return cur.rowcount == 1


# --- invitees ---------------------------------------------------------------------------------

_INVITEE = (
    "id, event_id, code, full_name, unit, position, group_id, phone, email, user_id, bound_at"
)


def _invitee(row: Any) -> Invitee:
    return Invitee(
        id=row[0],
        event_id=row[1],
        code=row[2],
        full_name=row[3],
        unit=row[4],
        position=row[5],
        group_id=row[6],
        phone=row[7],
        email=row[8],
        user_id=row[9],
        bound_at=datetime.fromisoformat(row[10]) if row[10] else None,
    )


@dataclass(frozen=True)
class Person:
    """One line of an invitee list, cleaned; ``group_id`` checked against the event."""

    full_name: str
    unit: str
    position: str
    group_id: str | None
    phone: str
    email: str


async def add_invitee(
    conn: aiosqlite.Connection, event_id: str, code: str, person: Person
) -> int | None:
    """None when the same person (name and unit) is already invited to the event."""
    cur = await conn.execute(
        """INSERT INTO invitees (event_id, code, full_name, unit, position, group_id, phone,
               email, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
           ON CONFLICT (event_id, full_name, unit) DO NOTHING""",
        (
            event_id,
            code,
            person.full_name,
            person.unit,
            person.position,
            person.group_id,
            person.phone,
            person.email,
            utcnow(),
        ),
    )
    return cur.lastrowid if cur.rowcount == 1 else None


async def refresh_invitee(conn: aiosqlite.Connection, invitee: Invitee, person: Person) -> bool:
    """A person already invited, listed again: the values the new line gives (not empty) replace
    theirs (their name and unit too: written with the accents they lacked); the code stays. A
    corrected position or group goes to their answer too, when they have answered (stats,
    reserved seats and the lists count it), leaving what the line does not change (a group the
    delegate picked themselves stays unless the office changes it). True when something
    changed."""
    new = {
        "full_name": person.full_name,
        "unit": person.unit,
        "position": person.position or invitee.position,
        "group_id": person.group_id if person.group_id is not None else invitee.group_id,
        "phone": person.phone or invitee.phone,
        "email": person.email or invitee.email,
    }
    changed = {name: value for name, value in new.items() if value != getattr(invitee, name)}
    if not changed:
        return False
    sets = ", ".join(f"{name} = :{name}" for name in changed)
    await conn.execute(f"UPDATE invitees SET {sets} WHERE id = :id", {**changed, "id": invitee.id})
    answer = {k: v for k, v in changed.items() if k in ("position", "group_id")}
    if answer:
        sets = ", ".join(f"{name} = :{name}" for name in answer)
        await conn.execute(
            f"UPDATE rsvps SET {sets} WHERE invitee_id = :id", {**answer, "id": invitee.id}
        )
    return True


async def code_exists(conn: aiosqlite.Connection, code: str) -> bool:
    async with conn.execute(
        """SELECT 1 FROM invitees WHERE code = ?
           UNION ALL SELECT 1 FROM rsvps WHERE checkin_code = ?""",
        (code, code),
    ) as cur:
        return await cur.fetchone() is not None


async def invitee_by_code(conn: aiosqlite.Connection, code: str) -> Invitee | None:
    async with conn.execute(f"SELECT {_INVITEE} FROM invitees WHERE code = ?", (code,)) as cur:
        row = await cur.fetchone()
    return _invitee(row) if row else None


async def invitee(conn: aiosqlite.Connection, invitee_id: int) -> Invitee | None:
    async with conn.execute(f"SELECT {_INVITEE} FROM invitees WHERE id = ?", (invitee_id,)) as cur:
        row = await cur.fetchone()
    return _invitee(row) if row else None


async def invitees(conn: aiosqlite.Connection, event_id: str) -> list[Invitee]:
    async with conn.execute(
        f"SELECT {_INVITEE} FROM invitees WHERE event_id = ? ORDER BY id", (event_id,)
    ) as cur:
        return [_invitee(row) for row in await cur.fetchall()]


async def bind_invitee(conn: aiosqlite.Connection, invitee_id: int, user_id: int) -> bool:
    """Bind the code to the first account that redeems it; False if another one has it."""
    cur = await conn.execute(
        """UPDATE invitees SET user_id = ?, bound_at = ?
           WHERE id = ? AND (user_id IS NULL OR user_id = ?)""",
        (user_id, utcnow(), invitee_id, user_id),
    )
    return cur.rowcount == 1


async def invitee_of_user(
    conn: aiosqlite.Connection, event_id: str, user_id: int
) -> Invitee | None:
    async with conn.execute(
        f"SELECT {_INVITEE} FROM invitees WHERE event_id = ? AND user_id = ?", (event_id, user_id)
    ) as cur:
        row = await cur.fetchone()
    return _invitee(row) if row else None


# --- answers and seats ------------------------------------------------------------------------

_RSVP = (
    "id, event_id, user_id, invitee_id, answer, seat, full_name, unit, position, group_id, note, "
    "answered_at, queued_at, checkin_code, checked_in_at, checked_in_by"
)


def _dt(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def _rsvp(row: Any) -> Rsvp:
    return Rsvp(
        id=row[0],
        event_id=row[1],
        user_id=row[2],
        invitee_id=row[3],
        answer=Answer(row[4]),
        seat=Seat(row[5]),
        full_name=row[6],
        unit=row[7],
        position=row[8],
        group_id=row[9],
        note=row[10],
        answered_at=datetime.fromisoformat(row[11]),
        queued_at=_dt(row[12]),
        checkin_code=row[13],
        checked_in_at=_dt(row[14]),
        checked_in_by=row[15],
    )


async def rsvp_of(conn: aiosqlite.Connection, event_id: str, user_id: int) -> Rsvp | None:
    async with conn.execute(
        f"SELECT {_RSVP} FROM rsvps WHERE event_id = ? AND user_id = ?", (event_id, user_id)
    ) as cur:
        row = await cur.fetchone()
    return _rsvp(row) if row else None


async def rsvp(conn: aiosqlite.Connection, rsvp_id: int) -> Rsvp | None:
    async with conn.execute(f"SELECT {_RSVP} FROM rsvps WHERE id = ?", (rsvp_id,)) as cur:
        row = await cur.fetchone()
    return _rsvp(row) if row else None


async def rsvp_by_checkin(conn: aiosqlite.Connection, code: str) -> Rsvp | None:
    async with conn.execute(f"SELECT {_RSVP} FROM rsvps WHERE checkin_code = ?", (code,)) as cur:
        row = await cur.fetchone()
    return _rsvp(row) if row else None


async def rsvps(
    conn: aiosqlite.Connection, event_id: str, seats: list[Seat] | None = None
) -> list[Rsvp]:
    sql = f"SELECT {_RSVP} FROM rsvps WHERE event_id = ?"
    params: list[Any] = [event_id]
    if seats:
        sql += f" AND seat IN ({', '.join('?' for _ in seats)})"
        params += [s.value for s in seats]
    sql += " ORDER BY (seat = 'waitlisted'), queued_at, queue_seq, id"
    async with conn.execute(sql, params) as cur:
        return [_rsvp(row) for row in await cur.fetchall()]


async def answer_phones(conn: aiosqlite.Connection, event_id: str) -> dict[int, str]:
    """User id -> the phone on the profile, for the people who answered ``event_id`` and
    gave one."""
    async with conn.execute(
        """SELECT r.user_id, u.phone FROM rsvps r JOIN users u ON u.user_id = r.user_id
           WHERE r.event_id = ? AND COALESCE(u.phone, '') != ''""",
        (event_id,),
    ) as cur:
        return {int(user_id): str(phone) for user_id, phone in await cur.fetchall()}


async def rsvps_of_user(conn: aiosqlite.Connection, user_id: int) -> list[Rsvp]:
    async with conn.execute(
        f"SELECT {_RSVP} FROM rsvps WHERE user_id = ? ORDER BY answered_at DESC", (user_id,)
    ) as cur:
        return [_rsvp(row) for row in await cur.fetchall()]


async def waitlist(conn: aiosqlite.Connection, event_id: str) -> list[Rsvp]:
    async with conn.execute(
        f"""SELECT {_RSVP} FROM rsvps WHERE event_id = ? AND seat = 'waitlisted'
            ORDER BY queued_at, queue_seq""",
        (event_id,),
    ) as cur:
        return [_rsvp(row) for row in await cur.fetchall()]


async def confirmed_by_group(conn: aiosqlite.Connection, event_id: str) -> dict[str | None, int]:
    async with conn.execute(
        """SELECT group_id, count(*) FROM rsvps WHERE event_id = ? AND seat = 'confirmed'
           GROUP BY group_id""",
        (event_id,),
    ) as cur:
        return {row[0]: int(row[1]) for row in await cur.fetchall()}


async def next_queue_seq(conn: aiosqlite.Connection, event_id: str) -> int:
    async with conn.execute(
        "SELECT COALESCE(MAX(queue_seq), 0) + 1 FROM rsvps WHERE event_id = ?", (event_id,)
    ) as cur:
        row = await cur.fetchone()
    return int(row[0]) if row else 1


async def insert_rsvp(conn: aiosqlite.Connection, values: dict[str, Any]) -> int:
    columns = ", ".join(values)
    marks = ", ".join("?" for _ in values)
    cur = await conn.execute(
        f"INSERT INTO rsvps ({columns}) VALUES ({marks})", tuple(values.values())
    )
    assert cur.lastrowid is not None
    return cur.lastrowid


async def update_rsvp(conn: aiosqlite.Connection, rsvp_id: int, values: dict[str, Any]) -> None:
    sets = ", ".join(f"{name} = ?" for name in values)
    await conn.execute(f"UPDATE rsvps SET {sets} WHERE id = ?", (*values.values(), rsvp_id))


async def check_in(conn: aiosqlite.Connection, rsvp_id: int, actor_id: int, at: str) -> bool:
    cur = await conn.execute(
        """UPDATE rsvps SET checked_in_at = ?, checked_in_by = ?
           WHERE id = ? AND checked_in_at IS NULL""",
        (at, actor_id, rsvp_id),
    )
    return cur.rowcount == 1


async def headcount(conn: aiosqlite.Connection, event_id: str) -> tuple[int, int]:
    """(checked in, confirmed)."""
    async with conn.execute(
        """SELECT count(checked_in_at), count(*) FROM rsvps
           WHERE event_id = ? AND seat = 'confirmed'""",
        (event_id,),
    ) as cur:
        row = await cur.fetchone()
    return (int(row[0]), int(row[1])) if row else (0, 0)


# --- reminders and alerts ---------------------------------------------------------------------


async def arm_reminder(conn: aiosqlite.Connection, rsvp_id: int, minutes: int, due_at: str) -> None:
    """Schedule (or re-arm, after the event moved) one reminder of one answer."""
    await conn.execute(
        """INSERT INTO reminders (rsvp_id, minutes, due_at) VALUES (?, ?, ?)
           ON CONFLICT (rsvp_id, minutes) DO UPDATE SET due_at = excluded.due_at,
               sent_at = CASE WHEN reminders.due_at = excluded.due_at THEN reminders.sent_at
                              ELSE NULL END""",
        (rsvp_id, minutes, due_at),
    )


async def drop_reminders(conn: aiosqlite.Connection, rsvp_id: int) -> None:
    await conn.execute("DELETE FROM reminders WHERE rsvp_id = ? AND sent_at IS NULL", (rsvp_id,))


async def drop_event_reminders(conn: aiosqlite.Connection, event_id: str) -> None:
    await conn.execute(
        """DELETE FROM reminders WHERE sent_at IS NULL
           AND rsvp_id IN (SELECT id FROM rsvps WHERE event_id = ?)""",
        (event_id,),
    )


async def due_reminders(conn: aiosqlite.Connection, now: str) -> list[tuple[int, int]]:
    """(rsvp id, minutes) of reminders due and not sent, oldest first."""
    async with conn.execute(
        """SELECT r.rsvp_id, r.minutes FROM reminders r
           JOIN rsvps v ON v.id = r.rsvp_id
           JOIN events e ON e.id = v.event_id AND e.deleted_at IS NULL
           WHERE r.sent_at IS NULL AND r.due_at <= ? AND v.seat = 'confirmed'
           ORDER BY r.due_at""",
        (now,),
    ) as cur:
        return [(int(a), int(b)) for a, b in await cur.fetchall()]


async def mark_reminder_sent(
    conn: aiosqlite.Connection, rsvp_id: int, minutes: int, at: str
) -> bool:
    cur = await conn.execute(
        "UPDATE reminders SET sent_at = ? WHERE rsvp_id = ? AND minutes = ? AND sent_at IS NULL",
        (at, rsvp_id, minutes),
    )
    return cur.rowcount == 1


async def record_alert(conn: aiosqlite.Connection, event_id: str, threshold: int) -> bool:
    cur = await conn.execute(
        "INSERT INTO event_alerts (event_id, threshold, at) VALUES (?, ?, ?) "
        "ON CONFLICT DO NOTHING",
        (event_id, threshold, utcnow()),
    )
    return cur.rowcount == 1
