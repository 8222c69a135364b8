"""Parsing and validation of the profile a person gives in onboarding.

Each parser returns the cleaned value or raises :class:`InvalidInput` whose ``code`` names the
localized message the chat shows (``error.<code>`` in the catalogs).
"""

from __future__ import annotations

import re
import unicodedata

from bot.domain.text import STEERING_WORDS, clean, fold

NAME_MAX = 80
POSITION_MAX = 100
UNIT_MAX = 150
_NAME_CHARS = re.compile(r"^[^\W\d_]+(?:[ .'\-][^\W\d_]+)*\.?$")
_PHONE_CHARS = re.compile(r"^[+0-9][0-9 .\-()]*$")


class InvalidInput(ValueError):
    def __init__(self, code: str, **params: object) -> None:
        super().__init__(code)
        self.code = code
        self.params = params


def _not_steering(value: str) -> None:
    """«bỏ qua», «quay lại», «hủy» typed for a name, a unit or a position: not an answer."""
    if fold(value) in STEERING_WORDS:
        raise InvalidInput("not_an_answer", text=value)


# Academic and professional titles people put before a name («TS. Nguyễn Văn An», «ThS Lê
# Hoa», «PGS.TS. Trần Bình»), as they are written. None of them is a Vietnamese syllable.
_TITLES = {
    t.casefold(): t
    for t in ("GS", "PGS", "TS", "TSKH", "ThS", "NCS", "KS", "KTS", "BS", "DS", "CN", "LS")
}


def _titles(words: list[str]) -> tuple[str, list[str]]:
    """The titles in front of a name («PGS.TS.», as written officially) and the name's words."""
    found: list[str] = []
    while words:
        parts = [p for p in words[0].split(".") if p]
        if not parts or any(p.casefold() not in _TITLES for p in parts):
            break
        found += [_TITLES[p.casefold()] for p in parts]
        words = words[1:]
    return (".".join(found) + "." if found else ""), words


def parse_full_name(text: str) -> str:
    """A full name, every syllable capitalised, with the titles typed before it (if any):
    "ts. nguyễn văn an" -> «TS. Nguyễn Văn An»."""
    value = clean(text)
    _not_steering(value)
    if len(value) < 2:
        raise InvalidInput("name_short")
    if len(value) > NAME_MAX:
        raise InvalidInput("too_long", limit=NAME_MAX)
    titles, words = _titles(value.split(" "))
    if titles and len(words) < 2:  # "Ks Smith", "Bs Jones": a name, not a title and a name
        titles, words = "", value.split(" ")
    name = " ".join(words)
    if titles and not name:
        raise InvalidInput("name_short")
    if not _NAME_CHARS.match(name):
        raise InvalidInput("name_chars")
    if " " not in name:  # a full name has a family name and a given name ("Lan": asked again)
        raise InvalidInput("name_short")
    # Vietnamese names capitalise every syllable: "nguyễn thị LAN" -> "Nguyễn Thị Lan".
    titled = unicodedata.normalize(
        "NFC", " ".join(word[:1].upper() + word[1:].lower() for word in words)
    )
    # Some letters change length or shape when cased (ß -> SS, ǰ -> J + caron): keep as typed.
    if len(titled) != len(name) or not _NAME_CHARS.match(titled):
        titled = name
    if not titles:
        return titled
    full = f"{titles} {titled}"  # «TS.» for "ts": it may come out a character longer
    if len(full) > NAME_MAX:
        raise InvalidInput("too_long", limit=NAME_MAX)
    return full


def _free_text(text: str, limit: int) -> str:
    value = clean(text)
    _not_steering(value)
    if len(value) < 2 or not any(ch.isalpha() for ch in value):
        raise InvalidInput("text_short")
    if len(value) > limit:
        raise InvalidInput("too_long", limit=limit)
    return value


def parse_position(text: str) -> str:
    return _free_text(text, POSITION_MAX)


def parse_unit(text: str) -> str:
    return _free_text(text, UNIT_MAX)


def parse_phone(text: str) -> str:
    """Vietnamese phone numbers: 0xxxxxxxxx (10 digits) or landlines of 11, or +84/84 forms."""
    value = unicodedata.normalize("NFKC", clean(text))  # full-width ０９１２ -> 0912
    if not _PHONE_CHARS.match(value):
        raise InvalidInput("phone")
    digits = re.sub(r"[^0-9]", "", value)
    if value.startswith("+") and not digits.startswith("84"):
        raise InvalidInput("phone")
    if digits.startswith("84") and len(digits) in (11, 12):
        digits = "0" + digits[2:]
    if not (digits.startswith("0") and len(digits) in (10, 11)):
        raise InvalidInput("phone")
    return digits
