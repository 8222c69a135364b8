"""``/export_initiatives``: the office's Excel export.

Reviewers and admins get the initiatives, their authors and their history as an .xlsx file;
``/export_initiatives full`` adds the items the form marks confidential, for admins only. Private
chats only (the gate keeps group chats out), and every export is logged.
"""

from __future__ import annotations

import asyncio
import functools
import logging

from telegram import Update
from telegram.constants import ChatAction
from telegram.error import TelegramError
from telegram.ext import BaseHandler, CommandHandler

from bot.documents import export_initiatives as build_workbook
from bot.domain.text import fold
from bot.i18n import N_
from bot.services.container import Services
from bot.tg.context import BotContext
from bot.tg.ui import send

log = logging.getLogger(__name__)

FULL_WORDS = frozenset({"full", "all", "day du", "daydu", "day_du", "tat ca"})


async def export_command(update: Update, context: BotContext) -> None:
    chat = update.effective_chat
    user = context.user
    if chat is None:
        return
    if user is None or not user.is_reviewer:
        await send(update, context, context.t("export.denied"))
        return
    argument = fold(" ".join(context.args or []))
    if argument and argument not in FULL_WORDS:
        await send(update, context, context.t("export.usage"))
        return
    full = bool(argument)
    if full and not user.is_admin:
        await send(update, context, context.t("export.full_denied"))
        return

    services = context.services
    exported = await services.initiatives.export_data()
    initiatives = exported.initiatives
    if not initiatives:
        await send(update, context, context.t("export.empty"))
        return
    try:
        await context.bot.send_chat_action(chat.id, ChatAction.UPLOAD_DOCUMENT)
    except TelegramError as exc:  # only a courtesy
        log.debug("sendChatAction failed: %s", exc)
    tz = services.settings.tz
    translate = functools.partial(services.translator, context.locale)
    data = await asyncio.to_thread(
        build_workbook,
        services.initiatives.form,
        initiatives,
        exported.history,
        include_confidential=full,
        t=translate,
        tz=tz,
        submitters=exported.submitters,
    )
    now = services.initiatives.clock().astimezone(tz)
    filename = f"sang-kien{'-day-du' if full else ''}-{now:%Y%m%d-%H%M}.xlsx"
    caption_key = N_("export.caption_full") if full else N_("export.caption")
    caption = context.t(caption_key, count=len(initiatives), at=f"{now:%H:%M %d/%m/%Y}")
    await context.bot.send_document(chat.id, document=data, filename=filename, caption=caption)
    log.info(
        "initiatives exported by %s: %d initiatives, confidential=%s",
        user.user_id,
        len(initiatives),
        full,
    )


def handlers(services: Services) -> list[BaseHandler[Update, BotContext, object]]:
    """Handlers registered by ``bot.app``."""
    return [CommandHandler("export_initiatives", export_command)]
