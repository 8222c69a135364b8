"""Dates, times and amounts of time as people type them (bot.domain.moments): the one reader
of the initiative form's dates, an event's start and deadline, and a scheduled announcement."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.domain.moments import date_alone, find_date, parse_count, parse_datetime, parse_minutes
from bot.domain.text import unaccent

TZ = ZoneInfo("Asia/Ho_Chi_Minh")
TODAY = date(2026, 11, 22)


def at(text: str) -> datetime | None:
    return parse_datetime(text, TZ, TODAY)


def test_typed_moments_and_durations() -> None:
    assert at("20/6/2025 08:00") == datetime(2025, 6, 20, 8, 0, tzinfo=TZ)
    assert at("8h30 20-06-2025") == datetime(2025, 6, 20, 8, 30, tzinfo=TZ)
    assert at("20.6.2025 lúc 14 giờ") == datetime(2025, 6, 20, 14, 0, tzinfo=TZ)
    assert at("31/2/2025 08:00") is None
    assert at("20/6/2025") is None  # the time is needed
    assert at("8:00") is None  # and the date
    assert parse_minutes("1440 120") == [1440, 120]
    assert parse_minutes("1 ngày, 2 giờ") == [1440, 120]
    assert parse_minutes("1 day 2 h") == [1440, 120]
    assert parse_minutes("3h30") == [210]
    assert parse_minutes("4 giờ") == [240]
    assert parse_minutes("sáng mai") is None
    assert parse_count("60 chỗ") == parse_count("60") == parse_count("60 seats") == 60
    assert parse_count("sáu mươi") is None


@pytest.mark.parametrize(
    ("typed", "hour", "minute"),
    [
        ("20/6/2027 lúc 14 giờ 30", 14, 30),  # the minutes after «giờ» (once read as «g»)
        ("8 giờ 30 sáng ngày 20/6/2027", 8, 30),
        ("20/6/2027 8 giờ 5 phút", 8, 5),
        ("2 giờ chiều 20/6/2027", 14, 0),  # afternoon, evening, PM: 12 hours later
        ("20/6/2027 8 giờ tối", 20, 0),
        ("20/6/2027 8h chiều", 20, 0),
        ("20/6/2027 8:00 PM", 20, 0),
        ("20/6/2027 8pm", 20, 0),
        ("1 giờ trưa 20/6/2027", 13, 0),
        ("12 giờ trưa 20/6/2027", 12, 0),
        ("20/6/2027 17:00", 17, 0),
        ("20/6/2027 8.30", 8, 30),  # a dot between hours and minutes
        ("8.30 sáng 20/6/2027", 8, 30),
        ("20.6.2027 lúc 8.30", 8, 30),
        ("20/6/2027 8 GIỜ 30 CHIỀU", 20, 30),
        ("20/6/2027 8 gio 30 chieu", 20, 30),  # without diacritics
    ],
)
def test_times_as_people_type_them(typed: str, hour: int, minute: int) -> None:
    assert at(typed) == datetime(2027, 6, 20, hour, minute, tzinfo=TZ)


@pytest.mark.parametrize(
    "typed",
    [
        "2027-06-20 08:00",
        "08:00 ngày 20 tháng 6 năm 2027",
        "8 giờ ngày 20 tháng 6, 2027",
        "20/06/27 08:00",
        "20/6/2027 8h",
        "June 20, 2027 8:00 AM",  # English dates, month or day first
        "20 June 2027 at 8am",
        "8:00 on the 20th of June 2027",
        "Jun 20 2027 8h",
    ],
)
def test_dates_as_people_type_them(typed: str) -> None:
    assert at(typed) == datetime(2027, 6, 20, 8, 0, tzinfo=TZ)


def test_a_date_without_its_year_is_the_next_one() -> None:
    ahead = TODAY + timedelta(days=30)
    assert at(f"{ahead.day}/{ahead.month} 9h") == datetime(
        ahead.year, ahead.month, ahead.day, 9, tzinfo=TZ
    )
    behind = TODAY - timedelta(days=30)
    moment = at(f"{behind.day}/{behind.month} 9h")
    assert moment == datetime(behind.year + 1, behind.month, behind.day, 9, tzinfo=TZ)
    assert at(f"9h ngày {TODAY.day} tháng {TODAY.month}") == datetime(  # today is the next one
        TODAY.year, TODAY.month, TODAY.day, 9, tzinfo=TZ
    )
    assert at("9h June 20") == datetime(2027, 6, 20, 9, tzinfo=TZ)
    assert at("29/2 9h") is None  # 2027 has no 29 February
    assert at("máy 2 lúc 9h") is None  # «máy 2» is not "May 2"


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("1/3/2025", (1, 3, 2025)),
        ("dạ 01-03-2025 ạ", (1, 3, 2025)),
        ("ngày 1 tháng 3 năm 2025", (1, 3, 2025)),
        ("mùng 1 tháng 3 năm 2025.", (1, 3, 2025)),
        ("March 1, 2025", (1, 3, 2025)),
        ("on 1st of March 2025 please", (1, 3, 2025)),
        ("2025/03/01", (1, 3, 2025)),
        ("1/3", (1, 3, None)),
        ("1/3/2025 và 2/3/2025", None),  # not a date alone
        ("khoảng tháng 3", None),
        ("May 2025", None),
    ],
)
def test_a_date_typed_alone(typed: str, expected: tuple[int, int, int | None] | None) -> None:
    found = date_alone(typed)
    assert (None if found is None else (found.day, found.month, found.year)) == expected


@pytest.mark.parametrize(
    ("typed", "expected"),
    [  # TODAY is Sunday 22/11/2026
        ("8h sáng mai", datetime(2026, 11, 23, 8, 0)),
        ("sáng mai 8 giờ", datetime(2026, 11, 23, 8, 0)),
        ("mai 8h", datetime(2026, 11, 23, 8, 0)),
        ("chiều mai 2 giờ", datetime(2026, 11, 23, 14, 0)),  # the part of the day before
        ("2 giờ chiều mai", datetime(2026, 11, 23, 14, 0)),
        ("8 giờ tối nay", datetime(2026, 11, 22, 20, 0)),
        ("tối nay 8h", datetime(2026, 11, 22, 20, 0)),
        ("hôm nay 16:00", datetime(2026, 11, 22, 16, 0)),
        ("ngày kia 7h30", datetime(2026, 11, 24, 7, 30)),
        ("8h ngày mốt", datetime(2026, 11, 24, 8, 0)),
        ("14h thứ 6", datetime(2026, 11, 27, 14, 0)),
        ("thu sau 14h", datetime(2026, 11, 27, 14, 0)),
        ("thứ 7 lúc 10 giờ", datetime(2026, 11, 28, 10, 0)),
        ("9h thứ hai tuần sau", datetime(2026, 11, 23, 9, 0)),  # weeks start on Monday
        ("9h thứ 4 tuần tới", datetime(2026, 11, 25, 9, 0)),
        ("chủ nhật 8h", datetime(2026, 11, 22, 8, 0)),  # today's included
        ("chủ nhật tuần sau 8h", datetime(2026, 11, 29, 8, 0)),
        ("tomorrow 9am", datetime(2026, 11, 23, 9, 0)),
        ("next friday 3pm", datetime(2026, 11, 27, 15, 0)),
        ("sáng mai", None),  # the time is needed
        ("8h", None),  # and the day
        ("20/6/2027 8h mai", datetime(2027, 6, 20, 8, 0)),  # a written date wins
    ],
)
def test_a_day_named_relative_to_today(typed: str, expected: datetime | None) -> None:
    assert at(typed) == (None if expected is None else expected.replace(tzinfo=TZ))


@given(st.text(max_size=200))
def test_any_text_is_read_or_refused(text: str) -> None:
    moment = parse_datetime(text, TZ, TODAY)
    assert moment is None or moment.tzinfo is TZ
    found = date_alone(text)
    if found is not None:  # the same date as it would be written plainly
        year = "" if found.year is None else f"/{found.year:02d}"
        again = date_alone(f"{found.day}/{found.month}{year}")
        assert again is not None
        assert (again.day, again.month, again.year) == (found.day, found.month, found.year)
    plain = unaccent(text)
    somewhere = find_date(plain)
    if somewhere is not None:
        assert 0 <= somewhere.start < somewhere.end <= len(plain)
    parse_minutes(text)
    parse_count(text)


@given(st.dates(date(1990, 1, 1), date(2099, 12, 31)), st.integers(0, 23), st.integers(0, 59))
def test_every_moment_written_as_the_bot_shows_it_is_read_back(
    day: date, hour: int, minute: int
) -> None:
    shown = f"{day.day}/{day.month}/{day.year} {hour:02d}:{minute:02d}"
    assert at(shown) == datetime(day.year, day.month, day.day, hour, minute, tzinfo=TZ)
    assert at(f"{hour}h{minute:02d} ngày {day.day} tháng {day.month} năm {day.year}") == (
        datetime(day.year, day.month, day.day, hour, minute, tzinfo=TZ)
    )
