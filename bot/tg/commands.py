"""The command menu shown by Telegram clients, per language and role.

Everyone sees the staff commands in their client's language (default scope with
``language_code``); admins additionally get a chat-scoped list with the review and admin
commands, reviewers one with the review commands (set when the role is granted), and a person who
picked a language in the bot gets a chat-scoped list in that language.
"""

from __future__ import annotations

import logging
from typing import Any

from telegram import BotCommand, BotCommandScopeChat, BotCommandScopeDefault
from telegram.error import TelegramError
from telegram.ext import Application

from bot.domain.models import User
from bot.i18n import N_, Translator
from bot.tg.context import BotContext

log = logging.getLogger(__name__)

# The name a language's menu and messages give a command that has one in that language (both
# names are registered: /sangkien and /initiative open the same form).
LOCAL_NAMES: dict[str, dict[str, str]] = {
    "en": {"sangkien": "initiative", "hoi": "ask"},
}

STAFF_COMMANDS = (
    ("start", N_("cmd.start")),
    ("menu", N_("cmd.menu")),
    ("sangkien", N_("cmd.sangkien")),
    ("my_initiatives", N_("cmd.my_initiatives")),
    ("my_events", N_("cmd.my_events")),
    ("events", N_("cmd.events")),
    ("hoi", N_("cmd.hoi")),
    ("profile", N_("cmd.profile")),
    ("language", N_("cmd.language")),
    ("settings", N_("cmd.settings")),
    ("help", N_("cmd.help")),
    ("cancel", N_("cmd.cancel")),
    ("forget_me", N_("cmd.forget_me")),
)
# Admins and people granted the reviewer role (initiatives).
REVIEWER_COMMANDS = (
    ("review", N_("cmd.review")),
    ("export_initiatives", N_("cmd.export_initiatives")),
)
# Admins and people granted the checker role (the conference door).
CHECKER_COMMANDS = (("checkin", N_("cmd.checkin")),)
ADMIN_COMMANDS = (
    ("broadcast", N_("cmd.broadcast")),
    ("broadcasts", N_("cmd.broadcasts")),
    ("event_edit", N_("cmd.event_edit")),
    ("invite_import", N_("cmd.invite_import")),
    ("invitations", N_("cmd.invitations")),
    ("rsvp_stats", N_("cmd.rsvp_stats")),
    ("rsvp_pending", N_("cmd.rsvp_pending")),
    ("export_rsvp", N_("cmd.export_rsvp")),
    ("questions", N_("cmd.questions")),
    ("reply", N_("cmd.reply")),
    ("faq_add", N_("cmd.faq_add")),
    ("faqs", N_("cmd.faqs")),
    ("kb_add", N_("cmd.kb_add")),
    ("grant", N_("cmd.grant")),
    ("revoke", N_("cmd.revoke")),
)


def command_list(
    translator: Translator,
    locale: str,
    *,
    admin: bool,
    reviewer: bool = False,
    checker: bool = False,
) -> list[BotCommand]:
    pairs = STAFF_COMMANDS + (REVIEWER_COMMANDS if admin or reviewer else ())
    pairs += CHECKER_COMMANDS if admin or checker else ()
    pairs += ADMIN_COMMANDS if admin else ()
    local = LOCAL_NAMES.get(locale, {})
    return [BotCommand(local.get(name, name), translator(locale, key)) for name, key in pairs]


async def set_default_commands(
    app: Application[Any, Any, Any, Any, Any, Any], translator: Translator, default: str
) -> None:
    bot = app.bot
    await bot.set_my_commands(
        command_list(translator, default, admin=False), scope=BotCommandScopeDefault()
    )
    for lang in translator.languages:
        await bot.set_my_commands(
            command_list(translator, lang, admin=False),
            scope=BotCommandScopeDefault(),
            language_code=lang,
        )


async def set_commands_for(context: BotContext, user: User) -> None:
    """Chat-scoped commands for one person, in their language, with the review commands if
    reviewer and the admin commands if admin."""
    locale = user.locale(context.services.settings.default_language)
    translator = context.services.translator
    try:
        await context.bot.set_my_commands(
            command_list(
                translator,
                locale,
                admin=user.is_admin,
                reviewer=user.is_reviewer,
                checker=user.is_checker,
            ),
            scope=BotCommandScopeChat(user.user_id),
        )
    except TelegramError as exc:  # e.g. the person never opened a chat with the bot
        log.info("could not set commands for %s: %s", user.user_id, exc)


async def set_admin_commands(
    app: Application[Any, Any, Any, Any, Any, Any],
    translator: Translator,
    admins: list[tuple[int, str]],
) -> None:
    for user_id, locale in admins:
        try:
            await app.bot.set_my_commands(
                command_list(translator, locale, admin=True), scope=BotCommandScopeChat(user_id)
            )
        except TelegramError as exc:
            log.info("could not set admin commands for %s: %s", user_id, exc)
