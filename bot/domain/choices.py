"""Typed fallbacks for buttons: every choice offered by a button also accepts its number or label.

Zalo has no buttons and people type anyway, so a step that shows options resolves free text with
:func:`match_choice` before treating it as anything else.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from rapidfuzz import fuzz, process

from bot.domain.text import clean, fold

FUZZY_CUTOFF = 85.0
LONG_LABEL_WORDS = 6  # a label this long may be typed as a phrase from inside it
PHRASE_WORDS = 3  # a phrase this long may be typed from inside any label


@dataclass(frozen=True)
class Choice:
    value: str
    labels: Sequence[str]  # every label it may be typed as, in every language
    aliases: Sequence[str] = field(default_factory=tuple)


# How people ask to change an item: «sửa đơn vị», «đổi lại tên», "change my unit".
_EDIT_VERBS = (
    *("sua", "sua lai", "doi", "doi lai", "thay doi", "chinh sua", "cap nhat", "nhap lai"),
    *("change", "edit", "update", "fix", "correct"),
)
_ASKING = (
    *("cho em ", "cho toi ", "em muon ", "toi muon ", "muon ", "em xin ", "toi xin ", "xin "),
    *("i want to ", "i would like to ", "id like to ", "let me ", "please "),
)


def without_edit_verb(text: str) -> str | None:
    """What is left of ``text`` (folded) after the words that ask to change an item: "tac
    gia" of «sửa tác giả», "4" of «sửa mục 4», "title" of "edit the title"; ``None`` when it
    does not start with them."""
    folded = plain_answer(text)  # «dạ sửa mục 4 ạ»
    for before in _ASKING:  # «cho em sửa tên», "I want to change the date"
        folded = folded.removeprefix(before)
    for verb in sorted(_EDIT_VERBS, key=len, reverse=True):
        if folded.startswith(verb + " "):
            rest = folded[len(verb) + 1 :]
            for word in ("muc ", "so ", "item ", "number ", "my ", "the "):
                rest = rest.removeprefix(word)
            return rest or None
    return None


# A number typed with words around it: «dạ 2 ạ», «số 2», «mục 2 nhé», «chọn 3», "option 2".
_NUMBER_WORDS = re.compile(
    r"^(?:(?:da|vang|em|toi|xin|chon|so|muc|phuong an|lua chon|phong trao|pt|loai|number|option"
    r"|item|please)\s+)*(\d+)"
    r"(?:\s+(?:a|nhe|nha|nhe a|a nhe|please|thanks|thank you))*$"
)


# «pt5», «số2», «mục3»: a short number glued to its word (not a check-in code «SO234567»).
_GLUED = re.compile(r"^(?:pt|so|muc|item|option)(\d{1,2})$")


# An ordinal: «thứ ba», «cái thứ 2», «mục thứ nhất», "the third", "the 2nd one".
_ORDINAL_VALUES = {
    **{w: n for n, w in enumerate(("nhat", "hai", "ba", "tu", "nam", "sau", "bay", "tam"), 1)},
    **{"chin": 9, "muoi": 10},
    **{
        w: n
        for n, w in enumerate(
            ("first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth"), 1
        )
    },
    **{"ninth": 9, "tenth": 10},
}
_ORDINAL = re.compile(
    r"^(?:(?:da|vang|em|toi|chon|cai|muc|phuong an|lua chon|phong trao|pt|loai|dong|the|option"
    r"|item|please)\s+)*"
    r"(?:thu\s+(nhat|hai|ba|tu|nam|sau|bay|tam|chin|muoi|\d+)"
    r"|(first|second|third|fourth|fifth|sixth|seventh|eighth|ninth|tenth)"
    r"|(\d+)(?:st|nd|rd|th))"
    r"(?:\s+(?:one|option|item|cai|muc|a|nhe|nha|please))*$"
)


def typed_number(text: str) -> int | None:
    """The number ``text`` is, bare ("2", "(2)", "2.") or with words around it («dạ 2 ạ»,
    «số 2», «mục 2 nhé», "option 2"), or as an ordinal («thứ hai», «cái thứ 2», "the second
    one", "2nd"); ``None`` for anything else."""
    folded = fold(text)
    match = _NUMBER_WORDS.match(folded) or _GLUED.match(folded)
    if match is not None:
        return int(match.group(1)) if match.group(1).isascii() else None
    match = _ORDINAL.match(folded)
    if match is None:
        return None
    word = next(group for group in match.groups() if group is not None)
    if word.isdecimal():
        return int(word) if word.isascii() else None
    return _ORDINAL_VALUES[word]


def plain_answer(text: str) -> str:
    """``text`` folded, short forms expanded («ko» → «không») and without the politeness
    around it: «dạ có ạ» → "co", "có nhé" → "co"."""
    folded = _expand(fold(text))
    return _without_politeness(folded) or folded


def is_number(text: str) -> bool:
    """ASCII digits only: ``"²"`` or ``"١"`` pass ``str.isdigit`` but ``int()`` rejects them."""
    return text.isascii() and text.isdecimal()


def zero_padded(text: str) -> bool:
    """«0007», «007»: the end of a document's number (SK-2026-0007), never a button's number
    (nobody types «002» for the second)."""
    value = text.strip()
    return len(value) >= 3 and value.startswith("0") and is_number(value)


# Politeness around a short answer: «dạ có», «vâng ạ», «ok nhé», «em không đi được» mean
# «có», «vâng», «ok», «không đi được». (Not «xin phép»: «xin phép vắng» is no «vâng».)
_POLITE_BEFORE = ("da ", "em ", "toi ", "please ")
_POLITE_AFTER = (" a", " nhe", " nha", " please", " thanks", " thank you")


# "k", "ko"... are «không» as people type it: "k đồng ý" is «không đồng ý».
_NOT_SHORT = frozenset({"k", "ko", "kg", "khg", "hok", "khog", "khng", "kh"})
# Words that turn an answer around: a label is picked loosely (by its first words, or fuzzily)
# only if it has the text's own: "k công nhận" or "đừng xóa" (folded «dung») never picks
# «Công nhận» or «Xóa», and "chưa xác nhận" never «Xác nhận».
_NEGATIONS = frozenset(
    {
        *("khong", "dung", "chua", "not", "dont", "don", "never", "no", "cant", "cannot"),
        *("wont", "isnt", "arent", "didnt", "doesnt", "couldnt", "wouldnt", "shouldnt"),
    }
)
# Of those, the ones that are nothing but a negation in a label: not «đúng», «dùng», «đơn vị»,
# «chùa», which fold to the letters of «đừng», "don't", «chưa».
_PLAIN_NEGATIONS = _NEGATIONS - {"dung", "don", "chua"}


# ...and "dc", "đc" are «được»: "ko đi đc" is «không đi được»; "QL" is «quản lý» in every
# office name («phòng QL khoa học»; «QLKH», one word, stays a short form of its own).
_SHORT = {**dict.fromkeys(_NOT_SHORT, "khong"), "dc": "duoc", "ql": "quan ly"}


# Folding splits "can't" into "can t": joined again, it is the negation "cant".
_CONTRACTION = re.compile(r"\b(can|don|won|isn|aren|didn|doesn|couldn|wouldn|shouldn) t\b")


# The department's own name, however it is written: «KH&CN», «KH-CN» (folded «kh cn», which
# would otherwise read as «không cn»), «KHCN», «khoa học (và) công nghệ».
_SCIENCE = re.compile(r"\bkh cn\b|\bkhoa hoc (?:va )?cong nghe\b")


def _expand(folded: str) -> str:
    if " t" in folded:
        folded = _CONTRACTION.sub(r"\1t", folded)
    if "kh" in folded:
        folded = _SCIENCE.sub("khcn", folded)
    words = folded.split()
    if not _SHORT.keys() & set(words):
        return folded
    return " ".join(_SHORT.get(word, word) for word in words)


def _without_politeness(folded: str) -> str:
    for before in _POLITE_BEFORE:
        if folded.startswith(before):
            folded = folded[len(before) :]
    for after in _POLITE_AFTER:
        if folded.endswith(after):
            folded = folded[: -len(after)]
    return folded.strip()


def match_choice(text: str, choices: Sequence[Choice], *, fuzzy: bool = True) -> str | None:
    """Return the value of the choice ``text`` designates, or ``None``.

    ``"2"``, ``"2."`` or ``"(2)"`` picks the second choice; otherwise the text is compared to
    every label and alias: exactly as written (but for case) first, then without accents or
    punctuation, then as the first words of exactly one label (the first words of several:
    ``None``, see :func:`starting_with`), then as words from inside exactly one long label,
    then fuzzily (typos, word order) when one choice is clearly the best. In the exact stages
    a label shown on the screen (a choice's first) wins over another choice's other labels
    and aliases.
    Each stage also tries the text without the politeness around it («dạ có», «vâng ạ»)
    before the next, looser one: "vâng ạ" is «vâng», not fuzzily «vắng mặt». (Typed with its
    accents, «đã» is not the polite «dạ»: "đã nộp" is not "nộp".) ``fuzzy=False``: no fuzzy
    stage, for free text that is only *perhaps* a choice (the main menu's items typed outside
    any flow: "sáng kiến của tôi" must not open «Hội nghị của tôi»).
    """
    folded = fold(text)
    if not folded:
        return None
    index = typed_number(folded)
    if index is not None and is_number(folded):
        return choices[index - 1].value if 1 <= index <= len(choices) else None
    folded = _expand(folded)
    typed = clean(text).casefold()  # as written, but for case
    polite = "" if typed.startswith("đ") else _without_politeness(folded)
    forms = [folded] if not polite or polite == folded else [folded, polite]
    # (rank of the label in its choice, label as written, folded, value); sorted by rank: a
    # label shown (a choice's first) before another choice's other labels and aliases.
    ranked: list[tuple[int, str, str, str]] = []
    for choice in choices:
        for rank, label in enumerate((*choice.labels, *choice.aliases)):
            raw = fold(label)
            key = _expand(raw)
            if key:
                ranked.append((rank, clean(label).casefold(), key, choice.value))
            if raw != key:  # its first words as people shorten them: «Sở Khoa học» for
                # «Sở Khoa học và Công nghệ…», which the short form «Sở KHCN» would not start
                ranked.append((rank, clean(label).casefold(), raw, choice.value))
    ranked.sort(key=lambda item: item[0])
    # Exactly as written (accents, dashes): "hoi-nghi-2025" is the event with that id...
    for _, written, _, value in ranked:
        if written == typed:
            return value
    # ...then once folded: "hoi nghi 2025" is the event titled «Hội nghị 2025».
    candidates = [(key, value) for _, _, key, value in ranked]
    for form in forms:
        for key, value in candidates:
            if key == form:
                return value
    if index is not None:  # «dạ 2 ạ», «số 2» (after the labels: one may be «Phương án 2 A»)
        return choices[index - 1].value if 1 <= index <= len(choices) else None
    forms = [form for form in forms if len(form) >= 3]
    # The loose stages below compare with labels that have the text's negations, and a label
    # with a negation only with a text that has one: "tham dự" is never «Không, tôi không thể
    # tham dự», "can come" never "can't come" (a typo of «không» is in _NOT_SHORT: «khog»).
    worded = {form: _same_negations(form, candidates) for form in forms}
    for form in forms:
        # The first words of exactly one label: "hồ sơ" for "Hồ sơ của tôi". The first words
        # of several: ambiguous, and no looser stage may settle it ("văn phòng" is «Văn phòng
        # Sở» or «Văn phòng UBND tỉnh»; the fuzzy stage would prefer the shorter one).
        prefixed = {value for key, value in worded[form] if key.startswith(form + " ")}
        if len(prefixed) == 1:
            return prefixed.pop()
        if prefixed:
            return None
    for form in forms:
        # Words from inside exactly one long label: "chuyển đổi số" for «Hưng Yên đẩy mạnh
        # thực hiện Đề án chuyển đổi số giai đoạn 2021-2025»; from a shorter one, a phrase of
        # three words or more: "chuyển đổi số" for «Tập huấn chuyển đổi số», not "đi" or
        # "tham dự" for «Tôi không đi» or «Có, tôi sẽ tham dự».
        if " " in form:
            phrase = form.count(" ") + 1 >= PHRASE_WORDS
            inside = {
                value
                for key, value in worded[form]
                if (phrase or key.count(" ") + 1 >= LONG_LABEL_WORDS) and f" {form} " in f" {key} "
            }
            # ...and the words of no other label, in any order: «người áp dụng» is inside
            # «Lợi ích (người áp dụng đánh giá)» but also in «Người tham gia áp dụng».
            words = set(form.split())
            bag = {value for key, value in worded[form] if words <= set(key.split())}
            if len(inside) == 1 and len(bag) == 1:
                return inside.pop()
            if len(bag) > 1 and inside:
                return None
    if not fuzzy:
        return None
    for form in forms:
        # Three words or more, each in one label in their order, with others between them:
        # «hội đồng tỉnh Hưng Yên» for «Hội đồng sáng kiến tỉnh Hưng Yên», «chuyển đổi số
        # 2021-2025», «phòng văn hóa huyện». When several labels have them (also «Hội đồng
        # sáng kiến Sở KHCN tỉnh Hưng Yên»), the one with the fewest words between.
        if form.count(" ") + 1 >= PHRASE_WORDS:
            found = _in_order(form.split(), worded[form])
            if found is not None:
                return found
    for form in forms:
        found = _similar(form, worded[form])
        if found is not None:
            return found
    return None


def starting_with(text: str, choices: Sequence[Choice]) -> list[str]:
    """The values of the choices that have a label starting with the words ``text`` (folded),
    in their order: what to offer when :func:`match_choice` found ``text`` ambiguous."""
    form = _expand(fold(text))
    if len(form) < 3 or is_number(form):
        return []
    found: list[str] = []
    for choice in choices:
        for label in (*choice.labels, *choice.aliases):
            raw = fold(label)
            for key in {_expand(raw), raw}:  # as match_choice compares them
                if (key == form or key.startswith(form + " ")) and choice.value not in found:
                    found.append(choice.value)
    return found


def words_in_one(text: str, choices: Sequence[Choice]) -> str | None:
    """The choice whose label has every word of ``text`` (folded), when exactly one does:
    «sở» or «ubnd» right after "«Văn phòng Sở» or «Văn phòng UBND tỉnh»?", where the words
    that tell the options apart are not their first ones."""
    words = _expand(fold(text)).split()
    if not words or is_number(" ".join(words)):
        return None
    found = {
        choice.value
        for choice in choices
        for label in (*choice.labels, *choice.aliases)
        if set(words) <= set(_expand(fold(label)).split())
    }
    return found.pop() if len(found) == 1 else None


def _in_order(words: list[str], candidates: list[tuple[str, str]]) -> str | None:
    """The value of the candidate whose key has ``words`` in that order with the fewest other
    words between them, when exactly one has the fewest (``None`` if none has them all)."""
    gaps: dict[str, int] = {}
    for key, value in candidates:
        gap = _gap(words, key.split())
        if gap is not None and gap < gaps.get(value, gap + 1):
            gaps[value] = gap
    if not gaps:
        return None
    fewest = min(gaps.values())
    best = [value for value, gap in gaps.items() if gap == fewest]
    return best[0] if len(best) == 1 else None


def _gap(words: list[str], label: list[str]) -> int | None:
    """How many other words lie between ``words`` found in ``label`` in their order, in its
    tightest stretch; ``None`` when the label does not have them all in that order."""
    fewest: int | None = None
    for start, word in enumerate(label):
        if word != words[0]:
            continue
        at = start
        for wanted in words[1:]:
            try:
                at = label.index(wanted, at + 1)
            except ValueError:
                return fewest  # a later start finds no more than this one
        gap = at - start + 1 - len(words)
        fewest = gap if fewest is None else min(fewest, gap)
    return fewest


def _same_negations(form: str, candidates: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """The candidates that have every negation word of ``form``, and, when it has no plain
    negation, none with one."""
    negations = _NEGATIONS.intersection(form.split())
    negated = bool(_PLAIN_NEGATIONS.intersection(form.split()))
    return [
        (key, value)
        for key, value in candidates
        if bool(_PLAIN_NEGATIONS.intersection(key.split())) == negated
        and negations.issubset(key.split())
    ]


def _similar(folded: str, candidates: list[tuple[str, str]]) -> str | None:
    """Whole-string similarity (typos, word order), never partial: "chuyên viên" must not pick
    "Phòng Quản lý chuyên ngành" because one word is shared."""
    scored = process.extract(
        folded,
        [k for k, _ in candidates],
        scorer=fuzz.token_sort_ratio,
        limit=None,
        score_cutoff=FUZZY_CUTOFF,
    )
    if not scored:
        return None
    best_value = candidates[scored[0][2]][1]
    # Ambiguous when another choice scores as high as the best one.
    for _, score, index in scored[1:]:
        if candidates[index][1] != best_value and score >= scored[0][1]:
            return None
    return best_value
