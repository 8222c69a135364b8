"""Search over the sections of the official documents, for questions typed on phones.

Pipeline for a question:

1. **Normalise**: fold (no accents, đ→d, lower case, punctuation out); expand abbreviations
   (``UBND``, ``KH&CN``, ``HN``...) and translate English terms with the lexicon
   (``knowledge/lexicon.toml``); repair typos against the documents' own vocabulary (telex
   residue ``hieuj``, doubled vowels ``duaa``, ``f`` for ``ph``, one-letter slips, chosen by
   the syllable pairs the documents contain).
2. **Rank**: BM25 over folded syllables and syllable pairs, with the section's headings (its
   own and its parents'), its role ("signature", "recipients"...) and its document's title as
   weaker fields; syllables that keep the question's diacritics add a bonus. Scoring is
   vectorised (numpy), so it stays fast on a thousand times the shipped documents.
3. **Check** the best candidates: how much of the question's content the passage covers
   (IDF-weighted), and whether it holds what is asked: a date for "khi nào / ngày nào", a
   number for "bao nhiêu", a place for "ở đâu". Below the threshold, or without the evidence,
   the search abstains rather than quote something beside the point.
4. **Both plans**: when the best passages of two documents answer alike (award quotas of 2023
   and 2025) and the question names neither, both are returned (``Answer.also``).
"""

from __future__ import annotations

import itertools
import math
import re
import sys
import tomllib
import unicodedata
from array import array
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

import numpy as np
import numpy.typing as npt
from rapidfuzz.distance import OSA

from bot.domain.text import fold
from bot.kb.models import Answer, DocumentMeta, Hit, SectionRecord

K1 = 1.2
B = 0.75
BIGRAM_WEIGHT = 0.8
CONTEXT_WEIGHT = 0.6  # headings, parents, role keywords
DOCUMENT_WEIGHT = 0.25  # the document's title and metadata
NAMING_WEIGHT = 0.35  # section score of a question word that is in a document's title
DOCUMENT_CREDIT = 0.5  # coverage credit of a question word found only in the document's title
OTHER_YEAR = 0.8  # a question naming the year of one plan, a passage of another plan
HEADING_BOOST = 1.5  # "khi nào" and a "Thời gian..." heading, "bao nhiêu" and "Số lượng..."
CANDIDATES = 40
MIN_COVERAGE = 0.55  # share of the question's content a passage must hold
ALSO_RATIO = 0.6  # the other plan's passage is shown when it scores this close...
ALSO_COVERAGE_GAP = 0.1  # ...and covers the question about as well
ALTERNATIVES = 3
ALTERNATIVE_RATIO = 0.25  # a "xem thêm" section scores at least this share of the best...
ALTERNATIVE_COVERAGE = 0.45  # ...and covers this much of the question
NEAR_CACHE = 50_000  # syllables whose one-edit neighbours are remembered
MIN_CONTENT_WORDS = 2  # "gửi" alone is no question ("khẩu hiệu", "kinh phí" are)
ACCENT_MISMATCH = 0.5  # coverage credit of a word matched only without the diacritics typed
STRANGE_MIN_PAIRS = 3  # a question with at least this many pairs of known syllables...
STRANGE_RATIO = 0.6  # ...of which this share never occurs in the documents...
STRANGE_PENALTY = 0.75  # ...has its coverage reduced by this factor
STRANGE_ALL_PENALTY = 0.5  # ...or by this one when none of its pairs occurs in the documents
INTENT_BONUS = 1.0  # "ai ký" asks for the signature, "thay thế" for the closing note...

# A point in time ("11/6/2023", "quý II/2025", "tháng 6"); a year or a period is weaker evidence
# for "khi nào" and the evidence for "giai đoạn nào".
DATE = re.compile(
    r"\b\d{1,2}/\d{1,2}(?:/\d{2,4})?\b|\bquý\s+[IVX]+/\d{4}|\btháng\s+\d{1,2}\b", re.IGNORECASE
)
PERIOD = re.compile(r"\bnăm\s+\d{4}\b|\b\d{4}\s*[-–]\s*\d{4}\b|\bgiai đoạn\s+\d{4}", re.IGNORECASE)
WEAK_DATE = 0.7
# A year asked about on its own ("năm 2021", "in 2024"): not a date's, a number's or a range's.
ASKED_YEAR = re.compile(r"(?<![\d/.\-–])(?:19|20)\d{2}(?![\d/.\-–])")
DURATION = re.compile(
    r"(?:\d+|½|một|hai|ba|nửa)\s*(?:buổi|ngày|giờ|tuần|tháng|năm)\b", re.IGNORECASE
)
MONEY = re.compile(
    r"\d[\d.,]*\s*(?:đồng|triệu|nghìn|ngàn|tỷ|vnđ|vnd)\b|lần mức lương", re.IGNORECASE
)
# A quantity: "60 đại biểu", "01-02 tập thể" (not a year, a date or a document number).
QUANTITY = re.compile(r"(?<![\d/.\-])\d{1,3}(?:\s*[-–]\s*\d{1,3})?(?![\d/.\-])\s+[^\W\d_]")
ASKED_HEADINGS = {
    "date": ("thoi gian", "ngay", "thoi han"),
    "period": ("thoi gian", "giai doan"),
    "duration": ("thoi gian",),
    "money": ("kinh phi", "muc thuong"),
    "source": ("kinh phi", "nguon"),
    "clock": ("thoi gian",),
    "number": ("so luong",),
    "place": ("dia diem", "dia chi"),
    "site": ("dia diem", "dia chi"),
    "name": ("ten",),
    "body": (),
    "document": (),
}
PLACE_WORDS = (
    "dia diem",
    "dia chi",
    "hoi truong",
    "tru so",
    "phong hop",
    "to chuc tai",
    "tai so",
)
# An item whose heading is a place or a scope answers "ở đâu" ("Phạm vi: Trên địa bàn tỉnh
# Hưng Yên"); "trên địa bàn" inside a long passage does not.
PLACE_HEADINGS = ("dia diem", "dia chi", "pham vi", "dia ban")

# Question words (folded) and what the passage must then hold.
ASKS_DATE = (
    "khi nao",
    "bao gio",
    "ngay nao",
    "luc nao",
    "thoi han",
    "han nop",
    "ngay bao nhieu",
    "thang nao",
    "when",
    "what date",
)
ASKS_PERIOD = (
    "giai doan nao",
    "nam nao",
    "thoi ky nao",
    "nam bao nhieu",
    "nam may",
    "which period",
    "which years",
    "until what year",
)
ASKS_DURATION = ("bao lau", "keo dai", "how long", "trong may ngay", "may buoi")
ASKS_MONEY = (
    "bao nhieu tien",
    "muc thuong",
    "tien thuong",
    "muc chi",
    "how much money",
    "prize money",
    "cash",
    "gia tri giai thuong",
)
ASKS_NUMBER = ("bao nhieu", "so luong", "how many", "how much", "may nguoi", "may tap the")
ASKS_PLACE = ("o dau", "where", "noi nao", "cho nao")
# A venue or an address: a scope ("trên địa bàn tỉnh") is no answer to that.
ASKS_SITE = ("dia diem", "dia chi", "tru so", "venue", "address")
ASKS_CLOCK = ("may gio", "gio nao", "luc may gio", "what time")
CLOCK = re.compile(r"\b\d{1,2}\s*(?:giờ|h)(?:\s*\d{2})?\b|\b\d{1,2}:\d{2}\b", re.IGNORECASE)
ASKS_SOURCE = ("lay o dau", "tu dau", "lay tu dau", "nguon nao", "nguon tu dau", "come from")
# «cơ quan nào», «đơn vị nào»: the answer names a body; the words say what is asked, not of what
ASKS_BODY = ("co quan nao", "don vi nao", "phong nao", "which agency", "which body")
# «nghị quyết nào quy định mức chi…»: which legal text, not the money it mentions. Only «nào»
# is the asking word: the kind of text stays content.
ASKS_DOCUMENT = (
    *(
        f"{kind} nao"
        for kind in ("nghi quyet", "quyet dinh", "thong tu", "nghi dinh", "chi thi", "van ban")
    ),
    "luat nao",
    "which resolution",
    "which decision",
    "which law",
    "which document",
)
LEGAL_TEXT = re.compile(r"\b(?:Luật|Nghị quyết|Quyết định|Thông tư|Nghị định|Chỉ thị)\b")
ASKS_NAME = ("ten la gi", "ten gi", "ten la", "co ten", "what is the name", "called", "named")
QUOTED = re.compile(r"[“\"«][^”\"»]{3,}[”\"»]")
DOCUMENT_NUMBER = re.compile(r"\d+\s*/\s*\d*\s*[A-Za-zĐđ]")  # "1578/SNV", "98/2023/NĐ-CP"
ROLE_PRIOR = {"title": 0.7, "preamble": 0.6}  # they restate the title; they answer on request
TYPE_WORDS = {
    "nao",
    "gio",
    "luc",
    "dau",
    "lau",
    "when",
    "where",
    "bao",
    "nhieu",
    "how",
    "many",
    "much",
    "long",
}
# Words that only English questions use: with two of them, English stopwords apply (otherwise
# "to", "the", "can" are Vietnamese syllables: tổ, thế, căn).
ENGLISH_MARKERS = frozenset(
    {
        "the",
        "what",
        "which",
        "how",
        "does",
        "is",
        "are",
        "of",
        "for",
        "when",
        "where",
        "who",
        "with",
        "from",
        "many",
        "much",
        "do",
        "did",
        "was",
        "were",
        "will",
        "would",
        "should",
        "could",
        "at",
        "in",
        "and",
        "this",
        "that",
        "there",
        "why",
        "whom",
        "whose",
        "has",
        "have",
        "been",
    }
)
# What a question asks for, in the order the kinds are tried (the first phrase found decides).
ASKS_KINDS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("document", ASKS_DOCUMENT),
    ("clock", ASKS_CLOCK),
    ("source", ASKS_SOURCE),
    ("money", ASKS_MONEY),
    ("duration", ASKS_DURATION),
    ("date", ASKS_DATE),
    ("period", ASKS_PERIOD),
    ("number", ASKS_NUMBER),
    ("site", ASKS_SITE),
    ("place", ASKS_PLACE),
    ("name", ASKS_NAME),
    ("body", ASKS_BODY),
)

_TONES = {"\u0300", "\u0301", "\u0303", "\u0309", "\u0323"}
_TELEX_TAIL = "sfrxj"


def accent_key(token: str) -> str:
    """The token with its tone mark moved to the end: "hoà" and "hòa" give the same key."""
    decomposed = unicodedata.normalize("NFD", token.lower())
    tones = [ch for ch in decomposed if ch in _TONES]
    base = unicodedata.normalize("NFC", "".join(ch for ch in decomposed if ch not in _TONES))
    return base + "".join(tones)


def accented_tokens(text: str) -> list[str]:
    return [accent_key(t) for t in re.findall(r"\w+", unicodedata.normalize("NFC", text))]


# --- lexicon -----------------------------------------------------------------------------------


def _phrase_pattern(mapping: dict[str, str]) -> re.Pattern[str] | None:
    if not mapping:
        return None
    variants = sorted(mapping, key=len, reverse=True)
    return re.compile(r"(?<![\w])(?:" + "|".join(re.escape(v) for v in variants) + r")(?![\w])")


def _english_plural(phrase: str) -> str:
    """The phrase with its last word in the plural ("proposal" -> "proposals", "policy" ->
    "policies"). Folded Vietnamese never ends in "s", so the plural is never a Vietnamese word."""
    head, _, last = phrase.rpartition(" ")
    if last.endswith("y") and len(last) > 2 and last[-2] not in "aeiou":
        last = last[:-1] + "ies"
    elif last.endswith(("s", "x", "z", "ch", "sh")):
        last += "es"
    else:
        last += "s"
    return f"{head} {last}" if head else last


@dataclass
class Lexicon:
    expand: dict[str, str] = field(default_factory=dict)  # variant -> full form (both sides)
    query: dict[str, str] = field(default_factory=dict)  # variant -> full form (questions)
    english: dict[str, str] = field(default_factory=dict)
    stopwords: frozenset[str] = frozenset()
    english_stopwords: frozenset[str] = frozenset()
    kinds: dict[str, str] = field(default_factory=dict)
    intents: dict[str, tuple[str, ...]] = field(default_factory=dict)  # kind -> phrases
    others: tuple[str, ...] = ()  # other provinces and departments than the plans' own
    faq_context: tuple[str, ...] = ()  # phrases a curated question may leave out (longest first)

    def __post_init__(self) -> None:
        self._expand = _phrase_pattern(self.expand)
        self._query = _phrase_pattern({**self.query, **self.english})
        self._faq_context = _phrase_pattern({p: "" for p in self.faq_context})

    def without_setting(self, form: str) -> str:
        """``form`` (folded) without the phrases of :attr:`faq_context`."""
        return self._faq_context.sub(" ", form) if self._faq_context is not None else form

    @classmethod
    def load(cls, path: Path | None = None) -> Lexicon:
        if path is None:
            text = resources.files("knowledge").joinpath("lexicon.toml").read_text("utf-8")
        else:
            text = path.read_text("utf-8")
        data = tomllib.loads(text)

        def invert(table: dict[str, list[str]]) -> dict[str, str]:
            return {fold(v): fold(full) for full, variants in table.items() for v in variants}

        english = invert(data.get("english", {}))
        for variant, full in list(english.items()):  # "proposal" also stands for "proposals"
            english.setdefault(_english_plural(variant), full)

        stop = data.get("stopwords", {})
        return cls(
            expand=invert(data.get("expand", {})),
            query=invert(data.get("query", {})),
            english=english,
            stopwords=frozenset(fold(w) for w in stop.get("vi", [])),
            english_stopwords=frozenset(fold(w) for w in stop.get("en", [])),
            kinds={k: fold(v) for k, v in data.get("kinds", {}).items()},
            intents={k: tuple(fold(p) for p in v) for k, v in data.get("intents", {}).items()},
            others=tuple(fold(p) for names in data.get("others", {}).values() for p in names),
            faq_context=tuple(
                sorted({fold(p) for p in data.get("faq", {}).get("context", [])}, key=len)[::-1]
            ),
        )

    def document_form(self, text: str) -> str:
        folded = fold(text)
        if self._expand is not None:
            folded = self._expand.sub(lambda m: self.expand[m.group(0)], folded)
        return folded

    def question_form(self, text: str) -> tuple[str, list[str]]:
        """The question in the documents' form, and the lexicon phrases it was mapped to (each
        one a concept the answer should hold as a whole: "tiền thưởng" is not "thưởng")."""
        folded = fold(text)
        phrases: list[str] = []

        def replace(table: dict[str, str]) -> Callable[[re.Match[str]], str]:
            def inner(match: re.Match[str]) -> str:
                full = table[match.group(0)]
                if " " in full:
                    phrases.append(full)
                return full

            return inner

        if self._query is not None:
            folded = self._query.sub(replace({**self.query, **self.english}), folded)
        if self._expand is not None:
            folded = self._expand.sub(replace(self.expand), folded)
        return folded, phrases

    def intent(self, folded_question: str) -> str | None:
        """The section role a question asks for ("ai ký" -> signature), if any."""
        padded = f" {folded_question} "
        for kind, phrases in self.intents.items():
            if any(f" {p} " in padded for p in phrases):
                return kind
        return None


# --- index -------------------------------------------------------------------------------------


def _bigrams(tokens: Sequence[str]) -> list[str]:
    return [f"{a}_{b}" for a, b in itertools.pairwise(tokens)]


@dataclass
class _Entry:
    section: SectionRecord
    document: DocumentMeta
    body: str  # folded, expanded body
    haystack: str  # body, headings and role words, padded with spaces
    doc_haystack: str  # the document's title and relations, padded with spaces
    body_set: frozenset[str]  # syllables of the body, headings and role words
    doc_set: frozenset[str]  # syllables of the document's title and relations
    heading: str  # the section's own heading, folded
    heading_tokens: frozenset[str]
    parent_tokens: frozenset[str]  # the nearest enclosing heading
    accents: frozenset[str]
    is_heading_only: bool


class SearchIndex:
    def __init__(
        self,
        documents: Iterable[DocumentMeta],
        sections: Iterable[SectionRecord],
        lexicon: Lexicon,
    ) -> None:
        self.lexicon = lexicon
        self.documents = {d.id: d for d in documents}
        self.entries: list[_Entry] = []
        # Postings collected as compact arrays (term frequencies first; BM25 weights once the
        # document frequencies are known): a thousand copies of the plans fit in memory.
        raw_ids: dict[str, array[int]] = defaultdict(lambda: array("i"))
        raw_tfs: dict[str, array[float]] = defaultdict(lambda: array("f"))
        lengths = array("f")
        doc_forms = {
            d.id: lexicon.document_form(" ".join([d.title, d.short_title, *d.relations]))
            for d in self.documents.values()
        }
        for section in sections:
            document = self.documents.get(section.document_id)
            if document is None:
                continue
            body = lexicon.document_form(section.text)
            context = lexicon.document_form(" ".join([section.heading, *section.parents])) + (
                " " + lexicon.kinds.get(section.kind, "")
            )
            tokens = [sys.intern(t) for t in body.split()]
            ctx_tokens = [sys.intern(t) for t in context.split()]
            doc_tokens = doc_forms[document.id].split()
            counts: defaultdict[str, float] = defaultdict(float)
            for toks, weight in ((tokens, 1.0), (ctx_tokens, CONTEXT_WEIGHT)):
                for term in toks:
                    counts[term] += weight
                for term in _bigrams(toks):
                    counts[term] += weight
            position = len(self.entries)
            for term, tf in counts.items():
                raw_ids[term].append(position)
                raw_tfs[term].append(tf)
            lengths.append(len(tokens) + CONTEXT_WEIGHT * len(ctx_tokens))
            first_line = section.text.split("\n", 1)[0]
            self.entries.append(
                _Entry(
                    section=section,
                    document=document,
                    body=body,
                    haystack=f" {body} {context} ",
                    doc_haystack=f" {doc_forms[document.id]} ",
                    body_set=frozenset(tokens + ctx_tokens),
                    doc_set=frozenset(doc_tokens),
                    heading=lexicon.document_form(section.heading),
                    heading_tokens=frozenset(lexicon.document_form(section.heading).split()),
                    parent_tokens=frozenset(
                        lexicon.document_form(section.parents[-1]).split()
                        if section.parents
                        else ()
                    ),
                    accents=frozenset(
                        accented_tokens(" ".join([section.text, section.heading, *section.parents]))
                    ),
                    is_heading_only=(
                        section.kind in ("part", "item")
                        and "\n" not in section.text
                        and len(first_line) <= len(section.heading) + 12
                    ),
                )
            )
        self.size = len(self.entries)
        self._positions = {entry.section.id: i for i, entry in enumerate(self.entries)}
        self._near_cache: dict[str, list[str]] = {}
        # Items under a heading-only part or item ("2. Yêu cầu" -> "a)", "b)"), by position.
        by_path = {(e.document.id, e.section.path): i for i, e in enumerate(self.entries)}
        self._children: dict[int, list[int]] = defaultdict(list)
        for i, entry in enumerate(self.entries):
            parent_path = entry.section.path.rpartition(".")[0]
            parent = by_path.get((entry.document.id, parent_path)) if parent_path else None
            if parent is not None and self.entries[parent].is_heading_only:
                self._children[parent].append(i)
        df = {t: len(ids) for t, ids in raw_ids.items()}
        self.idf = {t: math.log(1 + (self.size - n + 0.5) / (n + 0.5)) for t, n in df.items()}
        self.vocabulary = {t for t in df if "_" not in t}
        self.bigram_set = {t for t in df if "_" in t}
        self.df = df
        length = np.frombuffer(lengths, dtype=np.float32) if self.size else np.ones(1, np.float32)
        norm = K1 * (1 - B + B * length / float(length.mean()))
        self.postings: dict[str, tuple[npt.NDArray[np.int32], npt.NDArray[np.float32]]] = {}
        for term, id_array in raw_ids.items():
            ids = np.frombuffer(id_array, dtype=np.int32)
            freq = np.frombuffer(raw_tfs[term], dtype=np.float32)
            weights = (self.idf[term] * freq * (K1 + 1) / (freq + norm[ids])).astype(np.float32)
            self.postings[term] = (ids, weights)
        del raw_ids, raw_tfs
        self._max_idf = max(self.idf.values(), default=1.0)
        # The document's title and relations count once per document, not per section (they
        # would make the document's own words look common), and are added to its sections.
        self._doc_terms = {
            doc_id: frozenset((*form.split(), *_bigrams(form.split())))
            for doc_id, form in doc_forms.items()
        }
        self._naming: frozenset[str] = frozenset().union(*self._doc_terms.values())
        self._years = {d.year for d in self.documents.values() if d.year}
        # Other provinces and departments, those no document names (asked of: out of scope).
        # Named: each word and each pair of neighbours occurs, in a passage or a title (the
        # terms indexed already; no second pass over the text).
        words, pairs = self.vocabulary | self._naming, self.bigram_set | self._naming
        self._others = tuple(
            p
            for p in lexicon.others
            if not (set(p.split()) <= words and set(_bigrams(p.split())) <= pairs)
        )
        members: dict[str, list[int]] = defaultdict(list)
        for i, entry in enumerate(self.entries):
            members[entry.document.id].append(i)
        doc_postings: dict[str, list[int]] = defaultdict(list)
        for doc_id, terms in self._doc_terms.items():
            for term in terms:
                doc_postings[term].extend(members[doc_id])
        self._doc_postings = {t: np.asarray(ids, dtype=np.int32) for t, ids in doc_postings.items()}

    def hit(self, section_id: int) -> Hit | None:
        """A section by its id, as a hit (for "xem thêm" buttons), or ``None`` if gone."""
        position = self._positions.get(section_id)
        if position is None:
            return None
        entry = self.entries[position]
        return Hit(section=entry.section, document=entry.document, score=1.0)

    # --- question analysis ---------------------------------------------------------------

    def _correct(self, tokens: list[str], typed: frozenset[str] = frozenset()) -> list[str]:
        """Repair syllables the documents do not contain (typos, telex residue), and known
        syllables that fit neither neighbour when a close one does ("thoi gan" -> "thoi gian").

        Unknown syllables are repaired first, so that a known one is judged against its repaired
        neighbours ("biểu dươnng": "bieu" fits "duong", not "duonng"). A known syllable the
        person typed with its diacritics (``typed``: folded) is a word they meant, not a slip
        ("hồ sơ" is no typo of "cơ sở"), and a known syllable never becomes a stopword."""
        fixed = list(tokens)
        for known_pass in (False, True):
            for i, token in enumerate(tokens):
                if (
                    token.isdigit()
                    or len(token) < 2
                    or token in TYPE_WORDS
                    or token in self.lexicon.stopwords
                ):
                    continue
                known = token in self.vocabulary
                if known != known_pass or (known and token in typed):
                    continue
                best = self._repair(fixed, i, known)
                if best is not None:
                    fixed[i] = best
        return fixed

    def _repair(self, fixed: list[str], i: int, known: bool) -> str | None:
        token = fixed[i]
        prev = fixed[i - 1] if i else None
        nxt = fixed[i + 1] if i + 1 < len(fixed) else None

        def support(word: str) -> tuple[int, int]:
            context = int(bool(prev and f"{prev}_{word}" in self.bigram_set)) + int(
                bool(nxt and f"{word}_{nxt}" in self.bigram_set)
            )
            return context, self.df.get(word, 0)

        if known and (support(token)[0] > 0 or (prev is None and nxt is None)):
            return None  # a syllable of the documents that fits its neighbours
        candidates: list[str] = []
        if not known:
            if token[-1] in _TELEX_TAIL and token[:-1] in self.vocabulary:
                candidates.append(token[:-1])
            # no Vietnamese syllable doubles a letter: "duonng", "hoii", "ddieu"
            collapsed = re.sub(r"([a-z])\1", r"\1", re.sub(r"([aou])w", r"\1", token))
            if collapsed in self.vocabulary:
                candidates.append(collapsed)
            if token.startswith("f") and "ph" + token[1:] in self.vocabulary:
                candidates.append("ph" + token[1:])
        by_rule = bool(candidates)
        if not candidates:  # one slip: a letter missing, extra, wrong or two swapped
            candidates = [v for v in self._near(token) if v != token]
            if known:
                candidates = [v for v in candidates if v not in self.lexicon.stopwords]
        if not candidates:
            return None
        best = max(candidates, key=support)
        if not by_rule and support(best)[0] == 0:
            return None  # a slip is only fixed when a neighbour confirms it
        if known and support(best)[1] < 2:
            return None  # a known syllable is only replaced by a common one
        return best

    def _near(self, token: str) -> list[str]:
        """Syllables of the documents one edit away (OSA: a swap of two letters is one edit);
        remembered, since people repeat their words."""
        near = self._near_cache.get(token)
        if near is None:
            near = [
                v
                for v in self.vocabulary
                if abs(len(v) - len(token)) <= 1 and OSA.distance(v, token) <= 1
            ]
            if len(self._near_cache) < NEAR_CACHE:
                self._near_cache[token] = near
        return near

    @staticmethod
    def asks_of(folded_question: str) -> tuple[str | None, set[str]]:
        """What kind of answer the (folded) question wants, and the words of every phrase of
        that kind it holds («hạn nộp … ngày nào»: both)."""
        kind, _ = SearchIndex._asks(folded_question)
        if kind is None:
            return None, set()
        padded = f" {folded_question} "
        phrases = dict(ASKS_KINDS)[kind]
        return kind, {word for p in phrases if f" {p} " in padded for word in p.split()}

    @staticmethod
    def _asks(folded_question: str) -> tuple[str | None, set[str]]:
        """What kind of answer the question wants, and the words of the phrase that said so
        ("lấy ở đâu": a source; these words are not content)."""
        padded = f" {folded_question} "
        for kind, words in ASKS_KINDS:
            for w in words:
                if f" {w} " in padded:
                    return kind, ({w.split()[-1]} if kind == "document" else set(w.split()))
        return None, set()

    def _holds(self, entry: _Entry, asks: str | None) -> bool:
        text = entry.section.text
        if asks == "date":
            return bool(DATE.search(text) or PERIOD.search(text))
        if asks == "period":
            return bool(PERIOD.search(text))
        if asks == "duration":
            return bool(DURATION.search(text))
        if asks == "money":
            return bool(MONEY.search(text))
        if asks == "number":
            return bool(QUANTITY.search(text))
        if asks == "site":
            return any(w in entry.body for w in PLACE_WORDS)
        if asks == "place":
            return any(w in entry.body for w in PLACE_WORDS) or any(
                h in entry.heading for h in PLACE_HEADINGS
            )
        if asks == "name":
            return bool(QUOTED.search(text))
        if asks == "source":
            return " nguon " in f" {entry.body} "
        if asks == "clock":
            return bool(CLOCK.search(text))
        if asks == "document":
            return bool(DOCUMENT_NUMBER.search(text) or LEGAL_TEXT.search(text))
        return True

    # --- search --------------------------------------------------------------------------

    def _concepts(self, content: list[str], phrases: list[str]) -> dict[str, float]:
        """What an answer should hold, with weights: the content syllables (IDF; a syllable the
        documents never use weighs most) and the lexicon phrases as wholes (IDF of their rarest
        syllable pairs; a pair the documents never use weighs most)."""
        unknown = self._max_idf + 1.0
        in_phrases = {t for phrase in phrases if len(phrase.split()) > 1 for t in phrase.split()}
        concepts = {t: self.idf.get(t, unknown) for t in content if t not in in_phrases}
        for phrase in phrases:
            pairs = _bigrams(phrase.split())
            if pairs:
                weights = [self.idf.get(b, unknown) for b in pairs]
                concepts[" " + phrase + " "] = sum(weights) / len(weights)
        return concepts

    def _strangeness(self, content: list[str]) -> float:
        """1.0, or less when the question's words, though each is in the documents, do not
        form the documents' phrases ("thời tiết", "giao ban"): another topic in their words."""
        pairs = [
            f"{a}_{b}"
            for a, b in itertools.pairwise(content)
            if a in self.vocabulary and b in self.vocabulary
        ]
        unattested = sum(pair not in self.bigram_set for pair in pairs) / max(len(pairs), 1)
        if pairs and unattested == 1.0:  # "hồ sơ": no phrase of the documents
            return STRANGE_ALL_PENALTY
        if len(pairs) < STRANGE_MIN_PAIRS:
            return 1.0
        return STRANGE_PENALTY if unattested >= STRANGE_RATIO else 1.0

    @staticmethod
    def _coverage(
        entry: _Entry, concepts: dict[str, float], total: float, typed: dict[str, str]
    ) -> tuple[float, float]:
        """Share of the question's concepts the section holds: (for ranking, for answering).

        A concept found only in the document's title names the document rather than the
        answer: it counts half for ranking and fully for deciding to answer at all."""
        own = in_title = 0.0
        for concept, weight in concepts.items():
            phrase = concept.startswith(" ")
            if concept in entry.haystack if phrase else concept in entry.body_set:
                # typed with diacritics the passage does not have ("lương" is not "lượng")
                mismatch = concept in typed and typed[concept] not in entry.accents
                own += ACCENT_MISMATCH * weight if mismatch else weight
            elif concept in entry.doc_haystack if phrase else concept in entry.doc_set:
                in_title += weight
        return (own + DOCUMENT_CREDIT * in_title) / total, (own + in_title) / total

    def _heading_match(self, heading: frozenset[str], content: set[str]) -> float:
        """Share of a heading's words the question has (words naming a document excluded)."""
        useful = {t for t in heading if t not in self.lexicon.stopwords and t not in self._naming}
        return len(useful & content) / len(useful) if useful else 0.0

    @staticmethod
    def _number_near(entry: _Entry, content: set[str]) -> bool:
        """ "60 đại biểu": a number right before one of the question's words."""
        tokens = entry.body.split()
        return any(
            tok.isdigit() and any(t in content for t in tokens[j + 1 : j + 3])
            for j, tok in enumerate(tokens)
        )

    def search(self, question: str, trace: list[str] | None = None) -> Answer:
        """Answer ``question``; ``trace`` (optional) receives one line per candidate considered,
        for tuning and for explaining an answer."""
        raw_folded = fold(question)
        asks, asking_words = self._asks(raw_folded)
        form, phrases = self.lexicon.question_form(question)
        intent = self.lexicon.intent(form)
        stop = self.lexicon.stopwords
        # the words typed with their diacritics (folded -> as typed): a word meant, not a slip
        typed = {
            fold(word): accent_key(word)
            for word in re.findall(r"\w+", unicodedata.normalize("NFC", question))
            if not word.isascii()
        }
        english = len(ENGLISH_MARKERS.intersection(raw_folded.split())) >= 2
        if english:  # English words are no Vietnamese typos: no repair
            stop = stop | self.lexicon.english_stopwords
            tokens = form.split()
        else:
            tokens = self._correct(form.split(), frozenset(typed))
        content = [
            t for t in tokens if t not in stop and t not in TYPE_WORDS and t not in asking_words
        ]
        if not self.size or len(set(content)) < MIN_CONTENT_WORDS:
            return Answer(question=question, abstained=True, reason="too few content words")
        padded = f" {raw_folded} "
        others = [p for p in self._others if f" {p} " in padded]
        if others:  # «Sở KH&CN tỉnh Bắc Ninh…», «kế hoạch của Sở Y tế»: no plan here is theirs
            return Answer(question=question, abstained=True, reason=f"{others[0]} in no document")
        query_terms: Counter[str] = Counter(content)
        query_terms.update(_bigrams(tokens))
        if asks in ("place", "site") and " nguon " in f" {form} ":
            asks = "source"  # "where does the money come from" asks for a source, not a place
        if intent is not None:
            asks = None  # "gửi những nơi nào" asks for the recipients block, not a place
        hint = {
            "date": "thoi gian",
            "period": "giai doan",
            "duration": "thoi gian",
            "number": "so luong",
            "place": "dia diem",
            "site": "dia diem",
            "money": "kinh phi",
            "source": "nguon",
            "clock": "thoi gian",
        }.get(asks or "")
        scores = np.zeros(self.size, dtype=np.float32)
        for term, qtf in query_terms.items():
            weight = (1.0 if "_" not in term else BIGRAM_WEIGHT) * qtf
            if (
                term in self._naming
            ):  # words that name a document pick the document, not the passage
                weight *= NAMING_WEIGHT
            self._add(scores, term, weight)
        if hint:  # "khi nào" looks for a "Thời gian" heading, "bao nhiêu" for "Số lượng"
            for term in (*hint.split(), hint.replace(" ", "_")):
                self._add(scores, term, 0.5)
        for term, qtf in query_terms.items():
            members = self._doc_postings.get(term)
            if members is not None:
                scores[members] += DOCUMENT_WEIGHT * self.idf.get(term, 0.0) * qtf
        if not scores.any():
            return Answer(question=question, abstained=True, reason="no matching words")
        top = np.argpartition(-scores, min(CANDIDATES, self.size - 1))[:CANDIDATES]
        best_raw = float(scores.max())

        query_accents = {
            accent_key(t) for t in re.findall(r"\w+", question.lower()) if not t.isascii()
        }
        concepts = self._concepts(content, phrases)
        strangeness = self._strangeness(content)
        total = sum(concepts.values()) or 1.0
        content_set = set(content)
        years = {int(t) for t in content if len(t) == 4 and t.isdigit() and 1900 < int(t) < 2100}
        cites_document = bool(DOCUMENT_NUMBER.search(question))
        # a year no document is about: only a passage that names it can answer
        foreign_years = {int(y) for y in ASKED_YEAR.findall(question)} - self._years

        ranked: list[tuple[float, float, int]] = []
        own_coverage: dict[int, float] = {}  # without the credit of the document's title
        candidates = {int(i) for i in top}
        for i in list(candidates):  # a heading alone quotes nothing: its items are candidates
            candidates.update(self._children.get(i, ()))
        for i in sorted(candidates):
            if scores[i] <= 0:
                continue
            entry = self.entries[int(i)]
            rank_coverage, coverage = self._coverage(entry, concepts, total, typed)
            coverage *= strangeness
            relevance = float(scores[i]) / best_raw
            accent = (
                (len(query_accents & entry.accents) / len(query_accents)) if query_accents else 0
            )
            final = relevance * (0.2 + 0.8 * rank_coverage) + 0.1 * accent
            if entry.is_heading_only:
                final *= 0.6
            if (
                entry.section.kind in ROLE_PRIOR
                and intent != entry.section.kind
                and not cites_document
            ):
                final *= ROLE_PRIOR[entry.section.kind]
            if intent is not None and entry.section.kind == intent:
                final += INTENT_BONUS
            if years and entry.document.year in years:
                final *= 1.25
            elif (years & self._years or foreign_years) and not any(
                str(y) in entry.section.text for y in years
            ):
                final *= OTHER_YEAR  # "hội nghị 2025": the 2023 plan's item says nothing of 2025
            if asks == "number" and self._number_near(entry, content_set):
                final *= 1.3
            heading_match = max(
                self._heading_match(entry.heading_tokens, content_set),
                0.6 * self._heading_match(entry.parent_tokens, content_set),
            )
            if heading_match >= 0.5:  # the item's own heading says what the question asks
                final *= 1 + 0.5 * heading_match
            if asks and any(h in entry.heading for h in ASKED_HEADINGS[asks]):
                final *= HEADING_BOOST
            if asks == "date" and not DATE.search(entry.section.text):
                final *= WEAK_DATE
            if not self._holds(entry, asks):
                final *= 0.3
                coverage *= 0.5
            ranked.append((final, coverage, int(i)))
            own_coverage[int(i)] = rank_coverage
            if trace is not None:
                trace.append(
                    f"{final:.3f} coverage={coverage:.2f} relevance={relevance:.2f} "
                    f"{entry.document.short_title} {entry.section.path} {entry.section.heading}"
                )
        # A heading-only section gives way to its items when one of them is a candidate.
        items_of = {
            i: [c for c in self._children.get(i, ()) if c in own_coverage] for _, _, i in ranked
        }
        ranked = [r for r in ranked if not items_of[r[2]]]
        ranked.sort(reverse=True)
        if not ranked:
            return Answer(question=question, abstained=True, reason="no candidates")

        def hit(final: float, coverage: float, i: int) -> Hit:
            entry = self.entries[i]
            return Hit(
                section=entry.section,
                document=entry.document,
                score=round(min(1.0, 0.5 * coverage + 0.5 * min(final, 1.0)), 4),
            )

        best_final, best_cov, best_i = ranked[0]
        best = hit(*ranked[0])
        # "xem thêm": the next sections, only when they are near the question too
        alternatives = [
            hit(*r)
            for r in ranked[1:]
            if r[0] >= ALTERNATIVE_RATIO * best_final and own_coverage[r[2]] >= ALTERNATIVE_COVERAGE
        ][: ALTERNATIVES + 1]
        if best_cov < MIN_COVERAGE or not self._holds(self.entries[best_i], asks):
            return Answer(
                question=question,
                abstained=True,
                alternatives=alternatives[:ALTERNATIVES],
                reason=f"coverage {best_cov:.2f}" + (f", asks {asks}" if asks else ""),
            )
        text = self.entries[best_i].section.text
        if any(str(y) not in text for y in foreign_years):  # "bằng khen năm 2021"
            return Answer(
                question=question,
                abstained=True,
                alternatives=alternatives[:ALTERNATIVES],
                reason=f"year {', '.join(map(str, sorted(foreign_years)))} in no document",
            )
        also: list[Hit] = []
        if not years:
            other = next(
                (r for r in ranked[1:] if self.entries[r[2]].document.id != best.document.id),
                None,
            )
            if (
                other is not None
                and other[0] >= ALSO_RATIO * best_final
                and other[1] >= MIN_COVERAGE
                and own_coverage[other[2]] >= own_coverage[best_i] - ALSO_COVERAGE_GAP
            ):
                also = [hit(*other)]
        shown = {best.section.id, *(h.section.id for h in also)}
        alternatives = [h for h in alternatives if h.section.id not in shown][:ALTERNATIVES]
        return Answer(
            question=question, abstained=False, best=best, also=also, alternatives=alternatives
        )

    def _add(self, scores: npt.NDArray[np.float32], term: str, weight: float) -> None:
        posting = self.postings.get(term)
        if posting is not None:
            ids, weights = posting
            scores[ids] += weights * weight
