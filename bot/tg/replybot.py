"""The bot's ``Bot``: python-telegram-bot's ``ExtBot`` plus two replies that keep only the
message id of Telegram's answer.

Each Bot API method of the framework turns Telegram's answer into objects: a sent message becomes
a ``Message`` with its chat, its sender and its keyboard. The bot's replies almost never look at
it, and building it costs more CPU than the request (0.14 ms for a short message, 0.23 ms with a
four-button keyboard, against 0.1-0.2 ms for the rest of the call; measured on the machine of
``bench/flow_bench.py``, where replies and keyboard removals are about 1.5 calls per update).

:meth:`ReplyBot.send_html` and :meth:`ReplyBot.remove_keyboard` post exactly what
``send_message`` and ``edit_message_reply_markup`` post (through the framework's ``_post``: the
``Defaults`` such as the HTML parse mode, the rate limiter, the same errors), and return the
chat and message id instead of a ``Message``. ``tests/test_replybot.py`` compares the requests.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from telegram import InlineKeyboardMarkup
from telegram._utils.defaultvalue import DEFAULT_NONE
from telegram.ext import ExtBot


@dataclass(frozen=True, slots=True)
class Sent:
    """A message the bot sent: enough to edit it or to recognise a reply to it."""

    chat_id: int
    message_id: int


class ReplyBot(ExtBot[int]):  # int: the rate limiter's arguments (AIORateLimiter)
    async def send_html(
        self, chat_id: int, text: str, reply_markup: InlineKeyboardMarkup | None = None
    ) -> Sent:
        """``sendMessage`` (parse mode from the defaults: HTML), without building a Message."""
        data: dict[str, Any] = {
            "chat_id": chat_id,
            "text": text,
            "parse_mode": DEFAULT_NONE,
            "disable_notification": DEFAULT_NONE,
            "protect_content": DEFAULT_NONE,
            "link_preview_options": DEFAULT_NONE,
            "reply_markup": reply_markup,
        }
        result = await self._post("sendMessage", data)
        return Sent(chat_id, int(result["message_id"]))

    async def remove_keyboard(self, chat_id: int, message_id: int) -> None:
        """``editMessageReplyMarkup`` without a keyboard: the buttons of a message go away."""
        # parse_mode: the framework sends it with every edit (Telegram ignores it here).
        data = {"chat_id": chat_id, "message_id": message_id, "parse_mode": DEFAULT_NONE}
        await self._post("editMessageReplyMarkup", data)
