"""The conference door and the office's figures: check-in, pending requests, stats, export.

**Check-in** (admins and the ``checker`` role, checked on every message): ``/checkin CODE``
checks one delegate in and answers with their name, unit, group and the live headcount; a second
time is refused with the time of the first (local time) and who did it. ``/checkin`` alone opens
*check-in mode* (the persistent conversation :data:`FLOW`): when several events are on today or
coming, it first asks which one (buttons ``ci:<event id>``, or the typed number or title); then
every message is a code, typed (any case, spaces or dashes) or the text of a scanned QR code (the
code, ``rsvp_<code>``, a link or any text holding it). The chosen event is kept in
``user_data["checkin"]``, so the mode survives a restart. ``/xong`` (or "xong", "done" typed) and
``/cancel`` leave it with the headcount. A person's invitation code works at the door too.

**The office** (admins), in the persistent conversation :data:`OFFICE`:

* ``/rsvp_pending [EVENT_ID]``: the requests of an open event with approval, numbered, with
  buttons ``rp:y:<rsvp id>`` (approve) and ``rp:n:<rsvp id>`` (decline); typed "duyệt 2",
  "từ chối 2", or "2" then the choice. The person is told in their language. The buttons also
  work outside the conversation (an older list).
* ``/rsvp_stats [EVENT_ID]``: the figures as text and a chart (:mod:`bot.documents.rsvp_chart`,
  drawn in a worker thread) sent as a photo.
* ``/export_rsvp [EVENT_ID]``: the answers as .xlsx (:mod:`bot.documents.rsvp_xlsx`).

Without EVENT_ID and with several events, each asks which one (buttons ``rs:<s|p|x>:<event id>``,
or the typed number or title).
"""

from __future__ import annotations

import asyncio
import functools
import itertools
import logging
import re
import warnings
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from telegram import Update
from telegram.constants import ChatAction
from telegram.error import TelegramError
from telegram.ext import (
    BaseHandler,
    CallbackQueryHandler,
    CommandHandler,
    ConversationHandler,
    MessageHandler,
    filters,
)
from telegram.warnings import PTBUserWarning

from bot.documents.rsvp_chart import attendance_chart, group_rows
from bot.documents.rsvp_xlsx import SEAT_KEYS, export_rsvp
from bot.domain.choices import Choice, plain_answer, typed_number
from bot.domain.events import (
    Answer,
    Event,
    Invitee,
    Rsvp,
    Seat,
    looks_like_a_name,
    normalise_code,
    unanswered,
)
from bot.domain.models import User
from bot.domain.text import clean, fold, shorten
from bot.i18n import N_, NP_, escape
from bot.services.broadcasts import Notice, Notify
from bot.services.container import Services
from bot.services.events import Answered, CheckIn, EventError
from bot.tg.broadcaster import wake_outbox
from bot.tg.context import BotContext
from bot.tg.ui import acknowledge, keyboard, send
from handlers.common import (
    ANSWER_TEXT,
    DONE_COMMANDS,
    END,
    STOP,
    NotInFlow,
    choice_of,
    current_state,
    flow_fallbacks,
    may_enter,
    numbers_text,
    ref,
    text_of,
    user_dict,
)
from handlers.events_admin import deadline_warning
from handlers.rsvp import Voice, confirmation_text, office_alert_notices, send_seat_files

log = logging.getLogger(__name__)

FLOW = "checkin"  # check-in mode
PICK = "pick"  # which event?
CODE = "code"  # every message is a code
MEMORY = "checkin"  # user_data: {"event": id} in the mode, {"opts": [ids]} while choosing

OFFICE = "rsvp_office"  # the office's screens that wait for a typed answer
EVENT = "event"  # which event? (for /rsvp_stats, /rsvp_pending, /export_rsvp)
PENDING = "pending"  # the list of requests
DECIDE = "decide"  # approve or decline the request picked by its number
OFFICE_MEMORY = "rsvp_office"  # user_data: {"cmd", "opts", "event", "list", "pick"}
OFFICE_COMMANDS = ("rsvp_stats", "rsvp_pending", "export_rsvp")
COMMAND_OF = {"s": "rsvp_stats", "p": "rsvp_pending", "x": "export_rsvp"}

TIME_FORMAT = "%H:%M %d/%m/%Y"
PAGE_SIZE = 20  # requests in one list
TITLE_MAX = 120
NAMES_MAX = 8  # delegates listed for a name typed at the door
BUTTON_NAME_MAX = 40  # characters of a name on a button
BUTTON_TITLE_MAX = 40
CAPTION_TITLE_MAX = 300
DONE_WORDS = frozenset(
    {
        *("xong", "da xong", "xong roi", "da xong roi", "ket thuc", "thoat", "dung", "done"),
        *("exit", "finish", "finished", "stop", "quit"),
    }
)
APPROVE_WORDS = ("duyet", "dong y", "chap nhan", "approve", "accept", "ok", "yes", "co")
DECLINE_WORDS = (
    "khong dong y",
    "khong duyet",
    "tu choi",
    "khong",
    "decline",
    "reject",
    "refuse",
    "no",
)
_WORDS = "|".join(sorted((*APPROVE_WORDS, *DECLINE_WORDS), key=len, reverse=True))
TYPED_DECISION = re.compile(
    rf"^(?:(?P<w1>{_WORDS})\s+(?:nguoi\s+)?(?:so\s+)?(?P<n1>\d+)"
    rf"|(?:nguoi\s+)?(?:so\s+)?(?P<n2>\d+)\s+(?P<w2>{_WORDS}))$"
)
SEAT_REFUSALS = {
    Seat.WAITLISTED.value: N_("checkin.waitlisted"),
    Seat.PENDING.value: N_("checkin.pending"),
    Seat.NONE.value: N_("checkin.no_seat"),
}

# Why a person without a seat has none: their answer ("yes" without a seat: the office
# declined the request).
NO_SEAT_REASONS = {
    Answer.NO: N_("checkin.answered_no"),
    Answer.MAYBE: N_("checkin.answered_maybe"),
    Answer.YES: N_("checkin.not_approved"),
}


# --- small helpers --------------------------------------------------------------------------------


def _short(text: str, limit: int) -> str:
    return shorten(" ".join(text.split()), limit)  # one line


def _when(context: BotContext, moment: datetime) -> str:
    return moment.astimezone(context.services.settings.tz).strftime(TIME_FORMAT)


def _user(context: BotContext) -> User:
    assert context.user is not None
    return context.user


def _is_checker(context: BotContext) -> bool:
    return context.user is not None and context.user.is_checker


def _is_admin(context: BotContext) -> bool:
    return context.user is not None and context.user.is_admin


def find_code(text: str) -> str | None:
    """The code in a typed or scanned text: the whole text (``abcd 2345``, ``rsvp_ABCD2345``),
    else the one code found in it (a link ``...?start=rsvp_ABCD2345``, "Mã: ABCD 2345")."""
    code = normalise_code(text)
    if code is not None:
        return code
    tokens = [t for t in re.split(r"[^0-9A-Za-z_\-]+", text) if t]
    found = {c for c in map(normalise_code, tokens) if c}
    if not found:  # a code written in two halves ("ABCD 2345") inside a sentence
        pairs = [(a, b) for a, b in itertools.pairwise(tokens) if len(a) == len(b) == 4]
        found = {c for c in (normalise_code(a + b) for a, b in pairs) if c}
        if len(found) > 1:  # words of the sentence ("danh ABCD"): written as a code first
            found = {
                c
                for c in (
                    normalise_code(a + b) for a, b in pairs if not (a.islower() or b.islower())
                )
                if c
            }
    return found.pop() if len(found) == 1 else None


async def _move(update: Update, context: BotContext, conversation: str, state: str | None) -> None:
    """Move a conversation; the update is recorded by its first step only (a check-in or a
    decision earlier in the same update already recorded it)."""
    flows = context.services.flows
    recorded = update.update_id in flows.recently_marked
    await flows.move(ref(update), conversation, state, record=not recorded)


async def _settle(
    update: Update, context: BotContext, conversation: str, state: str | None
) -> str | int:
    """Put the conversation in ``state`` (``None``: out of it) and return it for the framework."""
    if current_state(update, context, conversation) != state:
        await _move(update, context, conversation, state)
    return END if state is None else state


def _event_lines(context: BotContext, events: Sequence[Event]) -> list[str]:
    return [
        f"{n}. <b>{escape(_short(e.title, TITLE_MAX))}</b> – {_when(context, e.starts_at)}"
        for n, e in enumerate(events, start=1)
    ]


def _event_buttons(events: Sequence[Event], prefix: str) -> list[list[tuple[str, str]]]:
    return [
        [(f"{number}. {_short(event.title, BUTTON_TITLE_MAX)}", f"{prefix}{event.id}")]
        for number, event in enumerate(events, start=1)
    ]


def _event_choices(events: Sequence[Event]) -> list[Choice]:
    return [Choice(event.id, (event.title, event.id)) for event in events]


async def _events_by_id(services: Services, ids: object) -> list[Event]:
    events = []
    for event_id in ids if isinstance(ids, list) else []:
        event = await services.events.get(str(event_id))
        if event is not None:
            events.append(event)
    return events


async def door_events(services: Services) -> list[Event]:
    """Events on today (local time) or to come, the soonest first."""
    tz = services.settings.tz
    today = services.events.now().astimezone(tz).replace(hour=0, minute=0, second=0, microsecond=0)
    return [event for event in await services.events.events() if event.ends_at >= today]


async def office_events(services: Services, command: str) -> list[Event]:
    """The events an office command may be about: those to come first (soonest first), then
    past ones (latest first); for /rsvp_pending only open events with approval."""
    events = await services.events.listed()
    if command == "p":
        events = [e for e in events if e.mode == "open" and e.approval]
    return events


# --- check-in -------------------------------------------------------------------------------------


async def _locate(
    services: Services, event_id: str, code: str
) -> tuple[Rsvp | None, Invitee | None]:
    """The answer holding ``code`` (its check-in code, or the invitation it came from) in an
    event; or only the invitation, when its holder never answered."""
    rows = await services.events.people(event_id)
    found = next((r for r in rows if r.checkin_code == code), None)
    if found is not None:
        return found, None
    invitee = next((i for i in await services.events.invitees(event_id) if i.code == code), None)
    if invitee is None:
        return None, None
    rsvp = next((r for r in rows if r.invitee_id == invitee.id), None)
    return rsvp, invitee


async def check_in_code(update: Update, context: BotContext, event: Event, text: str) -> None:
    """Check the delegate of ``text`` in at ``event`` and say how it went; a name typed
    instead of a code (lost, or left on another phone) lists who it may be."""
    user_dict(context, MEMORY).pop("names", None)  # a list of names holds until the next try
    code = find_code(text)
    if code is None:
        if looks_like_a_name(clean(text)):
            await _by_name(update, context, event, clean(text))
            return
        await send(update, context, context.t("checkin.code_invalid"))
        return
    services = context.services
    user = _user(context)
    try:
        done = await services.events.check_in(ref(update), user, event.id, code)
    except EventError as exc:
        if exc.code != "rsvp.code_unknown":
            await _refused(update, context, event, code, exc)
            return
        rsvp, invitee = await _locate(services, event.id, code)  # an invitation code?
        if rsvp is None and invitee is None and looks_like_a_name(clean(text)):
            await _by_name(update, context, event, clean(text))  # «Dung Linh» read as a code
            return
        if rsvp is None or rsvp.checkin_code == code:
            await _not_here(update, context, event, code, invitee)
            return
        try:
            done = await services.events.check_in(ref(update), user, event.id, rsvp.checkin_code)
        except EventError as again:
            await _refused(update, context, event, rsvp.checkin_code, again)
            return
    await send(update, context, await _checked_text(context, event, done))


async def _by_name(update: Update, context: BotContext, event: Event, typed: str) -> None:
    """The answers of ``event`` under the name typed, numbered, with a button (or the typed
    number) to check in each one who holds a seat: the checker looks at the unit first."""
    memory = user_dict(context, MEMORY)
    found = (await context.services.events.by_name(event.id, typed))[:NAMES_MAX]
    if not found:
        memory.pop("names", None)
        title = _short(event.title, TITLE_MAX)
        await send(update, context, context.t("checkin.name_none", name=typed, title=title))
        return
    memory["names"] = [r.id for r in found]
    lines = [context.t(NP_("checkin.name_found", "count"), count=len(found))]
    buttons = []
    for number, rsvp in enumerate(found, start=1):
        if rsvp.checked_in_at is not None:
            status = context.t("checkin.name_checked", time=_when(context, rsvp.checked_in_at))
        elif rsvp.seat is Seat.CONFIRMED:
            status = context.t("stats.seat.confirmed")
            label = f"✅ {number}. {_short(rsvp.full_name, BUTTON_NAME_MAX)}"
            buttons.append([(label, f"ci:n:{rsvp.id}")])
        else:
            status = context.t(SEAT_KEYS[rsvp.seat])
        details = "; ".join(part for part in (rsvp.unit, rsvp.position) if part)
        details = f" – {details}" if details else ""
        lines.append(
            context.t(
                "checkin.name_item", n=number, name=rsvp.full_name, details=details, status=status
            )
        )
    howto = N_("checkin.name_howto") if buttons else N_("checkin.name_no_seat")
    lines.append(context.t(howto))
    await send(update, context, "\n".join(lines), keyboard(buttons) if buttons else None)


async def on_name_pick(update: Update, context: BotContext) -> str | int | None:
    """``ci:n:<rsvp id>``, or the number typed after :func:`_by_name`'s list: check them in
    by their code, as if it had been typed."""
    await acknowledge(update)
    if not _is_checker(context):
        return await _denied_out(update, context)
    memory = user_dict(context, MEMORY)
    listed = [int(x) for x in memory.get("names") or []]
    query = update.callback_query
    if query is not None:
        rsvp_id = int((query.data or "").rsplit(":", 1)[1])
    else:
        number = typed_number(text_of(update)) or 0
        rsvp_id = listed[number - 1] if 1 <= number <= len(listed) else 0
    event = await _mode_event(context)
    rows = {r.id: r for r in await context.services.events.people(event.id)} if event else {}
    rsvp = rows.get(rsvp_id)
    if event is None or rsvp is None:
        await send(update, context, context.t("button.stale"))
        return None
    await check_in_code(update, context, event, rsvp.checkin_code)
    return None


async def _checked_text(context: BotContext, event: Event, done: CheckIn) -> str:
    rsvp = done.rsvp
    if done.first:
        lines = [context.t("checkin.ok", name=rsvp.full_name)]
    else:
        at = _when(context, rsvp.checked_in_at) if rsvp.checked_in_at else "?"
        checker = await context.services.users.get(rsvp.checked_in_by or 0)
        if checker is not None:
            lines = [
                context.t(
                    "checkin.already_by", name=rsvp.full_name, time=at, checker=checker.display_name
                )
            ]
        else:
            lines = [context.t("checkin.already", name=rsvp.full_name, time=at)]
    lines += _person_lines(context, event, rsvp)
    lines.append(context.t("checkin.headcount", done=done.checked_in, total=done.confirmed))
    return "\n".join(lines)


def _person_lines(context: BotContext, event: Event, rsvp: Rsvp) -> list[str]:
    lines = []
    if rsvp.unit:
        lines.append(context.t("checkin.unit", unit=rsvp.unit))
    if rsvp.position:
        lines.append(context.t("checkin.position", position=rsvp.position))
    group = event.group(rsvp.group_id)
    if group is not None:
        lines.append(context.t("checkin.group", group=group.name))
    if rsvp.note:
        lines.append(context.t("checkin.note", note=rsvp.note))
    return lines


async def _refused(
    update: Update, context: BotContext, event: Event, code: str, exc: EventError
) -> None:
    if exc.code == "rsvp.not_confirmed":
        rsvp, _ = await _locate(context.services, event.id, code)
        key = SEAT_REFUSALS.get(str(exc.params.get("seat")), N_("checkin.no_seat"))
        if rsvp is not None and rsvp.seat is Seat.NONE:  # the actual reason, not every one
            key = NO_SEAT_REASONS[rsvp.answer]
        name = rsvp.full_name if rsvp is not None else code
        await send(update, context, context.t(key, name=name))
    elif exc.code == "rsvp.denied":
        await send(update, context, context.t("checkin.denied"))
    elif exc.code == "rsvp.code_invalid":
        await send(update, context, context.t("checkin.code_invalid"))
    elif exc.code == "checkin.not_open":
        opens = _when(context, event.checkin_opens_at)
        await send(update, context, context.t("checkin.not_open", title=event.title, opens=opens))
    else:  # rsvp.event_gone, or a message of the service
        await send(update, context, context.t(exc.code))


async def _not_here(
    update: Update, context: BotContext, event: Event, code: str, invitee: Invitee | None
) -> None:
    """A code not found among the answers of ``event``."""
    if invitee is not None:  # invited, never answered
        await send(update, context, context.t("checkin.not_answered", name=invitee.full_name))
        return
    services = context.services
    for other in await services.events.events():
        if other.id == event.id:
            continue
        rsvp, invited = await _locate(services, other.id, code)
        holder = rsvp or invited
        if holder is not None:
            text = context.t(
                "checkin.other_event",
                code=code,
                title=_short(other.title, TITLE_MAX),
                name=holder.full_name,
            )
            await send(update, context, text)
            return
    await send(
        update,
        context,
        context.t("checkin.code_unknown", code=code, title=_short(event.title, TITLE_MAX)),
    )


async def _owner(services: Services, events: Sequence[Event], code: str) -> Event | None:
    for event in events:
        rsvp, invitee = await _locate(services, event.id, code)
        if rsvp is not None or invitee is not None:
            return event
    return None


async def checkin_command(update: Update, context: BotContext) -> str | int:
    """``/checkin CODE`` (one delegate) or ``/checkin`` (check-in mode)."""
    if not _is_checker(context):
        await send(update, context, context.t("checkin.denied"))
        return END
    services = context.services
    events = await door_events(services)
    if not events:
        await send(update, context, context.t("checkin.no_event"))
        return END
    text = " ".join(context.args or [])
    if not text.strip():
        return await _open_mode(update, context, events)
    code = find_code(text)
    if code is None:
        await send(update, context, context.t("checkin.code_invalid"))
        return END
    event = await _owner(services, events, code) or events[0]
    await check_in_code(update, context, event, code)
    return END


async def _open_mode(update: Update, context: BotContext, events: Sequence[Event]) -> str | int:
    memory = user_dict(context, MEMORY)
    memory.clear()
    if len(events) == 1:
        memory["event"] = events[0].id
        state = await _settle(update, context, FLOW, CODE)
        await _prompt_mode(update, context, events[0])
        return state
    memory["opts"] = [event.id for event in events]
    state = await _settle(update, context, FLOW, PICK)
    await _prompt_pick(update, context, events)
    return state


async def _prompt_pick(update: Update, context: BotContext, events: Sequence[Event]) -> None:
    text = "\n".join([context.t("checkin.pick"), *_event_lines(context, events)])
    await send(update, context, text, keyboard(_event_buttons(events, "ci:")))


async def _prompt_mode(update: Update, context: BotContext, event: Event) -> None:
    stats = await context.services.events.stats(event.id)
    text = context.t(
        "checkin.mode",
        title=_short(event.title, TITLE_MAX),
        done=stats.checked_in,
        total=stats.confirmed,
    )
    await send(update, context, text)


async def _mode_event(context: BotContext) -> Event | None:
    event_id = user_dict(context, MEMORY).get("event")
    return await context.services.events.get(str(event_id)) if event_id else None


async def checkin_prompt(update: Update, context: BotContext, state: str) -> None:
    """The current question of check-in mode, again."""
    if state == PICK:
        events = await _events_by_id(context.services, user_dict(context, MEMORY).get("opts"))
        if events:
            await _prompt_pick(update, context, events)
            return
    event = await _mode_event(context)
    if event is not None:
        await _prompt_mode(update, context, event)
    else:
        await send(update, context, context.t("checkin.event_lost"))


async def on_pick(update: Update, context: BotContext) -> str | int | None:
    """The event of check-in mode: its button, number or title."""
    if not _is_checker(context):
        return await _denied_out(update, context)
    if update.callback_query is None and _done(text_of(update)):
        return await checkin_done(update, context)
    services = context.services
    memory = user_dict(context, MEMORY)
    events = await _events_by_id(services, memory.get("opts"))
    if not events:
        events = await door_events(services)
    value = await choice_of(update, context, _event_choices(events), "ci:")
    if value is None:
        return None
    event = next((e for e in events if e.id == value), None)
    if event is None:
        await send(update, context, context.t("button.stale"))
        return None
    memory.clear()
    memory["event"] = event.id
    state = await _settle(update, context, FLOW, CODE)
    await _prompt_mode(update, context, event)
    return state


async def on_code(update: Update, context: BotContext) -> str | int | None:
    """A message in check-in mode: a code (or "xong")."""
    text = text_of(update)
    if _done(text):
        return await checkin_done(update, context)
    if not _is_checker(context):
        return await _denied_out(update, context)
    event = await _mode_event(context)
    if event is None:  # deleted meanwhile, or the memory was lost: choose again
        await send(update, context, context.t("checkin.event_lost"))
        events = await door_events(context.services)
        if not events:
            await _leave_mode(update, context)
            await send(update, context, context.t("checkin.no_event"))
            return END
        return await _open_mode(update, context, events)
    number = typed_number(text)
    if number is not None and user_dict(context, MEMORY).get("names"):
        return await on_name_pick(update, context)  # a number of the list of names
    await check_in_code(update, context, event, text)
    return None


async def on_checkin_again(update: Update, context: BotContext) -> str | int | None:
    """``/checkin`` inside the mode: ``/checkin CODE`` checks in; alone, the question again."""
    text = " ".join(context.args or [])
    state = current_state(update, context, FLOW)
    if text.strip() and state == CODE:
        return await on_code_text(update, context, text)
    await checkin_prompt(update, context, state or CODE)
    return None


async def on_code_text(update: Update, context: BotContext, text: str) -> str | int | None:
    if not _is_checker(context):
        return await _denied_out(update, context)
    event = await _mode_event(context)
    if event is None:
        await send(update, context, context.t("checkin.event_lost"))
        return None
    await check_in_code(update, context, event, text)
    return None


async def on_not_text(update: Update, context: BotContext) -> None:
    """A photo, sticker, voice note... in check-in mode: how to send a code; the mode stays."""
    await send(update, context, context.t("checkin.expect_code"))


async def _leave_mode(update: Update, context: BotContext) -> Event | None:
    event = await _mode_event(context)
    user_dict(context, MEMORY).clear()
    await _move(update, context, FLOW, None)
    return event


async def _summary(update: Update, context: BotContext, event: Event | None) -> None:
    if event is None:
        return
    stats = await context.services.events.stats(event.id)
    text = context.t(
        "checkin.summary",
        title=_short(event.title, TITLE_MAX),
        done=stats.checked_in,
        total=stats.confirmed,
    )
    await send(update, context, text)


async def checkin_done(update: Update, context: BotContext) -> int:
    """``/xong``: leave check-in mode with the headcount."""
    await acknowledge(update)
    event = await _leave_mode(update, context)
    await _summary(update, context, event)
    await send(update, context, context.t("checkin.finished"))
    return END


async def checkin_cancel(update: Update, context: BotContext) -> None:
    """``/cancel`` (the shared fallback then says ``checkin.finished``)."""
    event = await _leave_mode(update, context)
    await _summary(update, context, event)


async def _denied_out(update: Update, context: BotContext) -> int:
    """The role was revoked meanwhile: out of the mode."""
    await acknowledge(update)
    await _leave_mode(update, context)
    await send(update, context, context.t("checkin.denied"))
    return END


def build_checkin(services: Services) -> ConversationHandler[BotContext]:
    guard = NotInFlow(services.states)
    return ConversationHandler(
        name=FLOW,
        persistent=True,
        entry_points=[CommandHandler("checkin", checkin_command, filters=guard)],
        states={
            PICK: [
                CallbackQueryHandler(on_pick, pattern=r"^ci:[a-z0-9-]+$"),
                CommandHandler(list(DONE_COMMANDS), checkin_done),
                CommandHandler("checkin", on_checkin_again),
                MessageHandler(ANSWER_TEXT, on_pick),
            ],
            CODE: [
                CallbackQueryHandler(on_name_pick, pattern=r"^ci:n:\d{1,12}$"),
                CommandHandler(list(DONE_COMMANDS), checkin_done),
                CommandHandler("checkin", on_checkin_again),
                MessageHandler(ANSWER_TEXT, on_code),
                MessageHandler(filters.ALL & ~filters.COMMAND & ~STOP, on_not_text),
            ],
        },
        fallbacks=flow_fallbacks(
            FLOW,
            checkin_prompt,
            checkin_cancel,
            cancelled_key=N_("checkin.finished"),
            help_key=N_("checkin.help_inside"),
        ),
    )


# --- the office: which event ----------------------------------------------------------------------


def _office(context: BotContext) -> dict[str, Any]:
    return user_dict(context, OFFICE_MEMORY)


async def _office_entry(update: Update, context: BotContext, command: str) -> str | int:
    if not _is_admin(context):
        await send(update, context, context.t("rsvp.denied"))
        return END
    services = context.services
    argument = clean(" ".join(context.args or []))
    if argument:
        event = await services.events.get(argument.lower())
        if event is None:
            await send(update, context, context.t("stats.event_unknown", event_id=argument))
            return END
        return await _run(update, context, command, event)
    events = await office_events(services, command)
    if not events:
        key = N_("stats.pending_no_events") if command == "p" else N_("stats.no_events")
        await send(update, context, context.t(key))
        return END
    if len(events) == 1:
        return await _run(update, context, command, events[0])
    memory = _office(context)
    memory.clear()
    memory.update(cmd=command, opts=[event.id for event in events])
    state = await _settle(update, context, OFFICE, EVENT)
    await _prompt_events(update, context, command, events)
    return state


async def stats_command(update: Update, context: BotContext) -> str | int:
    return await _office_entry(update, context, "s")


async def pending_command(update: Update, context: BotContext) -> str | int:
    return await _office_entry(update, context, "p")


async def export_command(update: Update, context: BotContext) -> str | int:
    return await _office_entry(update, context, "x")


async def office_switch(update: Update, context: BotContext) -> str | int:
    """One of the office commands while another one waits: that one instead."""
    _office(context).clear()
    await _move(update, context, OFFICE, None)
    message = update.effective_message
    command = (message.text or "").split()[0].lstrip("/").split("@")[0] if message else ""
    code = next((k for k, v in COMMAND_OF.items() if v == command), "s")
    return await _office_entry(update, context, code)


async def _prompt_events(
    update: Update, context: BotContext, command: str, events: Sequence[Event]
) -> None:
    text = "\n".join([context.t("stats.pick"), *_event_lines(context, events)])
    await send(update, context, text, keyboard(_event_buttons(events, f"rs:{command}:")))


async def _run(update: Update, context: BotContext, command: str, event: Event) -> str | int:
    """Do ``command`` (s: stats, p: pending requests, x: export) for ``event``."""
    if command == "p":
        if not (event.mode == "open" and event.approval):
            title = _short(event.title, TITLE_MAX)
            await send(update, context, context.t("stats.pending_not_approval", title=title))
            return await _settle(update, context, OFFICE, None)
        return await _show_pending(update, context, event)
    state = await _settle(update, context, OFFICE, None)
    if command == "x":
        await send_export(update, context, event)
    else:
        await send_stats(update, context, event)
    return state


async def on_event_button(update: Update, context: BotContext) -> str | int | None:
    """``rs:<s|p|x>:<event id>``: an event picked for an office command."""
    query = update.callback_query
    assert query is not None
    if not _is_admin(context):
        await acknowledge(update, context.t("rsvp.denied"), alert=True)
        return None
    if current_state(update, context, OFFICE) is None:
        if not await may_enter(update, context):
            return END
    else:
        await acknowledge(update)
    _, command, event_id = (query.data or "").split(":", 2)
    event = await context.services.events.get(event_id)
    if event is None:
        await send(update, context, context.t("rsvp.event_gone"))
        return await _settle(update, context, OFFICE, None)
    return await _run(update, context, command, event)


async def on_event_typed(update: Update, context: BotContext) -> str | int | None:
    """The event typed by its number or title."""
    if _done(text_of(update)):
        return await office_done(update, context)
    if not _is_admin(context):
        return await _office_denied(update, context)
    memory = _office(context)
    command = str(memory.get("cmd") or "s")
    events = await _events_by_id(context.services, memory.get("opts"))
    value = await choice_of(update, context, _event_choices(events), f"rs:{command}:")
    event = next((e for e in events if e.id == value), None)
    if event is None:
        return None
    return await _run(update, context, command, event)


async def office_prompt(update: Update, context: BotContext, state: str) -> None:
    memory = _office(context)
    services = context.services
    if state == EVENT:
        command = str(memory.get("cmd") or "s")
        events = await _events_by_id(services, memory.get("opts"))
        await _prompt_events(update, context, command, events)
        return
    event = await services.events.get(str(memory.get("event") or ""))
    if event is None:
        await send(update, context, context.t("rsvp.event_gone"))
        return
    if state == DECIDE and memory.get("pick") is not None:
        await _ask_decision(update, context, event, int(memory["pick"]))
        return
    await _list_pending(update, context, event, keep_numbers=True)


async def office_done(update: Update, context: BotContext) -> int:
    """``/xong`` (or "xong" typed) in an office screen."""
    await acknowledge(update)
    state = current_state(update, context, OFFICE)
    _office(context).clear()
    await _move(update, context, OFFICE, None)
    key = N_("stats.pending_done") if state in (PENDING, DECIDE) else N_("flow.cancelled")
    await send(update, context, context.t(key))
    return END


async def office_cancel(update: Update, context: BotContext) -> None:
    _office(context).clear()
    await _move(update, context, OFFICE, None)


async def _office_denied(update: Update, context: BotContext) -> int:
    await acknowledge(update)
    await office_cancel(update, context)
    await send(update, context, context.t("rsvp.denied"))
    return END


# --- /rsvp_stats ----------------------------------------------------------------------------------


async def send_stats(update: Update, context: BotContext, event: Event) -> None:
    """The figures as text, then the chart as a photo."""
    chat = update.effective_chat
    if chat is None:
        return
    services = context.services
    try:
        stats = await services.events.stats(event.id)
    except EventError as exc:
        await send(update, context, context.t(exc.code))
        return
    translate = functools.partial(services.translator, context.locale)
    answers = stats.by_answer
    lines = [
        context.t(
            "stats.summary",
            title=_short(event.title, TITLE_MAX),
            yes=answers.get("yes", 0),
            no=answers.get("no", 0),
            maybe=answers.get("maybe", 0),
            confirmed=stats.confirmed,
            capacity=event.capacity,
            left=stats.seats_left,
            waitlisted=stats.waitlisted,
            checked_in=stats.checked_in,
        )
    ]
    if stats.invited:
        lines.append(
            context.t(
                "stats.invited",
                invited=stats.invited,
                answered=stats.invited - stats.unanswered,
                unanswered=stats.unanswered,
            )
        )
    if event.approval or stats.pending:
        lines.append(context.t("stats.pending_count", pending=stats.pending))
    if (closed := deadline_warning(context, event)) is not None:
        lines.append(closed)
    rows = group_rows(stats, translate)
    if event.groups:
        lines.append("\n" + context.t("stats.by_group"))
        for label, confirmed, waitlisted, pending, reserved in rows:
            line = context.t(
                "stats.group_line",
                group=_short(label, 70),
                confirmed=confirmed,
                waitlisted=waitlisted,
            )
            if pending:
                line += context.t("stats.group_pending", pending=pending)
            if reserved:
                line += context.t(NP_("stats.group_reserved", "reserved"), reserved=reserved)
            lines.append(line)
    await send(update, context, "\n".join(lines))
    try:
        await context.bot.send_chat_action(chat.id, ChatAction.UPLOAD_PHOTO)
    except TelegramError as exc:  # only a courtesy
        log.debug("sendChatAction failed: %s", exc)
    image = await asyncio.to_thread(attendance_chart, stats, translate)
    caption = context.t("stats.caption", title=_short(event.title, CAPTION_TITLE_MAX))
    await context.bot.send_photo(chat.id, photo=image, caption=caption, filename="rsvp.png")


# --- /export_rsvp ---------------------------------------------------------------------------------


async def send_export(update: Update, context: BotContext, event: Event) -> None:
    chat = update.effective_chat
    if chat is None:
        return
    services = context.services
    rsvps = await services.events.people(event.id)
    invitees = await services.events.invitees(event.id)
    title = _short(event.title, CAPTION_TITLE_MAX)
    if not rsvps and not invitees:
        await send(update, context, context.t("export_rsvp.empty", title=title))
        return
    try:
        await context.bot.send_chat_action(chat.id, ChatAction.UPLOAD_DOCUMENT)
    except TelegramError as exc:
        log.debug("sendChatAction failed: %s", exc)
    tz = services.settings.tz
    translate = functools.partial(services.translator, context.locale)
    phones = await services.events.phones(event.id)
    data = await asyncio.to_thread(export_rsvp, event, rsvps, translate, tz, invitees, phones)
    now = services.events.now().astimezone(tz)
    filename = f"dang-ky-{event.id}-{now:%Y%m%d-%H%M}.xlsx"
    caption = context.t(
        "export_rsvp.caption", title=title, count=len(rsvps), at=now.strftime(TIME_FORMAT)
    )
    waiting = len(unanswered(rsvps, invitees))
    if waiting:
        caption += " " + context.t(NP_("export_rsvp.caption_unanswered", "count"), count=waiting)
    await context.bot.send_document(chat.id, document=data, filename=filename, caption=caption)
    log.info("answers of %s exported by %s: %d rows", event.id, context.user_id, len(rsvps))


# --- /rsvp_pending --------------------------------------------------------------------------------


async def _pending_rows(context: BotContext, event: Event) -> list[Rsvp]:
    rows = [r for r in await context.services.events.people(event.id) if r.seat is Seat.PENDING]
    return sorted(rows, key=lambda r: (r.answered_at, r.id))


async def _show_pending(
    update: Update, context: BotContext, event: Event, *, keep_numbers: bool = False
) -> str | int:
    """The requests waiting for the office (then the PENDING screen), or that there are none.
    ``keep_numbers``: after a decision, each request keeps the number it had on the list the
    office is reading («từ chối 1» then «duyệt 3» is the third of that list)."""
    memory = _office(context)
    if memory.get("event") != event.id:
        keep_numbers = False
    memory["event"] = event.id
    memory.pop("pick", None)
    if not await _list_pending(update, context, event, keep_numbers=keep_numbers):
        memory.clear()
        return await _settle(update, context, OFFICE, None)
    return await _settle(update, context, OFFICE, PENDING)


async def _list_pending(
    update: Update, context: BotContext, event: Event, *, keep_numbers: bool = False
) -> bool:
    rows = await _pending_rows(context, event)
    title = _short(event.title, TITLE_MAX)
    if not rows:
        await send(update, context, context.t("stats.pending_none", title=title))
        return False
    memory = _office(context)
    waiting = {r.id: r for r in rows}
    # Number n is memory["list"][n - 1]; 0 there: decided since (its number is not reused).
    slots = [int(x) for x in memory.get("list") or []] if keep_numbers else []
    slots = [i if i in waiting else 0 for i in slots]
    if not any(slots):
        slots = []  # all of that list decided: a new list, from 1
    for rsvp in rows:
        if sum(1 for i in slots if i) >= PAGE_SIZE:
            break
        if rsvp.id not in slots:
            slots.append(rsvp.id)
    memory["list"] = slots
    shown = [(number, waiting[i]) for number, i in enumerate(slots, start=1) if i]
    lines = [context.t("stats.pending_list", title=title, count=len(rows))]
    for number, rsvp in shown:
        lines.append(_pending_line(context, event, number, rsvp))
    if len(rows) > len(shown):
        lines.append(context.t("stats.pending_more", count=len(rows) - len(shown)))
    lines.append("\n" + context.t("stats.pending_howto", example=shown[min(1, len(shown) - 1)][0]))
    buttons = [
        [
            (context.t("stats.btn_approve", number=number), f"rp:y:{rsvp.id}"),
            (context.t("stats.btn_decline", number=number), f"rp:n:{rsvp.id}"),
        ]
        for number, rsvp in shown
    ]
    await send(update, context, "\n".join(lines), keyboard(buttons))
    return True


def _pending_line(context: BotContext, event: Event, number: int, rsvp: Rsvp) -> str:
    group = event.group(rsvp.group_id)
    details = "; ".join(
        _short(part, 80) for part in (rsvp.unit, rsvp.position, group.name if group else "") if part
    )
    at = _when(context, rsvp.answered_at)
    if details:
        line = context.t(
            "stats.pending_item", number=number, name=rsvp.full_name, details=details, at=at
        )
    else:
        line = context.t("stats.pending_item_plain", number=number, name=rsvp.full_name, at=at)
    if rsvp.note:
        line += "\n" + context.t("stats.pending_note", note=_short(rsvp.note, 200))
    return line


def _decision_choices(context: BotContext) -> list[Choice]:
    return [
        Choice("y", context.labels("stats.btn_approve_one"), APPROVE_WORDS),
        Choice("n", context.labels("stats.btn_decline_one"), DECLINE_WORDS),
    ]


async def _ask_decision(update: Update, context: BotContext, event: Event, rsvp_id: int) -> None:
    rows = {r.id: r for r in await _pending_rows(context, event)}
    numbers = [int(x) for x in _office(context).get("list") or []]
    rsvp = rows.get(rsvp_id)
    if rsvp is None:
        await send(update, context, context.t("rsvp.not_pending"))
        return
    number = numbers.index(rsvp_id) + 1 if rsvp_id in numbers else 0
    text = context.t("stats.pending_ask", number=number, name=rsvp.full_name)
    buttons = [
        [
            (context.t("stats.btn_approve_one"), f"rp:y:{rsvp_id}"),
            (context.t("stats.btn_decline_one"), f"rp:n:{rsvp_id}"),
        ]
    ]
    await send(update, context, text, keyboard(buttons))


def _done(text: str) -> bool:
    """«xong», «xong rồi», «dạ xong ạ»: the end of the list or of check-in mode."""
    return fold(text) in DONE_WORDS or plain_answer(text) in DONE_WORDS


def _typed_decision(text: str) -> tuple[bool, int] | None:
    """ "duyệt 2", "từ chối số 2", «từ chối người số 1», "2 duyệt", «dạ duyệt 2 ạ»:
    (approve, number)."""
    match = TYPED_DECISION.match(fold(text)) or TYPED_DECISION.match(plain_answer(text))
    if match is None:
        return None
    word = match.group("w1") or match.group("w2")
    number = int(match.group("n1") or match.group("n2"))
    return word in APPROVE_WORDS, number


def _range_text(context: BotContext, numbers: Sequence[int]) -> str:
    """What may be typed on the list (``numbers``: its slots, 0 for those decided)."""
    active = [n for n, rsvp_id in enumerate(numbers, start=1) if rsvp_id] or [1]
    example = active[min(1, len(active) - 1)]
    low, high = active[0], active[-1]
    return context.t(
        "stats.pending_range", numbers=numbers_text(context, low, high), example=example
    )


async def on_pending_typed(update: Update, context: BotContext) -> str | int | None:
    """In the list: "duyệt 2", "từ chối 2", or a number (then approve or decline?)."""
    text = text_of(update)
    folded = fold(text)
    if _done(text):
        return await office_done(update, context)
    if not _is_admin(context):
        return await _office_denied(update, context)
    memory = _office(context)
    numbers = [int(x) for x in memory.get("list") or []]
    typed = _typed_decision(text)
    if typed is not None:
        approve, number = typed
        if not 1 <= number <= len(numbers):
            await send(update, context, _range_text(context, numbers))
            return None
        if not numbers[number - 1]:  # decided since the list was read
            await send(update, context, context.t("rsvp.not_pending"))
            return None
        return await _decide_and_list(update, context, numbers[number - 1], approve)
    if (picked := typed_number(folded)) is not None:
        if not 1 <= picked <= len(numbers):
            await send(update, context, _range_text(context, numbers))
            return None
        if not numbers[picked - 1]:
            await send(update, context, context.t("rsvp.not_pending"))
            return None
        event = await context.services.events.get(str(memory.get("event") or ""))
        if event is None:
            return await _office_gone(update, context)
        memory["pick"] = numbers[picked - 1]
        state = await _settle(update, context, OFFICE, DECIDE)
        await _ask_decision(update, context, event, numbers[picked - 1])
        return state
    example = min(2, len(numbers)) or 1
    await send(update, context, context.t("stats.pending_howto", example=example))
    return None


async def on_decide_typed(update: Update, context: BotContext) -> str | int | None:
    """After a number: "duyệt"/"từ chối" (or 1/2, or another "duyệt 3")."""
    text = text_of(update)
    if _done(text):
        return await office_done(update, context)
    if not _is_admin(context):
        return await _office_denied(update, context)
    if _typed_decision(text) is not None:
        return await on_pending_typed(update, context)
    memory = _office(context)
    value = await choice_of(update, context, _decision_choices(context), "")
    if value is None:
        return None
    picked = memory.get("pick")
    if picked is None:
        return await _office_gone(update, context)
    return await _decide_and_list(update, context, int(picked), value == "y")


async def on_decision_button(update: Update, context: BotContext) -> str | int | None:
    """``rp:<y|n>:<rsvp id>`` in the list or after a number."""
    query = update.callback_query
    assert query is not None
    if not _is_admin(context):
        await acknowledge(update, context.t("rsvp.denied"), alert=True)
        return None
    await acknowledge(update)
    _, verdict, ident = (query.data or "").split(":")
    return await _decide_and_list(update, context, int(ident), verdict == "y")


async def _decide_and_list(
    update: Update, context: BotContext, rsvp_id: int, approve: bool
) -> str | int:
    await decide(update, context, rsvp_id, approve)
    memory = _office(context)
    event = await context.services.events.get(str(memory.get("event") or ""))
    if event is None:
        return await _office_gone(update, context)
    return await _show_pending(update, context, event, keep_numbers=True)


async def _office_gone(update: Update, context: BotContext) -> int:
    _office(context).clear()
    await _move(update, context, OFFICE, None)
    await send(update, context, context.t("rsvp.event_gone"))
    return END


async def decide(update: Update, context: BotContext, rsvp_id: int, approve: bool) -> Event | None:
    """Approve or decline a request, and say so. The person (and, when a threshold is crossed,
    the office) are told through the outbox, queued in the decision's transaction. The event,
    when decided."""
    services = context.services
    notify: Notify[Answered] = services.broadcasts.notices(
        lambda answered: decision_notices(services, answered), actor_id=context.user_id
    )
    try:
        answered = await services.events.decide(
            ref(update), _user(context), rsvp_id, approve, notify=notify
        )
    except EventError as exc:
        await send(update, context, context.t(exc.code))
        return None
    wake_outbox(context.application)
    rsvp = answered.rsvp
    event = await services.events.get(rsvp.event_id)
    if not approve:
        key = N_("stats.declined")
    elif rsvp.seat is Seat.CONFIRMED:
        key = N_("stats.approved_confirmed")
    else:
        key = N_("stats.approved_waitlisted")
    lines = [context.t(key, name=rsvp.full_name)]
    queued = rsvp.user_id in notify.queued.chats
    lines.append(context.t(N_("stats.notice_queued") if queued else N_("stats.not_notified")))
    if answered.alerts and event is not None and services.settings.office_chat_id is not None:
        # The office chat is told through the outbox; whoever decided hears it here too.
        lines.append(
            context.t(
                "stats.alert",
                percent=max(answered.alerts),
                confirmed=answered.confirmed,
                capacity=event.capacity,
            )
        )
    await send(update, context, "\n".join(lines))
    if queued and event is not None and rsvp.seat is Seat.CONFIRMED:
        locale = await _locale(services, rsvp.user_id)
        await send_seat_files(context, rsvp.user_id, locale, event, rsvp)
    log.info("request %s %s by %s", rsvp_id, "approved" if approve else "declined", context.user_id)
    return event


async def _locale(services: Services, user_id: int) -> str:
    person = await services.users.get(user_id)
    default = services.settings.default_language
    return person.locale(default) if person is not None else default


async def decision_notices(services: Services, answered: Answered) -> list[Notice]:
    """The office's decision, told to the person in their language: approved (and where they
    stand: the seat with its code, or the place on the waiting list) or declined; and the
    office's capacity alert if the decision crossed a threshold. Framework-free: it runs inside
    the decision's transaction and only reads."""
    rsvp = answered.rsvp
    event = await services.events.get(rsvp.event_id)
    if event is None:
        return []
    voice = Voice(services, await _locale(services, rsvp.user_id))
    if rsvp.seat is Seat.CONFIRMED:
        key = N_("stats.notify_confirmed")
    elif rsvp.seat is Seat.WAITLISTED:
        key = N_("stats.notify_waitlisted")
    else:
        key = N_("stats.notify_declined")
    text = voice.t(key, title=event.title)
    if rsvp.seat in (Seat.CONFIRMED, Seat.WAITLISTED):
        text += "\n\n" + await confirmation_text(voice, event, rsvp)
    alerts = await office_alert_notices(services, event, answered.alerts, answered.confirmed)
    return [(rsvp.user_id, text), *alerts]


async def decision_outside(update: Update, context: BotContext) -> None:
    """``rp:`` on an older list, outside the conversation: decide, and say what is left."""
    query = update.callback_query
    assert query is not None
    if not _is_admin(context):
        await acknowledge(update, context.t("rsvp.denied"), alert=True)
        return
    await acknowledge(update)
    _, verdict, ident = (query.data or "").split(":")
    event = await decide(update, context, int(ident), verdict == "y")
    if event is None:
        return
    left = len(await _pending_rows(context, event))
    if left:
        await send(update, context, context.t("stats.pending_left", count=left, event_id=event.id))


def build_office(services: Services) -> ConversationHandler[BotContext]:
    guard = NotInFlow(services.states)
    Handler = BaseHandler[Update, BotContext, object]
    decision: Handler = CallbackQueryHandler(on_decision_button, pattern=r"^rp:[yn]:\d{1,18}$")
    switch: Handler = CommandHandler(list(OFFICE_COMMANDS), office_switch)
    done: Handler = CommandHandler(list(DONE_COMMANDS), office_done)
    return ConversationHandler(
        name=OFFICE,
        persistent=True,
        entry_points=[
            CommandHandler("rsvp_stats", stats_command, filters=guard),
            CommandHandler("rsvp_pending", pending_command, filters=guard),
            CommandHandler("export_rsvp", export_command, filters=guard),
            CallbackQueryHandler(on_event_button, pattern=r"^rs:[spx]:[a-z0-9-]+$"),
        ],
        states={
            EVENT: [
                CallbackQueryHandler(on_event_button, pattern=r"^rs:[spx]:[a-z0-9-]+$"),
                done,
                switch,
                MessageHandler(ANSWER_TEXT, on_event_typed),
            ],
            PENDING: [decision, done, switch, MessageHandler(ANSWER_TEXT, on_pending_typed)],
            DECIDE: [decision, done, switch, MessageHandler(ANSWER_TEXT, on_decide_typed)],
        },
        fallbacks=flow_fallbacks(
            OFFICE, office_prompt, office_cancel, help_key=N_("checkin.office_help_inside")
        ),
    )


def handlers(services: Services) -> list[BaseHandler[Update, BotContext, object]]:
    """Handlers registered by ``bot.app`` (in the order returned): the two conversations, then
    the decision buttons of an older list."""
    with warnings.catch_warnings():
        # CallbackQueryHandlers inside per-chat conversations are what we want here.
        warnings.filterwarnings("ignore", message=".*per_message.*", category=PTBUserWarning)
        conversations = [build_checkin(services), build_office(services)]
    return [
        *conversations,
        CallbackQueryHandler(decision_outside, pattern=r"^rp:[yn]:\d{1,18}$"),
    ]
