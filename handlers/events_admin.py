"""The conference office in the chat (admins): invitee lists, the invitation sheet, editing an
event, deleting one. Events are created from YAML on the server (``thidua-bot event import``).

* ``/invite_import``: an .xlsx/.csv list sent with that caption (``/invite_import EVENT_ID``
  names the event; with several events and none named, the bot asks which, keeping the file's
  id until the answer). The reply sums up the import and brings the printable sheet.
* ``/invitations [EVENT_ID]``: the sheet again (.zip: ``giay-moi.xlsx`` + the QR pictures).
* ``/event_edit [EVENT_ID]``: event → item → new value → confirmation → saved, then «Sửa mục
  khác» (or an item named in the next message) for the same event. Another item's name typed
  for a value switches to that item. The note and the agenda (one item a line) are items too.
  When the time or the place changes, everyone with a seat or on the waiting list is told, in
  their language (:class:`bot.services.event_notices.EventNotices`): the notices are written to
  the outbox in the transaction that saves the event and sent by the delivery worker.
* ``/event_delete [EVENT_ID]``: the event (named, or picked like the others), then a confirmation.

Each choice is a button and also its typed number or label; every step is a persistent
conversation (``/cancel`` leaves it). Callback data: ``evi:<event id>`` (which event, for a list
or the sheet), ``eve:e:<event id>``, ``eve:f:<item>``, ``eve:g:<group id>``, ``eve:v:<value>``,
``eve:c:save|again|cancel``, ``eve:more:<event id>`` (editing), ``evd:e:<event id>``,
``evd:c:yes|no`` (deleting).
"""

from __future__ import annotations

import asyncio
import functools
import logging
import re
import warnings
from collections.abc import Awaitable, Callable, Coroutine, Mapping, Sequence
from datetime import datetime, timedelta, tzinfo
from html import escape
from typing import Any

from pydantic import ValidationError
from telegram import Document, Update
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

from bot.documents.invitations import invitation_sheet
from bot.documents.invitees import MAX_BYTES, MAX_ROWS, InviteeFileError, read_invitees, source_line
from bot.domain.choices import (
    Choice,
    match_choice,
    plain_answer,
    typed_number,
    without_edit_verb,
)
from bot.domain.events import (
    AGENDA_MAX,
    AGENDA_TITLE,
    EVENT_NOTE_MAX,
    AgendaError,
    Event,
    parse_agenda,
    told_of_a_move,
)
from bot.domain.moments import parse_count, parse_datetime, parse_minutes, typed_example
from bot.domain.text import STEERING_WORDS, clean, fold, shorten
from bot.i18n import N_, NP_, Safe
from bot.services.broadcasts import Notify
from bot.services.container import Services
from bot.services.event_notices import EventNotices, duration_text
from bot.services.events import EventError, Saved
from bot.tg.broadcaster import wake_outbox
from bot.tg.context import BotContext
from bot.tg.screen import Option, Screen
from bot.tg.ui import acknowledge, keyboard, send
from handlers.common import (
    ANSWER_TEXT,
    END,
    TEXT,
    NotInFlow,
    ScreenPick,
    ask_step,
    choice_of,
    flow_fallbacks,
    may_enter,
    new_stamp,
    pick,
    ref,
    stamped,
    text_of,
    user_dict,
)

log = logging.getLogger(__name__)

INVITE_FLOW = "invite_import"
EDIT_FLOW = "event_edit"
DELETE_FLOW = "event_delete"
INVITE_DRAFT = "events_invite"  # user_data keys
EDIT_DRAFT = "events_edit"
DELETE_DRAFT = "events_delete"
INVITE_PICK = "evi:"
EDIT_PREFIX = "eve:"
DELETE_PREFIX = "evd:"
INVITE_CAPTION = r"^/invite_import(?:@\w+)?(?:\s|$)"
LABEL_MAX = 48  # characters of an event's title on a button
ERRORS_SHOWN = 20  # lines with errors listed after an import

# --- the items of an event that /event_edit changes ---------------------------------------------

FIELD_KEYS: dict[str, str] = {
    "title": N_("events.field.title"),
    "starts_at": N_("events.field.starts_at"),
    "duration": N_("events.field.duration"),
    "venue": N_("events.field.venue"),
    "address": N_("events.field.address"),
    "map_url": N_("events.field.map_url"),
    "rsvp_deadline": N_("events.field.rsvp_deadline"),
    "capacity": N_("events.field.capacity"),
    "mode": N_("events.field.mode"),
    "approval": N_("events.field.approval"),
    "reminders": N_("events.field.reminders"),
    "note": N_("events.field.note"),
    "agenda": N_("events.field.agenda"),
    "reserved": N_("events.field.reserved"),
}
ASK_KEYS: dict[str, str] = {
    "title": N_("events.ask.title"),
    "starts_at": N_("events.ask.starts_at"),
    "duration": N_("events.ask.duration"),
    "venue": N_("events.ask.venue"),
    "address": N_("events.ask.address"),
    "map_url": N_("events.ask.map_url"),
    "rsvp_deadline": N_("events.ask.rsvp_deadline"),
    "capacity": N_("events.ask.capacity"),
    "mode": N_("events.ask.mode"),
    "approval": N_("events.ask.approval"),
    "reminders": N_("events.ask.reminders"),
    "note": N_("events.ask.note"),
    "agenda": N_("events.ask.agenda"),
    "reserved": N_("events.ask.reserved"),
}
# How an item may be typed besides its label (folded; an edit verb before it is dropped:
# «đổi ngày», «sửa giờ bắt đầu»).
FIELD_ALIASES: dict[str, tuple[str, ...]] = {
    "title": ("ten", "ten su kien", "tieu de", "name", "title"),
    "starts_at": (
        *("gio bat dau", "ngay gio", "ngay", "gio", "thoi gian", "ngay to chuc", "ngay hop"),
        *("date", "time", "start", "start time"),
    ),
    "duration": ("keo dai", "bao lau", "so gio", "length"),
    "venue": ("noi to chuc", "noi hop", "phong hop", "hoi truong", "place"),
    "address": ("dia chi to chuc",),
    "map_url": ("ban do", "link ban do", "map", "google map"),
    "rsvp_deadline": ("han", "han chot", "han tra loi", "han xac nhan", "deadline"),
    "capacity": ("so cho ngoi", "suc chua", "so nguoi", "so luong", "seats"),
    "mode": ("hinh thuc", "che do", "giay moi", "dang ky tu do"),
    "approval": ("duyet", "phe duyet", "xet duyet"),
    "reminders": ("nhac", "nhac nho", "nhac hen", "loi nhac", "reminder"),
    "note": ("luu y", "ghi chu", "chu y", "luu y dai bieu", "note"),
    "agenda": ("chuong trinh", "chuong trinh hoi nghi", "lich trinh", "agenda", "programme"),
    "reserved": ("cho danh rieng", "giu cho", "cho rieng", "nhom"),
}
MOVING_FIELDS = frozenset({"starts_at", "venue", "address"})  # what makes the service tell people
CLEAR_WORDS = frozenset(
    {
        *("", "khong", "khong co", "none", "no", "xoa", "bo", "trong", "empty"),
        *("khong nhac", "khong can nhac", "khong can", "no reminders"),
    }
)
# Buttons of the value step (mode, approval): value -> label key.
VALUE_OPTIONS: dict[str, tuple[tuple[str, str], ...]] = {
    "mode": (("invitation", N_("events.mode.invitation")), ("open", N_("events.mode.open"))),
    "approval": (("yes", N_("events.approval.yes")), ("no", N_("events.approval.no"))),
}
VALUE_ALIASES: dict[str, tuple[str, ...]] = {
    "invitation": ("giay moi", "moi", "invitation", "invite"),
    "open": ("mo", "open", "tu do", "dang ky tu do"),
    "yes": ("co", "yes", "duyet", "can duyet"),
    "no": ("khong", "no", "khong duyet"),
}
CONFIRM_OPTIONS = (
    ("save", N_("events.btn.save"), ("luu", "save", "ok", "dong y", "yes", "co")),
    ("again", N_("events.btn.again"), ("nhap lai", "sua lai", "again", "retype")),
    ("cancel", N_("events.btn.cancel"), ("huy", "cancel", "thoi", "khong")),
)
BACK_WORDS = frozenset({"quay lai", "tro lai", "tro ve", "lui lai", "back", "go back"})
MORE_WORDS = ("sua tiep", "sua muc khac", "sua them", "sua nua", "edit more", "another item")
MORE_SCREEN = Screen("events_edit_more", ttl=30 * 60)  # «Sửa mục khác» after a save
# «Không xóa» first: a clerk typing «1» to pick the only event (the list step is skipped
# then) keeps it; deleting takes «2», the button or the word.
DELETE_OPTIONS = (
    ("no", N_("events.delete.btn_no"), ("khong", "no", "huy", "cancel", "giu")),
    ("yes", N_("events.delete.btn_yes"), ("xoa", "co", "yes", "delete")),
)
IMPORT_ERRORS: dict[str, str] = {
    "type": N_("events.import.type"),
    "too_large": N_("events.import.too_large"),
    "too_many": N_("events.import.too_many"),
    "unreadable": N_("events.import.unreadable"),
    "encoding": N_("events.import.encoding"),
    "no_name": N_("events.import.no_name"),
    "empty": N_("events.import.empty"),
    "download": N_("events.import.download"),
}

# --- reading typed values -----------------------------------------------------------------------

# Typed for a title, a venue or an address, these steer the edit (the buttons «Lưu», «Nhập
# lại»...): never the new value.
NOT_A_VALUE = STEERING_WORDS | {"luu", "luu lai", "save", "nhap lai", "retype", "sua", "doi"}


class Invalid(Exception):
    """A typed value refused: ``key`` is the message."""

    def __init__(self, key: str, **params: object) -> None:
        super().__init__(key)
        self.key = key
        self.params = params


# --- small helpers ------------------------------------------------------------------------------


def _is_admin(context: BotContext) -> bool:
    return context.user is not None and context.user.is_admin


async def _denied(update: Update, context: BotContext) -> bool:
    """Refuse (and return ``True``) when the person is not an admin."""
    if _is_admin(context):
        return False
    await send(update, context, context.t("admin.denied"))
    return True


def when(context: BotContext, moment: datetime) -> str:
    """A time as people read it here: ``08:00 20/06/2025`` (the bot's time zone)."""
    return moment.astimezone(context.services.settings.tz).strftime("%H:%M %d/%m/%Y")


def deadline_warning(context: BotContext, event: Event) -> str | None:
    """The event still to come whose answers are closed (its start moved, its deadline left
    behind): said wherever the office prepares or follows the invitations."""
    now = context.services.events.now()
    if not event.rsvp_deadline <= now < event.starts_at:
        return None
    return context.t(
        "events.deadline_passed",
        item=context.t(FIELD_KEYS["rsvp_deadline"]),
        deadline=when(context, event.rsvp_deadline),
    )


def _argument(text: str) -> str | None:
    """The word after the command (``/invite_import hoi-nghi``), if any."""
    parts = text.split(maxsplit=2)
    return parts[1].strip() if len(parts) > 1 else None


def _event_choices(events: Sequence[Event]) -> list[Choice]:
    return [Choice(event.id, (event.title, event.id)) for event in events]


def _event_list(context: BotContext, events: Sequence[Event]) -> str:
    return "\n".join(
        f"{number}. <b>{escape(shorten(event.title, 120))}</b> – {when(context, event.starts_at)}"
        f" (<code>{event.id}</code>)"
        for number, event in enumerate(events, start=1)
    )


def _event_buttons(events: Sequence[Event], prefix: str) -> list[list[tuple[str, str]]]:
    return [
        [(f"{number}. {shorten(event.title, LABEL_MAX)}", prefix + event.id)]
        for number, event in enumerate(events, start=1)
    ]


async def _events_of(context: BotContext, ids: object) -> list[Event]:
    """The events of a list shown earlier (in its order), those that still exist."""
    found = []
    for event_id in ids if isinstance(ids, list) else []:
        event = await context.services.events.get(str(event_id))
        if event is not None:
            found.append(event)
    return found


async def _pick_event(
    update: Update,
    context: BotContext,
    events: Sequence[Event],
    prefix: str,
    prompt: Callable[[Update, BotContext, str], Awaitable[None]],
) -> Event | None:
    """The event of the list ``events`` picked: a button (``prefix`` + id), its number or its
    title. ``None`` when it is none of them: asked again (a button of an older list says so)."""
    picked = await choice_of(update, context, _event_choices(events), prefix)
    if picked is None:
        return None
    event = next((e for e in events if e.id == picked), None)
    if event is None:  # a button of an older list
        await send(update, context, context.t("events.gone"))
        await prompt(update, context, "event")
    return event


async def _unknown_event(update: Update, context: BotContext, event_id: str) -> None:
    events = await context.services.events.events()
    ids = ", ".join(event.id for event in events) or "–"
    await send(update, context, context.t("events.unknown", id=event_id, ids=ids))


# --- /invite_import and /invitations -------------------------------------------------------------


def _invite_draft(context: BotContext) -> dict[str, Any]:
    return user_dict(context, INVITE_DRAFT)


async def invite_how(update: Update, context: BotContext) -> str | int:
    """``/invite_import`` typed without a file: how to send the list; as the reply to a file
    sent without that caption, the import of that file."""
    if await _denied(update, context):
        return END
    message = update.effective_message
    replied = message.reply_to_message if message is not None else None
    if message is not None and replied is not None and replied.document is not None:
        return await _import_document(update, context, replied.document, message.text or "")
    await send(
        update,
        context,
        context.t("events.import.how", limit=MAX_BYTES // 2**20, rows=MAX_ROWS),
    )
    return END


async def invite_document(update: Update, context: BotContext) -> str | int:
    """A list sent with the caption ``/invite_import [EVENT_ID]`` (admins)."""
    if await _denied(update, context):
        return END
    message = update.effective_message
    document = message.document if message is not None else None
    if message is None or document is None:
        return END
    return await _import_document(update, context, document, message.caption or "")


async def _import_document(
    update: Update, context: BotContext, document: Document, command: str
) -> str | int:
    """Import the list ``document``, for the event ``command`` names (or the one picked)."""
    name = document.file_name or ""
    if not name.lower().endswith((".xlsx", ".csv")):
        await send(update, context, context.t(IMPORT_ERRORS["type"]))
        return END
    if document.file_size is not None and document.file_size > MAX_BYTES:
        limit = MAX_BYTES // 2**20
        await send(update, context, context.t(IMPORT_ERRORS["too_large"], limit=limit))
        return END
    pending = {"action": "import", "file_id": document.file_id, "name": name}
    return await _with_event(update, context, _argument(command), pending)


async def invitations_command(update: Update, context: BotContext) -> str | int:
    """``/invitations [EVENT_ID]`` (admins): the invitation sheet of an event."""
    if await _denied(update, context):
        return END
    argument = " ".join(context.args or []).strip() or None
    return await _with_event(update, context, argument, {"action": "sheet"})


async def _with_event(
    update: Update, context: BotContext, event_id: str | None, pending: dict[str, Any]
) -> str | int:
    """Do ``pending`` for the event named, the only one, or the one the admin picks."""
    service = context.services.events
    if event_id:
        event = await service.get(event_id)
        if event is None:
            await _unknown_event(update, context, event_id)
            return END
        await _invite_action(update, context, event, pending)
        return END
    events = await service.listed()
    if not events:
        await send(update, context, context.t("events.none"))
        return END
    if len(events) == 1:
        await _invite_action(update, context, events[0], pending)
        return END
    draft = _invite_draft(context)
    draft.clear()
    draft.update(pending, ids=[event.id for event in events])
    await context.services.flows.move(ref(update), INVITE_FLOW, "event")
    await invite_prompt(update, context, "event")
    return "event"


async def invite_prompt(update: Update, context: BotContext, state: str) -> None:
    events = await _events_of(context, _invite_draft(context).get("ids"))
    text = context.t("events.pick") + "\n\n" + _event_list(context, events)
    await send(update, context, text, keyboard(_event_buttons(events, INVITE_PICK)))


async def invite_pick(update: Update, context: BotContext) -> str | int | None:
    """The event of the pending list (or sheet): a button, its number or its title."""
    draft = _invite_draft(context)
    events = await _events_of(context, draft.get("ids"))
    if draft.get("action") not in ("import", "sheet") or not events:
        # The request was lost (a restart before it was kept) or every event listed is gone.
        await invite_cancel(update, context)
        await send(update, context, context.t("events.import.lost"))
        return END
    event = await _pick_event(update, context, events, INVITE_PICK, invite_prompt)
    if event is None:
        return None
    pending = dict(draft)
    await _invite_action(update, context, event, pending)
    draft.clear()
    await context.services.flows.move(ref(update), INVITE_FLOW, None)
    return END


async def invite_cancel(update: Update, context: BotContext) -> None:
    _invite_draft(context).clear()
    await context.services.flows.move(ref(update), INVITE_FLOW, None)


async def _invite_action(
    update: Update, context: BotContext, event: Event, pending: dict[str, Any]
) -> None:
    if pending.get("action") == "import":
        imported = await _import(
            update, context, event, str(pending.get("file_id")), str(pending.get("name"))
        )
        if not imported:
            return
    await send_sheet(update, context, event)


async def _import(
    update: Update, context: BotContext, event: Event, file_id: str, name: str
) -> bool:
    """Download the list, add its people and sum it up. False when nothing could be read."""
    services = context.services
    try:
        data = await _download(context, file_id)
        rows = await asyncio.to_thread(read_invitees, name, data)
    except InviteeFileError as exc:
        log.info("invitee list %r refused: %s", name, exc)
        key = IMPORT_ERRORS.get(exc.code, IMPORT_ERRORS["unreadable"])
        await send(update, context, context.t(key, limit=MAX_BYTES // 2**20, rows=MAX_ROWS))
        return False
    try:
        imported = await services.events.invite(event.id, rows)
    except EventError as exc:
        await send(update, context, context.t(exc.code, **exc.params))
        return False
    total = len(await services.events.invitees(event.id))
    lines = [
        context.t(
            "events.import.summary",
            title=event.title,
            added=len(imported.added),
            updated=imported.updated,
            skipped=imported.skipped,
            errors=len(imported.errors),
            total=total,
        )
    ]
    for line, reason in imported.errors[:ERRORS_SHOWN]:
        row = rows[line - 2] if 0 <= line - 2 < len(rows) else {}
        number = source_line(rows, line)
        if reason == "duplicate":
            first = source_line(rows, imported.duplicate_of[line])
            why = context.t("events.import.duplicate", line=first)
        elif not row.get("full_name"):
            why = context.t("events.import.no_name_line")
        else:
            why = context.t("events.import.bad_line")
        lines.append(context.t("events.import.error_line", line=number, reason=Safe(why)))
    if len(imported.errors) > ERRORS_SHOWN:
        lines.append(
            context.t("events.import.more_errors", count=len(imported.errors) - ERRORS_SHOWN)
        )
    if imported.ungrouped:  # invited all the same: the group is to fix
        lines.append(context.t("events.import.ungrouped"))
        for line, written in list(imported.ungrouped.items())[:ERRORS_SHOWN]:
            several = event.find_group(written).several
            why = (
                context.t(
                    "events.import.group_several",
                    group=written,
                    groups=", ".join(group.id for group in several),
                )
                if several
                else context.t("events.import.bad_group", group=written)
            )
            number = source_line(rows, line)
            lines.append(context.t("events.import.error_line", line=number, reason=Safe(why)))
        if len(imported.ungrouped) > ERRORS_SHOWN:
            more = len(imported.ungrouped) - ERRORS_SHOWN
            lines.append(context.t("events.import.more_errors", count=more))
        groups = [
            context.t("events.import.group_line", id=group.id, name=shorten(group.name, 70))
            for group in event.groups
        ]
        lines.append(context.t("events.import.groups", groups=Safe("\n".join(groups) or "–")))
    if imported.read_as:
        lines.append(context.t("events.import.read_as"))
        names = {group.id: shorten(group.name, 70) for group in event.groups}
        lines += [
            context.t("events.import.read_as_line", typed=typed, name=names[group_id], id=group_id)
            for typed, group_id in list(imported.read_as.items())[:ERRORS_SHOWN]
        ]
    if (closed := deadline_warning(context, event)) is not None:
        lines.append("\n" + closed)
    await send(update, context, "\n".join(lines))
    log.info(
        "invitees of %s imported by %s: %d added, %d skipped, %d errors",
        event.id,
        context.user_id,
        len(imported.added),
        imported.skipped,
        len(imported.errors),
    )
    return True


async def _download(context: BotContext, file_id: str) -> bytes:
    try:
        file = await context.bot.get_file(file_id)
        return bytes(await file.download_as_bytearray())
    except TelegramError as exc:
        if "too big" in str(exc).lower():
            raise InviteeFileError("too_large", str(exc)) from exc
        raise InviteeFileError("download", str(exc)) from exc


async def send_sheet(update: Update, context: BotContext, event: Event) -> None:
    """The invitation sheet of ``event`` (.zip), headers in the admin's language."""
    chat = update.effective_chat
    if chat is None:
        return
    services = context.services
    invitees = await services.events.invitees(event.id)
    if not invitees:
        await send(update, context, context.t("events.sheet.none", title=event.title))
        return
    try:
        await context.bot.send_chat_action(chat.id, ChatAction.UPLOAD_DOCUMENT)
    except TelegramError as exc:  # only a courtesy
        log.debug("sendChatAction failed: %s", exc)
    translate = functools.partial(services.translator, context.locale)
    username = context.bot.username
    data = await asyncio.to_thread(invitation_sheet, event, invitees, username, t=translate)
    caption = context.t(
        NP_("events.sheet.caption", "count"), title=shorten(event.title, 300), count=len(invitees)
    )
    try:
        await context.bot.send_document(
            chat.id, document=data, filename=f"giay-moi-{event.id}.zip", caption=caption
        )
    except TelegramError as exc:
        log.warning("could not send the invitation sheet of %s: %s", event.id, exc)
        await send(update, context, context.t("events.sheet.failed"))


# --- /event_edit ----------------------------------------------------------------------------------


def _edit_draft(context: BotContext) -> dict[str, Any]:
    return user_dict(context, EDIT_DRAFT)


def _fields(event: Event) -> list[str]:
    return [f for f in FIELD_KEYS if f != "reserved" or event.groups]


def _named_field(context: BotContext, event: Event, text: str) -> str | None:
    """The item that ``text`` only names: its label («Địa điểm»), an alias of two words or
    more («sức chứa»), or anything after an edit verb («sửa giờ», «sửa mục 4»). Typed where a
    value is expected, the clerk changed their mind about the item: never a value."""
    fields = _fields(event)
    said = plain_answer(text)
    rest = without_edit_verb(text)
    if rest is not None and rest.isdigit():
        number = int(rest)
        return fields[number - 1] if 1 <= number <= len(fields) else None
    for field in fields:
        names = {fold(label) for label in context.labels(FIELD_KEYS[field])}
        aliases = FIELD_ALIASES.get(field, ())
        if said in names or said in {alias for alias in aliases if " " in alias}:
            return field
        if rest is not None and (rest in names or rest in aliases):
            return field
    return None


async def _switch_field(update: Update, context: BotContext, event: Event) -> str | None:
    """When the message names another item than the one being changed: that item's question
    (the state), after saying so; else ``None``."""
    if update.callback_query is not None:
        return None
    named = _named_field(context, event, text_of(update))
    if named is None or named == _edit_draft(context).get("field"):
        return None
    await send(
        update, context, context.t("events.edit.switched", field=context.t(FIELD_KEYS[named]))
    )
    return await _to_item(update, context, named)


def _field_value(
    context: BotContext, event: Event, field: str, group_id: str | None, *, full: bool = False
) -> str:
    """The current value of an item, as shown (escaped); ``full``: the agenda's items, one a
    line as they are typed (else their count)."""
    none = context.t("events.empty")
    if field == "agenda":
        if not event.agenda:
            return none
        if not full:
            return context.t(NP_("events.agenda_items", "count"), count=len(event.agenda))
        lines = [
            escape(f"{item.time} {shorten(item.title, 100)}" if item.time else item.title)
            for item in event.agenda
        ]
        return "\n" + "\n".join(lines)
    if field == "starts_at":
        return when(context, event.starts_at)
    if field == "rsvp_deadline":
        return when(context, event.rsvp_deadline)
    if field == "duration":
        return duration_text(context.t, event.duration_minutes)
    if field == "capacity":
        return str(event.capacity)
    if field == "mode":
        return context.t(dict(VALUE_OPTIONS["mode"])[event.mode])
    if field == "approval":
        return context.t(dict(VALUE_OPTIONS["approval"])["yes" if event.approval else "no"])
    if field == "reminders":
        if not event.reminders:
            return context.t("events.no_reminders")
        return ", ".join(duration_text(context.t, m) for m in event.reminders)
    if field == "reserved":
        group = event.group(group_id)
        if group is None:
            reserved = sum(g.reserved for g in event.groups)
            return context.t(NP_("events.reserved_total", "seats"), seats=reserved)
        return str(group.reserved)
    value = {
        "title": event.title,
        "venue": event.venue,
        "address": event.address,
        "map_url": event.map_url or "",
        "note": event.note if full else shorten(event.note, 160),
    }[field]
    return escape(value) if value else none


def shift_agenda(event: Event, starts_at: datetime, tz: tzinfo) -> list[dict[str, Any]]:
    """The agenda with each item's time moved as the start moves within the day (a new date
    at the same hour changes nothing); an item that would leave the day loses its time (a
    wrong time is worse than none)."""
    before = event.starts_at.astimezone(tz)
    after = starts_at.astimezone(tz)
    delta = (after.hour * 60 + after.minute) - (before.hour * 60 + before.minute)
    items = []
    for item in event.agenda:
        data = item.model_dump()
        if delta and item.time:
            hours, minutes = (int(x) for x in item.time.split(":"))
            moved = hours * 60 + minutes + delta
            fits = 0 <= moved < 24 * 60
            data["time"] = f"{moved // 60:02d}:{moved % 60:02d}" if fits else None
        items.append(data)
    return items


async def _change(
    context: BotContext, event: Event, field: str, group_id: str | None, raw: str
) -> Event:
    """``event`` with ``field`` set from what the admin typed (or picked); raises
    :class:`Invalid` with the reason."""
    services = context.services
    tz = services.settings.tz
    text = clean(raw)
    values: dict[str, Any] = {}
    # A number with words around it («dạ 240 ạ»); "-5" keeps its sign (fold drops it).
    number = typed_number(text) if any(ch.isalpha() for ch in text) else None
    if number is not None and field in ("duration", "reminders", "capacity", "reserved"):
        text = str(number)
    number = number if number is not None else typed_number(text)
    # «không», «-»: no address, no note, no agenda
    cleared = field in ("address", "note", "agenda") and (fold(text) in CLEAR_WORDS or text == "-")
    steering = fold(text) in NOT_A_VALUE or number is not None  # «giữ nguyên», «dạ 2 ạ»
    if field in ("title", "venue", "address", "note", "agenda") and steering and not cleared:
        raise Invalid(N_("error.not_an_answer"), text=text)
    if field in ("title", "venue"):
        low, high = (3, 300) if field == "title" else (2, 300)
        if not low <= len(text) <= high:
            raise Invalid(N_("events.error.length"), low=low, high=high)
        values[field] = text
    elif field == "address":
        if len(text) > 300:
            raise Invalid(N_("events.error.length"), low=0, high=300)
        values["address"] = "" if fold(text) in CLEAR_WORDS or text == "-" else text
    elif field == "note":
        if len(text) > EVENT_NOTE_MAX:
            raise Invalid(N_("error.too_long"), limit=EVENT_NOTE_MAX, length=len(text))
        values["note"] = "" if cleared else text
    elif field == "agenda":
        values["agenda"] = () if cleared else _typed_agenda(raw)
    elif field == "map_url":
        if fold(text) in CLEAR_WORDS or text == "-":
            values["map_url"] = None
        elif not re.fullmatch(r"https?://\S{3,490}", text):
            raise Invalid(N_("events.error.url"))
        else:
            values["map_url"] = text
    elif field in ("starts_at", "rsvp_deadline"):
        moment = parse_datetime(text, tz, services.events.now().astimezone(tz).date())
        if moment is None:
            raise Invalid(
                N_("events.error.datetime"), example=typed_example(event.starts_at.astimezone(tz))
            )
        if field == "starts_at":
            if moment < services.events.now():
                raise Invalid(N_("events.error.past"))
            if moment < event.rsvp_deadline:
                raise Invalid(
                    N_("events.error.start_before_deadline"),
                    deadline=when(context, event.rsvp_deadline),
                )
        elif moment > event.starts_at:
            raise Invalid(
                N_("events.error.deadline_after_start"), start=when(context, event.starts_at)
            )
        elif moment < services.events.now():  # it would close the answers at once, unsaid
            raise Invalid(N_("events.error.deadline_past"))
        values[field] = moment
        if field == "starts_at":  # the agenda's times move with the start ("08:00" -> "14:00")
            values["agenda"] = shift_agenda(event, moment, tz)
    elif field == "duration":
        amounts = parse_minutes(text)
        total = sum(amounts) if amounts else 0
        if not 15 <= total <= 24 * 60:
            raise Invalid(N_("events.error.duration"))
        values["duration_minutes"] = total
    elif field == "reminders":
        if fold(text) in CLEAR_WORDS or fold(text) == "0" or text == "-":
            values["reminders"] = ()
        else:
            amounts = parse_minutes(text)
            if not amounts or any(m < 5 or m > 30 * 24 * 60 for m in amounts):
                raise Invalid(N_("events.error.reminders"))
            values["reminders"] = tuple(amounts)
    elif field == "capacity":
        count = parse_count(text)
        if count is None:
            raise Invalid(N_("events.error.number"))
        if text.strip().startswith("-") or not 1 <= count <= 100_000:  # "-5" is no 5
            raise Invalid(N_("events.error.capacity_range"))
        reserved = sum(g.reserved for g in event.groups)
        if count < reserved:
            raise Invalid(N_("events.error.capacity_reserved"), reserved=reserved)
        confirmed = (await services.events.stats(event.id)).confirmed
        if count < confirmed:
            raise Invalid(NP_("events.error.capacity_confirmed", "confirmed"), confirmed=confirmed)
        values["capacity"] = count
    elif field == "reserved":
        group = event.group(group_id)
        count = parse_count(text)
        if group is None:
            raise Invalid(N_("events.gone"))
        if count is None:
            raise Invalid(N_("events.error.number"))
        others = sum(g.reserved for g in event.groups if g.id != group.id)
        if others + count > event.capacity:
            raise Invalid(NP_("events.error.reserved_over", "free"), free=event.capacity - others)
        values["groups"] = [
            g.model_copy(update={"reserved": count}) if g.id == group.id else g
            for g in event.groups
        ]
    elif field == "mode":
        if raw not in ("invitation", "open"):
            raise Invalid(N_("error.choose_button"))
        values["mode"] = raw
    elif field == "approval":
        if raw not in ("yes", "no"):
            raise Invalid(N_("error.choose_button"))
        values["approval"] = raw == "yes"
    try:
        return Event.model_validate({**event.model_dump(), **values})
    except ValidationError as exc:
        log.info("event %s: %s refused: %s", event.id, field, exc.errors()[:1])
        raise Invalid(N_("events.error.invalid")) from exc


AGENDA_ERRORS = {
    "time": N_("events.error.agenda_time"),
    "title": N_("events.error.agenda_title"),
    "too_many": N_("events.error.agenda_many"),
    "empty": N_("events.error.agenda_empty"),
}


def _typed_agenda(raw: str) -> list[dict[str, Any]]:
    """The agenda typed one item a line (see :func:`parse_agenda`); raises :class:`Invalid`."""
    try:
        items = parse_agenda(raw)
    except AgendaError as exc:
        low, high = AGENDA_TITLE
        raise Invalid(
            AGENDA_ERRORS[exc.kind],
            line=exc.line,
            typed=shorten(exc.typed, 80),
            low=low,
            high=high,
            limit=AGENDA_MAX,
        ) from exc
    return [item.model_dump() for item in items]


async def edit_begin(update: Update, context: BotContext) -> str | int:
    """``/event_edit [EVENT_ID]`` (admins)."""
    if await _denied(update, context):
        return END
    service = context.services.events
    draft = _edit_draft(context)
    draft.clear()
    argument = " ".join(context.args or []).strip()
    if argument:
        event = await service.get(argument)
        if event is None:
            await _unknown_event(update, context, argument)
            return END
        return await _to_fields(update, context, event)
    events = await service.listed()
    if not events:
        await send(update, context, context.t("events.none"))
        return END
    if len(events) == 1:
        return await _to_fields(update, context, events[0])
    draft["ids"] = [event.id for event in events]
    return await _move(update, context, "event")


async def _move(update: Update, context: BotContext, state: str) -> str:
    return await ask_step(update, context, EDIT_FLOW, state, edit_prompt)


async def _to_item(update: Update, context: BotContext, field: str) -> str:
    """The question of ``field`` (first its group, for a group's reserved seats)."""
    draft = _edit_draft(context)
    draft["field"] = field
    for key in ("group", "value"):
        draft.pop(key, None)
    return await _move(update, context, "group" if field == "reserved" else "value")


async def _to_fields(update: Update, context: BotContext, event: Event) -> str:
    draft = _edit_draft(context)
    draft.update(event=event.id)
    for key in ("field", "group", "value"):
        draft.pop(key, None)
    return await _move(update, context, "field")


async def _draft_event(context: BotContext) -> Event | None:
    event_id = _edit_draft(context).get("event")
    return await context.services.events.get(str(event_id)) if event_id else None


async def edit_prompt(update: Update, context: BotContext, state: str) -> None:
    """Ask the question of ``state`` (again)."""
    draft = _edit_draft(context)
    if state == "event":
        events = await _events_of(context, draft.get("ids"))
        text = context.t("events.pick") + "\n\n" + _event_list(context, events)
        prefix = EDIT_PREFIX + "e:"
        await send(update, context, text, keyboard(_event_buttons(events, prefix)))
        return
    event = await _draft_event(context)
    if event is None:
        await send(update, context, context.t("events.edit.stuck"))
        return
    field = str(draft.get("field") or "")
    group_id = draft.get("group")
    if state == "field":
        fields = _fields(event)
        lines = [
            f"{n}. {context.t(FIELD_KEYS[f])}: {_field_value(context, event, f, None)}"
            for n, f in enumerate(fields, start=1)
        ]
        text = context.t("events.edit.pick_field", title=event.title) + "\n\n" + "\n".join(lines)
        labels = [
            (f"{n}. {context.t(FIELD_KEYS[f])}", f"{EDIT_PREFIX}f:{f}")
            for n, f in enumerate(fields, start=1)
        ]
        rows = [labels[i : i + 2] for i in range(0, len(labels), 2)]
        await send(update, context, text, keyboard(rows))
        return
    if state == "group":
        lines = [
            f"{n}. {escape(group.name)} – "
            + context.t(NP_("events.seats", "seats"), seats=group.reserved)
            for n, group in enumerate(event.groups, start=1)
        ]
        text = context.t("events.edit.pick_group", capacity=event.capacity)
        buttons = [
            [(f"{n}. {shorten(group.name, LABEL_MAX)}", f"{EDIT_PREFIX}g:{group.id}")]
            for n, group in enumerate(event.groups, start=1)
        ]
        await send(update, context, text + "\n\n" + "\n".join(lines), keyboard(buttons))
        return
    if field not in FIELD_KEYS:
        await send(update, context, context.t("events.edit.stuck"))
        return
    if state == "value":
        current = _field_value(context, event, field, group_id, full=True)
        group = event.group(str(group_id)) if group_id else None
        tz = context.services.settings.tz
        # An example in the shape to type, on the event's own dates (never a past year's).
        start = event.starts_at.astimezone(tz)
        deadline = (event.starts_at - timedelta(days=3)).astimezone(tz).replace(hour=17, minute=0)
        moment = start if field == "starts_at" else deadline
        text = context.t(
            ASK_KEYS[field],
            group=group.name if group else "",
            capacity=event.capacity,
            start=when(context, event.starts_at),
            example=typed_example(moment),
        )
        text += "\n" + context.t("events.current", value=Safe(current))
        markup = None
        if field in VALUE_OPTIONS:
            markup = keyboard(
                [
                    [(context.t(key), f"{EDIT_PREFIX}v:{value}")]
                    for value, key in VALUE_OPTIONS[field]
                ]
            )
        await send(update, context, text, markup)
        return
    # confirm
    try:
        changed = await _change(context, event, field, group_id, str(draft.get("value", "")))
    except Invalid as exc:
        await send(update, context, context.t(exc.key, **exc.params))
        return
    label = escape(context.t(FIELD_KEYS[field]))
    group = event.group(str(group_id)) if group_id else None
    if field == "reserved" and group is not None:
        label += f" – {escape(shorten(group.name, 80))}"
    before = _field_value(context, event, field, group_id, full=True)
    after = _field_value(context, changed, field, group_id, full=True)
    text = "\n".join(
        [
            context.t("events.edit.confirm", title=event.title),
            f"<b>{label}</b>",
            context.t("events.current", value=Safe(before)),
            context.t("events.edit.after", value=Safe(after)),
        ]
    )
    if field == "agenda" and changed.agenda:
        text += "\n\n" + context.t("events.edit.agenda_more")
    if field in MOVING_FIELDS and changed != event:
        people = await _affected_count(context, event.id)
        if people:
            text += "\n\n" + context.t("events.edit.will_tell", count=people)
    _edit_draft(context)["stamp"] = stamp = new_stamp()  # only these buttons save this change
    buttons = [
        [(context.t(key), stamped(f"{EDIT_PREFIX}c:{value}", stamp))]
        for value, key, _ in CONFIRM_OPTIONS
    ]
    await send(update, context, text, keyboard(buttons))


async def _affected_count(context: BotContext, event_id: str) -> int:
    people = await context.services.events.people(event_id)
    return sum(1 for p in people if told_of_a_move(p))


async def _lost(update: Update, context: BotContext) -> str | int:
    """The draft is gone (a restart before it was kept): start again from the events."""
    await send(update, context, context.t("events.edit.lost"))
    _edit_draft(context).clear()
    await context.services.flows.move(ref(update), EDIT_FLOW, None)
    return END


async def edit_pick_event(update: Update, context: BotContext) -> str | int | None:
    events = await _events_of(context, _edit_draft(context).get("ids"))
    event = await _pick_event(update, context, events, EDIT_PREFIX + "e:", edit_prompt)
    if event is None:
        return None
    return await _to_fields(update, context, event)


async def edit_pick_field(update: Update, context: BotContext) -> str | int | None:
    event = await _draft_event(context)
    if event is None:
        return await _lost(update, context)
    fields = _fields(event)
    choices = [Choice(f, context.labels(FIELD_KEYS[f]), FIELD_ALIASES.get(f, ())) for f in fields]
    picked = await choice_of(update, context, choices, EDIT_PREFIX + "f:")
    if picked is None:
        return None
    if picked not in fields:
        await send(update, context, context.t("button.stale"))
        await edit_prompt(update, context, "field")
        return None
    return await _to_item(update, context, picked)


async def edit_pick_group(update: Update, context: BotContext) -> str | int | None:
    event = await _draft_event(context)
    if event is None:
        return await _lost(update, context)
    picked = await choice_of(update, context, event.group_choices(), EDIT_PREFIX + "g:")
    if picked is None:
        return None
    if event.group(picked) is None:
        await send(update, context, context.t("button.stale"))
        await edit_prompt(update, context, "group")
        return None
    _edit_draft(context)["group"] = picked
    return await _move(update, context, "value")


async def edit_value(update: Update, context: BotContext) -> str | int | None:
    """The new value: typed (checked at once; the step stays on an error) or a button."""
    event = await _draft_event(context)
    draft = _edit_draft(context)
    field = str(draft.get("field") or "")
    if event is None or field not in FIELD_KEYS:
        return await _lost(update, context)
    switched = await _switch_field(update, context, event)
    if switched is not None:
        return switched
    if update.callback_query is None and fold(text_of(update)) in BACK_WORDS:
        return await _to_fields(update, context, event)  # «quay lại»: the items again
    if field in VALUE_OPTIONS:
        choices = [
            Choice(value, context.labels(key), VALUE_ALIASES.get(value, ()))
            for value, key in VALUE_OPTIONS[field]
        ]
        raw = await choice_of(update, context, choices, EDIT_PREFIX + "v:")
        if raw is None:
            return None
    elif update.callback_query is not None:  # a button of another item's question
        await acknowledge(update, context.t("button.stale"))
        return None
    else:
        raw = text_of(update)
    group_id = draft.get("group")
    try:
        changed = await _change(context, event, field, str(group_id) if group_id else None, raw)
    except Invalid as exc:
        await send(update, context, context.t(exc.key, **exc.params))
        return None
    if changed == event:  # nothing to save: the step stays
        current = _field_value(context, event, field, str(group_id) if group_id else None)
        await send(update, context, context.t("events.edit.unchanged", value=Safe(current)))
        return None
    draft["value"] = raw
    return await _move(update, context, "confirm")


async def edit_confirm(update: Update, context: BotContext) -> str | int | None:
    event = await _draft_event(context)
    if event is not None:
        switched = await _switch_field(update, context, event)  # «sức chứa»: that item instead
        if switched is not None:
            return switched
    choices = [
        Choice(value, context.labels(key), aliases) for value, key, aliases in CONFIRM_OPTIONS
    ]
    draft = _edit_draft(context)
    if (
        event is not None
        and draft.get("field") == "agenda"
        and update.callback_query is None
        and pick(text_of(update), choices) is None
    ):
        await _more_agenda(update, context, event)
        return None
    stamp = draft.get("stamp")
    picked = await choice_of(update, context, choices, EDIT_PREFIX + "c:", stamp=stamp)
    if picked is None:
        return None
    if picked == "again":
        _edit_draft(context).pop("value", None)
        return await _move(update, context, "value")
    if picked == "cancel":
        await edit_cancel(update, context)
        await send(update, context, context.t("flow.cancelled"))
        return END
    return await _save(update, context)


async def _more_agenda(update: Update, context: BotContext, event: Event) -> None:
    """More items typed before «Lưu» (an agenda sent in several messages): added to the
    pending one, and the confirmation shown again; a wrong line keeps what was typed so far."""
    draft = _edit_draft(context)
    pending = str(draft.get("value", ""))
    cleared = fold(pending) in CLEAR_WORDS or pending.strip() == "-"
    combined = text_of(update) if cleared else f"{pending}\n{text_of(update)}"
    try:
        await _change(context, event, "agenda", None, combined)
    except Invalid as exc:
        await send(update, context, context.t(exc.key, **exc.params))
        return
    draft["value"] = combined
    await edit_prompt(update, context, "confirm")


async def _save(update: Update, context: BotContext) -> str | int | None:
    services = context.services
    draft = _edit_draft(context)
    event = await _draft_event(context)
    field = str(draft.get("field") or "")
    if event is None or field not in FIELD_KEYS or "value" not in draft:
        return await _lost(update, context)
    if not _is_admin(context):
        await edit_cancel(update, context)
        await send(update, context, context.t("admin.denied"))
        return END
    group_id = draft.get("group")
    try:  # again, on the event as it is now (someone may have changed it meanwhile)
        changed = await _change(
            context, event, field, str(group_id) if group_id else None, str(draft["value"])
        )
    except Invalid as exc:
        await send(update, context, context.t(exc.key, **exc.params))
        draft.pop("value", None)
        return await _move(update, context, "value")
    texts = EventNotices(
        services.translator,
        services.users,
        default_language=services.settings.default_language,
        tz=services.settings.tz,
    )
    notify: Notify[Saved] = services.broadcasts.notices(texts.moved, actor_id=context.user_id)
    # One transaction: the event, the delegates' notices, the update id, the flow's end.
    saved = await services.events.save(
        changed, ref=ref(update), notify=notify, conversation=EDIT_FLOW, state=None
    )
    draft.clear()
    log.info("event %s: %s changed by %s", event.id, field, context.user_id)
    text = context.t(
        "events.edit.saved", title=saved.event.title, field=context.t(FIELD_KEYS[field])
    )
    if field in MOVING_FIELDS and saved.event.note:  # a note like «time to be confirmed»
        text += "\n\n" + context.t("events.edit.note_still", note=shorten(saved.event.note, 300))
    if (closed := deadline_warning(context, saved.event)) is not None:
        text += "\n\n" + closed
    await _offer_more(update, context, saved.event, text)
    if saved.moved and saved.affected:
        wake_outbox(context.application)
        queued, left_out = len(notify.queued.chats), len(notify.queued.left_out)
        log.info("event %s moved: %d notices queued, %d left out", event.id, queued, left_out)
        key = N_("events.edit.notices_partly") if left_out else N_("events.edit.notices_queued")
        await send(update, context, context.t(key, queued=queued, unreachable=left_out))
    return END


async def _offer_more(update: Update, context: BotContext, event: Event, text: str) -> None:
    """``text`` (a change saved) with «Sửa mục khác»: pressed, typed, or an item named in the
    next message («sức chứa») goes on editing this event (see :func:`edit_more`)."""
    data = f"{EDIT_PREFIX}more:{event.id}"
    await send(update, context, text, keyboard([[(context.t("events.edit.btn_more"), data)]]))
    assert context.user_data is not None
    options = [Option(data, (*context.labels("events.edit.btn_more"), *MORE_WORDS))]
    options += [
        Option(f"{data}:{field}", (*context.labels(FIELD_KEYS[field]), *FIELD_ALIASES[field]), 0)
        for field in _fields(event)
    ]
    MORE_SCREEN.remember(context.user_data, options)


async def edit_more(update: Update, context: BotContext) -> str | int:
    """«Sửa mục khác» after a save (pressed or typed), or an item named right after it: the
    items of that event again, or that item's question."""
    if not await may_enter(update, context):
        return END
    if context.user_data is not None:
        MORE_SCREEN.forget(context.user_data)
    if await _denied(update, context):
        return END
    query = update.callback_query
    data = (query.data or "") if query is not None else (context.picked or [""])[0]
    event_id, _, field = data.removeprefix(f"{EDIT_PREFIX}more:").partition(":")
    event = await context.services.events.get(event_id)
    draft = _edit_draft(context)
    draft.clear()
    if event is None:
        await send(update, context, context.t("events.edit.lost"))
        return END
    if field not in _fields(event):
        return await _to_fields(update, context, event)
    draft["event"] = event.id
    return await _to_item(update, context, field)


async def edit_cancel(update: Update, context: BotContext) -> None:
    _edit_draft(context).clear()
    await context.services.flows.move(ref(update), EDIT_FLOW, None)


# --- /event_delete --------------------------------------------------------------------------------


async def delete_begin(update: Update, context: BotContext) -> str | int:
    """``/event_delete [EVENT_ID or title]`` (admins): the event named, the only one, or the
    one picked from the list; then a confirmation."""
    if await _denied(update, context):
        return END
    service = context.services.events
    argument = " ".join(context.args or []).strip()
    events = await service.listed()
    draft = user_dict(context, DELETE_DRAFT)
    draft.clear()
    if not events:
        await send(update, context, context.t("events.none"))
        return END
    if argument:
        event = await service.get(argument)
        if event is None:  # its title, or its number in the list («/event_delete tập huấn»)
            picked = match_choice(argument, _event_choices(events), fuzzy=False)
            event = next((e for e in events if e.id == picked), None)
        if event is None:
            await _unknown_event(update, context, argument)
            return END
    elif len(events) == 1:
        event = events[0]
    else:
        draft["ids"] = [event.id for event in events]
        return await ask_step(update, context, DELETE_FLOW, "event", delete_prompt)
    return await _delete_ask(update, context, event)


async def _delete_ask(update: Update, context: BotContext, event: Event) -> str:
    draft = user_dict(context, DELETE_DRAFT)
    draft["event"] = event.id
    return await ask_step(update, context, DELETE_FLOW, "confirm", delete_prompt)


async def delete_pick(update: Update, context: BotContext) -> str | int | None:
    """The event to delete: a button, its number or its title."""
    events = await _events_of(context, user_dict(context, DELETE_DRAFT).get("ids"))
    if not events:  # every event listed is gone, or the list was lost in a restart
        await delete_cancel(update, context)
        await send(update, context, context.t("events.delete.lost"))
        return END
    event = await _pick_event(update, context, events, DELETE_PREFIX + "e:", delete_prompt)
    if event is None:
        return None
    return await _delete_ask(update, context, event)


async def delete_prompt(update: Update, context: BotContext, state: str) -> None:
    draft = user_dict(context, DELETE_DRAFT)
    if state == "event":
        events = await _events_of(context, draft.get("ids"))
        text = context.t("events.delete.pick") + "\n\n" + _event_list(context, events)
        await send(update, context, text, keyboard(_event_buttons(events, DELETE_PREFIX + "e:")))
        return
    event_id = str(draft.get("event") or "")
    event = await context.services.events.get(event_id) if event_id else None
    if event is None:
        await send(update, context, context.t("events.gone"))
        return
    people = len(await context.services.events.people(event.id))
    invited = len(await context.services.events.invitees(event.id))
    text = context.t(
        "events.delete.ask",
        title=event.title,
        when=when(context, event.starts_at),
        people=people,
        invited=invited,
    )
    draft["stamp"] = stamp = new_stamp()  # this event's buttons
    buttons = [
        [(context.t(key), stamped(f"{DELETE_PREFIX}c:{value}", stamp))]
        for value, key, _ in DELETE_OPTIONS
    ]
    await send(update, context, text, keyboard(buttons))


async def delete_confirm(update: Update, context: BotContext) -> str | int | None:
    choices = [
        Choice(value, context.labels(key), aliases) for value, key, aliases in DELETE_OPTIONS
    ]
    draft = user_dict(context, DELETE_DRAFT)
    picked = await choice_of(
        update, context, choices, DELETE_PREFIX + "c:", stamp=draft.get("stamp")
    )
    if picked is None:
        return None
    event_id = str(draft.get("event") or "")
    event = await context.services.events.get(event_id) if event_id else None
    draft.clear()
    await context.services.flows.move(ref(update), DELETE_FLOW, None)
    if picked != "yes" or event is None:
        await send(update, context, context.t("events.delete.kept"))
        return END
    if not _is_admin(context):
        await send(update, context, context.t("admin.denied"))
        return END
    await context.services.events.delete(event.id)
    log.info("event %s deleted by %s", event.id, context.user_id)
    await send(update, context, context.t("events.delete.done", title=event.title))
    return END


async def delete_cancel(update: Update, context: BotContext) -> None:
    user_dict(context, DELETE_DRAFT).clear()
    await context.services.flows.move(ref(update), DELETE_FLOW, None)


# --- registration -------------------------------------------------------------------------------


def invite_filter(services: Services) -> filters.BaseFilter:
    """A file sent in a private chat with the caption ``/invite_import``."""
    return (
        filters.ChatType.PRIVATE
        & filters.UpdateType.MESSAGE
        & filters.Document.ALL
        & filters.CaptionRegex(INVITE_CAPTION)
        & NotInFlow(services.states)
    )


Step = Callable[[Update, BotContext], Coroutine[Any, Any, str | int | None]]


def _step(callback: Step, pattern: str) -> list[BaseHandler[Update, BotContext, object]]:
    """A step answered by its buttons or by typed text."""
    return [
        CallbackQueryHandler(callback, pattern=rf"^{re.escape(pattern)}"),
        MessageHandler(ANSWER_TEXT, callback),
    ]


def handlers(
    services: Services, user_data: Mapping[int, dict[Any, Any]]
) -> list[BaseHandler[Update, BotContext, object]]:
    """Handlers registered by ``bot.app`` (in the order returned): three persistent
    conversations. Register them among the flows, before the single-step handlers of group 0
    (``/cancel`` outside a flow, the main menu's typed numbers, /review's typed numbers), which
    would otherwise take their typed answers. ``user_data``: the application's (what a saved
    change offers next, typed)."""
    guard = NotInFlow(services.states)
    more = ScreenPick(user_data, MORE_SCREEN, rf"^{EDIT_PREFIX}more:", once=True)
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*per_message.*", category=PTBUserWarning)
        invite = ConversationHandler(
            name=INVITE_FLOW,
            persistent=True,
            entry_points=[
                MessageHandler(invite_filter(services), invite_document),
                CommandHandler("invite_import", invite_how, filters=guard),
                CommandHandler("invitations", invitations_command, filters=guard),
            ],
            states={"event": _step(invite_pick, INVITE_PICK)},
            fallbacks=flow_fallbacks(
                INVITE_FLOW,
                invite_prompt,
                invite_cancel,
                resume_commands=("invite_import", "invitations"),
                help_key=N_("events.import.help_inside"),
            ),
        )
        edit = ConversationHandler(
            name=EDIT_FLOW,
            persistent=True,
            entry_points=[
                CommandHandler("event_edit", edit_begin, filters=guard),
                CallbackQueryHandler(edit_more, pattern=rf"^{EDIT_PREFIX}more:"),
                MessageHandler(TEXT & filters.ChatType.PRIVATE & guard & more, edit_more),
            ],
            states={
                "event": _step(edit_pick_event, EDIT_PREFIX + "e:"),
                "field": _step(edit_pick_field, EDIT_PREFIX + "f:"),
                "group": _step(edit_pick_group, EDIT_PREFIX + "g:"),
                "value": _step(edit_value, EDIT_PREFIX + "v:"),
                "confirm": _step(edit_confirm, EDIT_PREFIX + "c:"),
            },
            fallbacks=flow_fallbacks(
                EDIT_FLOW,
                edit_prompt,
                edit_cancel,
                resume_commands=("event_edit",),
                help_key=N_("events.edit.help_inside"),
            ),
        )
        delete = ConversationHandler(
            name=DELETE_FLOW,
            persistent=True,
            entry_points=[CommandHandler("event_delete", delete_begin, filters=guard)],
            states={
                "event": _step(delete_pick, DELETE_PREFIX + "e:"),
                "confirm": _step(delete_confirm, DELETE_PREFIX + "c:"),
            },
            fallbacks=flow_fallbacks(
                DELETE_FLOW,
                delete_prompt,
                delete_cancel,
                resume_commands=("event_delete",),
                help_key=N_("events.delete.help_inside"),
            ),
        )
    return [invite, edit, delete]
