"""Admin commands: ``/grant`` and ``/revoke`` roles."""

from __future__ import annotations

import logging
from collections.abc import Iterable

from telegram import Update
from telegram.error import TelegramError

from bot.domain.choices import Choice, is_number, match_choice
from bot.domain.models import Role, User
from bot.domain.text import fold
from bot.i18n import N_, Safe
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
# The roles as admins type them, besides their codes and names (folded).
ROLE_ALIASES = {
    Role.ADMIN: ("quan tri", "quan tri vien", "nguoi quan tri", "administrator"),
    Role.REVIEWER: ("xet duyet", "nguoi duyet", "duyet", "nguoi xet duyet", "xet duyet sang kien"),
    Role.CHECKER: ("diem danh", "nguoi diem danh", "check in", "check-in"),
}


# Words said before a role: «quyền xét duyệt», «vai trò điểm danh», «làm người điểm danh».
ROLE_PREFIXES = ("cap quyen", "quyen", "vai tro", "lam", "role", "as")
ROLE_WORDS_MAX = 6  # a role named in more words than this is no role


async def _resolve(
    update: Update, context: BotContext, usage_key: str
) -> tuple[User, Role | None] | None:
    """``<user id | @username | full name> [role]`` of an admin's command (``None``: no role
    typed); answers the admin itself (not an admin, usage, unknown person, namesakes) and
    returns ``None`` when it cannot go on."""
    if context.user is None or not context.user.is_admin:
        await send(update, context, context.t("admin.denied"))
        return None
    args = context.args or []
    grantable = {role.value: role for role in Role.grantable()}
    usage = context.t(usage_key, roles=_roles_text(context, grantable))
    if not args:
        await send(update, context, usage)
        return None
    users = context.services.users
    if args[0].lstrip("-").isdigit() or args[0].startswith("@"):
        typed = " ".join(args[1:])  # "reviewer", «xét duyệt», «quyền điểm danh»
        role_name = _role(context, typed, fuzzy=True) if typed else None
        if typed and role_name is None:
            await send(update, context, usage)
            return None
        target = await users.find(args[0])
        if target is None:
            await send(update, context, context.t("admin.user_unknown", who=args[0]))
            return None
        return target, grantable[role_name] if role_name is not None else None
    # A full name, perhaps followed by the role: «Nguyễn Văn An xét duyệt». The longest role
    # at the end whose rest is somebody's name (a name may end in a role's word: «… Duyệt»).
    who = None  # the name looked for, without the role typed after it (for "not found")
    for cut in range(max(1, len(args) - ROLE_WORDS_MAX), len(args) + 1):
        name, typed = " ".join(args[:cut]), " ".join(args[cut:])
        role_name = _role(context, typed) if typed else None
        if typed and role_name is None:
            continue
        who = who or name
        people = await users.find_by_name(name)
        if len(people) > 1:
            await _namesakes(update, context, name, people)
            return None
        if people:
            return people[0], grantable[role_name] if role_name is not None else None
    await send(update, context, context.t("admin.user_unknown", who=who or " ".join(args)))
    return None


async def _namesakes(update: Update, context: BotContext, name: str, people: list[User]) -> None:
    """Several registered people have this name: each with their unit and id, to type again."""
    none = context.t("profile.none")
    lines = "\n".join(
        context.t("admin.namesake", name=p.display_name, unit=p.profile.unit or none, id=p.user_id)
        for p in people
    )
    message = update.effective_message
    command = (message.text or "/grant").split()[0].split("@")[0] if message else "/grant"
    example = f"{command} {people[0].user_id}"
    await send(
        update,
        context,
        context.t("admin.namesakes", name=name, people=Safe(lines), example=example),
    )


def _role(context: BotContext, typed: str, *, fuzzy: bool = False) -> str | None:
    """The code of the role ``typed`` names: its code, its name in any language, a usual
    Vietnamese word for it, after «quyền» or «vai trò». ``fuzzy``: a typo is forgiven, but
    never into the admin role (that one is typed exactly)."""
    folded = fold(typed)
    for prefix in ROLE_PREFIXES:
        if folded.startswith(prefix + " "):
            folded = folded.removeprefix(prefix + " ")
            break
    choices = [
        Choice(role.value, (role.value, *context.labels(ROLE_NAMES[role])), ROLE_ALIASES[role])
        for role in Role.grantable()
    ]
    found = match_choice(folded, choices, fuzzy=False)
    if found is None and fuzzy and not is_number(folded):
        others = [c for c in choices if c.value != Role.ADMIN.value]
        found = match_choice(folded, others, fuzzy=True)
    return found


def _roles_text(context: BotContext, roles: Iterable[str]) -> str:
    """``reviewer (xét duyệt sáng kiến), checker (…)``: what to type, and what it means."""
    known = {role.value: role for role in Role.grantable()}
    return ", ".join(f"{code} ({context.t(ROLE_NAMES[known[code]])})" for code in roles)


def _granted(user: User) -> list[str]:
    """The roles granted to ``user`` by command (not ADMIN_IDS), in the usual order."""
    return [role.value for role in Role.grantable() if role.value in user.roles]


async def _tell(context: BotContext, user: User, key: str, role: Role) -> None:
    """Tell the person their roles changed, in their language (they may have blocked the bot)."""
    translator = context.services.translator
    locale = user.locale(context.services.settings.default_language)
    text = translator(locale, key, role=translator(locale, ROLE_NAMES[role]))
    try:
        await context.bot.send_message(user.user_id, text)
    except TelegramError as exc:
        log.info("could not notify %s: %s", user.user_id, exc)


async def grant(update: Update, context: BotContext) -> None:
    resolved = await _resolve(update, context, N_("admin.grant_usage"))
    if resolved is None:
        return
    target, role = resolved
    if role is None:  # never a guess (the admin role least of all): the choices, to type
        commands = "\n".join(
            context.t(
                "admin.grant_command",
                command=f"/grant {target.user_id} {r.value}",
                role=context.t(ROLE_NAMES[r]),
            )
            for r in Role.grantable()
        )
        await send(
            update,
            context,
            context.t("admin.grant_which", who=target.display_name, commands=Safe(commands)),
        )
        return
    users = context.services.users
    changed = await users.grant(context.user_id, target.user_id, role)
    key = N_("admin.granted") if changed else N_("admin.already")
    role_name = context.t(ROLE_NAMES[role])
    await send(update, context, context.t(key, who=target.display_name, role=role_name))
    if changed:
        target = await users.require(target.user_id)
        await set_commands_for(context, target)
        await _tell(context, target, N_("admin.you_were_granted"), role)


async def revoke(update: Update, context: BotContext) -> None:
    """``/revoke <who> [role]``. Without a role: the one role the person was granted; several,
    they are listed to choose from (never a guess)."""
    resolved = await _resolve(update, context, N_("admin.revoke_usage"))
    if resolved is None:
        return
    target, role = resolved
    users = context.services.users
    granted = _granted(target)
    who = target.display_name
    if role is None:
        if len(granted) == 1:
            role = Role(granted[0])
        elif target.user_id in users.config_admins and not granted:
            await send(update, context, context.t("admin.config_admin", who=who))
            return
        elif not granted:
            await send(update, context, context.t("admin.no_roles", who=who))
            return
        else:
            roles = _roles_text(context, granted)
            command = f"/revoke {target.user_id}"
            await send(
                update,
                context,
                context.t("admin.revoke_which", who=who, roles=roles, command=command),
            )
            return
    if role is Role.ADMIN and target.user_id in users.config_admins:
        await send(update, context, context.t("admin.config_admin", who=who))
        return
    changed = await users.revoke(target.user_id, role)
    role_name = context.t(ROLE_NAMES[role])
    if not changed:
        if granted:
            roles = _roles_text(context, granted)
            await send(
                update,
                context,
                context.t("admin.not_granted_has", who=who, role=role_name, roles=roles),
            )
        else:
            await send(update, context, context.t("admin.not_granted", who=who, role=role_name))
        return
    await send(update, context, context.t("admin.revoked", who=who, role=role_name))
    target = await users.require(target.user_id)
    await set_commands_for(context, target)
    await _tell(context, target, N_("admin.you_were_revoked"), role)
