"""``/start`` (with deep-link payloads), onboarding and ``/profile``: one persistent conversation.

States are the steps of :mod:`bot.services.profile`; every answer is saved (draft + state +
update id, one transaction) before the bot replies.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Coroutine
from typing import Any

from telegram import Update
from telegram.ext import (
    CallbackQueryHandler,
    CommandHandler,
    ConversationHandler,
    MessageHandler,
)

from bot.domain import profile as rules
from bot.domain.choices import Choice, typed_number
from bot.domain.text import clean, fold
from bot.i18n import N_
from bot.services import profile as flow
from bot.services.container import Services
from bot.tg.context import BotContext
from bot.tg.ui import acknowledge, keyboard, send
from handlers import forget
from handlers.ask import leaves_screen, outside, side_question
from handlers.common import (
    ANSWER_TEXT,
    END,
    TEXT,
    NotInFlow,
    choice_of,
    end_unit_question,
    flow_fallbacks,
    hand_over,
    may_enter,
    other_command,
    pick,
    ref,
    text_of,
    typed_unit,
)
from handlers.menu import MenuChoice, names_menu_item, show_help, show_menu

PAYLOAD = re.compile(r"^[A-Za-z0-9_-]{1,64}$")  # what Telegram allows in a deep link
KNOWN_PAYLOADS = frozenset({"profile", "help", "menu"})
FIELD_LABELS = {
    "full_name": N_("profile.edit_full_name"),
    "unit": N_("profile.edit_unit"),
    "position": N_("profile.edit_position"),
    "phone": N_("profile.edit_phone"),
}
# Typed forms of the last button besides its labels: "ok" closes the profile screen, or
# confirms the onboarding summary.
LAST_ACTION_ALIASES = {
    "ok": (
        *("ok", "oke", "okay", "dung", "dung roi", "chinh xac", "dong y", "co", "vang", "da"),
        *("xong", "luu", "luu lai", "hoan tat", "correct", "confirm", "yes", "done", "save"),
    ),
    "done": (
        *("ok", "oke", "okay", "xong roi", "dong", "thoat", "huy", "thoi", "close"),
        *("finish", "finished", "exit"),
    ),
}
# The fields as people name them («đơn vị», «sđt»; «sửa tên», "change my unit": the words
# after the verb, see handlers.common.pick).
FIELD_ALIASES = {
    "full_name": ("ten", "ho ten", "ho va ten", "name", "full name"),
    "unit": ("don vi", "don vi cong tac", "co quan", "noi cong tac", "unit", "organisation"),
    "position": ("chuc vu", "chuc danh", "position", "job title"),
    "phone": ("sdt", "so dien thoai", "dien thoai", "phone", "phone number", "sua so", "doi so"),
}
FORGET = "forget"  # /forget_me from the profile screen: its confirmation, inside this flow
CONFIRM_ACTION = ("ok", N_("profile.confirm"))  # the last button of the confirmation screen
DONE_ACTION = ("done", N_("profile.done"))  # the last button of the profile screen
FIELD_PARSERS = {
    "full_name": rules.parse_full_name,
    "unit": rules.parse_unit,
    "position": rules.parse_position,
    "phone": rules.parse_phone,
}


# --- prompts ---------------------------------------------------------------------------------


def _field_choices(context: BotContext, last: tuple[str, str]) -> list[Choice]:
    """[Confirm|Done] first, then one choice per field, as the buttons are laid out."""
    value, key = last
    choices = [Choice(value, context.labels(key), LAST_ACTION_ALIASES[value])]
    choices += [
        Choice(f"edit:{name}", context.labels(key), FIELD_ALIASES[name])
        for name, key in FIELD_LABELS.items()
    ]
    return choices


def _field_rows(context: BotContext, last: tuple[str, str]) -> list[list[tuple[str, str]]]:
    value, key = last
    rows = [[(context.t(key), f"pf:{value}")]]
    rows += [[(context.t(label), f"pf:edit:{name}")] for name, label in FIELD_LABELS.items()]
    return rows


def _summary(context: BotContext, values: dict[str, str | None]) -> str:
    none = context.t("profile.none")
    return context.t(
        "profile.summary",
        full_name=values.get("full_name") or none,
        unit=values.get("unit") or none,
        position=values.get("position") or none,
        phone=values.get("phone") or none,
    )


async def prompt(update: Update, context: BotContext, state: str) -> None:
    services = context.services
    if state == flow.CONSENT:
        rows = [
            [(context.t("onboarding.consent_yes"), "pf:yes")],
            [(context.t("onboarding.consent_no"), "pf:no")],
        ]
        await send(update, context, context.t("onboarding.consent"), keyboard(rows))
    elif state == "full_name":
        await send(update, context, context.t("onboarding.ask_full_name"))
    elif state == "unit":
        rows = [[(unit, f"pf:unit:{i}")] for i, unit in enumerate(services.units)]
        await send(update, context, context.t("onboarding.ask_unit"), keyboard(rows))
    elif state == "position":
        await send(update, context, context.t("onboarding.ask_position"))
    elif state == "phone":
        current = await _current_phone(context)
        if current:  # editing a number: keep it (as "Bỏ qua" would mean) or remove it
            rows = [
                [(context.t("onboarding.keep"), "pf:keep")],
                [(context.t("onboarding.remove_phone"), "pf:skip")],
            ]
            text = context.t("onboarding.ask_phone_edit", phone=current)
            await send(update, context, text, keyboard(rows))
            return
        rows = [[(context.t("onboarding.skip"), "pf:skip")]]
        await send(update, context, context.t("onboarding.ask_phone"), keyboard(rows))
    elif state == flow.CONFIRM:
        draft = await services.profile.draft(context.user_id)
        text = context.t("onboarding.confirm") + "\n\n" + _summary(context, draft)
        await send(update, context, text, keyboard(_field_rows(context, CONFIRM_ACTION)))
    elif state == FORGET:
        await forget.prompt(update, context, state)
    elif state == flow.EDIT:
        user = await services.users.require(context.user_id)
        text = context.t("profile.title") + "\n\n" + _summary(context, user.profile.model_dump())
        text += "\n\n" + context.t("profile.edit_hint")
        await send(update, context, text, keyboard(_field_rows(context, DONE_ACTION)))


def _question_of(context: BotContext, field: str) -> str:
    """The words of the question that asks ``field`` (a question typed there about it is
    pointed to them rather than answered from the documents)."""
    return context.t(f"onboarding.ask_{field}")


async def _not_read(
    update: Update, context: BotContext, field: str, text: str, exc: rules.InvalidInput
) -> None:
    """``text`` is no answer for ``field``: a question is answered and the step asked again
    («hội nghị ở đâu?»); anything else gets what is wrong with it."""
    if await side_question(update, context, text, _question_of(context, field)):
        await prompt(update, context, field)
    else:
        await send(update, context, context.t(f"error.{exc.code}", **exc.params))


async def _go(update: Update, context: BotContext, state: str | None) -> str | int:
    if state is None:
        return END
    await prompt(update, context, state)
    return state


# --- entry points ------------------------------------------------------------------------------


async def start(update: Update, context: BotContext) -> str | int:
    """``/start`` and ``/start <payload>`` (deep links)."""
    payload = context.args[0] if context.args else ""
    registered = context.user is not None and context.user.registered
    if payload == "profile":
        return await open_profile(update, context)
    if payload == "help":
        await show_help(update, context)
        return END
    if payload and (payload not in KNOWN_PAYLOADS or not PAYLOAD.match(payload)):
        await send(update, context, context.t("link.invalid"))
    if registered:
        assert context.user is not None
        await send(update, context, context.t("start.welcome_back", name=context.user.display_name))
        await show_menu(update, context)
        return END
    await send(update, context, context.t("start.welcome"))
    return await _go(
        update,
        context,
        await context.services.profile.begin(ref(update), context.user_id, "onboarding"),
    )


async def open_profile(update: Update, context: BotContext) -> str | int:
    """``/profile``, the menu item, or a typed "hồ sơ": the profile screen, or onboarding."""
    if not await may_enter(update, context):
        return END
    registered = context.user is not None and context.user.registered
    mode: flow.Mode = "edit" if registered else "onboarding"
    return await _go(
        update, context, await context.services.profile.begin(ref(update), context.user_id, mode)
    )


# --- steps -------------------------------------------------------------------------------------


async def on_consent(update: Update, context: BotContext) -> str | int | None:
    choices = [
        Choice(
            "yes",
            context.labels("onboarding.consent_yes"),
            aliases=("dong y", "co", "yes", "ok", "agree", "i agree"),
        ),
        Choice(
            "no",
            context.labels("onboarding.consent_no"),
            aliases=("khong", "khong dong y", "no", "disagree", "i dont agree", "i do not agree"),
        ),
    ]
    choice = await choice_of(update, context, choices, "pf:")
    if choice is None:
        return None
    state = await context.services.profile.consent(ref(update), context.user_id, choice == "yes")
    if state is None:
        await send(update, context, context.t("onboarding.declined"))
        return END
    return await _go(update, context, state)


async def _answer(update: Update, context: BotContext, field: str, value: str | None) -> str | int:
    state = await context.services.profile.answer(ref(update), context.user_id, field, value)
    return await _go(update, context, state)


StepCallback = Callable[[Update, BotContext], Coroutine[Any, Any, str | int | None]]


def _text_step(field: str) -> StepCallback:
    """The handler of a step that takes free text, validated by the field's parser."""
    parse = FIELD_PARSERS[field]

    async def on_text(update: Update, context: BotContext) -> str | int | None:
        text = text_of(update)
        try:
            value = parse(text)
        except rules.InvalidInput as exc:
            await _not_read(update, context, field, text, exc)
            return None
        return await _answer(update, context, field, value)

    on_text.__name__ = f"on_{field}"
    return on_text


async def on_unit(update: Update, context: BotContext) -> str | int | None:
    units = context.services.units
    if update.callback_query is not None:
        await acknowledge(update)
        end_unit_question(context)
        index = int((update.callback_query.data or "").rsplit(":", 1)[1])
        if not 0 <= index < len(units):
            await send(update, context, context.t("button.stale"))
            return None
        return await _answer(update, context, "unit", units[index])
    text = text_of(update)
    if await side_question(update, context, text, _question_of(context, "unit")):
        await prompt(update, context, "unit")
        return None
    found = await typed_unit(update, context, text, "pf:unit:")
    if found.unit is not None:
        if typed_number(text) is None and fold(found.unit) != fold(text):  # «vp», «P.QLKH»
            await send(update, context, context.t("onboarding.unit_matched", unit=found.unit))
        return await _answer(update, context, "unit", found.unit)
    if found.several:  # "văn phòng": asked which one
        return None
    if typed_number(text) is not None:
        await send(update, context, context.t("error.choice_range", count=len(units)))
        return None
    if names_menu_item(context.services.translator, text) is not None or _names_button(
        context, text
    ):  # «hồ sơ của tôi», «Sửa chức vụ»: a slip, never a unit printed on forms (qa20)
        await send(update, context, context.t("error.not_an_answer", text=clean(text)))
        return None
    try:
        value = rules.parse_unit(text)
    except rules.InvalidInput as exc:
        await send(update, context, context.t(f"error.{exc.code}", **exc.params))
        return None
    # None of the list: said, so that a slip («phòng ql cn») is seen before it is used (qa19);
    # where it can be corrected: the profile's button when it is being edited (qa20).
    editing = await _editing(context)
    key = N_("profile.unit_typed") if editing else N_("onboarding.unit_typed")
    await send(update, context, context.t(key, unit=value, button=context.t(FIELD_LABELS["unit"])))
    return await _answer(update, context, "unit", value)


def _names_button(context: BotContext, text: str) -> bool:
    """``text`` is, whole, the label of one of the profile's buttons («Sửa chức vụ»)."""
    typed = fold(text)
    return any(typed == fold(x) for key in FIELD_LABELS.values() for x in context.labels(key))


async def _editing(context: BotContext) -> bool:
    """The profile is being edited (not filled in for the first time)."""
    return (await context.services.profile.draft(context.user_id)).get("mode") == "edit"


async def _current_phone(context: BotContext) -> str | None:
    """The number on the profile while the profile is being edited (``None`` in onboarding)."""
    services = context.services
    if (await services.profile.draft(context.user_id)).get("mode") != "edit":
        return None
    user = await services.users.get(context.user_id)
    return user.profile.phone if user is not None else None


async def on_phone(update: Update, context: BotContext) -> str | int | None:
    """A number, or the buttons: "Bỏ qua" (onboarding); "Giữ nguyên" / "Xóa số điện thoại"
    when editing a number (there "bỏ qua" keeps it: nothing typed is lost by a skip)."""
    current = await _current_phone(context)
    if update.callback_query is not None:
        await acknowledge(update)
        keep = update.callback_query.data == "pf:keep" and current
        return await _answer(update, context, "phone", current if keep else None)
    text = text_of(update)
    if current:
        choices = [
            Choice("keep", context.labels("onboarding.keep"), KEEP_PHONE_WORDS),
            Choice("remove", context.labels("onboarding.remove_phone"), REMOVE_PHONE_WORDS),
        ]
    else:
        choices = [Choice("remove", context.labels("onboarding.skip"), SKIP_PHONE_WORDS)]
    picked = pick(text, choices)  # also the buttons' numbers
    if picked is not None:
        return await _answer(update, context, "phone", current if picked == "keep" else None)
    try:
        value = rules.parse_phone(text)
    except rules.InvalidInput as exc:
        await _not_read(update, context, "phone", text, exc)
        return None
    return await _answer(update, context, "phone", value)


SKIP_PHONE_WORDS = ("bo qua", "khong co", "khong", "skip", "no", "-")
KEEP_PHONE_WORDS = ("giu nguyen", "giu", "khong doi", "bo qua", "skip", "keep", "-")
REMOVE_PHONE_WORDS = ("xoa", "xoa so", "xoa sdt", "remove", "delete", "khong co")


async def _field_menu(
    update: Update, context: BotContext, last: tuple[str, str]
) -> str | int | None:
    """The confirmation (onboarding) or profile (edit) screen: a button or its typed form.
    A question typed there is answered: on the profile screen, where every change is already
    saved, the screen closes (as after «Xong») and the text goes where it would outside."""
    choices = _field_choices(context, last)
    text = text_of(update) if update.message is not None else ""
    if text and pick(text, choices) is None:
        if last == DONE_ACTION and leaves_screen(text):
            await context.services.profile.finish(ref(update), context.user_id)
            await outside(update, context)
            return END
        item = names_menu_item(context.services.translator, text) if last == DONE_ACTION else None
        if item == "profile":  # «hồ sơ»: this very screen
            await prompt(update, context, flow.EDIT)
            return None
        if item is not None:
            return await to_command(update, context)  # «nộp sáng kiến»: that item opens
        if await side_question(update, context, text):  # the registration goes on
            await prompt(update, context, flow.CONFIRM)
            return None
    choice = await choice_of(update, context, choices, "pf:")
    if choice is None:
        return None
    services = context.services
    if choice == "ok":
        user = await services.profile.complete(ref(update), context.user_id)
        await send(update, context, context.t("onboarding.done", name=user.display_name))
        context.user = user
        await show_menu(update, context)
        return END
    if choice == "done":
        await services.profile.finish(ref(update), context.user_id)
        await send(update, context, context.t("profile.closed"))
        return END
    field = choice.removeprefix("edit:")
    if field not in FIELD_LABELS:
        await send(update, context, context.t("button.stale"))
        return None
    return await _go(
        update, context, await services.profile.change(ref(update), context.user_id, field)
    )


async def on_confirm(update: Update, context: BotContext) -> str | int | None:
    return await _field_menu(update, context, CONFIRM_ACTION)


async def on_edit(update: Update, context: BotContext) -> str | int | None:
    return await _field_menu(update, context, DONE_ACTION)


async def on_cancel(update: Update, context: BotContext) -> None:
    await context.services.profile.finish(ref(update), context.user_id)


async def to_forget(update: Update, context: BotContext) -> str:
    """``/forget_me`` from the profile screen, which mentions it: every change there is already
    saved, so the screen closes and the erasure's confirmation is asked in its place."""
    await context.services.profile.finish(ref(update), context.user_id, then=FORGET)
    await forget.prompt(update, context, FORGET)
    return FORGET


async def to_command(update: Update, context: BotContext) -> int:
    """Another command (``/sangkien``) or a main menu item's name on the profile screen, where
    every change is already saved: the screen closes and it runs, as it would outside."""
    await context.services.profile.finish(ref(update), context.user_id, record=False)
    await hand_over(update, context, flow.FLOW)
    return END


def build(services: Services) -> ConversationHandler[BotContext]:
    guard = NotInFlow(services.states)
    return ConversationHandler(
        name=flow.FLOW,
        persistent=True,
        entry_points=[
            CommandHandler("start", start, filters=guard),
            CommandHandler("profile", open_profile, filters=guard),
            CallbackQueryHandler(open_profile, pattern=r"^menu:profile$"),
            MessageHandler(TEXT & guard & MenuChoice(services.translator, "profile"), open_profile),
        ],
        states={
            flow.CONSENT: [
                CallbackQueryHandler(on_consent, pattern=r"^pf:(yes|no)$"),
                MessageHandler(ANSWER_TEXT, on_consent),
            ],
            "full_name": [MessageHandler(ANSWER_TEXT, _text_step("full_name"))],
            "unit": [
                CallbackQueryHandler(on_unit, pattern=r"^pf:unit:\d+$"),
                MessageHandler(ANSWER_TEXT, on_unit),
            ],
            "position": [MessageHandler(ANSWER_TEXT, _text_step("position"))],
            "phone": [
                CallbackQueryHandler(on_phone, pattern=r"^pf:(skip|keep)$"),
                MessageHandler(ANSWER_TEXT, on_phone),
            ],
            flow.CONFIRM: [
                CallbackQueryHandler(on_confirm, pattern=r"^pf:(ok|edit:\w+)$"),
                MessageHandler(ANSWER_TEXT, on_confirm),
            ],
            flow.EDIT: [
                CommandHandler("forget_me", to_forget),
                CallbackQueryHandler(on_edit, pattern=r"^pf:(done|edit:\w+)$"),
                MessageHandler(TEXT, on_edit),  # «thoát» closes it (edits are saved)
                MessageHandler(other_command("start", "profile"), to_command),
            ],
            FORGET: forget.confirm_handlers(flow.FLOW),
        },
        fallbacks=flow_fallbacks(
            flow.FLOW,
            prompt,
            on_cancel,
            resume_commands=("start", "profile"),
            help_key=N_("onboarding.help_inside"),
        ),
    )
