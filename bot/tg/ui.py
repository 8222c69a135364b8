"""Replying: HTML messages within Telegram's limits, inline keyboards with safe callback data."""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Sequence
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.constants import MessageLimit
from telegram.error import BadRequest, TelegramError

from bot.tg.context import BotContext
from bot.tg.replybot import ReplyBot, Sent

log = logging.getLogger(__name__)

CALLBACK_DATA_MAX = 64  # bytes


def button(label: str, data: str) -> InlineKeyboardButton:
    if len(data.encode("utf-8")) > CALLBACK_DATA_MAX:
        raise ValueError(f"callback data over {CALLBACK_DATA_MAX} bytes: {data!r}")
    return InlineKeyboardButton(label, callback_data=data)


class CallbackKeyboard(InlineKeyboardMarkup):
    """What :func:`keyboard` builds: buttons with a label and callback data, nothing else, so
    their JSON is written directly (the framework's generic ``to_dict`` took 50 µs for four
    buttons, this 3)."""

    __slots__ = ()

    def to_dict(self, recursive: bool = True) -> dict[str, Any]:
        if not self.inline_keyboard:
            return super().to_dict(recursive)
        return {  # the keys in the framework's order: the same JSON, byte for byte
            "inline_keyboard": [
                [{"callback_data": b.callback_data, "text": b.text} for b in row]
                for row in self.inline_keyboard
            ]
        }


def keyboard(rows: Sequence[Sequence[tuple[str, str]]]) -> InlineKeyboardMarkup:
    return CallbackKeyboard([[button(label, data) for label, data in row] for row in rows])


# A tag or an entity: a cut never falls inside one.
_TOKEN = re.compile(r"<[^<>]*>|&#?[0-9a-zA-Z]+;")
_TAG = re.compile(r"<(/?)([a-zA-Z][a-zA-Z-]*)[^<>]*>")
_ROOM = 256  # kept free in each part for the tags closed and opened again at a cut


def split_text(text: str, limit: int = MessageLimit.MAX_TEXT_LENGTH) -> list[str]:
    """Split HTML into parts of at most ``limit`` characters, at line breaks where it can.

    A line too long on its own is cut at a space, never inside a tag or an entity; a tag still
    open at a cut (a ``<b>`` or ``<blockquote>`` over several lines) is closed at the end of
    its part and opened again at the start of the next, so every part is valid HTML."""
    if len(text) <= limit:
        return [text]
    room = limit - _ROOM if "<" in text and limit > 2 * _ROOM else limit
    parts: list[str] = []
    current = ""
    for line in text.split("\n"):
        while len(line) > room:
            if current:
                parts.append(current)
                current = ""
            cut = _cut(line, room)
            parts.append(line[:cut])
            line = line[cut:].lstrip(" ")
        candidate = f"{current}\n{line}" if current else line
        if len(candidate) > room:
            parts.append(current)
            current = line
        else:
            current = candidate
    if current:
        parts.append(current)
    return _balance([p for p in parts if p.strip()])


def _cut(line: str, room: int) -> int:
    """Where to cut a line longer than ``room``: the last space of its second half, else the
    limit; moved back before a tag or an entity it would split."""
    cut = line.rfind(" ", room // 2, room + 1)
    if cut <= 0:
        cut = room
    for match in _TOKEN.finditer(line, max(0, cut - 32), cut + 32):
        if match.start() < cut < match.end():
            return match.start() or match.end()
    return cut


def _balance(parts: list[str]) -> list[str]:
    """Close the tags still open at the end of each part and open them again in the next."""
    out: list[str] = []
    carried: list[tuple[str, str]] = []  # (name, opening tag as written)
    for part in parts:
        prefix = "".join(tag for _, tag in carried)
        for match in _TAG.finditer(part):
            closing, name = match.group(1), match.group(2).lower()
            if not closing:
                carried.append((name, match.group(0)))
            elif carried and carried[-1][0] == name:
                carried.pop()
        suffix = "".join(f"</{name}>" for name, _ in reversed(carried))
        out.append(prefix + part + suffix)
    return out


async def send(
    update: Update,
    context: BotContext,
    text: str,
    markup: InlineKeyboardMarkup | None = None,
) -> Sent | None:
    """Send ``text`` (HTML) to the chat of ``update``; the keyboard goes with the last part.
    Returns the last message sent (its chat and message id)."""
    chat = update.effective_chat
    if chat is None:
        return None
    parts = split_text(text)
    sent = None
    for index, part in enumerate(parts):
        sent = await context.bot.send_html(
            chat.id, part, reply_markup=markup if index == len(parts) - 1 else None
        )
    return sent


async def acknowledge(
    update: Update, text: str | None = None, *, alert: bool = False, keep: bool = False
) -> None:
    """Answer a button press and take the keyboard off the message it came from, so that an
    old button cannot be pressed twice. Both requests go out at once (two round trips to
    Telegram in the time of one); a failed answer is only logged, and so is a keyboard that
    cannot be removed (``BadRequest``: gone already), any other error of the removal is raised
    once both are done. ``keep``: a button that only sends something (a document) leaves the
    screen's other buttons in place."""
    query = update.callback_query
    if query is None:
        return

    async def answer() -> None:
        try:
            await query.answer(text, show_alert=alert)
        except TelegramError as exc:
            log.debug("answerCallbackQuery failed: %s", exc)

    message = query.message
    if keep or text is not None or not isinstance(message, Message) or not message.reply_markup:
        await answer()
        return

    bot = query.get_bot()
    assert isinstance(bot, ReplyBot)

    async def remove_keyboard() -> None:
        try:
            await bot.remove_keyboard(message.chat.id, message.message_id)
        except BadRequest as exc:
            log.debug("could not remove keyboard: %s", exc)

    outcomes = await asyncio.gather(answer(), remove_keyboard(), return_exceptions=True)
    for outcome in outcomes:
        if isinstance(outcome, BaseException):
            raise outcome
