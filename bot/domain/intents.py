"""What a free text asks of the bot itself rather than of the documents: thanks, who the bot is,
how to submit an initiative or answer a conference invitation. The official plans say nothing
of the bot's own services, so these get the way to the service, not "the documents do not say".

Word lists, folded (lower case, no diacritics): hand-made, approximate by nature.
"""

from __future__ import annotations

from typing import Literal

from bot.domain.text import fold

Intent = Literal["thanks", "who", "initiative", "events"]

_THANK = ("cam on", "thank you", "thanks", "thank", "tks", "thx")
# Words that may come with a thank-you: «ok cảm ơn ạ», «cảm ơn bot nhiều nhé», "thanks a lot".
_WITH_THANKS = frozenset(
    {
        *("ok", "oke", "okay", "da", "vang", "a", "nhe", "nha", "nhieu", "rat", "bot", "ban"),
        *("em", "anh", "chi", "minh", "xin", "lam", "qua", "ha", "vay"),
        *("so", "very", "much", "lot", "again", "you"),
    }
)
# «bot là ai», «bạn làm được gì», "who are you" (trailing «vậy», «thế», «ạ» aside).
_WHO = frozenset(
    {
        *("bot la ai", "ban la ai", "bot la gi", "ban la gi", "may la ai", "day la ai"),
        *("bot lam duoc gi", "ban lam duoc gi", "bot giup duoc gi", "ban giup duoc gi"),
        *("bot lam gi", "bot co the lam gi", "ban co the lam gi", "bot dung de lam gi"),
        *("who are you", "what are you", "what can you do", "what do you do"),
    }
)
_TRAILING = frozenset({"vay", "the", "a", "nhi", "ha", "z", "day"})
# Asking how to submit an initiative: the thing and a verb of submitting.
_INITIATIVE = ("sang kien", "initiative")
_SUBMIT = (
    *("nop", "gui", "dang ky", "lam don", "viet don", "khai don", "dien don", "de nghi cong nhan"),
    *("submit", "apply", "send", "file", "register"),
)
# Asking how to answer an invitation: the conference and a verb of registering or answering.
_EVENT = ("hoi nghi", "su kien", "conference", "event")
_REGISTER = (
    *("dang ky", "xac nhan tham du", "bao tham du", "bao vang", "huy dang ky", "tra loi giay moi"),
    *("ma check in", "ma diem danh", "register", "rsvp", "sign up", "check in code", "decline"),
)


# Things of one's own invitation, asked for alone: «mã check-in», "calendar file".
_EVENT_THINGS = (
    *("ma check in", "ma checkin", "ma qr", "ma diem danh", "file lich", "tep lich"),
    *("giay moi cua toi", "ma cua toi", "check in code", "checkin code", "qr code"),
    *("calendar file", "my code", "my invitation", "my qr code"),
)


def _has(folded: str, phrases: tuple[str, ...]) -> bool:
    padded = f" {folded} "
    return any(f" {phrase} " in padded for phrase in phrases)


def asked_of_the_bot(text: str) -> Intent | None:
    folded = fold(text)
    words = folded.split()
    if not words:
        return None
    if len(words) <= 8 and _has(folded, _THANK):
        rest = f" {folded} "
        for phrase in _THANK:
            rest = rest.replace(f" {phrase} ", " ")
        if all(word in _WITH_THANKS for word in rest.split()):
            return "thanks"
    while len(words) > 1 and words[-1] in _TRAILING:
        words.pop()
    if " ".join(words) in _WHO:
        return "who"
    padded = f" {folded} "
    if (_has(folded, _INITIATIVE) or " sk " in padded) and _has(folded, _SUBMIT):
        return "initiative"
    if (_has(folded, _EVENT) or " hn " in padded) and _has(folded, _REGISTER):
        return "events"
    if _has(folded, _EVENT_THINGS):
        return "events"
    return None
