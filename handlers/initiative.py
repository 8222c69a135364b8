"""``/sangkien``: the initiative form, one question at a time, as a persistent conversation.

The steps come from the form definition (``bot/data/initiative_form.toml``); which question is
current is computed from the draft by :mod:`bot.domain.initiative`, so every state shares the
same handlers: a button, typed text (a typed number or label picks a button), a photo or a
document, ``/xong``. Each input is one call of :meth:`InitiativeService.step` (draft + state +
update id in one transaction) before the reply.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

from telegram import InputFile, Update
from telegram.error import TelegramError
from telegram.ext import (
    BaseHandler,
    CallbackQueryHandler,
    CommandHandler,
    ConversationHandler,
    MessageHandler,
    filters,
)

from bot.domain import initiative as engine
from bot.domain.choices import (
    Choice,
    match_choice,
    plain_answer,
    starting_with,
    typed_number,
    without_edit_verb,
)
from bot.domain.initiative import COMMIT, DISCARD, REVIEW, FormDefinition, Input, Option
from bot.domain.profile import InvalidInput
from bot.domain.text import clean, fold, shorten
from bot.i18n import N_, Safe, escape
from bot.services.broadcasts import Notice, Notify
from bot.services.container import Services
from bot.services.initiatives import FLOW, InitiativeError, Moved, Submitted
from bot.tg.broadcaster import wake_outbox
from bot.tg.context import BotContext
from bot.tg.screen import Option as ScreenOption
from bot.tg.screen import Screen
from bot.tg.ui import acknowledge, keyboard, send
from handlers.ask import side_question
from handlers.common import (
    ANSWER_TEXT,
    DONE_COMMANDS,
    END,
    TEXT,
    NotInFlow,
    ScreenPick,
    flow_fallbacks,
    may_enter,
    numbers_text,
    ref,
    text_of,
    user_dict,
    which_of,
)
from handlers.menu import MenuChoice, names_menu_item

log = logging.getLogger(__name__)

PREFIX = "sk:"
# Items of the review screen as people name them (folded), besides their labels: an author's
# details are changed through the list of authors.
EDIT_ALIASES = {
    "authors": (
        *("tac gia", "dong tac gia", "ho ten", "ten tac gia", "ngay sinh", "trinh do"),
        *("chuc vu", "chuc danh", "don vi", "noi cong tac", "author", "co-authors", "names"),
    ),
    "shares": ("ty le", "ty le dong gop", "phan tram", "shares", "percentages"),
    "title": ("ten", "ten sang kien", "name"),
    "first_applied": ("ngay", "ngay ap dung", "date", "first applied"),
    "appliers": ("nguoi ap dung", "nguoi tham gia ap dung", "appliers", "people who applied"),
    "description": ("mo ta", "noi dung", "description"),
}
# The submitter's items a profile gives, by the labels the export shows them with
PROFILE_ITEMS = {
    "full_name": N_("export.col.full_name"),
    "workplace": N_("export.col.workplace"),
    "position": N_("export.col.position"),
}
LABEL_MAX = 40  # characters of a data label (a campaign's name) on a button
VALUE_MAX = 220  # characters of an answer shown on the review screen
ENTRY_COMMANDS = ("sangkien", "initiative")
# What says the long answer goes on (no new question after it)
PART_NOTICES = frozenset(
    {
        "initiative.part_saved",
        "initiative.file_saved",
        "initiative.file_saved_no_text",
        "initiative.file_caption_saved",
        "initiative.long_rewrite",
    }
)
DISCARD_COMMANDS = ("xoanhap", "discard")
# "Xóa bản nháp" typed at any step of the form (folded).
DISCARD_WORDS = frozenset(
    {"xoa ban nhap", "huy ban nhap", "xoa nhap", "delete draft", "delete the draft"}
)


# --- rendering --------------------------------------------------------------------------------


def _date(value: object) -> str:
    if isinstance(value, str) and value:
        try:
            return date.fromisoformat(value).strftime("%d/%m/%Y")
        except ValueError:
            return value
    return ""


def option_label(context: BotContext, option: Option) -> str:
    if option.value.startswith("edit:"):
        return "✏️ " + context.t(f"initiative.field.{option.value[5:]}")
    if option.text is not None:
        return shorten(option.text, LABEL_MAX)
    assert option.key is not None
    return context.t(option.key, **option.params)


def option_choices(context: BotContext, opts: list[Option]) -> list[Choice]:
    """What may be typed instead of each button: its number, its label in any language."""
    choices = []
    for option in opts:
        if option.text is not None:
            labels: list[str] = [option.text]
        elif option.value.startswith("edit:"):
            labels = context.labels(f"initiative.field.{option.value[5:]}")
            labels += EDIT_ALIASES.get(option.value[5:], ())
        else:
            assert option.key is not None
            labels = [
                context.services.translator(locale, option.key, **option.params)
                for locale in ("vi", "en")
            ]
        choices.append(Choice(option.value, labels, option.aliases))
    return choices


def review_options(opts: list[Option]) -> list[Option]:
    """The review screen's options with the edits first, so that a typed number N edits the
    N-th item of the summary; "gửi" and the other actions are typed by name."""
    edits = [o for o in opts if o.value.startswith("edit:")]
    return edits + [o for o in opts if not o.value.startswith("edit:")]


def share(context: BotContext, value: float | None) -> str:
    """A contribution (%) as the person's language writes it: «60,5», "60.5"."""
    return engine.format_share(value, decimal_comma=context.locale == "vi")


def render_value(context: BotContext, form: FormDefinition, field_id: str, value: Any) -> Safe:
    """An answer as shown in the chat: HTML, with the user's text escaped once."""
    return Safe(_render_value(context, form, field_id, value))


def _render_value(context: BotContext, form: FormDefinition, field_id: str, value: Any) -> str:
    none = context.t("initiative.none")
    f = form.field(field_id)
    if f.kind == "persons":
        rows = []
        for i, person in enumerate(engine.people(value), start=1):
            bits = [person.full_name]
            if person.birth_date:
                bits.append(person.birth_date.strftime("%d/%m/%Y"))
            bits += [b for b in (person.workplace, person.position, person.qualification) if b]
            if person.task:
                bits.append(person.task)
            if person.share is not None:
                bits.append(f"{share(context, person.share)}%")
            rows.append(f"{i}) " + escape(" – ".join(bits)))
        return "\n".join(rows) or none
    if f.kind == "shares":
        return escape(" / ".join(f"{share(context, v)}%" for v in value or [])) or none
    if f.kind == "long":
        text = engine.long_text(value)
        files = value.get("files", []) if isinstance(value, dict) else []
        out = escape(shorten(text, VALUE_MAX)) if text else none
        if files:
            out += "\n" + context.t(
                "initiative.files_list", names=", ".join(str(x.get("name")) for x in files)
            )
        return out
    if value is None or value == "":
        return none
    if f.kind == "yesno":
        return context.t("initiative.btn.yes") if value else context.t("initiative.btn.no")
    if f.kind == "date":
        return _date(value)
    if field_id == "solution_type":
        return context.t(f"initiative.type.{value}")
    return escape(shorten(str(value), VALUE_MAX))


def summary(context: BotContext, form: FormDefinition, draft: dict[str, Any]) -> str:
    """The review screen: every editable item, numbered as the typed numbers pick them."""
    answers = draft.get("answers", {})
    lines = []
    edits = [o for o in engine.options(form, draft, REVIEW) if o.value.startswith("edit:")]
    for number, option in enumerate(edits, start=1):
        field_id = option.value[5:]
        label = context.t(f"initiative.field.{field_id}")
        value = render_value(context, form, field_id, answers.get(field_id))
        sep = "\n" if "\n" in value else " "
        lines.append(f"<b>{number}. {label}:</b>{sep}{value}")
    return "\n".join(lines)


def _person_header(context: BotContext, draft: dict[str, Any], list_id: str) -> str:
    count = len(draft.get("answers", {}).get(list_id) or [])
    person = engine.pending_person(draft, list_id) or {}
    old = engine.edited_person(draft, list_id)
    if old is not None:  # «✏️ Sửa người số N»
        n = int(person.get("index", 0)) + 1
        return context.t("initiative.person_header.editing", n=n, name=old.get("full_name", ""))
    name = (person.get("data") or {}).get("full_name")
    if list_id == "authors" and count == 0 and name:  # the submitter, named from the profile
        return context.t("initiative.person_header.you", name=name)
    return context.t(f"initiative.person_header.{list_id}", n=count + 1)


async def prompt(
    update: Update, context: BotContext, state: str, draft: dict[str, Any] | None = None
) -> None:
    """Ask the question of ``state`` with its buttons (``draft``: as just saved, else read)."""
    service = context.services.initiatives
    form = service.form
    if draft is None:
        draft = await service.draft(context.user_id)
    opts = engine.options(form, draft, state)
    if state == REVIEW:
        text = context.t("initiative.review_title") + "\n\n" + summary(context, form, draft)
        text += "\n\n" + context.t("initiative.review_hint")
        edits = [o for o in opts if o.value.startswith("edit:")]
        # Buttons in the order typed numbers pick them: ✏️ 1..N, then "Gửi đơn", "Xóa".
        rows = [
            [(f"✏️ {i + n + 1}", PREFIX + o.value) for n, o in enumerate(edits[i : i + 6])]
            for i in range(0, len(edits), 6)
        ]
        rows.append([(context.t("initiative.btn.submit"), PREFIX + "submit")])
        rows.append([(context.t("initiative.btn.discard"), PREFIX + "discard")])
        await send(update, context, text, keyboard(rows))
        return
    # «Mục 12/17»: the number the review screen gives this item («sửa mục 12» there)
    field_id = state.split(".", 1)[0]
    items = [o.value[5:] for o in engine.options(form, draft, REVIEW) if o.value[:5] == "edit:"]
    total = len(items)
    if "authors" not in draft.get("closed", ()) and form.has("shares") and "shares" not in items:
        total += 1  # the shares are asked unless the submitter is the only author
    step = (
        context.t("initiative.step_of", n=items.index(field_id) + 1, total=total) + "\n"
        if field_id in items
        else ""
    )
    if state == COMMIT:
        text = context.t("initiative.ask.commit", commitment=form.commitment)
    elif state == DISCARD:
        text = context.t("initiative.ask.discard")
    elif "." in state:
        list_id, sub = state.split(".", 1)
        if sub == "more":
            people = render_value(context, form, list_id, draft.get("answers", {}).get(list_id))
            text = context.t(f"initiative.ask.more.{list_id}", people=people)
            if any(o.value.startswith("ed:") for o in opts):
                text += "\n" + context.t("initiative.edit_hint")
            removable = [o for o in opts if o.value.startswith("rm:")]
            if removable:
                example = removable[-1].params["n"]
                text += "\n" + context.t("initiative.remove_hint", example=example)
        else:
            text = (
                _person_header(context, draft, list_id)
                + "\n"
                + context.t(f"initiative.ask.person.{sub}")
            )
            old = engine.edited_person(draft, list_id)
            if old is not None and old.get(sub):
                was = _date(old[sub]) if sub == "birth_date" else escape(str(old[sub]))
                text += "\n\n" + context.t("initiative.current", value=Safe(was))
        text = step + text
    else:
        text = step + context.t(f"initiative.ask.{state}")
        f = form.field(state)
        if f.kind == "choice" and any(o.text for o in opts):
            # The options that are data, in full (a button cuts them); «Giữ nguyên», last,
            # is a button only.
            text += "\n\n" + "\n".join(
                f"{i}. {escape(o.text)}" for i, o in enumerate(opts, start=1) if o.text
            )
        if f.kind == "shares":
            names = [p.full_name for p in engine.people(draft.get("answers", {}).get("authors"))]
            text += "\n" + "\n".join(f"{i}. {escape(n)}" for i, n in enumerate(names, start=1))
        value = draft.get("answers", {}).get(state)
        editing = draft.get("editing") == state
        if editing or (f.kind == "long" and value and value.get("parts")):
            # Changed from the review, or a long answer resumed: what is there now
            text += (
                "\n\n"
                + context.t("initiative.current", value="")
                + render_value(context, form, state, value)
            )
        if f.kind == "long" and editing:
            text += "\n\n" + context.t("initiative.long_edit_hint")
    rows = [[(option_label(context, o), PREFIX + o.value)] for o in opts if o.value[:3] != "rm:"]
    for o in opts:  # «❌ Xóa người số N» beside «✏️ Sửa người số N»
        if o.value.startswith("rm:"):
            row = next(r for r in rows if r[0][1] == PREFIX + "ed:" + o.value[3:])
            row.append((option_label(context, o), PREFIX + o.value))
    await send(update, context, text, keyboard(rows) if rows else None)


# --- input --------------------------------------------------------------------------------------


async def _apply(update: Update, context: BotContext, given: Input) -> str | int | None:
    service = context.services.initiatives
    try:
        result = await service.step(ref(update), context.user_id, given)
    except InvalidInput as exc:
        # «hạn nộp là khi nào?» typed where a date or a button is expected: answered, and the
        # step asked again (a free-text step takes it as its answer, shown on the review).
        state = await _state(context)
        asked = given.kind == "text" and await side_question(
            update, context, given.text, _question_of(context, state)
        )
        if exc.code == "date_day_first":  # «Có phải … 25/3/2025?»: «đúng» takes it
            user_dict(context, SUGGESTED).update(state=state, text=str(exc.params["example"]))
            # (read and dropped by the next message: on_text)
        if not asked:
            params = {
                k: share(context, v) if isinstance(v, float) else v for k, v in exc.params.items()
            }
            await send(update, context, context.t(f"error.{exc.code}", **params))
        if asked or exc.code in ("stale_choice", "choose_button", "date_not_here", "choice_none"):
            await prompt(update, context, state)
        return None
    if result.state is None:  # the draft was discarded (an amendment: says the record stays)
        amendment = result.notice == "initiative.discard_amendment"
        key = N_("initiative.discard_amendment") if amendment else N_("initiative.discarded")
        await send(update, context, context.t(key, **result.params))
        return END
    if result.notice:
        await send(update, context, context.t(result.notice, **result.params))
    if result.similar:
        items = "\n".join(
            context.t(
                _SIMILAR_MINE if earlier.mine else _SIMILAR_OTHER,
                number=earlier.number,
                title=shorten(earlier.title, 150),
            )
            for earlier in result.similar
        )
        await send(update, context, context.t("initiative.similar", items=Safe(items)))
    if result.notice in PART_NOTICES:
        return result.state  # the long answer goes on: no new question
    await prompt(update, context, result.state, result.draft)
    return result.state


_SIMILAR_MINE = N_("initiative.similar_mine")  # «SK-2025-0003: … (đơn của anh/chị)»
_SIMILAR_OTHER = N_("initiative.similar_item")

# user_data: the date the bot asked about («Có phải anh/chị muốn gõ 25/3/2025?») and at which
# step, for the next message only.
SUGGESTED = "sk_suggested"


def _question_of(context: BotContext, state: str) -> str:
    """The words of the question asked at ``state`` ("" for the screens without one)."""
    if state in (REVIEW, COMMIT, DISCARD) or state.endswith(".more"):
        return ""
    if "." in state:
        return context.t(f"initiative.ask.person.{state.split('.', 1)[1]}")
    return context.t(f"initiative.ask.{state}")


async def _state(context: BotContext) -> str:
    service = context.services.initiatives
    return engine.next_state(service.form, await service.draft(context.user_id))


async def on_button(update: Update, context: BotContext) -> str | int | None:
    query = update.callback_query
    assert query is not None
    await acknowledge(update)
    value = (query.data or "").removeprefix(PREFIX)
    if value == "commit":
        if await _state(context) != COMMIT:
            await send(update, context, context.t("error.stale_choice"))
            return None
        return await submit(update, context)
    return await _apply(update, context, Input("option", option=value))


async def on_text(update: Update, context: BotContext) -> str | int | None:
    service = context.services.initiatives
    form = service.form
    text = text_of(update)
    draft = await service.draft(context.user_id)
    state = engine.next_state(form, draft)
    opts = engine.options(form, draft, state)
    suggested = context.user_data.pop(SUGGESTED, None) if context.user_data is not None else None
    if (
        isinstance(suggested, dict)
        and suggested.get("state") == state
        and plain_answer(text) in engine.ASSENT
    ):
        text = str(suggested.get("text"))  # the date the bot asked about, confirmed
    if state not in (REVIEW, DISCARD) and fold(text) in DISCARD_WORDS:
        return await on_discard(update, context)
    if state == REVIEW:
        opts = review_options(opts)
        edits = [o for o in opts if o.value.startswith("edit:")]
        # «sửa tác giả», «sửa mục 4», "edit the title": the item named after the verb.
        named = without_edit_verb(text)
        number = typed_number(named if named is not None else text)
        if number is not None and number > len(edits):  # only the items have numbers shown
            numbers = numbers_text(context, 1, len(edits))
            await send(update, context, context.t("review.pick_range", numbers=numbers))
            return None
        if named is not None:
            choices = option_choices(context, edits)
            edit = match_choice(named, choices)
            if edit is not None:
                return await _apply(update, context, Input("option", option=edit))
            several = starting_with(named, choices)  # «sửa lợi ích»: items 15 and 16
            if len(several) > 1:
                # With their numbers: the review's buttons show only those («✏️ 15»).
                numbered = {o.value: n for n, o in enumerate(edits, start=1)}
                labels = [
                    f"{numbered[value]}. {context.t(f'initiative.field.{value[5:]}')}"
                    for value in several
                ]
                rows = [
                    [(f"✏️ {shorten(label, 60)}", PREFIX + value)]
                    for label, value in zip(labels, several, strict=True)
                ]  # those items' buttons here, as «bấm nút» says; their numbers still work
                await which_of(update, context, text, labels, keyboard(rows))
                return None
    elif state.endswith(".more") and typed_number(text) is not None:
        # A bare number is «Thêm» or «Xong», never a removal ("xóa 2", or its button) nor a
        # correction ("sửa 2", or its button).
        opts = [o for o in opts if o.value[:3] not in ("rm:", "ed:")]
    choices = option_choices(context, opts)
    picked = match_choice(text, choices) if opts else None
    if picked is None and form.has(state) and form.field(state).free:
        # «hội đồng»: the first words of several options of a list that also takes a typed
        # name: which one, rather than «Kính gửi: hội đồng» printed on the form.
        several = starting_with(text, choices)
        if len(several) > 1:
            numbered = {o.value: n for n, o in enumerate(opts, start=1)}
            pairs = [(f"{numbered[c.value]}. {c.labels[0]}", c.value) for c in choices]
            pairs = [(label, value) for label, value in pairs if value in several]
            labels = [label for label, _ in pairs]
            rows = [[(shorten(label, 60), PREFIX + value)] for label, value in pairs]
            await which_of(update, context, text, labels, keyboard(rows))
            return None
    if picked == "commit":
        return await submit(update, context)
    if picked is not None:
        await _say_picked(update, context, state, text, choices, picked)
        return await _apply(update, context, Input("option", option=picked))
    if _menu_name_at_choice(context, state, text):  # «hồ sơ của tôi» at «Kính gửi»
        await send(update, context, context.t("error.not_an_answer", text=clean(text)))
        return None
    return await _apply(update, context, Input("text", text=text))


async def _say_picked(
    update: Update,
    context: BotContext,
    state: str,
    text: str,
    choices: list[Choice],
    picked: str,
) -> None:
    """«Đã chọn: Hội đồng sáng kiến Sở …» when words typed at a list («hội đồng sở khcn»,
    «cchc») were read as one of its options: the person sees what the form will say (qa20).
    Not for its number or its label typed whole."""
    form = context.services.initiatives.form
    if not form.has(state) or form.field(state).kind != "choice" or typed_number(text) is not None:
        return
    label = next((c.labels[0] for c in choices if c.value == picked), None)
    if label is not None and fold(label) != fold(text):
        await send(update, context, context.t("initiative.choice_matched", value=label))


def _menu_name_at_choice(context: BotContext, state: str, text: str) -> bool:
    """The name of a main menu item typed where one of a list is asked («Kính gửi», the
    campaign), which also takes a typed name: a slip, never printed on the form (qa20). (Not
    at a text item: «Tiếng Anh» may well be a field of application.)"""
    form = context.services.initiatives.form
    if not form.has(state) or form.field(state).kind != "choice":
        return False
    return names_menu_item(context.services.translator, text) is not None


async def on_done(update: Update, context: BotContext) -> str | int | None:
    """``/xong``: finish the long answer (or the list of people) being entered; at a step
    with nothing to finish it says so (a command was typed: no "button" to speak of)."""
    service = context.services.initiatives
    draft = await service.draft(context.user_id)
    state = engine.next_state(service.form, draft)
    if not any(o.value == "done" for o in engine.options(service.form, draft, state)):
        await send(update, context, context.t("initiative.done_not_here"))
        await prompt(update, context, state, draft)
        return None
    return await _apply(update, context, Input("option", option="done"))


async def on_discard(update: Update, context: BotContext) -> str | int:
    """``/xoanhap`` (or "xóa bản nháp" typed), at any step or outside the form: ask to confirm
    discarding the draft; "Quay lại" returns to the step it was at."""
    try:
        state = await context.services.initiatives.ask_discard(ref(update), context.user_id)
    except InitiativeError as exc:
        await send(update, context, context.t(exc.code, **exc.params))
        return END
    await prompt(update, context, state)
    return state


async def on_skip(update: Update, context: BotContext) -> str | int | None:
    """``/boqua`` (``/skip``): what the «Bỏ qua» button of the current step does, if it has one."""
    service = context.services.initiatives
    draft = await service.draft(context.user_id)
    state = engine.next_state(service.form, draft)
    opts = engine.options(service.form, draft, state)
    # The step's «Bỏ qua»; on a list of people, its «Xong»: nobody more to add.
    more = state.endswith(".more")
    skip = next((o for o in opts if "skip" in o.aliases or (more and o.value == "done")), None)
    if skip is None:
        await send(update, context, context.t("initiative.cannot_skip"))
        await prompt(update, context, state, draft)
        return None
    return await _apply(update, context, Input("option", option=skip.value))


async def on_file(update: Update, context: BotContext) -> str | int | None:
    message = update.effective_message
    assert message is not None
    if message.photo:
        photo = message.photo[-1]  # the largest size
        attachment = engine.Attachment(
            file_id=photo.file_id,
            file_unique_id=photo.file_unique_id,
            name=f"IMG-{photo.file_unique_id[:8]}.jpg",  # as phones name photos
            mime="image/jpeg",
            size=photo.file_size or 0,
            kind="photo",
        )
    else:
        document = message.document
        assert document is not None
        attachment = engine.Attachment(
            file_id=document.file_id,
            file_unique_id=document.file_unique_id,
            name=shorten(document.file_name or "tep-dinh-kem", 120),
            mime=document.mime_type or "",
            size=document.file_size or 0,
            kind="document",
        )
    return await _apply(update, context, Input("file", text=message.caption or "", file=attachment))


async def on_other(update: Update, context: BotContext) -> None:
    """Neither text nor a photo or document: the step stays and says what it takes (the
    description takes photos and documents too)."""
    service = context.services.initiatives
    state = await _state(context)
    f = service.form.field(state) if service.form.has(state) else None
    files = f is not None and f.kind == "long" and f.files
    key = N_("error.expect_text_or_file") if files else N_("error.expect_text")
    await send(update, context, context.t(key))


async def submit(update: Update, context: BotContext) -> str | int | None:
    """The commitment accepted: create the initiative, send the receipt and the .docx."""
    services = context.services
    user = context.user
    assert user is not None
    notify: Notify[Submitted] = services.broadcasts.notices(
        lambda submitted: reviewer_notices(services, submitted), actor_id=user.user_id
    )
    try:
        result = await services.initiatives.submit(ref(update), user, notify=notify)
    except InvalidInput as exc:
        await send(update, context, context.t(f"error.{exc.code}", **exc.params))
        return None
    except InitiativeError as exc:
        await send(update, context, context.t(exc.code, **exc.params))
        return None
    item = result.initiative
    if notify.queued.chats:
        wake_outbox(context.application)
    key = N_("initiative.resubmitted") if result.resubmitted else N_("initiative.submitted")
    await send(update, context, context.t(key, number=item.number, title=item.title))
    await send_form(update, context, item)
    return END


async def reviewer_notices(services: Services, submitted: Submitted) -> list[Notice]:
    """The office's notice of a new (or corrected and resubmitted) application. Framework-free:
    it runs inside the submission's transaction and only reads."""
    key = (
        N_("initiative.office.resubmitted")
        if submitted.resubmitted
        else N_("initiative.office.new")
    )
    return await office_notices(services, submitted.initiative, key)


async def withdrawal_notices(services: Services, moved: Moved) -> list[Notice]:
    """The office's notice that an application in its queue was taken back by its author."""
    return await office_notices(services, moved.initiative, N_("initiative.office.withdrawn"))


async def office_notices(services: Services, item: engine.Initiative, key: str) -> list[Notice]:
    """``key`` (with the initiative's number, title, submitter's name and unit) to everyone
    who may review it except its submitter and those who turned it off in /settings, each in
    their language (with how to turn it off)."""
    submitter = await services.users.get(item.submitter_id) if item.submitter_id else None
    name = submitter.display_name if submitter else ""
    default = services.settings.default_language
    notices: list[Notice] = []
    for reviewer_id in await services.users.reviewer_ids():
        if reviewer_id == item.submitter_id:
            continue
        reviewer = await services.users.get(reviewer_id)
        if reviewer is not None and not reviewer.review_notices:  # off in /settings
            continue
        locale = reviewer.locale(default) if reviewer else default
        unit = item.unit or services.translator(locale, "profile.none")
        text = services.translator(
            locale, key, number=item.number, title=item.title, name=name, unit=unit
        )
        hint = services.translator(locale, "initiative.office.settings_hint")
        notices.append((reviewer_id, f"{text}\n{hint}"))
    return notices


async def form_button(update: Update, context: BotContext) -> None:
    """The "Tải đơn (.docx)" button of an initiative: its submitter or a reviewer gets the
    filled form again (confidential information only for the submitter and admins). The
    screen it is on keeps its other buttons."""
    await acknowledge(update, keep=True)
    assert update.callback_query is not None
    initiative_id = int((update.callback_query.data or "").rsplit(":", 1)[1])
    item = await context.services.initiatives.get(initiative_id)
    user = context.user
    own = item is not None and user is not None and item.submitter_id == user.user_id
    if item is None or user is None or not (own or user.is_reviewer):
        await send(update, context, context.t("initiative.not_found"))
        return
    await send_form(update, context, item, include_confidential=own or user.is_admin)


async def send_form(
    update: Update,
    context: BotContext,
    item: engine.Initiative,
    *,
    include_confidential: bool = True,
) -> None:
    """The filled application, ready to print and sign. Rendered by a helper process (about
    12 ms of CPU): the bot goes on serving the others meanwhile (callers send their text reply
    first: it does not wait for the document)."""
    chat = update.effective_chat
    assert chat is not None
    services = context.services
    today = datetime.now(services.settings.tz).date()
    data = await services.documents.initiative_form(
        item, today=today, include_confidential=include_confidential
    )
    try:
        await context.bot.send_document(
            chat.id,
            InputFile(data, filename=f"{item.number}.docx"),
            caption=context.t("initiative.form_caption", number=item.number),
        )
    except TelegramError as exc:  # the record exists; the person can ask for the form again
        log.warning("could not send the form of %s: %s", item.number, exc)
        await send(update, context, context.t("initiative.form_failed"))


# --- entry points -------------------------------------------------------------------------------


# The choice offered by ``/sangkien`` to a person without a draft whose initiatives were
# returned for changes: «Sửa và nộp lại SK-…» (``ini:amend:<id>``) or «Làm đơn mới»
# (``ini:new``); typed, by number or label, while it is the person's last screen.
OPEN_SCREEN = Screen("initiative_open", ttl=30 * 60)
RETURNED_SHOWN = 5  # initiatives offered to amend (more: /my_initiatives lists them all)
NEW_ALIASES = ("don moi", "lam don moi", "moi", "tao don moi", "new", "new one", "new form")
AMEND_ALIASES = ("sua", "sua don", "sua va nop lai", "nop lai", "amend", "resubmit")


def open_pick(user_data: Mapping[int, dict[Any, Any]]) -> ScreenPick:
    """A choice of that screen typed (its number or label), for :func:`build`."""
    return ScreenPick(user_data, OPEN_SCREEN, r"^ini:(amend:\d{1,18}|new)$", once=True)


async def _offer_returned(
    update: Update, context: BotContext, returned: list[engine.Initiative]
) -> None:
    """Amend a returned initiative, or start a new one: the person says which."""
    shown = returned[:RETURNED_SHOWN]
    items = "\n".join(
        context.t("initiative.returned_item", number=item.number, title=shorten(item.title, 120))
        for item in shown
    )
    key = N_("initiative.returned_one") if len(shown) == 1 else N_("initiative.returned_many")
    text = context.t(key, items=Safe(items))
    if len(returned) > len(shown):
        text += "\n" + context.t("initiative.returned_more")
    amend_words = AMEND_ALIASES if len(shown) == 1 else ()  # «sửa»: which one, else?
    buttons = [
        (
            context.t("initiative.btn.amend_number", number=item.number),
            f"ini:amend:{item.id}",
            (*context.labels("my.btn.amend"), item.number, *amend_words),
        )
        for item in shown
    ]
    new_labels = (*context.labels("initiative.btn.new_form"), *NEW_ALIASES)
    buttons.append((context.t("initiative.btn.new_form"), "ini:new", new_labels))
    assert context.user_data is not None
    OPEN_SCREEN.remember(
        context.user_data, [ScreenOption(data, labels) for _, data, labels in buttons]
    )
    await send(update, context, text, keyboard([[(label, data)] for label, data, _ in buttons]))


async def open_form(update: Update, context: BotContext, *, fresh: bool = False) -> str | int:
    """``/sangkien``, the menu item or its typed label: start the form or resume the draft."""
    if not await may_enter(update, context):
        return END
    user = context.user
    if user is None or not user.registered:
        await send(update, context, context.t("initiative.register_first"))
        return END
    opened = await context.services.initiatives.open(ref(update), user, fresh=fresh)
    if opened.returned:
        await _offer_returned(update, context, opened.returned)
        return END
    if opened.amending:
        await send(update, context, context.t("initiative.amending", number=opened.amending))
    elif opened.resumed:
        await send(update, context, context.t("initiative.resumed"))
    else:
        await send(update, context, context.t("initiative.intro"))
    if opened.refreshed:  # /profile changed since: the submitter's items follow it
        items = "; ".join(
            f"{context.t(PROFILE_ITEMS[key])}: {escape(value)}"
            for key, value in opened.refreshed.items()
        )
        await send(update, context, context.t("initiative.profile_applied", items=Safe(items)))
    await prompt(update, context, opened.state)
    return opened.state


async def open_new(update: Update, context: BotContext) -> str | int:
    """«Làm đơn mới» pressed rather than amending a returned initiative."""
    return await open_form(update, context, fresh=True)


async def amend(update: Update, context: BotContext) -> str | int:
    """The "Sửa và nộp lại" button of an initiative returned for changes (pressed, or typed:
    the filter of :func:`build` put its data in ``context.picked``)."""
    if not await may_enter(update, context):
        return END
    user = context.user
    assert user is not None
    query = update.callback_query
    data = (query.data or "") if query is not None else (context.picked or [""])[0]
    initiative_id = int(data.rsplit(":", 1)[1])
    try:
        opened = await context.services.initiatives.amend(ref(update), user, initiative_id)
    except InitiativeError as exc:
        await send(update, context, context.t(exc.code, **exc.params))
        return END
    await send(update, context, context.t("initiative.amending", number=opened.amending))
    await prompt(update, context, opened.state)
    return opened.state


async def _typed_open_choice(update: Update, context: BotContext) -> str | int:
    if (context.picked or [""])[0] == "ini:new":
        return await open_form(update, context, fresh=True)
    return await amend(update, context)


async def on_cancel(update: Update, context: BotContext) -> None:
    """``/cancel`` pauses: the draft stays for ``/sangkien``."""
    await context.services.initiatives.pause(ref(update))


async def remind_drafts(context: BotContext) -> None:
    """A job: people whose draft has waited for days get one reminder."""
    services = context.services
    for user_id in await services.initiatives.drafts_to_remind():
        user = await services.users.get(user_id)
        locale = user.locale(services.settings.default_language) if user else "vi"
        try:
            await context.bot.send_message(
                user_id, services.translator(locale, "initiative.draft_reminder")
            )
        except TelegramError as exc:
            log.info("draft reminder to %s failed: %s", user_id, exc)


def build(
    services: Services,
    user_data: Mapping[int, dict[Any, Any]],
    typed_amend: filters.BaseFilter | None = None,
) -> ConversationHandler[BotContext]:
    """``user_data``: the application's (for the typed choices of the screen offering to
    amend a returned initiative); ``typed_amend``: text that picks "Sửa và nộp lại" on the
    person's last screen (the screens are :mod:`handlers.review`'s, which imports this
    module)."""
    guard = NotInFlow(services.states)
    private = TEXT & filters.ChatType.PRIVATE & guard
    picked = open_pick(user_data)
    amend_entries: list[BaseHandler[Update, BotContext, object]] = [
        CallbackQueryHandler(amend, pattern=r"^ini:amend:\d{1,18}$"),
        CallbackQueryHandler(open_new, pattern=r"^ini:new$"),
        MessageHandler(private & picked, _typed_open_choice),
    ]
    if typed_amend is not None:
        amend_entries.append(MessageHandler(private & typed_amend, amend))
    steps: list[BaseHandler[Update, BotContext, object]] = [
        CallbackQueryHandler(on_button, pattern=rf"^{PREFIX}"),
        CommandHandler(list(DONE_COMMANDS), on_done),
        CommandHandler(["boqua", "skip"], on_skip),
        CommandHandler(list(DISCARD_COMMANDS), on_discard),
        MessageHandler(ANSWER_TEXT, on_text),
        MessageHandler(filters.PHOTO | filters.Document.ALL, on_file),
        # A sticker, a voice note, a location...: what this step takes instead.
        MessageHandler(~filters.TEXT & ~filters.COMMAND & ~filters.StatusUpdate.ALL, on_other),
    ]
    return ConversationHandler(
        name=FLOW,
        persistent=True,
        entry_points=[
            CommandHandler(list(ENTRY_COMMANDS), open_form, filters=guard),
            CommandHandler(list(DISCARD_COMMANDS), on_discard, filters=guard),
            CallbackQueryHandler(open_form, pattern=r"^menu:initiative$"),
            MessageHandler(TEXT & guard & MenuChoice(services.translator, "initiative"), open_form),
            *amend_entries,
        ],
        states={state: steps for state in services.initiatives.form.states()},
        fallbacks=flow_fallbacks(
            FLOW,
            prompt,
            on_cancel,
            resume_commands=ENTRY_COMMANDS,
            cancelled_key=N_("initiative.paused"),
            help_key=N_("initiative.help_inside"),
        ),
    )
