"""Initiatives ("sáng kiến"): the official form, its answers, and the review workflow.

The form is data (``bot/data/initiative_form.toml``, see :func:`load_form`); this module is the
engine that walks a person through it. A draft is a JSON-friendly dict::

    {"draft_id": "...", "answers": {field: value}, "closed": [persons fields done],
     "person": {"list": "authors", "data": {...}}  # a person being entered, if any
     "editing": field,                             # a field asked again from the review
     "initiative_id": 7}                           # when amending a returned initiative

and the conversation's state is always :func:`next_state` of the draft. :func:`apply` takes one
input (typed text, a picked option, a file, "done", "skip") for the current state and returns
the new draft, or raises :class:`InvalidInput` naming the localized message to show. It is pure:
no database, no Telegram, the clock passed in.
"""

from __future__ import annotations

import re
import tomllib
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from enum import StrEnum
from importlib import resources
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from bot.domain.choices import plain_answer, typed_number
from bot.domain.intents import is_question
from bot.domain.moments import date_alone
from bot.domain.profile import InvalidInput, parse_full_name
from bot.domain.text import STEERING_WORDS, clean, fold, shorten
from bot.i18n import NP_

# --- the form definition ----------------------------------------------------------------------

FieldKind = Literal["choice", "persons", "shares", "text", "long", "date", "yesno"]
PERSON_FIELDS = ("full_name", "birth_date", "workplace", "position", "qualification", "task")
REVIEW, COMMIT, DISCARD = "review", "commit", "discard"


class FormField(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str = Field(pattern=r"^[a-z_]{1,24}$")
    kind: FieldKind
    docx: str
    docx_hint: str | None = None
    optional: bool = False
    free: bool = False  # choice: a typed value is accepted too
    min: int = 2
    max: int = 3000
    files: bool = False  # long: photos and documents may come with the text
    confidential: bool = False  # never in exports meant for circulation


class Limits(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    max_authors: int = Field(default=10, ge=1, le=50)
    max_appliers: int = Field(default=20, ge=0, le=100)
    max_attachments: int = Field(default=10, ge=0, le=50)
    max_file_mb: int = Field(default=20, ge=1, le=2000)
    long_max_chars: int = Field(default=12000, ge=100, le=100_000)
    long_max_parts: int = Field(default=30, ge=1, le=200)
    similar_title_score: int = Field(default=85, ge=50, le=100)
    draft_reminder_days: int = Field(default=3, ge=1, le=365)


class FormDefinition(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    version: str
    title: str
    commitment: str
    place: str = ""
    number_prefix: str = Field(default="SK", pattern=r"^[A-Z]{1,6}$")
    limits: Limits = Limits()
    options: dict[str, tuple[str, ...]] = {}
    # Other names of each option, in the options' order (folded): short forms, English.
    option_aliases: dict[str, tuple[tuple[str, ...], ...]] = {}
    solution_type_docx: dict[str, str] = {}
    person_fields: dict[str, tuple[str, ...]] = {}
    person_docx: dict[str, str] = {}
    fields: tuple[FormField, ...]

    def model_post_init(self, __context: Any) -> None:
        ids = [f.id for f in self.fields]
        if len(ids) != len(set(ids)):
            raise ValueError("initiative form: field ids must be unique")
        for f in self.fields:
            if f.kind == "choice" and not self.options.get(f.id):
                raise ValueError(f"initiative form: choice field {f.id!r} has no options")
            if f.kind == "persons":
                subs = self.person_fields.get(f.id)
                if not subs or subs[0] != "full_name" or not set(subs) <= set(PERSON_FIELDS):
                    raise ValueError(f"initiative form: person_fields of {f.id!r}: {subs}")
        for field_id, aliases in self.option_aliases.items():
            if len(aliases) > len(self.options.get(field_id, ())):
                raise ValueError(f"initiative form: option_aliases of {field_id!r}: too many")
        if "authors" not in ids:
            raise ValueError("initiative form: needs an 'authors' field")
        if "title" not in ids:
            raise ValueError("initiative form: needs a 'title' field")

    def field(self, field_id: str) -> FormField:
        for f in self.fields:
            if f.id == field_id:
                return f
        raise KeyError(field_id)

    def has(self, field_id: str) -> bool:
        return any(f.id == field_id for f in self.fields)

    def max_people(self, list_id: str) -> int:
        return self.limits.max_authors if list_id == "authors" else self.limits.max_appliers

    def states(self) -> list[str]:
        """Every conversation state this form can be in."""
        states: list[str] = []
        for f in self.fields:
            if f.kind == "persons":
                states += [f"{f.id}.{sub}" for sub in self.person_fields[f.id]]
                states.append(f"{f.id}.more")
            else:
                states.append(f.id)
        return [*states, REVIEW, COMMIT, DISCARD]


def load_form(path: Path | None = None) -> FormDefinition:
    """The form from ``path`` or the shipped ``bot/data/initiative_form.toml``."""
    if path is None:
        text = resources.files("bot.data").joinpath("initiative_form.toml").read_text("utf-8")
    else:
        text = path.read_text(encoding="utf-8")
    try:
        return FormDefinition.model_validate(tomllib.loads(text))
    except ValidationError as exc:
        raise ValueError(f"initiative form: {exc.errors()[0]['msg']}") from exc


# --- records ----------------------------------------------------------------------------------


class Person(BaseModel):
    model_config = ConfigDict(frozen=True)

    full_name: str
    birth_date: date | None = None
    workplace: str = ""
    position: str = ""
    qualification: str = ""
    share: float | None = None  # authors: % of the contribution
    task: str | None = None  # appliers: what they did


class Contact(BaseModel):
    """A submitter as their profile has them now (the office's export: who to call)."""

    model_config = ConfigDict(frozen=True)

    full_name: str = ""
    phone: str = ""


class Attachment(BaseModel):
    model_config = ConfigDict(frozen=True)

    file_id: str
    file_unique_id: str = ""
    name: str
    mime: str = ""
    size: int = 0
    kind: Literal["photo", "document"] = "document"


class Status(StrEnum):
    SUBMITTED = "submitted"
    REVIEWING = "reviewing"
    NEEDS_CHANGES = "needs_changes"
    RECOGNISED = "recognised"
    NOT_RECOGNISED = "not_recognised"
    WITHDRAWN = "withdrawn"


# What a reviewer may do from each status, and whether a comment is required.
REVIEW_MOVES: dict[Status, tuple[Status, ...]] = {
    Status.SUBMITTED: (Status.REVIEWING, Status.NEEDS_CHANGES),
    Status.REVIEWING: (Status.NEEDS_CHANGES, Status.RECOGNISED, Status.NOT_RECOGNISED),
}
COMMENT_REQUIRED = frozenset({Status.NEEDS_CHANGES, Status.NOT_RECOGNISED})
# The author may take it back before the review starts, or instead of amending it.
WITHDRAWABLE = frozenset({Status.SUBMITTED, Status.NEEDS_CHANGES})
FINAL = frozenset({Status.RECOGNISED, Status.NOT_RECOGNISED, Status.WITHDRAWN})
COMMENT_MAX = 1000
# A required comment or reason shorter than this (letters and digits) tells the author nothing
# («x», «sai»): the reviewer is asked for a clearer one.
COMMENT_MIN = 5


# A final refusal's reason is a sentence the author can understand («ko dat» is not): at least
# this many words and letters or digits.
REASON_MIN_WORDS = 3
REASON_MIN = 10


def comment_too_short(text: str) -> bool:
    return sum(ch.isalnum() for ch in text) < COMMENT_MIN


def reason_too_short(text: str) -> bool:
    words = [w for w in text.split() if any(ch.isalnum() for ch in w)]
    return len(words) < REASON_MIN_WORDS or sum(ch.isalnum() for ch in text) < REASON_MIN


def checked_comment(to: Status, comment: str | None) -> str | None:
    """A reviewer's comment for a move to ``to``, cleaned (``None``: none given), or
    :class:`InvalidInput`: too long; missing, or saying nothing, where one is required."""
    text = clean_lines(comment) if comment else None
    if text is not None and len(text) > COMMENT_MAX:
        raise InvalidInput("too_long", limit=COMMENT_MAX, length=len(text))
    if to in COMMENT_REQUIRED and not text:
        raise InvalidInput("comment_required")
    if text is not None and no_comment(text):  # «không», «vâng», «dạ 2 ạ»
        raise InvalidInput("not_an_answer", text=text)
    if to in COMMENT_REQUIRED and text and comment_too_short(text):
        raise InvalidInput("comment_short", minimum=COMMENT_MIN)
    if to is Status.NOT_RECOGNISED and text and reason_too_short(text):
        raise InvalidInput("reason_short", words=REASON_MIN_WORDS)
    return text


class Initiative(BaseModel):
    """A submitted application. ``content`` holds the form's answers by field id."""

    model_config = ConfigDict(frozen=True)

    id: int
    number: str
    submitter_id: int | None
    status: Status
    title: str
    unit: str | None = None
    form_version: str
    content: dict[str, Any]
    submitted_at: datetime
    updated_at: datetime
    last_comment: str | None = None

    @property
    def authors(self) -> list[Person]:
        return people(self.content.get("authors"))

    @property
    def appliers(self) -> list[Person]:
        return people(self.content.get("appliers"))

    @property
    def attachments(self) -> list[Attachment]:
        value = self.content.get("description")
        files = value.get("files", []) if isinstance(value, dict) else []
        return [Attachment.model_validate(f) for f in files]


class StatusChange(BaseModel):
    model_config = ConfigDict(frozen=True)

    initiative_id: int
    at: datetime
    actor_id: int | None
    actor_name: str
    from_status: Status | None
    to_status: Status
    comment: str | None = None


def people(value: object) -> list[Person]:
    if not isinstance(value, list):
        return []
    return [Person.model_validate(p) for p in value if isinstance(p, dict)]


def long_text(value: object) -> str:
    """The text of a ``long`` answer (its messages joined by blank lines)."""
    if isinstance(value, dict):
        return "\n\n".join(str(p) for p in value.get("parts", []))
    return str(value or "")


def format_number(prefix: str, year: int, seq: int) -> str:
    return f"{prefix}-{year}-{seq:04d}"


# Between the parts: hyphens, the dashes Word and phones put instead («SK–2026–0007»), spaces,
# dots, slashes, or nothing («SK2026-0007»); the year is 19xx or 20xx.
_DASHES = "\\-\u2010\u2011\u2012\u2013\u2014\u2015\u2212"
_SEPARATOR = rf"[\s{_DASHES}_./]*"
_TYPED_NUMBER = re.compile(
    rf"^\s*([A-Za-z]{{1,6}}){_SEPARATOR}((?:19|20)\d\d){_SEPARATOR}(\d{{1,6}})\s*$"
)


def normalise_number(text: str) -> str:
    """An initiative's number as people type it (``sk-2026-7``, ``SK - 2026 - 0007``,
    ``SK 2026 0007``, ``SK–2026–0007``, ``SK2026-0007``) in the form the office prints
    (``SK-2026-0007``); other text as it is."""
    match = _TYPED_NUMBER.match(text)
    if match is None:
        return text
    prefix, year, seq = match.groups()
    return format_number(prefix.upper(), int(year), int(seq))


# --- parsers ----------------------------------------------------------------------------------

OLDEST_BIRTH_YEAR = 1920


def parse_date(text: str, today: date) -> date:
    """``1/3/2025``, ``01-03-2025``, ``1.3.2025`` (day first, as in Vietnam), ``1/3/25``,
    «ngày 1 tháng 3 năm 2025», «mùng 1 tháng 3 năm 2025», ``2025-03-01``, ``2025/03/01``,
    "March 1, 2025", "1 March 2025"; the words around it aside («dạ 1/3/2025 ạ», "1/3/2025.",
    "01/03/2025 please"). The year is needed; two digits are the last such year up to today."""
    days_ago = _RELATIVE_DAYS.get(plain_answer(text))
    if days_ago is not None:
        return today - timedelta(days=days_ago)
    typed = date_alone(text)
    if typed is None or typed.year is None:
        raise InvalidInput("date_format")
    year = typed.year
    if year < 100:
        year += 2000 if 2000 + year <= today.year else 1900
    try:
        return date(year, typed.month, typed.day)
    except ValueError as exc:
        if typed.month > 12 >= typed.day:  # 03/25/2025: month first, as in the US
            example = f"{typed.month}/{typed.day}/{year}"
            raise InvalidInput("date_day_first", example=example) from exc
        raise InvalidInput("date_invalid") from exc


# «hôm nay», "yesterday": days before today.
_RELATIVE_DAYS = {"hom nay": 0, "today": 0, "hom qua": 1, "yesterday": 1, "hom kia": 2}


def parse_past_date(text: str, today: date) -> date:
    value = parse_date(text, today)
    if value > today:
        raise InvalidInput("date_future")
    if value.year < 1945:
        raise InvalidInput("date_invalid")
    return value


def parse_birth_date(text: str, today: date) -> date:
    value = parse_date(text, today)
    if value > today:
        raise InvalidInput("date_future")
    if value.year < OLDEST_BIRTH_YEAR or (today - value).days < 15 * 365:
        raise InvalidInput("birth_date_range")
    return value


def parse_text(text: str, minimum: int, maximum: int) -> str:
    value = clean(text) if "\n" not in text else clean_lines(text)
    if value and not any(ch.isalnum() for ch in value):  # «👍», «...»: no word to keep
        raise InvalidInput("text_no_words")
    if len(value) < minimum:
        raise InvalidInput("text_short_min", minimum=minimum)
    if len(value) > maximum:
        raise InvalidInput("too_long", limit=maximum, length=len(value))
    return value


def clean_lines(text: str) -> str:
    """Free text keeping its line breaks (a list typed on several lines stays a list)."""
    lines = [clean(line) for line in text.splitlines()]
    out: list[str] = []
    for line in lines:
        if line or (out and out[-1]):
            out.append(line)
    return "\n".join(out).strip()


# A share ("60", "60.5", "60,5") or shares joined by commas ("60,40", "50,30,20").
_SHARES = re.compile(r"\d{1,3}(?:\.\d{1,2})?(?:,\d{1,3}(?:\.\d{1,2})?)*")


def parse_shares(text: str, count: int) -> list[float]:
    """One percentage per author, in order: ``"50 30 20"``, ``"50%, 30%, 20%"``, ``"60,5 39,5"``
    or ``"60,5; 39,5"`` (a decimal comma), ``"60-40"``, ``"60 - 40"``, ``"60%/40%"``, ``"60 và
    40"``, «dạ 60 40 ạ» (words between the numbers are passed over). A comma is a decimal
    comma when that gives one number per author, else a separator ("60,40"). They must add
    up to 100."""
    raw = re.sub(r"\b(?:lần lượt|lan luot)\b", " ", clean(text).casefold().replace("%", ""))
    labelled = _by_author(raw, count)  # «tác giả 2: 40, tác giả 1: 60»
    if labelled is not None:
        raw = " ".join(labelled)
    # "60-40", "60 / 40": a dash between numbers, with the same space on both sides ("-20" in
    # "120 -20" is a negative number, refused)
    raw = re.sub(r"(?<=\d)(?:[-/+;&]|\s+[-/+;&]\s+)(?=\d)", " ", raw)
    tokens = [t.strip(",.;:()") for t in raw.split()]
    numbers = [t for t in tokens if t and not t.isalpha()]
    if not numbers:  # «năm mươi, năm mươi»
        raise InvalidInput("shares_number")
    # Words between the numbers: only politeness and "and" («dạ», «và», «ạ»). Any other
    # («Bình 40, Lan 60») may name the authors in another order than theirs: refused.
    if any(fold(t) not in _SHARE_WORDS for t in tokens if t.isalpha()):
        raise InvalidInput("shares_order")
    if not all(_SHARES.fullmatch(t) for t in numbers):
        raise InvalidInput("shares_number")
    decimal = [t.replace(",", ".") for t in numbers if t.count(",") <= 1]
    split = [p for t in numbers for p in t.split(",")]
    parts = decimal if len(decimal) == len(numbers) == count else split
    values: list[float] = []
    for part in parts:
        if not re.fullmatch(r"\d{1,3}(?:\.\d{1,2})?", part):
            raise InvalidInput("shares_number")
        values.append(float(part))
    if len(values) != count:
        raise InvalidInput("shares_count", count=count, given=len(values))
    if any(v <= 0 or v > 100 for v in values):
        raise InvalidInput("shares_range")
    total = round(sum(values), 2)
    if abs(total - 100) > 0.001:
        raise InvalidInput("shares_sum", total=total)  # a number: written in the reply's language
    return values


_SHARE_WORDS = frozenset({"da", "a", "va", "and", "nhe", "nha", "la", "em", "toi"})
_AUTHOR_SHARE = re.compile(
    r"(?:tac gia|tg|author|nguoi)\s*(?:so\s*)?(\d{1,2})\s*[:=\-]?\s*(\d{1,3}(?:[.,]\d{1,2})?)"
)


def _by_author(raw: str, count: int) -> list[str] | None:
    """The shares of «tác giả 1: 60, tác giả 2: 40» (in any order) in the authors' order, when
    every author is named once by their number; else ``None``."""
    words = " ".join(fold(word) if word.isalpha() else word for word in raw.split())
    found = _AUTHOR_SHARE.findall(words)
    if len(found) != count or sorted(int(n) for n, _ in found) != list(range(1, count + 1)):
        return None
    return [share for _, share in sorted(found, key=lambda pair: int(pair[0]))]


def _pct(value: float) -> str:
    return f"{value:g}"


def format_share(value: float | None, *, decimal_comma: bool = False) -> str:
    """«60.5», or «60,5» with ``decimal_comma`` (Vietnamese writes a decimal comma)."""
    if value is None:
        return ""
    text = _pct(value)
    return text.replace(".", ",") if decimal_comma else text


# --- options offered at a state (buttons, and what may be typed instead) ----------------------


@dataclass(frozen=True)
class Option:
    """A choice offered at a state: ``value`` goes in the button's callback data; the label is a
    catalog ``key`` (with ``params``) or, for options that are data (unit names), ``text``."""

    value: str
    key: str | None = None
    text: str | None = None
    params: dict[str, object] = field(default_factory=dict)
    aliases: tuple[str, ...] = ()


_YES = (
    *("co", "yes", "y", "dung", "co su dung", "da dung", "co a", "yeah", "yep", "co mot phan"),
    *("mot phan", "yes we did", "yes some", "yes some equipment", "yes partly", "partly"),
)
_NO = (
    *("khong", "no", "n", "ko", "k", "khong su dung", "khong dung", "khong co", "nope", "none"),
    *("no we did not", "no we didn t", "we did not", "we didn t", "not used", "none used"),
)
_SKIP = ("bo qua", "skip", "khong co", "khong", "ko", "-", "no")
_TYPE_ALIASES = {  # what people type for the four kinds of solution
    "technical": ("ky thuat", "giai phap ky thuat", "technical"),
    "management": ("quan ly", "giai phap quan ly", "management"),
    "operational": ("tac nghiep", "giai phap tac nghiep", "operational"),
    "application": (
        *("ung dung", "ung dung tien bo ky thuat", "tien bo ky thuat", "application"),
        *("technical progress", "application of technical progress", "applying technical progress"),
    ),
}
_DONE = (
    *("xong", "xong roi", "done", "hoan thanh", "het", "het roi", "tiep tuc", "tiep", "ok"),
    *("continue", "next", "finished", "thats all", "that is all", "/xong", "/done"),
)
_SUBMIT = (
    *("nop", "nop don", "gui", "gui don", "submit", "send"),
    *("nop lai", "gui lai", "nop lai don", "gui lai don", "resubmit"),  # an amendment
)
_COMMIT = (
    *("toi cam doan", "cam doan", "xin cam doan", "toi xin cam doan", "gui", "gui di", "nop"),
    *("nop don", "nop di", "dong y", "co", "xac nhan", "i commit", "commit", "i agree"),
    *("agree", "yes", "confirm", "submit", "send"),
)
# Not committing (yet): back to the review.
_NOT_YET = (
    *("quay lai", "back", "sua", "khong", "khong dong y", "chua", "chua gui", "de sau"),
    *("no", "not yet", "later"),
)
# Typed while an answer is being changed from the review: keep it as it was.
_KEEP = (
    *("giu nguyen", "giu", "khong sua", "khong doi", "thoi", "quay lai", "nhu cu"),
    *("keep", "keep it", "unchanged", "no change", "back", "same"),
)
# "I do not know / remember it": an item left empty, as «bỏ qua» (at a required one: «không
# bỏ qua được», and a person being added may be left out).
_UNKNOWN = (
    *("khong biet", "khong nho", "khong ro", "chua biet", "quen roi", "khong con nho"),
    *("chua ro", "con chua ro", "chua ro lam", "khong ro lam", "chua nam ro", "chua xac dinh"),
)
_UNKNOWN_EN = ("i don t know", "don t know", "not known", "unknown", "i don t remember")
# Typed for an item that may be left empty: it is (besides "bỏ qua", "xong"...).
_NONE = (
    *("n a", "na", "chua co", "khong biet", "khong ap dung", "khong co gi", "khong can"),
    *("none", "nothing", "nope", "not applicable", "no one", "nobody", "nil", "not yet"),
    *("no not yet", "none yet", "none so far", "nothing yet", "nothing so far", "chua", "chua a"),
    *("hien chua co", "van chua co", "chua co gi", *_UNKNOWN, *_UNKNOWN_EN),
)
# "Còn ai khác không?": «có»/«thêm» adds one more, «không»/«hết rồi» goes on.
_ADD_MORE = ("co", "co them", "con", "them", "them nguoi", "yes", "add", "add more", "more")
_NO_MORE = (
    "khong", "khong con", "khong co", "khong them", "het roi", "xong roi", "no", "none",
    "no more", "no one", "nobody", "thats all", "that is all", "finished",
)  # fmt: skip
# Typed (or pressed) right after «Thêm đồng tác giả», before a name: nobody is added after all.
_NOT_ADDING = (
    *_NO_MORE, *("quay lai", "tro lai", "thoi", "nham", "bam nham", "an nham", "bo", "huy them"),
    *("khong them nua", "thoi khong them", "back", "go back", "never mind", "by mistake"),
)  # fmt: skip
# Typed at a later item of a person being added (a birth date not known): that person is
# left out, and what was typed of them with it. Not «xong», «không»: those might be taken
# for an answer, and the name typed would go.
_DROPPING = (
    *("quay lai", "tro lai", "thoi", "huy them", "khong them nua", "thoi khong them"),
    *("khong them", "khong them nguoi nay", "bo nguoi nay", "thoi khong them nguoi nay"),
    *("back", "go back", "never mind", "don t add", "do not add", "dont add"),
    *("don t add this person", "do not add this person", "remove this person"),
)
# Of those, the words that leave an item empty (at a required one: «không bỏ qua được»).
_SKIPPING = frozenset(
    {*_SKIP, *_NO_MORE, *_DONE, *_UNKNOWN, *_UNKNOWN_EN, "n/a", "na", "chua co", "khong can"}
) - {"ok"}
# Typed at a step that must be answered, these are not an answer (a title «bỏ qua», a
# qualification «xong»): the step says it cannot be skipped instead of saving them.
NOT_AN_ANSWER = frozenset(
    {*_SKIP, *_DONE, *_NO_MORE, *STEERING_WORDS, *_UNKNOWN, *_UNKNOWN_EN, "n/a", "na", "chua co"}
)


def options(form: FormDefinition, draft: dict[str, Any], state: str) -> list[Option]:
    """The choices shown at ``state``, in button order (typed numbers follow this order)."""
    if state == REVIEW:
        opts = [Option("submit", "initiative.btn.submit", aliases=_SUBMIT)]
        opts += [
            Option(f"edit:{f.id}", "initiative.btn.edit", params={"field": f.id})
            for f in form.fields
            if _editable(form, draft, f)
        ]
        return [*opts, Option("discard", "initiative.btn.discard")]
    if state == DISCARD:
        return [
            # «Anh/chị chắc chắn muốn xóa bản nháp?» — «có» is the answer to that question.
            Option(
                "discard_yes",
                "initiative.btn.discard_yes",
                aliases=("xoa", "co", "co xoa", "dong y", "chac chan", "yes"),
            ),
            Option("back", "initiative.btn.back", aliases=("quay lai", "back", "khong", "no")),
        ]
    if state == COMMIT:
        return [
            Option("commit", "initiative.btn.commit", aliases=_COMMIT),
            Option("back", "initiative.btn.back", aliases=_NOT_YET),
        ]
    if "." in state:
        list_id, sub = state.split(".", 1)
        if sub == "more":
            count = len(draft.get("answers", {}).get(list_id) or [])
            # «Thêm» and «Xong» first, so that their typed numbers never change: "2" is «Xong»
            # with or without people to remove (removals are typed "xóa 2", not by number).
            opts = []
            if count < form.max_people(list_id):
                opts.append(Option("add", f"initiative.btn.add_{list_id}", aliases=_ADD_MORE))
            if count == 0 and form.field(list_id).optional:
                # Nobody to add: "bỏ qua" and "xong" both mean "go on".
                opts.append(Option("done", "initiative.btn.skip", aliases=_SKIP + _DONE + _NO_MORE))
            elif count > 0:
                opts.append(Option("done", "initiative.btn.done", aliases=_DONE + _NO_MORE))
            opts += [
                Option(f"ed:{i}", "initiative.btn.edit_person", params={"n": i + 1})
                for i in range(count)
            ]
            first_removable = 1 if list_id == "authors" else 0
            opts += [
                Option(f"rm:{i}", "initiative.btn.remove", params={"n": i + 1})
                for i in range(first_removable, count)
            ]
            return opts
        if sub == "full_name" and _just_added(draft, list_id):  # «Thêm» tapped by mistake
            return [Option("back", "initiative.btn.not_adding", aliases=_NOT_ADDING)]
        if edited_person(draft, list_id) is not None:  # a listed person corrected
            return [Option("keep", "initiative.btn.keep", aliases=_KEEP)]
        if adding_person(draft, list_id):  # a birth date not known: leave them out
            return [Option("back", "initiative.btn.drop_person", aliases=_DROPPING)]
        return []
    if not form.has(state):
        return []
    f = form.field(state)
    if f.kind == "choice":
        values = form.options.get(f.id, ())
        if f.id == "solution_type":
            return [
                Option(f"c:{i}", f"initiative.type.{v}", aliases=_TYPE_ALIASES.get(v, ()))
                for i, v in enumerate(values)
            ] + _keep(draft)
        aliases = form.option_aliases.get(f.id, ())
        return [
            Option(f"c:{i}", text=v, aliases=aliases[i] if i < len(aliases) else ())
            for i, v in enumerate(values)
        ] + _keep(draft)
    if f.kind == "yesno":
        return [
            Option("yes", "initiative.btn.yes", aliases=_YES),
            Option("no", "initiative.btn.no", aliases=_NO),
            *_keep(draft),
        ]
    keep = _keep(draft)
    if f.kind == "long":
        done = _DONE + _SKIP + _NONE if f.optional else _DONE
        rewrite = [Option("rewrite", "initiative.btn.rewrite", aliases=_REWRITE)] if keep else []
        return [Option("done", "initiative.btn.done", aliases=done), *rewrite, *keep]
    if f.optional:
        return [Option("skip", "initiative.btn.skip", aliases=_SKIP + _DONE + _NONE), *keep]
    return keep


# «Viết lại từ đầu» typed, while a long answer is changed from the review (folded).
_REWRITE = ("viet lai", "viet lai tu dau", "viet moi", "lam lai tu dau", "rewrite", "start over")


def _keep(draft: dict[str, Any]) -> list[Option]:
    """«Giữ nguyên» while an answer is changed from the review."""
    return [Option("keep", "initiative.btn.keep", aliases=_KEEP)] if draft.get("editing") else []


def message_keys(form: FormDefinition) -> set[str]:
    """Every catalog key the chat needs for this form: its questions, item names, option labels
    and notices (a new field in the TOML needs its wording in ``locales/``; a test checks)."""
    keys = {
        "initiative.btn.submit",
        "initiative.btn.keep",
        "initiative.btn.discard",
        "initiative.btn.commit",
        "initiative.btn.back",
        "initiative.btn.discard_yes",
        "initiative.btn.remove",
        "initiative.btn.done",
        "initiative.btn.skip",
        "initiative.btn.yes",
        "initiative.btn.no",
        "initiative.btn.edit",
        "initiative.btn.not_adding",
        "initiative.btn.drop_person",
        "initiative.person_added",
        "initiative.person_not_added",
        "initiative.person_dropped",
        "initiative.choice_typed",
        "initiative.person_updated",
        "initiative.btn.edit_person",
        "initiative.person_removed",
        "initiative.kept_old",
        "initiative.long_rewrite",
        "initiative.btn.rewrite",
        "initiative.part_saved",
        "initiative.file_saved",
        "initiative.file_saved_no_text",
        "initiative.file_caption_saved",
        "initiative.commit_ready",
        "initiative.discard",
    }
    for f in form.fields:
        keys.add(f"initiative.field.{f.id}")
        if f.kind == "persons":
            keys |= {
                f"initiative.person_header.{f.id}",
                f"initiative.ask.more.{f.id}",
                f"initiative.btn.add_{f.id}",
            }
            keys |= {f"initiative.ask.person.{sub}" for sub in form.person_fields[f.id]}
        else:
            keys.add(f"initiative.ask.{f.id}")
    keys |= {f"initiative.type.{v}" for v in form.options.get("solution_type", ())}
    return keys


def _editable(form: FormDefinition, draft: dict[str, Any], f: FormField) -> bool:
    if f.kind == "shares":
        return len(draft.get("answers", {}).get("authors") or []) > 1
    return True


# --- the engine -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Input:
    """What the person sent: ``text``; ``option`` (a button's value, or typed text that matched
    an option); ``file`` (with its caption, if any, in ``text``)."""

    kind: Literal["text", "option", "file"]
    text: str = ""
    option: str = ""
    file: Attachment | None = None


@dataclass(frozen=True)
class Outcome:
    draft: dict[str, Any]
    notice: str | None = None  # a catalog key to say before the next question
    params: dict[str, object] = field(default_factory=dict)


def me_from_profile(profile: dict[str, str | None]) -> dict[str, str]:
    """The submitter's items of the form that their profile gives."""
    me = {
        "full_name": profile.get("full_name") or "",
        "workplace": profile.get("unit") or "",
        "position": profile.get("position") or "",
    }
    return {k: v for k, v in me.items() if v}


def new_draft(profile: dict[str, str | None]) -> dict[str, Any]:
    """A fresh draft; the submitter is the first author, from their profile."""
    return {
        "draft_id": uuid.uuid4().hex,
        "answers": {},
        "closed": [],
        "me": me_from_profile(profile),
    }


def refresh_me(draft: dict[str, Any], profile: dict[str, str | None]) -> list[str]:
    """The profile changed since the draft was started (``/profile``: a new unit): the
    draft's copy of it is renewed, and so is each item of the submitter, once listed (or being
    entered), that is still as the old profile had it (one typed differently stays). Returns
    those items, changed in place in ``draft``."""
    old = draft.get("me")
    if not isinstance(old, dict):  # an amendment: its authors are as submitted
        return []
    new = me_from_profile(profile)
    if new == old:
        return []
    draft["me"] = new
    authors = draft.get("answers", {}).get("authors") or []
    person = draft.get("person")
    target: dict[str, Any] | None = None
    if authors:
        target = authors[0]
    elif isinstance(person, dict) and person.get("list") == "authors" and "index" not in person:
        target = person.get("data")
    if not isinstance(target, dict):
        return []  # not shown yet: the question will use the new copy
    changed = []
    for key, value in new.items():
        if value != old.get(key) and target.get(key) == old.get(key) and key in target:
            target[key] = value
            changed.append(key)
    return changed


def is_blank(draft: dict[str, Any]) -> bool:
    """Nothing of the draft comes from the person yet (opened, then left at its first
    question): a new draft, not an amendment."""
    return not (
        draft.get("answers")
        or draft.get("person")
        or draft.get("closed")
        or draft.get("initiative_id") is not None
    )


def _just_added(draft: dict[str, Any], list_id: str) -> bool:
    """A new person of ``list_id`` is being entered and nothing of them is typed yet."""
    person = draft.get("person")
    return (
        isinstance(person, dict)
        and person.get("list") == list_id
        and not person.get("data")
        and "index" not in person
    )


def adding_person(draft: dict[str, Any], list_id: str) -> bool:
    """A new person of ``list_id`` is being entered (not the submitter, whose items come from
    their profile; not a listed person corrected): they may still be left out."""
    person = draft.get("person")
    if not isinstance(person, dict) or person.get("list") != list_id or "index" in person:
        return False
    return list_id != "authors" or bool(draft.get("answers", {}).get("authors"))


def edited_person(draft: dict[str, Any], list_id: str) -> dict[str, Any] | None:
    """The answers before the change of the listed person of ``list_id`` being corrected
    («✏️ Sửa người số N»: each item asked again, «Giữ nguyên» keeps it), else ``None``."""
    person = draft.get("person")
    if isinstance(person, dict) and person.get("list") == list_id and "index" in person:
        old = person.get("old")
        return old if isinstance(old, dict) else {}
    return None


def pending_person(draft: dict[str, Any], list_id: str) -> dict[str, Any] | None:
    """The person being entered: the buffer, or the submitter (from their profile) when the
    authors are reached and nobody is listed yet."""
    person = draft.get("person")
    if isinstance(person, dict) and person.get("list") == list_id:
        return person
    listed = draft.get("answers", {}).get("authors")
    if list_id == "authors" and not listed and "authors" not in draft.get("closed", []):
        return {"list": "authors", "data": dict(draft.get("me") or {})}
    return None


def next_state(form: FormDefinition, draft: dict[str, Any]) -> str:
    """The question to ask: the person being entered, the field being edited, the first field
    not answered, else the review."""
    if draft.get("discarding"):  # asked from any step: the step is resumed after "Quay lại"
        return DISCARD
    person = draft.get("person")
    if isinstance(person, dict):
        return _person_state(form, person)
    editing = draft.get("editing")
    if editing and form.has(editing):
        return _field_state(form, draft, form.field(editing))
    if draft.get("committing"):
        return COMMIT
    answers = draft.get("answers", {})
    for f in form.fields:
        if f.kind == "persons":
            pending = pending_person(draft, f.id)
            if pending is not None:
                return _person_state(form, pending)
            if f.id not in draft.get("closed", []):
                return f"{f.id}.more"
        elif f.id not in answers or (f.kind == "long" and not _done(answers[f.id])):
            if f.kind == "shares" and len(answers.get("authors") or []) <= 1:
                continue
            return f.id
    return REVIEW


def _done(value: object) -> bool:
    return isinstance(value, dict) and bool(value.get("done"))


def _person_state(form: FormDefinition, person: dict[str, Any]) -> str:
    list_id = person["list"]
    data = person.get("data", {})
    for sub in form.person_fields[list_id]:
        if sub not in data:
            return f"{list_id}.{sub}"
    return f"{list_id}.more"  # not reached: a complete person is appended at once


def _field_state(form: FormDefinition, draft: dict[str, Any], f: FormField) -> str:
    return f"{f.id}.more" if f.kind == "persons" else f.id


def json_copy(value: Any) -> Any:
    """A deep copy of JSON data (dicts, lists, scalars): what ``copy.deepcopy`` gives for it,
    about twice as fast (no memo of shared objects: JSON has none). A draft is copied at
    every step of the form."""
    if isinstance(value, dict):
        return {key: json_copy(item) for key, item in value.items()}
    if isinstance(value, list):
        return [json_copy(item) for item in value]
    return value


def apply(
    form: FormDefinition, draft: dict[str, Any], state: str, given: Input, today: date
) -> Outcome:
    """Apply ``given`` at ``state`` (which must be ``next_state(form, draft)``)."""
    draft = json_copy(draft)
    answers: dict[str, Any] = draft.setdefault("answers", {})
    draft.setdefault("closed", [])
    if given.kind == "option" and given.option not in {
        o.value for o in options(form, draft, state)
    }:
        raise InvalidInput("stale_choice")

    if state == REVIEW:
        return _review(form, draft, given)
    if state == DISCARD:
        if given.kind != "option":
            raise InvalidInput("choose_button")
        draft.pop("discarding", None)
        return Outcome(draft, "initiative.discard" if given.option == "discard_yes" else None)
    if state == COMMIT:
        if given.kind != "option":
            raise InvalidInput("choose_button")
        draft.pop("committing", None)
        return Outcome(draft, "initiative.commit_ready" if given.option == "commit" else None)

    if "." in state:
        list_id, sub = state.split(".", 1)
        return _persons(form, draft, list_id, sub, given, today)

    f = form.field(state)
    if given.kind == "file" and not (f.kind == "long" and f.files):
        raise InvalidInput("file_not_here")
    if given.kind == "option" and given.option == "keep":  # changing it from the review: no
        previous = draft.pop("previous", None)
        draft.pop("editing", None)
        if f.kind == "long" and previous is not None:
            now = (answers.get(f.id) or {}).get("parts") or []
            before = previous.get("parts") or []
            typed = len(now) - len(before) if now[: len(before)] == before else len(now)
            answers[f.id] = previous
            if typed:  # what was typed meanwhile is dropped: say so
                return Outcome(draft, NP_("initiative.kept_old", "count"), {"count": typed})
        return Outcome(draft)
    if f.kind == "long":
        return _long(form, draft, f, given)
    if f.optional and given.kind == "text" and means_none(given.text, item_words(f)):
        given = Input("option", option="skip")  # «không có chủ đầu tư», "not applicable"
    if given.kind == "option" and given.option == "skip":
        answers[f.id] = None
    elif f.kind == "choice":
        answers[f.id] = _choice(form, f, given)
        if given.kind == "text":  # none of the list: say what goes on the form (qa19)
            draft.pop("editing", None)
            return Outcome(draft, "initiative.choice_typed", {"value": answers[f.id]})
    elif f.kind == "yesno":
        if given.kind != "option":
            raise InvalidInput("choose_button")
        answers[f.id] = given.option == "yes"
    elif f.kind == "date":
        answers[f.id] = parse_past_date(given.text, today).isoformat()
    elif f.kind == "shares":
        shares = parse_shares(given.text, len(answers.get("authors") or []))
        for person, share in zip(answers["authors"], shares, strict=True):
            person["share"] = share
        answers[f.id] = shares
    else:
        if given.kind != "text":
            raise InvalidInput("choose_button")
        text = _an_answer(given.text, f.optional)
        if f.max <= SHORT_TEXT and f.id != "title":  # a title may be put as a question
            text = _not_a_question(text)
        answers[f.id] = parse_text(_words(text), f.min, f.max)
    draft.pop("editing", None)
    return Outcome(draft)


def _choice(form: FormDefinition, f: FormField, given: Input) -> str:
    values = form.options[f.id]
    if given.kind == "option" and given.option.startswith("c:"):
        return values[int(given.option[2:])]
    if f.free and given.kind == "text":
        if typed_number(given.text) is not None:  # a number that is none of the options
            raise InvalidInput("option_range", count=len(values))
        if means_none(given.text, item_words(f)):  # «không thuộc phong trào nào», «bỏ qua»
            raise InvalidInput("choice_none", first=shorten(values[0], 60))
        return parse_text(_not_a_question(_an_answer(given.text, f.optional)), 2, f.max)
    raise InvalidInput("choose_button")


# A text field this short (an investor, a domain; a person's workplace, position...) is never
# phrased as a question: one typed there is asked of the bot (answered, see handlers.ask).
SHORT_TEXT = 500


def _not_a_question(text: str) -> str:
    if is_question(text):
        raise InvalidInput("not_an_answer", text=clean(text))
    return text


def _words(text: str) -> str:
    """``text``, unless it is only a number («3», «dạ 3 ạ», «số 3») or a date: at a step with
    no list to pick from, a number is no title, workplace or position, a date no qualification."""
    if typed_number(text) is not None:
        raise InvalidInput("number_only", text=clean(text))
    typed = date_alone(text)  # «20/10/1990» for a qualification: a birth date, one item late
    if typed is not None and typed.year is not None:
        raise InvalidInput("date_not_here", text=clean(text))
    return text


# Said to a question, never a comment or a reason: «vâng», «đồng ý», "yes".
ASSENT = frozenset(
    {
        *("vang", "dong y", "co", "u", "uh", "yes", "duoc", "dung", "dung roi", "ok", "phai"),
        *("dung vay", "chuan", "chinh xac", "right", "correct", "that s right", "yes it is"),
    }
)


def no_comment(text: str) -> bool:
    """A reviewer's comment or reason that says nothing: a word that steers («không», «bỏ
    qua»), an assent («vâng», «đồng ý»), a number («dạ 2 ạ»), or no letters at all («.»)."""
    return (
        not_an_answer(text)
        or plain_answer(text) in ASSENT
        or typed_number(text) is not None
        or not any(ch.isalpha() for ch in text)
    )


# Steering words that are also given names, once folded (Huy: «hủy», Dũng: «dừng»).
_GIVEN_NAMES = frozenset({"huy", "dung"})


def not_an_answer(text: str) -> bool:
    """A word that skips, closes or steers a step (:data:`NOT_AN_ANSWER`), with or without
    politeness around it («dạ không ạ»)."""
    plain = plain_answer(text)  # «dạ không ạ»; but «Em Huy», «Đa Dũng» are names
    return fold(text) in NOT_AN_ANSWER or (plain in NOT_AN_ANSWER and plain not in _GIVEN_NAMES)


def _an_answer(text: str, optional: bool = False) -> str:
    """``text``, unless it is a word that skips or closes a step (see :data:`NOT_AN_ANSWER`):
    at a required step, it says it cannot be skipped; elsewhere, that this is no answer."""
    if not_an_answer(text):
        # «bỏ qua», «không có», «xong» at a required step: it cannot be skipped; «đồng ý»,
        # «ok», «vâng»: not an answer to the question (nobody asked to skip it)
        skipping = plain_answer(text) in _SKIPPING or fold(text) in _SKIPPING
        if optional or not skipping:
            raise InvalidInput("not_an_answer", text=clean(text))
        raise InvalidInput("required")
    return text


_NONE_START = ("khong co", "chua co", "no", "khong", "nothing")
# What may follow «không có» / "no" when it only says the item is empty: the item's own words
# (see :func:`means_none`) and these.
_NONE_WORDS = frozenset(
    {
        *("gi", "ai", "nao", "ca", "y", "kien", "thong", "tin", "danh", "gia", "nguoi", "can"),
        *("noi", "dung", "any", "one", "comment", "comments", "info", "information", "investor"),
        *("confidential", "benefit", "benefits", "assessment", "data", "details"),
    }
)


def means_none(text: str, own: frozenset[str] = frozenset()) -> bool:
    """Typed for an item that may be left empty, ``text`` leaves it empty: «bỏ qua», "n/a",
    «chưa có ạ», "skip please", and «không có» / "no" followed only by the item's own words
    (``own``, folded; see :func:`item_words`) or words like «gì», «thông tin»: «không có chủ
    đầu tư», "no investor". Never an answer that starts with those words: «Không Gian Xanh»,
    «Không chia sẻ mật khẩu», "No Limits Ltd"."""
    words = plain_answer(text)
    if words in _SKIP or words in _DONE or words in _NONE or fold(text) in _NONE:
        return True
    for start in _NONE_START:
        if words.startswith(start + " "):
            rest = set(words[len(start) + 1 :].split())
            return bool(rest) and rest <= _NONE_WORDS | own
    return False


def item_words(f: FormField) -> frozenset[str]:
    """The words of an item's official name, folded: what «không có …» may name."""
    return frozenset(fold(f"{f.docx} {f.docx_hint or ''}").split())


def ask_discard(draft: dict[str, Any]) -> dict[str, Any]:
    """The draft asking "Xóa bản nháp?" (``/xoanhap``, from any step): "Quay lại" returns to
    the step it was at, answers and all."""
    draft = json_copy(draft)
    draft["discarding"] = True
    return draft


def _review(form: FormDefinition, draft: dict[str, Any], given: Input) -> Outcome:
    if given.kind != "option":
        raise InvalidInput("choose_button")
    if given.option == "submit":
        draft["committing"] = True
        return Outcome(draft)
    if given.option == "discard":
        draft["discarding"] = True
        return Outcome(draft)
    field_id = given.option.removeprefix("edit:")
    f = form.field(field_id)
    draft["editing"] = field_id
    if f.kind == "persons":
        draft["closed"] = [c for c in draft["closed"] if c != field_id]
        draft.pop("editing")
    elif f.kind == "long":
        # What is sent now is added after the text there («Viết lại từ đầu» empties it first);
        # «Giữ nguyên» puts back this copy.
        current = draft["answers"].get(field_id) or {"parts": [], "files": []}
        draft["previous"] = json_copy(current)
        draft["answers"][field_id] = {
            "parts": list(current.get("parts", [])),
            "files": list(current.get("files", [])),
        }
    return Outcome(draft)


def _long(form: FormDefinition, draft: dict[str, Any], f: FormField, given: Input) -> Outcome:
    limits = form.limits
    value = draft["answers"].setdefault(f.id, {"parts": [], "files": []})
    parts: list[str] = value.setdefault("parts", [])
    files: list[dict[str, Any]] = value.setdefault("files", [])
    if given.kind == "option" and given.option == "rewrite":  # from the review: start again
        value["parts"] = []
        return Outcome(draft, "initiative.long_rewrite")
    if given.kind == "option":  # "done"
        previous = draft.pop("previous", None)
        if not parts and previous and previous.get("parts"):
            value["parts"] = previous["parts"]  # edited, nothing new typed: keep the old text
            parts = value["parts"]
        typed = sum(len(p) for p in parts)
        if typed < f.min * 10:
            if files:  # a description sent as a file alone: the form prints a typed one
                raise InvalidInput("long_files_only")
            if typed:  # how much is missing (qa18: "too short" alone left people guessing)
                raise InvalidInput("long_short", minimum=f.min * 10, length=typed)
            raise InvalidInput("long_empty")
        value["done"] = True
        draft.pop("editing", None)
        return Outcome(draft)
    if given.kind == "file":
        assert given.file is not None
        if len(files) >= limits.max_attachments:
            raise InvalidInput("files_too_many", limit=limits.max_attachments)
        if given.file.size > limits.max_file_mb * 1024 * 1024:
            raise InvalidInput("file_too_large", limit=limits.max_file_mb)
        if any(
            x.get("file_unique_id") == given.file.file_unique_id
            for x in files
            if given.file.file_unique_id
        ):
            raise InvalidInput("file_duplicate")
        caption = clean_lines(given.text)  # a photo's caption is a part of the description
        if not any(ch.isalnum() for ch in caption):
            caption = ""  # «👍» under a photo: the file alone
        chars = _check_part(parts, caption, limits) if caption else 0
        files.append(given.file.model_dump())
        notice = {"name": given.file.name, "count": len(files), "limit": limits.max_attachments}
        if caption:
            parts.append(caption)
            return Outcome(draft, "initiative.file_caption_saved", {**notice, "chars": chars})
        if not parts and not (draft.get("previous") or {}).get("parts"):
            # The file alone, and no text kept from before: the typed summary is to come.
            return Outcome(draft, "initiative.file_saved_no_text", notice)
        return Outcome(draft, "initiative.file_saved", notice)
    text = clean_lines(given.text)
    if not text:  # only spaces (or invisible characters)
        raise InvalidInput("expect_text_or_file" if f.files else "expect_text")
    if not any(ch.isalnum() for ch in text):  # «👍», «...»: nothing to add to a description
        raise InvalidInput("text_no_words")
    # «không có thông tin mật»
    if f.optional and not parts and not files and means_none(text, item_words(f)):
        value["done"] = True
        draft.pop("previous", None)
        draft.pop("editing", None)
        return Outcome(draft)
    _an_answer(text, f.optional)  # «không», «bỏ qua» are no part of a description
    total = _check_part(parts, text, limits)
    parts.append(text)
    return Outcome(draft, "initiative.part_saved", {"count": len(parts), "chars": total})


def _check_part(parts: list[str], text: str, limits: Limits) -> int:
    """Raises :class:`InvalidInput` if ``text`` may not be added to a long answer's ``parts``;
    else the answer's length with it."""
    total = sum(len(p) for p in parts) + len(text)
    if total > limits.long_max_chars:
        raise InvalidInput("long_too_long", limit=limits.long_max_chars, used=total - len(text))
    if len(parts) >= limits.long_max_parts:
        raise InvalidInput("long_too_many", limit=limits.long_max_parts)
    return total


def _persons(
    form: FormDefinition,
    draft: dict[str, Any],
    list_id: str,
    sub: str,
    given: Input,
    today: date,
) -> Outcome:
    answers = draft["answers"]
    current: list[dict[str, Any]] = answers.setdefault(list_id, [])
    if sub == "more":
        if given.kind == "text" and (edited := _typed_edit(given.text)) is not None:
            if not 1 <= edited <= len(current):
                raise InvalidInput("edit_person_range", count=len(current))
            given = Input("option", option=f"ed:{edited - 1}")
        if given.kind == "text":
            removed = _typed_remove(given.text)
            if removed is None:
                raise InvalidInput("choose_button")
            given = Input("option", option=f"rm:{removed - 1}")
            if given.option not in {o.value for o in options(form, draft, f"{list_id}.more")}:
                if list_id == "authors" and removed == 1:  # the submitter
                    raise InvalidInput("remove_submitter")
                raise InvalidInput("remove_range", count=len(current))
        if given.option == "add":
            draft["person"] = {"list": list_id, "data": {}}
            return Outcome(draft)
        if given.option.startswith("ed:"):
            index = int(given.option[3:])
            before = {k: v for k, v in current[index].items() if k != "share"}
            draft["person"] = {"list": list_id, "data": {}, "index": index, "old": before}
            return Outcome(draft)
        if given.option.startswith("rm:"):
            index = int(given.option[3:])
            gone = current.pop(index)
            if list_id == "authors":
                _reset_shares(draft)
            return Outcome(draft, "initiative.person_removed", {"name": gone["full_name"]})
        # done
        if list_id == "authors" and len(current) == 1:
            current[0]["share"] = 100.0
            answers["shares"] = [100.0]
        if list_id not in draft["closed"]:
            draft["closed"].append(list_id)
        return Outcome(draft)

    if given.kind == "option" and given.option == "back":  # nobody added after all
        left = draft.pop("person", None)
        name = (left.get("data") or {}).get("full_name") if isinstance(left, dict) else None
        if name:
            return Outcome(draft, "initiative.person_dropped", {"name": name})
        return Outcome(draft, "initiative.person_not_added")
    person = pending_person(draft, list_id) or {"list": list_id, "data": {}}
    data: dict[str, Any] = person.setdefault("data", {})
    old = edited_person(draft, list_id)
    if given.kind == "option" and given.option == "keep" and old is not None and sub in old:
        data[sub] = old[sub]
        return _person_step_done(form, draft, list_id, person, current)
    if given.kind != "text":
        raise InvalidInput("expect_text")
    try:
        text = _an_answer(given.text)
    except InvalidInput as exc:  # «không nhớ» a co-author's birth date: how to go on
        if exc.code == "required" and adding_person(draft, list_id) and sub != "full_name":
            raise InvalidInput("person_required") from exc
        raise
    if sub == "full_name":
        data[sub] = parse_full_name(text)
    elif sub == "birth_date":
        data[sub] = parse_birth_date(text, today).isoformat()
    elif sub == "task":
        data[sub] = parse_text(_words(_not_a_question(text)), 2, SHORT_TEXT)
    else:
        data[sub] = parse_text(_words(_not_a_question(text)), 2, 200)
    return _person_step_done(form, draft, list_id, person, current)


def _person_step_done(
    form: FormDefinition,
    draft: dict[str, Any],
    list_id: str,
    person: dict[str, Any],
    current: list[dict[str, Any]],
) -> Outcome:
    """After one item of a person: the next item, or the person added to (or, corrected,
    put back in) the list."""
    data: dict[str, Any] = person["data"]
    missing = [s for s in form.person_fields[list_id] if s not in data]
    if missing:
        draft["person"] = person
        return Outcome(draft)
    draft.pop("person", None)
    index = person.get("index")
    if isinstance(index, int) and 0 <= index < len(current):
        share = current[index].get("share")
        current[index] = {**data, **({"share": share} if share is not None else {})}
        return Outcome(draft, "initiative.person_updated", {"name": data["full_name"]})
    current.append(data)
    if list_id == "authors":
        _reset_shares(draft)
    return Outcome(draft, "initiative.person_added", {"name": data["full_name"]})


def _reset_shares(draft: dict[str, Any]) -> None:
    answers = draft["answers"]
    answers.pop("shares", None)
    for person in answers.get("authors", []):
        person.pop("share", None)


_REMOVE = re.compile(r"^(?:xoa|bo|remove|delete|rm)\s*(?:so|tac gia|nguoi|number|no)?\s*(\d{1,3})$")


_EDIT = re.compile(
    r"^(?:sua|chinh sua|doi|edit|change|correct)\s*(?:lai)?\s*"
    r"(?:so|tac gia|thong tin|nguoi|nguoi so|tac gia so|number|no|person|author)?\s*(\d{1,3})$"
)


def _typed_edit(text: str) -> int | None:
    """«sửa 2», «sửa người số 2», «sửa tác giả 1», "edit 2": the number of the person."""
    match = _EDIT.match(fold(text))
    return int(match.group(1)) if match else None


def _typed_remove(text: str) -> int | None:
    match = _REMOVE.match(fold(text))
    return int(match.group(1)) if match else None


# --- the finished draft -----------------------------------------------------------------------


def is_complete(form: FormDefinition, draft: dict[str, Any]) -> bool:
    return (
        next_state(form, {**draft, "committing": False, "discarding": False, "editing": None})
        == REVIEW
    )


def content_of(form: FormDefinition, draft: dict[str, Any]) -> dict[str, Any]:
    """The answers as stored with the submitted initiative."""
    answers: dict[str, Any] = json_copy(draft.get("answers", {}))
    for f in form.fields:
        if f.kind == "persons":
            answers.setdefault(f.id, [])
        elif f.kind == "long":
            value = answers.get(f.id) or {"parts": [], "files": []}
            value.pop("done", None)
            answers[f.id] = value
        elif f.optional:
            answers.setdefault(f.id, None)
    return answers


def draft_of(initiative: Initiative) -> dict[str, Any]:
    """A draft to amend a returned initiative: everything answered, straight to the review."""
    answers = json_copy(initiative.content)
    if isinstance(answers.get("description"), dict):
        answers["description"]["done"] = True
    return {
        "draft_id": uuid.uuid4().hex,
        "initiative_id": initiative.id,
        "answers": answers,
        "closed": [k for k, v in answers.items() if isinstance(v, list) and k != "shares"],
    }


def title_key(title: str) -> str:
    return fold(title)


def similar_titles(
    title: str, earlier: Sequence[tuple[str, str]], threshold: int, limit: int = 3
) -> list[str]:
    """Numbers of earlier initiatives whose titles look like ``title`` (folded, any order)."""
    from rapidfuzz import fuzz, process

    if not earlier:
        return []
    key = title_key(title)
    hits = process.extract(
        key,
        [k for _, k in earlier],
        scorer=fuzz.token_sort_ratio,
        limit=limit,
        score_cutoff=threshold,
    )
    return [earlier[index][0] for _, _, index in hits]
