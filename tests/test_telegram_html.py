"""Telegram's HTML parse mode as the local Bot API applies it (bot/tg/telegram_html.py), the
stand-in refusing what Telegram refuses, and the splitting of long messages (bot/tg/ui.py)."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.domain import telegram_html
from bot.domain.telegram_html import HtmlError, parse
from bot.i18n import escape
from bot.tg.stub_api import BotAPIStub
from bot.tg.ui import split_text

# --- parse ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("html", "shown"),
    [
        ("<b>Đậm</b> và <i>nghiêng</i>", "Đậm và nghiêng"),
        ("<a href='https://t.me/x'>liên kết</a>", "liên kết"),
        ('<span class="tg-spoiler">ẩn</span>', "ẩn"),
        ("<blockquote>dòng 1\ndòng 2</blockquote>", "dòng 1\ndòng 2"),
        ("<pre><code>x &lt; 1</code></pre>", "x < 1"),
        ("a &amp; b &quot;c&quot; &gt;", 'a & b "c" >'),
        ("&#233; &#xE9;", "é é"),
        ("AT&T, 5 & 6, &nbsp;, &;", "AT&T, 5 & 6, &nbsp;, &;"),  # unknown: kept as written
        ("<B>hoa</B>", "hoa"),
    ],
)
def test_parse_shows_what_telegram_shows(html: str, shown: str) -> None:
    assert parse(html) == shown


@pytest.mark.parametrize(
    ("html", "reason"),
    [
        ("a < b > c", 'Unsupported start tag ""'),
        ("<x>không</x>", 'Unsupported start tag "x"'),
        ("<b>mở", 'Can\'t find end tag corresponding to start tag "b"'),
        ("đóng</b>", "Unexpected end tag"),
        ("<b><i>chéo</b></i>", 'expected "</i>", found "</b>"'),
        ("<span>ẩn</span>", 'Tag "span" must have class "tg-spoiler"'),
        ("<tg-emoji>🙂</tg-emoji>", 'Tag "tg-emoji" must have attribute "emoji-id"'),
        ("thiếu <b", "Unclosed start tag"),
    ],
)
def test_parse_refuses_what_telegram_refuses(html: str, reason: str) -> None:
    with pytest.raises(HtmlError, match=re.escape(reason)):
        parse(html)


def test_error_offsets_count_bytes_as_telegram_does() -> None:
    with pytest.raises(HtmlError, match="byte offset 6"):
        parse("Đơn </b>")  # "Đơn " is 4 characters, 6 bytes in UTF-8


@given(st.text())
def test_escaped_text_is_shown_exactly_as_typed(text: str) -> None:
    assert parse(escape(text)) == text
    assert parse(f"<b>{escape(text)}</b>\n<i>{escape(text)}</i>") == f"{text}\n{text}"


# --- limits and keyboards -----------------------------------------------------------------------


def test_limits_count_the_characters_shown() -> None:
    telegram_html.check_text("<b>" + "ă" * 4096 + "</b>", html=True)  # tags do not count
    telegram_html.check_text("&amp;" * 4096, html=True)  # one character each
    with pytest.raises(ValueError, match="message is too long"):
        telegram_html.check_text("a" * 4097, html=False)
    with pytest.raises(ValueError, match="message text is empty"):
        telegram_html.check_text("<b> </b>", html=True)
    telegram_html.check_caption("c" * 1024, html=False)
    with pytest.raises(ValueError, match="message caption is too long"):
        telegram_html.check_caption("<i>" + "c" * 1025 + "</i>", html=True)
    with pytest.raises(ValueError, match="can't parse entities"):
        telegram_html.check_text("1 < 2", html=True)
    telegram_html.check_text("1 < 2", html=False)  # plain text: nothing to parse


def test_keyboards_telegram_refuses() -> None:
    ok = {"inline_keyboard": [[{"text": "Có", "callback_data": "x" * 64}]]}
    telegram_html.check_keyboard(ok)
    for bad, reason in (
        ([[{"text": "Có", "callback_data": "ă" * 33}]], "BUTTON_DATA_INVALID"),  # 66 bytes
        ([[{"text": " ", "callback_data": "x"}]], "BUTTON_TEXT_INVALID"),
        ([[{"text": "Có"}]], "text buttons are unallowed"),
    ):
        with pytest.raises(ValueError, match=reason):
            telegram_html.check_keyboard({"inline_keyboard": bad})


def test_the_local_bot_api_refuses_and_records_such_messages() -> None:
    stub = BotAPIStub()
    status, body = stub.handle(
        "sendMessage", {"chat_id": 5, "text": "<b>đậm", "parse_mode": "HTML"}
    )
    assert status == 400
    assert body["description"].startswith("Bad Request: can't parse entities: ")
    assert [c.method for c in stub.refused] == ["sendMessage"]
    assert not stub.messages  # nothing reached the chat
    status, _ = stub.handle(
        "sendMessage", {"chat_id": 5, "text": "<b>đậm</b>", "parse_mode": "HTML"}
    )
    assert status == 200 and len(stub.refused) == 1
    status, body = stub.handle("sendMessage", {"chat_id": 5, "text": "x" * 4097})
    assert status == 400 and body["description"] == "Bad Request: message is too long"
    stub.refused.clear()  # refused on purpose here (the guard in conftest fails on any other)


# --- splitting long messages --------------------------------------------------------------------

_WORD = st.text(st.characters(codec="utf-8", exclude_characters="\n"), min_size=1, max_size=30)


@st.composite
def html_messages(draw: st.DrawFn) -> str:
    """A message as the bot writes one: escaped user text, tags (some over several lines),
    entities, line breaks and long unbroken lines."""
    pieces = []
    for _ in range(draw(st.integers(1, 60))):
        kind = draw(st.sampled_from(["text", "bold", "quote", "newline", "long"]))
        if kind == "text":
            pieces.append(escape(draw(_WORD)))
        elif kind == "bold":
            pieces.append(f"<b>{escape(draw(_WORD))}</b>")
        elif kind == "quote":
            lines = draw(st.lists(_WORD, min_size=1, max_size=5))
            pieces.append("<blockquote>" + "\n".join(escape(x) for x in lines) + "</blockquote>")
        elif kind == "newline":
            pieces.append("\n")
        else:
            pieces.append(
                escape(draw(st.sampled_from(["a", "&", "<", "ă "]))) * draw(st.integers(50, 400))
            )
    return " ".join(pieces)


@settings(max_examples=150, deadline=None)
@given(html_messages(), st.integers(600, 1200))
def test_every_part_of_a_split_message_is_valid_and_nothing_is_lost(text: str, limit: int) -> None:
    parts = split_text(text, limit)
    assert all(len(part) <= limit for part in parts)
    shown = [parse(part) for part in parts]  # valid HTML, each on its own
    squeeze = re.compile(r"\s+")
    assert squeeze.sub("", "".join(shown)) == squeeze.sub("", parse(text))


def test_a_short_message_is_not_split() -> None:
    assert split_text("<b>một</b>\nhai", 4096) == ["<b>một</b>\nhai"]


def test_a_tag_over_several_lines_is_closed_and_opened_again() -> None:
    text = "<blockquote>" + "\n".join(f"dòng {i} " + "x" * 90 for i in range(100)) + "</blockquote>"
    parts = split_text(text)
    assert len(parts) == 3
    assert all(p.startswith("<blockquote>") and p.endswith("</blockquote>") for p in parts)
    assert all(len(p) <= 4096 for p in parts)
