"""``ReplyBot.send_html`` / ``remove_keyboard`` post what the framework's methods post."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC

import pytest
from hypothesis import given
from hypothesis import strategies as st
from telegram import InlineKeyboardButton, InlineKeyboardMarkup
from telegram.constants import ParseMode
from telegram.error import BadRequest, Forbidden
from telegram.ext import Defaults

from bot.tg.ratelimit import RetryingRateLimiter
from bot.tg.replybot import ReplyBot, Sent
from bot.tg.stub_api import BotAPIStub, StubUser
from bot.tg.stub_request import StubRequest
from bot.tg.ui import keyboard

CHAT = 5151


@pytest.fixture
async def bot_and_stub() -> AsyncIterator[tuple[ReplyBot, BotAPIStub]]:
    stub = BotAPIStub()
    bot = ReplyBot(
        "123456:abcdefghijklmnop",
        request=StubRequest(stub),
        get_updates_request=StubRequest(stub),
        defaults=Defaults(parse_mode=ParseMode.HTML, tzinfo=UTC),
        rate_limiter=RetryingRateLimiter(),
    )
    await bot.initialize()
    stub.user_message(StubUser(CHAT, first_name="Lan"), "xin chào")
    try:
        yield bot, stub
    finally:
        await bot.shutdown()


def _last(stub: BotAPIStub) -> tuple[str, dict[str, object]]:
    call = stub.calls[-1]
    return call.method, dict(call.params)


@pytest.mark.parametrize("with_keyboard", [False, True])
async def test_send_html_posts_what_send_message_posts(
    bot_and_stub: tuple[ReplyBot, BotAPIStub], with_keyboard: bool
) -> None:
    bot, stub = bot_and_stub
    markup = keyboard([[("Có", "sk:yes"), ("Không", "sk:no")]]) if with_keyboard else None
    text = "Câu hỏi <b>tiếp theo</b> &amp; các lựa chọn"
    message = await bot.send_message(CHAT, text, reply_markup=markup)
    framework = _last(stub)
    sent = await bot.send_html(CHAT, text, reply_markup=markup)
    ours = _last(stub)
    assert ours == framework
    assert ours[1]["parse_mode"] == "HTML"  # the defaults apply
    assert sent == Sent(CHAT, message.message_id + 1)


async def test_remove_keyboard_posts_what_edit_reply_markup_posts(
    bot_and_stub: tuple[ReplyBot, BotAPIStub],
) -> None:
    bot, stub = bot_and_stub
    markup = keyboard([[("Gửi", "sk:submit")]])
    message = await bot.send_message(CHAT, "Gửi đơn?", reply_markup=markup)
    await message.edit_reply_markup(None)
    framework = _last(stub)
    second = await bot.send_html(CHAT, "Gửi đơn?", reply_markup=markup)
    await bot.remove_keyboard(CHAT, second.message_id)
    ours = _last(stub)
    assert ours[0] == framework[0] == "editMessageReplyMarkup"
    assert ours[1] == {**framework[1], "message_id": second.message_id}
    assert "reply_markup" not in (stub.messages.get((CHAT, second.message_id)) or {})


async def test_errors_and_flood_limits_as_with_the_framework(
    bot_and_stub: tuple[ReplyBot, BotAPIStub],
) -> None:
    bot, stub = bot_and_stub
    stub.failures["sendMessage"] = [(429, "Too Many Requests", {"retry_after": 0})]
    sent = await bot.send_html(CHAT, "vẫn tới nơi")  # the rate limiter waits and retries
    assert [c.method for c in stub.calls[-2:]] == ["sendMessage", "sendMessage"]
    assert sent.chat_id == CHAT
    stub.failures["sendMessage"] = [(403, "Forbidden: bot was blocked by the user", None)]
    with pytest.raises(Forbidden):
        await bot.send_html(CHAT, "bị chặn")
    stub.failures["editMessageReplyMarkup"] = [(400, "Bad Request: message is not modified", None)]
    with pytest.raises(BadRequest):
        await bot.remove_keyboard(CHAT, sent.message_id)


@given(
    st.lists(
        st.lists(
            st.tuples(st.text(min_size=1, max_size=30), st.text(min_size=1, max_size=16)),
            min_size=1,
            max_size=4,
        ),
        max_size=5,
    )
)
def test_keyboard_json_is_the_framework_s(rows: list[list[tuple[str, str]]]) -> None:
    ours = keyboard(rows)
    framework = InlineKeyboardMarkup(
        [[InlineKeyboardButton(label, callback_data=data) for label, data in row] for row in rows]
    )
    assert ours.to_dict() == framework.to_dict()
    assert ours.to_json() == framework.to_json()
    assert ours == framework
