"""The office's Excel list of an event's answers (``/export_rsvp``, ``thidua-bot export rsvp``).

One sheet, one row per person who answered: name, unit, position, phone and email (for the
office to call: the phone on the person's profile, else the one of the imported list; the email
of the list), group, answer, seat, time of the answer, place in the waitlist, note, check-in
code (only with a confirmed seat: the others' codes open no door) and time of arrival. Rows go
by seat (confirmed, waitlisted in their order, pending, then those without a seat), then by
group in the event's order, then by name; after them, the invitees who have not answered yet
(whom the office calls). Times are local wall-clock times (``tz``); labels come from ``t`` (a
catalog key in the reader's language).
Every value people typed is written as text, never as a formula
(:func:`bot.documents.initiative_xlsx.put`).
"""

from __future__ import annotations

import io
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from zoneinfo import ZoneInfo

from openpyxl import Workbook

from bot.documents.initiative_xlsx import LOCAL_TZ, fill_sheet
from bot.domain.events import Answer, Event, Invitee, Rsvp, Seat, unanswered
from bot.domain.text import fold
from bot.i18n import N_

Translate = Callable[[str], str]

ANSWER_KEYS: dict[Answer, str] = {
    Answer.YES: N_("stats.answer.yes"),
    Answer.NO: N_("stats.answer.no"),
    Answer.MAYBE: N_("stats.answer.maybe"),
}
SEAT_KEYS: dict[Seat, str] = {
    Seat.CONFIRMED: N_("stats.seat.confirmed"),
    Seat.WAITLISTED: N_("stats.seat.waitlisted"),
    Seat.PENDING: N_("stats.seat.pending"),
    Seat.NONE: N_("stats.seat.none"),
}
SEAT_ORDER = (Seat.CONFIRMED, Seat.WAITLISTED, Seat.PENDING, Seat.NONE)
HEADERS = (
    N_("export_rsvp.col.full_name"),
    N_("export_rsvp.col.unit"),
    N_("export_rsvp.col.position"),
    N_("export_rsvp.col.phone"),
    N_("export_rsvp.col.email"),
    N_("export_rsvp.col.group"),
    N_("export_rsvp.col.answer"),
    N_("export_rsvp.col.seat"),
    N_("export_rsvp.col.answered_at"),
    N_("export_rsvp.col.waitlist"),
    N_("export_rsvp.col.note"),
    N_("export_rsvp.col.code"),
    N_("export_rsvp.col.checked_in_at"),
)
# Column kinds, in the order of HEADERS.
KINDS = ("text",) * 8 + ("datetime", "number", "text", "text", "datetime")


def waitlist_positions(rsvps: Sequence[Rsvp]) -> dict[int, int]:
    """Rsvp id -> place in the waitlist (1 first): by time of the "yes", ties in the given
    order (the service lists the waitlist in its order)."""
    waiting = [r for r in rsvps if r.seat is Seat.WAITLISTED]
    waiting.sort(key=lambda r: r.queued_at or r.answered_at)
    return {r.id: place for place, r in enumerate(waiting, start=1)}


def export_rsvp(
    event: Event,
    rsvps: Sequence[Rsvp],
    t: Translate,
    tz: ZoneInfo = LOCAL_TZ,
    invitees: Sequence[Invitee] = (),
    phones: Mapping[int, str] | None = None,
) -> bytes:
    """The workbook as .xlsx bytes (``invitees``: the event's invitation list, whose people
    without an answer come last; ``phones``: the profile's phone of those who answered, by
    user id)."""
    phones = phones or {}
    by_id = {i.id: i for i in invitees}
    by_user = {i.user_id: i for i in invitees if i.user_id is not None}

    def invitee_of(r: Rsvp) -> Invitee | None:
        found = by_id.get(r.invitee_id) if r.invitee_id is not None else None
        return found or by_user.get(r.user_id)

    positions = waitlist_positions(rsvps)
    group_order = {g.id: index for index, g in enumerate(event.groups)}

    def order(r: Rsvp) -> tuple[int, int, int, str]:
        return (
            SEAT_ORDER.index(r.seat),
            positions.get(r.id, 0),
            group_order.get(r.group_id or "", len(group_order)),
            fold(r.full_name),
        )

    rows: list[list[object]] = []

    def group_name(group_id: str | None) -> str:  # a group no longer in the event: its id
        group = event.group(group_id)
        return group.name if group is not None else (group_id or "")

    for r in sorted(rsvps, key=order):
        invitee = invitee_of(r)
        rows.append(
            [
                r.full_name,
                r.unit,
                r.position,
                phones.get(r.user_id) or (invitee.phone if invitee else ""),
                invitee.email if invitee else "",
                group_name(r.group_id),
                t(ANSWER_KEYS[r.answer]),
                t(SEAT_KEYS[r.seat]),
                _local(r.answered_at, tz),
                positions.get(r.id),
                r.note,
                r.checkin_code if r.seat is Seat.CONFIRMED else None,
                _local(r.checked_in_at, tz),
            ]
        )
    waiting = unanswered(rsvps, invitees)
    waiting.sort(
        key=lambda i: (group_order.get(i.group_id or "", len(group_order)), fold(i.full_name))
    )
    for invitee in waiting:
        rows.append(
            [
                invitee.full_name,
                invitee.unit,
                invitee.position,
                invitee.phone,
                invitee.email,
                group_name(invitee.group_id),
                t(N_("export_rsvp.not_answered")),
                *([None] * 6),
            ]
        )

    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    fill_sheet(sheet, t(N_("export_rsvp.sheet")), [t(key) for key in HEADERS], KINDS, rows)

    workbook.properties.creator = "thidua-bot"
    workbook.properties.title = event.title
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _local(moment: datetime | None, tz: ZoneInfo) -> datetime | None:
    """Excel has no time zones: the local wall-clock time, without its zone."""
    if moment is None:
        return None
    if moment.tzinfo is not None:
        moment = moment.astimezone(tz)
    return moment.replace(tzinfo=None)
