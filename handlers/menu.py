"""Main menu, help, and the catch-alls for anything no flow handled.

(Free text outside any flow is a question for the knowledge base: :func:`handlers.ask.free_text`.)
"""

from __future__ import annotations

from telegram import Message, Update
from telegram.ext import ApplicationHandlerStop, filters

from bot.domain.choices import Choice, match_choice, typed_number
from bot.domain.text import STOP_WORDS
from bot.i18n import N_, Translator
from bot.tg.context import BotContext
from bot.tg.screen import takes_number
from bot.tg.ui import acknowledge, keyboard, send

# Only flows that exist appear here. (value, label key)
MENU_ITEMS = (
    ("initiative", N_("menu.initiative")),
    ("my_initiatives", N_("menu.my_initiatives")),
    ("ask", N_("menu.ask")),
    ("profile", N_("menu.profile")),
    ("my_events", N_("menu.my_events")),
    ("language", N_("menu.language")),
    ("help", N_("menu.help")),
)


MENU_MESSAGE = "menu_message"  # user_data: the id of the main menu last sent
# How people name the items when they type them (folded; besides the labels).
MENU_ALIASES = {
    "initiative": ("sang kien", "nop sang kien", "nop sk", "gui sang kien", "initiative"),
    "my_initiatives": (
        *("sang kien cua toi", "cac sang kien cua toi", "sang kien da nop", "don da nop"),
        *("xem sang kien cua toi", "xem sang kien da nop", "don cua toi", "xem don cua toi"),
        *("don sang kien cua toi", "my initiatives", "my submissions"),
    ),
    "ask": ("hoi dap", "dat cau hoi", "ask"),
    "profile": (
        *("ho so", "ho so ca nhan", "xem ho so", "xem ho so ca nhan", "thong tin ca nhan"),
        *("xem thong tin ca nhan", "profile", "my profile"),
    ),
    "my_events": (
        *("hoi nghi cua toi", "su kien cua toi", "hoi nghi", "su kien", "dang ky hoi nghi"),
        *("my events", "events", "event", "conference", "conferences", "my conferences"),
    ),
    "language": ("ngon ngu", "doi ngon ngu", "english", "tieng anh", "tieng viet", "language"),
    "help": (
        *("tro giup", "huong dan", "huong dan su dung", "xem huong dan", "cach su dung"),
        *("help", "how to use"),
    ),
}
# Typed outside any flow: the menu itself; "nothing to cancel" (folded).
MENU_WORDS = frozenset({"menu", "menu chinh", "main menu", "danh muc", "chuc nang"})
CANCEL_WORDS = STOP_WORDS | {"thoi"}
FINISH_WORDS = frozenset({"xong", "xong roi", "done", "ket thuc", "hoan thanh"})
# A command that is not a menu item, typed by name outside any flow (folded).
SETTINGS_WORDS = frozenset(
    {"cai dat", "cai dat thong bao", "thiet lap", "settings", "notification settings"}
)


def menu_choices(translator: Translator) -> list[Choice]:
    return [
        Choice(value, translator.all(key), MENU_ALIASES.get(value, ())) for value, key in MENU_ITEMS
    ]


def names_menu_item(translator: Translator, text: str) -> str | None:
    """The main menu's item ``text`` names by its label or an alias («nộp sáng kiến»), not by
    a number (a screen's own numbers come first)."""
    if typed_number(text) is not None:
        return None
    return match_choice(text, menu_choices(translator), fuzzy=False)


class MenuChoice(filters.MessageFilter):
    """A typed menu choice ("1", "hồ sơ", "profile"...) for the item ``value``."""

    def __init__(self, translator: Translator, value: str) -> None:
        super().__init__(name=f"MenuChoice({value})")
        self.choices = menu_choices(translator)
        self.value = value

    def filter(self, message: Message) -> bool:
        # Not fuzzily: free text outside a flow is a question unless it names an item.
        text = message.text or ""
        return bool(text) and match_choice(text, self.choices, fuzzy=False) == self.value


async def show_menu(update: Update, context: BotContext, *, before: str = "") -> None:
    """The main menu (``before``: a line above it). Its message id is kept: its typed numbers
    count only right after it (see :func:`number_not_after_menu`)."""
    rows = [[(context.t(key), f"menu:{value}")] for value, key in MENU_ITEMS]
    text = context.t("menu.title")
    if before:
        text = f"{before}\n\n{text}"
    if context.user is not None and context.user.is_admin:
        text += "\n\n" + context.t("menu.admin_hint")
    sent = await send(update, context, text, keyboard(rows))
    if sent is not None and context.user_data is not None:
        context.user_data[MENU_MESSAGE] = sent.message_id


async def number_not_after_menu(update: Update, context: BotContext) -> None:
    """A bare number of a menu item typed outside any flow, when the main menu is not the
    message right before it and no other screen takes numbers (the menu of registration,
    several messages ago; «1» after «Chưa có hội nghị nào»): the menu again, to pick from,
    rather than opening whatever item has that number."""
    message = update.effective_message
    number = typed_number(message.text or "") if message is not None else None
    if message is None or number is None or not 1 <= number <= len(MENU_ITEMS):
        return
    data = context.user_data
    if data is not None and data.get(MENU_MESSAGE) == message.message_id - 1:
        return  # right after the menu: its item
    if takes_number(data, number):
        return  # another screen's number
    await show_menu(update, context, before=context.t("menu.which_number", n=str(number)))
    raise ApplicationHandlerStop


async def show_help(update: Update, context: BotContext) -> None:
    text = context.t("help.staff")
    if context.user is not None and context.user.is_admin:
        text += "\n\n" + context.t("help.admin")
    elif context.user is not None:
        if context.user.is_reviewer:
            text += "\n\n" + context.t("help.reviewer")
        if context.user.is_checker:  # the door: checkers who are not admins
            text += "\n\n" + context.t("help.checker")
    await send(update, context, text)


async def menu_command(update: Update, context: BotContext) -> None:
    await show_menu(update, context)


async def help_command(update: Update, context: BotContext) -> None:
    await show_help(update, context)


async def help_button(update: Update, context: BotContext) -> None:
    await acknowledge(update)
    await show_help(update, context)


async def cancel_outside(update: Update, context: BotContext) -> None:
    await send(update, context, context.t("flow.nothing_to_cancel"))


async def finish_outside(update: Update, context: BotContext) -> None:
    """``/xong`` or ``/boqua`` with nothing under way (a mode that ended by itself, say)."""
    await send(update, context, context.t("flow.nothing_to_finish"))


async def unknown_command(update: Update, context: BotContext) -> None:
    await send(update, context, context.t("fallback.unknown_command"))


async def unexpected_message(update: Update, context: BotContext) -> None:
    """A sticker, photo, voice note... outside any flow. A file gets what it could be used for
    (an admin: the commands to reply to it with; others: the initiative form)."""
    message = update.effective_message
    if message is None or not (message.document or message.photo):
        await send(update, context, context.t("fallback.non_text"))
        return
    user = context.user
    admin = user is not None and user.is_admin and message.document is not None
    key = N_("fallback.file_admin") if admin else N_("fallback.file")
    await send(update, context, context.t(key))


async def stale_button(update: Update, context: BotContext) -> None:
    await acknowledge(update, context.t("button.stale"))
