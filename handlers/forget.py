"""``/forget_me``: delete the person's personal data after an explicit confirmation."""

from __future__ import annotations

from telegram import Update
from telegram.ext import (
    BaseHandler,
    CallbackQueryHandler,
    CommandHandler,
    ConversationHandler,
    MessageHandler,
)

from bot.domain.choices import Choice
from bot.services.broadcasts import Notify
from bot.services.container import Services
from bot.services.events import Released
from bot.tg.broadcaster import wake_outbox
from bot.tg.context import BotContext
from bot.tg.ui import keyboard, send
from handlers.common import END, TEXT, NotInFlow, choice_of, flow_fallbacks, ref
from handlers.rsvp import promoted_notices

FLOW = "forget"
CONFIRM = "confirm"


async def prompt(update: Update, context: BotContext, state: str) -> None:
    rows = [[(context.t("forget.yes"), "fg:yes")], [(context.t("forget.no"), "fg:no")]]
    await send(update, context, context.t("forget.ask"), keyboard(rows))


async def begin(update: Update, context: BotContext) -> str:
    await context.services.flows.move(ref(update), FLOW, CONFIRM)
    await prompt(update, context, CONFIRM)
    return CONFIRM


def confirm_handlers(conversation: str) -> list[BaseHandler[Update, BotContext, object]]:
    """The handlers of the confirmation step inside ``conversation`` (this flow, or the
    profile screen, which offers ``/forget_me``)."""

    async def on_answer(update: Update, context: BotContext) -> int | None:
        return await answer(update, context, conversation)

    return [
        CallbackQueryHandler(on_answer, pattern=r"^fg:(yes|no)$"),
        MessageHandler(TEXT, on_answer),
    ]


async def answer(update: Update, context: BotContext, conversation: str) -> int | None:
    choices = [
        Choice("yes", context.labels("forget.yes"), aliases=("xoa", "dong y", "yes", "delete")),
        Choice("no", context.labels("forget.no"), aliases=("khong", "no", "giu lai", "keep")),
    ]
    choice = await choice_of(update, context, choices, "fg:")
    if choice is None:
        return None
    erase = choice == "yes"
    if not erase:
        await context.services.flows.move(ref(update), conversation, None)
        await send(update, context, context.t("forget.kept"))
        return END
    user_id = context.user_id
    services = context.services
    # One transaction: their seats go to the waiting list (the people promoted are told),
    # then everything about them is erased.
    notify: Notify[Released] = services.broadcasts.notices(
        lambda released: promoted_notices(services, released.event, released.promoted)
    )
    await services.users.forget(
        ref(update),
        user_id,
        before=lambda conn: services.events.release_seats(conn, user_id, notify),
    )
    if notify.queued.chats:
        wake_outbox(context.application)
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
        states={CONFIRM: confirm_handlers(FLOW)},
        fallbacks=flow_fallbacks(FLOW, prompt),
    )
