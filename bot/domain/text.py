"""Vietnamese text helpers: normalisation and the diacritics-folded form used for matching."""

from __future__ import annotations

import functools
import re
import unicodedata

_SPACES = re.compile(r"\s+")
# Control characters (C0, DEL, C1) except whitespace, and invisible format characters that only
# hide or reorder text: zero-width space and non-joiner, soft hyphen, word joiner, BOM,
# direction marks, embeddings, overrides and isolates. The zero-width joiner goes too, unless it
# joins two symbols: it makes one emoji of several (👩‍💻). And the blank "letters" apps use to
# send an empty-looking message: Hangul fillers, Khmer inherent vowels, the Braille blank.
_INVISIBLE = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\xad\u061c\u180e\u200b\u200c\u200e\u200f"
    "\u2060-\u2064\ufeff\u202a-\u202e\u2066-\u2069"
    "\u115f\u1160\u17b4\u17b5\u2800\u3164\uffa0]"
)
_JOINERS = re.compile("\u200d+")
_LONE_JOINER = re.compile("(?<![^\\w\\s])\u200d|\u200d(?![^\\w\\s])")
# Unicode does not decompose đ/Đ, so NFD + dropping marks leaves them: map them explicitly.
_D_MAP = str.maketrans({"đ": "d", "Đ": "D"})


ID_DIGITS_MAX = 18  # an id of at most 18 digits fits SQLite's 64-bit integer


def as_id(text: str) -> int | None:
    """``text`` as a record id (ASCII digits only, at most 18 of them), else None: a longer
    number typed or forged is no record, and SQLite could not even bind it."""
    if text.isascii() and text.isdigit() and len(text) <= ID_DIGITS_MAX:
        return int(text)
    return None


def clean(text: str) -> str:
    """Invisible characters removed, NFC, whitespace runs folded to one space, trimmed.

    Removal comes first so that what it joins is composed too (idempotent)."""
    text = _JOINERS.sub("\u200d", _INVISIBLE.sub("", text))
    text = unicodedata.normalize("NFC", _LONE_JOINER.sub("", text))
    return _SPACES.sub(" ", text).strip()


def shorten(text: str, limit: int) -> str:
    """``text`` cut to ``limit`` characters, an ellipsis marking the cut (labels, titles).

    The cut falls between words when a space lies in the second half of what is kept
    («…các đơn vị…», not «…các đơn vị th…»), with the punctuation before it dropped."""
    if len(text) <= limit:
        return text
    head = text[: max(limit - 1, 0)]
    space = head.rfind(" ") if not text[len(head)].isspace() else len(head)
    if space > limit // 2:
        head = head[:space]
    return head.rstrip(" ,;:-–") + "…"


def fold(text: str) -> str:
    """Lower-case, without diacritics (đ→d), punctuation dropped, whitespace folded.

    ``fold("Hội nghị  Đại biểu!") == "hoi nghi dai bieu"``; idempotent. Short texts (answers,
    labels, aliases: folded again and again while matching) are remembered."""
    return _fold_short(text) if len(text) <= _CACHED_LEN else _fold(text)


_CACHED_LEN = 160
_NOT_WORD = re.compile(r"[\W_]+")  # \w is str.isalnum() plus "_"


_MARKS_END = "\U0001f000"  # combining marks all lie below (Unicode 15: the last is U+1E94A)


@functools.cache
def _combining_marks() -> dict[int, None]:
    """A ``str.translate`` table deleting the combining marks below :data:`_MARKS_END`
    (built at first use, 10 ms)."""
    return dict.fromkeys(cp for cp in range(ord(_MARKS_END)) if unicodedata.combining(chr(cp)))


def _without_marks(text: str) -> str:
    if text.isascii():
        return text
    text = unicodedata.normalize("NFD", text)
    if max(text) < _MARKS_END:
        text = text.translate(_combining_marks())
    else:  # an emoji, say: the general (slower) way
        text = "".join(ch for ch in text if not unicodedata.combining(ch))
    return unicodedata.normalize("NFC", text)


def _fold(text: str) -> str:
    text = _without_marks(clean(text).translate(_D_MAP).casefold())
    return _NOT_WORD.sub(" ", text).strip()


def unaccent(text: str) -> str:
    """Cleaned, lower-case, without diacritics (đ→d), punctuation kept: for reading dates and
    times, where «20/6» and «8:30» must stay. ``unaccent("Ngày 20/6, 14 Giờ") == "ngay 20/6, 14
    gio"``."""
    return _without_marks(clean(text).translate(_D_MAP).lower())


_fold_short = functools.lru_cache(maxsize=8192)(_fold)


# Typed alone in a flow, these stop it as /cancel does (folded). Not «thôi», which answers
# some questions («Trả lại chỗ?»), nor «dừng», folded as «đúng».
STOP_WORDS = frozenset(
    {
        *("huy", "huy bo", "thoat", "dung lai", "ngung", "ngung lai", "cancel", "stop", "exit"),
        *("quit", "xin huy", "em xin huy", "toi xin huy", "cho em huy", "cho toi huy"),
        *("thoi huy", "huy di", "xin thoat", "em muon huy", "toi muon huy", "please cancel"),
        *("cancel please", "cancel it", "i want to cancel", "i d like to cancel", "let me cancel"),
        *("i would like to cancel", "i want to stop", "please stop", "stop please"),
    }
)
# Typed alone, these steer a conversation (stop, skip, go back, ask for the menu or help, yes,
# no): never the answer to a question that asks for a name, a unit or a position (folded).
STEERING_WORDS = STOP_WORDS | frozenset(
    {
        *("bo qua", "skip", "quay lai", "tro lai", "tro ve", "back", "go back", "thoi"),
        *("menu", "help", "tro giup", "huong dan", "cai dat", "settings"),
        *("tiep", "tiep tuc", "continue", "next", "xong", "done", "ok", "oke"),
        *("co", "khong", "ko", "yes", "no", "khong sua", "giu nguyen", "keep"),
        # Yes to a question just answered, typed again («đồng ý» twice at registration).
        *("dong y", "xac nhan", "dung roi", "vang", "duoc", "nhat tri", "cam on"),
        *("confirm", "agree", "i agree", "thanks", "thank you"),
    }
)
