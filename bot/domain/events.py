"""Conference events, invitations and attendance (RSVP): models and the seat rule.

An event has a capacity, optional seats reserved for delegate groups ("Thành phần tham dự"), a
deadline for answers and a mode: ``invitation`` (only holders of a personal code) or ``open``
(any registered person may ask for a seat; ``approval`` makes the office confirm each one).

Seats: a "yes" is *confirmed* when a seat is free for the person's group, else *waitlisted* in
order of answer. :func:`seat_available` is the whole rule: a group's reserved seats are for that
group until they are filled; the other seats are for anyone.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator
from rapidfuzz import fuzz

from bot.domain.choices import Choice, match_choice, starting_with
from bot.domain.text import clean, fold, unaccent

SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{1,47}$")
CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read aloud and typed
CODE_LENGTH = 8
CODE_PATTERN = re.compile(rf"^[{CODE_ALPHABET}]{{{CODE_LENGTH}}}$")
NOTE_MAX = 500
CHECKIN_OPENS_BEFORE = timedelta(days=1)  # the door checks people in from a day before the start
ALERT_THRESHOLDS = (50, 80, 100)  # % of capacity confirmed: the office is told once each


class Group(BaseModel):
    """A delegate group of the event, with seats reserved for it (0: none)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]{0,31}$")
    name: str = Field(min_length=2, max_length=300)
    reserved: int = Field(default=0, ge=0)
    # Other names people write in a list of invitees («Lãnh đạo Sở», «cấp huyện»).
    aliases: tuple[Annotated[str, Field(min_length=2, max_length=100)], ...] = ()


@dataclass(frozen=True)
class GroupMatch:
    """What a group written in a list of invitees names (see :meth:`Event.find_group`)."""

    group: Group | None
    exact: bool = False  # its id or its whole name: nothing to report
    several: tuple[Group, ...] = ()  # no group: these start with the text


class AgendaItem(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    title: str = Field(min_length=2, max_length=300)
    time: str | None = Field(default=None, pattern=r"^\d{1,2}:\d{2}$")  # "08:30"


AGENDA_MAX = 20  # items of an agenda typed in the chat (one message)
AGENDA_TITLE = (2, 300)  # characters of an item
EVENT_NOTE_MAX = 1000
# At the start of a line: a bullet («-», «•», «1.», «2)», «a)») before the item.
_AGENDA_BULLET = re.compile(r"^(?:[-–—•*+·]+|\(?\d{1,2}[.)]|\(?[a-zA-Zđ][.)])\s+")
# Then its time: 08:00, 8h30, 8h, 8g30, 8.30, «8 giờ 30», «14 giờ» (an end time after a dash
# is dropped: «08:00 - 08:30 Đón tiếp» starts at 08:00).
_AGENDA_CLOCK = r"(\d{1,2})\s*(?:[:hg]|giờ|gio|\.(?=\d{2}))\s*(\d{2})?(?:\s*(?:phút|phut)\b)?"
_AGENDA_UNTIL = r"(?:\s*[-–—]+\s*\d{1,2}\s*(?:[:hg]|giờ|gio|\.(?=\d{2}))\s*(?:\d{2})?)?"
_AGENDA_AT = r"(?:(?:lúc|luc|từ|tu)\s+)?"  # «Lúc 8h: Khai mạc», «Từ 7h30: Đón tiếp»
_AGENDA_TIME = re.compile(
    rf"^{_AGENDA_AT}{_AGENDA_CLOCK}{_AGENDA_UNTIL}(?=[\s\-–—:,.]|$)", re.IGNORECASE
)
# Or after the title, as some write it: «Khai mạc - 8h00», «Khai mạc (08:00)», «Bế mạc lúc 11h».
# After a bare space, only a clock that cannot be a number of the title: «Khai mạc 8h30», not
# «Quý 2.30»; a time that is no clock there (24h) stays in the title.
_AGENDA_TIME_AFTER = re.compile(
    rf"(?:\s*[-–—:,]\s*|\s*\(\s*|\s+(?=\S*\d\s*(?:[:hg]|giờ|gio))|\s+(?=lúc|luc|từ|tu)){_AGENDA_AT}"
    rf"{_AGENDA_CLOCK}{_AGENDA_UNTIL}\s*\)?\s*$",
    re.IGNORECASE,
)
_AGENDA_SEPARATOR = re.compile(r"^[\s\-–—:,.]+")


class AgendaError(ValueError):
    """A typed agenda refused: ``kind`` (``time``, ``title``, ``too_many``, ``empty``), the
    ``line`` (from 1) and what was typed there (``typed``)."""

    def __init__(self, kind: str, line: int = 0, typed: str = "") -> None:
        super().__init__(f"{kind} at line {line}: {typed!r}")
        self.kind = kind
        self.line = line
        self.typed = typed


def parse_agenda(text: str) -> tuple[AgendaItem, ...]:
    """An agenda typed one item a line, the time (if any) first: «08:00 Đón tiếp đại biểu»,
    «- 8h30: Khai mạc», «Lúc 9h: Báo cáo», or last: «Bế mạc - 11h30», «Bế mạc (11:30)»;
    «3. Tổng kết» (no time). One line with «;» holds several items. Raises
    :class:`AgendaError`."""
    lines = [" ".join(line.split()) for line in text.splitlines()]
    lines = [line for line in lines if line]
    if len(lines) == 1 and ";" in lines[0]:
        lines = [part.strip() for part in lines[0].split(";") if part.strip()]
    if not lines:
        raise AgendaError("empty")
    if len(lines) > AGENDA_MAX:
        raise AgendaError("too_many", len(lines))
    items = []
    for number, line in enumerate(lines, start=1):
        rest = _AGENDA_BULLET.sub("", line, count=1)
        time = None
        found = _AGENDA_TIME.match(rest)
        after = _AGENDA_TIME_AFTER.search(rest) if found is None else None
        if after is not None and int(after.group(1)) <= 23 and int(after.group(2) or 0) <= 59:
            found = after
        if found is not None:
            hours, minutes = int(found.group(1)), int(found.group(2) or 0)
            if hours > 23 or minutes > 59:
                raise AgendaError("time", number, found.group(0).strip())
            time = f"{hours:02d}:{minutes:02d}"
            rest = rest[found.end() :] if found.start() == 0 else rest[: found.start()]
        title = _AGENDA_SEPARATOR.sub("", rest).strip()
        low, high = AGENDA_TITLE
        if not low <= len(title) <= high:
            raise AgendaError("title", number, line)
        items.append(AgendaItem(title=title, time=time))
    return tuple(items)


class Event(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str
    title: str = Field(min_length=3, max_length=300)
    organiser: str = Field(min_length=2, max_length=200)
    starts_at: datetime
    duration_minutes: int = Field(ge=15, le=24 * 60)
    venue: str = Field(min_length=2, max_length=300)
    address: str = Field(default="", max_length=300)
    map_url: str | None = Field(default=None, max_length=500)
    rsvp_deadline: datetime
    capacity: int = Field(ge=1, le=100_000)
    mode: Literal["invitation", "open"] = "invitation"
    approval: bool = False  # open mode: the office approves each request
    reminders: tuple[int, ...] = (24 * 60, 120)  # minutes before the start
    agenda: tuple[AgendaItem, ...] = ()
    groups: tuple[Group, ...] = ()
    note: str = Field(default="", max_length=EVENT_NOTE_MAX)  # e.g. "date to be confirmed"

    @field_validator("id")
    @classmethod
    def _slug(cls, value: str) -> str:
        if not SLUG.match(value):
            raise ValueError("id: lowercase letters, digits and dashes (2-48)")
        return value

    @field_validator("starts_at", "rsvp_deadline")
    @classmethod
    def _aware(cls, value: datetime) -> datetime:
        if value.tzinfo is None:
            raise ValueError("a date and time with its time zone (e.g. +07:00)")
        return value

    @field_validator("map_url")
    @classmethod
    def _url(cls, value: str | None) -> str | None:
        if value and not value.startswith(("https://", "http://")):
            raise ValueError("map_url: an http(s) link")
        return value or None

    @field_validator("reminders")
    @classmethod
    def _reminders(cls, value: tuple[int, ...]) -> tuple[int, ...]:
        if any(m < 5 or m > 60 * 24 * 30 for m in value):
            raise ValueError("reminders: minutes before the start, between 5 and 43200")
        return tuple(sorted(set(value), reverse=True))

    @model_validator(mode="after")
    def _consistent(self) -> Event:
        ids = [g.id for g in self.groups]
        if len(ids) != len(set(ids)):
            raise ValueError("groups: ids must be unique")
        if sum(g.reserved for g in self.groups) > self.capacity:
            raise ValueError("groups: more reserved seats than the capacity")
        if self.rsvp_deadline > self.starts_at:
            raise ValueError("rsvp_deadline: before the start")
        return self

    @property
    def ends_at(self) -> datetime:
        return self.starts_at + timedelta(minutes=self.duration_minutes)

    @property
    def checkin_opens_at(self) -> datetime:
        """Before this, a code shown at the door is refused (weeks early is a mistake)."""
        return self.starts_at - CHECKIN_OPENS_BEFORE

    def group(self, group_id: str | None) -> Group | None:
        return next((g for g in self.groups if g.id == group_id), None)

    def group_choices(self) -> list[Choice]:
        """The groups as choices: by name, id or alias, typed as people write them."""
        return [Choice(g.id, (g.name, g.id), g.aliases) for g in self.groups]

    def find_group(self, text: str) -> GroupMatch:
        """The group ``text`` names: its id, its name or an alias, also in part or with a
        typo («Lãnh đạo Sở KH&CN» for «Lãnh đạo Sở KH&CN, Văn phòng Sở và …»); else the
        groups whose names start with it (``several``), to say which were meant."""
        choices = self.group_choices()
        picked = match_choice(text, choices) if not text.strip().isdigit() else None
        if picked is not None:
            group = self.group(picked)
            assert group is not None
            exact = fold(text) in {fold(group.id), fold(group.name)}
            return GroupMatch(group, exact=exact)
        starting = set(starting_with(text, choices))
        return GroupMatch(None, several=tuple(g for g in self.groups if g.id in starting))

    def open_for_answers(self, now: datetime) -> bool:
        return now <= self.rsvp_deadline


class Answer(StrEnum):
    YES = "yes"
    NO = "no"
    MAYBE = "maybe"


class Seat(StrEnum):
    CONFIRMED = "confirmed"
    WAITLISTED = "waitlisted"
    PENDING = "pending"  # open mode with approval: waiting for the office
    NONE = "none"  # no / maybe


class Invitee(BaseModel):
    model_config = ConfigDict(frozen=True)

    id: int
    event_id: str
    code: str
    full_name: str
    unit: str = ""
    position: str = ""
    group_id: str | None = None
    phone: str = ""
    email: str = ""
    user_id: int | None = None  # the Telegram account that redeemed the code
    bound_at: datetime | None = None


class Rsvp(BaseModel):
    """A person's answer to an event and their seat."""

    model_config = ConfigDict(frozen=True)

    id: int
    event_id: str
    user_id: int
    invitee_id: int | None
    answer: Answer
    seat: Seat
    full_name: str
    unit: str = ""
    position: str = ""
    group_id: str | None = None
    note: str = ""
    answered_at: datetime
    queued_at: datetime | None = None  # place in the waitlist (time of the "yes")
    checkin_code: str
    checked_in_at: datetime | None = None
    checked_in_by: int | None = None


def office_order(events: Sequence[Event], now: datetime) -> list[Event]:
    """Events as every list of them shows them: those not over yet, the soonest first, then
    the past ones, the latest first (the one the office is busy with comes first)."""
    coming = sorted((e for e in events if e.ends_at >= now), key=lambda e: e.starts_at)
    past = sorted((e for e in events if e.ends_at < now), key=lambda e: e.starts_at, reverse=True)
    return coming + past


def told_of_a_move(rsvp: Rsvp) -> bool:
    """Whether a change of time or place is sent to the person of ``rsvp``: a seat, a place
    on the waiting list or awaiting approval, or «chưa chắc» (the new time may decide it)."""
    return rsvp.seat is not Seat.NONE or rsvp.answer is Answer.MAYBE


def new_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def unanswered(rsvps: Sequence[Rsvp], invitees: Sequence[Invitee]) -> list[Invitee]:
    """The invitees with no answer yet (neither by their code nor by their account)."""
    used = {r.invitee_id for r in rsvps if r.invitee_id is not None}
    people = {r.user_id for r in rsvps}
    return [i for i in invitees if i.id not in used and i.user_id not in people]


def person_key(full_name: str, unit: str) -> tuple[str, str]:
    """Where to look for the same person in a list: name and unit folded (see
    :func:`same_spelling` for who is the same)."""
    return fold(full_name), fold(unit)


def same_spelling(a: str, b: str) -> bool:
    """The same name (or unit) as written in two lists: equal but for case and spaces, or
    equal without accents when one of them was typed without any («nguyen van hung» is
    «Nguyễn Văn Hùng»). Two spellings with accents that differ are two people: «Hùng» and
    «Hưng» fold alike."""
    first, second = clean(a), clean(b)
    if first.casefold() == second.casefold():
        return True
    if fold(first) != fold(second):
        return False
    return unaccent(first) == first.lower() or unaccent(second) == second.lower()


def same_person(name: str, unit: str, other_name: str, other_unit: str) -> bool:
    """Two lines of invitee lists name the same person: :func:`same_spelling` of the name and
    of the unit."""
    return same_spelling(name, other_name) and same_spelling(unit, other_unit)


def normalise_code(text: str) -> str | None:
    """A code as typed or scanned: ``rsvp_ABCD2345``, ``abcd-2345``, ``ABCD 2345``."""
    value = re.sub(r"[\s\-_]", "", text.strip().upper())
    value = value.removeprefix("RSVP").removeprefix("CHECKIN")
    return value if CODE_PATTERN.match(value) else None


def seat_available(event: Event, confirmed: Mapping[str | None, int], group_id: str | None) -> bool:
    """Whether one more person of ``group_id`` can be confirmed, given the confirmed count per
    group (``None``: no group). Reserved seats of other groups stay free for them."""
    total = sum(confirmed.values())
    if total >= event.capacity:
        return False
    group = event.group(group_id)
    if group is not None and confirmed.get(group.id, 0) < group.reserved:
        return True  # one of the group's reserved seats
    held_for_others = sum(
        max(0, g.reserved - confirmed.get(g.id, 0)) for g in event.groups if g.id != group_id
    )
    return total + held_for_others < event.capacity


def seats_left(event: Event, confirmed: Mapping[str | None, int]) -> int:
    return max(0, event.capacity - sum(confirmed.values()))


def crossed_thresholds(capacity: int, before: int, after: int) -> list[int]:
    """The alert thresholds (% of capacity) crossed when confirmations go from before to after."""
    return [t for t in ALERT_THRESHOLDS if before * 100 < t * capacity <= after * 100]


def reminder_times(event: Event) -> list[tuple[int, datetime]]:
    """(minutes before, when) for each reminder of the event."""
    return [(m, event.starts_at - timedelta(minutes=m)) for m in event.reminders]


# A question about the event itself (folded words): its place, time, programme or deadline
# are on the invitation; the answer is taken from there, not from the rules documents.
_EVENT_FACT_WORDS = (
    *("o dau", "dia diem", "dia chi", "cho nao", "phong nao", "hoi truong", "ban do"),
    *("may gio", "luc may gio", "khi nao", "bao gio", "ngay nao", "hom nao", "thoi gian"),
    *("gio nao", "bat dau", "ket thuc", "keo dai", "chuong trinh", "noi dung", "lich trinh"),
    *("han dang ky", "han tra loi", "han chot", "to chuc o dau"),
    *("where", "venue", "address", "map", "when", "what time", "agenda", "programme"),
    *("program", "deadline", "how long"),
)


def asks_about_event(folded: str) -> bool:
    """Whether a question (folded text) asks what the invitation says: where, when, how
    long, the programme, the deadline («hội nghị ở đâu», «mấy giờ bắt đầu», "where is it")."""
    words = f" {folded} "
    return any(f" {fact} " in words for fact in _EVENT_FACT_WORDS)


# Words that say the question is about a meeting (folded), not about a file or a rule: «hồ sơ
# nộp ở đâu» asks the documents, «hội nghị ở đâu», «mấy giờ họp» the invitation.
_MEETING_WORDS = (
    *("hoi nghi", "cuoc hop", "buoi hop", "di hop", "gio hop", "phong hop", "hop o", "hop luc"),
    *("hop vao", "hop ngay", "hop may", "su kien", "tap huan", "le tuyen duong"),
    *("conference", "meeting", "event"),
)


def asks_about_the_meeting(folded: str) -> bool:
    """Whether a question typed outside any invitation (folded text) asks what an invitation
    says about a meeting: its place, time or programme («hội nghị tổ chức ở đâu?», «mấy giờ
    họp vậy», "where is the conference")."""
    words = f" {folded} "
    return asks_about_event(folded) and any(f" {w} " in words for w in _MEETING_WORDS)


# «tôi không đi được nữa», «em xin phép vắng», "I can't attend": someone who will not come
# (folded). Questions are not statements: «nếu không đi được thì báo ai?».
_CANNOT_COME = re.compile(
    r"\b(?:khong|ko|k|chang|hok)(?: the| con)? (?:di|den|du|tham du|tham gia|co mat|ra)\b(?! vao)"
    r"|\b(?:xin phep vang|xin vang|bao vang|vang mat|huy dang ky|huy tham du|rut dang ky)\b"
    r"|\b(?:tra lai cho|nhuong cho)\b"
    r"|\b(?:can ?t|cannot|can not|won ?t|will not|not) (?:come|attend|make it|be there)\b"
    r"|\bnot (?:coming|attending)\b|\bcancel my (?:registration|seat|rsvp)\b"
)
_ASKING = re.compile(
    r"^(?:neu|khi|lam sao|lam the nao|the nao|co phai|co can|co duoc|bao gio|ai|o dau|if|how|"
    r"what|when|who|do|does|can i|should)\b|\b(?:khong|ko|chua|sao|the nao|gi|dau|nhi)$"
)


def says_cannot_come(text: str) -> bool:
    """Whether ``text`` says its writer will not come to a meeting («tôi không đi được nữa»,
    «em xin phép vắng ạ», «hủy đăng ký», "sorry, I can't attend"), rather than asks about it
    («nếu không đi được thì báo ai?», «có ai không đi không»). Word lists: approximate."""
    if "?" in text:
        return False
    folded = fold(text)
    for filler in (" a", " nhe", " nha", " roi", " nua", " mat", " duoc", " ah", " sorry"):
        folded = folded.removesuffix(filler) if folded.endswith(filler) else folded
    return bool(_CANNOT_COME.search(folded)) and not _ASKING.search(folded)


# Answers to «Anh/chị có tham dự không?» said in a roundabout way (folded): a soft no
# («chắc là không», «có lẽ không đi được»), or not decided yet («để em hỏi lại sếp đã», «em
# báo lại sau»). Word lists: approximate.
_PROBABLY_NOT = re.compile(
    r"^(?:chac|chac la|co le|co le la|hinh nhu|kha nang la|chac em|chac toi|em nghi la|"
    r"probably|likely) ?(?:la )?(?:khong|ko|not|won t|can t|cannot)\b"
)
_UNDECIDED = re.compile(
    r"\b(?:de (?:em|toi|minh|anh|chi|bo phan) (?:hoi|xem|kiem tra|bao cao|xin y kien|trao doi|"
    r"sap xep|thu xep|can doi)|(?:bao|tra loi|xac nhan|bao cao) lai sau|(?:hoi|xin y kien) "
    r"(?:lai )?(?:sep|lanh dao|thu truong|giam doc|truong phong|cap tren)|chua biet|"
    r"chua sap xep duoc|let me (?:check|ask)|get back to you|i ll confirm later)\b"
)


def roundabout_answer(text: str) -> Answer | None:
    """«Chắc là không» is a no; «để em hỏi lại sếp đã», «em báo lại sau» a «chưa chắc»; any
    other text is neither (``None``). A question is never one."""
    if "?" in text:
        return None
    folded = fold(text)
    if _PROBABLY_NOT.search(folded):
        return Answer.NO
    if _UNDECIDED.search(folded):
        return Answer.MAYBE
    return None


def looks_like_a_name(text: str) -> bool:
    """Typed at the door instead of a code: two to six words of letters, no digit («Phạm Thị
    Dung», «nguyen van an»)."""
    words = text.split()
    return 2 <= len(words) <= 6 and all(w.isalpha() for w in words)


def name_matches(query: str, full_name: str) -> bool:
    """Whether ``full_name`` is the person typed: the folded words of ``query`` all in the
    name, in order («Dung» alone is too short to ask; «Phạm Dung», «pham thi dung» match «Phạm
    Thị Dung»), or the whole name within one typo (rapidfuzz, 90)."""
    wanted, name = fold(query).split(), fold(full_name).split()
    if not wanted:
        return False
    place = 0
    for word in name:
        if place < len(wanted) and word == wanted[place]:
            place += 1
    if place == len(wanted):
        return True
    return fuzz.ratio(" ".join(wanted), " ".join(name)) >= NAME_SCORE


NAME_SCORE = 90  # 0-100: a typed name this close to a delegate's is them (one typo)
