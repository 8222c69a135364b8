"""Office review of initiatives (``/review``) and the person's own list (``/my_initiatives``).

``/my_initiatives``: the person's initiatives (number, title, status, date); one opened shows
every field, the office's comment and the history; "Rút đơn" (then "Xác nhận rút") while the
review has not started; "Sửa và nộp lại" (``ini:amend:<id>``, handled by the form's
conversation in :mod:`handlers.initiative`) when the office asked for changes.

``/review`` (admins and the ``reviewer`` role, checked on every command, button and typed
choice): the queue (submitted, under review, needs changes by default; filters by status and by
unit; pages of :data:`PAGE_SIZE`), one initiative with everything (the confidential field only
for admins) and the moves :data:`REVIEW_MOVES` allows from its status. "Bắt đầu xét" and "Công
nhận" apply at once; "Yêu cầu bổ sung" and "Không công nhận" ask for the comment in a short
persistent conversation (:func:`build`): the decision and leaving the conversation are one
transaction. The author is told of every change in their language (:func:`author_notices`):
the notice is written to the outbox in the decision's own transaction and sent by the delivery
worker (so the reviewer is told it is on its way, not that it arrived).

Callback data: ``my:l`` / ``my:p:<page>`` (the list), ``my:o:<id>`` (details), ``my:w:<id>``
(withdraw?), ``my:wy:<id>`` (confirmed), ``my:wn:<id>`` (kept); ``rv:q`` / ``rv:p:<page>`` (the
queue), ``rv:fs`` / ``rv:s:<open|all|status>`` (status filter), ``rv:fu`` / ``rv:u:<index|all>``
(unit filter), ``rv:o:<id>`` (details), ``rv:m:<id>:<status>`` (a move), ``rv:a:<id>`` (the
attachments). Both detail screens also carry ``ini:docx:<id>`` ("Tải đơn (.docx)", the filled
form, handled by :func:`handlers.initiative.form_button`).

Typed forms: what the last screen offered (button data, every label it may be typed as, its
number) is kept by :data:`SCREEN` (a :class:`bot.tg.screen.Screen`, ``user_data["review_screen"]``)
for :data:`SCREEN_TTL` seconds. A typed label, an initiative number (``SK-2025-0007``) or a list
number picks the same thing as the button. Right after one of these screens its numbers come
first (:func:`typed_number`, before the main menu's); later on, numbers that are also main-menu
items are taken by the menu first (the menu's typed choices are registered before these
handlers). Typed text that is none of that goes on to the rules Q&A, as it would have.
"""

from __future__ import annotations

import dataclasses
import logging
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from telegram import Message, Update
from telegram.error import TelegramError
from telegram.ext import (
    ApplicationHandlerStop,
    BaseHandler,
    CallbackQueryHandler,
    CommandHandler,
    ConversationHandler,
    MessageHandler,
    filters,
)

from bot.domain.choices import (
    Choice,
    is_number,
    match_choice,
    plain_answer,
    starting_with,
    zero_padded,
)
from bot.domain.choices import typed_number as number_in
from bot.domain.initiative import (
    COMMENT_REQUIRED,
    FINAL,
    REASON_MIN_WORDS,
    REVIEW_MOVES,
    WITHDRAWABLE,
    FormField,
    Initiative,
    Person,
    Status,
    StatusChange,
    checked_comment,
    long_text,
    normalise_number,
    not_an_answer,
    people,
)
from bot.domain.models import User
from bot.domain.profile import InvalidInput
from bot.domain.text import clean, fold, shorten
from bot.i18n import N_, Safe, Translator, escape
from bot.services.broadcasts import Notice, Notify
from bot.services.container import Services
from bot.services.initiatives import InitiativeError, Moved, Unfinished
from bot.tg.broadcaster import wake_outbox
from bot.tg.context import BotContext
from bot.tg.screen import Option, Screen
from bot.tg.ui import acknowledge, keyboard, send
from handlers import ask
from handlers import initiative as form_handlers
from handlers.common import (
    ANSWER_TEXT,
    END,
    FORM_BUTTON,
    TEXT,
    NotInFlow,
    ScreenPick,
    choice_of,
    flow_fallbacks,
    hand_over,
    may_enter,
    numbers_text,
    one_of_text,
    pick,
    ref,
    text_of,
    user_dict,
    which_of,
)
from handlers.menu import CANCEL_WORDS, MENU_WORDS, MenuChoice, names_menu_item

log = logging.getLogger(__name__)

FLOW = "review"  # the reviewer's comment conversation
COMMENT = "comment"
CONFIRM = "confirm"  # «Không công nhận»: the reason typed, shown once more before it is final
MEMORY = "review"  # user_data key: queue filter, its units, pending decision
PAGE_SIZE = 10
TITLE_MAX = 120  # characters of a title in a list
MESSAGE_MAX = 4000  # a little under Telegram's 4096
BLOCK_MAX = 3000  # characters of one piece of a long answer
SCREEN_TTL = 30 * 60  # seconds a screen's typed choices stay valid
# The options of the last screen, for their typed numbers and labels. Its numbers are "live"
# for the message right after the screen (and while the messages are its numbers); its labels
# and numbers stay valid after other messages too, until SCREEN_TTL (``live_only=False``).
SCREEN = Screen("review_screen", ttl=SCREEN_TTL)
NUMBER = re.compile(r"^[A-Za-z]{1,6}-\d{4}-\d{1,6}$")

STATUS_LABELS: dict[Status, str] = {
    Status.SUBMITTED: N_("initiative.status.submitted"),
    Status.REVIEWING: N_("initiative.status.reviewing"),
    Status.NEEDS_CHANGES: N_("initiative.status.needs_changes"),
    Status.RECOGNISED: N_("initiative.status.recognised"),
    Status.NOT_RECOGNISED: N_("initiative.status.not_recognised"),
    Status.WITHDRAWN: N_("initiative.status.withdrawn"),
}
MOVE_LABELS: dict[Status, str] = {
    Status.REVIEWING: N_("review.btn.reviewing"),
    Status.NEEDS_CHANGES: N_("review.btn.needs_changes"),
    Status.RECOGNISED: N_("review.btn.recognised"),
    Status.NOT_RECOGNISED: N_("review.btn.not_recognised"),
}
# Final decisions that take no comment: asked again before they are applied (the others ask
# for their comment or reason, a step of its own that can be left with /cancel).
CONFIRM_PROMPTS: dict[Status, str] = {Status.RECOGNISED: N_("review.confirm_recognised")}
CONFIRM_LABELS: dict[Status, str] = {Status.RECOGNISED: N_("review.btn.confirm_recognised")}
COMMENT_PROMPTS: dict[Status, str] = {
    Status.NEEDS_CHANGES: N_("review.ask_comment"),
    Status.NOT_RECOGNISED: N_("review.ask_reason"),
}
NOTIFY: dict[Status, str] = {
    Status.REVIEWING: N_("review.notify.reviewing"),
    Status.NEEDS_CHANGES: N_("review.notify.needs_changes"),
    Status.RECOGNISED: N_("review.notify.recognised"),
    Status.NOT_RECOGNISED: N_("review.notify.not_recognised"),
}
OPEN_STATUSES = (Status.SUBMITTED, Status.REVIEWING, Status.NEEDS_CHANGES)
# Status filters of the queue: key in the callback data -> (label, statuses or None for all).
STATUS_FILTERS: dict[str, tuple[str, tuple[Status, ...] | None]] = {
    "open": (N_("review.btn.open_statuses"), OPEN_STATUSES),
    **{status.value: (STATUS_LABELS[status], (status,)) for status in Status},
    "all": (N_("review.btn.all_statuses"), None),
}
INPUT_ERRORS = {
    "too_long": N_("error.too_long"),
    "comment_required": N_("error.comment_required"),
    "comment_short": N_("error.comment_short"),
    "reason_short": N_("error.reason_short"),
    "not_an_answer": N_("review.not_a_comment"),
}
# Typed forms of the fixed buttons, besides their labels in every language (compared folded).
ALIASES: dict[str, tuple[str, ...]] = {
    "my.btn.withdraw": ("rut", "rut don", "rut ho so", "withdraw"),
    "my.btn.amend": ("sua", "sua don", "sua ho so", "sua va nop lai", "nop lai", "amend"),
    "my.btn.confirm_withdraw": ("xac nhan", "xac nhan rut don", "confirm"),  # never a bare "có"
    "my.btn.keep": ("khong", "khong rut", "giu", "giu lai", "thoi", "huy", "no", "keep"),
    "my.btn.back": ("danh sach", "quay lai", "back", "list"),
    "review.btn.back": ("danh sach", "danh sach ho so", "quay lai", "back", "queue", "list"),
    # The office said «hồ sơ» before «đơn» (as the author's side does): both are read.
    "review.btn.open": ("xem ho so", "mo don", "mo ho so"),
    "review.btn.prev": ("truoc", "trang truoc", "previous", "prev"),
    "review.btn.next": ("tiep", "sau", "trang sau", "next", "more"),
    "review.btn.reviewing": (
        *("xet", "bat dau", "xem xet", "dang xem xet", "dang xet", "xet duyet", "start"),
        *("reviewing", "under review", "review it"),
    ),
    "review.btn.recognised": (
        *("cong nhan", "duyet", "phe duyet", "dat", "recognise", "recognize", "approve"),
    ),
    "review.btn.confirm_recognised": (
        *("xac nhan", "xac nhan cong nhan", "dong y cong nhan", "confirm"),
    ),
    "review.btn.not_now": ("khong", "chua", "de sau", "quay lai", "thoi", "huy", "no", "not now"),
    "review.btn.needs_changes": (
        *("bo sung", "can bo sung", "yeu cau bo sung", "yeu cau sua", "can sua", "tra lai"),
        *("request changes", "changes", "needs changes"),
    ),
    "review.btn.not_recognised": (
        *("khong cong nhan", "khong dat", "tu choi", "bac", "reject", "not recognised"),
    ),
    "review.btn.files": ("tep", "tep dinh kem", "files", "attachments"),
    "review.btn.docx": ("tai don", "docx", "word", "download the form"),
    "review.btn.filter_status": ("loc trang thai", "trang thai", "status"),
    "review.btn.filter_unit": ("loc don vi", "don vi", "unit"),
    "review.btn.open_statuses": (
        *("cho xu ly", "chua xu ly", "dang cho", "chua duyet", "cho duyet", "chua xet"),
        *("cho xet", "open", "pending"),
    ),
    "review.btn.all_statuses": ("tat ca", "all"),
    "review.btn.all_units": ("tat ca", "all"),
    "initiative.status.submitted": ("moi nop", "nop", "new"),
    "initiative.status.reviewing": ("dang xem xet", "xem xet", "dang xet duyet", "under review"),
    "initiative.status.needs_changes": (
        *("can sua", "can bo sung", "bo sung", "yeu cau bo sung", "cho bo sung", "can chinh sua"),
        *("chinh sua", "tra lai", "changes requested"),
    ),
    "initiative.status.recognised": (
        *("cong nhan", "da cong nhan", "duoc cong nhan", "ho so duoc cong nhan", "dat"),
        *("da duyet", "duoc duyet", "da phe duyet"),
        *("ho so da cong nhan", "approved", "recognised"),
    ),
    "initiative.status.not_recognised": (
        *("bi tu choi", "tu choi", "khong cong nhan", "khong dat", "khong duoc cong nhan"),
        *("ho so khong duoc cong nhan", "nhung ho so khong duoc cong nhan", "rejected"),
    ),
    "initiative.status.withdrawn": ("rut", "da rut", "bi rut"),
}
# A yes to the question of the screen just sent (never a lasting label: said later, it
# answers something else).
YES_WORDS = ("co", "dong y", "chac chan", "ok", "yes", "vang", "u", "uh")
# Every fixed button label typed outside a flow (the single-step handlers look at these).
TYPED_KEYS = (
    N_("my.btn.withdraw"),
    N_("my.btn.confirm_withdraw"),
    N_("my.btn.keep"),
    N_("my.btn.back"),
    N_("review.btn.reviewing"),
    N_("review.btn.recognised"),
    N_("review.btn.confirm_recognised"),
    N_("review.btn.not_now"),
    N_("review.btn.open"),
    N_("review.btn.files"),
    N_("review.btn.docx"),
    N_("review.btn.back"),
    N_("review.btn.prev"),
    N_("review.btn.next"),
    N_("review.btn.filter_status"),
    N_("review.btn.filter_unit"),
    N_("review.btn.open_statuses"),
    N_("review.btn.all_statuses"),
    N_("review.btn.all_units"),
    *STATUS_LABELS.values(),
)
# The queue's own buttons, typed while a review session is recent but its screen is not the last
# one («lọc theo trạng thái» after the unit question): data -> (label key, typed forms).
SESSION_WORDS: dict[str, tuple[str, tuple[str, ...]]] = {
    "rv:fs": (N_("review.btn.filter_status"), ("loc trang thai", "trang thai", "status")),
    "rv:fu": (N_("review.btn.filter_unit"), ("loc don vi", "don vi", "unit")),
    "rv:u:all": (N_("review.btn.all_units"), ("tat ca don vi", "moi don vi", "all units")),
    "rv:s:all": (N_("review.btn.all_statuses"), ("tat ca trang thai", "all statuses")),
    "rv:s:open": (N_("review.btn.open_statuses"), ("cho xu ly", "chua xu ly")),
    "rv:q": (
        N_("review.btn.back"),
        ("danh sach don", "danh sach ho so", "danh sach", "trang sau", "trang truoc"),
    ),
}
COMMENT_MOVES = tuple(sorted(COMMENT_REQUIRED))
COMMENT_MOVE_PATTERN = rf"^rv:m:\d{{1,18}}:({'|'.join(s.value for s in COMMENT_MOVES)})$"


# --- screens: buttons and what may be typed instead ---------------------------------------------


@dataclass(frozen=True)
class Button:
    data: str
    text: str
    typed: tuple[str, ...] = ()  # what it may be typed as (labels in every language, aliases)
    number: int | None = None  # its number in a list (else its position on the screen)
    answers: tuple[str, ...] = ()  # words that pick it right after the screen only ("có")


def _button(context: BotContext, key: str, data: str, **params: object) -> Button:
    typed = (*context.labels(key), *ALIASES.get(key, ()))
    return Button(data, context.t(key, **params), typed)


def _memory(context: BotContext) -> dict[str, Any]:
    return user_dict(context, MEMORY)


def _remember(
    context: BotContext, buttons: Sequence[Button], numbered: bool, keep_list: bool = False
) -> None:
    """What the screen just sent offers, for its typed forms. A button's number is its own
    (a list's), else its position among all the buttons when ``numbered``, else none.

    ``keep_list``: a screen opened from a list (one initiative) keeps the list's numbers, so
    that "2" opens the list's second item rather than pressing an unnumbered button (a
    decision taken by a hidden number); its own buttons are typed by their labels."""
    options = [
        Option(
            button.data,
            button.typed,
            button.number if button.number is not None else (position if numbered else 0),
            button.answers,
            button.text,
        )
        for position, button in enumerate(buttons, start=1)
        if button.data.startswith(("my:", "rv:", "ini:docx:", "ini:amend:"))
    ]
    assert context.user_data is not None
    if keep_list:
        listed = SCREEN.options(context.user_data, live_only=False)
        options += [o for o in listed if o.number and o.data.startswith(("my:o:", "rv:o:"))]
    SCREEN.remember(context.user_data, options)


def _pick(context: BotContext, text: str) -> str | None:
    """The button of the last screen that ``text`` designates (its number or a label), until
    :data:`SCREEN_TTL` even after other messages. «0007» is the end of a listed initiative's
    number (SK-2026-0007), not the list's 7th item. A whole number (SK-2026-0007) is an
    identifier, never a near label: :func:`on_typed` looks it up exactly."""
    if _reference(text) is not None:
        return None
    wanted = _sequence(text)
    if wanted is not None:
        found = {
            option.data
            for option in SCREEN.options(context.user_data, live_only=False)
            for label in option.labels
            if NUMBER.match(label) and int(label.rsplit("-", 1)[1]) == wanted
        }
        return found.pop() if len(found) == 1 else None
    return SCREEN.pick(context.user_data, text, live_only=False)


def _reference(text: str) -> str | None:
    """«sk-2026-7», «SK - 2026 - 0007»: an initiative's number as printed (SK-2026-0007)."""
    reference = normalise_number(clean(text))
    return reference if NUMBER.match(reference) else None


def _sequence(text: str) -> int | None:
    """«0007» (digits with leading zeros, as the end of an initiative's number): 7."""
    value = clean(text)
    return int(value) if zero_padded(value) else None


class TypedChoice(filters.MessageFilter):
    """Text that may be a typed button of these screens: an initiative number, a number (when
    ``numbers``), or one of the labels of ``keys`` (every language) or ``extra``. Whether it
    means something on the person's last screen is decided by the handler."""

    def __init__(
        self,
        translator: Translator,
        keys: Iterable[str],
        extra: Iterable[Choice] = (),
        *,
        numbers: bool,
    ) -> None:
        super().__init__(name="TypedChoice")
        self.choices = [Choice(key, translator.all(key), ALIASES.get(key, ())) for key in keys]
        self.choices += [Choice(f"x:{i}", c.labels, c.aliases) for i, c in enumerate(extra)]
        self.numbers = numbers

    def filter(self, message: Message) -> bool:
        text = message.text or ""
        if _reference(text) is not None:  # «SK-2026-0007», «SK 2026 0007»
            return self.numbers
        if number_in(text) is not None:  # "2", «số 2», «dạ 2 ạ»
            return self.numbers
        # the first words of several labels («tất cả»): the handler asks which one
        return match_choice(text, self.choices) is not None or bool(
            starting_with(text, self.choices)
        )


def _pack(blocks: Iterable[str], limit: int = MESSAGE_MAX) -> list[str]:
    """Blocks of HTML joined by blank lines into as few messages as fit."""
    parts: list[str] = []
    current = ""
    for block in blocks:
        candidate = f"{current}\n\n{block}" if current else block
        if current and len(candidate) > limit:
            parts.append(current)
            current = block
        else:
            current = candidate
    return [*parts, current] if current else parts or [""]


async def _show(
    update: Update,
    context: BotContext,
    blocks: Sequence[str],
    rows: Sequence[Sequence[Button]] = (),
    *,
    numbered: bool = True,
    keep_list: bool = False,
) -> None:
    """Send a screen (several messages if long; the buttons go with the last) and remember
    what it offers (see :func:`_remember`)."""
    parts = _pack(blocks)
    markup = keyboard([[(b.text, b.data) for b in row] for row in rows]) if rows else None
    for part in parts[:-1]:
        await send(update, context, part)
    await send(update, context, parts[-1], markup)
    _remember(context, [b for row in rows for b in row], numbered, keep_list)


def _pairs(buttons: Sequence[Button], width: int = 2) -> list[list[Button]]:
    return [list(buttons[i : i + width]) for i in range(0, len(buttons), width)]


# --- rendering ----------------------------------------------------------------------------------


def _short(text: str, limit: int = TITLE_MAX) -> str:
    return shorten(text, limit)


def _day(context: BotContext, moment: datetime) -> str:
    return moment.astimezone(context.services.settings.tz).strftime("%d/%m/%Y")


def _minute(context: BotContext, moment: datetime) -> str:
    return moment.astimezone(context.services.settings.tz).strftime("%d/%m/%Y %H:%M")


def status_label(context: BotContext, status: Status) -> str:
    return context.t(STATUS_LABELS[status])


def _known(context: BotContext, key: str) -> bool:
    """Whether the catalog has ``key`` (labels of form fields are data-driven: a field added
    to the form file may not have one yet)."""
    catalog = context.services.translator.catalogs.get(context.locale)
    return catalog is not None and catalog.gettext(key) != key


def _field_label(context: BotContext, field: FormField) -> str:
    key = f"initiative.field.{field.id}"
    return context.t(key) if _known(context, key) else field.docx


def _choice_text(context: BotContext, field: FormField, value: str) -> str:
    if field.id == "solution_type":
        key = f"initiative.type.{value}"
        if _known(context, key):
            return context.t(key)
        return context.services.initiatives.form.solution_type_docx.get(value, value)
    return value


def _date_text(value: object) -> str:
    if isinstance(value, str):
        try:
            return date.fromisoformat(value).strftime("%d/%m/%Y")
        except ValueError:
            return value
    return str(value)


def _person(context: BotContext, number: int, person: Person) -> str:
    """One person of a list, as escaped HTML."""
    parts = [f"<b>{escape(person.full_name)}</b>"]
    if person.birth_date is not None:
        parts.append(escape(person.birth_date.strftime("%d/%m/%Y")))
    parts += [escape(p) for p in (person.workplace, person.position, person.qualification) if p]
    if person.share is not None:
        parts.append(context.t("review.share", share=form_handlers.share(context, person.share)))
    if person.task:
        parts.append(context.t("review.task", task=person.task))
    return f"{number}. " + "; ".join(parts)


def _split_plain(text: str, limit: int = BLOCK_MAX) -> list[str]:
    """Plain text in pieces of at most ``limit`` characters, cut at line breaks or spaces."""
    pieces: list[str] = []
    rest = text.strip()
    while len(rest) > limit:
        cut = rest.rfind("\n", 0, limit)
        if cut < limit // 2:
            cut = rest.rfind(" ", 0, limit)
        if cut < limit // 2:
            cut = limit
        pieces.append(rest[:cut].rstrip())
        rest = rest[cut:].lstrip()
    return [*pieces, rest] if rest else pieces


def _field_blocks(context: BotContext, item: Initiative, *, confidential: bool) -> list[str]:
    """Every answer of the form, as HTML blocks (a long one in several)."""
    form = context.services.initiatives.form
    none = context.t("review.none")
    blocks: list[str] = []
    for field in form.fields:
        if field.kind == "shares":  # shown with the authors
            continue
        label = _field_label(context, field)
        value = item.content.get(field.id)
        if field.confidential and not confidential and value not in (None, ""):
            hidden = Safe(context.t("review.confidential_hidden"))
            blocks.append(context.t("review.field", label=label, value=hidden))
        elif field.kind == "persons":
            listed = people(value)
            lines = [_person(context, i, p) for i, p in enumerate(listed, start=1)]
            shown = Safe("\n" + "\n".join(lines)) if lines else none
            blocks.append(context.t("review.field", label=label, value=shown))
        elif field.kind == "long":
            pieces = _split_plain(long_text(value)) or [none]
            blocks.append(context.t("review.field", label=label, value="\n" + pieces[0]))
            blocks += [escape(piece) for piece in pieces[1:]]
        else:
            if value is None or value == "":
                text = none
            elif field.kind == "yesno":
                text = context.t(N_("review.yes") if value else N_("review.no"))
            elif field.kind == "date":
                text = _date_text(value)
            elif field.kind == "choice":
                text = _choice_text(context, field, str(value))
            else:
                text = str(value)
            pieces = _split_plain(text) or [none]
            separator = "\n" if "\n" in text or len(pieces) > 1 else ""
            blocks.append(context.t("review.field", label=label, value=separator + pieces[0]))
            blocks += [escape(piece) for piece in pieces[1:]]
    return blocks


def _size(size: int) -> str:
    if size <= 0:
        return "?"
    if size >= 1024 * 1024:
        return f"{size / (1024 * 1024):.1f} MB"
    return f"{max(1, round(size / 1024))} KB"


def _attachments_block(context: BotContext, item: Initiative) -> str:
    files = item.attachments
    if not files:
        return context.t("review.attachments_none")
    lines = [context.t("review.attachments", count=len(files))]
    lines += [
        context.t("review.attachment", n=i, name=f.name, size=_size(f.size))
        for i, f in enumerate(files, start=1)
    ]
    return "\n".join(lines)


def _history_block(context: BotContext, history: Sequence[StatusChange]) -> str:
    lines = [context.t("review.history")]
    for change in history:
        params: dict[str, object] = {
            "at": _minute(context, change.at),
            "actor": change.actor_name,
            "to_status": status_label(context, change.to_status),
        }
        if change.from_status is None:
            lines.append(context.t("review.history_first", **params))
        else:
            from_status = status_label(context, change.from_status)
            lines.append(context.t("review.history_item", from_status=from_status, **params))
        if change.comment:
            lines.append(context.t("review.history_comment", comment=change.comment))
    return "\n".join(lines)


def _comment_block(context: BotContext, item: Initiative) -> str | None:
    """The office's last word. (Not once resubmitted: the comment of the earlier round stays
    in ``last_comment`` but belongs to the history then.)"""
    if not item.last_comment or item.status is Status.SUBMITTED:
        return None
    if item.status is Status.NEEDS_CHANGES:
        return context.t("review.comment_changes", comment=item.last_comment)
    if item.status is Status.NOT_RECOGNISED:
        return context.t("review.comment_reason", comment=item.last_comment)
    return context.t("review.comment", comment=item.last_comment)


# --- the person's own initiatives: /my_initiatives ----------------------------------------------


def _user(context: BotContext) -> User:
    user = context.user
    assert user is not None  # identify() ran first for every update with a person
    return user


async def _mine(context: BotContext) -> list[Initiative]:
    """The person's initiatives, newest first (the order of the list and its numbers)."""
    items = await context.services.initiatives.mine(context.user_id)
    return sorted(items, key=lambda i: (i.submitted_at, i.id), reverse=True)


def _unfinished_note(context: BotContext, draft: Unfinished) -> str:
    """The draft, which the list does not show: how to go on with it."""
    if draft.amending:
        return context.t("my.draft_amending", number=draft.amending)
    if draft.title:
        return context.t("my.draft_titled", title=_short(draft.title))
    return context.t("my.draft")


async def my_list(update: Update, context: BotContext, page: int = 1) -> None:
    items = await _mine(context)
    draft = await context.services.initiatives.unfinished(context.user_id)
    if not items:
        blocks = [context.t("my.none")]
        if draft is not None:
            blocks.append(_unfinished_note(context, draft))
        await _show(update, context, blocks)
        return
    pages = math.ceil(len(items) / PAGE_SIZE)
    page = min(max(page, 1), pages)
    start = (page - 1) * PAGE_SIZE
    shown = list(enumerate(items, start=1))[start : start + PAGE_SIZE]
    lines = [context.t("my.title", count=len(items))]
    for n, item in shown:
        lines.append(
            context.t(
                "my.item",
                n=n,
                number=item.number,
                title=_short(item.title),
                status=status_label(context, item.status),
                date=_day(context, item.submitted_at),
            )
        )
    blocks = ["\n\n".join(lines)]
    if pages > 1:
        blocks.append(context.t("review.page", page=page, pages=pages))
    if draft is not None:
        blocks.append(_unfinished_note(context, draft))
    blocks.append(context.t("my.hint", example=shown[0][1].number))
    buttons = [
        Button(f"my:o:{item.id}", f"{n}. {item.number}", (item.number,), n) for n, item in shown
    ]
    rows = _pairs(buttons)
    rows += _paging(context, "my:p", page, pages)
    await _show(update, context, blocks, rows, numbered=False)


def _paging(context: BotContext, prefix: str, page: int, pages: int) -> list[list[Button]]:
    row = []
    if page > 1:
        row.append(_button(context, N_("review.btn.prev"), f"{prefix}:{page - 1}"))
    if page < pages:
        row.append(_button(context, N_("review.btn.next"), f"{prefix}:{page + 1}"))
    return [row] if row else []


async def _own(update: Update, context: BotContext, initiative_id: int) -> Initiative | None:
    """The person's initiative ``initiative_id`` (someone else's is "not found")."""
    item = await context.services.initiatives.get(initiative_id)
    if item is None or item.submitter_id != context.user_id:
        await send(update, context, context.t("initiative.not_found"))
        return None
    return item


async def my_detail(update: Update, context: BotContext, initiative_id: int) -> None:
    item = await _own(update, context, initiative_id)
    if item is None:
        return
    head = context.t(
        "my.detail_head",
        number=item.number,
        title=item.title,
        status=status_label(context, item.status),
        date=_day(context, item.submitted_at),
    )
    blocks = [head]
    comment = _comment_block(context, item)
    if comment is not None:
        blocks.append(comment)
    if item.status is Status.NEEDS_CHANGES:
        blocks.append(context.t("my.amend_hint"))
    blocks += _field_blocks(context, item, confidential=True)  # their own answers
    blocks.append(_attachments_block(context, item))
    blocks.append(_history_block(context, await context.services.initiatives.history(item.id)))
    await _show(update, context, blocks, _own_rows(context, item), numbered=False, keep_list=True)


def _own_rows(context: BotContext, item: Initiative) -> list[list[Button]]:
    """The buttons of an author's initiative: amend (changes asked), withdraw (before
    review), the .docx, back to the list."""
    rows: list[list[Button]] = []
    if item.status is Status.NEEDS_CHANGES:
        rows.append([_button(context, N_("my.btn.amend"), f"ini:amend:{item.id}")])
    if item.status in WITHDRAWABLE:
        rows.append([_button(context, N_("my.btn.withdraw"), f"my:w:{item.id}")])
    rows.append([_button(context, N_("review.btn.docx"), f"ini:docx:{item.id}")])
    rows.append([_button(context, N_("my.btn.back"), "my:l")])
    return rows


async def my_withdraw_ask(update: Update, context: BotContext, initiative_id: int) -> None:
    item = await _own(update, context, initiative_id)
    if item is None:
        return
    if item.status not in WITHDRAWABLE:
        await _not_withdrawable(update, context, item, item.status)
        return
    text = context.t("my.withdraw_confirm", number=item.number, title=_short(item.title))
    confirm = _button(context, N_("my.btn.confirm_withdraw"), f"my:wy:{item.id}")
    rows = [
        [dataclasses.replace(confirm, answers=YES_WORDS)],
        [_button(context, N_("my.btn.keep"), f"my:wn:{item.id}")],
    ]
    await _show(update, context, [text], rows)  # typed: "1" / "2", or the labels


async def my_withdraw(update: Update, context: BotContext, initiative_id: int) -> None:
    item = await _own(update, context, initiative_id)
    if item is None:
        return
    services = context.services
    notify: Notify[Moved] = services.broadcasts.notices(
        lambda moved: form_handlers.withdrawal_notices(services, moved), actor_id=context.user_id
    )
    try:
        await services.initiatives.withdraw(ref(update), _user(context), item.id, notify=notify)
    except InitiativeError as exc:
        if exc.code == "initiative.not_withdrawable":
            current = await context.services.initiatives.get(item.id)
            await _not_withdrawable(update, context, item, (current or item).status)
        else:
            await send(update, context, context.t("initiative.not_found"))
        return
    if notify.queued.chats:
        wake_outbox(context.application)
    rows = [[_button(context, N_("my.btn.back"), "my:l")]]
    await _show(update, context, [context.t("my.withdrawn", number=item.number)], rows)


async def _not_withdrawable(
    update: Update, context: BotContext, item: Initiative, status: Status
) -> None:
    if status is Status.WITHDRAWN:  # a second tap on "Xác nhận rút"
        text = context.t("my.already_withdrawn", number=item.number)
    else:
        text = context.t(
            "my.not_withdrawable", number=item.number, status=status_label(context, status)
        )
    await _show(update, context, [text], [[_button(context, N_("my.btn.back"), "my:l")]])


async def my_keep(update: Update, context: BotContext, initiative_id: int) -> None:
    item = await _own(update, context, initiative_id)
    if item is None:
        return
    # The initiative's own buttons again: «rút đơn» or «sửa và nộp lại» typed again works.
    rows = _own_rows(context, item)
    await _show(update, context, [context.t("my.kept", number=item.number)], rows)


async def my_menu_button(update: Update, context: BotContext) -> None:
    await acknowledge(update)
    await my_list(update, context)


async def my_command(update: Update, context: BotContext) -> None:
    """``/my_initiatives``; ``/my_initiatives 2`` (its number in the list) or
    ``/my_initiatives SK-2025-0007`` opens one."""
    reference = clean(" ".join(context.args or []))
    if not reference:
        await my_list(update, context)
        return
    if is_number(reference):
        items = await _mine(context)
        index = int(reference)
        if 1 <= index <= len(items):
            await my_detail(update, context, items[index - 1].id)
            return
    number = _reference(reference)
    found = await context.services.initiatives.find(number) if number is not None else None
    if found is None or found.submitter_id != context.user_id:
        await send(update, context, context.t("initiative.not_found"))
        return
    await my_detail(update, context, found.id)


# --- the office: /review ------------------------------------------------------------------------


def may_review(context: BotContext) -> bool:
    return context.user is not None and context.user.is_reviewer


def _filter(context: BotContext) -> tuple[str, str | None]:
    memory = _memory(context)
    current = memory.get("filter")
    if not isinstance(current, dict):
        return "open", None
    key = str(current.get("s") or "open")
    unit = current.get("u")
    return (key if key in STATUS_FILTERS else "open"), (str(unit) if unit else None)


def _set_filter(context: BotContext, key: str, unit: str | None) -> None:
    _memory(context)["filter"] = {"s": key, "u": unit}


async def review_queue(update: Update, context: BotContext, page: int = 1) -> None:
    services = context.services
    key, unit = _filter(context)
    label_key, statuses = STATUS_FILTERS[key]
    items = await services.initiatives.queue(list(statuses) if statuses else None, unit)
    counts = await services.initiatives.counts(unit)  # the unit filtered by: its own (qa18)
    summary = "; ".join(
        f"{status_label(context, status)}: {counts[status]}"
        for status in Status
        if counts.get(status)
    )
    head = [
        context.t(
            "review.queue_title",
            statuses=context.t(label_key),
            unit=unit or context.t("review.btn.all_units"),
        )
    ]
    if summary and unit is not None:
        head.append(context.t("review.counts_unit", unit=unit, summary=summary))
    elif summary:
        head.append(context.t("review.counts", summary=summary))
    filters_row = [
        _button(context, N_("review.btn.filter_status"), "rv:fs"),
        _button(context, N_("review.btn.filter_unit"), "rv:fu"),
    ]
    if not items:
        blocks = ["\n".join(head), context.t("review.queue_empty")]
        await _show(update, context, blocks, [filters_row], numbered=False)
        return
    pages = math.ceil(len(items) / PAGE_SIZE)
    page = min(max(page, 1), pages)
    start = (page - 1) * PAGE_SIZE
    shown = list(enumerate(items, start=1))[start : start + PAGE_SIZE]
    lines = [
        context.t(
            "review.item",
            n=n,
            number=item.number,
            title=_short(item.title),
            status=status_label(context, item.status),
            unit=item.unit or context.t("review.none"),
            date=_day(context, item.submitted_at),
        )
        for n, item in shown
    ]
    blocks = ["\n".join(head), "\n\n".join(lines)]
    if pages > 1:
        blocks.append(context.t("review.page", page=page, pages=pages))
    blocks.append(context.t("review.hint", example=shown[0][1].number))
    buttons = [
        Button(f"rv:o:{item.id}", f"{n}. {item.number}", (item.number,), n) for n, item in shown
    ]
    rows = [*_pairs(buttons), *_paging(context, "rv:p", page, pages), filters_row]
    await _show(update, context, blocks, rows, numbered=False)


async def review_status_filters(update: Update, context: BotContext) -> None:
    buttons = [_button(context, label, f"rv:s:{key}") for key, (label, _) in STATUS_FILTERS.items()]
    rows = [*_pairs(buttons), [_button(context, N_("review.btn.back"), "rv:q")]]  # qa20: a way back
    await _show(update, context, [context.t("review.filter_status_ask")], rows)


async def review_unit_filters(update: Update, context: BotContext) -> None:
    units = await context.services.initiatives.units()
    _memory(context)["units"] = units
    known = context.services.units
    buttons = [
        Button(  # typed as its name, or a short form of one unit only («KH-TC», not «QLCN»)
            f"rv:u:{i}",
            unit,
            (unit, *(a for a in known.aliases.get(unit, ()) if known.match(a).unit == unit)),
        )
        for i, unit in enumerate(units)
    ]
    buttons.append(_button(context, N_("review.btn.all_units"), "rv:u:all"))
    buttons.append(_button(context, N_("review.btn.back"), "rv:q"))
    text = context.t(N_("review.filter_unit_ask") if units else N_("review.no_units"))
    await _show(update, context, [text], [[b] for b in buttons])


async def review_detail(update: Update, context: BotContext, initiative_id: int) -> None:
    services = context.services
    item = await services.initiatives.get(initiative_id)
    if item is None:
        await send(update, context, context.t("initiative.not_found"))
        return
    submitter = await services.users.get(item.submitter_id) if item.submitter_id else None
    none = context.t("review.none")
    head = context.t(
        "review.detail_head",
        number=item.number,
        title=item.title,
        status=status_label(context, item.status),
        submitter=submitter.display_name if submitter else none,
        unit=item.unit or none,
        date=_day(context, item.submitted_at),
    )
    blocks = [head]
    comment = _comment_block(context, item)
    if comment is not None:
        blocks.append(comment)
    admin = _user(context).is_admin
    blocks += _field_blocks(context, item, confidential=admin)
    blocks.append(_attachments_block(context, item))
    blocks.append(_history_block(context, await services.initiatives.history(item.id)))
    own = item.submitter_id == context.user_id  # decided by someone else: no decision buttons
    if own and REVIEW_MOVES.get(item.status):
        blocks.append(context.t("review.own"))
    rows = [
        [_button(context, MOVE_LABELS[to], f"rv:m:{item.id}:{to.value}")]
        for to in (() if own else REVIEW_MOVES.get(item.status, ()))
    ]
    if item.attachments:
        rows.append([_button(context, N_("review.btn.files"), f"rv:a:{item.id}")])
    rows.append([_button(context, N_("review.btn.docx"), f"ini:docx:{item.id}")])
    rows.append([_button(context, N_("review.btn.back"), "rv:q")])
    await _show(update, context, blocks, rows, numbered=False, keep_list=True)


async def review_files(update: Update, context: BotContext, initiative_id: int) -> None:
    item = await context.services.initiatives.get(initiative_id)
    if item is None:
        await send(update, context, context.t("initiative.not_found"))
        return
    chat = update.effective_chat
    assert chat is not None
    if not item.attachments:
        await send(update, context, context.t("review.files_none"))
        return
    for file in item.attachments:
        try:
            if file.kind == "photo":
                await context.bot.send_photo(chat.id, file.file_id, caption=escape(file.name))
            else:
                await context.bot.send_document(chat.id, file.file_id, caption=escape(file.name))
        except TelegramError as exc:
            log.info("could not send attachment %s of %s: %s", file.name, item.number, exc)
            await send(update, context, context.t("review.file_failed", name=file.name))


async def review_confirm(
    update: Update, context: BotContext, initiative_id: int, to: Status
) -> None:
    """A final decision without a comment («Công nhận»): asked once more, with the title, before
    it is applied and the author told (a slip of the thumb cannot be taken back). Refused at
    once if it is not possible any more (someone decided first, or it is their own)."""
    item = await context.services.initiatives.get(initiative_id)
    if item is None:
        await send(update, context, context.t("initiative.not_found"))
        return
    if item.submitter_id == context.user_id:
        await send(update, context, context.t("review.own"))
        return
    if to not in REVIEW_MOVES.get(item.status, ()):
        refused = InitiativeError("review.bad_move", status=item.status.value, to=to.value)
        await _refused(update, context, refused, item, to)
        return
    text = context.t(CONFIRM_PROMPTS[to], number=item.number, title=_short(item.title))
    confirm = _button(context, CONFIRM_LABELS[to], f"rv:c:{item.id}:{to.value}")
    # Right after the question: «có», «đồng ý», or the decision's name again («công nhận»).
    answers = (*YES_WORDS, *(fold(label) for label in context.labels(MOVE_LABELS[to])))
    rows = [
        [dataclasses.replace(confirm, answers=answers)],
        [_button(context, N_("review.btn.not_now"), f"rv:o:{item.id}")],
    ]
    await _show(update, context, [text], rows)


async def review_move(update: Update, context: BotContext, initiative_id: int, to: Status) -> None:
    """A move that needs no comment ("Bắt đầu xét"; "Công nhận" once confirmed), applied at
    once."""
    services = context.services
    item = await services.initiatives.get(initiative_id)
    if item is None:
        await send(update, context, context.t("initiative.not_found"))
        return
    try:
        notify: Notify[Moved] = services.broadcasts.notices(
            lambda moved: author_notices(services, moved), actor_id=context.user_id
        )
        moved = await services.initiatives.review(
            ref(update), _user(context), item.id, to, notify=notify
        )
    except InvalidInput as exc:
        await send(update, context, _input_error(context, exc))
        return
    except InitiativeError as exc:
        await _refused(update, context, exc, item, to)
        return
    await _decided(update, context, moved, notify.queued.chats)


def _input_error(context: BotContext, exc: InvalidInput) -> str:
    return context.t(INPUT_ERRORS.get(exc.code, N_("error.generic")), **exc.params)


async def _refused(
    update: Update, context: BotContext, exc: InitiativeError, item: Initiative, to: Status
) -> None:
    """The service refused the move: the initiative is gone, or its status changed since the
    button was shown (someone else decided first)."""
    if exc.code in ("review.denied", "review.own"):  # the role was revoked meanwhile; theirs
        await send(update, context, context.t(exc.code))
        return
    if exc.code != "review.bad_move":
        await send(update, context, context.t("initiative.not_found"))
        return
    current = Status(str(exc.params.get("status", item.status.value)))
    key = N_("review.already") if current is to else N_("review.bad_move")  # a second tap
    text = context.t(
        key,
        number=item.number,
        status=status_label(context, current),
        to=status_label(context, to),
    )
    rows = [[_button(context, N_("review.btn.open"), f"rv:o:{item.id}")]]
    await _show(update, context, [text], rows)


async def _decided(
    update: Update, context: BotContext, moved: Moved, queued: Sequence[int]
) -> None:
    """Say what was decided, and whether the author's notice is on its way (``queued``: the
    chats the decision's transaction wrote notices for)."""
    item = moved.initiative
    wake_outbox(context.application)
    on_its_way = item.submitter_id is not None and item.submitter_id in queued
    if item.submitter_id is None:  # they erased their data (/forget_me): nobody to tell
        told = N_("review.author_erased")
    else:
        told = N_("review.notice_queued") if on_its_way else N_("review.not_delivered")
    text = context.t("review.moved", number=item.number, status=status_label(context, item.status))
    text += "\n" + context.t(told)
    # The next decisions at hand (pressed or typed: «Công nhận» right after «Bắt đầu xét»).
    rows = [
        [_button(context, MOVE_LABELS[to], f"rv:m:{item.id}:{to.value}")]
        for to in REVIEW_MOVES.get(item.status, ())
    ]
    rows += [
        [_button(context, N_("review.btn.open"), f"rv:o:{item.id}")],
        [_button(context, N_("review.btn.back"), "rv:q")],
    ]
    await _show(update, context, [text], rows)


async def author_notices(services: Services, moved: Moved) -> list[Notice]:
    """The submitter's notice of a change of status, in their language (none when the
    initiative has no submitter any more, e.g. they erased their data). Framework-free: it
    runs inside the decision's transaction and only reads."""
    initiative, change = moved.initiative, moved.change
    key = NOTIFY.get(change.to_status)
    if initiative.submitter_id is None or key is None:
        return []
    author = await services.users.get(initiative.submitter_id)
    default = services.settings.default_language
    locale = author.locale(default) if author else default
    translate = services.translator
    status = translate(locale, STATUS_LABELS[change.to_status])
    comment = change.comment or ""
    text = translate(
        locale,
        key,
        number=initiative.number,
        title=initiative.title,
        status=status,
        comment=comment,
    )
    if comment and change.to_status not in COMMENT_REQUIRED:
        text += "\n" + translate(locale, N_("review.notify_comment"), comment=comment)
    return [(initiative.submitter_id, text)]


async def review_command(update: Update, context: BotContext) -> None:
    """``/review`` (the queue), ``/review SK-2025-0007`` or ``/review 7`` (one initiative)."""
    if not may_review(context):
        await send(update, context, context.t("review.denied"))
        return
    reference = clean(" ".join(context.args or []))
    if reference:
        found = await context.services.initiatives.find(reference)
        if found is None:
            await send(update, context, context.t("initiative.not_found"))
            return
        await review_detail(update, context, found.id)
        return
    _set_filter(context, "open", None)
    await review_queue(update, context)


# --- buttons and their typed forms ---------------------------------------------------------------

# ids of at most 18 digits: any fits SQLite's 64-bit integer (a forged longer one is stale)
_MY = re.compile(r"^my:(l|p:\d{1,9}|o:\d{1,18}|w:\d{1,18}|wy:\d{1,18}|wn:\d{1,18})$")
_RV = re.compile(
    r"^rv:(q|fs|fu|p:\d{1,9}|s:\w+|u:(?:\d{1,9}|all)|o:\d{1,18}|a:\d{1,18}|[mc]:\d{1,18}:\w+)$"
)


async def _run(update: Update, context: BotContext, data: str) -> None:
    """Do what the button ``data`` stands for (pressed, or typed)."""
    if data.startswith("rv:"):
        if not may_review(context):
            await send(update, context, context.t("review.denied"))
            return
        await _run_review(update, context, data)
    elif _MY.match(data):
        await _run_mine(update, context, data)
    elif re.match(rf"^{FORM_BUTTON}$", data):
        await _form_again(update, context, int(data.rsplit(":", 1)[1]))
    else:
        await send(update, context, context.t("button.stale"))


async def _form_again(update: Update, context: BotContext, initiative_id: int) -> None:
    """The typed form of "Tải đơn (.docx)" (the button itself is handled by
    :func:`handlers.initiative.form_button`, with the same rule)."""
    item = await context.services.initiatives.get(initiative_id)
    user = _user(context)
    own = item is not None and item.submitter_id == user.user_id
    if item is None or not (own or user.is_reviewer):
        await send(update, context, context.t("initiative.not_found"))
        return
    await form_handlers.send_form(update, context, item, include_confidential=own or user.is_admin)


async def _run_mine(update: Update, context: BotContext, data: str) -> None:
    action, _, arg = data.removeprefix("my:").partition(":")
    if action == "l":
        await my_list(update, context)
    elif action == "p":
        await my_list(update, context, int(arg))
    elif action == "o":
        await my_detail(update, context, int(arg))
    elif action == "w":
        await my_withdraw_ask(update, context, int(arg))
    elif action == "wy":
        await my_withdraw(update, context, int(arg))
    else:  # "wn"
        await my_keep(update, context, int(arg))


async def _run_review(update: Update, context: BotContext, data: str) -> None:
    if not _RV.match(data):
        await send(update, context, context.t("button.stale"))
        return
    action, _, arg = data.removeprefix("rv:").partition(":")
    if action == "q":
        await review_queue(update, context)
    elif action == "p":
        await review_queue(update, context, int(arg))
    elif action == "fs":
        await review_status_filters(update, context)
    elif action == "fu":
        await review_unit_filters(update, context)
    elif action == "s" and arg in STATUS_FILTERS:
        _set_filter(context, arg, _filter(context)[1])
        await review_queue(update, context)
    elif action == "u":
        units = _memory(context).get("units") or []
        if arg == "all":
            _set_filter(context, _filter(context)[0], None)
        elif int(arg) < len(units):
            _set_filter(context, _filter(context)[0], str(units[int(arg)]))
        else:
            await send(update, context, context.t("button.stale"))
            return
        await review_queue(update, context)
    elif action == "o":
        await review_detail(update, context, int(arg))
    elif action == "a":
        await review_files(update, context, int(arg))
    elif action in ("m", "c"):  # a move; "c": a final one confirmed
        ident, _, target = arg.partition(":")
        to = Status(target) if target in {s.value for s in Status} else None
        if to is None or to in COMMENT_REQUIRED:  # those go through the comment conversation
            await send(update, context, context.t("button.stale"))
            return
        if action == "m" and to in CONFIRM_PROMPTS:
            await review_confirm(update, context, int(ident), to)
        else:
            await review_move(update, context, int(ident), to)
    else:
        await send(update, context, context.t("button.stale"))


async def on_button(update: Update, context: BotContext) -> None:
    """Every ``my:`` and ``rv:`` button (``rv:`` ones refused to whoever may not review)."""
    query = update.callback_query
    assert query is not None
    data = query.data or ""
    if data.startswith("rv:") and not may_review(context):
        await acknowledge(update, context.t("review.denied"), alert=True)
        return
    # The attachments only arrive: the screen keeps its buttons (the decisions, the form).
    await acknowledge(update, keep=data.startswith("rv:a:"))
    await _run(update, context, data)


async def typed_number(update: Update, context: BotContext) -> None:
    """Group -7, before the main menu's typed numbers: right after one of these screens, a
    typed number picks its button ("2" is the second initiative of the list, not the menu's
    second item). Any other message ends that; labels keep working (see :func:`on_typed`)."""
    user = update.effective_user
    if user is None or update.effective_chat is None or update.message is None:
        return
    data = context.application.user_data.get(user.id)
    if not SCREEN.options(data):
        return
    in_flow = context.services.states.active(BotContext.key_of(update)) is not None
    answered = None if in_flow else SCREEN.answer(data, text_of(update))
    if answered is not None:  # "có" right after "Anh/chị có chắc muốn rút hồ sơ?"
        SCREEN.end(data)
        await _run(update, context, answered)
        raise ApplicationHandlerStop
    if not in_flow and await _picker_typed(update, context):
        raise ApplicationHandlerStop
    if not in_flow and await _confirm_typed(update, context):
        raise ApplicationHandlerStop
    if in_flow or number_in(text_of(update)) is None:
        SCREEN.end(data)
        return
    picked = _pick(context, text_of(update))
    if picked is not None and re.match(COMMENT_MOVE_PATTERN, picked):
        return  # "Yêu cầu bổ sung" by its number: the comment conversation takes it (group 0)
    # The screen stays live: a button that shows no new screen (the files, the form) leaves
    # its numbers valid, and "99" (out of range) is answered so that it can be corrected.
    await on_typed(update, context)
    raise ApplicationHandlerStop


def _picker(options: Sequence[Option]) -> str | None:
    """ "status" or "unit" when ``options`` are those of a filter's question, else ``None``."""
    choices = [o for o in options if o.data != "rv:q"]  # «« Danh sách đơn» under both
    for kind, prefix in (("status", "rv:s:"), ("unit", "rv:u:")):
        if choices and all(o.data.startswith(prefix) for o in choices):
            return kind
    return None


async def _picker_typed(update: Update, context: BotContext) -> bool:
    """Text right after a filter's question («Lọc theo đơn vị»): it answers that question.
    A unit of the department's list that has no initiative yet («thanh tra sở») filters by it
    (an empty list that says so); words that are none of the choices get the question again,
    rather than going to the rules Q&A (qa19). A command, a main menu item, «hủy», an
    initiative's number or a bare number go on as usual (True: handled here)."""
    kind = _picker(SCREEN.options(context.user_data))
    text = text_of(update)
    if kind is None or not may_review(context) or not text or text.startswith("/"):
        return False
    picked = _pick(context, text)
    if picked is not None:
        SCREEN.end(context.user_data)
        await _run(update, context, picked)
        return True
    if _goes_on(context, text):
        return False
    session = [
        Choice(data, (*context.labels(key), *words)) for data, (key, words) in SESSION_WORDS.items()
    ]
    if (
        len(SCREEN.starting_with(context.user_data, text)) > 1  # «phòng»: which one?
        or match_choice(text, session, fuzzy=False) is not None  # «lọc theo trạng thái»
        or starting_with(text, session)  # «lọc»
    ):
        await on_typed(update, context)
        return True
    SCREEN.end(context.user_data)
    unit = context.services.units.match(text).unit
    if unit is not None:  # a unit of the list, with no initiative yet; or at the status question
        _set_filter(context, _filter(context)[0], unit)
        await review_queue(update, context)
        return True
    status = _status_named(context, text)
    if status is not None:  # a status, at the unit question: that filter (qa20)
        _set_filter(context, status, _filter(context)[1])
        await review_queue(update, context)
        return True
    key = N_("review.filter_unit_unknown") if kind == "unit" else N_("review.filter_unknown")
    await send(update, context, context.t(key, text=shorten(clean(text), 80)))
    if kind == "unit":
        await review_unit_filters(update, context)
    else:
        await review_status_filters(update, context)
    return True


def _goes_on(context: BotContext, text: str) -> bool:
    """Text that a question of the review does not keep: «hủy», «menu», a main menu item, an
    initiative's number («SK-2026-0002», «0002»), a number (the screen's, or out of range)."""
    folded = fold(text)
    return (
        folded in CANCEL_WORDS
        or folded in MENU_WORDS
        or names_menu_item(context.services.translator, text) is not None
        or _reference(text) is not None
        or _sequence(text) is not None
        or number_in(text) is not None
    )


def _status_named(context: BotContext, text: str) -> str | None:
    """The status filter ``text`` names, whole or by an everyday word («đã duyệt»)."""
    choices = [
        Choice(key, context.labels(label), ALIASES.get(label, ()))
        for key, (label, _) in STATUS_FILTERS.items()
    ]
    return match_choice(text, choices, fuzzy=False)


async def _confirm_typed(update: Update, context: BotContext) -> bool:
    """Text right after «Công nhận sáng kiến …?»: a final decision is never guessed. A doubtful
    no («không, chưa»), the other decision («không công nhận») or words that are none of its
    buttons get the question again with a hint, rather than the rules Q&A (qa20). Its buttons
    (typed), a command, a main menu item, «hủy», an initiative's number go on as usual."""
    options = SCREEN.options(context.user_data)
    confirm = next((o for o in options if o.data.startswith("rv:c:")), None)
    text = text_of(update)
    if confirm is None or not may_review(context) or not text or text.startswith("/"):
        return False
    _, _, ident, target = confirm.data.split(":")
    choices = [Choice(o.data, o.labels, o.answers) for o in options]
    item = await context.services.initiatives.get(int(ident))
    if item is None:
        return False
    hint: str | None = None
    said = plain_answer(text)
    refuse = {fold(label) for label in context.labels(MOVE_LABELS[Status.NOT_RECOGNISED])}
    if said in refuse | set(ALIASES[MOVE_LABELS[Status.NOT_RECOGNISED]]):
        other = context.t(MOVE_LABELS[Status.NOT_RECOGNISED])
        back = context.t(N_("review.btn.not_now"))
        hint = context.t("review.decide_other", number=item.number, other=other, back=back)
    elif unclear_no(text, choices):
        hint = context.t("review.decide_unclear", text=shorten(clean(text), 80))
    elif (
        _goes_on(context, text)
        or SCREEN.pick(context.user_data, text) is not None
        or SCREEN.answer(context.user_data, text) is not None
    ):
        return False
    if hint is None:
        hint = context.t("error.choose_button")
    await send(update, context, hint)
    await review_confirm(update, context, item.id, Status(target))
    return True


async def on_typed(update: Update, context: BotContext) -> None:
    """Typed text that may be a button of the last screen (its number or label) or an
    initiative's number; anything else goes on to the rules Q&A."""
    text = text_of(update)
    data = _pick(context, text)
    if data is not None:
        await _run(update, context, data)
        return
    reference = _reference(text)
    if reference is not None:
        await _open_number(update, context, reference)
        return
    sequence = _sequence(text)
    if sequence is not None:  # «0007» of no listed initiative: the latest SK-…-0007
        found = await context.services.initiatives.by_sequence(sequence)
        if found is None:
            await send(update, context, context.t("initiative.not_found"))
        else:
            await _open_number(update, context, found.number)
        return
    several = SCREEN.starting_with(context.user_data, text, live_only=False)
    if (
        len(several) < 2
        and may_review(context)
        and SCREEN.options(context.user_data, live_only=False)
    ):
        # A review session is recent, its screen is not the last one: the queue's buttons.
        session = [
            Option(data, (*context.labels(key), *words), text=context.t(key))
            for data, (key, words) in SESSION_WORDS.items()
        ]
        choices = [Choice(o.data, o.labels) for o in session]
        picked = match_choice(text, choices, fuzzy=False)
        if picked is not None:
            await _run_review(update, context, picked)
            return
        values = starting_with(text, choices)
        several = [o for o in session if o.data in values]
    if len(several) > 1:  # «lọc»: «Lọc theo trạng thái» or «Lọc theo đơn vị»?
        # Those buttons again, numbered 1, 2...: «2» picks the second (Zalo, the terminal).
        labels = [option.text or option.labels[0] for option in several]
        rows = [
            [(f"{n}. {label}", o.data)]
            for n, (label, o) in enumerate(zip(labels, several, strict=True), start=1)
        ]
        await which_of(update, context, text, labels, keyboard(rows))
        assert context.user_data is not None
        SCREEN.remember(
            context.user_data,
            [Option(o.data, o.labels, None, o.answers, o.text) for o in several],
        )
        return
    shown = SCREEN.options(context.user_data, live_only=False)
    numbers = [o.number for o in shown if o.number]
    if number_in(text) is not None and numbers:
        typed_only = [o.text for o in shown if o.number == 0 and o.text]
        allowed = numbers_text(context, min(numbers), max(numbers))
        if typed_only:  # an application's screen: the numbers are the list's, its buttons not
            key, example = N_("review.pick_range_list"), typed_only[0]
        else:
            key, example = N_("review.pick_range"), ""
        await send(update, context, context.t(key, numbers=allowed, button=example))
        return
    if await _move_not_now(update, context, text):
        return
    await ask.free_text(update, context)


async def _move_not_now(update: Update, context: BotContext, text: str) -> bool:
    """A decision typed on an initiative's screen that does not offer it («không công nhận»
    on one just submitted): say which status it is in and what it needs first."""
    if not may_review(context) or not_an_answer(text):  # a bare «không» is no «Không công nhận»
        return False
    moves = [
        Choice(status.value, context.labels(key), ALIASES.get(key, ()))
        for status, key in MOVE_LABELS.items()
    ]
    wanted = match_choice(text, moves, fuzzy=False)
    shown = [
        o.data
        for o in SCREEN.options(context.user_data, live_only=False)
        if o.data.startswith("rv:m:")
    ]
    if wanted is None:
        return False
    if not shown:  # after a decision, or on the list: which initiative?
        if not SCREEN.options(context.user_data, live_only=False):
            return False  # no review session: the words are the person's question
        move = context.t(MOVE_LABELS[Status(wanted)])
        await send(update, context, context.t("review.open_first", move=move))
        return True
    item = await context.services.initiatives.get(int(shown[0].split(":")[2]))
    if item is None:
        return False
    offered = one_of_text(context, [context.t(MOVE_LABELS[Status(d.split(":")[3])]) for d in shown])
    await send(
        update,
        context,
        context.t(
            "review.move_not_now",
            move=context.t(MOVE_LABELS[Status(wanted)]),
            status=status_label(context, item.status),
            offered=offered,
        ),
    )
    return True


async def _open_number(update: Update, context: BotContext, reference: str) -> None:
    """A typed initiative number: the person's own one, or any one for a reviewer."""
    found = await context.services.initiatives.find(reference)
    if found is not None and found.submitter_id == context.user_id:
        await my_detail(update, context, found.id)
    elif found is not None and may_review(context):
        await review_detail(update, context, found.id)
    else:
        await send(update, context, context.t("initiative.number_not_found", number=reference))


def handlers(services: Services) -> list[BaseHandler[Update, BotContext, object]]:
    """Single-step handlers (commands and buttons), registered by ``bot.app``."""
    typed = TypedChoice(services.translator, TYPED_KEYS, services.units.choices(), numbers=True)
    return [
        CommandHandler("my_initiatives", my_command),
        # The main menu's item «Sáng kiến của tôi»: its button, its name or number typed.
        CallbackQueryHandler(my_menu_button, pattern=r"^menu:my_initiatives$"),
        MessageHandler(
            TEXT & filters.ChatType.PRIVATE & MenuChoice(services.translator, "my_initiatives"),
            my_command,
        ),
        CommandHandler("review", review_command),
        CallbackQueryHandler(on_button, pattern=r"^(my|rv):"),
        MessageHandler(TEXT & filters.ChatType.PRIVATE & typed, on_typed),
    ]


# --- the reviewer's comment (needs changes / not recognised): a persistent conversation ----------


def _pending(context: BotContext) -> tuple[int, Status] | None:
    pending = _memory(context).get("pending")
    if not isinstance(pending, dict):
        return None
    try:
        return int(pending["id"]), Status(pending["to"])
    except (KeyError, TypeError, ValueError):
        return None


async def begin_comment(update: Update, context: BotContext) -> str | int:
    """ "Yêu cầu bổ sung" / "Không công nhận" (the button, or its label typed): ask for the
    comment."""
    if update.callback_query is not None:
        if not may_review(context):
            await acknowledge(update, context.t("review.denied"), alert=True)
            return END
        data = update.callback_query.data or ""
    else:
        picked = _pick(context, text_of(update))
        if picked is None or not re.match(COMMENT_MOVE_PATTERN, picked):
            await on_typed(update, context)  # another choice of their screen, or just words
            return END
        if not may_review(context):
            await send(update, context, context.t("review.denied"))
            return END
        data = picked
    if not await may_enter(update, context):
        return END
    _, _, ident, target = data.split(":")
    to = Status(target)
    item = await context.services.initiatives.get(int(ident))
    if item is None:
        await send(update, context, context.t("initiative.not_found"))
        return END
    if item.submitter_id == context.user_id:
        await _refused(update, context, InitiativeError("review.own"), item, to)
        return END
    if to not in REVIEW_MOVES.get(item.status, ()):
        await _refused(
            update, context, InitiativeError("review.bad_move", status=item.status.value), item, to
        )
        return END
    _memory(context)["pending"] = {"id": item.id, "to": to.value}
    await context.services.flows.move(ref(update), FLOW, COMMENT)
    await prompt(update, context, COMMENT)
    return COMMENT


async def prompt(update: Update, context: BotContext, state: str) -> None:
    pending = _pending(context)
    item = await context.services.initiatives.get(pending[0]) if pending else None
    if pending is None or item is None:
        await send(update, context, context.t("review.pending_lost"))
        return
    reason = _memory(context)["pending"].get("reason")
    if state == CONFIRM and reason:
        text = context.t(
            "review.confirm_not_recognised",
            number=item.number,
            title=_short(item.title),
            reason=str(reason),
        )
        rows = [[(context.t(key), f"{DECIDE_PREFIX}{value}:{item.id}")] for value, key, _ in DECIDE]
        await send(update, context, text, keyboard(rows))
        return
    key = COMMENT_PROMPTS.get(pending[1], COMMENT_PROMPTS[Status.NEEDS_CHANGES])
    text = context.t(key, number=item.number, title=_short(item.title))
    previous = _memory(context)["pending"].get("previous")
    if previous:  # «Sửa lý do»: the reason given, to copy from
        text += "\n" + context.t("review.previous_reason", reason=str(previous))
    await send(update, context, text)


async def _leave(update: Update, context: BotContext) -> None:
    _memory(context).pop("pending", None)
    await context.services.flows.move(ref(update), FLOW, None)


async def on_comment(update: Update, context: BotContext) -> str | int | None:
    pending = _pending(context)
    services = context.services
    item = await services.initiatives.get(pending[0]) if pending else None
    if pending is None or item is None or not may_review(context):
        await _leave(update, context)
        key = N_("review.pending_lost") if may_review(context) else N_("review.denied")
        await send(update, context, context.t(key))
        return END
    to = pending[1]
    final = to in FINAL  # asked for a reason, not for what to change
    reference = _reference(text_of(update))
    if reference is not None:  # «SK 2026 0002»: another initiative, not a comment (qa19, qa20)
        key = N_("review.reason_is_number") if final else N_("review.comment_is_number")
        await send(update, context, context.t(key, typed=reference, number=item.number))
        return None
    button = _button_named(context, text_of(update))
    if button is not None:  # «công nhận» typed while asked why not: a change of mind, no reason
        key = N_("review.reason_is_button") if final else N_("review.comment_is_button")
        await send(update, context, context.t(key, label=button, number=item.number))
        return None
    if to in FINAL:  # «Không công nhận»: the reason is shown once more before it is final
        try:
            reason = checked_comment(to, text_of(update))
        except InvalidInput as exc:  # empty, too long, says nothing: the question stays
            await send(update, context, _input_error(context, exc))
            return None
        _memory(context)["pending"] = {"id": item.id, "to": to.value, "reason": reason}
        await services.flows.move(ref(update), FLOW, CONFIRM)
        await prompt(update, context, CONFIRM)
        return CONFIRM
    return await _apply(update, context, item, to, text_of(update))


async def _apply(
    update: Update, context: BotContext, item: Initiative, to: Status, comment: str
) -> str | int | None:
    """The decision with its comment, the author's notice queued in the same transaction."""
    services = context.services
    notify: Notify[Moved] = services.broadcasts.notices(
        lambda moved: author_notices(services, moved), actor_id=context.user_id
    )
    try:
        moved = await services.initiatives.review(
            ref(update),
            _user(context),
            item.id,
            to,
            comment,
            conversation=FLOW,
            state=None,
            notify=notify,
        )
    except InvalidInput as exc:  # empty, too long: the question stays
        await send(update, context, _input_error(context, exc))
        return None
    except InitiativeError as exc:  # decided by someone else meanwhile
        await _leave(update, context)
        await _refused(update, context, exc, item, to)
        return END
    _memory(context).pop("pending", None)
    await _decided(update, context, moved, notify.queued.chats)
    return END


# The final decision's last question: its buttons' values, labels and typed forms (folded).
DECIDE = (
    ("yes", N_("review.btn.confirm_not_recognised"), ("xac nhan", *YES_WORDS, "confirm")),
    ("edit", N_("review.btn.edit_reason"), ("sua", "sua ly do", "sua lai", "viet lai", "edit")),
    ("back", N_("review.btn.not_now"), ALIASES["review.btn.not_now"]),
)
DECIDE_PREFIX = "rvd:"
DECIDE_PATTERN = rf"^{DECIDE_PREFIX}(yes|edit|back):\d{{1,18}}$"  # value:initiative id


def _decide_choices(context: BotContext) -> list[Choice]:
    return [Choice(value, context.labels(key), words) for value, key, words in DECIDE]


async def on_decide(update: Update, context: BotContext) -> str | int | None:
    """«Xác nhận không công nhận» (the reason goes to the author), «Sửa lý do» (asked
    again), or «Chưa, quay lại đơn» (nothing changes; the initiative is shown again)."""
    pending = _pending(context)
    item = await context.services.initiatives.get(pending[0]) if pending else None
    reason = _memory(context).get("pending", {}).get("reason") if pending else None
    if pending is None or item is None or not reason or not may_review(context):
        await _leave(update, context)
        key = N_("review.pending_lost") if may_review(context) else N_("review.denied")
        await send(update, context, context.t(key))
        return END
    choices = _decide_choices(context)
    if update.message is not None:
        hint = _decide_hint(context, text_of(update), choices, item)
        if hint is not None:  # «không, công nhận», «công nhận», a new reason: asked again
            await send(update, context, hint)
            await prompt(update, context, CONFIRM)
            return None
    choice = await choice_of(update, context, choices, DECIDE_PREFIX, stamp=str(item.id))
    if choice is None:
        if update.message is not None:  # a word that is none of them: the question again
            await prompt(update, context, CONFIRM)
        return None
    if choice == "yes":
        return await _apply(update, context, item, pending[1], str(reason))
    if choice == "edit":
        _memory(context)["pending"] = {"id": item.id, "to": pending[1].value, "previous": reason}
        await context.services.flows.move(ref(update), FLOW, COMMENT)
        await prompt(update, context, COMMENT)
        return COMMENT
    await _leave(update, context)
    await review_detail(update, context, item.id)
    return END


# Words that say no: with others around them («không, công nhận», «khong cong nhan»), a final
# decision's question cannot tell what is meant.
NEGATIONS = frozenset({"khong", "ko", "k", "chua", "dung", "no", "not", "dont", "don t"})


def unclear_no(text: str, choices: Sequence[Choice]) -> bool:
    """``text`` says no and something else, and is none of ``choices`` whole: «không, công
    nhận» to «Không công nhận sáng kiến này?», where a near match would pick «⛔ Xác nhận
    không công nhận» (qa20). A bare «không» or a label typed whole is no doubt."""
    said = plain_answer(text)
    if not NEGATIONS & set(said.split()):
        return False
    whole = {fold(label) for c in choices for label in c.labels} | {
        alias for c in choices for alias in c.aliases
    }
    return said not in whole and fold(text) not in whole


def _decide_hint(
    context: BotContext, text: str, choices: Sequence[Choice], item: Initiative
) -> str | None:
    """What to say, instead of guessing, to a typed answer to «Không công nhận … ?» that is
    no clear pick: a doubtful no, the other decision («công nhận»: a change of mind), or a
    sentence (a new reason, which «Sửa lý do» takes)."""
    said = plain_answer(text)
    recognise = {fold(label) for label in context.labels(MOVE_LABELS[Status.RECOGNISED])}
    if said in recognise | set(ALIASES[MOVE_LABELS[Status.RECOGNISED]]):
        other = context.t(MOVE_LABELS[Status.RECOGNISED])
        back = context.t(N_("review.btn.not_now"))
        return context.t("review.decide_other", number=item.number, other=other, back=back)
    if unclear_no(text, choices):
        return context.t("review.decide_unclear", text=shorten(clean(text), 80))
    if len(said.split()) >= REASON_MIN_WORDS and pick(text, choices) is None:
        return context.t("review.decide_new_reason", button=context.t(N_("review.btn.edit_reason")))
    return None


# The buttons of an initiative's review screen: typed alone, they are no comment.
SCREEN_BUTTONS = (
    *MOVE_LABELS.values(),
    N_("review.btn.back"),
    N_("review.btn.docx"),
    N_("review.btn.files"),
    N_("review.btn.open"),
)


def _button_named(context: BotContext, text: str) -> str | None:
    """The label of the review screen's button that ``text`` is, whole (its label in any
    language or an alias, compared folded: «khong cong nhan»); no prefix, no near match."""
    typed = fold(text)
    for key in SCREEN_BUTTONS:
        names = {fold(label) for label in context.labels(key)} | set(ALIASES.get(key, ()))
        if typed in names:
            return context.t(key)
    return None


async def on_cancel(update: Update, context: BotContext) -> None:
    """``/cancel``: the reviewer is told that nothing was sent and the status is unchanged."""
    await _dropped(update, context)
    await _leave(update, context)


async def _dropped(update: Update, context: BotContext) -> None:
    """«Chưa chuyển đơn … sang trạng thái «…»: đơn vẫn ở trạng thái …» for a pending one."""
    pending = _pending(context)
    item = await context.services.initiatives.get(pending[0]) if pending else None
    if pending is None or item is None:
        return
    to = status_label(context, pending[1])
    status = status_label(context, item.status)
    await send(
        update,
        context,
        context.t("review.comment_dropped", number=item.number, to=to, status=status),
    )


async def command_inside(update: Update, context: BotContext) -> int:
    """A command while the comment is asked for (``/review``, ``/review SK-2026-0002``,
    ``/menu``): nothing is half-typed there, so the decision is dropped (the initiative keeps
    its status, which the reviewer is told) and the command runs, as it would outside. Never
    "go on with the comment": the next message would then be taken as one (qa19)."""
    await _dropped(update, context)
    _memory(context).pop("pending", None)
    await context.services.flows.move(ref(update), FLOW, None, record=False)
    await hand_over(update, context, FLOW)
    return END


def comment_move_pick(user_data: Mapping[int, dict[Any, Any]]) -> ScreenPick:
    """ "Yêu cầu bổ sung" or "Không công nhận", right after the screen that offered it."""
    return ScreenPick(user_data, SCREEN, COMMENT_MOVE_PATTERN)


def amend_pick(user_data: Mapping[int, dict[Any, Any]]) -> ScreenPick:
    """ "Sửa và nộp lại" typed (for :func:`handlers.initiative.build`), while the screen that
    offered it is recent."""
    return ScreenPick(user_data, SCREEN, r"^ini:amend:\d{1,18}$", live_only=False)


def build(
    services: Services, user_data: Mapping[int, dict[Any, Any]]
) -> ConversationHandler[BotContext]:
    """The comment conversation; ``user_data``: the application's (for typed numbers)."""
    guard = NotInFlow(services.states)
    typed = TypedChoice(services.translator, [MOVE_LABELS[s] for s in COMMENT_MOVES], numbers=False)
    picked = comment_move_pick(user_data)
    return ConversationHandler(
        name=FLOW,
        persistent=True,
        entry_points=[
            CallbackQueryHandler(begin_comment, pattern=COMMENT_MOVE_PATTERN),
            MessageHandler(
                TEXT & filters.ChatType.PRIVATE & guard & (typed | picked), begin_comment
            ),
        ],
        states={
            COMMENT: [MessageHandler(ANSWER_TEXT, on_comment)],
            CONFIRM: [
                CallbackQueryHandler(
                    on_decide, pattern=rf"^{DECIDE_PREFIX}(yes|edit|back):\d{{1,18}}$"
                ),
                MessageHandler(ANSWER_TEXT, on_decide),
            ],
        },
        fallbacks=flow_fallbacks(
            FLOW,
            prompt,
            on_cancel,
            help_key=N_("review.help_inside"),
            on_command=command_inside,
        ),
    )
