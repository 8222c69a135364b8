"""Vietnamese text helpers: normalisation and the diacritics-folded form used for matching."""

from __future__ import annotations

import re
import unicodedata

_SPACES = re.compile(r"\s+")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
# Unicode does not decompose đ/Đ, so NFD + dropping marks leaves them: map them explicitly.
_D_MAP = str.maketrans({"đ": "d", "Đ": "D"})


def clean(text: str) -> str:
    """NFC, control characters removed, whitespace runs folded to one space, trimmed."""
    text = unicodedata.normalize("NFC", text)
    text = _CONTROL.sub("", text)
    return _SPACES.sub(" ", text).strip()


def fold(text: str) -> str:
    """Lower-case, without diacritics (đ→d), punctuation dropped, whitespace folded.

    ``fold("Hội nghị  Đại biểu!") == "hoi nghi dai bieu"``; idempotent.
    """
    text = unicodedata.normalize("NFD", clean(text).translate(_D_MAP).casefold())
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    text = unicodedata.normalize("NFC", text)
    text = "".join(ch if ch.isalnum() else " " for ch in text)
    return _SPACES.sub(" ", text).strip()
