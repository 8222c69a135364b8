"""Parsing and validation of the profile a person gives in onboarding.

Each parser returns the cleaned value or raises :class:`InvalidInput` whose ``code`` names the
localized message the chat shows (``error.<code>`` in the catalogs).
"""

from __future__ import annotations

import re
import unicodedata

from bot.domain.intents import is_question
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
    for t in (
        *("GS", "PGS", "TS", "TSKH", "ThS", "NCS", "KS", "KTS", "BS", "DS", "CN", "LS"),
        *("Dr", "Prof"),
    )
}
# Forms of address, not part of a name: "Mr. Tom Hanks" is «Tom Hanks».
_ADDRESS = frozenset({"mr", "mrs", "ms", "miss", "mx"})
# How people introduce a name: «tôi tên là Nguyễn Văn An», "my name is John Smith".
_INTRODUCING = (
    *("toi ten la", "em ten la", "ten toi la", "ten em la", "ten cua toi la", "ho ten la"),
    *("ho ten", "ten la", "toi la", "em la", "my name is", "my full name is", "i am", "i m"),
    *("this is", "name"),
)


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


def bare_name(name: str) -> str:
    """``name`` without the titles in front of it: «KS. Nguyễn Văn An» -> «Nguyễn Văn An» (how
    an admin looks a person up: the title is on the profile, not always in mind)."""
    words = clean(name).split(" ")
    titles, rest = _titles(words)
    return " ".join(rest) if titles and len(rest) >= 2 else clean(name)  # "Ks Smith": a name


_NAME_PART = re.compile(r"[^\s'\-.]+")


def _capitalised(match: re.Match[str]) -> str:
    part = match.group(0)
    if part != part.lower() and part != part.upper():
        return part  # mixed case, as typed: "McDonald"
    return part[:1].upper() + part[1:].lower()


def _introduced(words: list[str]) -> list[str]:
    """The words after «tôi tên là», "my name is"... (when a name of two words or more
    follows)."""
    folded = [fold(word) for word in words]
    for intro in _INTRODUCING:
        count = len(intro.split())
        if " ".join(folded[:count]) == intro and len(words) - count >= 2:
            rest = words[count:]
            if rest[0] in (":", "-"):
                rest = rest[1:]
            return rest if len(rest) >= 2 else words
    return words


# A question (:func:`is_question`), or about the conference, is never a name: «hội nghị tổ chức
# ở đâu» typed where the name is asked is not «Hội Nghị Tổ Chức Ở Đâu» (folded, whole words).
_NEVER_IN_A_NAME = re.compile(r"\bhoi nghi\b")


def parse_full_name(text: str) -> str:
    """A full name, every syllable capitalised, with the titles typed before it (if any):
    "ts. nguyễn văn an" -> «TS. Nguyễn Văn An»."""
    value = clean(text)
    _not_steering(value)
    if is_question(value) or _NEVER_IN_A_NAME.search(fold(value)):
        raise InvalidInput("not_an_answer", text=value)
    if len(value) < 2:
        raise InvalidInput("name_short")
    if len(value) > NAME_MAX:
        raise InvalidInput("too_long", limit=NAME_MAX, length=len(value))
    typed = _introduced(value.split(" "))
    while len(typed) > 2 and typed[0].rstrip(".").casefold() in _ADDRESS:
        typed = typed[1:]
    titles, words = _titles(typed)
    if titles and len(words) < 2:  # "Ks Smith", "Bs Jones": a name, not a title and a name
        titles, words = "", typed
    name = " ".join(words)
    if titles and not name:
        raise InvalidInput("name_short")
    if not _NAME_CHARS.match(name):
        raise InvalidInput("name_chars")
    if " " not in name:  # a full name has a family name and a given name ("Lan": asked again)
        raise InvalidInput("name_short")
    # Vietnamese names capitalise every syllable: "nguyễn thị LAN" -> "Nguyễn Thị Lan"; a part
    # typed in mixed case is kept as typed: "McDonald", "DuPont" (parts: between - and ').
    titled = unicodedata.normalize("NFC", _NAME_PART.sub(_capitalised, name))
    # Some letters change length or shape when cased (ß -> SS, ǰ -> J + caron): keep as typed.
    if len(titled) != len(name) or not _NAME_CHARS.match(titled):
        titled = name
    if not titles:
        return titled
    full = f"{titles} {titled}"  # «TS.» for "ts": it may come out a character longer
    if len(full) > NAME_MAX:
        raise InvalidInput("too_long", limit=NAME_MAX, length=len(full))
    return full


def _free_text(text: str, limit: int) -> str:
    value = clean(text)
    _not_steering(value)
    if is_question(value):  # «chức vụ ghi thế nào?»: asked, not answered
        raise InvalidInput("not_an_answer", text=value)
    if len(value) < 2 or not any(ch.isalpha() for ch in value):
        raise InvalidInput("text_short")
    if len(value) > limit:
        raise InvalidInput("too_long", limit=limit, length=len(value))
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
