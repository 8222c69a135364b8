"""The office's side of the rules Q&A: questions the documents do not answer go to
``OFFICE_CHAT_ID`` (or to each admin); an office member answers by replying to that message (or
``/reply ID text``); the bot relays the answer and offers to keep it as a curated entry.

Also for admins: ``/questions`` (unanswered ones), ``/faq_add`` (a curated entry: a short
conversation, or ``/faq_add question | answer | source``) and documents sent with the caption
``/kb_add``.

Replies in the office group arrive before :func:`handlers.common.gate` (which stops group
traffic): the handlers registered there (group -30) identify the person themselves and stop the
update once they have handled it.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Coroutine, Mapping
from typing import Any

from telegram import Update
from telegram.constants import ChatType
from telegram.error import BadRequest, TelegramError
from telegram.ext import (
    ApplicationHandlerStop,
    CallbackQueryHandler,
    CommandHandler,
    ConversationHandler,
    MessageHandler,
    filters,
)

from bot.config import Settings
from bot.domain.choices import Choice
from bot.domain.text import as_id, clean, fold, shorten
from bot.i18n import N_, NP_
from bot.kb import readers
from bot.services import knowledge as kb
from bot.services.container import Services
from bot.services.knowledge import FAQ_LIMITS, OfficeQuestion, TooLongForFaq
from bot.tg.context import BotContext
from bot.tg.screen import Option, Screen, Typed
from bot.tg.ui import acknowledge, keyboard, send, split_text
from handlers.common import (
    ANSWER_TEXT,
    END,
    TEXT,
    NotInFlow,
    ScreenPick,
    ask_step,
    choice_of,
    flow_fallbacks,
    identify,
    may_enter,
    new_stamp,
    pick,
    ref,
    stamped,
    text_of,
    user_dict,
)

log = logging.getLogger(__name__)

FAQ_FLOW = "faq_add"
FAQ_STATES = ("question", "answer", "source")
FAQ_DRAFT = "faq_draft"  # user_data key
FAQ_PROMPTS = {
    "question": N_("kb.faq.ask_question"),
    "answer": N_("kb.faq.ask_answer"),
    "source": N_("kb.faq.ask_source"),
}
MAX_UPLOAD_BYTES = readers.MAX_UPLOAD_BYTES
IMPORT_ERRORS = {
    "unsupported": N_("kb.error.unsupported"),
    "too_large": N_("kb.error.too_large"),
    "unreadable": N_("kb.error.unreadable"),
    "empty": N_("kb.error.empty"),
    "download": N_("kb.error.download"),
}
SAVE_ALIASES = ("luu", "lưu", "luu lai", "save", "faq")
# Typed right after "save it as an FAQ?": no (said, rather than sent to the rules Q&A).
NO_SAVE_WORDS = (
    *("khong", "khong luu", "dung luu", "khong can", "khong can luu", "bo qua", "thoi"),
    *("no", "don t save", "dont save", "skip"),
)
# The confirmation that an answer was relayed, in a private chat: its "save as FAQ" button
# typed right after ("1", "lưu", its label). (In the office group: a reply "lưu" to it.)
SAVE_SCREEN = Screen("office_save_faq", ttl=30 * 60)
KB_ADD_CAPTION = r"^/kb_add(?:@\w+)?(?:\s|$)"


def _is_admin(context: BotContext) -> bool:
    return context.user is not None and context.user.is_admin


async def _denied(update: Update, context: BotContext) -> bool:
    """Refuse (and return ``True``) when the person is not an admin."""
    if _is_admin(context):
        return False
    await send(update, context, context.t("admin.denied"))
    return True


def _name_of(context: BotContext) -> tuple[str, str]:
    user = context.user
    if user is None:
        return str(context.user_id), context.t("profile.none")
    return user.display_name, user.profile.unit or context.t("profile.none")


# --- the asker's side: passing a question to the office ----------------------------------------


async def send_to_office(
    update: Update, context: BotContext, question: str, *, recorded: bool = False
) -> None:
    """Store the question, post it to the office chat (or to each admin) and tell the asker.
    ``recorded``: the update was recorded as processed already (by the step that kept the
    question as an invitation's note), in the same handler."""
    services = context.services
    chat = update.effective_chat
    assert chat is not None
    stored = await services.knowledge.submit_question(
        context.user_id, chat.id, question, update_id=None if recorded else update.update_id
    )
    name, unit = _name_of(context)
    targets: list[tuple[int, str]] = []
    default = services.settings.default_language
    if services.settings.office_chat_id is not None:
        targets.append((services.settings.office_chat_id, default))
    else:
        for admin_id in await services.users.admin_ids():
            admin = await services.users.get(admin_id)
            targets.append((admin_id, admin.locale(default) if admin else default))
    posted = 0
    for chat_id, locale in targets:
        text = services.translator(
            locale, "kb.office.new_question", id=stored.id, name=name, unit=unit, question=question
        )
        try:
            message = await context.bot.send_message(chat_id, text)
        except TelegramError as exc:  # the admin never opened the bot, the bot left the group
            log.warning("could not post question %s to %s: %s", stored.id, chat_id, exc)
            continue
        await services.knowledge.link_office_message(stored.id, chat_id, message.message_id)
        posted += 1
    key = N_("kb.office.sent") if posted else N_("kb.office.saved_only")
    await send(update, context, context.t(key, id=stored.id, question=question))


# --- the office's side: answering --------------------------------------------------------------


def office_chats(settings: Settings) -> filters.BaseFilter:
    """Where office members answer: the office group, and admins' private chats."""
    where: filters.BaseFilter = filters.ChatType.PRIVATE
    if settings.office_chat_id is not None:
        where = where | filters.Chat(settings.office_chat_id)
    return where


def office_group(settings: Settings) -> filters.BaseFilter | None:
    if settings.office_chat_id is None:
        return None
    return filters.Chat(settings.office_chat_id) & filters.UpdateType.MESSAGE


def _in_office_chat(update: Update, context: BotContext) -> bool:
    chat = update.effective_chat
    return chat is not None and chat.id == context.services.settings.office_chat_id


async def _may_answer(update: Update, context: BotContext) -> bool:
    """Members of the office group, and admins anywhere."""
    if _in_office_chat(update, context) or _is_admin(context):
        return True
    await send(update, context, context.t("admin.denied"))
    return False


async def on_reply(update: Update, context: BotContext) -> None:
    """A reply to a question the bot posted (office group or an admin's private chat): the
    answer to relay; a reply "lưu" to the bot's confirmation saves it as a curated entry.
    Any other reply goes on to the usual handlers."""
    message = update.message
    chat = update.effective_chat
    if message is None or chat is None or message.reply_to_message is None:
        return
    question = await context.services.knowledge.question_for_office_message(
        chat.id, message.reply_to_message.message_id
    )
    if question is None:
        return
    await identify(update, context)
    if await _may_answer(update, context):
        text = (message.text or "").strip()
        save = Choice("save", context.labels("kb.office.save_faq_button"), SAVE_ALIASES)
        if question.answer is not None and pick(text, [save]) == "save":
            await _save_faq(update, context, question.id)
        else:
            await _record_answer(update, context, question.id, text)
    raise ApplicationHandlerStop


async def reply_in_group(update: Update, context: BotContext) -> None:
    """``/reply ID text`` in the office group (one message: no conversation in a group)."""
    if await _denied(update, context):
        return
    message = update.effective_message
    parts = (message.text or "").split(maxsplit=2) if message is not None else []
    ident = as_id(parts[1].lstrip("#")) if len(parts) == 3 else None
    if ident is None or not fold(parts[2]):
        await send(update, context, context.t("kb.office.reply_usage"))
        return
    await _record_answer(update, context, ident, parts[2].strip())


async def _record_answer(update: Update, context: BotContext, question_id: int, text: str) -> None:
    services = context.services
    if not fold(text):
        await send(update, context, context.t("error.text_short"))
        return
    question = await services.knowledge.answer_question(question_id, context.user_id, text)
    if question is None:
        await send(update, context, context.t("kb.office.unknown", id=question_id))
        return
    if question.answered_by != context.user_id or question.answer != text:
        await send(
            update,
            context,
            context.t("kb.office.already_answered", id=question_id, answer=question.answer or ""),
        )
        return
    delivered = await _relay(context, question)
    asker = await services.users.get(question.user_id)
    key = N_("kb.office.relayed") if delivered else N_("kb.office.not_delivered")
    text = context.t(key, id=question.id, name=asker.display_name if asker else question.user_id)
    limit = FAQ_LIMITS["answer"]
    if len(question.answer or "") > limit:  # too long to keep as an entry: no button for it
        await send(
            update, context, text + "\n\n" + context.t("kb.office.faq_too_long", limit=limit)
        )
        return
    markup = keyboard([[(context.t("kb.office.save_faq_button"), f"kb:faq:{question.id}")]])
    sent = await send(update, context, text + "\n\n" + context.t("kb.office.save_hint"), markup)
    if sent is not None:  # a reply "lưu" to it saves the entry (typed form of the button)
        await services.knowledge.link_office_message(question.id, sent.chat_id, sent.message_id)
        chat = update.effective_chat
        if chat is not None and chat.type == ChatType.PRIVATE and context.user_data is not None:
            labels = (*context.labels("kb.office.save_faq_button"), *SAVE_ALIASES)
            SAVE_SCREEN.remember(
                context.user_data,
                [
                    Option(f"kb:faq:{question.id}", labels),
                    Option("kb:nosave", number=0, answers=NO_SAVE_WORDS),
                ],
            )


async def typed_save(update: Update, context: BotContext) -> None:
    """Before the flows and the main menu (private chats): right after the confirmation that
    an answer was relayed, "1", "lưu" or the button's label saves it as a curated entry (not
    the main menu's "1"). Any other message ends that."""
    data = context.user_data
    if update.message is None or not SAVE_SCREEN.options(data):
        return
    if context.services.states.active(BotContext.key_of(update)) is not None:
        SAVE_SCREEN.end(data)
        return
    if SAVE_SCREEN.answer(data, text_of(update)) == "kb:nosave":  # «không lưu»
        SAVE_SCREEN.end(data)
        await send(update, context, context.t("kb.office.not_saved"))
        raise ApplicationHandlerStop
    resolved = SAVE_SCREEN.resolve(data, text_of(update))
    if resolved.kind is not Typed.PICKED or resolved.data is None:
        SAVE_SCREEN.end(data)  # "2" is the menu's: one button here
        return
    if not _is_admin(context):  # no longer an admin since
        await send(update, context, context.t("admin.denied"))
        raise ApplicationHandlerStop
    await _save_faq(update, context, int(resolved.data.rsplit(":", 1)[1]))
    raise ApplicationHandlerStop


async def _relay(
    context: BotContext, question: OfficeQuestion, *, supplement: str | None = None
) -> bool:
    """The office's answer to the asker, in the asker's language (``supplement``: only that,
    as an addition to the answer given before)."""
    services = context.services
    asker = await services.users.get(question.user_id)
    default = services.settings.default_language
    locale = asker.locale(default) if asker else default
    key = N_("kb.office.relay") if supplement is None else N_("kb.office.relay_more")
    answer = (question.answer or "") if supplement is None else supplement
    text = services.translator(locale, key, question=question.question, answer=answer)
    try:  # a long answer, with the question above it, may need two messages
        for part in split_text(text):
            await context.bot.send_message(question.chat_id, part)
    except TelegramError as exc:  # blocked the bot, deleted the account
        log.info("could not relay the answer to question %s: %s", question.id, exc)
        return False
    return True


async def faq_button(update: Update, context: BotContext) -> None:
    """``kb:faq:<id>``: keep the office's answer as a curated entry."""
    await identify(update, context)
    query = update.callback_query
    assert query is not None
    if not (_in_office_chat(update, context) or _is_admin(context)):
        await acknowledge(update, context.t("admin.denied"), alert=True)
        raise ApplicationHandlerStop
    await acknowledge(update)
    await _save_faq(update, context, int((query.data or "").rsplit(":", 1)[1]))
    raise ApplicationHandlerStop


async def faqs_command(update: Update, context: BotContext) -> None:
    """``/faqs`` (admins): the curated answers, to find one to remove."""
    if await _denied(update, context):
        return
    entries = await context.services.knowledge.faq_entries()
    if not entries:
        await send(update, context, context.t("kb.faq.list_none"))
        return
    lines = [context.t(NP_("kb.faq.list_title", "count"), count=len(entries))]
    for entry in entries:
        lines.append(
            context.t("kb.faq.list_item", id=entry.id, question=shorten(clean(entry.question), 200))
        )
    lines.append(context.t("kb.faq.list_hint"))
    await send(update, context, "\n\n".join(lines))


async def faq_remove_command(update: Update, context: BotContext) -> None:
    """``/faq_remove <number>`` (admins): a curated answer is no longer given."""
    if await _denied(update, context):
        return
    message = update.effective_message
    parts = (message.text or "").split() if message is not None else []
    ident = as_id(parts[1].lstrip("#")) if len(parts) == 2 else None
    if ident is None:
        await send(update, context, context.t("kb.faq.remove_usage"))
        return
    removed = await context.services.knowledge.remove_faq(ident)
    key = N_("kb.faq.removed") if removed else N_("kb.faq.remove_unknown")
    await send(update, context, context.t(key, id=ident))


async def _save_faq(update: Update, context: BotContext, question_id: int) -> None:
    try:
        entry = await context.services.knowledge.save_answer_as_faq(question_id, context.user_id)
    except TooLongForFaq as exc:
        await send(update, context, context.t("kb.office.faq_too_long", limit=exc.limit))
        return
    if entry is None:
        await send(update, context, context.t("kb.office.faq_failed", id=question_id))
        return
    # What is now public, and how to take it back (a personal reply saved by a slip).
    saved = context.t(
        "kb.office.faq_saved",
        id=entry.id,
        question=shorten(clean(entry.question), 300),
        answer=shorten(clean(entry.answer), 600),
    )
    await send(update, context, saved)


async def questions_command(update: Update, context: BotContext) -> None:
    """``/questions`` (admins): the questions waiting for an answer."""
    if await _denied(update, context):
        return
    services = context.services
    pending = await services.knowledge.unanswered()
    if not pending:
        await send(update, context, context.t("kb.office.questions_none"))
        return
    lines = [context.t("kb.office.questions_title", count=len(pending))]
    for question in pending:
        asker = await services.users.get(question.user_id)
        lines.append(
            context.t(
                "kb.office.questions_item",
                id=question.id,
                date=question.asked_at.astimezone(services.settings.tz).strftime("%d/%m %H:%M"),
                name=asker.display_name if asker else question.user_id,
                question=question.question[:300],
            )
        )
    chat = update.effective_chat
    if chat is None or chat.type != ChatType.PRIVATE or context.user_data is None:
        lines.append(context.t("kb.office.questions_hint_group"))
        await send(update, context, "\n\n".join(lines))
        return
    # A button per question (or its number typed) asks for the answer: see build_reply.
    lines.append(context.t("kb.office.questions_hint"))
    labels = [
        (context.t("kb.office.answer_button", id=q.id), f"{REPLY_PREFIX}{q.id}") for q in pending
    ]
    rows = [labels[i : i + 3] for i in range(0, len(labels), 3)]
    await send(update, context, "\n\n".join(lines), keyboard(rows))
    QUESTIONS_SCREEN.remember(
        context.user_data,
        [
            Option(data, (text, f"#{q.id}"), q.id)
            for (text, data), q in zip(labels, pending, strict=True)
        ],
    )


Callback = Callable[[Update, BotContext], Awaitable[None]]


def in_office_group(
    callback: Callback,
) -> Callable[[Update, BotContext], Coroutine[Any, Any, None]]:
    """A command of the office group (runs before the gate): identify, answer, stop."""

    async def handler(update: Update, context: BotContext) -> None:
        await identify(update, context)
        await callback(update, context)
        raise ApplicationHandlerStop

    handler.__name__ = f"office_{callback.__name__}"
    return handler


# --- /faq_add ----------------------------------------------------------------------------------


def _draft(context: BotContext) -> dict[str, Any]:
    return user_dict(context, FAQ_DRAFT)


async def faq_prompt(update: Update, context: BotContext, state: str) -> None:
    text = context.t(FAQ_PROMPTS.get(state, FAQ_PROMPTS["question"]))
    if state == "source":  # optional: skipped, the source is the office
        await send(update, context, text, keyboard([[(context.t("kb.faq.skip"), "faq:skip")]]))
        return
    await send(update, context, text)


def _default_source(context: BotContext) -> str:
    """The source of an entry whose source was skipped: the office (in the bot's language,
    which is what people read first)."""
    services = context.services
    return services.translator(services.settings.default_language, "kb.faq.default_source")


SKIP_SOURCE_WORDS = ("bo qua", "skip", "khong co", "khong", "-")


async def _add_faq(
    update: Update, context: BotContext, question: str, answer: str, source: str
) -> None:
    entry = await context.services.knowledge.add_faq(
        question, answer, source, context.user_id, update_id=update.update_id
    )
    await send(
        update,
        context,
        context.t(
            "kb.faq.added",
            id=entry.id,
            question=entry.question,
            answer=entry.answer,
            source=entry.source,
        ),
    )


async def faq_begin(update: Update, context: BotContext) -> str | int:
    """``/faq_add`` (admins), or ``/faq_add question | answer | source`` in one line."""
    if await _denied(update, context):
        return END
    message = update.effective_message
    parts = (message.text or "").split(maxsplit=1) if message is not None else []
    if len(parts) > 1:
        fields = [clean(field) for field in parts[1].split("|")]
        if len(fields) != 3 or not all(fold(field) for field in fields):
            await send(update, context, context.t("kb.faq.usage"))
            return END
        for name, value in zip(FAQ_STATES, fields, strict=True):
            if len(value) > FAQ_LIMITS[name]:
                await send(
                    update,
                    context,
                    context.t("error.too_long", limit=FAQ_LIMITS[name], length=len(value)),
                )
                return END
        await _add_faq(update, context, *fields)
        return END
    _draft(context).clear()
    await context.services.flows.move(ref(update), FAQ_FLOW, "question")
    await faq_prompt(update, context, "question")
    return "question"


def _faq_step(
    field: str,
) -> Callable[[Update, BotContext], Coroutine[Any, Any, str | int | None]]:
    following = {"question": "answer", "answer": "source"}

    async def on_text(update: Update, context: BotContext) -> str | int | None:
        value = clean(text_of(update))
        if field == "source":  # "Bỏ qua" (pressed, typed, /boqua): the office
            skip = Choice("skip", context.labels("kb.faq.skip"), SKIP_SOURCE_WORDS)
            if update.callback_query is not None or update.message is None:
                await acknowledge(update)
                value = _default_source(context)
            elif (update.message.text or "").split("@")[0] in ("/boqua", "/skip") or (
                pick(value, [skip]) == "skip"
            ):
                value = _default_source(context)
        if not fold(value):
            await send(update, context, context.t("error.text_short"))
            return None
        if len(value) > FAQ_LIMITS[field]:
            await send(
                update,
                context,
                context.t("error.too_long", limit=FAQ_LIMITS[field], length=len(value)),
            )
            return None
        draft = _draft(context)
        draft[field] = value
        missing = next((name for name in FAQ_STATES[:2] if not draft.get(name)), None)
        if missing is not None:
            # The draft was lost (a crash before it was flushed): ask again from there.
            await context.services.flows.move(ref(update), FAQ_FLOW, missing)
            await faq_prompt(update, context, missing)
            return missing
        if field in following:
            state = following[field]
            await context.services.flows.move(ref(update), FAQ_FLOW, state)
            await faq_prompt(update, context, state)
            return state
        await _add_faq(update, context, draft["question"], draft["answer"], value)
        # add_faq recorded the update with its effect
        await context.services.flows.move(ref(update), FAQ_FLOW, None, record=False)
        draft.clear()
        return END

    on_text.__name__ = f"on_faq_{field}"
    return on_text


async def faq_cancel(update: Update, context: BotContext) -> None:
    _draft(context).clear()
    await context.services.flows.move(ref(update), FAQ_FLOW, None)


def build_faq(services: Services) -> ConversationHandler[BotContext]:
    guard = NotInFlow(services.states)
    return ConversationHandler(
        name=FAQ_FLOW,
        persistent=True,
        entry_points=[CommandHandler("faq_add", faq_begin, filters=guard)],
        states={
            **{name: [MessageHandler(ANSWER_TEXT, _faq_step(name))] for name in FAQ_STATES[:2]},
            "source": [
                CallbackQueryHandler(_faq_step("source"), pattern=r"^faq:skip$"),
                CommandHandler(["boqua", "skip"], _faq_step("source")),
                MessageHandler(ANSWER_TEXT, _faq_step("source")),
            ],
        },
        fallbacks=flow_fallbacks(
            FAQ_FLOW,
            faq_prompt,
            faq_cancel,
            resume_commands=("faq_add",),
            help_key=N_("kb.faq.help_inside"),
        ),
    )


# --- /reply in a private chat: guided, and a supplement once answered ----------------------------

REPLY_FLOW = "office_reply"
REPLY_DRAFT = "office_reply"  # user_data key: {"id": question id, "text": a supplement to confirm}
REPLY_PREFIX = "kb:ans:"  # a /questions button: answer question <id>
MORE_PREFIX = "kb:more:"  # the supplement's confirmation: yes|no (marked for its screen)
QUESTIONS_SCREEN = Screen("office_questions", ttl=30 * 60)  # /questions: its numbers typed
MORE_OPTIONS = (
    ("yes", N_("kb.office.more_send"), ("gui", "gui bo sung", "gui di", "co", "yes", "send")),
    ("no", N_("kb.office.more_keep"), ("khong", "khong gui", "thoi", "no", "dont send")),
)


def _reply_draft(context: BotContext) -> dict[str, Any]:
    return user_dict(context, REPLY_DRAFT)


async def reply_begin(update: Update, context: BotContext) -> str | int:
    """``/reply`` (admins, private chat): the questions waiting, each with a button;
    ``/reply ID``: asks for the answer (a supplement once it is answered); ``/reply ID text``:
    sends it at once (a supplement is confirmed first). Also a /questions button
    (``kb:ans:<id>``) or its number typed right after the list."""
    if not await may_enter(update, context) or await _denied(update, context):
        return END
    if context.user_data is not None:
        QUESTIONS_SCREEN.forget(context.user_data)
    query = update.callback_query
    if query is not None or context.picked:
        data = (query.data or "") if query is not None else context.picked[0]
        parts = ["/reply", data.removeprefix(REPLY_PREFIX)]
    else:
        message = update.effective_message
        parts = (message.text or "").split(maxsplit=2) if message is not None else []
    if len(parts) < 2:
        await questions_command(update, context)
        return END
    ident = as_id(parts[1].lstrip("#"))
    if ident is None:
        await send(update, context, context.t("kb.office.reply_usage"))
        return END
    question = await context.services.knowledge.question(ident)
    if question is None:
        await send(update, context, context.t("kb.office.unknown", id=ident))
        return END
    draft = _reply_draft(context)
    draft.clear()
    draft["id"] = ident
    text = parts[2].strip() if len(parts) > 2 else ""
    if not fold(text):
        return await ask_step(update, context, REPLY_FLOW, "answer", reply_prompt)
    if question.answer is None:
        await _record_answer(update, context, ident, text)
        draft.clear()
        return END
    draft["text"] = text  # typed before knowing it was answered: ask before sending
    return await ask_step(update, context, REPLY_FLOW, "more", reply_prompt)


async def _draft_question(context: BotContext) -> OfficeQuestion | None:
    """The question being answered (``None``: the draft or the question is gone)."""
    ident = as_id(str(_reply_draft(context).get("id", "")))
    return await context.services.knowledge.question(ident) if ident else None


async def reply_prompt(update: Update, context: BotContext, state: str) -> None:
    draft = _reply_draft(context)
    question = await _draft_question(context)
    if question is None:
        await send(update, context, context.t("kb.office.reply_lost"))
        return
    asked = shorten(clean(question.question), 600)
    answer = shorten(question.answer or "", 1500)
    if state == "answer":
        if question.answer is None:
            text = context.t("kb.office.ask_answer", id=question.id, question=asked)
        else:
            text = context.t("kb.office.ask_more", id=question.id, question=asked, answer=answer)
        await send(update, context, text)
        return
    draft["stamp"] = stamp = new_stamp()  # only these buttons send this supplement
    buttons = [
        [(context.t(key), stamped(f"{MORE_PREFIX}{value}", stamp))]
        for value, key, _ in MORE_OPTIONS
    ]
    text = context.t(
        "kb.office.confirm_more",
        id=question.id,
        answer=answer,
        text=shorten(str(draft.get("text", "")), 1500),
    )
    await send(update, context, text, keyboard(buttons))


async def _reply_end(update: Update, context: BotContext, *, record: bool = True) -> int:
    _reply_draft(context).clear()
    await context.services.flows.move(ref(update), REPLY_FLOW, None, record=record)
    return END


async def reply_text(update: Update, context: BotContext) -> str | int | None:
    """The answer typed for the question asked (state ``answer``): relayed; to a question
    answered already (or meanwhile), relayed as a supplement."""
    question = await _draft_question(context)
    if question is None:
        await send(update, context, context.t("kb.office.reply_lost"))
        return await _reply_end(update, context)
    text = text_of(update).strip()
    if not fold(text):
        await send(update, context, context.t("error.text_short"))
        return None
    if not _is_admin(context):
        await send(update, context, context.t("admin.denied"))
        return await _reply_end(update, context)
    if question.answer is None:
        await _record_answer(update, context, question.id, text)
        return await _reply_end(update, context)
    await _send_more(update, context, question.id, text)
    return await _reply_end(update, context, record=False)


async def reply_more(update: Update, context: BotContext) -> str | int | None:
    """«Gửi bổ sung» or «Không gửi» (pressed or typed) for a supplement typed with /reply."""
    draft = _reply_draft(context)
    choices = [Choice(value, context.labels(key), aliases) for value, key, aliases in MORE_OPTIONS]
    picked = await choice_of(update, context, choices, MORE_PREFIX, stamp=draft.get("stamp"))
    if picked is None:
        return None
    ident = as_id(str(draft.get("id", "")))
    text = str(draft.get("text", ""))
    if picked != "yes" or ident is None or not fold(text):
        await send(update, context, context.t("kb.office.more_kept"))
        return await _reply_end(update, context)
    if not _is_admin(context):
        await send(update, context, context.t("admin.denied"))
        return await _reply_end(update, context)
    await _send_more(update, context, ident, text)
    return await _reply_end(update, context, record=False)


async def _send_more(update: Update, context: BotContext, question_id: int, text: str) -> None:
    """Keep the supplement with the answer (recording this update) and relay it."""
    services = context.services
    question = await services.knowledge.add_to_answer(question_id, text, update_id=update.update_id)
    if question is None:
        await send(update, context, context.t("kb.office.unknown", id=question_id))
        return
    delivered = await _relay(context, question, supplement=text)
    asker = await services.users.get(question.user_id)
    name = asker.display_name if asker else question.user_id
    key = N_("kb.office.more_sent") if delivered else N_("kb.office.more_not_delivered")
    lines = [context.t(key, id=question.id, name=name)]
    if question.faq_id is not None:  # the curated entry keeps the first answer
        lines.append(context.t("kb.office.more_faq", faq=question.faq_id))
    await send(update, context, "\n\n".join(lines))


async def reply_cancel(update: Update, context: BotContext) -> None:
    await _reply_end(update, context)


def build_reply(
    services: Services, user_data: Mapping[int, dict[Any, Any]]
) -> ConversationHandler[BotContext]:
    """``/reply`` in a private chat (admins): the conversation. ``user_data``: the
    application's (the numbers of the last /questions list, typed)."""
    guard = NotInFlow(services.states)
    typed = ScreenPick(user_data, QUESTIONS_SCREEN, rf"^{REPLY_PREFIX}", once=True)
    private = filters.ChatType.PRIVATE
    return ConversationHandler(
        name=REPLY_FLOW,
        persistent=True,
        entry_points=[
            CommandHandler("reply", reply_begin, filters=guard & private),
            CallbackQueryHandler(reply_begin, pattern=rf"^{REPLY_PREFIX}\d{{1,18}}$"),
            MessageHandler(TEXT & private & guard & typed, reply_begin),
        ],
        states={
            "answer": [MessageHandler(ANSWER_TEXT, reply_text)],
            "more": [
                CallbackQueryHandler(reply_more, pattern=rf"^{MORE_PREFIX}"),
                MessageHandler(ANSWER_TEXT, reply_more),
            ],
        },
        fallbacks=flow_fallbacks(
            REPLY_FLOW,
            reply_prompt,
            reply_cancel,
            resume_commands=("reply",),
            help_key=N_("kb.office.help_inside"),
        ),
    )


# --- /kb_add: a document sent by an admin ------------------------------------------------------


async def kb_add(update: Update, context: BotContext) -> None:
    """A .docx/.txt/.pdf/.md with the caption ``/kb_add``, or ``/kb_add`` as the reply to such
    a file sent on its own (admins): imported at once."""
    if await _denied(update, context):
        return
    message = update.effective_message
    document = message.document if message is not None else None
    if document is None and message is not None and message.reply_to_message is not None:
        document = message.reply_to_message.document  # the reply to a file sent on its own
    if document is None:
        await send(update, context, context.t("kb.doc.how", limit=MAX_UPLOAD_BYTES // 2**20))
        return
    filename = document.file_name or "document"
    limit_mb = MAX_UPLOAD_BYTES // (1024 * 1024)
    try:
        readers.extension(filename)
        if document.file_size is not None and document.file_size > MAX_UPLOAD_BYTES:
            raise kb.KnowledgeError("too_large", f"{document.file_size} bytes")
        data = await _download(context, document.file_id)
        meta = await context.services.knowledge.import_bytes(filename, data)
    except kb.KnowledgeError as exc:
        log.info("document %r refused: %s", filename, exc)
        key = IMPORT_ERRORS.get(exc.code, IMPORT_ERRORS["unreadable"])
        await send(update, context, context.t(key, limit=limit_mb))
        return
    sections = (await context.services.knowledge.section_counts()).get(meta.id, 0)
    await send(update, context, context.t("kb.doc.added", title=meta.title, sections=sections))


async def _download(context: BotContext, file_id: str) -> bytes:
    try:
        file = await context.bot.get_file(file_id)
        return bytes(await file.download_as_bytearray())
    except BadRequest as exc:
        if "too big" in str(exc).lower():
            raise kb.KnowledgeError("too_large", str(exc)) from exc
        raise kb.KnowledgeError("download", str(exc)) from exc
    except TelegramError as exc:
        raise kb.KnowledgeError("download", str(exc)) from exc


def kb_add_filter() -> filters.BaseFilter:
    return (
        filters.ChatType.PRIVATE
        & filters.UpdateType.MESSAGE
        & filters.Document.ALL
        & filters.CaptionRegex(KB_ADD_CAPTION)
    )
