"""Dates, times and amounts of time as people type them, in Vietnamese or English, for every
flow: a date alone (an initiative's dates: «1/3/2025», «ngày 1 tháng 3 năm 2025», "March 1,
2025"), a moment (an event's start, a scheduled announcement: «14 giờ 30 ngày 20/6/2027»,
"June 20, 2027 8:00 PM"), amounts of time (reminders: «1 ngày, 2 giờ», «3 tiếng rưỡi») and a
count («60 chỗ»).

Dates are day first, as in Vietnam (``1/3/2025`` is 1 March). Everything is read from the text
lower-cased without its diacritics (:func:`bot.domain.text.unaccent`), so «giờ» and «gio»,
«chiều» and «chieu» are the same.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta, tzinfo

from bot.domain.text import clean, fold, unaccent

# --- dates ----------------------------------------------------------------------------------------

_MONTHS = {
    name: number
    for number, names in enumerate(
        (
            ("january", "jan"), ("february", "feb"), ("march", "mar"), ("april", "apr"),
            ("may",), ("june", "jun"), ("july", "jul"), ("august", "aug"),
            ("september", "sep", "sept"), ("october", "oct"), ("november", "nov"),
            ("december", "dec"),
        ),
        start=1,
    )
    for name in names
}  # fmt: skip
_ORDINAL = r"(?:st|nd|rd|th)?"
# Tried in the order of _PATTERNS below; _found reads each (day, month, year or None).
_NUMERIC = re.compile(r"(?<!\d)(\d{1,2})\s*[/.\-]\s*(\d{1,2})\s*[/.\-]\s*(\d{4}|\d{2})(?!\d)")
_ISO = re.compile(r"(?<!\d)(\d{4})\s*[/.\-]\s*(\d{1,2})\s*[/.\-]\s*(\d{1,2})(?!\d)")  # 2027-06-20
_WORDS = re.compile(  # «20 tháng 6 năm 2027», «20 tháng 6, 2027», «20 tháng 6»
    r"(?<!\d)(\d{1,2})\s+thang\s+(\d{1,2})(?:\s*,?\s*(?:nam\s+)?(\d{4}))?(?!\d)"
)
_MONTH_FIRST = re.compile(  # "June 20, 2027", "june 20th 2027", "June 20"
    rf"\b([a-z]{{3,9}})\.?\s+(\d{{1,2}}){_ORDINAL}(?:\s*,?\s*(\d{{4}}))?(?![\d:])"
)
_DAY_FIRST = re.compile(  # "20 June 2027", "20th of June, 2027", "20 June"
    rf"(?<!\d)(\d{{1,2}}){_ORDINAL}\s+(?:of\s+)?([a-z]{{3,9}})\b\.?(?:\s*,?\s*(\d{{4}}))?(?!\d)"
)
_SHORT = re.compile(r"(?<![\d:.])(\d{1,2})/(\d{1,2})(?![\d/])")  # 20/6: the year left out

# Words around a date typed alone: «dạ … ạ», «ngày», «mùng», «là», "on", "please" (folded).
_DATE_BEFORE = frozenset({"da", "vang", "ngay", "mung", "mong", "la", "em", "toi", "on", "it"})
_DATE_AFTER = frozenset({"a", "nhe", "nha", "please", "thanks"})


@dataclass(frozen=True, slots=True)
class TypedDate:
    """A date as typed: the year as written (None when left out, 2 or 4 digits), and where it
    is in the unaccented text."""

    day: int
    month: int
    year: int | None
    start: int
    end: int


def _found(match: re.Match[str], order: str) -> TypedDate | None:
    """``order``: which group is the day (d), the month (m, or M for a month's name), the
    year (y)."""
    values: dict[str, int | None] = {}
    for key, group in zip(order, match.groups(), strict=True):
        if key == "M":
            if group not in _MONTHS or (
                group == "may" and match.group(order.index("y") + 1) is None
            ):
                return None  # not a month's name; «máy 2» is not "May 2"
            values["m"] = _MONTHS[group]
        else:
            values[key] = int(group) if group is not None else None
    day, month = values["d"], values["m"]
    assert day is not None and month is not None
    return TypedDate(day, month, values.get("y"), match.start(), match.end())


_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    (_NUMERIC, "dmy"),
    (_ISO, "ymd"),
    (_WORDS, "dmy"),
    (_MONTH_FIRST, "Mdy"),
    (_DAY_FIRST, "dMy"),
    (_SHORT, "dm"),
)


def find_date(plain: str, *, whole: bool = False) -> TypedDate | None:
    """The date in ``plain`` (text through :func:`unaccent`); ``whole``: only if the date is
    all of it."""
    for pattern, order in _PATTERNS:
        matches = [pattern.fullmatch(plain)] if whole else pattern.finditer(plain)
        for match in matches:
            if match is not None and (found := _found(match, order)) is not None:
                return found
    return None


def date_alone(text: str) -> TypedDate | None:
    """A date typed on its own, the polite words around it aside («dạ 1/3/2025 ạ», "on March
    1, 2025.", «ngày 1 tháng 3 năm 2025»)."""
    words = clean(text).split()
    while words and fold(words[0]) in _DATE_BEFORE:
        words.pop(0)
    while words and fold(words[-1]) in _DATE_AFTER:
        words.pop()
    return find_date(unaccent(" ".join(words)).rstrip(".!;,"), whole=True)


def next_year_of(day: int, month: int, today: date) -> int:
    """The year of the next ``day``/``month`` from ``today`` on (today's included)."""
    try:
        return today.year + (date(today.year, month, day) < today)
    except ValueError:  # 29/2 of a year without it, 31/4: not a date in any year
        return today.year


# --- times ----------------------------------------------------------------------------------------

# 08:00, 8h30, 8g, 8.30, «8 giờ 30», «8 giờ 5 phút», 8pm ("gio" before "g": «14 giờ 30»)
_TIME = re.compile(
    r"(?<!\d)(\d{1,2})\s*(?:(?:gio|g|h|:|\.(?=\d{2}(?!\d)))\s*(\d{1,2})?(?!\d)"
    r"(?:\s*(?:phut|p)\b)?|(?=\s*[ap]\.?m\b))"
)
# After the time: «chiều», «tối», "pm" add 12 hours to 1-11; «trưa» to 1-4 («1 giờ trưa»);
# «sáng», "am" make 12 midnight... of the morning: 12 am is 00.
_AFTERNOON = re.compile(r"\b(?:chieu|toi|p\.?m)\b")
_NOON = re.compile(r"\btrua\b")
_MORNING = re.compile(r"\b(?:sang|a\.?m)\b")


# A day named relative to today (unaccented text): «hôm nay», «tối nay», «mai», «ngày kia»,
# «thứ 6», «thứ hai tuần sau», «chủ nhật», "tomorrow", "next friday".
_RELATIVE = re.compile(
    r"\b(?:(?P<today>hom nay|ngay hom nay|today|tonight|nay)"
    r"|(?P<tomorrow>ngay mai|mai|tomorrow)"
    r"|(?P<after>ngay kia|ngay mot|day after tomorrow)"
    r"|(?:(?P<next_en>next)\s+)?(?P<weekday>thu\s*(?:2|3|4|5|6|7|hai|ba|tu|nam|sau|bay)|chu nhat"
    r"|monday|tuesday|wednesday|thursday|friday|saturday|sunday)"
    r"(?:\s+(?P<next>tuan sau|tuan toi|next week))?)\b"
)
_WEEKDAYS = {
    **dict.fromkeys(("2", "hai", "monday"), 0),
    **dict.fromkeys(("3", "ba", "tuesday"), 1),
    **dict.fromkeys(("4", "tu", "wednesday"), 2),
    **dict.fromkeys(("5", "nam", "thursday"), 3),
    **dict.fromkeys(("6", "sau", "friday"), 4),
    **dict.fromkeys(("7", "bay", "saturday"), 5),
    **dict.fromkeys(("chu nhat", "sunday"), 6),
}


def relative_day(plain: str, today: date) -> tuple[date, int, int] | None:
    """The day a text (through :func:`unaccent`) names relative to ``today``, and where: «mai»
    is tomorrow, «thứ 6» the next Friday from today on (today's included), «thứ 6 tuần sau»
    the Friday of next week (weeks start on Monday)."""
    match = _RELATIVE.search(plain)
    if match is None:
        return None
    if match.group("today"):
        day = today
    elif match.group("tomorrow"):
        day = today + timedelta(days=1)
    elif match.group("after"):
        day = today + timedelta(days=2)
    else:
        name = re.sub(r"^thu\s*", "", match.group("weekday"))
        weekday = _WEEKDAYS[name]
        if match.group("next") or match.group("next_en"):
            day = today - timedelta(days=today.weekday()) + timedelta(days=7 + weekday)
        else:
            day = today + timedelta(days=(weekday - today.weekday()) % 7)
    return day, match.start(), match.end()


def parse_datetime(text: str, tz: tzinfo, today: date) -> datetime | None:
    """``20/6/2025 08:00`` (also ``8h30 20-6-2025``, ``20.06.2025 lúc 8 giờ``, «2 giờ chiều
    20/6/2025», "20/6/2025 8:00 PM", "June 20, 2025 8.30") in ``tz``. A date without its year
    is the next one from ``today``; a two-digit year is 20xx. The day may also be named
    relative to ``today`` («8 giờ sáng mai», «14h thứ 6», «9h thứ hai tuần sau», «8 giờ tối
    nay», "tomorrow 9am": :func:`relative_day`). ``None`` if it is not that."""
    plain = unaccent(text)
    found = find_date(plain)
    if found is None:
        relative = relative_day(plain, today)
        if relative is None:
            return None
        day, start, end = relative
        rest = plain[:start] + " " + plain[end:]  # «sáng mai»: «sáng» stays, the morning
        return _at_time(rest, day.year, day.month, day.day, tz)
    year = found.year
    if year is None:
        year = next_year_of(found.day, found.month, today)
    elif year < 100:
        year += 2000
    rest = plain[: found.start] + " " + plain[found.end :]
    return _at_time(rest, year, found.month, found.day, tz)


def _at_time(rest: str, year: int, month: int, day: int, tz: tzinfo) -> datetime | None:
    """The time of day in ``rest`` (the text without its date) on that day, or ``None``."""
    time_match = _TIME.search(rest)
    if time_match is None:
        return None
    hour, minute = int(time_match.group(1)), int(time_match.group(2) or 0)
    # The part of the day, after the time («8 giờ tối») or before it («tối nay 8 giờ»).
    around = rest[: time_match.start()] + " " + rest[time_match.end() :]
    if (_AFTERNOON.search(around) and 1 <= hour <= 11) or (_NOON.search(around) and 1 <= hour <= 4):
        hour += 12
    elif _MORNING.search(around) and hour == 12:
        hour = 0
    try:
        return datetime(year, month, day, hour, minute, tzinfo=tz)
    except ValueError:
        return None


def typed_example(moment: datetime) -> str:
    """``20/6/2027 08:00``: a moment as one may type it."""
    return f"{moment.day}/{moment.month}/{moment.year} {moment:%H:%M}"


# --- amounts of time, counts -------------------------------------------------------------------

UNIT_MINUTES: dict[str, int] = {
    **dict.fromkeys(("", "p", "ph", "phut", "m", "min", "mins", "minute", "minutes"), 1),
    **dict.fromkeys(("h", "g", "gio", "tieng", "hr", "hrs", "hour", "hours"), 60),
    **dict.fromkeys(("d", "ngay", "day", "days"), 1440),
    **dict.fromkeys(("tuan", "week", "weeks"), 10080),
}
_AMOUNT = re.compile(r"(\d+)\s*([a-z]*)")
_AMOUNTS = re.compile(r"(?:\d+\s*[a-z]*\s*)+")
_DECIMAL = re.compile(r"(\d+)[.,](\d+)\s*([^\W\d_]+)")
_HALF = re.compile(r"(\d+)\s*([^\W\d_]+)\s+(?:rưỡi|ruoi)\b")
_COUNT = re.compile(
    r"(\d{1,6})(?:\s*(?:cho|cho ngoi|nguoi|ghe|dai bieu|seats?|people|places?|persons?))?"
)


def parse_minutes(text: str) -> list[int] | None:
    """Amounts of time in minutes: ``"1440 120"`` → [1440, 120]; ``"1 ngày, 2 giờ"`` → [1440,
    120]; ``"3h30"`` → [210]. Items are separated by commas, or each starts with a unit (a bare
    number after one adds minutes to it). ``None`` if the text is not that."""
    items: list[int] = []
    text = _decimals(text)
    for part in re.split(r"[,;]", text):
        folded = fold(part)
        if not folded:
            continue
        if not _AMOUNTS.fullmatch(folded):
            return None
        amounts = [(int(n), unit) for n, unit in _AMOUNT.findall(folded)]
        if any(unit not in UNIT_MINUTES for _, unit in amounts):
            return None
        if "," in text or ";" in text:
            items.append(sum(n * UNIT_MINUTES[unit] for n, unit in amounts))
            continue
        if all(unit == "" for _, unit in amounts):
            items += [n for n, _ in amounts]
            continue
        current: int | None = None
        for n, unit in amounts:
            if unit == "" and current is not None:
                current += n
                continue
            if current is not None:
                items.append(current)
            current = n * UNIT_MINUTES[unit]
        if current is not None:
            items.append(current)
    return items or None


def _decimals(text: str) -> str:
    """«3,5 giờ» and «3 tiếng rưỡi» as minutes («210 phút»), «1 ngày và 2 tiếng» as a list:
    read as they are, the comma would split «3,5 giờ» into 3 minutes and 5 hours."""

    def minutes(count: float, unit: str, whole: str) -> str:
        per = UNIT_MINUTES.get(fold(unit))
        if not per or per == 1:
            return whole
        return f"{round(count * per)} phut"

    text = _HALF.sub(lambda m: minutes(int(m[1]) + 0.5, m[2], m[0]), text)
    text = _DECIMAL.sub(lambda m: minutes(float(f"{m[1]}.{m[2]}"), m[3], m[0]), text)
    return re.sub(r"\s+(?:và|va|and)\s+", ", ", text)


def parse_count(text: str) -> int | None:
    """A number of seats or people: «60», «60 chỗ», "60 seats"."""
    match = _COUNT.fullmatch(fold(text))
    return int(match.group(1)) if match else None
