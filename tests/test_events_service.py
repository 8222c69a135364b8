"""The attendance service on the real SQLite file: seats, waitlist, reserved group seats,
promotions, alerts, deadlines, codes, check-in, reminders with a controlled clock, and no
oversubscription under 100 concurrent answers on separate connections."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from bot.domain.events import Answer, Event, Group, Seat, normalise_code, seat_available
from bot.domain.models import Profile, User
from bot.services.broadcasts import BroadcastService
from bot.services.events import (
    Details,
    DueReminder,
    EventError,
    EventService,
    load_event_file,
)
from bot.services.flows import FlowService, FlowStates, StepRef
from storage import Database
from storage import flows as flow_sql
from storage import users as user_sql

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
_updates = iter(range(1, 10**9))


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def event(capacity: int = 10, groups: tuple[Group, ...] = (), **extra: Any) -> Event:
    values: dict[str, Any] = {
        "id": "hoi-nghi",
        "title": "Hội nghị tuyên dương",
        "organiser": "Sở KH&CN",
        "starts_at": NOW + timedelta(days=10),
        "duration_minutes": 240,
        "venue": "Hội trường Sở",
        "rsvp_deadline": NOW + timedelta(days=7),
        "capacity": capacity,
        "mode": "open",
        "groups": groups,
    }
    values.update(extra)
    return Event.model_validate(values)


async def open_service(path: Path, clock: Clock) -> tuple[Database, EventService]:
    db = Database(path)
    await db.open()
    return db, EventService(db, FlowService(db, FlowStates()), tz=UTC, clock=clock)  # type: ignore[arg-type]


async def person(db: Database, user_id: int) -> User:
    async with db.transaction() as conn:
        await user_sql.upsert_contact(conn, user_id, f"Người {user_id}", None, None, "vi")
    return User(user_id=user_id, profile=Profile(full_name=f"Người {user_id}", unit="Sở"))


def ref(user_id: int) -> StepRef:
    return StepRef(next(_updates), (user_id, user_id))


@pytest.fixture
def clock() -> Clock:
    return Clock(NOW)


async def test_hundred_concurrent_yes_for_the_last_ten_seats(tmp_path: Path, clock: Clock) -> None:
    path = tmp_path / "bot.sqlite3"
    db, service = await open_service(path, clock)
    await service.save(event(capacity=30))
    people = [await person(db, uid) for uid in range(1, 121)]
    for user in people[:20]:  # 20 seats taken: 10 left
        await service.answer(ref(user.user_id), user, "hoi-nghi", Answer.YES)
    await db.close()
    # 100 tasks, each on its own connection to the same file.
    services = [await open_service(path, clock) for _ in range(100)]

    async def say_yes(index: int) -> tuple[int, datetime]:
        _, svc = services[index]
        user = people[20 + index]
        result = await svc.answer(ref(user.user_id), user, "hoi-nghi", Answer.YES)
        return result.rsvp.id, result.rsvp.answered_at

    await asyncio.gather(*(say_yes(i) for i in range(100)))
    for database, _ in services:
        await database.close()
    db, service = await open_service(path, clock)
    rows = await service.people("hoi-nghi")
    confirmed = [r for r in rows if r.seat is Seat.CONFIRMED]
    waitlisted = [r for r in rows if r.seat is Seat.WAITLISTED]
    assert len(confirmed) == 30 and len(waitlisted) == 90
    # The waitlist is in the order the answers were applied (their row ids).
    line = await service.stats("hoi-nghi")
    assert line.waitlisted == 90 and line.seats_left == 0
    async with (
        db.read() as conn,
        conn.execute(
            "SELECT id FROM rsvps WHERE seat = 'waitlisted' ORDER BY queued_at, queue_seq"
        ) as cur,
    ):
        order = [row[0] for row in await cur.fetchall()]
    assert order == sorted(order)
    await db.close()


async def test_waitlist_promotion_reserved_seats_and_alerts(tmp_path: Path, clock: Clock) -> None:
    db, service = await open_service(tmp_path / "bot.sqlite3", clock)
    groups = (Group(id="vip", name="Lãnh đạo", reserved=2),)
    await service.save(event(capacity=4, groups=groups))
    from bot.services.events import Details

    users = [await person(db, uid) for uid in range(1, 8)]

    async def yes(user: User, group: str | None = None) -> Any:
        details = Details(full_name=f"Người {user.user_id}", group_id=group)
        return await service.answer(ref(user.user_id), user, "hoi-nghi", Answer.YES, details)

    first = await yes(users[0])
    second = await yes(users[1])
    assert first.rsvp.seat is Seat.CONFIRMED and second.alerts == [50]
    third = await yes(users[2])  # the 2 other seats are reserved for "vip"
    assert third.rsvp.seat is Seat.WAITLISTED
    vip = await yes(users[3], "vip")
    assert vip.rsvp.seat is Seat.CONFIRMED and vip.alerts == []  # 3/4 = 75 %
    vip2 = await yes(users[4], "vip")
    assert vip2.rsvp.seat is Seat.CONFIRMED and vip2.alerts == [80, 100]
    fourth = await yes(users[5])
    assert fourth.rsvp.seat is Seat.WAITLISTED
    # A general seat frees: the first in line (users[2]) gets it, users[5] keeps waiting.
    freed = await service.answer(ref(1), users[0], "hoi-nghi", Answer.NO)
    assert [p.user_id for p in freed.promoted] == [users[2].user_id]
    assert freed.alerts == []  # thresholds are told once
    # Answering yes again never jumps the line.
    again = await yes(users[5])
    assert again.rsvp.seat is Seat.WAITLISTED
    assert seat_available(event(capacity=4, groups=groups), {None: 2, "vip": 1}, None) is False
    await db.close()


async def test_deadline_deleted_event_and_invitation_only(tmp_path: Path, clock: Clock) -> None:
    db, service = await open_service(tmp_path / "bot.sqlite3", clock)
    await service.save(event(mode="invitation"))
    user = await person(db, 1)
    with pytest.raises(EventError) as exc:
        await service.answer(ref(1), user, "hoi-nghi", Answer.YES)
    assert exc.value.code == "rsvp.invitation_only"
    imported = await service.invite("hoi-nghi", [{"full_name": "Nguyễn Văn A", "unit": "Sở"}])
    code = imported.added[0].code
    ev, invitee = await service.redeem(ref(1), user, f"rsvp_{code.lower()}")
    assert invitee.user_id == 1 and ev.id == "hoi-nghi"
    other = await person(db, 2)
    with pytest.raises(EventError) as exc:
        await service.redeem(ref(2), other, code)
    assert exc.value.code == "rsvp.code_used"
    for bad, expected in (("xyz", "rsvp.code_invalid"), ("ABCDEFGH", "rsvp.code_unknown")):
        with pytest.raises(EventError) as exc:
            await service.redeem(ref(2), other, bad)
        assert exc.value.code == expected
    answered = await service.answer(ref(1), user, "hoi-nghi", Answer.YES)
    assert answered.rsvp.full_name == "Nguyễn Văn A"  # from the invitation
    clock.now = NOW + timedelta(days=8)  # after the deadline
    with pytest.raises(EventError) as exc:
        await service.answer(ref(1), user, "hoi-nghi", Answer.NO)
    assert exc.value.code == "rsvp.deadline_passed"
    assert (await service.rsvp_of("hoi-nghi", 1)).seat is Seat.CONFIRMED  # type: ignore[union-attr]
    await service.delete("hoi-nghi")
    with pytest.raises(EventError) as exc:
        await service.answer(ref(1), user, "hoi-nghi", Answer.NO)
    assert exc.value.code == "rsvp.event_gone"
    await db.close()


async def test_a_corrected_invitee_list_reaches_the_answers_already_given(
    tmp_path: Path, clock: Clock
) -> None:
    """The office sends the list again with a person's group and position corrected after they
    answered: their answer (stats, reserved seats, the lists) follows, and keeps its seat; a
    value the new line leaves as it was does not undo what the delegate chose themselves."""
    db, service = await open_service(tmp_path / "bot.sqlite3", clock)
    groups = (Group(id="vip", name="Lãnh đạo", reserved=2), Group(id="dv", name="Đơn vị"))
    await service.save(event(mode="invitation", groups=groups))
    rows = [
        {"full_name": "Nguyễn Văn A", "unit": "Sở", "position": "Phó phòng", "group": "dv"},
        {"full_name": "Trần Thị B", "unit": "Sở", "group": "dv"},
    ]
    imported = await service.invite("hoi-nghi", rows)
    a, b = await person(db, 1), await person(db, 2)
    for user, invited in zip((a, b), imported.added, strict=True):
        await service.redeem(ref(user.user_id), user, invited.code)
        await service.answer(ref(user.user_id), user, "hoi-nghi", Answer.YES)
    # B picks the other group herself while answering.
    await service.answer(
        ref(2), b, "hoi-nghi", Answer.YES, Details(full_name="Trần Thị B", group_id="vip")
    )
    rows[0] |= {"position": "Trưởng phòng", "group": "vip"}
    again = await service.invite("hoi-nghi", rows)
    assert (again.updated, again.skipped, again.added) == (1, 1, [])
    first = await service.rsvp_of("hoi-nghi", 1)
    second = await service.rsvp_of("hoi-nghi", 2)
    assert first is not None and second is not None
    assert (first.position, first.group_id, first.seat) == ("Trưởng phòng", "vip", Seat.CONFIRMED)
    assert second.group_id == "vip"  # her own choice: the line did not change her group
    stats = await service.stats("hoi-nghi")
    assert stats.by_group == {"vip": {"confirmed": 2}}
    # Only a phone changes: the answer's position and group stay as they are.
    rows[0] |= {"phone": "0912000111"}
    await service.answer(
        ref(1), a, "hoi-nghi", Answer.YES, Details(full_name="Nguyễn Văn A", group_id="dv")
    )
    assert (await service.invite("hoi-nghi", rows)).updated == 1
    first = await service.rsvp_of("hoi-nghi", 1)
    assert first is not None and (first.position, first.group_id) == ("", "dv")
    await db.close()


async def test_the_same_person_typed_without_accents_is_one_invitee(
    tmp_path: Path, clock: Clock
) -> None:
    """«nguyen van hung / ubnd tinh» is «Nguyễn Văn Hùng / UBND tỉnh»: in one file the second
    line is reported as a duplicate of the first; sent later, it is the person already invited
    (their code stays). «Nguyễn Văn Hưng» is someone else, though both fold alike; a list
    with accents gives them to a name imported without."""
    db, service = await open_service(tmp_path / "bot.sqlite3", clock)
    await service.save(event(mode="invitation"))
    rows = [
        {"full_name": "Nguyễn Văn Hùng", "unit": "UBND tỉnh", "position": "Phó Chủ tịch"},
        {"full_name": "Nguyễn Văn Hưng", "unit": "UBND tỉnh"},
        {"full_name": "nguyen van hung", "unit": "ubnd  tinh", "position": "PCT"},
        {"full_name": "tran thi lan", "unit": "so noi vu"},
    ]
    first = await service.invite("hoi-nghi", rows)
    assert [p.full_name for p in first.added] == [
        "Nguyễn Văn Hùng",
        "Nguyễn Văn Hưng",
        "tran thi lan",
    ]
    assert first.errors == [(4, "duplicate")] and first.duplicate_of == {4: 2}
    again = await service.invite(
        "hoi-nghi",
        [
            {"full_name": "NGUYEN VAN HUNG", "unit": "UBND tinh", "position": "PCT"},
            {"full_name": "Trần Thị Lan", "unit": "Sở Nội vụ"},
        ],
    )
    assert (again.added, again.errors, again.updated) == ([], [], 2)
    invitees = {p.full_name: p for p in await service.invitees("hoi-nghi")}
    assert set(invitees) == {"Nguyễn Văn Hùng", "Nguyễn Văn Hưng", "Trần Thị Lan"}
    assert invitees["Nguyễn Văn Hùng"].position == "PCT"
    assert invitees["Nguyễn Văn Hùng"].code == first.added[0].code
    assert (invitees["Trần Thị Lan"].unit, invitees["Trần Thị Lan"].code) == (
        "Sở Nội vụ",
        first.added[2].code,
    )
    # A list imported before this check may hold both spellings of one person: the line
    # goes to the one written as it is (never a rename onto the other).
    async with db.transaction() as conn:
        await conn.execute(
            """INSERT INTO invitees (event_id, code, full_name, unit, created_at)
               VALUES ('hoi-nghi', 'ZZZZ2222', 'le van nam', 'so', '2026-01-01T00:00:00+00:00'),
                      ('hoi-nghi', 'ZZZZ3333', 'Lê Văn Nam', 'Sở', '2026-01-01T00:00:00+00:00')"""
        )
    third = await service.invite("hoi-nghi", [{"full_name": "Lê Văn Nam", "unit": "Sở"}])
    assert (third.added, third.errors, third.updated, third.skipped) == ([], [], 0, 1)
    # Accents given to «tran van son», then «Trần Văn Sơn» and «Trần Văn Sờn» in one list:
    # the first is him, the second someone new (not a second rename of the same person).
    await service.invite("hoi-nghi", [{"full_name": "tran van son", "unit": "so"}])
    fourth = await service.invite(
        "hoi-nghi",
        [{"full_name": "Trần Văn Sơn", "unit": "Sở"}, {"full_name": "Trần Văn Sờn", "unit": "Sở"}],
    )
    assert fourth.updated == 1 and [p.full_name for p in fourth.added] == ["Trần Văn Sờn"]
    names = {p.full_name for p in await service.invitees("hoi-nghi")}
    assert {"Trần Văn Sơn", "Trần Văn Sờn"} <= names and "tran van son" not in names
    await db.close()


async def test_a_redeemed_code_and_the_conversation_move_together(
    tmp_path: Path, clock: Clock
) -> None:
    """Binding the code, recording the update and moving the person's conversation are one
    transaction: after it (a crash right then included) the person is at the answer step; a
    refused code moves nothing; after the deadline the conversation is left as asked."""
    db, service = await open_service(tmp_path / "bot.sqlite3", clock)
    await service.save(event(mode="invitation"))
    imported = await service.invite(
        "hoi-nghi", [{"full_name": "Nguyễn Văn A"}, {"full_name": "Trần Thị B"}]
    )
    first, second = (added.code for added in imported.added)
    user, other = await person(db, 1), await person(db, 2)

    async def saved_state(user_id: int) -> object:
        async with db.read() as conn:
            rows = await conn.execute_fetchall(
                "SELECT state FROM conversations WHERE name = 'rsvp' AND key = ?",
                (flow_sql.conversation_key((user_id, user_id)),),
            )
        found = list(rows)
        return json.loads(found[0][0]) if found else None

    step = ref(1)
    await service.redeem(step, user, first, state_if_open="answer", state_if_closed=None)
    assert await saved_state(1) == "answer"
    async with db.read() as conn:
        assert await flow_sql.is_processed(conn, step.update_id)
    with pytest.raises(EventError):
        await service.redeem(ref(2), other, first, state_if_open="answer")  # used
    assert await saved_state(2) is None
    clock.now = NOW + timedelta(days=8)  # no more answers: out of the flow, as asked
    await service.redeem(ref(2), other, second, state_if_open="answer", state_if_closed=None)
    assert await saved_state(2) is None
    await db.close()


async def test_reminders_follow_the_clock_and_the_event(tmp_path: Path, clock: Clock) -> None:
    path = tmp_path / "bot.sqlite3"
    db, service = await open_service(path, clock)

    async def due_now() -> list[tuple[int, ...]]:
        """Queue what is due (as the reminder job does); the minutes of each message."""

        async def texts(due: list[DueReminder]) -> list[tuple[int, str]]:
            return [(r.rsvp.user_id, f"nhắc {r.minutes}") for r in due]

        notify = BroadcastService(db).notices(texts)
        return [r.minutes for r in await service.queue_reminders(notify)]

    await service.save(event())
    user = await person(db, 1)
    await service.answer(ref(1), user, "hoi-nghi", Answer.YES)
    assert await due_now() == []
    clock.now = NOW + timedelta(days=9, minutes=1)  # one day before the start, and a minute
    assert await due_now() == [(1440,)]
    await db.close()
    db, service = await open_service(path, clock)  # a restart: rebuilt from the database
    assert await due_now() == []  # queued once
    # The event moves two days later: reminders are re-armed at the new times.
    moved = event(starts_at=NOW + timedelta(days=12), rsvp_deadline=NOW + timedelta(days=11))
    saved = await service.save(moved)
    assert saved.moved and [r.user_id for r in saved.affected] == [1]
    assert await due_now() == []
    clock.now = NOW + timedelta(days=11, minutes=1)
    assert await due_now() == [(1440,)]
    clock.now = NOW + timedelta(days=12) - timedelta(minutes=119)
    assert await due_now() == [(120,)]
    async with db.read() as conn:
        rows = await conn.execute_fetchall("SELECT user_id, text FROM outbox ORDER BY id")
    assert [tuple(row) for row in rows] == [(1, "nhắc (1440,)")] * 2 + [(1, "nhắc (120,)")]
    await db.close()


async def test_no_reminder_to_a_delegate_already_at_the_door(tmp_path: Path, clock: Clock) -> None:
    db, service = await open_service(tmp_path / "bot.sqlite3", clock)
    await service.save(event())
    checker = User(user_id=99, roles=frozenset({"checker"}))
    early, late = await person(db, 1), await person(db, 2)
    answers = [
        await service.answer(ref(u.user_id), u, "hoi-nghi", Answer.YES) for u in (early, late)
    ]
    starts = NOW + timedelta(days=10)
    clock.now = starts - timedelta(hours=3)
    await service.check_in(ref(99), checker, "hoi-nghi", answers[0].rsvp.checkin_code)
    clock.now = starts - timedelta(minutes=119)
    sent = await service.queue_reminders(BroadcastService(db).notices(_texts))
    assert [r.rsvp.user_id for r in sent] == [2]
    assert await service.queue_reminders(BroadcastService(db).notices(_texts)) == []
    await db.close()


async def _texts(due: list[DueReminder]) -> list[tuple[int, str]]:
    return [(r.rsvp.user_id, "nhắc") for r in due]


async def test_check_in_once_with_the_time_of_the_first(tmp_path: Path, clock: Clock) -> None:
    db, service = await open_service(tmp_path / "bot.sqlite3", clock)
    await service.save(event())
    user = await person(db, 1)
    answered = await service.answer(ref(1), user, "hoi-nghi", Answer.YES)
    checker = User(user_id=99, roles=frozenset({"checker"}))
    async with db.transaction() as conn:
        await user_sql.upsert_contact(conn, 99, "Checker", None, None, "vi")
    staff = User(user_id=98)
    try:
        with pytest.raises(EventError):
            await service.check_in(ref(98), staff, "hoi-nghi", answered.rsvp.checkin_code)
        # Ten days early: the door is not open yet (it opens a day before the start).
        with pytest.raises(EventError) as early:
            await service.check_in(ref(97), checker, "hoi-nghi", answered.rsvp.checkin_code)
        assert early.value.code == "checkin.not_open"
        assert early.value.params["opens"] == NOW + timedelta(days=9)
        door = clock.now = NOW + timedelta(days=10, minutes=-30)  # half an hour before
        first = await service.check_in(ref(99), checker, "hoi-nghi", answered.rsvp.checkin_code)
        assert first.first and (first.checked_in, first.confirmed) == (1, 1)
        clock.now = door + timedelta(minutes=5)
        second = await service.check_in(
            ref(96), checker, "hoi-nghi", answered.rsvp.checkin_code.lower()
        )
        assert not second.first and second.rsvp.checked_in_at == door
    finally:
        await db.close()


def test_codes_and_the_shipped_event() -> None:
    assert normalise_code("rsvp_abcd2345") == "ABCD2345"
    assert normalise_code("ABCD-2345") == "ABCD2345"
    assert normalise_code("ABCD0345") is None  # 0 is not in the alphabet
    events = load_event_file(
        (
            Path(__file__).resolve().parents[1] / "bot/data/events/hoi-nghi-tuyen-duong-2025.yaml"
        ).read_text(encoding="utf-8")
    )
    assert events[0].capacity == 60 and len(events[0].groups) == 6 and len(events[0].agenda) == 7


async def test_promotions_and_alerts_are_queued_in_the_answers_transaction(
    tmp_path: Path, clock: Clock
) -> None:
    """The notifications an answer causes are outbox rows written with the answer: an answer
    refused (or a transaction failing after they were written) leaves none; a saved one leaves
    exactly its own, the office chat (a group, no user row) included."""
    from bot.services.broadcasts import BroadcastService, Notice, Notify, Queued
    from bot.services.events import Answered

    db, service = await open_service(tmp_path / "bot.sqlite3", clock)
    broadcasts = BroadcastService(db)
    await service.save(event(capacity=1))
    first, second = [await person(db, uid) for uid in (1, 2)]

    async def texts(answered: Answered) -> list[Notice]:
        told: list[Notice] = [(p.user_id, f"seat for {p.user_id}") for p in answered.promoted]
        alerts = answered.alerts
        return told + ([(-100777, f"alert {max(alerts)}")] if alerts else [])

    async def outbox() -> list[tuple[int, str]]:
        async with (
            db.read() as conn,
            conn.execute("SELECT user_id, text FROM outbox ORDER BY id") as cur,
        ):
            return [(int(r[0]), str(r[1])) for r in await cur.fetchall()]

    notify: Notify[Answered] = broadcasts.notices(texts)
    await service.answer(ref(1), first, "hoi-nghi", Answer.YES, notify=notify)
    assert await outbox() == [(-100777, "alert 100")]  # the group: by its chat id
    await service.answer(ref(2), second, "hoi-nghi", Answer.YES, notify=broadcasts.notices(texts))

    class Failing(Notify[Answered]):
        async def __call__(self, conn: Any, outcome: Answered) -> Queued:
            await super().__call__(conn, outcome)
            raise RuntimeError("the commit fails")

    failing = Failing(texts, actor_id=None, clock=broadcasts._iso)
    with pytest.raises(RuntimeError):
        await service.answer(ref(1), first, "hoi-nghi", Answer.NO, notify=failing)
    assert failing.queued.chats == (2,)  # written, then rolled back with the answer
    assert await outbox() == [(-100777, "alert 100")]
    waiting = await service.rsvp_of("hoi-nghi", 2)
    assert waiting is not None and waiting.seat is Seat.WAITLISTED  # nothing changed
    clock.now = NOW + timedelta(days=8)  # past the deadline: refused, nothing queued
    with pytest.raises(EventError):
        await service.answer(ref(1), first, "hoi-nghi", Answer.NO, notify=notify)
    clock.now = NOW
    notify = broadcasts.notices(texts)
    freed = await service.answer(ref(1), first, "hoi-nghi", Answer.NO, notify=notify)
    assert [p.user_id for p in freed.promoted] == [2] and notify.queued.chats == (2,)
    assert await outbox() == [(-100777, "alert 100"), (2, "seat for 2")]
    await db.close()
