"""Conference attendance, the delegate's side: invitations, answers, seats, reminders.

A persistent conversation (``rsvp``, the flow of :mod:`bot.services.events`):

* ``/start rsvp_<code>`` (the invitation's deep link or QR code) binds the code to this account
  (:meth:`EventService.redeem`) and shows the invitation: title, organiser, time in the bot's
  time zone ("08:00, thứ Sáu, 20/06/2025"), duration, venue, address, map, deadline, note,
  agenda, the current answer, then Có / Không / Chưa chắc (state ``answer``). No registration
  is needed: the invitation says who is invited.
* "Có" asks to check the delegate's details (``details``: name, unit, position and the group,
  each editable: states ``full_name``, ``unit``, ``position``, ``group``), then an optional note
  (``note``); the answer is recorded and the conversation ends in one transaction
  (:meth:`EventService.answer` with ``state=None``). "Không" and "Chưa chắc" are recorded at once,
  except from a delegate with a seat: "Trả lại chỗ?" first (``release``; «không» keeps it), as
  the waiting list may take the seat for good.
* The answer step holds nobody: a question («có chỗ gửi xe không?»), thanks or ``/menu`` typed
  there ends it and is answered as outside any flow (nothing is half-typed at that step).
* The confirmation: a seat gives the check-in code, its QR image and an .ics calendar file;
  the waiting list gives the place in line; an open event with approval waits for the office.
* ``/my_events`` lists the person's events (invited or answered) with their answer; ``/events``
  the upcoming open events ("Đăng ký dự"). A list item opens the invitation screen again, with
  buttons to change the answer until the deadline, unless the person has checked in at the
  door (the answer is final then). (Both are entry points, so they also work from inside this
  conversation; they leave it.)

Every button has a typed form: its number or its label (see :mod:`bot.domain.choices`); right
after a list, a typed number or title opens that event (the list is kept by :data:`LIST_SCREEN`
in the person's ``user_data`` for :data:`LIST_TTL` seconds, so it survives a restart; any other
message ends that).

Callback data (at most 64 bytes: event ids are at most 48 characters):

* ``ev:a:<event id>:<y|n|m>:<version>`` an answer on an invitation screen; ``version`` is a short
  hash of the event as shown: if the office changed the event since, the press is refused and
  the screen shown again (nothing changed);
* ``ev:o:<event id>`` open an event from ``/my_events`` or ``/events``;
* ``ev:q:<event id>`` a seat's QR code and calendar file again, as the event is now (on the
  invitation screen of a person with a seat; typed: "4" at the answer, or its label or words
  such as "mã QR" after a screen without answer buttons, :data:`FILES_SCREEN`);
* ``menu:my_events``, ``menu:events`` the main menu's items (when the menu offers them);
* ``ev:ok``, ``ev:f:<field>`` confirm the details or edit one; ``ev:g:<group id>`` / ``ev:g:-``
  a delegate group / none of them; ``ev:k`` keep the current value; ``ev:skip`` no note;
* ``ev:r:y`` / ``ev:r:n`` give the seat up (the answer waiting is recorded) / keep it.

Notifications go through the durable outbox (:mod:`bot.services.broadcasts`), written in the
transaction of the change: the texts are built by framework-free callables given to the
service (:func:`promoted_notices`, :func:`office_alert_notices`, :func:`reminder_notices`; the
QR image and calendar file of a promoted person are sent directly, after the change, by
:func:`send_seat_files`). The person who answered gets their own confirmation at once
(:func:`send_confirmation`). The reminder job is :func:`send_reminders` (registered in
``bot.app``).
"""

from __future__ import annotations

import hashlib
import logging
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from telegram import InlineKeyboardMarkup, InputFile, Message, Update
from telegram.error import TelegramError
from telegram.ext import (
    BaseHandler,
    CallbackQueryHandler,
    CommandHandler,
    ConversationHandler,
    MessageHandler,
    filters,
)

from bot.documents import ics
from bot.documents.qr import qr_png
from bot.domain import events as rules
from bot.domain import profile as profile_rules
from bot.domain.choices import Choice, plain_answer, typed_number
from bot.domain.events import (
    Answer,
    Event,
    Invitee,
    Rsvp,
    Seat,
    asks_about_event,
    asks_about_the_meeting,
    reminder_times,
    roundabout_answer,
    says_cannot_come,
)
from bot.domain.intents import is_question
from bot.domain.models import User
from bot.domain.profile import InvalidInput
from bot.domain.text import clean, fold, shorten
from bot.i18n import N_, NP_, Safe, escape
from bot.services.broadcasts import Notice, Notify
from bot.services.container import Services
from bot.services.events import FLOW, Answered, Details, DueReminder, EventError
from bot.services.flows import KEEP
from bot.tg.broadcaster import wake_outbox
from bot.tg.context import BotContext
from bot.tg.screen import Option, Screen
from bot.tg.ui import acknowledge, keyboard, send
from handlers import office
from handlers.ask import leaves_screen, outside, side_question
from handlers.common import (
    ANSWER_TEXT,
    END,
    SEAT_FILES_BUTTON,
    TEXT,
    UNIT_WHICH,
    NotInFlow,
    ask_step,
    choice_of,
    current_state,
    end_unit_question,
    flow_fallbacks,
    hand_over,
    numbers_text,
    other_command,
    pick,
    ref,
    text_of,
    typed_unit,
    user_dict,
)
from handlers.menu import MenuChoice, show_menu

log = logging.getLogger(__name__)

PREFIX = "ev:"
ANSWER = "answer"
DETAILS = "details"
GROUP = "group"
NOTE = "note"
RELEASE = "release"  # a confirmed delegate answering "no" or "not sure": give the seat up?
TEXT_FIELDS = ("full_name", "unit", "position")
MEMORY = "rsvp"  # user_data: {"event": id, "v": version shown, "d": the details being checked}
LIST_TTL = 30 * 60  # seconds a list's typed numbers stay valid
# The events the last /my_events or /events list showed (``ev:o:<event id>``, its title).
LIST_SCREEN = Screen("rsvp_list", ttl=LIST_TTL)
# The "QR code and calendar file" button of an invitation screen without answer buttons (past
# the deadline, or checked in): its typed form, outside the conversation.
FILES_SCREEN = Screen("rsvp_files", ttl=LIST_TTL)
LIST_MAX = 20  # events in one list
MEETINGS_SHOWN = 2  # events whose facts answer «hội nghị ở đâu?» typed outside a flow
LABEL_MAX = 40  # characters of a title or a group name on a button
ANSWER_DATA = r"^ev:a:[a-z0-9][a-z0-9-]{1,47}:[ynm]:[0-9a-f]{6}$"
OPEN_DATA = r"^ev:o:[a-z0-9][a-z0-9-]{1,47}$"
FILES_DATA = rf"^{SEAT_FILES_BUTTON}$"
ANSWER_CODES = {"y": Answer.YES, "n": Answer.NO, "m": Answer.MAYBE}

WEEKDAYS = (
    N_("rsvp.weekday.mon"),
    N_("rsvp.weekday.tue"),
    N_("rsvp.weekday.wed"),
    N_("rsvp.weekday.thu"),
    N_("rsvp.weekday.fri"),
    N_("rsvp.weekday.sat"),
    N_("rsvp.weekday.sun"),
)
FIELD_LABELS = {
    "full_name": N_("rsvp.field.full_name"),
    "unit": N_("rsvp.field.unit"),
    "position": N_("rsvp.field.position"),
    "group": N_("rsvp.field.group"),
}
FIELD_PARSERS = {
    "full_name": profile_rules.parse_full_name,
    "unit": profile_rules.parse_unit,
    "position": profile_rules.parse_position,
}
STATUS_LABELS = {
    "none": N_("rsvp.status.none"),
    "confirmed": N_("rsvp.status.confirmed"),
    "waitlisted": N_("rsvp.status.waitlisted"),
    "pending": N_("rsvp.status.pending"),
    "declined": N_("rsvp.status.declined"),
    "no": N_("rsvp.status.no"),
    "maybe": N_("rsvp.status.maybe"),
}
# Typed forms of the buttons besides their labels (compared without accents or case).
# Typed answers to the invitation, folded. "vang" is «vâng» (yes), never «vắng» (absent: that
# one is typed "vang mat").
YES_ALIASES = (
    *("co", "yes", "y", "co tham du", "tham du", "se tham du", "tham gia", "se tham gia"),
    *("co di", "di", "du", "co mat", "vang", "dong y", "dang ky", "attend", "ok", "oke"),
    *("co toi se den", "toi se den", "se den", "co se den", "chac chan", "chac chan co"),
    *("sure", "of course", "i will be there", "i ll be there", "ill be there", "i will come"),
    *("i ll come", "count me in", "yes i will", "can attend", "can come", "i can come"),
    *("i can attend", "can make it", "i can make it", "will attend", "i will attend"),
    *("attending", "i m attending", "im attending", "coming", "i m coming", "im coming"),
    *("tham du duoc", "di duoc", "du duoc", "toi di duoc", "em di duoc", "co the tham du"),
    *("co chu", "duoc", "nhat tri", "xac nhan", "xac nhan tham du", "co nhe", "chac chan roi"),
)
NO_ALIASES = (
    *("khong", "ko", "k", "hok", "no", "n", "khong tham du", "khong du", "khong tham gia"),
    *("khong di", "ko di", "k di", "vang mat", "ban", "khong the tham du", "decline"),
    *("khong di duoc", "khong du duoc", "khong tham du duoc", "khong the di", "ban roi"),
    *("xin phep vang", "xin vang mat", "co viec ban", "co viec dot xuat", "ban viec"),
    *("xin phep khong tham du", "xin phep khong du", "xin phep khong di", "xin phep vang mat"),
    *("can t come", "cannot attend", "cannot come", "i can t", "sorry i can t", "can t make it"),
    *("i won t come", "not coming", "i m not coming", "i won t attend", "won t attend"),
    *("will not attend", "i will not attend", "no i will not attend", "not attending"),
    *("khong toi khong tham du", "toi khong tham du", "em khong tham du", "khong tham du a"),
    *("i won t be able to attend", "i will not be able to attend", "won t be able to attend"),
    *("not able to attend", "unable to attend", "i m unable to attend", "i can t attend"),
    *("can t attend", "no sorry", "sorry no", "unfortunately not", "unfortunately i can t"),
    *("i m busy", "im busy", "busy", "i have another meeting"),
    *("hong", "hong di", "hong di duoc", "ban hop", "co hop", "trung lich", "di cong tac"),
    *("chac khong di duoc", "chac khong di", "chac khong tham du duoc", "tu choi"),
)
MAYBE_ALIASES = (
    *("chua chac", "chua chac chan", "maybe", "khong chac", "co the", "co le", "chua biet"),
    *("khong biet", "chua ro", "chua quyet dinh", "de xem", "not sure"),
    *("chac la co", "chac co", "co le co", "probably", "perhaps", "might come"),
    *("chua chac tham du", "chua chac di", "chua chac di duoc", "chua biet co di khong"),
    *("i m not sure", "im not sure", "i am not sure", "not sure yet", "i don t know"),
    *("i don t know yet", "don t know yet", "dont know yet", "undecided", "not decided yet"),
    *("tentative", "tentatively", "maybe i will come", "i might come"),
)
FILES_ALIASES = (
    *("qr", "ma qr", "ma diem danh", "lich", "tep lich", "file lich", "ics", "calendar"),
    *("gui lai", "gui lai ma", "gui lai lich", "tai lich", "tai lai lich", "qr code"),
    *("calendar file", "the calendar file", "check in code", "checkin code", "my qr code"),
    *("my code", "ma check in", "ma checkin", "qr code and calendar file", "send the file"),
)
CONFIRM_ALIASES = ("ok", "dung", "dung roi", "xac nhan", "dong y", "co", "yes", "confirm")
# The details' items as people name them («đơn vị»; «đổi đơn vị», "edit name": the words
# after the verb, see handlers.common.pick).
FIELD_ALIASES = {
    "full_name": ("ten", "ho ten", "ho va ten", "name", "full name"),
    "unit": ("don vi", "don vi cong tac", "co quan", "noi cong tac", "unit", "organisation"),
    "position": ("chuc vu", "chuc danh", "position", "title", "job title"),
    "group": ("nhom", "doan", "thanh phan", "group", "delegation"),
}
KEEP_ALIASES = ("giu nguyen", "giu", "khong doi", "keep", "unchanged", "same")
SKIP_ALIASES = (
    *("bo qua", "khong", "khong co", "skip", "no", "none", "-", "khong co gi", "khong can"),
    *("khong can gi", "khong co luu y", "khong luu y gi", "nothing", "no thanks", "nope"),
)
# «Có» to "anything the organisers should know?": a yes, not the note itself.
NOTE_YES = frozenset({"co", "yes", "co a", "co chu", "ok", "dong y", "vang", "y"})
# "Trả lại chỗ?": only a clear yes gives the seat up; «không» keeps it.
RELEASE_ALIASES = (
    *("co", "yes", "dong y", "xac nhan", "tra cho", "tra lai", "confirm", "release"),
    *("tu choi", "khong di", "khong tham du", "khong di duoc", "vang mat", "huy cho"),
)
HOLD_ALIASES = (
    *("khong", "no", "giu", "giu cho", "giu lai", "thoi", "keep", "keep it", "tham gia"),
    *("van tham gia", "van di", "co di", "van tham du", "tham du", "doi y", "chua chac"),
)


# --- speaking to someone: this person, or another one in their language -----------------------


@dataclass(frozen=True)
class Voice:
    """The messages of one language (the person's own, or someone else's for a notice)."""

    services: Services
    locale: str

    def t(self, key: str, /, **params: object) -> str:
        return self.services.translator(self.locale, key, **params)


def _voice(context: BotContext) -> Voice:
    return Voice(context.services, context.locale)


async def _locale_of(services: Services, user_id: int) -> str:
    default = services.settings.default_language
    user = await services.users.get(user_id)
    return user.locale(default) if user is not None else default


def _short(text: str, limit: int = LABEL_MAX) -> str:
    return shorten(text, limit)


def when_text(voice: Voice, moment: datetime) -> str:
    """The time as "08:00, thứ Sáu, 20/06/2025", in the bot's time zone."""
    local = moment.astimezone(voice.services.settings.tz)
    return voice.t(
        "rsvp.when",
        time=local.strftime("%H:%M"),
        weekday=voice.t(WEEKDAYS[local.weekday()]),
        date=local.strftime("%d/%m/%Y"),
    )


def span_text(voice: Voice, minutes: int) -> str:
    """``1500`` → "1 ngày 1 giờ" / "1 day 1 hour"."""
    days, rest = divmod(minutes, 24 * 60)
    hours, mins = divmod(rest, 60)
    parts = []
    if days:
        parts.append(voice.t(NP_("rsvp.unit.days", "n"), n=days))
    if hours:
        parts.append(voice.t(NP_("rsvp.unit.hours", "n"), n=hours))
    if mins or not parts:
        parts.append(voice.t(NP_("rsvp.unit.minutes", "n"), n=mins))
    return " ".join(parts)


def _and(voice: Voice, items: Sequence[str]) -> str:
    if len(items) < 2:
        return "".join(items)
    return voice.t("rsvp.and", first=", ".join(items[:-1]), last=items[-1])


def _duration(voice: Voice, event: Event) -> str:
    tz = voice.services.settings.tz
    start, end = event.starts_at.astimezone(tz), event.ends_at.astimezone(tz)
    until = end.strftime("%H:%M") if end.date() == start.date() else end.strftime("%H:%M %d/%m")
    return voice.t("rsvp.duration", span=span_text(voice, event.duration_minutes), end=until)


def place_text(event: Event) -> str:
    return ics.location_of(event)


def version(event: Event) -> str:
    """A short fingerprint of the event as shown: a button of an older screen is refused."""
    return hashlib.sha256(event.model_dump_json().encode("utf-8")).hexdigest()[:6]


def _answer_data(event: Event, answer: Answer) -> str:
    letter = {Answer.YES: "y", Answer.NO: "n", Answer.MAYBE: "m"}[answer]
    return f"{PREFIX}a:{event.id}:{letter}:{version(event)}"


def status_key(rsvp: Rsvp | None) -> str:
    """The catalog key of the person's answer and seat, for lists."""
    if rsvp is None:
        return STATUS_LABELS["none"]
    if rsvp.answer is Answer.YES:
        seat = "declined" if rsvp.seat is Seat.NONE else rsvp.seat.value
        return STATUS_LABELS[seat]
    return STATUS_LABELS[rsvp.answer.value]


async def place_in_line(services: Services, rsvp: Rsvp) -> int:
    """1 for the first person on the waiting list."""
    waiting = [
        r.id for r in await services.events.people(rsvp.event_id) if r.seat is Seat.WAITLISTED
    ]
    return waiting.index(rsvp.id) + 1 if rsvp.id in waiting else len(waiting) + 1


# --- the invitation screen -------------------------------------------------------------------


async def _current(voice: Voice, rsvp: Rsvp | None) -> str:
    if rsvp is None:
        return voice.t("rsvp.current.none")
    if rsvp.answer is not Answer.YES:
        key = N_("rsvp.current.no") if rsvp.answer is Answer.NO else N_("rsvp.current.maybe")
        return voice.t(key)
    if rsvp.seat is Seat.CONFIRMED:
        return voice.t("rsvp.current.confirmed", code=rsvp.checkin_code)
    if rsvp.seat is Seat.WAITLISTED:
        return voice.t("rsvp.current.waitlisted", place=await place_in_line(voice.services, rsvp))
    if rsvp.seat is Seat.PENDING:
        return voice.t("rsvp.current.pending")
    return voice.t("rsvp.current.declined")


def event_blocks(voice: Voice, event: Event) -> list[str]:
    """What the invitation says about the event (HTML, every office-typed value escaped)."""
    lines = [
        voice.t(
            "rsvp.event_info",
            title=event.title,
            organiser=event.organiser,
            when=when_text(voice, event.starts_at),
            duration=_duration(voice, event),
            venue=event.venue,
        )
    ]
    if event.address:
        lines.append(voice.t("rsvp.address", address=event.address))
    if event.map_url:
        lines.append(voice.t("rsvp.map", url=event.map_url))
    lines.append(voice.t("rsvp.deadline", when=when_text(voice, event.rsvp_deadline)))
    blocks = ["\n".join(lines)]
    if event.note:
        blocks.append(voice.t("rsvp.event_note", note=event.note))
    if event.agenda:
        items = [
            f"• {escape(item.time)} – {escape(item.title)}"
            if item.time
            else f"• {escape(item.title)}"
            for item in event.agenda
        ]
        blocks.append(voice.t("rsvp.agenda") + "\n" + "\n".join(items))
    return blocks


async def show_invitation(
    update: Update,
    context: BotContext,
    event: Event,
    *,
    invitee: Invitee | None = None,
    rsvp: Rsvp | None = None,
) -> None:
    """Send the invitation screen: answer buttons until the deadline, then only the refusal."""
    voice = _voice(context)
    services = context.services
    user_id = context.user_id
    if invitee is None:
        invitee = await services.events.invitation_of(event.id, user_id)
    if rsvp is None:
        rsvp = await services.events.rsvp_of(event.id, user_id)
    if invitee is not None:
        head = voice.t("rsvp.heading_invited")
        who = f"<b>{escape(invitee.full_name)}</b>"
        if invitee.unit:
            who += f" – {escape(invitee.unit)}"
        head += "\n" + voice.t("rsvp.addressee", who=Safe(who))
    else:
        head = voice.t("rsvp.heading_open")
    blocks = [head, *event_blocks(voice, event), await _current(voice, rsvp)]
    closed = None
    if _checked_in(rsvp):
        closed = N_("rsvp.checked_in_final")
    elif not _answerable(context, event):
        closed = N_("rsvp.deadline_passed")
    if closed is not None:  # no answer buttons; a seat's QR code and calendar file, still
        blocks.append(voice.t(closed))
        row = _files_row(context, event, rsvp)
        await send(update, context, "\n\n".join(blocks), keyboard([row]) if row else None)
        assert context.user_data is not None
        # Typed right after: the files (if a seat), or an answer that can no longer be given
        # («không», "yes"): the reason again, not a question for the rules Q&A.
        late = Option(f"{PREFIX}late:{closed}", _late_answers(context), number=0)
        options = [_files_option(context, event)] if row else []
        FILES_SCREEN.remember(context.user_data, [*options, late])
        return
    if rsvp is None and (context.user is None or not context.user.registered):
        # Not registered, so never shown the notice of onboarding: what an answer keeps, why
        # and how to erase it (Nghị định 13/2023/NĐ-CP), before the first answer.
        blocks.append(voice.t("rsvp.privacy"))
    blocks.append(voice.t(N_("rsvp.ask") if rsvp is None else N_("rsvp.ask_change")))
    markup = _answer_markup(context, event, invitee, rsvp)
    await send(update, context, "\n\n".join(blocks), markup)


def _answerable(context: BotContext, event: Event) -> bool:
    return event.open_for_answers(context.services.events.now())


def _checked_in(rsvp: Rsvp | None) -> bool:
    """They came: their answer is final (the service refuses to change it)."""
    return rsvp is not None and rsvp.checked_in_at is not None


def _answer_markup(
    context: BotContext, event: Event, invitee: Invitee | None, rsvp: Rsvp | None
) -> InlineKeyboardMarkup:
    """Có / Không / Chưa chắc, and for a seat its QR code and calendar file again."""
    yes_key = N_("rsvp.btn.register") if invitee is None else N_("rsvp.btn.yes")
    buttons = (
        ("✅", yes_key, Answer.YES),
        ("❌", N_("rsvp.btn.no"), Answer.NO),
        ("🤔", N_("rsvp.btn.maybe"), Answer.MAYBE),
    )
    rows = []
    for icon, key, answer in buttons:
        label = context.t(key)
        if rsvp is not None and rsvp.answer is answer:  # their answer now: «… (đã chọn)»
            label = context.t("rsvp.btn.chosen", label=label)
        rows.append([(f"{icon} {label}", _answer_data(event, answer))])
    files = _files_row(context, event, rsvp)
    return keyboard([*rows, files] if files else rows)


def _has_seat(rsvp: Rsvp | None) -> bool:
    return rsvp is not None and rsvp.seat is Seat.CONFIRMED


def _files_row(context: BotContext, event: Event, rsvp: Rsvp | None) -> list[tuple[str, str]]:
    """The button that sends a seat's QR code and calendar file again (none without a seat)."""
    if not _has_seat(rsvp):
        return []
    return [("📎 " + context.t("rsvp.btn.files"), f"{PREFIX}q:{event.id}")]


def _late_answers(context: BotContext) -> tuple[str, ...]:
    """What an answer to the invitation is typed as: the buttons' labels and their words."""
    keys = ("rsvp.btn.yes", "rsvp.btn.no", "rsvp.btn.maybe")
    labels = tuple(label for key in keys for label in context.labels(key))
    return (*labels, *YES_ALIASES, *NO_ALIASES, *MAYBE_ALIASES)


def _files_option(context: BotContext, event: Event) -> Option:
    return Option(f"{PREFIX}q:{event.id}", (*context.labels("rsvp.btn.files"), *FILES_ALIASES))


def _answer_choices(context: BotContext, *, seat: bool = False) -> list[Choice]:
    """The answer buttons typed (their numbers, labels, words); ``seat``: also the 4th button,
    the QR code and calendar file again."""
    choices = [
        Choice(
            "y",
            [*context.labels("rsvp.btn.yes"), *context.labels("rsvp.btn.register")],
            YES_ALIASES,
        ),
        Choice("n", context.labels("rsvp.btn.no"), NO_ALIASES),
        Choice("m", context.labels("rsvp.btn.maybe"), MAYBE_ALIASES),
    ]
    if seat:
        choices.append(Choice("q", context.labels("rsvp.btn.files"), FILES_ALIASES))
    return choices


# --- the conversation's memory ---------------------------------------------------------------


def _memory(context: BotContext) -> dict[str, Any]:
    return user_dict(context, MEMORY)


def _forget(context: BotContext) -> None:
    _memory(context).clear()


def _remember_event(context: BotContext, event: Event) -> None:
    memory = _memory(context)
    if memory.get("event") != event.id:
        memory.clear()
    memory["event"] = event.id
    memory["v"] = version(event)


async def _memory_event(update: Update, context: BotContext) -> Event | None:
    """The event being answered, or None (told, and the conversation left)."""
    event_id = _memory(context).get("event")
    event = await context.services.events.get(event_id) if isinstance(event_id, str) else None
    if event is None:
        key = N_("rsvp.event_gone") if isinstance(event_id, str) else N_("rsvp.start_over")
        await send(update, context, context.t(key))
        _forget(context)
        await _leave(update, context)
    return event


async def _leave(update: Update, context: BotContext) -> None:
    """Leave this conversation (a flow step) if the person is in it."""
    if current_state(update, context, FLOW) is not None:
        await context.services.flows.move(ref(update), FLOW, None)


async def _move(update: Update, context: BotContext, state: str) -> str:
    return await ask_step(update, context, FLOW, state, prompt)


def _busy_elsewhere(update: Update, context: BotContext) -> bool:
    active = context.services.states.active(BotContext.key_of(update))
    return active is not None and active != FLOW


async def _guard_button(update: Update, context: BotContext) -> bool:
    """A button entry point: refused (alert) while the person is in another flow."""
    if _busy_elsewhere(update, context):
        await acknowledge(update, context.t("flow.busy_short"), alert=True)
        return False
    await acknowledge(update)
    return True


def _user(context: BotContext) -> User:
    user = context.user
    assert user is not None  # identify() ran first for every update with a person
    return user


# --- details: who attends --------------------------------------------------------------------


def _fields(event: Event) -> tuple[str, ...]:
    return (*TEXT_FIELDS, "group") if event.groups else TEXT_FIELDS


def _default_details(user: User, invitee: Invitee | None, rsvp: Rsvp | None) -> dict[str, Any]:
    """The previous answer's details, else the invitation's (completed by the profile)."""
    if rsvp is not None:
        return {
            "full_name": rsvp.full_name,
            "unit": rsvp.unit,
            "position": rsvp.position,
            "group_id": rsvp.group_id,
        }
    profile = user.profile
    if invitee is not None:
        return {
            "full_name": invitee.full_name,
            "unit": invitee.unit or profile.unit or "",
            "position": invitee.position or profile.position or "",
            "group_id": invitee.group_id,
        }
    return {
        "full_name": profile.full_name or user.display_name,
        "unit": profile.unit or "",
        "position": profile.position or "",
        "group_id": None,
    }


async def _details(context: BotContext, event: Event) -> dict[str, Any]:
    memory = _memory(context)
    details = memory.get("d")
    if not isinstance(details, dict) or memory.get("event") != event.id:
        services = context.services
        invitee = await services.events.invitation_of(event.id, context.user_id)
        rsvp = await services.events.rsvp_of(event.id, context.user_id)
        details = _default_details(_user(context), invitee, rsvp)
        memory["event"] = event.id
        memory["d"] = details
    if details.get("group_id") is not None and event.group(details["group_id"]) is None:
        details["group_id"] = None  # the office removed that group since
    return details


def _value(event: Event, details: dict[str, Any], field: str) -> str:
    if field == "group":
        group = event.group(details.get("group_id"))
        return group.name if group is not None else ""
    return str(details.get(field) or "")


def _details_choices(context: BotContext, event: Event) -> list[Choice]:
    """The edits first (typed "2" edits item 2 of the summary), then "Xác nhận"."""
    choices = [
        Choice(f"f:{field}", context.labels(FIELD_LABELS[field]), FIELD_ALIASES.get(field, ()))
        for field in _fields(event)
    ]
    choices.append(Choice("ok", context.labels("rsvp.btn.confirm"), CONFIRM_ALIASES))
    return choices


def _group_choices(context: BotContext, event: Event) -> list[Choice]:
    choices = [Choice(f"g:{g.id}", (g.name, g.id)) for g in event.groups]
    choices.append(Choice("g:-", context.labels("rsvp.group_other")))
    return choices


async def prompt(update: Update, context: BotContext, state: str) -> None:
    """Ask the question of ``state`` (again)."""
    event_id = _memory(context).get("event")
    event = await context.services.events.get(event_id) if isinstance(event_id, str) else None
    if event is None:
        key = N_("rsvp.event_gone") if isinstance(event_id, str) else N_("rsvp.start_over")
        await send(update, context, context.t(key))
        return
    if state == RELEASE:
        rows = [
            [(context.t("rsvp.btn.release"), f"{PREFIX}r:y")],
            [(context.t("rsvp.btn.hold"), f"{PREFIX}r:n")],
        ]
        await send(
            update, context, context.t("rsvp.ask_release", title=event.title), keyboard(rows)
        )
        return
    if state == ANSWER:
        invitee = await context.services.events.invitation_of(event.id, context.user_id)
        rsvp = await context.services.events.rsvp_of(event.id, context.user_id)
        text = context.t("rsvp.ask_again", title=event.title)
        await send(update, context, text, _answer_markup(context, event, invitee, rsvp))
        return
    details = await _details(context, event)
    none = context.t("rsvp.none")
    if state == DETAILS:
        lines = [context.t("rsvp.details_title", title=event.title)]
        for n, field in enumerate(_fields(event), start=1):
            lines.append(
                context.t(
                    "rsvp.details_line",
                    n=n,
                    label=context.t(FIELD_LABELS[field]),
                    value=_value(event, details, field) or none,
                )
            )
        text = "\n".join(lines) + "\n\n" + context.t("rsvp.details_hint")
        edits = [
            (f"✏️ {n}. {context.t(FIELD_LABELS[field])}", f"{PREFIX}f:{field}")
            for n, field in enumerate(_fields(event), start=1)
        ]
        # ✏️ 1..N in the order of their typed numbers, then «Xác nhận» (typed N + 1 too): "1"
        # is item 1 whether it is read from the text or from the buttons.
        rows = [edits[i : i + 2] for i in range(0, len(edits), 2)]
        rows.append([("✅ " + context.t("rsvp.btn.confirm"), f"{PREFIX}ok")])
        await send(update, context, text, keyboard(rows))
    elif state in TEXT_FIELDS:
        text = context.t(
            "rsvp.ask_value",
            field=context.t(FIELD_LABELS[state]),
            current=_value(event, details, state) or none,
        )
        await send(update, context, text, keyboard([[(context.t("rsvp.btn.keep"), f"{PREFIX}k")]]))
    elif state == GROUP:
        names = [g.name for g in event.groups] + [context.t("rsvp.group_other")]
        listing = "\n".join(f"{n}. {escape(name)}" for n, name in enumerate(names, start=1))
        text = context.t("rsvp.ask_group") + "\n" + listing
        data = [f"{PREFIX}g:{g.id}" for g in event.groups] + [f"{PREFIX}g:-"]
        rows = [
            [(f"{n}. {_short(name)}", item)]
            for n, (name, item) in enumerate(zip(names, data, strict=True), start=1)
        ]
        await send(update, context, text, keyboard(rows))
    elif state == NOTE:
        await _ask_note(update, context, N_("rsvp.ask_note"))


async def _ask_note(update: Update, context: BotContext, key: str) -> None:
    rows = [[(context.t("rsvp.btn.skip"), f"{PREFIX}skip")]]
    await send(update, context, context.t(key, limit=rules.NOTE_MAX), keyboard(rows))


# --- entry points ----------------------------------------------------------------------------


class RsvpLink(filters.MessageFilter):
    """``/start rsvp_<code>``: an invitation's deep link (the code is checked by the service)."""

    def __init__(self) -> None:
        super().__init__(name="RsvpLink")

    def filter(self, message: Message) -> bool:
        parts = (message.text or "").split()
        return (
            len(parts) == 2
            and parts[0].split("@", 1)[0] == "/start"
            and parts[1].lower().startswith("rsvp_")
        )


# An invitation typed or pasted instead of opened: its link, "rsvp_<code>", or the code alone
# (after "mã mời:" perhaps). A code alone needs a digit or capitals: a word is not a code.
_PASTED_LINK = re.compile(r"[?&]start=(rsvp_[A-Za-z0-9_-]{4,40})")
_TYPED_CODE = re.compile(
    r"^(?:(?:(?:mã|ma)(?:\s+(?:mời|moi))?(?:\s+(?:của|cua)\s+(?:tôi|toi|em))?(?:\s+(?:là|la))?"
    r"|(?:my\s+|the\s+)?(?:invitation\s+)?code(?:\s+is)?)\s*:?\s*)?"
    r"((?:rsvp_)?[A-Za-z0-9]{4}[-\s]?[A-Za-z0-9]{4})\.?$",
    re.IGNORECASE,
)


def typed_invitation(text: str) -> str | None:
    """The deep link's payload (``rsvp_<code>``) of an invitation typed or pasted, else None."""
    text = clean(text)
    pasted = _PASTED_LINK.search(text)
    if pasted is not None:
        return pasted.group(1)
    match = _TYPED_CODE.match(text)
    if match is None:
        return None
    token = match.group(1)
    code = rules.normalise_code(token)
    plain = token[:5].lower() != "rsvp_" and match.start(1) == 0
    if code is None or (plain and not any(c.isdigit() for c in token) and not token.isupper()):
        return None
    return f"rsvp_{code}"


class TypedInvitation(filters.MessageFilter):
    """Text that is an invitation typed or pasted (see :func:`typed_invitation`); a data
    filter: the handler finds the payload in ``context.picked``."""

    def __init__(self) -> None:
        super().__init__(name="TypedInvitation", data_filter=True)

    def filter(self, message: Message) -> dict[str, list[Any]] | bool:
        payload = typed_invitation(message.text or "")
        return {"picked": [payload]} if payload else False


class AboutTheMeeting(filters.MessageFilter):
    """Text asking where or when a meeting is, or its programme (see
    :func:`bot.domain.events.asks_about_the_meeting`)."""

    def __init__(self) -> None:
        super().__init__(name="AboutTheMeeting")

    def filter(self, message: Message) -> bool:
        return asks_about_the_meeting(fold(message.text or ""))


async def meeting_question(update: Update, context: BotContext) -> None:
    """«hội nghị ở đâu?», «mấy giờ họp?» outside any flow: what the invitation says, for each
    event still to come the person is invited to or answered; without one, a question for the
    documents as any other text."""
    services = context.services
    now = services.events.now()
    mine = [e for e, _ in await services.events.mine(context.user_id) if e.ends_at > now]
    if not mine:
        await outside(update, context)
        return
    voice = _voice(context)
    mine.sort(key=lambda e: e.starts_at)
    for event in mine[:MEETINGS_SHOWN]:
        blocks = [context.t("rsvp.facts"), *event_blocks(voice, event)]
        await send(update, context, "\n\n".join(blocks))
    await send(update, context, context.t("rsvp.facts_more"))


class CannotCome(filters.MessageFilter):
    """Text saying its writer will not come («tôi không đi được nữa», «xin phép vắng»; see
    :func:`bot.domain.events.says_cannot_come`)."""

    def __init__(self) -> None:
        super().__init__(name="CannotCome")

    def filter(self, message: Message) -> bool:
        return says_cannot_come(message.text or "")


async def cannot_come(update: Update, context: BotContext) -> str | int | None:
    """«Tôi không đi được nữa» outside any flow: the answer «Không tham dự» to the one event
    still to come the person may answer (with a seat: «Trả lại chỗ?» first; the confirmation
    says which event and how to change it), else the list of those it may be about; answered
    «không» already, or too late to change, says so; no invitation: a question for the
    documents as any other text."""
    services = context.services
    now = services.events.now()
    coming = [
        (event, rsvp)
        for event, rsvp in await services.events.mine(context.user_id)
        if event.ends_at > now and (rsvp is None or rsvp.answer is not Answer.NO)
    ]
    if not coming:
        declined = [
            e
            for e, r in await services.events.mine(context.user_id)
            if e.ends_at > now and r is not None
        ]
        if declined:
            await send(update, context, context.t("rsvp.already_declined", title=declined[0].title))
        else:
            await outside(update, context)
        return None
    open_ = [(e, r) for e, r in coming if _answerable(context, e) and not _checked_in(r)]
    if not open_:
        await send(update, context, context.t("rsvp.deadline_passed"))
        return None
    if len(open_) == 1:  # «Không tham dự» for it (a seat: «Trả lại chỗ?» first)
        _forget(context)
        return await _choose(update, context, open_[0][0], Answer.NO)
    _forget(context)
    await _leave(update, context)
    lines, events = _answers_list(context, context.t("rsvp.cannot_come_which"), open_)
    await _show_list(update, context, lines, events)
    return END


class FreeFor(filters.UpdateFilter):
    """In no flow, or only in this one (its entry points start it again)."""

    def __init__(self, services: Services) -> None:
        super().__init__(name="FreeFor(rsvp)")
        self.states = services.states

    def filter(self, update: Update) -> bool:
        if update.effective_chat is None or update.effective_user is None:
            return True
        return self.states.active(BotContext.key_of(update)) in (None, FLOW)


async def deep_link(update: Update, context: BotContext) -> str | int | None:
    """``/start rsvp_<code>``: bind the invitation to this account and show it; also the
    invitation typed or pasted (its code, or its link: ``context.picked``)."""
    payload = context.args[0] if context.args else (context.picked or [""])[0]
    services = context.services
    # The code is bound and the conversation moved (to the answer, or out of this flow once
    # the event no longer takes answers) in one transaction, before the reply.
    in_flow = current_state(update, context, FLOW) is not None
    try:
        event, invitee = await services.events.redeem(
            ref(update),
            _user(context),
            payload,
            state_if_open=ANSWER,
            state_if_closed=None if in_flow else KEEP,
        )
    except EventError as exc:
        own = await _own_checkin_code(context, payload) if exc.code == "rsvp.code_unknown" else None
        if own is not None:  # their check-in code, typed back: what it is for
            rows = [[("📎 " + context.t("rsvp.btn.files"), f"{PREFIX}q:{own.id}")]]
            await send(update, context, context.t("rsvp.own_code", title=own.title), keyboard(rows))
            return None
        # A malformed code is a broken link (nobody typed it): the message of every bad link.
        key = N_("link.invalid") if exc.code == "rsvp.code_invalid" else exc.code
        await send(update, context, context.t(key, **exc.params))
        return None  # whatever the person was doing goes on
    _remember_event(context, event)
    rsvp = await services.events.rsvp_of(event.id, context.user_id)
    await show_invitation(update, context, event, invitee=invitee, rsvp=rsvp)
    return ANSWER if current_state(update, context, FLOW) == ANSWER else END


async def _own_checkin_code(context: BotContext, typed: str) -> Event | None:
    """The event of the person's seat whose check-in code ``typed`` is, if any."""
    code = rules.normalise_code(typed)
    for event, rsvp in await context.services.events.mine(context.user_id):
        if code is not None and rsvp is not None and rsvp.checkin_code == code:
            return event
    return None


async def _open(update: Update, context: BotContext, event_id: str) -> str | int | None:
    """The invitation screen of one event of a list (answer buttons until the deadline)."""
    services = context.services
    event = await services.events.get(event_id)
    if event is None:
        await send(update, context, context.t("rsvp.event_gone"))
        return None
    invitee = await services.events.invitation_of(event.id, context.user_id)
    rsvp = await services.events.rsvp_of(event.id, context.user_id)
    if event.mode == "invitation" and invitee is None and rsvp is None:
        await send(update, context, context.t("rsvp.invitation_only"))
        return None
    _remember_event(context, event)
    if _answerable(context, event) and not _checked_in(rsvp):
        await services.flows.move(ref(update), FLOW, ANSWER)
        await show_invitation(update, context, event, invitee=invitee, rsvp=rsvp)
        return ANSWER
    await _leave(update, context)
    await show_invitation(update, context, event, invitee=invitee, rsvp=rsvp)
    return END


async def answer_button(update: Update, context: BotContext) -> str | int | None:
    """``ev:a:<event id>:<y|n|m>:<version>``: an answer pressed on an invitation screen."""
    if not await _guard_button(update, context):
        return None
    assert update.callback_query is not None
    _, _, event_id, letter, shown = (update.callback_query.data or "").split(":")
    event = await context.services.events.get(event_id)
    if event is None:
        await send(update, context, context.t("rsvp.event_gone"))
        return None
    if shown != version(event):  # an older screen: the event changed since
        await send(update, context, context.t("rsvp.changed"))
        return await _open(update, context, event.id)
    return await _choose(update, context, event, ANSWER_CODES[letter])


async def on_answer_text(update: Update, context: BotContext) -> str | int | None:
    """State ``answer``: "có", "không", "chưa chắc", "1"..."3" (the buttons, typed); with a
    seat, "4" or "mã QR" sends its QR code and calendar file again."""
    event_id = _memory(context).get("event")
    rsvp = (
        await context.services.events.rsvp_of(event_id, context.user_id)
        if isinstance(event_id, str)
        else None
    )
    letter = pick(text_of(update), _answer_choices(context, seat=_has_seat(rsvp)))
    roundabout = roundabout_answer(text_of(update))  # «chắc là không», «để em hỏi lại sếp»
    if roundabout is not None and letter in (None, "m"):
        letter = "n" if roundabout is Answer.NO else "m"
    if letter is None and asks_about_event(fold(text_of(update))) and isinstance(event_id, str):
        # «hội nghị ở đâu?», «mấy giờ bắt đầu?»: what the invitation says, and the question
        # again (a «có» after it is the answer, not a yes to something else)
        event = await context.services.events.get(event_id)
        if event is not None:
            blocks = [context.t("rsvp.facts"), *event_blocks(_voice(context), event)]
            await send(update, context, "\n\n".join(blocks))
            await prompt(update, context, ANSWER)
            return None
    if letter is None and rsvp is None and await side_question(update, context, text_of(update)):
        # Not answered yet, «có chỗ gửi xe không?»: answered from the documents (or where to
        # ask), and the invitation's question again: a «có» after it is the answer to that.
        # (Answered already, the person only looks at the event: the question leaves it.)
        await prompt(update, context, ANSWER)
        return None
    if letter is None and leaves_screen(text_of(update)):  # thanks, «menu»
        return await _outside(update, context)
    if letter is None:  # not an answer: say which words are, and show the buttons again
        await send(update, context, context.t("rsvp.answer_hint"))
        await prompt(update, context, ANSWER)
        return None
    event = await _memory_event(update, context)
    if event is None:
        return END
    if letter == "q":
        await _send_files(update, context, event)
        return None
    if _memory(context).get("v") != version(event):
        await send(update, context, context.t("rsvp.changed"))
        return await _open(update, context, event.id)
    return await _choose(update, context, event, ANSWER_CODES[letter])


async def on_release(update: Update, context: BotContext) -> str | int | None:
    """State ``release``: «Trả lại chỗ» records the answer waiting (the seat goes to the waiting
    list); «Giữ chỗ» (or «không») keeps the seat and the answer «có»."""
    choices = [
        Choice("r:y", context.labels("rsvp.btn.release"), RELEASE_ALIASES),
        Choice("r:n", context.labels("rsvp.btn.hold"), HOLD_ALIASES),
    ]
    choice = await choice_of(update, context, choices, PREFIX)
    if choice is None:
        return None
    event = await _memory_event(update, context)
    if event is None:
        return END
    waiting = _memory(context).pop("r", None)
    if choice == "r:n" or waiting not in (Answer.NO.value, Answer.MAYBE.value):
        _forget(context)
        await _leave(update, context)
        await send(update, context, context.t("rsvp.seat_held", title=event.title))
        return END
    return await _record(update, context, event, Answer(waiting), None)


async def _outside(update: Update, context: BotContext) -> int:
    """Leave the answer step and take the message as typed outside any flow."""
    _forget(context)
    await _leave(update, context)
    await outside(update, context)
    return END


async def menu_inside(update: Update, context: BotContext) -> int:
    """``/menu`` (or "menu" typed) at the answer step: nothing is half-typed there, so the
    menu, not "busy"."""
    _forget(context)
    await _leave(update, context)
    await show_menu(update, context)
    return END


async def command_inside(update: Update, context: BotContext) -> int:
    """Another command at the answer step (nothing is half-typed there): the step ends and
    the command runs, as it would outside."""
    _forget(context)
    if current_state(update, context, FLOW) is not None:
        await context.services.flows.move(ref(update), FLOW, None, record=False)
    await hand_over(update, context, FLOW)
    return END


async def _choose(
    update: Update, context: BotContext, event: Event, answer: Answer
) -> str | int | None:
    services = context.services
    user = _user(context)
    if not event.open_for_answers(services.events.now()):
        await send(update, context, context.t("rsvp.deadline_passed"))
        _forget(context)
        await _leave(update, context)
        return END
    if _checked_in(await services.events.rsvp_of(event.id, user.user_id)):
        await send(update, context, context.t("rsvp.checked_in_final"))
        _forget(context)
        await _leave(update, context)
        return END
    invitee = await services.events.invitation_of(event.id, user.user_id)
    if event.mode == "invitation" and invitee is None:
        await send(update, context, context.t("rsvp.invitation_only"))
        await _leave(update, context)
        return END
    if event.mode == "open" and invitee is None and not user.registered:
        await send(update, context, context.t("rsvp.register_first"))
        await _leave(update, context)
        return END
    if answer is not Answer.YES:
        if _has_seat(await services.events.rsvp_of(event.id, user.user_id)):
            _remember_event(context, event)
            _memory(context)["r"] = answer.value  # the answer waiting for the confirmation
            return await _move(update, context, RELEASE)
        return await _record(update, context, event, answer, None)
    _remember_event(context, event)
    _memory(context).pop("d", None)
    await _details(context, event)  # from the previous answer, the invitation, the profile
    return await _move(update, context, DETAILS)


# --- steps -----------------------------------------------------------------------------------


async def on_details(update: Update, context: BotContext) -> str | int | None:
    event = await _memory_event(update, context)
    if event is None:
        return END
    typed = clean(text_of(update)) if update.callback_query is None else ""
    count = len(_fields(event))
    number = typed_number(typed)
    if number == count + 1:  # the last button, «Xác nhận», by its place
        return await _move(update, context, NOTE)
    if number is not None and not 1 <= number <= count:  # «5»: no item 5
        numbers = numbers_text(context, 1, count)
        await send(update, context, context.t("review.pick_range", numbers=numbers))
        return None
    choice = await choice_of(update, context, _details_choices(context, event), PREFIX)
    if choice is None:
        return None
    if choice == "ok":
        return await _move(update, context, NOTE)
    field = choice.removeprefix("f:")
    if field not in _fields(event):
        await send(update, context, context.t("button.stale"))
        return None
    return await _move(update, context, GROUP if field == "group" else field)


async def on_field(update: Update, context: BotContext) -> str | int | None:
    """A new name, unit or position (or "Giữ nguyên")."""
    event = await _memory_event(update, context)
    if event is None:
        return END
    field = current_state(update, context, FLOW)
    if field not in TEXT_FIELDS:
        return None
    units = context.services.units
    if update.callback_query is not None:
        await acknowledge(update)
        end_unit_question(context)
        data = update.callback_query.data or ""
        if field == "unit" and data.startswith(f"{PREFIX}u:"):  # "which unit?" answered
            index = int(data.rsplit(":", 1)[1])
            if 0 <= index < len(units):
                details = await _details(context, event)
                details["unit"] = units[index]
        return await _move(update, context, DETAILS)
    text = text_of(update)
    keep = Choice("k", context.labels("rsvp.btn.keep"), KEEP_ALIASES + CONFIRM_ALIASES)
    if pick(text, [keep]) == "k":  # «Giữ nguyên»; «có», «đúng rồi»: it was right
        return await _move(update, context, DETAILS)
    value: str | None = None
    number = typed_number(text)
    asked = {o.number for o in UNIT_WHICH.options(context.user_data)} if field == "unit" else set()
    if number is not None and number not in asked:  # no list on screen: «số 3» is no unit
        await send(update, context, context.t("error.number_only", text=clean(text)))
        return None
    if field == "unit":  # as at registration: «VP Sở», «văn phòng» (which one?)
        found = await typed_unit(update, context, text, f"{PREFIX}u:")
        if found.several:  # asked which one
            return None
        value = found.unit
    try:
        value = value or FIELD_PARSERS[field](text)
    except InvalidInput as exc:
        await send(update, context, context.t(f"error.{exc.code}", **exc.params))
        return None
    details = await _details(context, event)
    details[field] = value
    return await _move(update, context, DETAILS)


async def on_group(update: Update, context: BotContext) -> str | int | None:
    event = await _memory_event(update, context)
    if event is None:
        return END
    choice = await choice_of(update, context, _group_choices(context, event), PREFIX)
    if choice is None:
        return None
    group_id = choice.removeprefix("g:")
    if group_id != "-" and event.group(group_id) is None:
        await send(update, context, context.t("error.group_unknown"))
        await prompt(update, context, GROUP)
        return None
    details = await _details(context, event)
    details["group_id"] = None if group_id == "-" else group_id
    return await _move(update, context, DETAILS)


async def on_note(update: Update, context: BotContext) -> str | int | None:
    event = await _memory_event(update, context)
    if event is None:
        return END
    note = ""
    if update.callback_query is not None:
        await acknowledge(update)
    else:
        text = clean(text_of(update))
        if pick(text, [Choice("skip", context.labels("rsvp.btn.skip"), SKIP_ALIASES)]) != "skip":
            if len(text) > rules.NOTE_MAX:
                await send(
                    update,
                    context,
                    context.t("error.too_long", limit=rules.NOTE_MAX, length=len(text)),
                )
                return None
            if not text:
                await prompt(update, context, NOTE)
                return None
            if plain_answer(text) in NOTE_YES:
                await _ask_note(update, context, N_("rsvp.note_what"))
                return None
            note = text
    details = await _details(context, event)
    who = Details(
        full_name=details.get("full_name") or _user(context).display_name,
        unit=details.get("unit") or "",
        position=details.get("position") or "",
        group_id=details.get("group_id"),
        note=note,
    )
    state = await _record(update, context, event, Answer.YES, who)
    if note and is_question(note):
        # «Có chỗ gửi ô tô không?»: kept as the note, and asked of the office, who answers it
        # with /reply (a note alone waits in the export; nobody would have answered it).
        question = f"[{_short(event.title)}] {note}"
        await office.send_to_office(update, context, question, recorded=True)
    return state


async def _record(
    update: Update,
    context: BotContext,
    event: Event,
    answer: Answer,
    details: Details | None,
) -> str | int | None:
    """Record the answer and leave the conversation (one transaction), then tell everyone."""
    services = context.services
    notify: Notify[Answered] = services.broadcasts.notices(
        lambda answered: answer_notices(services, event, answered)
    )
    try:
        result = await services.events.answer(
            ref(update),
            _user(context),
            event.id,
            answer,
            details,
            conversation=FLOW,
            state=None,
            notify=notify,
        )
    except EventError as exc:  # deleted, past the deadline: nothing changed
        await send(update, context, context.t(exc.code, **exc.params))
        _forget(context)
        await _leave(update, context)
        return END
    except InvalidInput as exc:  # the office removed the group meanwhile: choose again
        await send(update, context, context.t(f"error.{exc.code}", **exc.params))
        (await _details(context, event))["group_id"] = None
        return await _move(update, context, DETAILS)
    _forget(context)
    chat = update.effective_chat
    assert chat is not None
    if notify.queued.chats:
        wake_outbox(context.application)
    await send_confirmation(context, chat.id, context.locale, event, result.rsvp)
    await send_promoted_files(context, event, result.promoted, notify.queued.chats)
    return END


async def on_cancel(update: Update, context: BotContext) -> None:
    _forget(context)
    await context.services.flows.move(ref(update), FLOW, None)


# --- lists: /my_events and /events -----------------------------------------------------------


class ListPick(filters.MessageFilter):
    """Right after a list (or another ``screen``): its number or title. Any other message ends
    that (the memory is in the person's ``user_data``, which a filter does not get with the
    message: it is given the application's, a live view that the persistence fills when the
    application starts)."""

    def __init__(self, user_data: Mapping[int, dict[Any, Any]], screen: Screen) -> None:
        super().__init__(name=f"ListPick({screen.key})")
        self.user_data = user_data
        self.screen = screen

    def filter(self, message: Message) -> bool:
        user = message.from_user
        if user is None:
            return False
        data = self.user_data.get(user.id)
        if not self.screen.options(data):
            return False
        if self.screen.pick(data, message.text or "") is None:
            self.screen.end(data)
            return False
        return True


def _answers_list(
    context: BotContext, heading: str, items: Sequence[tuple[Event, Rsvp | None]]
) -> tuple[list[str], list[Event]]:
    """For :func:`_show_list`: ``heading``, then each event with its time and the person's
    answer."""
    voice = _voice(context)
    lines = [heading]
    lines += [
        context.t(
            "rsvp.my_item",
            n=n,
            title=event.title,
            when=when_text(voice, event.starts_at),
            status=context.t(status_key(rsvp)),
        )
        for n, (event, rsvp) in enumerate(items[:LIST_MAX], start=1)
    ]
    return lines, [event for event, _ in items]


async def _show_list(
    update: Update, context: BotContext, lines: list[str], events: list[Event]
) -> None:
    shown = events[:LIST_MAX]
    rows = [
        [(f"{n}. {_short(event.title)}", f"{PREFIX}o:{event.id}")]
        for n, event in enumerate(shown, start=1)
    ]
    text = "\n\n".join([*lines, context.t("rsvp.list_hint")])
    await send(update, context, text, keyboard(rows))
    assert context.user_data is not None
    LIST_SCREEN.remember(
        context.user_data, [Option(f"{PREFIX}o:{event.id}", (event.title,)) for event in shown]
    )


def _forget_list(context: BotContext) -> None:
    if context.user_data is not None:
        LIST_SCREEN.forget(context.user_data)


async def my_events(update: Update, context: BotContext) -> int:
    """``/my_events``: the events the person is invited to or answered (not yet over)."""
    _forget(context)
    await _leave(update, context)
    services = context.services
    now = services.events.now()
    every = await services.events.mine(context.user_id)
    mine = [(e, r) for e, r in every if e.ends_at > now]
    if not mine:
        _forget_list(context)
        # invited before, all over now: not "no events" (it reads as never invited)
        key = N_("rsvp.my_all_past") if every else N_("rsvp.my_none")
        await send(update, context, context.t(key, count=len(every)))
        return END
    lines, events = _answers_list(context, context.t("rsvp.my_title", count=len(mine)), mine)
    await _show_list(update, context, lines, events)
    return END


async def open_events(update: Update, context: BotContext) -> int:
    """``/events``: upcoming events open to every registered person ("Đăng ký dự")."""
    _forget(context)
    await _leave(update, context)
    services = context.services
    voice = _voice(context)
    now = services.events.now()
    upcoming = [e for e in await services.events.events() if e.mode == "open" and e.starts_at > now]
    if not upcoming:
        _forget_list(context)
        await send(update, context, context.t("rsvp.events_none"))
        return END
    lines = [context.t("rsvp.events_title", count=len(upcoming))]
    for n, event in enumerate(upcoming[:LIST_MAX], start=1):
        stats = await services.events.stats(event.id)
        rsvp = await services.events.rsvp_of(event.id, context.user_id)
        seats = (
            context.t("rsvp.seats_left", n=stats.seats_left)
            if stats.seats_left
            else context.t("rsvp.seats_full")
        )
        lines.append(
            context.t(
                "rsvp.events_item",
                n=n,
                title=event.title,
                when=when_text(voice, event.starts_at),
                venue=event.venue,
                seats=seats,
                status=context.t(status_key(rsvp)),
            )
        )
    await _show_list(update, context, lines, upcoming)
    return END


async def menu_button(update: Update, context: BotContext) -> int | None:
    """``menu:events`` / ``menu:my_events``: the main menu's items, when it offers them."""
    if not await _guard_button(update, context):
        return None
    assert update.callback_query is not None
    if update.callback_query.data == "menu:my_events":
        return await my_events(update, context)
    return await open_events(update, context)


async def open_button(update: Update, context: BotContext) -> str | int | None:
    """``ev:o:<event id>``: an event of a list."""
    if not await _guard_button(update, context):
        return None
    assert update.callback_query is not None
    _forget_list(context)
    return await _open(update, context, (update.callback_query.data or "").split(":", 2)[2])


async def typed_list_pick(update: Update, context: BotContext) -> str | int | None:
    """A typed number or title right after a list (see :class:`ListPick`): that event."""
    data = LIST_SCREEN.pick(context.user_data, text_of(update))
    _forget_list(context)
    if data is None:
        return None
    return await _open(update, context, data.split(":", 2)[2])


async def files_button(update: Update, context: BotContext) -> str | int | None:
    """``ev:q:<event id>``: the seat's QR code and calendar file again (the event may have
    moved since they were sent: this is the current one). Read-only: it works in the middle
    of any flow (``READ_ONLY_BUTTONS``), which goes on where it was; the screen keeps its
    buttons."""
    await acknowledge(update, keep=True)
    assert update.callback_query is not None
    event = await context.services.events.get((update.callback_query.data or "").split(":", 2)[2])
    if event is None:
        await send(update, context, context.t("rsvp.event_gone"))
        return None
    await _send_files(update, context, event)
    return None


async def typed_files(update: Update, context: BotContext) -> str | int | None:
    """The typed form of that button, right after an invitation screen without answers."""
    data = FILES_SCREEN.pick(context.user_data, text_of(update))
    FILES_SCREEN.end(context.user_data)
    if data and data.startswith(f"{PREFIX}late:"):  # an answer after the deadline
        await send(update, context, context.t(data.split(":", 2)[2]))
        return None
    event = await context.services.events.get(data.split(":", 2)[2]) if data else None
    if event is None:
        await send(update, context, context.t("rsvp.event_gone"))
        return None
    await _send_files(update, context, event)
    return None


# The seat's files asked for by name outside any screen (after a reminder, say): whole
# phrases, folded.
FILES_WORDS = frozenset(
    {
        *("ma qr", "qr", "qr code", "ma diem danh", "tep lich", "file lich", "tep ics"),
        *("gui lai ma qr", "gui lai ma", "gui lai lich", "tai lich", "calendar file"),
    }
)


async def files_outside(update: Update, context: BotContext) -> None:
    """«mã QR», «tệp lịch» typed outside any flow: the files of the person's one seat in an
    event not yet over; with several seats, the list (/my_events) to pick from."""
    services = context.services
    now = services.events.now()
    seats = [
        event
        for event, rsvp in await services.events.mine(context.user_id)
        if _has_seat(rsvp) and event.ends_at > now
    ]
    if len(seats) == 1:
        await _send_files(update, context, seats[0])
    elif seats:
        await my_events(update, context)
    else:
        await send(update, context, context.t("rsvp.files_none"))


async def _send_files(update: Update, context: BotContext, event: Event) -> None:
    rsvp = await context.services.events.rsvp_of(event.id, context.user_id)
    if rsvp is None or not _has_seat(rsvp):  # the seat was given up meanwhile
        await send(update, context, context.t("rsvp.files_no_seat", title=event.title))
        return
    chat = update.effective_chat
    assert chat is not None
    await send_seat_files(context, chat.id, context.locale, event, rsvp)


# --- telling people ----------------------------------------------------------------------------


async def _safely(what: str, chat_id: int, coroutine: Any) -> bool:
    """Await one notice; a failure is logged, never raised: the answer it tells about is
    already saved, and the other notices must still go out."""
    try:
        await coroutine
    except TelegramError as exc:  # blocked the bot, chat not found, network
        log.warning("could not send %s to %s: %s", what, chat_id, exc)
        return False
    except Exception:
        log.exception("could not send %s to %s", what, chat_id)
        return False
    return True


def calendar_bytes(voice: Voice, event: Event, rsvp: Rsvp) -> bytes:
    """The .ics of a seat, its labels in ``voice``'s language (plain text: no HTML)."""
    extra = []
    if event.note:
        extra.append(voice.t("rsvp.ics_note") + ": " + event.note)
    if event.map_url:
        extra.append(voice.t("rsvp.ics_map") + ": " + event.map_url)
    description = ics.describe(
        event,
        rsvp.checkin_code,
        code_label=voice.t("rsvp.ics_code"),
        agenda_label=voice.t("rsvp.ics_agenda"),
        organiser_label=voice.t("rsvp.ics_organiser"),
        extra=extra,
    )
    return ics.calendar_file(
        event,
        rsvp,
        description=description,
        alarm_text=event.title,
        tz=voice.services.settings.tz,
        stamp=voice.services.events.now(),
    )


async def confirmation_text(voice: Voice, event: Event, rsvp: Rsvp) -> str:
    """Where ``rsvp`` stands, in ``voice``'s language: a seat with the check-in code, the place
    on the waiting list, waiting for the office, or the "no"/"maybe" recorded."""
    deadline = voice.t("rsvp.change_until", deadline=when_text(voice, event.rsvp_deadline))
    if rsvp.seat is Seat.CONFIRMED:
        parts = [
            voice.t(
                "rsvp.confirmed",
                title=event.title,
                when=when_text(voice, event.starts_at),
                place=place_text(event),
                code=rsvp.checkin_code,
            )
        ]
        # Only the reminders still to come (an event tomorrow morning: no "1 day before").
        now = voice.services.events.now()
        coming = sorted({m for m, when in reminder_times(event) if when > now}, reverse=True)
        if coming:
            # "trước 1 ngày và trước 2 giờ": each reminder said apart (not one 26 hours ahead)
            spans = [voice.t("rsvp.reminder_span", span=span_text(voice, m)) for m in coming]
            parts.append(voice.t("rsvp.reminders_info", spans=Safe(_and(voice, spans))))
        parts.append(deadline)
        return "\n\n".join(parts)
    if rsvp.seat is Seat.WAITLISTED:
        place = await place_in_line(voice.services, rsvp)
        return voice.t("rsvp.waitlisted", title=event.title, place=place) + "\n\n" + deadline
    if rsvp.seat is Seat.PENDING:
        return voice.t("rsvp.pending", title=event.title)
    if rsvp.answer is Answer.YES:
        return voice.t("rsvp.declined", title=event.title)
    if rsvp.answer is Answer.NO:
        return voice.t("rsvp.answered_no", title=event.title) + "\n\n" + deadline
    return voice.t("rsvp.answered_maybe", title=event.title) + "\n\n" + deadline


async def send_seat_files(
    context: BotContext, chat_id: int, locale: str, event: Event, rsvp: Rsvp
) -> bool:
    """The QR image of the check-in code and the .ics calendar file of a seat (sent directly:
    the outbox carries texts). Never raises TelegramError: False if one could not be sent."""
    voice = Voice(context.services, locale)
    bot = context.bot
    code = rsvp.checkin_code
    photo = InputFile(qr_png(code), filename=f"{code}.png")
    ok = await _safely(
        "a QR code",
        chat_id,
        bot.send_photo(chat_id, photo, caption=voice.t("rsvp.qr_caption", code=code)),
    )
    document = InputFile(calendar_bytes(voice, event, rsvp), filename=ics.filename_of(event))
    ok &= await _safely(
        "a calendar file",
        chat_id,
        bot.send_document(chat_id, document, caption=voice.t("rsvp.ics_caption")),
    )
    return ok


async def send_confirmation(
    context: BotContext, chat_id: int, locale: str, event: Event, rsvp: Rsvp
) -> bool:
    """Answer the person who just answered (in ``locale``): where ``rsvp`` stands
    (:func:`confirmation_text`) and, for a seat, the QR image and the calendar file. A reply,
    not a notification: sent directly. Never raises TelegramError: False if something could
    not be sent (logged)."""
    voice = Voice(context.services, locale)
    text = await confirmation_text(voice, event, rsvp)
    ok = await _safely("an answer", chat_id, context.bot.send_message(chat_id, text))
    if rsvp.seat is Seat.CONFIRMED:
        ok &= await send_seat_files(context, chat_id, locale, event, rsvp)
    return ok


async def promoted_notices(services: Services, event: Event, rsvps: Iterable[Rsvp]) -> list[Notice]:
    """Each person who just got a seat from the waiting list, in their language: the good news
    and their seat with its check-in code (framework-free; runs inside the answer's
    transaction)."""
    notices: list[Notice] = []
    for rsvp in rsvps:
        voice = Voice(services, await _locale_of(services, rsvp.user_id))
        text = voice.t("rsvp.promoted", title=event.title)
        notices.append((rsvp.user_id, text + "\n\n" + await confirmation_text(voice, event, rsvp)))
    return notices


async def send_promoted_files(
    context: BotContext, event: Event, rsvps: Iterable[Rsvp], queued: Sequence[int]
) -> None:
    """After the answer is saved: the QR image and calendar file of each person promoted whose
    notice was queued (people who blocked the bot get nothing)."""
    for rsvp in rsvps:
        if rsvp.user_id in queued:
            locale = await _locale_of(context.services, rsvp.user_id)
            await send_seat_files(context, rsvp.user_id, locale, event, rsvp)


async def office_alert_notices(
    services: Services, event: Event, alerts: Sequence[int], confirmed: int
) -> list[Notice]:
    """The office's notice that confirmations crossed ``alerts`` (% of the capacity): to the
    office chat if configured (a group: addressed by its chat id), else to every admin (each in
    their language). One message, naming the highest threshold crossed."""
    if not alerts:
        return []
    threshold = max(alerts)
    settings = services.settings
    targets: list[tuple[int, str]]
    if settings.office_chat_id is not None:
        targets = [(settings.office_chat_id, settings.default_language)]
    else:
        targets = [
            (uid, await _locale_of(services, uid)) for uid in await services.users.admin_ids()
        ]
    key = N_("rsvp.office_full") if threshold >= 100 else N_("rsvp.office_alert")
    return [
        (
            chat_id,
            services.translator(
                locale,
                key,
                title=event.title,
                confirmed=confirmed,
                capacity=event.capacity,
                threshold=threshold,
            ),
        )
        for chat_id, locale in targets
    ]


async def answer_notices(services: Services, event: Event, answered: Answered) -> list[Notice]:
    """Everything an answer causes: the promotions it made, the office's capacity alerts."""
    return [
        *await promoted_notices(services, event, answered.promoted),
        *await office_alert_notices(services, event, answered.alerts, answered.confirmed),
    ]


async def reminder_notices(services: Services, due: Sequence[DueReminder]) -> list[Notice]:
    """Each reminder, in the person's language: the event, when, where, the check-in code."""
    notices: list[Notice] = []
    now = services.events.now()
    for item in due:
        event, rsvp = item.event, item.rsvp
        voice = Voice(services, await _locale_of(services, rsvp.user_id))
        lines = [
            voice.t(
                "rsvp.reminder",
                title=event.title,
                span=span_text(voice, _rounded_minutes(event.starts_at - now)),
                when=when_text(voice, event.starts_at),
                place=place_text(event),
                code=rsvp.checkin_code,
            )
        ]
        if event.map_url:
            lines.append(voice.t("rsvp.map", url=event.map_url))
        notices.append((rsvp.user_id, "\n".join(lines)))
    return notices


def _rounded_minutes(left: timedelta) -> int:
    """Time left as a reminder says it: whole hours from an hour on («1 ngày», not «23 giờ 59
    phút» when the job runs a few seconds late), else 5-minute steps."""
    minutes = max(0, round(left.total_seconds() / 60))
    step = 60 if minutes >= 60 else 5
    return max(step if minutes else 0, round(minutes / step) * step)


async def send_reminders(context: BotContext) -> None:
    """A job (every 30 s): queue every reminder due in the outbox.

    Reminders live in the database (armed when a seat is confirmed, re-armed when the event
    moves), so a restart loses none and nothing has to be rebuilt in memory. Marking them sent
    and queueing their texts is one transaction (:meth:`EventService.queue_reminders`): a
    crash can neither lose one nor send one twice; the delivery worker retries network errors
    and skips people who blocked the bot. Several reminders of one person due at once become
    one message; a reminder whose event has already started is dropped.
    """
    services = context.services
    notify: Notify[list[DueReminder]] = services.broadcasts.notices(
        lambda due: reminder_notices(services, due)
    )
    due = await services.events.queue_reminders(notify)
    if due:
        log.info("%d reminders queued (%d chats)", len(due), len(notify.queued.chats))
        wake_outbox(context.application)


# --- wiring ------------------------------------------------------------------------------------


def handlers(
    services: Services, user_data: Mapping[int, dict[Any, Any]]
) -> list[BaseHandler[Update, BotContext, object]]:
    """Handlers registered by ``bot.app`` (in the order returned): one conversation, whose
    entry points are also the single-step commands (so that they work inside it too), then
    the typed question about a meeting (:func:`meeting_question`). ``user_data``: the
    application's (its lists' memory, for :class:`ListPick`)."""
    free = FreeFor(services)
    strict = NotInFlow(services.states)
    list_pick = ListPick(user_data, LIST_SCREEN)
    files_pick = ListPick(user_data, FILES_SCREEN)
    field_steps: list[BaseHandler[Update, BotContext, object]] = [
        CallbackQueryHandler(on_field, pattern=r"^ev:(k|u:\d{1,9})$"),
        MessageHandler(ANSWER_TEXT, on_field),
    ]
    conversation: ConversationHandler[BotContext] = ConversationHandler(
        name=FLOW,
        persistent=True,
        allow_reentry=True,  # a new link, an answer button or a list opens another event
        entry_points=[
            CommandHandler("start", deep_link, filters=free & RsvpLink()),
            MessageHandler(TEXT & strict & TypedInvitation(), deep_link),
            CommandHandler("my_events", my_events, filters=free),
            CommandHandler("events", open_events, filters=free),
            CallbackQueryHandler(answer_button, pattern=ANSWER_DATA),
            CallbackQueryHandler(open_button, pattern=OPEN_DATA),
            MessageHandler(TEXT & strict & list_pick, typed_list_pick),
            MessageHandler(TEXT & strict & CannotCome(), cannot_come),  # «tôi không đi được»
            # A seat's QR code and calendar file again (pressed, or typed after a screen
            # without answer buttons; in the answer step, typed there).
            CallbackQueryHandler(files_button, pattern=FILES_DATA),
            MessageHandler(TEXT & strict & files_pick, typed_files),
            # The main menu's items "events" and "my_events" (pressed or typed), if offered.
            CallbackQueryHandler(menu_button, pattern=r"^menu:(events|my_events)$"),
            MessageHandler(TEXT & strict & MenuChoice(services.translator, "my_events"), my_events),
            MessageHandler(TEXT & strict & MenuChoice(services.translator, "events"), open_events),
        ],
        states={
            ANSWER: [
                MessageHandler(TEXT, on_answer_text),
                CommandHandler("menu", menu_inside),
                MessageHandler(other_command("start"), command_inside),  # /sangkien
            ],
            RELEASE: [
                CallbackQueryHandler(on_release, pattern=r"^ev:r:[yn]$"),
                MessageHandler(TEXT, on_release),
            ],
            DETAILS: [
                CallbackQueryHandler(on_details, pattern=r"^ev:(ok|f:[a-z_]+)$"),
                MessageHandler(ANSWER_TEXT, on_details),
            ],
            **{field: field_steps for field in TEXT_FIELDS},
            GROUP: [
                CallbackQueryHandler(on_group, pattern=r"^ev:g:[a-z0-9_-]{1,32}$"),
                MessageHandler(ANSWER_TEXT, on_group),
            ],
            NOTE: [
                CallbackQueryHandler(on_note, pattern=r"^ev:skip$"),
                MessageHandler(ANSWER_TEXT, on_note),
            ],
        },
        fallbacks=flow_fallbacks(
            FLOW,
            prompt,
            on_cancel,
            resume_commands=("start",),
            cancelled_key=N_("rsvp.cancelled"),
            help_key=N_("rsvp.help_inside"),
        ),
    )
    # Outside any flow, «hội nghị ở đâu?»: the invitation's facts (before the menu's typed
    # words and the questions for the documents, later in group 0).
    about_the_meeting: BaseHandler[Update, BotContext, object] = MessageHandler(
        TEXT & strict & AboutTheMeeting(), meeting_question
    )
    return [conversation, about_the_meeting]
