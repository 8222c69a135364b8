"""Shared pieces of the handlers: identifying the person, flow steps, guards and fallbacks."""

from __future__ import annotations

import logging
import re
import secrets
from collections.abc import Awaitable, Callable, Coroutine, Mapping, Sequence
from typing import Any, cast

from babel.lists import format_list
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.constants import ChatType
from telegram.ext import (
    Application,
    ApplicationHandlerStop,
    BaseHandler,
    CallbackQueryHandler,
    CommandHandler,
    ConversationHandler,
    MessageHandler,
    filters,
)

from bot.domain.choices import (
    Choice,
    match_choice,
    typed_number,
    without_edit_verb,
    words_in_one,
)
from bot.domain.text import STOP_WORDS, clean, fold
from bot.domain.units import UnitMatch
from bot.i18n import N_, Safe
from bot.services.flows import KEEP, FlowStates, StepRef
from bot.tg.commands import set_commands_for
from bot.tg.context import BotContext
from bot.tg.screen import Option, Screen
from bot.tg.ui import acknowledge, keyboard, send

log = logging.getLogger(__name__)

END = ConversationHandler.END
TEXT = filters.TEXT & ~filters.COMMAND


class Words(filters.MessageFilter):
    """A message that is one of ``words`` (compared folded: no accents, case, punctuation)."""

    def __init__(self, words: frozenset[str], name: str) -> None:
        super().__init__(name=f"Words({name})")
        self.words = words

    def filter(self, message: Message) -> bool:
        # Exactly those words, folded: never with politeness stripped, which would make the
        # names «Em Huy» or «Đa Huy» the stop word «hủy» (the phrases are listed instead).
        return bool(message.text) and fold(message.text or "") in self.words


# Typed alone in a flow, «hủy», «thoát»... stop it as /cancel does; the text of an answer at a
# step is no command and no stop word (the flow's fallback takes those).
STOP = Words(STOP_WORDS, "stop")
ANSWER_TEXT = TEXT & ~STOP
# "Done" with a list or a long answer: /xong, and /done as the English texts name it.
DONE_COMMANDS = ("xong", "done")
Prompt = Callable[[Update, BotContext, str], Awaitable[None]]

LANGUAGE_CHOICES = (
    Choice("vi", ("Tiếng Việt",), aliases=("vi", "viet", "vietnamese", "tieng viet")),
    Choice("en", ("English",), aliases=("en", "eng", "tieng anh", "anh")),
)
# Buttons that only show or send something (the filled form, a seat's QR code and calendar
# file): they work in the middle of any flow, which goes on where it was.
FORM_BUTTON = r"ini:docx:\d{1,18}"  # ids fit SQLite (64-bit)
SEAT_FILES_BUTTON = r"ev:q:[a-z0-9][a-z0-9-]{1,47}"
READ_ONLY_BUTTONS = re.compile(rf"^({FORM_BUTTON}|{SEAT_FILES_BUTTON})$")


def _not_read_only(data: object) -> bool:
    return not (isinstance(data, str) and READ_ONLY_BUTTONS.match(data))


# /language typed inside a flow: its buttons, whose typed form ("2", "English") is taken by
# :func:`typed_language_inside` right after, before the flow's step (where "2" may be an answer).
LANGUAGE_INSIDE = Screen("language_inside", ttl=10 * 60)


async def gate(update: Update, context: BotContext) -> None:
    """First of all: edits and channel posts are ignored (an edited message must never be read
    as the answer to the next question; in a private chat the person is told, so that a typo
    fixed by an edit is not believed saved); in groups the bot only points to the private chat,
    where the flows run (personal data stays out of groups)."""
    edited = update.edited_message
    if edited is not None and edited.chat.type == ChatType.PRIVATE:
        await identify(update, context)  # their language
        in_flow = context.services.states.active(BotContext.key_of(update)) is not None
        key = N_("flow.edited") if in_flow else N_("fallback.edited")
        await send(update, context, context.t(key))
        raise ApplicationHandlerStop
    if edited or update.channel_post or update.edited_channel_post:
        raise ApplicationHandlerStop
    chat = update.effective_chat
    if chat is None or chat.type == ChatType.PRIVATE:
        return
    message = update.message
    if message is not None and message.text and message.text.startswith("/"):
        link = f"https://t.me/{context.bot.username}?start=menu"
        markup = InlineKeyboardMarkup([[InlineKeyboardButton(context.t("group.open"), url=link)]])
        await send(update, context, context.t("group.private_only"), markup)
    elif update.callback_query is not None:
        await acknowledge(update, context.t("button.stale"))
    raise ApplicationHandlerStop


async def identify(update: Update, context: BotContext) -> None:
    """First handler of every update: record the person and pick their language."""
    tg_user = update.effective_user
    if tg_user is None or tg_user.is_bot:
        return
    services = context.services
    user = await services.users.seen(
        tg_user.id,
        tg_user.first_name,
        tg_user.last_name,
        tg_user.username,
        tg_user.language_code,
    )
    context.user = user
    context.locale = user.locale(services.settings.default_language)


def ref(update: Update) -> StepRef:
    """This update as a flow step of the person's conversation."""
    return StepRef(update.update_id, BotContext.key_of(update))


def current_state(update: Update, context: BotContext, conversation: str) -> str | None:
    state = context.services.states.get(conversation, BotContext.key_of(update))
    return str(state) if state is not None else None


class NotInFlow(filters.UpdateFilter):
    """Passes updates from people who are not in the middle of any flow.

    Guards the entry points so that one flow never starts on top of another: a person finishes
    or cancels what they are doing first.
    """

    def __init__(self, states: FlowStates) -> None:
        super().__init__(name="NotInFlow")
        self.states = states

    def filter(self, update: Update) -> bool:
        if update.effective_chat is None or update.effective_user is None:
            return True
        return self.states.active(BotContext.key_of(update)) is None


async def ask_step(
    update: Update, context: BotContext, conversation: str, state: str, prompt: Prompt
) -> str:
    """Move ``conversation`` to ``state`` (recording the update), ask its question, and return
    the state for the framework: what every flow's steps do to go on."""
    await context.services.flows.move(ref(update), conversation, state)
    await prompt(update, context, state)
    return state


def user_dict(context: BotContext, key: str) -> dict[str, Any]:
    """A JSON-friendly dict kept in the person's ``user_data`` under ``key`` (created empty)."""
    data = context.user_data
    assert data is not None
    value = data.get(key)
    if not isinstance(value, dict):
        value = data[key] = {}
    return value


def text_of(update: Update) -> str:
    message = update.effective_message
    return message.text or "" if message is not None else ""


def pick(text: str, choices: Sequence[Choice]) -> str | None:
    """The choice ``text`` designates (see :func:`match_choice`), also when it asks to change
    one: «sửa mục 2», «sửa 2», "edit item 2", «thay đổi đơn vị công tác»."""
    found = match_choice(text, choices)
    if found is None and (rest := without_edit_verb(text)) is not None:
        found = match_choice(rest, choices)
    return found


def new_stamp() -> str:
    """A mark for the buttons of one confirmation screen (see :func:`choice_of`)."""
    return secrets.token_hex(3)


def stamped(data: str, stamp: str) -> str:
    """``data`` of a button that only the screen marked ``stamp`` may press."""
    return f"{data}:{stamp}"


async def choice_of(
    update: Update,
    context: BotContext,
    choices: Sequence[Choice],
    prefix: str,
    *,
    stamp: str | None = None,
) -> str | None:
    """The person's pick among ``choices``: the button pressed (callback data ``prefix`` +
    value) or its typed number or label. Asks again (and returns ``None``) when it is neither.

    ``stamp``: the buttons of the screen now shown carry it (:func:`stamped`). A button of an
    older screen of the same step («Gửi ngay» under an announcement cancelled by typing «hủy»)
    would otherwise confirm whatever is pending now: it is refused as stale."""
    query = update.callback_query
    if query is not None:
        value = (query.data or "").removeprefix(prefix)
        if stamp is not None:
            value, _, given = value.rpartition(":")
            if given != stamp:
                await acknowledge(update, context.t("button.stale"), alert=True)
                return None
        await acknowledge(update)
        return value
    choice = pick(text_of(update), choices)
    if choice is None:
        await send(update, context, context.t("error.choose_button"))
    return choice


async def may_enter(update: Update, context: BotContext) -> bool:
    """For an entry point reached by a button (an old menu, say): refuse while the person is
    in another flow. Command and typed entry points are guarded by :class:`NotInFlow`."""
    if update.callback_query is None:
        return True
    if context.services.states.active(BotContext.key_of(update)) is not None:
        await acknowledge(update, context.t("flow.busy_short"), alert=True)
        return False
    await acknowledge(update)
    return True


def language_markup(context: BotContext) -> InlineKeyboardMarkup:
    return keyboard([[(choice.labels[0], f"lang:{choice.value}") for choice in LANGUAGE_CHOICES]])


async def switch_language(
    update: Update,
    context: BotContext,
    language: str,
    conversation: str,
    state: object | None = KEEP,
) -> None:
    """Store the person's language (a flow step) and refresh their command menu."""
    user = await context.services.users.set_language(
        ref(update), conversation, context.user_id, language, state
    )
    context.user = user
    context.locale = language
    await set_commands_for(context, user)


# --- fallbacks shared by every flow --------------------------------------------------------


START_WITH_PAYLOAD = filters.Regex(r"^/start(?:@\w+)?\s+\S")


def other_command(*own: str) -> filters.BaseFilter:
    """A command other than those every flow answers itself (``/cancel``, ``/help``,
    ``/language``) and the flow's ``own`` (its resumed entry commands...): on a screen with
    nothing half-typed, the command :func:`hand_over` runs."""
    names = "|".join(re.escape(name) for name in ("cancel", "help", "language", *own))
    return filters.COMMAND & ~filters.Regex(rf"^/(?:{names})(?:@\w+)?(?:\s|$)")


async def hand_over(update: Update, context: BotContext, conversation: str) -> None:
    """The update as if sent outside any flow: to the first handler of group 0 that takes it,
    the flow ``conversation`` (which the caller has just left, without recording the update:
    the step it goes on to records it) excepted.
    For a command typed on a screen where nothing is half-typed (the profile screen, an
    event's answer buttons): the screen closes and the command runs, rather than "busy"."""
    application = cast("Application[Any, BotContext, Any, Any, Any, Any]", context.application)
    for handler in application.handlers.get(0, []):
        if isinstance(handler, ConversationHandler) and handler.name == conversation:
            continue
        checked = handler.check_update(update)
        if checked is None or checked is False:
            continue
        await handler.handle_update(update, application, checked, context)
        return


def leave_for_command(
    conversation: str,
) -> Callable[[Update, BotContext], Coroutine[Any, Any, int]]:
    """For ``flow_fallbacks(on_command=...)`` of a one-question flow (a language's buttons):
    the flow ends and the command, or a main menu item typed, runs as it would outside."""

    async def leave(update: Update, context: BotContext) -> int:
        if current_state(update, context, conversation) is not None:
            await context.services.flows.move(ref(update), conversation, None, record=False)
        await hand_over(update, context, conversation)
        return END

    return leave


def flow_fallbacks(
    conversation: str,
    prompt: Prompt,
    on_cancel: Callable[[Update, BotContext], Awaitable[None]] | None = None,
    *,
    resume_commands: Sequence[str] = (),
    cancelled_key: str = N_("flow.cancelled"),
    help_key: str = N_("flow.help_inside"),
    on_command: Callable[[Update, BotContext], Coroutine[Any, Any, object]] | None = None,
) -> list[BaseHandler[Update, BotContext, object]]:
    """Handlers every flow shares while it is open.

    ``/cancel`` leaves it (saying ``cancelled_key``); ``/language`` and ``/help`` (saying
    ``help_key``) are served without leaving and the current question is asked again; the
    flow's own entry commands (``resume_commands``) resume it; any other command, a stale button
    or an unexpected kind of message gets a short explanation and the question again. The step
    never changes except by ``/cancel``.

    ``on_command``: for a flow where nothing is half-typed (one question, answered in one
    message), every other command (its entry commands too) goes there instead: the flow ends
    and the command runs (see :func:`hand_over`), rather than "busy" or "resumed".
    """

    async def cancel(update: Update, context: BotContext) -> int:
        await acknowledge(update)
        if on_cancel is not None:  # the flow discards its draft, or whatever it keeps
            await on_cancel(update, context)
        else:
            await context.services.flows.move(ref(update), conversation, None)
        await send(update, context, context.t(cancelled_key))
        return END

    async def reask(update: Update, context: BotContext) -> None:
        state = current_state(update, context, conversation)
        if state is not None:
            await prompt(update, context, state)

    async def language(update: Update, context: BotContext) -> None:
        args = context.args or []
        choice = pick(" ".join(args), LANGUAGE_CHOICES) if args else None
        if choice is None:
            # The buttons; typed right after, "1"/"2" or a language's name picks it (not the
            # flow's question): see typed_language_inside. Any other message ends that.
            await send(update, context, context.t("language.ask_inside"), language_markup(context))
            assert context.user_data is not None
            LANGUAGE_INSIDE.remember(context.user_data, _language_options())
            return
        await _set_language(update, context, choice)

    async def language_button(update: Update, context: BotContext) -> None:
        await acknowledge(update)
        data = update.callback_query.data if update.callback_query else None
        await _set_language(update, context, (data or "lang:vi").split(":", 1)[1])

    async def _set_language(update: Update, context: BotContext, choice: str) -> None:
        LANGUAGE_INSIDE.forget(context.user_data or {})
        await switch_language(update, context, choice, conversation)
        await send(update, context, context.t("language.changed"))
        await reask(update, context)

    def explain(key: str) -> Callable[[Update, BotContext], Coroutine[Any, Any, None]]:
        """A short explanation, then the current question again."""

        async def handler(update: Update, context: BotContext) -> None:
            await send(update, context, context.t(key))
            await reask(update, context)

        return handler

    async def stale_button(update: Update, context: BotContext) -> None:
        await acknowledge(update, context.t("button.stale"), alert=False)

    handlers: list[BaseHandler[Update, BotContext, object]] = [
        # An invitation's or a menu's deep link (/start <payload>) opened meanwhile: not lost
        # in silence; the person finishes (or cancels) this first, then opens it again.
        CommandHandler("start", explain(N_("flow.link_later")), filters=START_WITH_PAYLOAD),
        CommandHandler("cancel", cancel),
        MessageHandler(TEXT & STOP, cancel),  # «hủy», «thoát»
        LanguageInside(language, _set_language),
        CallbackQueryHandler(language_button, pattern=r"^lang:(vi|en)$"),
        CommandHandler("help", explain(help_key)),
    ]
    if on_command is not None:
        handlers.append(MessageHandler(filters.COMMAND, on_command))
    elif resume_commands:
        handlers.append(CommandHandler(list(resume_commands), explain(N_("flow.resumed"))))
    handlers += [
        MessageHandler(filters.COMMAND, explain(N_("flow.busy"))),
        # Any other button is stale here; a read-only one goes on to its own handler.
        CallbackQueryHandler(stale_button, pattern=_not_read_only),
        MessageHandler(filters.ALL, explain(N_("error.expect_text"))),
    ]
    return handlers


def _language_options() -> list[Option]:
    return [
        Option(f"lang:{choice.value}", (*choice.labels, *choice.aliases))
        for choice in LANGUAGE_CHOICES
    ]


class LanguageInside(CommandHandler[BotContext, object]):
    """``/language`` inside a flow (one of its fallbacks): the language buttons. ``choose``
    stores the language picked and asks the flow's question again (in that language); it is
    also what :func:`typed_language_inside` calls for the buttons' typed form."""

    def __init__(
        self,
        callback: Callable[[Update, BotContext], Coroutine[Any, Any, None]],
        choose: Callable[[Update, BotContext, str], Coroutine[Any, Any, None]],
    ) -> None:
        super().__init__("language", callback)
        self.choose = choose


def typed_language_inside(
    states: FlowStates, flows: Callable[[str], ConversationHandler[BotContext] | None]
) -> Callable[[Update, BotContext], Coroutine[Any, Any, None]]:
    """Before the flows (every private update): right after ``/language`` inside a flow, "1",
    "2" or a language's name (exactly, no fuzzy match: the message may be the answer to the
    flow's question) picks the language, and the flow's question is asked again; anything
    else, a button press included, ends that. ``flows``: a flow by its name."""

    async def handler(update: Update, context: BotContext) -> None:
        data = context.user_data
        options = LANGUAGE_INSIDE.options(data)
        if not options:
            return
        assert data is not None
        LANGUAGE_INSIDE.end(data)
        if update.message is None or update.message.text is None:
            return  # a button (a language's: its fallback takes it), a photo...
        folded = fold(update.message.text)
        picked = next(
            (
                option.data
                for option in options
                if typed_number(folded) == option.number
                or folded in {fold(label) for label in option.labels}
            ),
            None,
        )
        name = states.active(BotContext.key_of(update))
        flow = flows(name) if name is not None else None
        if picked is None or flow is None:
            return
        command = next((h for h in flow.fallbacks if isinstance(h, LanguageInside)), None)
        if command is None:
            return
        await command.choose(update, context, picked.removeprefix("lang:"))
        raise ApplicationHandlerStop

    return handler


def numbers_text(context: BotContext, low: int, high: int) -> Safe:
    """What may be typed, for "Vui lòng gõ {numbers}": "một số từ 1 đến 3", or "số 1" when
    there is one choice (never "từ 1 đến 1")."""
    if low >= high:
        return Safe(context.t("pick.one", n=low))
    return Safe(context.t("pick.range", low=low, high=high))


def one_of_text(context: BotContext, labels: Sequence[str]) -> Safe:
    """Labels (plain text, escaped here) as the person's language lists alternatives:
    «A», «B» hoặc «C» / «A», «B», or «C» (Babel's list patterns)."""
    quoted = [context.t("choice.quote", text=label) for label in labels]
    return Safe(format_list(quoted, style="or", locale=context.locale))


async def which_of(
    update: Update,
    context: BotContext,
    typed: str,
    labels: Sequence[str],
    markup: InlineKeyboardMarkup | None = None,
) -> None:
    """«lọc» typed where it starts several buttons' labels: ask which one, without guessing
    (``markup``: those buttons again, numbered, when the screen keeps their typed numbers)."""
    await send(
        update,
        context,
        context.t("choice.which", typed=clean(typed), options=one_of_text(context, labels)),
        markup,
    )


# "Which unit?" after a name that starts several units: the next message may name one of
# them by a word that is not its first («sở», «ubnd»).
UNIT_WHICH = Screen("unit_which")


async def typed_unit(update: Update, context: BotContext, text: str, prefix: str) -> UnitMatch:
    """The unit ``text`` names: one of those just offered by «which unit?» (a word of its
    name: «sở»), else its number in the list, its name or a short form («VP Sở»). Words that
    start several units («văn phòng») get that question (buttons ``prefix`` + index, numbered
    as in the whole list) and come back in ``several``; ``UnitMatch(None)``: none of the list."""
    units = context.services.units
    options = UNIT_WHICH.options(context.user_data)
    end_unit_question(context)
    asked = words_in_one(text, [Choice(o.data, o.labels) for o in options])
    if asked is not None:
        return UnitMatch(units[int(asked.rsplit(":", 1)[1])])
    found = units.match(text)
    if found.unit is not None or len(found.several) < 2:
        return UnitMatch(found.unit)
    rows = [[(f"{i + 1}. {units[i]}", f"{prefix}{i}")] for i in found.several]
    question = context.t("onboarding.unit_which", text=clean(text))
    await send(update, context, question, keyboard(rows))
    assert context.user_data is not None
    UNIT_WHICH.remember(
        context.user_data,
        [
            Option(f"{prefix}{i}", (units[i], *units.aliases.get(units[i], ())), i + 1)
            for i in found.several
        ],
    )
    return found


def end_unit_question(context: BotContext) -> None:
    """The question «which unit?» is over (a button pressed, another message)."""
    UNIT_WHICH.forget(context.user_data or {})


class ScreenPick(filters.MessageFilter):
    """Text that picks, on the person's last ``screen`` of that kind, a button whose data
    matches ``pattern`` (by its number or label). The screen's memory is in ``user_data``,
    which a filter does not get with the message: it is given the application's live view.
    A data filter: the handler finds the button's data in ``context.picked``. ``once``: the
    screen answers the next message only (any other text ends its memory)."""

    def __init__(
        self,
        user_data: Mapping[int, dict[Any, Any]],
        screen: Screen,
        pattern: str,
        *,
        live_only: bool = True,
        once: bool = False,
    ) -> None:
        super().__init__(name=f"ScreenPick({screen.key})", data_filter=True)
        self.user_data = user_data
        self.screen = screen
        self.pattern = re.compile(pattern)
        self.live_only = live_only
        self.once = once

    def filter(self, message: Message) -> dict[str, list[Any]] | bool:
        if message.from_user is None:
            return False
        data = self.user_data.get(message.from_user.id)
        picked = self.screen.pick(data, message.text or "", live_only=self.live_only)
        if self.once and data is not None and self.screen.options(data):
            self.screen.end(data)
        if picked is None or not self.pattern.match(picked):
            return False
        return {"picked": [picked]}
