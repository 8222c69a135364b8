"""``/language``: Tiếng Việt or English (buttons, typed number/name, or ``/language en``)."""

from __future__ import annotations

from telegram import Update
from telegram.ext import CallbackQueryHandler, CommandHandler, ConversationHandler, MessageHandler

from bot.domain.text import fold
from bot.services.container import Services
from bot.tg.context import BotContext
from bot.tg.ui import send
from handlers.common import (
    END,
    LANGUAGE_CHOICES,
    TEXT,
    NotInFlow,
    choice_of,
    flow_fallbacks,
    language_markup,
    leave_for_command,
    may_enter,
    pick,
    ref,
    switch_language,
)
from handlers.menu import MENU_WORDS, MenuChoice, names_menu_item

FLOW = "language"
CHOOSE = "choose"


async def prompt(update: Update, context: BotContext, state: str) -> None:
    await send(update, context, context.t("language.ask"), language_markup(context))


async def begin(update: Update, context: BotContext) -> str | int:
    if not await may_enter(update, context):
        return END
    args = context.args or []
    choice = pick(" ".join(args), LANGUAGE_CHOICES) if args else None
    if choice is not None:
        await switch_language(update, context, choice, FLOW, None)
        await send(update, context, context.t("language.changed"))
        return END
    await context.services.flows.move(ref(update), FLOW, CHOOSE)
    await prompt(update, context, CHOOSE)
    return CHOOSE


async def on_choice(update: Update, context: BotContext) -> str | int | None:
    text = update.message.text if update.message is not None else None
    if (
        text
        and pick(text, LANGUAGE_CHOICES) is None
        and (
            fold(text) in MENU_WORDS
            or names_menu_item(context.services.translator, text) not in (None, "language")
        )
    ):  # «menu», «hồ sơ»: nothing is half-typed here, so the picker closes and that opens (qa19)
        return await leave_for_command(FLOW)(update, context)
    if text and pick(text, LANGUAGE_CHOICES) is None:  # «3», «abc»: said in both languages
        await send(update, context, context.t("language.unclear"), language_markup(context))
        return None
    choice = await choice_of(update, context, LANGUAGE_CHOICES, "lang:")
    if choice is None:
        return None
    await switch_language(update, context, choice, FLOW, None)
    await send(update, context, context.t("language.changed"))
    return END


def build(services: Services) -> ConversationHandler[BotContext]:
    guard = NotInFlow(services.states)
    return ConversationHandler(
        name=FLOW,
        persistent=True,
        entry_points=[
            CommandHandler("language", begin, filters=guard),
            CallbackQueryHandler(begin, pattern=r"^menu:language$"),
            MessageHandler(TEXT & guard & MenuChoice(services.translator, "language"), begin),
        ],
        states={
            CHOOSE: [
                CallbackQueryHandler(on_choice, pattern=r"^lang:(vi|en)$"),
                MessageHandler(TEXT, on_choice),
            ],
        },
        fallbacks=flow_fallbacks(FLOW, prompt, on_command=leave_for_command(FLOW)),
    )
