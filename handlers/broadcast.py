"""Announcements: ``/broadcast`` composes one (admins), ``/broadcasts`` lists them (admins),
``/settings`` turns ordinary announcements on or off (everyone).

* ``/broadcast``: a persistent conversation. The content (a text message, its formatting kept as
  HTML; or a photo / a file with a caption) → the audience (everyone, a unit, a role, people by
  their answer to an event, initiative authors, a pasted list of user ids) → essential or
  ordinary → the preview (the message exactly as people will receive it, how many they are and a
  few names) → send now, schedule (date and time in the bot's time zone, then a confirmation), or
  cancel. The draft is kept in ``user_data`` (:data:`DRAFT`), so a restart keeps it. Callback
  data: ``bc:a:<kind>``, ``bc:u:<n>`` (unit), ``bc:r:<role>``, ``bc:e:<event id>``,
  ``bc:s:<segment>``, ``bc:st:<status|any>``, ``bc:x:yes|no`` (essential),
  ``bc:p:send|schedule|cancel`` (preview), ``bc:c:yes|again|cancel`` (the scheduled time).
* ``/broadcasts``: the last 20 with their figures; ``bcl:o:<id>`` opens one, ``bcl:c:<id>`` asks
  to cancel it, ``bcl:y:<id>`` / ``bcl:n:<id>`` answer that, ``bcl:x:<id>`` exports its failures
  (.xlsx), ``bcl:l`` lists again.
* ``/settings`` (``/settings off|on``): ``set:off`` / ``set:on``; a reviewer's notices of new
  applications: ``set:rv:off`` / ``set:rv:on``.

Every button also accepts its typed number or label: in the conversation through its steps,
after a ``/broadcasts`` or ``/settings`` screen through :func:`typed_pick` (group -6).
"""

from __future__ import annotations

import asyncio
import html
import inspect
import io
import logging
import re
from collections.abc import Callable, Coroutine, Sequence
from datetime import datetime, timedelta
from typing import Any, Literal

from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from pydantic import ValidationError
from telegram import Message, MessageEntity, Update
from telegram.error import BadRequest, TelegramError
from telegram.ext import (
    ApplicationHandlerStop,
    BaseHandler,
    CallbackQueryHandler,
    CommandHandler,
    ConversationHandler,
    MessageHandler,
    filters,
)

from bot.documents.initiative_xlsx import put
from bot.domain.broadcasts import (
    CAPTION_MAX,
    IDS_MAX,
    TEXT_MAX,
    Audience,
    AudienceKind,
    Broadcast,
    BroadcastStatus,
    Content,
    Progress,
    RowStatus,
)
from bot.domain.choices import Choice
from bot.domain.initiative import Status
from bot.domain.moments import parse_datetime
from bot.domain.text import STEERING_WORDS, as_id, clean, fold, shorten
from bot.i18n import N_, NP_, Safe
from bot.services.broadcasts import BroadcastError, failure_message
from bot.services.container import Services
from bot.tg.context import BotContext
from bot.tg.screen import Option as Button
from bot.tg.screen import Screen, Typed
from bot.tg.ui import acknowledge, keyboard, send
from handlers.common import (
    ANSWER_TEXT,
    END,
    STOP,
    NotInFlow,
    Words,
    ask_step,
    choice_of,
    current_state,
    flow_fallbacks,
    new_stamp,
    numbers_text,
    pick,
    ref,
    stamped,
    text_of,
    user_dict,
)

log = logging.getLogger(__name__)

FLOW = "broadcast"
DRAFT = "broadcast_draft"  # user_data: the announcement being composed
# The options of the last /broadcasts or /settings screen, for their typed numbers and labels
# (valid 30 minutes).
SCREEN = Screen("broadcast_screen", ttl=30 * 60)
PREFIX = "bc:"
LIST_PREFIX = "bcl:"
SETTINGS_PREFIX = "set:"
LIST_SIZE = 20
LABEL_MAX = 48  # characters of a unit or an event on a button
MORE_CONTENT = 40  # letters of a text at the audience step that is content, not a choice
BUTTONS_MAX = 40  # units or events offered as buttons (beyond: typed from the numbered list)
SNIPPET_MAX = 300  # characters of the content shown in the details
SCHEDULE_MAX = timedelta(days=366)  # a time further ahead is taken for a typo in the year
BAD_SHOWN = 5  # wrong items of a pasted id list quoted back

# --- choices ----------------------------------------------------------------------------------

Option = tuple[str, str, tuple[str, ...]]  # value, label key, typed aliases

AUDIENCE_OPTIONS: tuple[Option, ...] = (
    (
        "all",
        N_("broadcast.kind.all"),
        (
            *("tat ca", "moi nguoi", "tat ca moi nguoi", "toan bo", "toan the", "ca so"),
            *("gui tat ca", "gui cho tat ca", "gui moi nguoi", "gui cho moi nguoi"),
            *("all", "everyone", "everybody", "send to everyone", "to everyone"),
        ),
    ),
    ("unit", N_("broadcast.kind.unit"), ("don vi", "theo don vi", "mot don vi", "unit", "by unit")),
    ("role", N_("broadcast.kind.role"), ("vai tro", "theo vai tro", "role", "by role")),
    (
        "rsvp",
        N_("broadcast.kind.rsvp"),
        ("hoi nghi", "su kien", "theo hoi nghi", "dai bieu", "rsvp", "event", "delegates"),
    ),
    (
        "authors",
        N_("broadcast.kind.authors"),
        ("tac gia", "sang kien", "tac gia sang kien", "authors"),
    ),
    (
        "ids",
        N_("broadcast.kind.ids"),
        ("ma", "danh sach", "ma nguoi dung", "danh sach ma", "ids", "list", "user ids"),
    ),
)
ROLE_OPTIONS: tuple[Option, ...] = (
    ("admin", N_("broadcast.role.admin"), ("quan tri", "admin", "admins")),
    ("reviewer", N_("broadcast.role.reviewer"), ("xet duyet", "reviewer", "reviewers")),
    ("checker", N_("broadcast.role.checker"), ("diem danh", "checker", "checkers")),
)
SEGMENT_OPTIONS: tuple[Option, ...] = (
    (
        "confirmed",
        N_("broadcast.segment.confirmed"),
        ("xac nhan", "co", "tham du", "co tham du", "se tham du", "confirmed"),
    ),
    (
        "waitlisted",
        N_("broadcast.segment.waitlisted"),
        ("cho", "danh sach cho", "dang cho", "waitlist"),
    ),
    (
        "declined",
        N_("broadcast.segment.declined"),
        ("khong", "tu choi", "khong tham du", "khong du", "declined", "no"),
    ),
    (
        "unanswered",
        N_("broadcast.segment.unanswered"),
        ("chua tra loi", "chua phan hoi", "chua xac nhan", "chua chac", "unanswered", "maybe"),
    ),
)
STATUS_OPTIONS: tuple[Option, ...] = (
    ("any", N_("broadcast.status_any"), ("tat ca", "moi", "any", "all")),
    (Status.SUBMITTED.value, N_("initiative.status.submitted"), ()),
    (Status.REVIEWING.value, N_("initiative.status.reviewing"), ()),
    (Status.NEEDS_CHANGES.value, N_("initiative.status.needs_changes"), ()),
    (Status.RECOGNISED.value, N_("initiative.status.recognised"), ()),
    (Status.NOT_RECOGNISED.value, N_("initiative.status.not_recognised"), ()),
    (Status.WITHDRAWN.value, N_("initiative.status.withdrawn"), ()),
)
ESSENTIAL_OPTIONS: tuple[Option, ...] = (
    (
        "yes",
        N_("broadcast.btn.essential"),
        (
            *("co", "yes", "quan trong", "thong bao quan trong", "rat quan trong", "co quan trong"),
            *("essential", "important", "yes important", "it is important"),
        ),
    ),
    (
        "no",
        N_("broadcast.btn.ordinary"),
        (
            "khong",
            "no",
            "thuong",
            "thong bao thuong",
            "binh thuong",
            "khong quan trong",
            *("khong phai", "khong can", "khong quan trong lam", "chua"),
            *("ordinary", "not essential", "not important", "normal"),
        ),
    ),
)
PREVIEW_OPTIONS: tuple[Option, ...] = (
    # never a bare "ok" (the question is "send now, schedule or cancel?"): it is no answer
    (
        "send",
        N_("broadcast.btn.send_now"),
        ("gui", "gui ngay", "gui di", "gui luon", "gui bay gio", "send", "send now", "send it now"),
    ),
    (
        "schedule",
        N_("broadcast.btn.schedule"),
        (
            "hen gio",
            "hen",
            "hen gio gui",
            "gui sau",
            "schedule",
            "schedule it",
            "later",
            "send later",
        ),
    ),
    ("cancel", N_("broadcast.btn.cancel"), ("huy", "huy bo", "thoi", "khong gui", "cancel")),
)
CONFIRM_OPTIONS: tuple[Option, ...] = (
    ("yes", N_("broadcast.btn.confirm"), ("dong y", "co", "ok", "yes", "xac nhan")),
    ("again", N_("broadcast.btn.other_time"), ("gio khac", "doi gio", "again", "change")),
    ("cancel", N_("broadcast.btn.cancel"), ("huy", "thoi", "cancel")),
)
STATE_KEYS: dict[BroadcastStatus, str] = {
    BroadcastStatus.SCHEDULED: N_("broadcast.state.scheduled"),
    BroadcastStatus.SENDING: N_("broadcast.state.sending"),
    BroadcastStatus.DONE: N_("broadcast.state.done"),
    BroadcastStatus.CANCELLED: N_("broadcast.state.cancelled"),
}
ROW_KEYS: dict[RowStatus, str] = {
    RowStatus.FAILED: N_("broadcast.row.failed"),
    RowStatus.UNREACHABLE: N_("broadcast.row.unreachable"),
}
SERVICE_ERRORS: dict[str, str] = {
    "broadcast.not_found": N_("broadcast.not_found"),
    "broadcast.already_over": N_("broadcast.already_over"),
}
# «Tắt»/«Bật» announcements, typed (folded): /settings off|on, or right after /settings.
OFF_SYNONYMS = (
    *("tat", "tat thong bao", "khong nhan", "khong nhan thong bao", "ngung nhan", "ngung"),
    *("huy dang ky", "off", "turn off", "mute", "unsubscribe", "stop"),
)
ON_SYNONYMS = (
    *("bat", "bat thong bao", "bat lai", "nhan thong bao", "nhan lai", "on", "turn on"),
    *("unmute", "subscribe"),
)
# Typed outside any screen, these set it at once (whole phrases only: a bare «tắt» or "stop"
# may mean anything there).
OFF_PHRASES = frozenset(
    {
        *("tat thong bao", "tat thong bao chung", "khong nhan thong bao", "ngung nhan thong bao"),
        *("turn off notifications", "turn off announcements", "mute notifications"),
    }
)
ON_PHRASES = frozenset(
    {
        *("bat thong bao", "bat thong bao chung", "bat lai thong bao", "nhan lai thong bao"),
        *("turn on notifications", "turn on announcements", "unmute notifications"),
    }
)
# A reviewer's second switch on /settings: the notice of each new application.
REVIEW_SETTING = SETTINGS_PREFIX + "rv:"
REVIEW_OFF = ("tat thong bao don", "tat thong bao don moi", "khong nhan thong bao don moi")
REVIEW_ON = ("bat thong bao don", "bat thong bao don moi", "nhan thong bao don moi")
OFF_WORDS = frozenset({*OFF_SYNONYMS, "0", "khong"})
ON_WORDS = frozenset({*ON_SYNONYMS, "1", "co"})

# What each step needs from the draft, and where to go back to when it is missing (a crash
# between the step and the flush of ``user_data``).
REQUIRES: dict[str, tuple[str, ...]] = {
    "content": (),
    "audience": ("content",),
    "unit": ("content",),
    "role": ("content",),
    "event": ("content",),
    "segment": ("content", "event"),
    "status": ("content",),
    "ids": ("content",),
    "essential": ("content", "audience"),
    "preview": ("content", "audience", "essential"),
    "when": ("content", "audience", "essential"),
    "confirm": ("content", "audience", "essential", "at"),
}
STATES = tuple(REQUIRES)
# «⬅️ Quay lại» (``bc:b``) on each step after the content: the step before it (what was
# chosen there is asked again; the content is kept). «Đổi người nhận» (``bc:b:audience``, on
# the preview, or typed at any step after the content): the audience again.
PREVIOUS: dict[str, str] = {
    "audience": "content",
    "unit": "audience",
    "role": "audience",
    "event": "audience",
    "status": "audience",
    "ids": "audience",
    "segment": "event",
    "essential": "audience",
    "preview": "essential",
    "when": "preview",
    "confirm": "when",
}
BACK = PREFIX + "b"
BACK_WORDS = frozenset(
    {
        *("quay lai", "tro lai", "tro ve", "lui lai", "quay lai buoc truoc", "buoc truoc"),
        *("back", "go back", "previous step"),
    }
)
AUDIENCE_WORDS = frozenset(
    {
        *("doi nguoi nhan", "chon lai nguoi nhan", "sua nguoi nhan", "thay doi nguoi nhan"),
        *("nguoi nhan khac", "change recipients", "change the audience"),
    }
)

# Telegram entities kept as formatting; the others (custom emoji, mentions by id, dates...)
# become their plain text. Links' addresses and code languages are escaped or dropped.
KEPT_ENTITIES = frozenset(
    {
        MessageEntity.BOLD,
        MessageEntity.ITALIC,
        MessageEntity.UNDERLINE,
        MessageEntity.STRIKETHROUGH,
        MessageEntity.SPOILER,
        MessageEntity.CODE,
        MessageEntity.PRE,
        MessageEntity.TEXT_LINK,
        MessageEntity.BLOCKQUOTE,
        MessageEntity.EXPANDABLE_BLOCKQUOTE,
    }
)
_LANGUAGE = re.compile(r"[A-Za-z0-9_+#.-]{1,32}")
_LINK = re.compile(r"(?i)^(https?|tg|mailto):\S+$")
_ID_SPLIT = re.compile(r"[\s,;]+")
_USER_ID = re.compile(r"\d{1,16}")
_TAGS = re.compile(r"<[^>]*>")


# Typed at "send the content", these steer the flow (done, send now, skip...): never an
# announcement to everyone (folded).
NOT_CONTENT = STEERING_WORDS | {
    *("gui", "gui di", "gui ngay", "gui luon", "gui thong bao", "hen gio", "xac nhan", "xem truoc"),
    *("send", "send it", "send now", "schedule", "confirm", "preview", "thong bao"),
}


class Invalid(Exception):
    """Content or a typed value refused: ``key`` is the message."""

    def __init__(self, key: str, **params: object) -> None:
        super().__init__(key)
        self.key = key
        self.params = params


# --- the content: Telegram's formatting as safe HTML -------------------------------------------


def _safe_entities(entities: Sequence[MessageEntity]) -> list[MessageEntity]:
    kept = []
    for entity in entities:
        if entity.type not in KEPT_ENTITIES:
            continue
        if entity.type == MessageEntity.TEXT_LINK:
            url = (entity.url or "").strip()
            if not _LINK.match(url):
                continue
            # PTB writes the address into href="..." as it is: escape it here.
            entity = MessageEntity(
                entity.type, entity.offset, entity.length, url=html.escape(url, quote=True)
            )
        elif entity.type == MessageEntity.PRE:
            language = entity.language if entity.language else None
            if language is not None and not _LANGUAGE.fullmatch(language):
                language = None
            entity = MessageEntity(entity.type, entity.offset, entity.length, language=language)
        kept.append(entity)
    return kept


def text_html(message: Message) -> str:
    """The text of ``message`` as Telegram HTML: the text escaped, the formatting kept (PTB's
    ``text_html`` over the safe entities only)."""
    text = message.text or ""
    try:
        safe = Message(
            message.message_id,
            message.date,
            message.chat,
            text=text,
            entities=_safe_entities(message.entities),
        )
        return safe.text_html
    except (UnicodeDecodeError, ValueError, IndexError):  # entities that do not fit the text
        return html.escape(text)


def caption_html(message: Message) -> str:
    caption = message.caption or ""
    try:
        safe = Message(
            message.message_id,
            message.date,
            message.chat,
            caption=caption,
            caption_entities=_safe_entities(message.caption_entities),
        )
        return safe.caption_html or ""
    except (UnicodeDecodeError, ValueError, IndexError):
        return html.escape(caption)


def read_content(message: Message) -> Content:
    """What the admin sent, as an announcement's content; raises :class:`Invalid`."""
    # Telegram counts what people read, not the markup: «<b>» and «&amp;» cost nothing.
    if message.text is not None:
        if not clean(message.text):  # spaces, or a zero-width space alone
            raise Invalid(N_("broadcast.error.empty"))
        if fold(message.text) in NOT_CONTENT:
            raise Invalid(N_("broadcast.error.not_content"), text=message.text.strip())
        if len(message.text) > TEXT_MAX:
            raise Invalid(N_("broadcast.error.too_long"), length=len(message.text), limit=TEXT_MAX)
        return Content(kind="text", text=text_html(message))
    if message.photo:  # the largest size
        file_id = max(message.photo, key=lambda p: (p.width * p.height, p.file_size or 0)).file_id
    elif message.document is not None:
        file_id = message.document.file_id
    else:
        raise Invalid(N_("broadcast.error.content_kind"))
    caption = caption_html(message)
    shown = len(message.caption or "")
    if shown > CAPTION_MAX:
        raise Invalid(N_("broadcast.error.too_long"), length=shown, limit=CAPTION_MAX)
    kind: Literal["photo", "document"] = "photo" if message.photo else "document"
    return Content(kind=kind, text=caption, file_id=file_id)


async def send_content(context: BotContext, chat_id: int, content: Content) -> Message:
    """The announcement exactly as recipients get it (HTML is the default parse mode)."""
    if content.kind == "photo":
        assert content.file_id is not None
        return await context.bot.send_photo(chat_id, content.file_id, caption=content.text or None)
    if content.kind == "document":
        assert content.file_id is not None
        return await context.bot.send_document(
            chat_id, content.file_id, caption=content.text or None
        )
    return await context.bot.send_message(chat_id, content.text)


def parse_ids(text: str) -> tuple[int, ...]:
    """User ids separated by spaces, commas or new lines (each once, in order); raises
    :class:`Invalid`."""
    items = [item for item in _ID_SPLIT.split(text.strip()) if item]
    bad = [item for item in items if not _USER_ID.fullmatch(item) or int(item) == 0]
    if bad:
        shown = ", ".join(bad[:BAD_SHOWN]) + (", …" if len(bad) > BAD_SHOWN else "")
        raise Invalid(N_("broadcast.error.ids_bad"), items=shown)
    ids = tuple(dict.fromkeys(int(item) for item in items))
    if not ids:
        raise Invalid(N_("broadcast.error.ids_none"))
    if len(ids) > IDS_MAX:
        raise Invalid(N_("broadcast.error.ids_many"), count=len(ids), limit=IDS_MAX)
    return ids


# --- small helpers ------------------------------------------------------------------------------


def _is_admin(context: BotContext) -> bool:
    return context.user is not None and context.user.is_admin


def _draft(context: BotContext) -> dict[str, Any]:
    return user_dict(context, DRAFT)


def _content(draft: dict[str, Any]) -> Content | None:
    try:
        return Content.model_validate(draft.get("content"))
    except ValidationError:
        return None


def _audience(draft: dict[str, Any]) -> Audience | None:
    try:
        return Audience.model_validate(draft.get("audience"))
    except ValidationError:
        return None


def _at(draft: dict[str, Any]) -> datetime | None:
    value = draft.get("at")
    try:
        return datetime.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        return None


def _essential(draft: dict[str, Any]) -> bool:
    return draft.get("essential") is True


def _choices(context: BotContext, options: Sequence[Option]) -> list[Choice]:
    return [Choice(value, context.labels(key), aliases) for value, key, aliases in options]


def _buttons(
    context: BotContext, options: Sequence[Option], prefix: str, stamp: str | None = None
) -> list[list[tuple[str, str]]]:
    return [
        [(context.t(key), stamped(prefix + value, stamp) if stamp else prefix + value)]
        for value, key, _ in options
    ]


def when(context: BotContext, moment: datetime) -> str:
    return moment.astimezone(context.services.settings.tz).strftime("%H:%M %d/%m/%Y")


def _example(context: BotContext) -> str:
    """Tomorrow at 08:00, as the admin would type it."""
    tomorrow = (context.services.broadcasts.now() + timedelta(days=1)).astimezone(
        context.services.settings.tz
    )
    return f"{tomorrow.day}/{tomorrow.month}/{tomorrow.year} 08:00"


def _names(sample: Sequence[str], count: int) -> str:
    return ", ".join(sample) + (", …" if count > len(sample) else "")


def _kind(context: BotContext, essential: bool) -> str:
    key = N_("broadcast.kind_essential") if essential else N_("broadcast.kind_ordinary")
    return context.t(key)


async def audience_label(context: BotContext, audience: Audience) -> Safe:
    """Who an announcement goes to, as shown (HTML, user text escaped)."""
    t = context.t
    kind = audience.kind
    if kind is AudienceKind.UNIT:
        return Safe(t("broadcast.to.unit", unit=audience.unit or ""))
    if kind is AudienceKind.ROLE:
        key = {v: k for v, k, _ in ROLE_OPTIONS}.get(audience.role or "")
        role = Safe(t(key)) if key else audience.role or ""
        return Safe(t("broadcast.to.role", role=role))
    if kind is AudienceKind.RSVP:
        event = await context.services.events.get(audience.event_id or "")
        title = event.title if event is not None else audience.event_id or ""
        key = {v: k for v, k, _ in SEGMENT_OPTIONS}.get(audience.segment or "")
        segment = t(key) if key else ""
        return Safe(t("broadcast.to.rsvp", segment=Safe(segment), event=shorten(title, 120)))
    if kind is AudienceKind.AUTHORS:
        if not audience.status:
            return Safe(t("broadcast.to.authors_any"))
        key = {v: k for v, k, _ in STATUS_OPTIONS}.get(audience.status)
        status = t(key) if key else audience.status
        return Safe(t("broadcast.to.authors_status", status=Safe(status)))
    if kind is AudienceKind.IDS:
        return Safe(t("broadcast.to.ids", count=len(audience.ids)))
    return Safe(t("broadcast.to.all"))


async def _wake(context: BotContext) -> None:
    """Tell the delivery worker there is work, if the application runs one."""
    broadcaster = getattr(context.application, "broadcaster", None)
    wake = getattr(broadcaster, "wake", None)
    if callable(wake):
        result = wake()
        if inspect.isawaitable(result):
            await result


# --- /broadcast: the conversation ---------------------------------------------------------------


def _missing(context: BotContext, state: str) -> str | None:
    """The step to go back to when the draft lacks what ``state`` needs."""
    draft = _draft(context)
    for need in REQUIRES.get(state, ()):
        if need == "content" and _content(draft) is None:
            return "content"
        if need == "audience" and _audience(draft) is None:
            return "audience"
        if need == "event" and not draft.get("event"):
            return "event"
        if need == "essential" and not isinstance(draft.get("essential"), bool):
            return "essential"
        if need == "at" and _at(draft) is None:
            return "when"
    return None


async def _check(update: Update, context: BotContext, state: str) -> str | None:
    """``None`` when the draft has what ``state`` needs; else back to the step that lost it."""
    back = _missing(context, state)
    if back is None:
        return None
    await acknowledge(update)
    await send(update, context, context.t("broadcast.lost"))
    return await _move(update, context, back)


async def _move(update: Update, context: BotContext, state: str) -> str:
    return await ask_step(update, context, FLOW, state, prompt)


async def _end(update: Update, context: BotContext) -> None:
    _draft(context).clear()
    await context.services.flows.move(ref(update), FLOW, None)


async def prompt(update: Update, context: BotContext, state: str) -> None:
    """Ask the question of ``state`` (again)."""
    t = context.t
    services = context.services
    draft = _draft(context)
    if _missing(context, state) is not None:
        await send(update, context, t("broadcast.stuck"))
        return
    back = [(t("broadcast.btn.step_back"), BACK)]
    if state == "content":
        await send(update, context, t("broadcast.ask_content"))
    elif state == "audience":
        markup = keyboard([*_buttons(context, AUDIENCE_OPTIONS, PREFIX + "a:"), back])
        await send(update, context, t("broadcast.ask_audience"), markup)
    elif state == "unit":
        units = await services.broadcasts.units()
        draft["units"] = units
        if not units:
            await send(update, context, t("broadcast.no_units"))
            return
        text = t("broadcast.ask_unit")
        if len(units) > BUTTONS_MAX:  # too many for buttons: a numbered list to type from
            listed = (f"{n}. {html.escape(unit, quote=False)}" for n, unit in enumerate(units, 1))
            text += "\n\n" + "\n".join(listed)
        rows = [
            [(f"{n}. {shorten(unit, LABEL_MAX)}", f"{PREFIX}u:{n - 1}")]
            for n, unit in enumerate(units[:BUTTONS_MAX], start=1)
        ]
        await send(update, context, text, keyboard([*rows, back]))
    elif state == "role":
        markup = keyboard([*_buttons(context, ROLE_OPTIONS, PREFIX + "r:"), back])
        await send(update, context, t("broadcast.ask_role"), markup)
    elif state == "event":
        events = await services.events.listed()
        draft["events"] = [event.id for event in events]
        if not events:
            await send(update, context, t("broadcast.no_events"))
            return
        lines = [
            f"{n}. <b>{html.escape(shorten(event.title, 120), quote=False)}</b> – "
            f"{when(context, event.starts_at)}"
            for n, event in enumerate(events, start=1)
        ]
        rows = [
            [(f"{n}. {shorten(event.title, LABEL_MAX)}", f"{PREFIX}e:{event.id}")]
            for n, event in enumerate(events[:BUTTONS_MAX], start=1)
        ]
        text = t("broadcast.ask_event") + "\n\n" + "\n".join(lines)
        await send(update, context, text, keyboard([*rows, back]))
    elif state == "segment":
        event = await services.events.get(str(draft.get("event")))
        title = event.title if event is not None else str(draft.get("event"))
        markup = keyboard([*_buttons(context, SEGMENT_OPTIONS, PREFIX + "s:"), back])
        await send(update, context, t("broadcast.ask_segment", title=title), markup)
    elif state == "status":
        markup = keyboard([*_buttons(context, STATUS_OPTIONS, PREFIX + "st:"), back])
        await send(update, context, t("broadcast.ask_status"), markup)
    elif state == "ids":
        await send(update, context, t("broadcast.ask_ids", limit=IDS_MAX), keyboard([back]))
    elif state == "essential":
        markup = keyboard([*_buttons(context, ESSENTIAL_OPTIONS, PREFIX + "x:"), back])
        await send(update, context, t("broadcast.ask_essential"), markup)
    elif state == "preview":
        await _show_preview(update, context)
    elif state == "when":
        await send(
            update, context, t("broadcast.ask_when", example=_example(context)), keyboard([back])
        )
    elif state == "confirm":
        await _show_confirm(update, context)


async def _show_preview(update: Update, context: BotContext) -> bool:
    """The message as recipients will see it, then the summary and the choices. ``False`` when
    Telegram refused the content (the admin is asked for it again)."""
    draft = _draft(context)
    content, audience = _content(draft), _audience(draft)
    chat = update.effective_chat
    assert content is not None and audience is not None and chat is not None
    essential = _essential(draft)
    try:
        await send_content(context, chat.id, content)
    except BadRequest as exc:
        log.info("broadcast preview refused by Telegram: %s", exc)
        await send(update, context, context.t("broadcast.error.preview_failed", error=exc.message))
        return False
    found = await context.services.broadcasts.preview(audience, essential)
    lines = [
        context.t("broadcast.preview_title"),
        "",
        context.t("broadcast.detail_audience", audience=await audience_label(context, audience)),
        context.t("broadcast.preview_count", count=found.count),
    ]
    if found.sample:
        lines.append(context.t("broadcast.preview_sample", names=_names(found.sample, found.count)))
    lines.append(context.t("broadcast.detail_kind", kind=Safe(_kind(context, essential))))
    lines += ["", context.t("broadcast.preview_ask")]
    draft["stamp"] = stamp = new_stamp()  # only this preview's buttons confirm this draft
    rows = _buttons(context, PREVIEW_OPTIONS, PREFIX + "p:", stamp)
    rows.append([(context.t("broadcast.btn.recipients"), f"{BACK}:audience")])
    await send(update, context, "\n".join(lines), keyboard(rows))
    return True


async def _show_confirm(update: Update, context: BotContext) -> None:
    draft = _draft(context)
    audience, moment = _audience(draft), _at(draft)
    assert audience is not None and moment is not None
    found = await context.services.broadcasts.preview(audience, _essential(draft))
    text = context.t(
        NP_("broadcast.confirm_schedule", "count"),
        when=when(context, moment),
        audience=await audience_label(context, audience),
        count=found.count,
    )
    draft["stamp"] = stamp = new_stamp()
    await send(
        update, context, text, keyboard(_buttons(context, CONFIRM_OPTIONS, PREFIX + "c:", stamp))
    )


async def begin(update: Update, context: BotContext) -> str | int:
    """``/broadcast`` (admins): a new announcement."""
    if not _is_admin(context):
        await send(update, context, context.t("admin.denied"))
        return END
    _draft(context).clear()
    return await _move(update, context, "content")


async def on_content(update: Update, context: BotContext) -> str | int | None:
    message = update.effective_message
    if message is None:
        return None
    try:
        content = read_content(message)
    except Invalid as exc:
        await send(update, context, context.t(exc.key, **exc.params))
        return None
    draft = _draft(context)
    draft.clear()
    draft["content"] = content.model_dump(mode="json")
    return await _move(update, context, "audience")


async def on_other_content(update: Update, context: BotContext) -> None:
    """A sticker, a voice note, a location...: not something to announce; the step stays."""
    await send(update, context, context.t("broadcast.error.content_kind"))


async def on_back(update: Update, context: BotContext) -> str | int | None:
    """«⬅️ Quay lại» (pressed or typed): the step before this one; «Đổi người nhận»: the
    audience. What the draft holds stays (the content, its formatting and photo)."""
    await acknowledge(update)
    state = current_state(update, context, FLOW)
    if state is None or state not in PREVIOUS:
        return None
    query = update.callback_query
    wanted = (query.data or "") if query is not None else ""
    if wanted == f"{BACK}:audience" or fold(text_of(update)) in AUDIENCE_WORDS:
        target = "audience"
    else:
        target = PREVIOUS[state]
    return await _move(update, context, _missing(context, target) or target)


async def on_audience(update: Update, context: BotContext) -> str | int | None:
    if (back := await _check(update, context, "audience")) is not None:
        return back
    choices = _choices(context, AUDIENCE_OPTIONS)
    typed = text_of(update)
    if sum(ch.isalpha() for ch in typed) >= MORE_CONTENT and pick(typed, choices) is None:
        # More text after the content: a second announcement, or the rest of a long one that
        # Telegram split at 4096 characters. One announcement is one message: say so.
        await send(update, context, context.t("broadcast.error.one_message", limit=TEXT_MAX))
        return None
    picked = await choice_of(update, context, choices, PREFIX + "a:")
    if picked is None:
        return None
    draft = _draft(context)
    for key in ("audience", "event", "essential", "at"):
        draft.pop(key, None)
    services = context.services
    if picked == "all":
        draft["audience"] = Audience(kind=AudienceKind.ALL).model_dump(mode="json")
        return await _move(update, context, "essential")
    if picked == "unit":
        if not await services.broadcasts.units():
            await send(update, context, context.t("broadcast.no_units"))
            return None
        return await _move(update, context, "unit")
    if picked == "rsvp":
        if not await services.events.events():
            await send(update, context, context.t("broadcast.no_events"))
            return None
        return await _move(update, context, "event")
    if picked in ("role", "ids"):
        return await _move(update, context, picked)
    if picked == "authors":
        return await _move(update, context, "status")
    await send(update, context, context.t("button.stale"))
    return None


async def _set_audience(update: Update, context: BotContext, **values: Any) -> str:
    _draft(context)["audience"] = Audience.model_validate(values).model_dump(mode="json")
    return await _move(update, context, "essential")


async def on_unit(update: Update, context: BotContext) -> str | int | None:
    if (back := await _check(update, context, "unit")) is not None:
        return back
    draft = _draft(context)
    units = draft.get("units")
    if not isinstance(units, list):
        units = draft["units"] = await context.services.broadcasts.units()
    choices = [Choice(str(n), (str(unit),)) for n, unit in enumerate(units)]
    picked = await choice_of(update, context, choices, PREFIX + "u:")
    if picked is None:
        return None
    if not picked.isdigit() or int(picked) >= len(units):
        await send(update, context, context.t("button.stale"))
        await prompt(update, context, "unit")
        return None
    return await _set_audience(update, context, kind=AudienceKind.UNIT, unit=units[int(picked)])


async def on_role(update: Update, context: BotContext) -> str | int | None:
    if (back := await _check(update, context, "role")) is not None:
        return back
    picked = await choice_of(update, context, _choices(context, ROLE_OPTIONS), PREFIX + "r:")
    if picked is None:
        return None
    if picked not in {value for value, _, _ in ROLE_OPTIONS}:
        await send(update, context, context.t("button.stale"))
        return None
    return await _set_audience(update, context, kind=AudienceKind.ROLE, role=picked)


async def on_event(update: Update, context: BotContext) -> str | int | None:
    if (back := await _check(update, context, "event")) is not None:
        return back
    draft = _draft(context)
    events = await context.services.events.listed()
    shown = draft.get("events")  # the list as it was shown: its numbers
    if isinstance(shown, list):
        by_id = {event.id: event for event in events}
        events = [by_id[str(i)] for i in shown if str(i) in by_id]
    choices = [Choice(event.id, (event.title, event.id)) for event in events]
    picked = await choice_of(update, context, choices, PREFIX + "e:")
    if picked is None:
        return None
    if picked not in {event.id for event in events}:
        await send(update, context, context.t("button.stale"))
        await prompt(update, context, "event")
        return None
    draft["event"] = picked
    return await _move(update, context, "segment")


async def on_segment(update: Update, context: BotContext) -> str | int | None:
    if (back := await _check(update, context, "segment")) is not None:
        return back
    picked = await choice_of(update, context, _choices(context, SEGMENT_OPTIONS), PREFIX + "s:")
    if picked is None:
        return None
    if picked not in {value for value, _, _ in SEGMENT_OPTIONS}:
        await send(update, context, context.t("button.stale"))
        return None
    event_id = str(_draft(context).get("event"))
    return await _set_audience(
        update, context, kind=AudienceKind.RSVP, event_id=event_id, segment=picked
    )


async def on_status(update: Update, context: BotContext) -> str | int | None:
    if (back := await _check(update, context, "status")) is not None:
        return back
    picked = await choice_of(update, context, _choices(context, STATUS_OPTIONS), PREFIX + "st:")
    if picked is None:
        return None
    if picked not in {value for value, _, _ in STATUS_OPTIONS}:
        await send(update, context, context.t("button.stale"))
        return None
    status = None if picked == "any" else picked
    return await _set_audience(update, context, kind=AudienceKind.AUTHORS, status=status)


async def on_ids(update: Update, context: BotContext) -> str | int | None:
    if (back := await _check(update, context, "ids")) is not None:
        return back
    try:
        ids = parse_ids(text_of(update))
    except Invalid as exc:
        await send(update, context, context.t(exc.key, **exc.params))
        return None
    known = await context.services.users.known(ids)
    unknown = [str(i) for i in ids if i not in known]
    if unknown:  # never written to the bot: Telegram lets it message nobody of them
        shown = ", ".join(unknown[:BAD_SHOWN]) + (" …" if len(unknown) > BAD_SHOWN else "")
        if len(unknown) == len(ids):
            await send(update, context, context.t("broadcast.ids_all_unknown"))
            return None
        await send(
            update, context, context.t("broadcast.ids_unknown", count=len(unknown), ids=shown)
        )
    return await _set_audience(update, context, kind=AudienceKind.IDS, ids=ids)


async def on_essential(update: Update, context: BotContext) -> str | int | None:
    if (back := await _check(update, context, "essential")) is not None:
        return back
    picked = await choice_of(update, context, _choices(context, ESSENTIAL_OPTIONS), PREFIX + "x:")
    if picked is None:
        return None
    if picked not in ("yes", "no"):
        await send(update, context, context.t("button.stale"))
        return None
    draft = _draft(context)
    draft["essential"] = picked == "yes"
    return await _to_preview(update, context)


async def _nobody(update: Update, context: BotContext) -> str | None:
    """``"audience"`` (after saying so) when the announcement would reach no one."""
    draft = _draft(context)
    audience = _audience(draft)
    assert audience is not None
    found = await context.services.broadcasts.preview(audience, _essential(draft))
    if found.count:
        return None
    await send(update, context, context.t("broadcast.nobody"))
    draft.pop("audience", None)
    return await _move(update, context, "audience")


async def _to_preview(update: Update, context: BotContext) -> str:
    if (back := await _nobody(update, context)) is not None:
        return back
    flows = context.services.flows
    await flows.move(ref(update), FLOW, "preview")
    if not await _show_preview(update, context):  # Telegram refused it: the content again
        _draft(context).pop("content", None)
        await flows.move(ref(update), FLOW, "content", record=False)  # recorded just above
        await prompt(update, context, "content")
        return "content"
    return "preview"


async def on_preview(update: Update, context: BotContext) -> str | int | None:
    if (back := await _check(update, context, "preview")) is not None:
        return back
    stamp = _draft(context).get("stamp")
    options = _choices(context, PREVIEW_OPTIONS)
    picked = await choice_of(update, context, options, PREFIX + "p:", stamp=stamp)
    if picked is None:
        return None
    if picked == "cancel":
        await _end(update, context)
        await send(update, context, context.t("broadcast.discarded"))
        return END
    if picked == "schedule":
        _draft(context).pop("at", None)
        return await _move(update, context, "when")
    if picked == "send":
        if (back := await _nobody(update, context)) is not None:
            return back
        return await _create(update, context, None)
    await send(update, context, context.t("button.stale"))
    return None


async def on_when(update: Update, context: BotContext) -> str | int | None:
    if (back := await _check(update, context, "when")) is not None:
        return back
    tz = context.services.settings.tz
    today = context.services.broadcasts.now().astimezone(tz).date()
    moment = parse_datetime(text_of(update), tz, today)
    if moment is None:
        await send(update, context, context.t("broadcast.error.when", example=_example(context)))
        return None
    now = context.services.broadcasts.now()
    if moment <= now:
        await send(update, context, context.t("broadcast.error.when_past"))
        return None
    if moment > now + SCHEDULE_MAX:  # 3027 for 2027: a typo, not a plan
        far = context.t("broadcast.error.when_far", when=when(context, moment))
        await send(update, context, far)
        return None
    _draft(context)["at"] = moment.isoformat()
    return await _move(update, context, "confirm")


async def on_confirm(update: Update, context: BotContext) -> str | int | None:
    if (back := await _check(update, context, "confirm")) is not None:
        return back
    stamp = _draft(context).get("stamp")
    options = _choices(context, CONFIRM_OPTIONS)
    picked = await choice_of(update, context, options, PREFIX + "c:", stamp=stamp)
    if picked is None:
        return None
    draft = _draft(context)
    if picked == "cancel":
        await _end(update, context)
        await send(update, context, context.t("broadcast.discarded"))
        return END
    if picked == "again":
        draft.pop("at", None)
        return await _move(update, context, "when")
    if picked != "yes":
        await send(update, context, context.t("button.stale"))
        return None
    moment = _at(draft)
    assert moment is not None
    if moment <= context.services.broadcasts.now():  # the confirmation came too late
        await send(update, context, context.t("broadcast.error.when_past"))
        draft.pop("at", None)
        return await _move(update, context, "when")
    return await _create(update, context, moment)


async def _create(update: Update, context: BotContext, scheduled_at: datetime | None) -> int:
    """Queue the announcement (now, or at ``scheduled_at``) and end the conversation.

    The conversation ends (and the update is recorded) before the broadcast is written: a
    delivery of the same press again after a crash cannot queue it twice."""
    draft = _draft(context)
    content, audience = _content(draft), _audience(draft)
    chat = update.effective_chat
    assert content is not None and audience is not None and chat is not None
    essential = _essential(draft)
    await _end(update, context)
    if not _is_admin(context):
        await send(update, context, context.t("admin.denied"))
        return END
    service = context.services.broadcasts
    broadcast = await service.create(
        context.user_id,
        content,
        audience,
        essential=essential,
        scheduled_at=scheduled_at,
        progress_chat_id=chat.id,
    )
    log.info(
        "broadcast %d by %s: %s, %s, essential=%s, %d queued",
        broadcast.id,
        context.user_id,
        audience.kind.value,
        broadcast.status.value,
        essential,
        broadcast.total,
    )
    await _wake(context)
    if broadcast.status is BroadcastStatus.SCHEDULED and broadcast.scheduled_at is not None:
        text = context.t(
            "broadcast.scheduled", id=broadcast.id, when=when(context, broadcast.scheduled_at)
        )
    else:
        text = context.t("broadcast.queued", id=broadcast.id, count=broadcast.total)
    await send(update, context, text)
    return END


async def on_cancel(update: Update, context: BotContext) -> None:
    """``/cancel``: the draft is dropped, nothing is sent."""
    await _end(update, context)


# --- /broadcasts ----------------------------------------------------------------------------


def _remember(context: BotContext, options: Sequence[tuple[str, Sequence[str]]]) -> None:
    """The buttons of the screen just sent, in order, for their typed numbers and labels."""
    assert context.user_data is not None
    SCREEN.remember(context.user_data, [Button(data, tuple(labels)) for data, labels in options])


def _forget_screen(context: BotContext) -> None:
    if context.user_data is not None:
        SCREEN.forget(context.user_data)


def _counts(context: BotContext, broadcast: Broadcast, progress: Progress) -> str:
    if broadcast.status is BroadcastStatus.SCHEDULED:
        return context.t("broadcast.counts_scheduled")
    if broadcast.status is BroadcastStatus.CANCELLED and progress.total == 0:
        return context.t("broadcast.counts_cancelled_unsent")  # cancelled before its time
    return context.t(
        "broadcast.counts",
        sent=progress.sent,
        total=progress.total,
        failed=progress.failed,
        unreachable=progress.unreachable,
        pending=progress.pending,
    )


def _moment(broadcast: Broadcast) -> datetime:
    if broadcast.status is BroadcastStatus.SCHEDULED and broadcast.scheduled_at is not None:
        return broadcast.scheduled_at
    return broadcast.started_at or broadcast.created_at


async def broadcasts_command(update: Update, context: BotContext) -> None:
    """``/broadcasts`` (admins): the last announcements."""
    if not _is_admin(context):
        await send(update, context, context.t("admin.denied"))
        return
    await _show_list(update, context)


async def _show_list(update: Update, context: BotContext) -> None:
    service = context.services.broadcasts
    items = await service.recent(LIST_SIZE)
    if not items:
        _forget_screen(context)
        await send(update, context, context.t("broadcast.list_empty"))
        return
    lines = [context.t("broadcast.list_title"), ""]
    buttons = []
    for number, item in enumerate(items, start=1):
        progress = await service.progress(item.id)
        lines.append(
            context.t(
                "broadcast.list_line",
                number=number,
                id=item.id,
                status=Safe(context.t(STATE_KEYS[item.status])),
                when=when(context, _moment(item)),
                audience=await audience_label(context, item.audience),
                counts=Safe(_counts(context, item, progress)),
            )
        )
        buttons.append((f"{number}. #{item.id}", f"{LIST_PREFIX}o:{item.id}"))
    rows = [buttons[i : i + 4] for i in range(0, len(buttons), 4)]
    _remember(context, [(data, ()) for _, data in buttons])
    await send(update, context, "\n".join(lines), keyboard(rows))


def _snippet(context: BotContext, content: Content) -> str:
    plain = html.unescape(_TAGS.sub("", content.text)).strip()
    plain = shorten(" ".join(plain.split()), SNIPPET_MAX)
    prefix = ""
    if content.kind == "photo":
        prefix = context.t("broadcast.content_photo") + " "
    elif content.kind == "document":
        prefix = context.t("broadcast.content_document") + " "
    return prefix + html.escape(plain, quote=False)


async def _show_detail(update: Update, context: BotContext, broadcast_id: int) -> None:
    services = context.services
    item = await services.broadcasts.get(broadcast_id)
    if item is None:
        await send(update, context, context.t("broadcast.not_found"))
        return
    progress = await services.broadcasts.progress(item.id)
    author = await services.users.get(item.created_by) if item.created_by else None
    t = context.t
    lines = [
        t("broadcast.detail_title", id=item.id, status=Safe(t(STATE_KEYS[item.status]))),
        t(
            "broadcast.detail_author",
            name=author.display_name if author else "–",
            when=when(context, item.created_at),
        ),
    ]
    if item.scheduled_at is not None:
        lines.append(t("broadcast.detail_scheduled", when=when(context, item.scheduled_at)))
    if item.started_at is not None:
        lines.append(t("broadcast.detail_started", when=when(context, item.started_at)))
    if item.finished_at is not None:
        lines.append(t("broadcast.detail_finished", when=when(context, item.finished_at)))
    lines += [
        t("broadcast.detail_audience", audience=await audience_label(context, item.audience)),
        t("broadcast.detail_kind", kind=Safe(_kind(context, item.essential))),
        t("broadcast.detail_counts", counts=Safe(_counts(context, item, progress))),
        "",
        t("broadcast.detail_content", text=Safe(_snippet(context, item.content))),
    ]
    options: list[tuple[str, str]] = []  # label key, callback data
    if item.status in (BroadcastStatus.SCHEDULED, BroadcastStatus.SENDING):
        options.append((N_("broadcast.btn.stop"), f"{LIST_PREFIX}c:{item.id}"))
    if progress.failed or progress.unreachable:
        options.append((N_("broadcast.btn.export"), f"{LIST_PREFIX}x:{item.id}"))
    options.append((N_("broadcast.btn.back"), f"{LIST_PREFIX}l"))
    _remember(context, [(data, context.labels(key)) for key, data in options])
    markup = keyboard([[(t(key), data)] for key, data in options])
    await send(update, context, "\n".join(lines), markup)


async def _ask_stop(update: Update, context: BotContext, broadcast_id: int) -> None:
    item = await context.services.broadcasts.get(broadcast_id)
    if item is None:
        await send(update, context, context.t("broadcast.not_found"))
        return
    if item.status not in (BroadcastStatus.SCHEDULED, BroadcastStatus.SENDING):
        await send(update, context, context.t("broadcast.already_over"))
        return
    options = (
        (N_("broadcast.btn.stop_yes"), f"{LIST_PREFIX}y:{item.id}"),
        (N_("broadcast.btn.stop_no"), f"{LIST_PREFIX}n:{item.id}"),
    )
    # "có" / "không" answer this question (the screen's memory is for the next message only)
    typed = {
        "broadcast.btn.stop_yes": ("co", "dong y", "huy", "yes", "ok"),
        "broadcast.btn.stop_no": (
            *("khong", "giu", "giu lai", "khong huy", "dung huy", "thoi", "de lai", "no"),
            *("keep", "keep it", "don t cancel", "dont cancel"),
        ),
    }
    _remember(context, [(data, [*context.labels(key), *typed[key]]) for key, data in options])
    markup = keyboard([[(context.t(key), data)] for key, data in options])
    await send(update, context, context.t("broadcast.confirm_stop", id=item.id), markup)


async def _stop(update: Update, context: BotContext, broadcast_id: int) -> None:
    before = await context.services.broadcasts.get(broadcast_id)
    try:
        stopped = await context.services.broadcasts.cancel(broadcast_id)
    except BroadcastError as exc:
        await send(update, context, context.t(SERVICE_ERRORS.get(exc.code, "broadcast.not_found")))
        return
    log.info("broadcast %d cancelled by %s: %d not sent", broadcast_id, context.user_id, stopped)
    _forget_screen(context)
    await _wake(context)
    if before is not None and before.status is BroadcastStatus.SCHEDULED:
        await send(update, context, context.t("broadcast.stopped_unsent", id=broadcast_id))
        return
    await send(update, context, context.t("broadcast.stopped", id=broadcast_id, count=stopped))


def failures_workbook(
    rows: Sequence[Sequence[object]], headers: Sequence[str], title: str
) -> bytes:
    """The failures of one announcement as an .xlsx (every text a string cell, never a formula)."""
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = re.sub(r"[\[\]:*?/\\]", " ", title)[:31] or "Sheet"
    widths = [len(header) for header in headers]
    for column, header in enumerate(headers, start=1):
        cell = sheet.cell(row=1, column=column)
        put(cell, header)
        cell.font = Font(bold=True)
    for row_index, values in enumerate(rows, start=2):
        for column, value in enumerate(values, start=1):
            put(sheet.cell(row=row_index, column=column), value)
            widths[column - 1] = max(widths[column - 1], len(str(value or "")))
    for column, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(column)].width = min(max(width + 2, 8), 60)
    sheet.freeze_panes = "A2"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


async def _export(update: Update, context: BotContext, broadcast_id: int) -> None:
    services = context.services
    chat = update.effective_chat
    if chat is None:
        return
    item = await services.broadcasts.get(broadcast_id)
    if item is None:
        await send(update, context, context.t("broadcast.not_found"))
        return
    failures = await services.broadcasts.failures(broadcast_id)
    if not failures:
        await send(update, context, context.t("broadcast.no_failures", id=broadcast_id))
        return
    t = context.t
    rows = []
    for row in failures:
        person = await services.users.get(row.user_id)
        status_key = ROW_KEYS.get(row.status)
        key, params = failure_message(row.error) if row.error else ("", {})
        rows.append(
            [
                row.user_id,
                person.display_name if person else "",
                t(status_key) if status_key else row.status.value,
                html.unescape(t(key, **params)) if key else "",  # a cell: plain text
                row.attempts,
            ]
        )
    headers = [
        t("broadcast.col.user_id"),
        t("broadcast.col.name"),
        t("broadcast.col.status"),
        t("broadcast.col.error"),
        t("broadcast.col.attempts"),
    ]
    data = await asyncio.to_thread(failures_workbook, rows, headers, t("broadcast.sheet"))
    caption = t("broadcast.export_caption", id=broadcast_id, count=len(rows))
    try:
        await context.bot.send_document(
            chat.id, document=data, filename=f"thong-bao-{broadcast_id}-loi.xlsx", caption=caption
        )
    except TelegramError as exc:
        log.warning("could not send the failures of broadcast %d: %s", broadcast_id, exc)
        await send(update, context, t("broadcast.export_failed"))
        return
    log.info("failures of broadcast %d exported by %s", broadcast_id, context.user_id)


# --- /settings ------------------------------------------------------------------------------


async def settings_command(update: Update, context: BotContext) -> None:
    """``/settings`` (everyone): ordinary announcements on or off (``/settings off|on``)."""
    argument = fold(" ".join(context.args or []))
    if argument in OFF_WORDS:
        await _set_muted(update, context, True)
    elif argument in ON_WORDS:
        await _set_muted(update, context, False)
    else:
        await _show_settings(update, context)


async def settings_typed(update: Update, context: BotContext) -> None:
    """«tắt thông báo», «bật lại thông báo» typed outside any screen: as ``/settings off|on``."""
    await _set_muted(update, context, fold(text_of(update)) in OFF_PHRASES)


async def _show_settings(update: Update, context: BotContext) -> None:
    """The announcements' switch; for a reviewer, also the new applications' notices. Alone,
    the switch is typed as «tắt», «bật»...; beside the second one, by its label or number."""
    user = context.user
    if user is None:
        return
    t = context.t
    state = t("settings.off") if user.muted else t("settings.on")
    label, data = (
        (N_("settings.btn.on"), f"{SETTINGS_PREFIX}on")
        if user.muted
        else (N_("settings.btn.off"), f"{SETTINGS_PREFIX}off")
    )
    synonyms = ON_SYNONYMS if user.muted else OFF_SYNONYMS
    text = t("settings.title", state=Safe(state))
    options = [(data, [*context.labels(label), *(() if user.is_reviewer else synonyms)])]
    rows = [[(t(label), data)]]
    if user.is_reviewer:
        on = user.review_notices
        review = t("settings.on") if on else t("settings.off")
        text += "\n\n" + t("settings.review", state=Safe(review))
        label = N_("settings.btn.review_off") if on else N_("settings.btn.review_on")
        data = f"{REVIEW_SETTING}{'off' if on else 'on'}"
        options.append((data, [*context.labels(label), *(REVIEW_OFF if on else REVIEW_ON)]))
        rows.append([(t(label), data)])
    _remember(context, options)
    await send(update, context, text, keyboard(rows))


async def _set_review_notices(update: Update, context: BotContext, on: bool) -> None:
    user = context.user
    if user is None or not user.is_reviewer:  # the role was revoked since the screen
        await send(update, context, context.t("button.stale"))
        return
    if user.review_notices != on:
        context.user = await context.services.users.set_review_notices(user.user_id, on)
        log.info("new-application notices %s for %s", "on" if on else "off", user.user_id)
    _forget_screen(context)
    key = N_("settings.review_turned_on") if on else N_("settings.review_turned_off")
    await send(update, context, context.t(key))


async def _set_muted(update: Update, context: BotContext, muted: bool) -> None:
    user = context.user
    if user is None:
        return
    if user.muted != muted:
        context.user = await context.services.users.set_muted(user.user_id, muted)
        log.info("announcements %s for %s", "off" if muted else "on", user.user_id)
    _forget_screen(context)
    key = N_("settings.turned_off") if muted else N_("settings.turned_on")
    await send(update, context, context.t(key))


# --- the buttons of /broadcasts and /settings, and their typed forms --------------------------


async def _run(update: Update, context: BotContext, data: str) -> None:
    if data.startswith(REVIEW_SETTING):
        await _set_review_notices(update, context, data == f"{REVIEW_SETTING}on")
        return
    if data.startswith(SETTINGS_PREFIX):
        await _set_muted(update, context, data == f"{SETTINGS_PREFIX}off")
        return
    if not _is_admin(context):
        await send(update, context, context.t("admin.denied"))
        return
    action, _, argument = data.removeprefix(LIST_PREFIX).partition(":")
    if action == "l":
        await _show_list(update, context)
        return
    found = as_id(argument)
    if found is None:
        await send(update, context, context.t("button.stale"))
        return
    broadcast_id = found
    actions: dict[str, Callable[[Update, BotContext, int], Coroutine[Any, Any, None]]] = {
        "o": _show_detail,
        "c": _ask_stop,
        "y": _stop,
        "x": _export,
    }
    if action == "n":
        await send(update, context, context.t("broadcast.kept", id=broadcast_id))
        await _show_detail(update, context, broadcast_id)
    elif action in actions:
        await actions[action](update, context, broadcast_id)
    else:
        await send(update, context, context.t("button.stale"))


async def on_button(update: Update, context: BotContext) -> None:
    query = update.callback_query
    if query is None:
        return
    await acknowledge(update)
    await _run(update, context, query.data or "")


async def typed_pick(update: Update, context: BotContext) -> None:
    """Group -6, before the flows and the main menu: right after a ``/broadcasts`` or
    ``/settings`` screen, a typed number or label means its button ("2": the second item, not
    the menu's). Any other message ends that."""
    user = update.effective_user
    if user is None or update.effective_chat is None or update.message is None:
        return
    data = context.application.user_data.get(user.id)
    if not SCREEN.options(data):
        return
    text = text_of(update)
    if context.services.states.active(BotContext.key_of(update)) is not None or (
        not text or text.startswith("/")
    ):
        SCREEN.end(data)
        return
    resolved = SCREEN.resolve(data, text)
    if resolved.kind is Typed.OUT_OF_RANGE:  # "99": answered, and the screen stays
        await send(
            update,
            context,
            context.t("broadcast.pick_range", numbers=numbers_text(context, 1, resolved.high)),
        )
        raise ApplicationHandlerStop
    if resolved.data is None:
        return
    await _run(update, context, resolved.data)
    raise ApplicationHandlerStop


# --- registration -------------------------------------------------------------------------------

Step = Callable[[Update, BotContext], Coroutine[Any, Any, str | int | None]]


def _step(callback: Step, pattern: str) -> list[BaseHandler[Update, BotContext, object]]:
    """A step answered by its buttons or by typed text."""
    return [
        CallbackQueryHandler(callback, pattern=rf"^{re.escape(pattern)}"),
        MessageHandler(ANSWER_TEXT, callback),  # «hủy» stops (the fallbacks)
    ]


def build(services: Services) -> ConversationHandler[BotContext]:
    """``/broadcast``: register among the flows (before the single-step handlers of group 0,
    which would take its typed answers)."""
    guard = NotInFlow(services.states)
    states: dict[object, list[BaseHandler[Update, BotContext, object]]] = {
        "content": [
            MessageHandler(ANSWER_TEXT, on_content),
            MessageHandler(filters.PHOTO | filters.Document.ALL, on_content),
            MessageHandler(filters.ALL & ~filters.COMMAND & ~STOP, on_other_content),
        ],
        "audience": _step(on_audience, PREFIX + "a:"),
        "unit": _step(on_unit, PREFIX + "u:"),
        "role": _step(on_role, PREFIX + "r:"),
        "event": _step(on_event, PREFIX + "e:"),
        "segment": _step(on_segment, PREFIX + "s:"),
        "status": _step(on_status, PREFIX + "st:"),
        "ids": [MessageHandler(ANSWER_TEXT, on_ids)],
        "essential": _step(on_essential, PREFIX + "x:"),
        "preview": _step(on_preview, PREFIX + "p:"),
        "when": [MessageHandler(ANSWER_TEXT, on_when)],
        "confirm": _step(on_confirm, PREFIX + "c:"),
    }
    assert set(states) == set(STATES)
    going_back: list[BaseHandler[Update, BotContext, object]] = [
        CallbackQueryHandler(on_back, pattern=rf"^{re.escape(BACK)}(:audience)?$"),
        MessageHandler(ANSWER_TEXT & Words(BACK_WORDS | AUDIENCE_WORDS, "back"), on_back),
    ]
    for state in PREVIOUS:
        states[state] = [*going_back, *states[state]]
    return ConversationHandler(
        name=FLOW,
        persistent=True,
        entry_points=[CommandHandler("broadcast", begin, filters=guard)],
        states=states,
        fallbacks=flow_fallbacks(
            FLOW,
            prompt,
            on_cancel,
            resume_commands=("broadcast",),
            cancelled_key=N_("broadcast.discarded"),
            help_key=N_("broadcast.help_inside"),
        ),
    )


def handlers(services: Services) -> list[BaseHandler[Update, BotContext, object]]:
    """Single-step handlers of group 0: ``/broadcasts`` and its buttons (admins, checked
    inside), ``/settings`` and its button (everyone)."""
    return [
        CommandHandler("broadcasts", broadcasts_command),
        CommandHandler("settings", settings_command),
        CallbackQueryHandler(on_button, pattern=rf"^({LIST_PREFIX}|{SETTINGS_PREFIX})"),
    ]
