"""The one error handler: log with context, reassure the person, report to the office
(throttled)."""

from __future__ import annotations

import html
import logging
import traceback

from telegram import Update
from telegram.error import Forbidden, TelegramError
from telegram.ext import ApplicationHandlerStop

from bot.domain.models import resolve_locale
from bot.tg.context import BotContext, ThiduaApplication
from storage import DuplicateUpdateError

log = logging.getLogger(__name__)

REPORT_MAX_CHARS = 3500


async def on_error(update: object, context: BotContext) -> None:
    """Handle the error, then stop: no other handler runs for an update that failed."""
    try:
        await _handle(update, context)
    finally:
        if isinstance(update, Update):
            raise ApplicationHandlerStop


async def _language(update: Update, context: BotContext) -> str:
    """The person's language (the error's context is a new one: the language the update's
    handlers picked is not in it): stored preference, else Telegram's, else the default."""
    default = context.services.settings.default_language
    tg_user = update.effective_user
    if tg_user is None:
        return default
    stored = None
    try:
        user = await context.services.users.get(tg_user.id)
        stored = user.language if user is not None else None
    except Exception:  # the database may be what failed: Telegram's language then
        log.warning("could not read the language of user %s", tg_user.id, exc_info=True)
    return resolve_locale(stored, tg_user.language_code, default)


async def _handle(update: object, context: BotContext) -> None:
    error = context.error
    if isinstance(error, DuplicateUpdateError):
        log.info("update %s was already applied; ignored", error.args[0] if error.args else "?")
        return
    where = ""
    if isinstance(update, Update):
        user = update.effective_user
        where = f"update {update.update_id} from user {user.id if user else '-'}"
    log.error("error while handling %s", where or "a job", exc_info=error)

    if isinstance(update, Update) and update.effective_chat is not None:
        try:
            text = context.services.translator(await _language(update, context), "error.generic")
            await context.bot.send_message(update.effective_chat.id, text)
        except TelegramError as exc:
            log.warning("could not tell the person about the error: %s", exc)

    services = context.services
    office = services.settings.office_chat_id
    app = context.application
    assert isinstance(app, ThiduaApplication)
    reporter = app.error_reporter
    if office is None or not reporter.allow():
        return
    if isinstance(error, Forbidden):
        return
    held_back, reporter.suppressed = reporter.suppressed, 0
    trace = "".join(traceback.format_exception(None, error, error.__traceback__ if error else None))
    text = (
        services.translator(
            services.settings.default_language,
            "error.report",
            where=where or "job",
            held_back=held_back,
        )
        + f"\n<pre>{html.escape(trace[-REPORT_MAX_CHARS:])}</pre>"
    )
    try:
        await context.bot.send_message(office, text)
    except TelegramError as exc:
        log.warning("could not report the error to the office chat: %s", exc)
