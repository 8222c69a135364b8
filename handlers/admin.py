"""Admin commands: ``/grant`` and ``/revoke`` roles."""

from __future__ import annotations

import logging

from telegram import Update
from telegram.error import TelegramError

from bot.domain.models import Role, User
from bot.i18n import N_
from bot.tg.commands import set_commands_for
from bot.tg.context import BotContext
from bot.tg.ui import send

log = logging.getLogger(__name__)

# What a role is called in messages ("quyền xét duyệt sáng kiến"); typed, it stays its code.
ROLE_NAMES = {
    Role.ADMIN: N_("role.admin"),
    Role.REVIEWER: N_("role.reviewer"),
    Role.CHECKER: N_("role.checker"),
}


async def _resolve(update: Update, context: BotContext, usage_key: str) -> tuple[User, Role] | None:
    """``<user id | @username> [role]`` of an admin's command; answers the admin itself (not an
    admin, usage, unknown person) and returns ``None`` when it cannot go on."""
    if context.user is None or not context.user.is_admin:
        await send(update, context, context.t("admin.denied"))
        return None
    args = context.args or []
    role_name = args[1].lower() if len(args) > 1 else Role.ADMIN.value
    grantable = {role.value: role for role in Role.grantable()}
    if not args or len(args) > 2 or role_name not in grantable:
        roles = ", ".join(f"{code} ({context.t(ROLE_NAMES[r])})" for code, r in grantable.items())
        await send(update, context, context.t(usage_key, roles=roles))
        return None
    target = await context.services.users.find(args[0])
    if target is None:
        await send(update, context, context.t("admin.user_unknown", who=args[0]))
        return None
    return target, grantable[role_name]


async def grant(update: Update, context: BotContext) -> None:
    resolved = await _resolve(update, context, N_("admin.grant_usage"))
    if resolved is None:
        return
    target, role = resolved
    users = context.services.users
    changed = await users.grant(context.user_id, target.user_id, role)
    key = N_("admin.granted") if changed else N_("admin.already")
    role_name = context.t(ROLE_NAMES[role])
    await send(update, context, context.t(key, who=target.display_name, role=role_name))
    if changed:
        target = await users.require(target.user_id)
        await set_commands_for(context, target)
        locale = target.locale(context.services.settings.default_language)
        try:
            await context.bot.send_message(
                target.user_id,
                context.services.translator(
                    locale,
                    "admin.you_were_granted",
                    role=context.services.translator(locale, ROLE_NAMES[role]),
                ),
            )
        except TelegramError as exc:
            log.info("could not notify %s: %s", target.user_id, exc)


async def revoke(update: Update, context: BotContext) -> None:
    resolved = await _resolve(update, context, N_("admin.revoke_usage"))
    if resolved is None:
        return
    target, role = resolved
    users = context.services.users
    if role is Role.ADMIN and target.user_id in users.config_admins:
        await send(update, context, context.t("admin.config_admin", who=target.display_name))
        return
    changed = await users.revoke(target.user_id, role)
    key = N_("admin.revoked") if changed else N_("admin.not_granted")
    role_name = context.t(ROLE_NAMES[role])
    await send(update, context, context.t(key, who=target.display_name, role=role_name))
    if changed:
        await set_commands_for(context, await users.require(target.user_id))
