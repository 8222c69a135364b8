"""Rules Q&A in the chat: free text outside any flow, ``/hoi`` and ``/ask`` go to the knowledge
base (:class:`bot.services.knowledge.KnowledgeService`).

The answer quotes the passage (trimmed to what the question is about), its citation, up to three
"xem thêm" sections and 👍/👎. Right after an answer the person may type the number of a button
instead of pressing it (``typed_pick``, which runs before the main menu's typed choices). When
the documents do not answer, the question can be sent to the office (:mod:`handlers.office`).

What the last answers showed is kept per person in ``user_data["kb"]`` (JSON): ``q`` the last
question, ``last`` the id of the last answer message, ``msgs`` {message id: {"q", "s"}} of
recent answers (for 👍/👎 and the sections shown), ``sent`` the questions already passed to the
office. Sections offered as buttons are looked up by id in the knowledge base when pressed. The
buttons of the last answer (``s:<id>``, ``fb:1``, ``fb:0``, ``office``) are remembered for their
typed forms by :class:`bot.tg.screen.Screen` (``user_data["kb_screen"]``).
"""

from __future__ import annotations

import contextlib
import html
import itertools
import re
from typing import Any

from telegram import InlineKeyboardMarkup, Message, Update
from telegram.error import TelegramError
from telegram.ext import (
    ApplicationHandlerStop,
    CallbackQueryHandler,
    CommandHandler,
    ConversationHandler,
    MessageHandler,
)

from bot.domain.choices import Choice, is_number, plain_answer, typed_number
from bot.domain.intents import about_the_step, asked_of_the_bot, is_question
from bot.domain.text import clean, fold, shorten
from bot.i18n import N_
from bot.kb.models import Answer, Hit
from bot.services.container import Services
from bot.services.knowledge import FAQ_LIMITS
from bot.tg.context import BotContext
from bot.tg.replybot import Sent
from bot.tg.screen import Option as Button
from bot.tg.screen import Screen, Typed
from bot.tg.ui import acknowledge, keyboard, send
from handlers import office
from handlers.common import (
    ANSWER_TEXT,
    END,
    NotInFlow,
    flow_fallbacks,
    numbers_text,
    ref,
    text_of,
    user_dict,
)
from handlers.menu import MENU_WORDS, show_menu

FLOW = "ask"
QUESTION = "question"
KEY = "kb"  # user_data key
# The buttons of the last answer, for their typed forms (they stay: 👎 then 👍 on one answer).
SCREEN = Screen("kb_screen", sticky=True)

MAX_QUESTION = 500  # characters
PASSAGE_LIMIT = 1200  # characters of a quoted passage
MAX_ALTERNATIVES = 3
LABEL_LIMIT = 48  # characters of a "xem thêm" button
RECENT_MESSAGES = 6  # answers whose 👍/👎 and buttons still work

# Typed forms of the fixed buttons (besides their labels in every language).
EMOJI_OPTIONS = {"👍": "fb:1", "👎": "fb:0"}  # folding drops emoji: compared as typed
SEND_ALIASES = ("gui", "gửi", "gui di", "gui van phong", "send", "send it", "co", "yes")
HELPFUL_ALIASES = ("co ich", "huu ich", "dung", "useful", "helpful", "good")
UNHELPFUL_ALIASES = (
    *("khong co ich", "khong huu ich", "chua huu ich", "chua dung", "khong dung", "sai"),
    *("vo ich", "not useful", "not helpful", "unhelpful", "wrong", "bad"),
)
# Asked how to use a service of the bot (and the plans do not say): the way to it.
SERVICE_HINTS = {"initiative": N_("kb.hint.initiative"), "events": N_("kb.hint.events")}
# Greetings and thanks are not questions: they get the menu.
GREETINGS = frozenset(
    {
        "xin chao", "chao", "chao ban", "chao bot", "xin chao bot", "chao a", "xin chao a",
        "alo", "hello", "hi", "hey", "good morning", "good afternoon",
    }
)  # fmt: skip
THANKS = frozenset(
    {
        "cam on", "cam on ban", "cam on bot", "cam on a", "cam on nhe", "cam on nhieu",
        "xin cam on", "tks", "thanks", "thank you", "thanks a lot", "thank you very much",
    }
)  # fmt: skip
SMALL_TALK = GREETINGS | THANKS | {"ok", "oke", "vang", "da", "uh", "um", "test"}
# A bare answer typed when no question is waiting for it (a screen gone, a flow ended): no
# question for the documents, and never one to send to the office.
BARE_ANSWERS = frozenset(
    {
        *("co", "khong", "dong y", "khong dong y", "duoc", "khong duoc", "roi", "chua", "dung"),
        *("sai", "cam doan", "xin cam doan", "toi cam doan", "yes", "no", "agree", "i agree"),
    }
)
# Filler while thinking: neither a question to search for nor one to send to the office. The
# buttons of the last answer stay (its typed forms too): «chờ chút» then «gửi» sends the question.
FILLER = frozenset(
    {
        "cho chut", "cho ti", "cho xiu", "cho mot chut", "doi chut", "doi ti", "doi xiu",
        "doi mot chut", "de xem", "de toi xem", "de em xem", "hmm", "hm", "uhm", "a ha",
        "wait", "one moment", "hold on", "let me see", "let me think",
    }
)  # fmt: skip
# Folded syllables too common to locate the part of a passage a question is about.
_STOPWORDS_TEXT = (
    "a ai anh bao bi ca cac cai chi cho chua co cua da dang de den di do duoc gi hay hoac khi "
    "khong la lam lai luc ma minh moi mot nao neu nay nhieu nhu nhung noi o ra roi sao se the "
    "thi tren trong tu va van ve vi voi what when who how many much the of to is are for in on"
)
STOPWORDS = frozenset(_STOPWORDS_TEXT.split())
_SENTENCE = re.compile(r"(?<=[.;:!?])\s+(?=\S)")


# --- passages ----------------------------------------------------------------------------------


def _terms(question: str) -> tuple[set[str], set[str]]:
    words = [w for w in fold(question).split() if w not in STOPWORDS and len(w) > 1]
    pairs = {f"{a} {b}" for a, b in itertools.pairwise(words)}
    return set(words), pairs


def _units(text: str) -> list[tuple[str, bool]]:
    """The lines of ``text``, long ones cut into sentences: (text, starts a line)."""
    units: list[tuple[str, bool]] = []
    for line in text.split("\n"):
        line = line.strip()
        if not line:
            continue
        parts = _SENTENCE.split(line) if len(line) > 250 else [line]
        units += [(part, index == 0) for index, part in enumerate(parts)]
    return units


def trim_passage(text: str, question: str, limit: int = PASSAGE_LIMIT) -> str:
    """``text`` when short enough; otherwise its first line and the lines (or sentences) that
    hold the question's words, with their neighbours while room is left, in their order; each
    cut is marked with "…". Plain text (escape it before sending)."""
    text = text.strip()
    if len(text) <= limit:
        return text
    units = _units(text)
    if not units:
        return shorten(text, limit)
    words, pairs = _terms(question)

    def score(unit: str) -> float:
        tokens = fold(unit).split()
        found = words & set(tokens)
        joined = f" {' '.join(tokens)} "
        return len(found) + 0.5 * sum(1 for pair in pairs if f" {pair} " in joined)

    scores = [score(unit) for unit, _ in units]
    head_limit = min(300, limit // 3)
    chosen: dict[int, str] = {0: shorten(units[0][0], head_limit)}
    used = len(chosen[0])

    def take(index: int) -> bool:
        nonlocal used
        if index in chosen or not 0 <= index < len(units):
            return False
        unit = units[index][0]
        if used + len(unit) + 2 > limit:
            return False
        chosen[index] = unit
        used += len(unit) + 2
        return True

    ranked = sorted(range(1, len(units)), key=lambda i: (-scores[i], i))
    relevant = [i for i in ranked if scores[i] > 0]
    for index in relevant:
        if not take(index) and not chosen.keys() - {0}:
            # Even the best unit alone is too long: quote its beginning.
            chosen[index] = shorten(units[index][0], limit - used - 2)
            used = limit
    # Room left: the units right after (then before) the chosen ones, else the beginning.
    anchors = sorted(chosen) if relevant else [0]
    for offset in (1, -1, 2, -2, 3):
        for anchor in anchors:
            take(anchor + offset)
    if not relevant:
        for index in range(1, len(units)):
            if not take(index):
                break
    parts: list[str] = []
    previous = -1
    for index in sorted(chosen):
        line_start = units[index][1]
        if previous >= 0 and index != previous + 1:
            parts.append("\n…\n" if line_start else " … ")
        elif previous >= 0:
            parts.append("\n" if line_start else " ")
        parts.append(chosen[index])
        previous = index
    if previous < len(units) - 1:
        parts.append("\n…" if units[previous + 1][1] else " …")
    return "".join(parts)


def short_label(text: str, limit: int = LABEL_LIMIT) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip(" ,;:›") + "…"


def is_small_talk(text: str) -> bool:
    """A greeting, thanks, a bare number or no words at all: not a question."""
    folded = fold(text)
    return (
        not folded
        or is_number(folded.replace(" ", ""))
        or typed_number(folded) is not None
        or folded in SMALL_TALK
        or plain_answer(text) in SMALL_TALK | BARE_ANSWERS
    )


# --- rendering ---------------------------------------------------------------------------------


def _source(context: BotContext, hit: Hit) -> str:
    document = hit.document
    title = document.title
    if document.number and document.number not in title:
        title = f"{title} ({document.number})"
    return context.t("kb.source", citation=hit.citation, title=title)


def _passage(hit: Hit, question: str) -> str:
    return html.escape(trim_passage(hit.section.text, question), quote=False)


def render_answer(context: BotContext, answer: Answer, *, more: bool = True) -> str:
    """The reply to ``answer``; ``more``: say that the buttons below show other passages."""
    question = answer.question
    if answer.faq is not None:
        faq = answer.faq
        body = html.escape(shorten(faq.answer.strip(), FAQ_LIMITS["answer"]), quote=False)  # whole
        return (
            context.t("kb.faq_header")
            + f"\n\n{body}\n\n"
            + context.t("kb.faq_source", source=faq.source)
        )
    if answer.abstained or answer.best is None:
        text = context.t("kb.abstain")
        if _alternatives(answer):
            text += "\n\n" + context.t("kb.related")
        return text
    if answer.also:
        blocks = [context.t("kb.answer_both")]
        for hit in (answer.best, *answer.also):
            blocks.append(
                f"<b>{html.escape(hit.document.short_title, quote=False)}</b>\n"
                f"{_passage(hit, question)}\n{_source(context, hit)}"
            )
        text = "\n\n".join(blocks)
    else:
        text = (
            context.t("kb.answer_header")
            + f"\n\n{_passage(answer.best, question)}\n\n"
            + _source(context, answer.best)
        )
    if more and _alternatives(answer):
        text += "\n\n" + context.t("kb.more_hint")
    return text


def render_section(context: BotContext, hit: Hit, question: str) -> str:
    return (
        context.t("kb.section_header")
        + f"\n\n{_passage(hit, question)}\n\n"
        + _source(context, hit)
    )


def _alternatives(answer: Answer) -> list[Hit]:
    shown = {hit.section.id for hit in (answer.best, *answer.also) if hit is not None}
    unique: list[Hit] = []
    for hit in answer.alternatives:
        if hit.section.id not in shown:
            shown.add(hit.section.id)
            unique.append(hit)
    return unique[:MAX_ALTERNATIVES]


def _feedback_row(context: BotContext) -> list[tuple[str, str]]:
    return [(context.t("kb.helpful"), "kb:fb:1"), (context.t("kb.not_helpful"), "kb:fb:0")]


def _markup(
    context: BotContext, office: bool, alternatives: list[Hit], feedback: bool
) -> tuple[InlineKeyboardMarkup | None, list[str]]:
    """The buttons and, in the same order, the typed choices they stand for (the terminal and
    Zalo number them in this order)."""
    rows: list[list[tuple[str, str]]] = []
    options: list[str] = []
    if office:
        rows.append([(context.t("kb.office.send_button"), "kb:office")])
        options.append("office")
    for hit in alternatives:
        rows.append([("🔎 " + short_label(hit.citation), f"kb:s:{hit.section.id}")])
        options.append(f"s:{hit.section.id}")
    if feedback:
        rows.append(_feedback_row(context))
        options += ["fb:1", "fb:0"]
    return (keyboard(rows) if rows else None), options


# --- what the last answers showed (user_data) --------------------------------------------------


def _memory(context: BotContext) -> dict[str, Any]:
    return user_dict(context, KEY)


def _remember(
    context: BotContext,
    message: Sent | None,
    about: dict[str, Any],
    options: list[str],
) -> None:
    """What ``message`` showed: ``about`` = {"q": question, "s": section quoted or None,
    "alts": ids of the "xem thêm" sections, "office": whether it offered the office}; typed
    numbers now mean its buttons (``options``)."""
    memory = _memory(context)
    memory["q"] = about["q"]
    assert context.user_data is not None
    SCREEN.remember(
        context.user_data,
        [Button(c.value, (*c.labels, *c.aliases)) for c in _choices(context, options)],
    )
    if message is None:
        return
    msgs: dict[str, Any] = memory.setdefault("msgs", {})
    msgs[str(message.message_id)] = about
    for old in list(msgs)[:-RECENT_MESSAGES]:
        del msgs[old]
    memory["last"] = str(message.message_id)


def _about(context: BotContext, message_id: int | None) -> dict[str, Any] | None:
    """What the answer message ``message_id`` (default: the last one) was about."""
    memory = _memory(context)
    key = str(message_id) if message_id is not None else memory.get("last")
    about = memory.get("msgs", {}).get(key)
    return about if isinstance(about, dict) else None


async def _hit(context: BotContext, section_id: int) -> Hit | None:
    return await context.services.knowledge.section(section_id)


# --- asking ------------------------------------------------------------------------------------


async def answer(update: Update, context: BotContext, question: str) -> None:
    """Search the documents for ``question`` and reply (too long: ask to shorten it)."""
    question = clean(question)
    if len(question) > MAX_QUESTION:
        await send(
            update, context, context.t("kb.too_long", length=len(question), limit=MAX_QUESTION)
        )
        return
    last = _about(context, None)  # the answer before: a follow-up («còn năm 2025?») leans on it
    result = await context.services.knowledge.ask(
        question,
        previous=str(last["q"]) if last and last.get("q") else None,
        previous_section=last.get("s") if last else None,
    )
    alternatives = _alternatives(result)
    office = result.abstained or (result.best is None and result.faq is None)
    text = render_answer(context, result)
    service = asked_of_the_bot(question) if result.faq is None else None
    if service in SERVICE_HINTS:
        # How to use the bot («nộp sáng kiến thế nào»): the plans never say, so its service
        # and the office, not "the plans do not say" nor a passage that shares some words.
        alternatives, office = [], True
        text = context.t(SERVICE_HINTS[service]) + "\n\n" + context.t("kb.office.offer")
    markup, options = _markup(context, office, alternatives, feedback=not office)
    message = await send(update, context, text, markup)
    shown = result.best is not None and not result.faq and not office
    about = {
        "q": result.question,  # read with the one before, for a follow-up
        "s": result.best.section.id if shown and result.best is not None else None,
        "alts": [hit.section.id for hit in alternatives],
        "office": office,
    }
    _remember(context, message, about, options)


async def side_question(update: Update, context: BotContext, text: str, step: str = "") -> bool:
    """A question typed at a flow's step that takes something else (a date, a number, one of
    its buttons), which could not read it as an answer: answered from the documents in one
    message, without buttons (they would be stale inside the flow), then a line that the
    answers so far are kept. A question about the step itself (its subject is in ``step``,
    the step's question: «chức vụ ghi thế nào?») is pointed to that question's explanation.
    ``False`` (nothing sent) when ``text`` asks nothing; the caller then says what the step
    expects, and asks its question again either way."""
    question = clean(text)
    if not is_question(question) or len(question) > MAX_QUESTION:
        return False
    if step and about_the_step(question, step):
        await send(update, context, context.t("flow.step_explained"))
        return True
    result = await context.services.knowledge.ask(question)
    if result.faq is None and asked_of_the_bot(question) in SERVICE_HINTS:
        pass  # how to use the bot («nộp sáng kiến thế nào?»): the question below shows it
    elif not result.abstained and (result.best is not None or result.faq is not None):
        await send(update, context, render_answer(context, result, more=False))
    else:  # not in the documents: after this step, /hoi or the office
        await send(update, context, context.t("kb.inside_none"))
    await send(update, context, context.t("flow.question_answered"))
    return True


def leaves_screen(text: str) -> bool:
    """Typed at a step that only offers buttons, and none of them: a question («có chỗ gửi xe
    không?»), «menu», a greeting or thanks. The step has nothing half-typed, so it closes and
    the text is taken as typed outside any flow (:func:`outside`)."""
    folded = fold(text)
    return is_question(text) or folded in MENU_WORDS or folded in SMALL_TALK


async def outside(update: Update, context: BotContext) -> None:
    """A text typed outside any flow: «menu» shows it; anything else is :func:`free_text`."""
    if fold(text_of(update)) in MENU_WORDS:
        await show_menu(update, context)
    else:
        await free_text(update, context)


async def free_text(update: Update, context: BotContext) -> None:
    """Text outside any flow (after the menu's typed choices): a question."""
    text = text_of(update)
    if fold(text) in FILLER:
        await send(update, context, context.t("kb.filler"))
        return
    intent = asked_of_the_bot(text)
    if intent == "thanks":  # no "I did not understand" to a thank-you (THANKS included)
        await send(update, context, context.t("kb.thanks"))
        return
    if intent == "who" or is_small_talk(text):
        key = N_("kb.hello") if intent == "who" or fold(text) in GREETINGS else N_("fallback.text")
        await send(update, context, context.t(key))
        await show_menu(update, context)
        return
    await answer(update, context, text)


async def explain(update: Update, context: BotContext) -> None:
    """The menu item "Hỏi đáp quy định": how to ask, with examples."""
    await acknowledge(update)
    await send(update, context, context.t("kb.howto"))


# --- /hoi and /ask: a question in the command, or asked for ------------------------------------


async def prompt(update: Update, context: BotContext, state: str) -> None:
    await send(update, context, context.t("kb.ask_prompt"))


async def begin(update: Update, context: BotContext) -> str | int:
    message = update.effective_message
    question = (message.text or "").split(maxsplit=1) if message is not None else []
    if len(question) > 1 and fold(question[1]):
        await answer(update, context, question[1])
        return END
    await context.services.flows.move(ref(update), FLOW, QUESTION)
    await prompt(update, context, QUESTION)
    return QUESTION


async def on_question(update: Update, context: BotContext) -> str | int | None:
    text = clean(text_of(update))
    if not fold(text):
        await send(update, context, context.t("error.text_short"))
        return None
    if len(text) > MAX_QUESTION:  # asked again: the shorter version is still this question
        await send(update, context, context.t("kb.too_long", length=len(text), limit=MAX_QUESTION))
        return None
    await context.services.flows.move(ref(update), FLOW, None)
    await answer(update, context, text)
    return END


def build(services: Services) -> ConversationHandler[BotContext]:
    guard = NotInFlow(services.states)
    return ConversationHandler(
        name=FLOW,
        persistent=True,
        entry_points=[CommandHandler(["hoi", "ask"], begin, filters=guard)],
        states={QUESTION: [MessageHandler(ANSWER_TEXT, on_question)]},
        fallbacks=flow_fallbacks(FLOW, prompt, resume_commands=("hoi", "ask")),
    )


# --- after an answer: buttons and their typed forms --------------------------------------------


def _choices(context: BotContext, options: list[str]) -> list[Choice]:
    labels = {
        "office": (context.labels("kb.office.send_button"), SEND_ALIASES),
        "fb:1": (context.labels("kb.helpful"), HELPFUL_ALIASES),
        "fb:0": (context.labels("kb.not_helpful"), UNHELPFUL_ALIASES),
    }
    return [Choice(option, *labels.get(option, ((), ()))) for option in options]


async def typed_pick(update: Update, context: BotContext) -> None:
    """Runs before the flows and the menu for every private message: right after an answer, a
    typed button number ("2"), "gửi", "👍"... means that button. Filler («chờ chút») gets a
    short word and leaves the buttons' typed forms on; anything else ends them."""
    user = update.effective_user
    if user is None or update.effective_chat is None or update.message is None:
        return
    data = context.application.user_data.get(user.id)
    options = {option.data for option in SCREEN.options(data)}
    if not options:
        return
    if context.services.states.active(BotContext.key_of(update)) is not None:
        SCREEN.end(data)
        return
    text = text_of(update)
    if fold(text) in FILLER:  # the person is still thinking: the screen stays
        await send(update, context, context.t("kb.filler"))
        raise ApplicationHandlerStop
    emoji = EMOJI_OPTIONS.get(text.strip())
    if emoji in options:
        picked: str | None = emoji
    else:
        resolved = SCREEN.resolve(data, text)
        if resolved.kind is Typed.OUT_OF_RANGE:
            await send(
                update,
                context,
                context.t("kb.pick_range", numbers=numbers_text(context, 1, resolved.high)),
            )
            raise ApplicationHandlerStop
        picked = resolved.data
    if picked is None:
        return
    await _apply(update, context, picked, None)
    raise ApplicationHandlerStop


async def _apply(update: Update, context: BotContext, option: str, message_id: int | None) -> None:
    about = _about(context, message_id) or {}
    question = str(about.get("q") or _memory(context).get("q") or "")
    if option == "office":
        await office_send(update, context, question)
    elif option.startswith("fb:"):
        await _feedback(update, context, about, question, option == "fb:1")
    elif option.startswith("s:"):
        await _show_section(update, context, int(option[2:]), about)


async def _show_section(
    update: Update, context: BotContext, section_id: int, about: dict[str, Any]
) -> None:
    """A "xem thêm" section, with the same buttons as the answer it came from (so that their
    numbers stay the same), 👍/👎 now about this section."""
    hit = await _hit(context, section_id)
    if hit is None:
        await send(update, context, context.t("kb.section_gone"))
        return
    question = str(about.get("q") or _memory(context).get("q") or "")
    found = [await _hit(context, int(i)) for i in about.get("alts", [])]
    alternatives = [alt for alt in found if alt is not None]
    markup, options = _markup(context, bool(about.get("office")), alternatives, feedback=True)
    message = await send(update, context, render_section(context, hit, question), markup)
    shown = {
        "q": question,
        "s": section_id,
        "alts": about.get("alts", []),
        "office": bool(about.get("office")),
    }
    _remember(context, message, shown, options)


async def _feedback(
    update: Update, context: BotContext, about: dict[str, Any], question: str, helpful: bool
) -> None:
    section = about.get("s")
    await context.services.knowledge.feedback(
        context.user_id,
        question,
        int(section) if section is not None else None,
        helpful,
        update_id=update.update_id,
    )
    if update.callback_query is None:
        await send(update, context, context.t("kb.thanks"))


async def office_send(update: Update, context: BotContext, question: str) -> None:
    """Pass ``question`` to the office, once."""
    memory = _memory(context)
    sent: list[str] = memory.setdefault("sent", [])
    if not question:
        await send(update, context, context.t("kb.office.nothing_to_send"))
        return
    if question in sent:
        await send(update, context, context.t("kb.office.already_sent"))
        return
    await office.send_to_office(update, context, question)
    sent.append(question)
    del sent[:-RECENT_MESSAGES]


async def _keep_buttons_answer(update: Update, text: str | None = None) -> None:
    """Answer a button press without taking the keyboard off (the other buttons stay)."""
    query = update.callback_query
    if query is None:
        return
    with contextlib.suppress(TelegramError):
        await query.answer(text)


async def _drop_buttons(message: Message | None, prefix: str) -> None:
    """Take the buttons whose data starts with ``prefix`` off ``message`` (keep the others)."""
    if message is None or message.reply_markup is None:
        return
    rows = [
        [button for button in row if not str(button.callback_data or "").startswith(prefix)]
        for row in message.reply_markup.inline_keyboard
    ]
    rows = [row for row in rows if row]
    with contextlib.suppress(TelegramError):
        await message.edit_reply_markup(InlineKeyboardMarkup(rows) if rows else None)


async def section_button(update: Update, context: BotContext) -> None:
    """``kb:s:<section id>``: a "xem thêm" section."""
    await _keep_buttons_answer(update)
    query = update.callback_query
    assert query is not None
    message_id = query.message.message_id if query.message is not None else None
    await _apply(update, context, f"s:{(query.data or '').rsplit(':', 1)[1]}", message_id)


async def feedback_button(update: Update, context: BotContext) -> None:
    """``kb:fb:1`` / ``kb:fb:0``: stored once; the 👍/👎 row leaves that message."""
    query = update.callback_query
    assert query is not None
    message = query.message if isinstance(query.message, Message) else None
    about = _about(context, message.message_id) if message is not None else None
    if about is None:
        await acknowledge(update, context.t("button.stale"))
        return
    await _keep_buttons_answer(update, context.t("kb.thanks"))
    question = str(about.get("q") or "")
    await _feedback(update, context, about, question, (query.data or "").endswith(":1"))
    await _drop_buttons(message, "kb:fb:")


async def office_button(update: Update, context: BotContext) -> None:
    """``kb:office``: "Gửi câu hỏi cho Văn phòng" (the "xem thêm" buttons stay)."""
    await _keep_buttons_answer(update)
    query = update.callback_query
    assert query is not None
    message = query.message if isinstance(query.message, Message) else None
    await _drop_buttons(message, "kb:office")
    await _apply(update, context, "office", message.message_id if message else None)


def button_handlers() -> list[CallbackQueryHandler[BotContext, None]]:
    return [
        CallbackQueryHandler(section_button, pattern=r"^kb:s:\d{1,18}$"),
        CallbackQueryHandler(feedback_button, pattern=r"^kb:fb:[01]$"),
        CallbackQueryHandler(office_button, pattern=r"^kb:office$"),
    ]
