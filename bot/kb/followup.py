"""A short question that leans on the one before it («còn năm 2025 thì sao?» after «số lượng
giấy khen năm 2023», «bao nhiêu người?» after «hội nghị tổ chức khi nào», "what about 2025?"):
read together with it. Framework-free; used by :meth:`KnowledgeService.ask` only when the
question alone finds nothing.
"""

from __future__ import annotations

import re

from bot.domain.text import fold

MAX_WORDS = 6  # a follow-up is short...
UNMARKED_WORDS = 3  # ...and without «còn», «thì sao», "what about", very short

_STARTS = ("the con", "vay con", "con", "and", "what about", "how about")
_ENDS = ("thi sao", "the nao", "ra sao", "thi the nao", "nhi")
# What the earlier question asked with: the follow-up asks its own thing. Only the asking words
# («khi nào», «bao nhiêu»), never what was asked about («số lượng», «thời hạn»).
_ASKING = sorted(
    {
        *("khi nao", "bao gio", "luc nao", "ngay nao", "thang nao", "nam nao", "bao nhieu"),
        *("bao lau", "o dau", "noi nao", "cho nao", "may gio", "gio nao", "la gi", "la ai"),
        *("nhu the nao", "the nao", "gom nhung gi", "nhung ai", "nao", "gi"),
        *("what is", "what are", "who is", "when is", "where is", "how many", "how much"),
        *("how long", "what", "who", "when", "where", "which", "how"),
    },
    key=len,
    reverse=True,
)
_YEAR = re.compile(r"\b(?:(?:nam|year|in)\s+)?(?:19|20)\d{2}\b")


def _without(text: str, phrases: list[str] | tuple[str, ...]) -> str:
    padded = f" {text} "
    for phrase in phrases:
        padded = padded.replace(f" {phrase} ", " ")
    return " ".join(padded.split())


def follow_up(previous: str, question: str) -> str | None:
    """The question read with the one before it (folded), or ``None`` when it does not look
    like a follow-up: longer than :data:`MAX_WORDS` words, or longer than
    :data:`UNMARKED_WORDS` without «còn …», «… thì sao», "what about …"."""
    folded = fold(question)
    words = folded.split()
    earlier = fold(previous)
    if not words or not earlier or len(words) > MAX_WORDS:
        return None
    padded = f" {folded} "
    marked = any(padded.startswith(f" {m} ") for m in _STARTS) or any(
        padded.endswith(f" {m} ") for m in _ENDS
    )
    if not marked and len(words) > UNMARKED_WORDS:
        return None
    rest = _without(folded, _ENDS)
    for start in _STARTS:
        rest = rest.removeprefix(start + " ")
    if _YEAR.search(rest):  # «còn năm 2025?»: the new year replaces the earlier one
        earlier = _YEAR.sub(" ", earlier)
    earlier = _without(earlier, _ASKING)
    if not rest:  # «thì sao?» alone: nothing new to ask
        return None
    return " ".join(f"{earlier} {rest}".split())
