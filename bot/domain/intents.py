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


# Words that make a message a question, folded, whole words: «hội nghị tổ chức ở đâu», «hạn
# nộp là khi nào», «cần những gì», "when is the deadline".
_QUESTION_WORDS = (
    *("bao gio", "o dau", "may gio", "the nao", "lam sao", "tai sao", "vi sao", "bao nhieu"),
    *("khi nao", "la gi", "nhu nao", "nhung gi", "can gi", "gom gi", "la ai", "ai duoc"),
    *("duoc khong", "phai khong", "co phai", "hay khong", "chua a"),
    *("where", "when", "what", "why", "how", "which", "who"),
)
# How a question may open: «cho hỏi», «xin hỏi», «tôi muốn hỏi», "can I".
_QUESTION_OPENINGS = (
    *("cho hoi ", "cho em hoi ", "cho toi hoi ", "xin hoi ", "hoi ve ", "cho minh hoi "),
    *("toi muon hoi ", "em muon hoi ", "minh muon hoi ", "lam on cho biet ", "cho biet "),
    *("can i ", "could you ", "is there ", "are there ", "do i ", "does ", "is it "),
)


def is_question(text: str) -> bool:
    """Whether ``text`` asks something (a question mark, a question word, «có … không»):
    typed where a date, a number or a button is expected, it is a question to answer, not a
    wrong answer. Approximate by nature: only asked of a text the step could not read."""
    if "?" in text or "？" in text:
        return True
    folded = fold(text)
    if _has(folded, _QUESTION_WORDS) or f"{folded} ".startswith(_QUESTION_OPENINGS):
        return True
    words = folded.split()
    return len(words) >= 3 and words[0] == "co" and words[-1] in ("khong", "ko", "k", "chua")


# Words that say nothing of what a question is about: asking, pronouns, «ghi», «điền».
_FUNCTION_WORDS = frozenset(
    {
        *("la", "gi", "nao", "the", "co", "khong", "ko", "k", "phai", "nhu", "hay", "duoc"),
        *("o", "dau", "bao", "nhieu", "khi", "may", "sao", "can", "cho", "hoi", "xin", "a"),
        *("vay", "nhi", "ha", "ghi", "nhap", "dien", "viet", "go", "tra", "loi", "cua", "va"),
        *("hoac", "toi", "em", "anh", "chi", "ban", "minh", "thi", "muc", "nay", "do", "ay"),
        *("what", "how", "is", "the", "a", "an", "of", "do", "i", "to", "should", "my", "this"),
        *("write", "fill", "enter", "type", "in", "it", "does", "mean", "what's"),
    }
)


# Words every step of the form shares, which say nothing of which step a question is about.
_GENERIC_WORDS = frozenset({"sang", "kien", "initiative", "nghi", "don", "form"})


def _subject(folded: str) -> set[str]:
    return {w for w in folded.split() if w not in _FUNCTION_WORDS and w not in _GENERIC_WORDS}


def about_the_step(question: str, step: str) -> bool:
    """Whether ``question`` asks about the step whose question is ``step`` («chức vụ ghi thế
    nào?» asked at «Chức vụ của anh/chị là gì?», «ngày sinh ghi sao?» at «Ngày tháng năm
    sinh?»): two words of its subject (its only word, if it has one) are in the step's
    question. Its answer is the step's own explanation, not the documents."""
    subject = _subject(fold(question))
    return bool(subject) and len(subject & _subject(fold(step))) >= min(2, len(subject))
