"""Conference attendance: events, invitations, answers with seats and a waitlist, reminders,
check-in and figures.

Seat allocation is one write transaction (``BEGIN IMMEDIATE``: the write lock is taken before
anything is read), so concurrent answers never oversubscribe: each one counts the confirmed
seats, decides, writes and, when a seat was freed, promotes the first waitlisted people who fit,
before the next answer is looked at.

The notifications a change causes (promotions, the office's capacity alerts, a new time or
place, the office's decision, reminders) are queued in the outbox in the same transaction, by
the :class:`~bot.services.broadcasts.Notify` the caller passes (``notify=``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib import resources
from typing import Any
from zoneinfo import ZoneInfo

import aiosqlite
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from bot.domain import events as rules
from bot.domain.events import Answer, Event, Invitee, Rsvp, Seat
from bot.domain.models import User
from bot.domain.profile import InvalidInput
from bot.domain.text import clean, unaccent
from bot.services.broadcasts import Notify
from bot.services.flows import KEEP, FlowService, StepRef
from storage import Database
from storage import events as sql

FLOW = "rsvp"


class EventError(Exception):
    """A request refused; ``code`` is the catalog key of the message (``rsvp.*``)."""

    def __init__(self, code: str, **params: object) -> None:
        super().__init__(code)
        self.code = code
        self.params = params


class Details(BaseModel):
    """Who attends: from the invitation or the profile, confirmed by the person."""

    model_config = ConfigDict(frozen=True)

    full_name: str = Field(min_length=1, max_length=120)
    unit: str = Field(default="", max_length=200)
    position: str = Field(default="", max_length=120)
    group_id: str | None = None
    note: str = Field(default="", max_length=rules.NOTE_MAX)


class InviteeRow(BaseModel):
    """One line of an invitee list (.xlsx/.csv)."""

    model_config = ConfigDict(frozen=True)

    full_name: str = Field(min_length=2, max_length=120)
    unit: str = Field(default="", max_length=200)
    position: str = Field(default="", max_length=120)
    group: str = Field(default="", max_length=300)  # a group id or name of the event
    phone: str = Field(default="", max_length=30)
    email: str = Field(default="", max_length=200)


@dataclass(frozen=True)
class Answered:
    rsvp: Rsvp
    previous: Seat | None
    promoted: list[Rsvp] = field(default_factory=list)  # waitlisted people who got a seat
    alerts: list[int] = field(default_factory=list)  # capacity thresholds just crossed (%)
    confirmed: int = 0


@dataclass(frozen=True)
class Released:
    """A seat given up by a person who erased their data, and who got it from the waitlist."""

    event: Event
    promoted: list[Rsvp] = field(default_factory=list)


@dataclass(frozen=True)
class Saved:
    event: Event
    created: bool
    moved: bool  # the time or the place changed: those with a seat, waiting or unsure are told
    affected: list[Rsvp] = field(default_factory=list)
    before: Event | None = None  # as it was (None: created)


@dataclass(frozen=True)
class DueReminder:
    """The reminders of one person due at once (the bot was down: several become one)."""

    event: Event
    rsvp: Rsvp
    minutes: tuple[int, ...]


@dataclass(frozen=True)
class Imported:
    added: list[Invitee]
    skipped: int  # already invited (same name and unit), nothing new
    errors: list[tuple[int, str]]  # (line, reason code)
    # Already invited, listed again with a new position, group, phone or email: updated.
    updated: int = 0
    # A group written otherwise than its id or whole name, as written → the group's id: the
    # office is shown how it was read.
    read_as: dict[str, str] = field(default_factory=dict)
    # A line naming the same person as an earlier line of the file (error "duplicate") → that
    # line.
    duplicate_of: dict[int, int] = field(default_factory=dict)
    # A group that is none of the event's (or several): the person is invited all the same,
    # without a group (line → the group as written); a corrected list sent again sets it.
    ungrouped: dict[int, str] = field(default_factory=dict)


@dataclass(frozen=True)
class CheckIn:
    rsvp: Rsvp
    first: bool  # False: already checked in (at rsvp.checked_in_at)
    checked_in: int
    confirmed: int


@dataclass(frozen=True)
class Stats:
    event: Event
    by_answer: dict[str, int]
    by_group: dict[str | None, dict[str, int]]  # group -> seat -> count
    confirmed: int
    waitlisted: int
    pending: int
    seats_left: int
    checked_in: int
    invited: int = 0  # on the list of invitees
    unanswered: int = 0  # of them, no answer yet (by their code or their account)


def load_event_file(text: str) -> list[Event]:
    """Events from YAML: one mapping, or a list of them, or ``{events: [...]}``."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ValueError(f"YAML: {exc}") from exc
    if isinstance(data, dict) and "events" in data:
        data = data["events"]
    items = data if isinstance(data, list) else [data]
    events = []
    for index, item in enumerate(items, start=1):
        try:
            events.append(Event.model_validate(item))
        except ValidationError as exc:
            error = exc.errors()[0]
            where = ".".join(str(p) for p in error.get("loc", ()))
            raise ValueError(f"event {index}: {where}: {error.get('msg')}") from exc
    return events


def dump_events(events: Iterable[Event]) -> str:
    data = [event.model_dump(mode="json", exclude_none=True) for event in events]
    return yaml.safe_dump({"events": data}, allow_unicode=True, sort_keys=False, width=100)


class EventService:
    def __init__(
        self,
        db: Database,
        flows: FlowService,
        *,
        tz: ZoneInfo,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        self.db = db
        self.flows = flows
        self.tz = tz
        self.clock = clock or (lambda: datetime.now(UTC))

    def now(self) -> datetime:
        return self.clock().astimezone(UTC)

    # --- events -------------------------------------------------------------------------------

    async def ensure_seeded(self) -> None:
        """The events shipped in ``bot/data/events`` on a database that has none yet."""
        async with self.db.transaction() as conn:
            if await sql.count_events(conn):
                return
            folder = resources.files("bot.data").joinpath("events")
            for entry in sorted(folder.iterdir(), key=lambda e: e.name):
                if entry.name.endswith(".yaml"):
                    for event in load_event_file(entry.read_text(encoding="utf-8")):
                        await sql.put_event(conn, event)

    async def events(self) -> list[Event]:
        async with self.db.read() as conn:
            return await sql.list_events(conn)

    async def listed(self) -> list[Event]:
        """Every event in the order of the office's lists (:func:`rules.office_order`)."""
        return rules.office_order(await self.events(), self.now())

    async def get(self, event_id: str) -> Event | None:
        async with self.db.read() as conn:
            return await sql.get_event(conn, event_id)

    async def save(
        self,
        event: Event,
        *,
        ref: StepRef | None = None,
        notify: Notify[Saved] | None = None,
        conversation: str = FLOW,
        state: object | None = KEEP,
    ) -> Saved:
        """Create or replace an event. When its time or place changes, reminders are
        re-armed and the people with a seat or waiting are returned; ``notify`` queues what
        they are told in the same transaction. ``conversation``/``state`` move the editor's
        flow with it."""
        if ref is None:
            async with self.db.transaction() as conn:
                return await self._saved(conn, event, notify)
        async with self.flows.step(ref, conversation, state) as step:
            return await self._saved(step.conn, event, notify)

    async def _saved(
        self, conn: aiosqlite.Connection, event: Event, notify: Notify[Saved] | None
    ) -> Saved:
        saved = await self._save(conn, event)
        if notify is not None and saved.moved and saved.affected:
            await notify(conn, saved)
        return saved

    async def _save(self, conn: aiosqlite.Connection, event: Event) -> Saved:
        before = await sql.get_event(conn, event.id, deleted=True)
        await sql.put_event(conn, event)
        created = before is None
        moved = before is not None and (
            before.starts_at != event.starts_at
            or before.duration_minutes != event.duration_minutes
            or before.venue != event.venue
            or before.address != event.address
            or before.map_url != event.map_url
        )
        affected: list[Rsvp] = []
        if before is not None:
            await self._rearm(conn, event)
            if moved:
                affected = [r for r in await sql.rsvps(conn, event.id) if rules.told_of_a_move(r)]
        return Saved(event, created, moved, affected, before)

    async def delete(self, event_id: str) -> bool:
        async with self.db.transaction() as conn:
            return await sql.delete_event(conn, event_id)

    async def _rearm(self, conn: aiosqlite.Connection, event: Event) -> None:
        await sql.drop_event_reminders(conn, event.id)
        for rsvp in await sql.rsvps(conn, event.id, [Seat.CONFIRMED]):
            await self._arm(conn, event, rsvp.id)

    async def _arm(self, conn: aiosqlite.Connection, event: Event, rsvp_id: int) -> None:
        now = self.now()
        for minutes, when in rules.reminder_times(event):
            if when > now:
                await sql.arm_reminder(conn, rsvp_id, minutes, _iso(when))

    # --- invitations --------------------------------------------------------------------------

    async def invite(self, event_id: str, rows: Iterable[InviteeRow | dict[str, Any]]) -> Imported:
        """Add invitees, each with a new personal code. Lines with errors are reported and
        skipped; a person already invited (same name and unit, :func:`rules.same_spelling`:
        also typed without accents) keeps their code, and takes the line's position, group,
        phone and email where it gives them (a corrected list sent again); the same person on
        two lines of one file is an error of the second ("duplicate"). A group that is none of
        the event's is no error: the person is invited without one (``Imported.ungrouped``)."""
        added: list[Invitee] = []
        errors: list[tuple[int, str]] = []
        read_as: dict[str, str] = {}
        duplicate_of: dict[int, int] = {}
        ungrouped: dict[int, str] = {}
        skipped = updated = 0
        async with self.db.transaction() as conn:
            event = await sql.get_event(conn, event_id)
            if event is None:
                raise EventError("rsvp.event_gone")
            known: dict[tuple[str, str], list[Invitee]] = {}
            for invitee in await sql.invitees(conn, event.id):
                known.setdefault(rules.person_key(invitee.full_name, invitee.unit), []).append(
                    invitee
                )
            in_file: dict[tuple[str, str], list[tuple[int, str, str]]] = {}
            for line, raw in enumerate(rows, start=2):  # line 1: the header
                try:
                    row = raw if isinstance(raw, InviteeRow) else InviteeRow.model_validate(raw)
                except ValidationError:
                    errors.append((line, "invalid"))
                    continue
                group_id = None
                if row.group:
                    named = event.find_group(row.group)
                    if named.group is None:
                        ungrouped[line] = clean(row.group)  # invited; the group is to fix
                    else:
                        group_id = named.group.id
                        if not named.exact:
                            read_as[clean(row.group)] = group_id
                full_name, unit = clean(row.full_name), clean(row.unit)
                key = rules.person_key(full_name, unit)
                earlier = next(
                    (
                        number
                        for number, name, place in in_file.get(key, ())
                        if rules.same_person(name, place, full_name, unit)
                    ),
                    None,
                )
                if earlier is not None:
                    errors.append((line, "duplicate"))
                    duplicate_of[line] = earlier
                    continue
                in_file.setdefault(key, []).append((line, full_name, unit))
                existing = _invited(known.get(key, ()), full_name, unit)
                # Their spelling stays, unless this line gives accents it had not.
                if existing is not None and not (
                    _accented(full_name, existing.full_name) or _accented(unit, existing.unit)
                ):
                    full_name, unit = existing.full_name, existing.unit
                person = sql.Person(
                    full_name=full_name,
                    unit=unit,
                    position=clean(row.position),
                    group_id=group_id,
                    phone=clean(row.phone),
                    email=clean(row.email),
                )
                if existing is not None:
                    if await sql.refresh_invitee(conn, existing, person):
                        updated += 1
                        # As now written: «Nguyễn Văn Hưng» on a later line is someone else
                        # than the «nguyen van hung» just given the accents of «Hùng».
                        renamed = existing.model_copy(update={"full_name": full_name, "unit": unit})
                        known[key] = [renamed if i is existing else i for i in known[key]]
                    else:
                        skipped += 1
                    continue
                code = await self._new_code(conn)
                invitee_id = await sql.add_invitee(conn, event.id, code, person)
                found = await sql.invitee(conn, invitee_id) if invitee_id is not None else None
                assert found is not None  # every invitee of the event is in ``known``
                added.append(found)
        for line in [line for line, _ in errors if line in ungrouped]:
            del ungrouped[line]  # not invited after all (a duplicate): its error says so
        return Imported(
            added,
            skipped,
            errors,
            updated=updated,
            read_as=read_as,
            duplicate_of=duplicate_of,
            ungrouped=ungrouped,
        )

    async def _new_code(self, conn: aiosqlite.Connection) -> str:
        while True:
            code = rules.new_code()
            if not await sql.code_exists(conn, code):
                return code

    async def invitees(self, event_id: str) -> list[Invitee]:
        async with self.db.read() as conn:
            return await sql.invitees(conn, event_id)

    async def redeem(
        self,
        ref: StepRef,
        user: User,
        text: str,
        *,
        state_if_open: object = KEEP,
        state_if_closed: object = KEEP,
    ) -> tuple[Event, Invitee]:
        """Open an invitation by its code: bind it to this account (the first to redeem it).
        The person's conversation moves in the same transaction: to ``state_if_open`` while the
        event takes answers from them, else to ``state_if_closed`` (``KEEP``: it stays where it
        is); after check-in at the door their answer is final."""
        code = rules.normalise_code(text)
        if code is None:
            raise EventError("rsvp.code_invalid")
        async with self.flows.step(ref, FLOW) as step:
            found = await sql.invitee_by_code(step.conn, code)
            if found is None:
                raise EventError("rsvp.code_unknown")
            event = await sql.get_event(step.conn, found.event_id)
            if event is None:
                raise EventError("rsvp.event_gone")
            if found.user_id is not None and found.user_id != user.user_id:
                raise EventError("rsvp.code_used")
            if event.ends_at < self.now():
                raise EventError("rsvp.code_expired")
            await sql.bind_invitee(step.conn, found.id, user.user_id)
            bound = await sql.invitee(step.conn, found.id)
            answered = await sql.rsvp_of(step.conn, event.id, user.user_id)
            final = answered is not None and answered.checked_in_at is not None
            open_ = event.open_for_answers(self.now()) and not final
            step.state = state_if_open if open_ else state_if_closed
        assert bound is not None
        return event, bound

    async def invitation_of(self, event_id: str, user_id: int) -> Invitee | None:
        async with self.db.read() as conn:
            return await sql.invitee_of_user(conn, event_id, user_id)

    # --- answers ------------------------------------------------------------------------------

    async def answer(
        self,
        ref: StepRef,
        user: User,
        event_id: str,
        answer: Answer,
        details: Details | None = None,
        *,
        conversation: str = FLOW,
        state: object | None = None,
        notify: Notify[Answered] | None = None,
    ) -> Answered:
        """Record the person's answer and give or free a seat (one write transaction that
        takes the write lock first). ``conversation``/``state`` move their flow with it;
        ``notify`` queues the notifications (promotions, capacity alerts) in it too."""
        async with self.flows.step(ref, conversation, state) as step:
            conn = step.conn
            event = await sql.get_event(conn, event_id)
            if event is None:
                raise EventError("rsvp.event_gone")
            now = self.now()
            if not event.open_for_answers(now):
                raise EventError("rsvp.deadline_passed")
            invitee = await sql.invitee_of_user(conn, event_id, user.user_id)
            if event.mode == "invitation" and invitee is None:
                raise EventError("rsvp.invitation_only")
            existing = await sql.rsvp_of(conn, event_id, user.user_id)
            if existing is not None and existing.checked_in_at is not None:
                raise EventError("rsvp.checked_in_final")  # they came: the answer is history
            who = details or _details_of(user, invitee, existing)
            if who.group_id is not None and event.group(who.group_id) is None:
                raise InvalidInput("group_unknown")
            counts = await sql.confirmed_by_group(conn, event_id)
            total_before = sum(counts.values())
            previous = existing.seat if existing else None
            if previous is Seat.CONFIRMED and existing is not None:
                counts[existing.group_id] = counts.get(existing.group_id, 1) - 1
            values: dict[str, Any] = {
                "answer": answer.value,
                "full_name": clean(who.full_name),
                "unit": clean(who.unit),
                "position": clean(who.position),
                "group_id": who.group_id,
                "note": clean(who.note),
                "answered_at": _iso(now),
                "invitee_id": invitee.id if invitee else None,
            }
            seat: Seat
            if answer is Answer.YES:
                if previous in (Seat.CONFIRMED, Seat.WAITLISTED, Seat.PENDING):
                    seat = previous  # keeps the seat (even if the group changed) or the line
                elif event.mode == "open" and event.approval and invitee is None:
                    seat = Seat.PENDING
                elif rules.seat_available(event, counts, who.group_id):
                    seat = Seat.CONFIRMED
                else:
                    seat = Seat.WAITLISTED
                if seat is Seat.WAITLISTED and previous is not Seat.WAITLISTED:
                    values["queued_at"] = _iso(now)
                    values["queue_seq"] = await sql.next_queue_seq(conn, event_id)
            else:
                seat = Seat.NONE
                values["queued_at"] = None
            values["seat"] = seat.value
            if existing is None:
                values.update(event_id=event_id, user_id=user.user_id)
                values["checkin_code"] = await self._new_code(conn)
                rsvp_id = await sql.insert_rsvp(conn, values)
            else:
                rsvp_id = existing.id
                await sql.update_rsvp(conn, rsvp_id, values)
            if seat is Seat.CONFIRMED:
                counts[who.group_id] = counts.get(who.group_id, 0) + 1
                await self._arm(conn, event, rsvp_id)
            else:
                await sql.drop_reminders(conn, rsvp_id)
            promoted = await self._promote(conn, event, counts)
            total_after = sum(counts.values())
            alerts = await self._alerts(conn, event, total_before, total_after)
            saved = await sql.rsvp(conn, rsvp_id)
            assert saved is not None
            answered = Answered(saved, previous, promoted, alerts, total_after)
            if notify is not None:
                await notify(conn, answered)
        return answered

    async def release_seats(
        self, conn: aiosqlite.Connection, user_id: int, notify: Notify[Released] | None = None
    ) -> None:
        """A person erasing their data (in that transaction, ``conn``, before their rows go):
        each seat they hold at an event not over yet goes to the waiting list, as if they had
        answered "no"; ``notify`` queues what the people promoted are told."""
        now = self.now()
        for rsvp in await sql.rsvps_of_user(conn, user_id):
            if rsvp.seat is not Seat.CONFIRMED:
                continue
            event = await sql.get_event(conn, rsvp.event_id)
            if event is None or event.ends_at <= now:
                continue
            await sql.update_rsvp(conn, rsvp.id, {"seat": Seat.NONE.value})
            await sql.drop_reminders(conn, rsvp.id)
            counts = await sql.confirmed_by_group(conn, event.id)
            promoted = await self._promote(conn, event, counts)
            if promoted and notify is not None:
                await notify(conn, Released(event, promoted))

    async def _promote(
        self, conn: aiosqlite.Connection, event: Event, counts: dict[str | None, int]
    ) -> list[Rsvp]:
        """Give free seats to the waitlist, in order (a reserved seat only to its group)."""
        promoted = []
        for waiting in await sql.waitlist(conn, event.id):
            if not rules.seat_available(event, counts, waiting.group_id):
                continue
            await sql.update_rsvp(conn, waiting.id, {"seat": Seat.CONFIRMED.value})
            counts[waiting.group_id] = counts.get(waiting.group_id, 0) + 1
            await self._arm(conn, event, waiting.id)
            moved = await sql.rsvp(conn, waiting.id)
            assert moved is not None
            promoted.append(moved)
        return promoted

    async def _alerts(
        self, conn: aiosqlite.Connection, event: Event, before: int, after: int
    ) -> list[int]:
        crossed = rules.crossed_thresholds(event.capacity, before, after)
        return [t for t in crossed if await sql.record_alert(conn, event.id, t)]

    async def decide(
        self,
        ref: StepRef,
        actor: User,
        rsvp_id: int,
        approve: bool,
        *,
        notify: Notify[Answered] | None = None,
    ) -> Answered:
        """The office approves (a seat, or the waitlist) or declines a pending request;
        ``notify`` queues what the person (and the office) are told in the same transaction."""
        if not actor.is_admin:
            raise EventError("rsvp.denied")
        async with self.flows.step(ref, FLOW) as step:
            conn = step.conn
            found = await sql.rsvp(conn, rsvp_id)
            if found is None or found.seat is not Seat.PENDING:
                raise EventError("rsvp.not_pending")
            event = await sql.get_event(conn, found.event_id)
            if event is None:
                raise EventError("rsvp.event_gone")
            counts = await sql.confirmed_by_group(conn, event.id)
            before = sum(counts.values())
            if not approve:
                await sql.update_rsvp(conn, rsvp_id, {"seat": Seat.NONE.value})
            elif rules.seat_available(event, counts, found.group_id):
                await sql.update_rsvp(conn, rsvp_id, {"seat": Seat.CONFIRMED.value})
                counts[found.group_id] = counts.get(found.group_id, 0) + 1
                await self._arm(conn, event, rsvp_id)
            else:
                await sql.update_rsvp(
                    conn,
                    rsvp_id,
                    {
                        "seat": Seat.WAITLISTED.value,
                        "queued_at": _iso(self.now()),
                        "queue_seq": await sql.next_queue_seq(conn, event.id),
                    },
                )
            alerts = await self._alerts(conn, event, before, sum(counts.values()))
            saved = await sql.rsvp(conn, rsvp_id)
            assert saved is not None
            answered = Answered(saved, Seat.PENDING, [], alerts, sum(counts.values()))
            if notify is not None:
                await notify(conn, answered)
        return answered

    async def rsvp_of(self, event_id: str, user_id: int) -> Rsvp | None:
        async with self.db.read() as conn:
            return await sql.rsvp_of(conn, event_id, user_id)

    async def mine(self, user_id: int) -> list[tuple[Event, Rsvp | None]]:
        """The person's events: those they answered and those they are invited to."""
        async with self.db.read() as conn:
            answered = {r.event_id: r for r in await sql.rsvps_of_user(conn, user_id)}
            out: list[tuple[Event, Rsvp | None]] = []
            for event in await sql.list_events(conn):
                invited = await sql.invitee_of_user(conn, event.id, user_id)
                if event.id in answered or invited is not None:
                    out.append((event, answered.get(event.id)))
        return out

    async def people(self, event_id: str) -> list[Rsvp]:
        async with self.db.read() as conn:
            return await sql.rsvps(conn, event_id)

    async def by_name(self, event_id: str, typed: str) -> list[Rsvp]:
        """The answers of ``event_id`` whose name is the one typed at the door (a delegate
        without their code): :func:`bot.domain.events.name_matches`."""
        return [r for r in await self.people(event_id) if rules.name_matches(typed, r.full_name)]

    async def phones(self, event_id: str) -> dict[int, str]:
        """The phones the people who answered gave on their profile, by user id (the office's
        list of answers; an invitee's phone from the imported list is on the invitee)."""
        async with self.db.read() as conn:
            return await sql.answer_phones(conn, event_id)

    # --- reminders ----------------------------------------------------------------------------

    async def queue_reminders(self, notify: Notify[list[DueReminder]]) -> list[DueReminder]:
        """Every reminder due now, in one transaction: marked sent, and its text queued in the
        outbox by ``notify`` (which delivers it, with retries). A crash can neither lose one
        nor send one twice, and a second run finds nothing left. Several reminders of one
        person due at once (the bot was down) become one message; those of an event that has
        already started, or of a delegate already checked in, are dropped (marked, not sent).
        Returns the reminders queued."""
        now = self.now()
        async with self.db.transaction() as conn:
            grouped: dict[int, tuple[Event, Rsvp, list[int]]] = {}
            for rsvp_id, minutes in await sql.due_reminders(conn, _iso(now)):
                found = grouped.get(rsvp_id)
                if found is None:
                    rsvp = await sql.rsvp(conn, rsvp_id)
                    event = await sql.get_event(conn, rsvp.event_id) if rsvp else None
                    if rsvp is None or event is None:
                        await sql.mark_reminder_sent(conn, rsvp_id, minutes, _iso(now))
                        continue
                    found = grouped[rsvp_id] = (event, rsvp, [])
                found[2].append(minutes)
                await sql.mark_reminder_sent(conn, rsvp_id, minutes, _iso(now))
            due = [  # not for an event already started, nor to a delegate already at the door
                DueReminder(event, rsvp, tuple(minutes))
                for event, rsvp, minutes in grouped.values()
                if event.starts_at > now and rsvp.checked_in_at is None
            ]
            if due:
                await notify(conn, due)
        return due

    # --- the door -----------------------------------------------------------------------------

    async def check_in(self, ref: StepRef, actor: User, event_id: str, text: str) -> CheckIn:
        """Check a delegate in by their code; a second time is refused with the first time."""
        if not actor.is_checker:
            raise EventError("rsvp.denied")
        code = rules.normalise_code(text)
        if code is None:
            raise EventError("rsvp.code_invalid")
        async with self.flows.step(ref, FLOW) as step:
            conn = step.conn
            event = await sql.get_event(conn, event_id)
            if event is None:
                raise EventError("rsvp.event_gone")
            if self.now() < event.checkin_opens_at:
                raise EventError("checkin.not_open", opens=event.checkin_opens_at)
            found = await sql.rsvp_by_checkin(conn, code)
            if found is None or found.event_id != event_id:
                raise EventError("rsvp.code_unknown")
            if found.seat is not Seat.CONFIRMED:
                raise EventError("rsvp.not_confirmed", seat=found.seat.value)
            first = await sql.check_in(conn, found.id, actor.user_id, _iso(self.now()))
            done, confirmed = await sql.headcount(conn, event_id)
            saved = await sql.rsvp(conn, found.id)
        assert saved is not None
        return CheckIn(saved, first, done, confirmed)

    async def stats(self, event_id: str) -> Stats:
        async with self.db.read() as conn:
            event = await sql.get_event(conn, event_id)
            if event is None:
                raise EventError("rsvp.event_gone")
            rows = await sql.rsvps(conn, event_id)
            invitees = await sql.invitees(conn, event_id)
            done, _ = await sql.headcount(conn, event_id)
        by_answer: dict[str, int] = {}
        by_group: dict[str | None, dict[str, int]] = {}
        for row in rows:
            by_answer[row.answer.value] = by_answer.get(row.answer.value, 0) + 1
            seats = by_group.setdefault(row.group_id, {})
            seats[row.seat.value] = seats.get(row.seat.value, 0) + 1
        confirmed = sum(1 for r in rows if r.seat is Seat.CONFIRMED)
        return Stats(
            event=event,
            by_answer=by_answer,
            by_group=by_group,
            confirmed=confirmed,
            waitlisted=sum(1 for r in rows if r.seat is Seat.WAITLISTED),
            pending=sum(1 for r in rows if r.seat is Seat.PENDING),
            seats_left=max(0, event.capacity - confirmed),
            checked_in=done,
            invited=len(invitees),
            unanswered=len(rules.unanswered(rows, invitees)),
        )


def _invited(candidates: Iterable[Invitee], full_name: str, unit: str) -> Invitee | None:
    """The invitee this name and unit are (:func:`rules.same_person`): the one written the
    same way first, as an older list may hold both spellings of one person."""
    same = [i for i in candidates if rules.same_person(i.full_name, i.unit, full_name, unit)]
    written = (full_name.casefold(), unit.casefold())
    exact = (i for i in same if (i.full_name.casefold(), i.unit.casefold()) == written)
    return next(exact, same[0] if same else None)


def _accented(new: str, old: str) -> bool:
    """``new`` has the accents ``old``, the same words typed without them, lacks."""
    return unaccent(old) == old.lower() and unaccent(new) != new.lower()


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="seconds")


def _details_of(user: User, invitee: Invitee | None, existing: Rsvp | None) -> Details:
    if existing is not None:
        return Details(
            full_name=existing.full_name,
            unit=existing.unit,
            position=existing.position,
            group_id=existing.group_id,
            note=existing.note,
        )
    if invitee is not None:
        return Details(
            full_name=invitee.full_name,
            unit=invitee.unit,
            position=invitee.position,
            group_id=invitee.group_id,
        )
    profile = user.profile
    return Details(
        full_name=profile.full_name or user.display_name,
        unit=profile.unit or "",
        position=profile.position or "",
    )
