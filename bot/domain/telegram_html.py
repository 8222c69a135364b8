"""Telegram's HTML parse mode, as the Bot API applies it to a message before sending it.

The bot writes every message in HTML. Telegram refuses a message whose HTML it cannot parse
(``400 Bad Request: can't parse entities: ...``), so an unescaped ``<`` in a person's text, an
unknown tag or a tag left open loses the whole message. The local stand-in of the Bot API
(:mod:`bot.tg.stub_api`) checks every message with :func:`parse` the way Telegram does, so the
tests, the end-to-end runs and the terminal chat fail where Telegram would.

The rules (https://core.telegram.org/bots/api#html-style): the tags below and no other;
properly nested and closed; ``<span>`` only with ``class="tg-spoiler"``; the entities ``&lt;``
``&gt;`` ``&amp;`` ``&quot;`` and numeric ones (``&#233;``, ``&#xE9;``); any other ``&`` is
kept as it is. The limits count the characters after parsing (4096 for a message, 1024 for a
caption).
"""

from __future__ import annotations

import re

TEXT_LIMIT = 4096
CAPTION_LIMIT = 1024
CALLBACK_DATA_LIMIT = 64  # bytes

TAGS = frozenset(
    {
        "a",
        "b",
        "strong",
        "i",
        "em",
        "u",
        "ins",
        "s",
        "strike",
        "del",
        "span",
        "tg-spoiler",
        "tg-emoji",
        "code",
        "pre",
        "blockquote",
    }
)
_NAMED = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
_ENTITY = re.compile(r"&(?:#(\d{1,7})|#[xX]([0-9a-fA-F]{1,6})|([a-zA-Z]+));")
_ATTRIBUTE = re.compile(r"""\s*([a-zA-Z-]+)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'>]+)))?""")


class HtmlError(ValueError):
    """What Telegram would answer: ``can't parse entities: <reason>``."""


def parse(text: str) -> str:
    """The text Telegram shows for ``text`` in HTML mode (tags gone, entities decoded), or
    :class:`HtmlError` where Telegram refuses it."""
    out: list[str] = []
    open_tags: list[str] = []
    i = 0
    n = len(text)
    while i < n:
        ch = text[i]
        if ch == "&":
            match = _ENTITY.match(text, i)
            decoded = _decode(match) if match else None
            if match is not None and decoded is not None:
                out.append(decoded)
                i = match.end()
            else:
                out.append("&")  # not an entity Telegram knows: kept as written
                i += 1
            continue
        if ch != "<":
            out.append(ch)
            i += 1
            continue
        end = text.find(">", i)
        if end < 0:
            raise HtmlError(f"Unclosed start tag at byte offset {_offset(text, i)}")
        inside = text[i + 1 : end]
        if inside.startswith("/"):
            name = inside[1:].strip().lower()
            if not open_tags:
                raise HtmlError(f"Unexpected end tag at byte offset {_offset(text, i)}")
            expected = open_tags.pop()
            if name and name != expected:
                raise HtmlError(
                    f"Unmatched end tag at byte offset {_offset(text, i)}, "
                    f'expected "</{expected}>", found "</{name}>"'
                )
        else:
            name, _, rest = inside.partition(" ")
            name = name.strip().lower()
            if name not in TAGS:
                raise HtmlError(f'Unsupported start tag "{name}" at byte offset {_offset(text, i)}')
            attributes = _attributes(rest)
            if name == "span" and attributes.get("class") != "tg-spoiler":
                raise HtmlError('Tag "span" must have class "tg-spoiler"')
            if name == "tg-emoji" and not attributes.get("emoji-id"):
                raise HtmlError('Tag "tg-emoji" must have attribute "emoji-id"')
            open_tags.append(name)
        i = end + 1
    if open_tags:
        raise HtmlError(f'Can\'t find end tag corresponding to start tag "{open_tags[-1]}"')
    return "".join(out)


def check_text(text: str, *, html: bool) -> None:
    """Refuse a message's text as Telegram would (``ValueError``, Telegram's description)."""
    shown = _shown(text, html)
    if not shown.strip():
        raise ValueError("message text is empty")
    if len(shown) > TEXT_LIMIT:
        raise ValueError("message is too long")


def check_caption(caption: str, *, html: bool) -> None:
    """Refuse a caption as Telegram would (``ValueError``, Telegram's description)."""
    if len(_shown(caption, html)) > CAPTION_LIMIT:
        raise ValueError("message caption is too long")


def check_keyboard(markup: object) -> None:
    """Refuse an inline keyboard Telegram would refuse: a button without text, without an
    action, or with callback data over 64 bytes."""
    if not isinstance(markup, dict):
        return
    for row in markup.get("inline_keyboard") or []:
        for button in row:
            if not str(button.get("text") or "").strip():
                raise ValueError("BUTTON_TEXT_INVALID")
            if set(button) == {"text"}:
                raise ValueError("text buttons are unallowed in the inline keyboard")
            data = button.get("callback_data")
            if data is not None and not 1 <= len(str(data).encode()) <= CALLBACK_DATA_LIMIT:
                raise ValueError("BUTTON_DATA_INVALID")


def _shown(text: str, html: bool) -> str:
    if not html:
        return text
    try:
        return parse(text)
    except HtmlError as exc:
        raise ValueError(f"can't parse entities: {exc}") from None


def _decode(match: re.Match[str]) -> str | None:
    decimal, hexadecimal, name = match.groups()
    if name is not None:
        return _NAMED.get(name)
    code = int(decimal) if decimal is not None else int(hexadecimal, 16)
    if code == 0 or code > 0x10FFFF or 0xD800 <= code <= 0xDFFF:
        return None
    return chr(code)


def _attributes(text: str) -> dict[str, str]:
    found: dict[str, str] = {}
    for match in _ATTRIBUTE.finditer(text):
        name, double, single, bare = match.groups()
        found[name.lower()] = double if double is not None else single or bare or ""
    return found


def _offset(text: str, index: int) -> int:
    return len(text[:index].encode())
