"""``/forget_me``: delete the person's personal data after an explicit confirmation."""

from __future__ import annotations

from telegram import Update
from telegram.ext import CallbackQueryHandler, CommandHandler, ConversationHandler, MessageHandler

from bot.domain.choices import Choice
from bot.services.container import Services
from bot.tg.context import BotContext
from bot.tg.ui import keyboard, send
from handlers.common import END, TEXT, NotInFlow, choice_of, flow_fallbacks, ref

FLOW = "forget"
CONFIRM = "confirm"


async def prompt(update: Update, context: BotContext, state: str) -> None:
    rows = [[(context.t("forget.yes"), "fg:yes")], [(context.t("forget.no"), "fg:no")]]
    await send(update, context, context.t("forget.ask"), keyboard(rows))


async def begin(update: Update, context: BotContext) -> str:
    await context.services.flows.move(ref(update), FLOW, CONFIRM)
    await prompt(update, context, CONFIRM)
    return CONFIRM


async def on_answer(update: Update, context: BotContext) -> int | None:
    choices = [
        Choice("yes", context.labels("forget.yes"), aliases=("xoa", "dong y", "yes", "delete")),
        Choice("no", context.labels("forget.no"), aliases=("khong", "no", "giu lai", "keep")),
    ]
    choice = await choice_of(update, context, choices, "fg:")
    if choice is None:
        return None
    erase = choice == "yes"
    if not erase:
        await context.services.flows.move(ref(update), FLOW, None)
        await send(update, context, context.t("forget.kept"))
        return END
    user_id = context.user_id
    await context.services.users.forget(ref(update), user_id)
    # Drop the framework's in-memory copies too (their rows are already deleted).
    context.application.drop_user_data(user_id)
    if update.effective_chat is not None:
        context.application.drop_chat_data(update.effective_chat.id)
    context.user = None
    await send(update, context, context.t("forget.done"))
    return END


def build(services: Services) -> ConversationHandler[BotContext]:
    return ConversationHandler(
        name=FLOW,
        persistent=True,
        entry_points=[CommandHandler("forget_me", begin, filters=NotInFlow(services.states))],
        states={
            CONFIRM: [
                CallbackQueryHandler(on_answer, pattern=r"^fg:(yes|no)$"),
                MessageHandler(TEXT, on_answer),
            ],
        },
        fallbacks=flow_fallbacks(FLOW, prompt),
    )
