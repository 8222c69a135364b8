"""Property tests (hypothesis) for the initiative form: the date and share parsers, and every
step of the form engine under any input (it answers with the next draft or a known InvalidInput,
never anything else, and a refused input changes nothing)."""

from __future__ import annotations

import copy
import itertools
from datetime import date, timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.domain import initiative as engine
from bot.domain.initiative import Input, load_form, parse_date, parse_past_date, parse_shares
from bot.domain.profile import InvalidInput
from bot.i18n import Translator

FORM = load_form()
TODAY = date(2026, 11, 21)
CATALOG = Translator.load()
CATALOG.strict = True  # a missing message raises


@given(st.dates(min_value=date(1900, 1, 1), max_value=date(2099, 12, 31)), st.sampled_from("/-."))
def test_dates_in_every_accepted_shape(day: date, sep: str) -> None:
    for text in (
        f"{day.day}{sep}{day.month}{sep}{day.year}",
        f"{day.day:02d}{sep}{day.month:02d}{sep}{day.year}",
        f" {day.day} {sep} {day.month}{sep}{day.year} ",
    ):
        assert parse_date(text, TODAY) == day


@given(st.dates(min_value=date(1946, 1, 1), max_value=date(2099, 12, 31)))
def test_never_a_future_date(day: date) -> None:
    text = f"{day.day}/{day.month}/{day.year}"
    if day > TODAY:
        with pytest.raises(InvalidInput) as exc:
            parse_past_date(text, TODAY)
        assert exc.value.code == "date_future"
    else:
        assert parse_past_date(text, TODAY) == day


@given(st.text(max_size=40))
def test_date_parser_answers_or_refuses(text: str) -> None:
    try:
        parsed = parse_date(text, TODAY)
    except InvalidInput as exc:
        assert exc.code in {"date_format", "date_invalid"}
    else:
        assert isinstance(parsed, date)


@given(st.lists(st.integers(min_value=1, max_value=100), min_size=1, max_size=10), st.data())
def test_shares_that_add_up_are_accepted_in_any_separator(values: list[int], data: Any) -> None:
    sep = data.draw(st.sampled_from([" ", ", ", ",", "; ", "% ", "%, ", "-", "/", " và ", " va "]))
    text = sep.join(str(v) for v in values)
    try:
        parsed = parse_shares(text, len(values))
    except InvalidInput as exc:
        assert sum(values) != 100
        assert exc.code == "shares_sum"
    else:
        assert sum(values) == 100 and parsed == [float(v) for v in values]


@given(st.dates(min_value=date(1900, 1, 1), max_value=date(2099, 12, 31)))
def test_dates_in_words_iso_and_with_politeness(day: date) -> None:
    for text in (
        f"ngày {day.day} tháng {day.month} năm {day.year}",
        f"{day.day} thang {day.month} nam {day.year}",
        f"{day.year}-{day.month:02d}-{day.day:02d}",
        f"dạ {day.day}/{day.month}/{day.year} ạ",
        f"Ngày {day.day:02d}/{day.month:02d}/{day.year}",
    ):
        assert parse_date(text, TODAY) == day, text


def test_dates_said_in_words_and_month_first() -> None:
    assert parse_date("hôm qua", TODAY) == TODAY - timedelta(days=1)
    assert parse_date("dạ hôm nay ạ", TODAY) == parse_date("today", TODAY) == TODAY
    with pytest.raises(InvalidInput) as exc:
        parse_date("03/25/2025", TODAY)  # month first, as in the US: the hint says how
    assert (exc.value.code, exc.value.params) == ("date_day_first", {"example": "25/3/2025"})


@given(
    st.lists(st.integers(min_value=1, max_value=9999), min_size=1, max_size=4, unique=True),
    st.sampled_from([" ", "; ", "% ", " và "]),
)
def test_shares_with_a_decimal_comma(cuts: list[int], sep: str) -> None:
    """«60,5 39,5»: a decimal comma, whatever separates the shares."""
    bounds = [0, *sorted(cuts), 10000]
    hundredths = [high - low for low, high in itertools.pairwise(bounds)]
    texts = [f"{h // 100},{h % 100:02d}".removesuffix(",00") for h in hundredths]
    parsed = parse_shares(sep.join(texts), len(hundredths))
    assert [round(p * 100) for p in parsed] == hundredths


@pytest.mark.parametrize(
    "text", ["dạ 60 40 ạ", "60 - 40", "60%/40%", "60,40", "60 & 40", "lần lượt là 60 và 40"]
)
def test_shares_typed_with_words_and_dashes(text: str) -> None:
    assert parse_shares(text, 2) == [60.0, 40.0]


def test_a_negative_share_is_refused_not_read_as_a_dash() -> None:
    with pytest.raises(InvalidInput) as exc:
        parse_shares("120 -20", 2)
    assert exc.value.code == "shares_number"


@pytest.mark.parametrize(
    ("item", "text", "empty"),
    [
        *(("investor", t, True) for t in ("bỏ qua", "n/a", "không có chủ đầu tư", "chưa có ạ")),
        *(("investor", t, True) for t in ("nope", "not applicable", "skip please", "no investor")),
        ("investor", "tiếp tục", True),
        *(("benefit_others", t, True) for t in ("not yet", "None so far", "No, not yet")),
        ("confidential", "Nothing confidential", True),
        ("investor", "Nothing Else Matters Co", False),
        ("confidential", "không có thông tin cần bảo mật", True),
        ("benefit_others", "không có ý kiến", True),
        # Answers that only start like "none": kept as typed.
        *(("investor", t, False) for t in ("Công ty TNHH ABC", "Không Gian Xanh", "No Limits")),
        ("confidential", "Không chia sẻ mật khẩu quản trị", False),
        ("benefit_others", "Không tốn giấy in", False),
        ("benefit_others", "No more paper forms", False),
    ],
)
def test_what_leaves_an_optional_item_empty(item: str, text: str, empty: bool) -> None:
    assert engine.means_none(text, engine.item_words(FORM.field(item))) is empty


@pytest.mark.parametrize("text", ["Bình 40, Lan 60", "anh Bình 30%, chị Lan 70%", "60 (Lan), 40"])
def test_shares_naming_people_are_refused_not_taken_in_order(text: str) -> None:
    with pytest.raises(InvalidInput) as exc:
        parse_shares(text, 2)
    assert exc.value.code == "shares_order"


@pytest.mark.parametrize(
    "text",
    ["tác giả 1: 60, tác giả 2: 40", "tác giả 2: 40, tác giả 1: 60", "author 1: 60, author 2: 40"],
)
def test_shares_by_author_number_in_any_order(text: str) -> None:
    assert parse_shares(text, 2) == [60.0, 40.0]


@pytest.mark.parametrize(
    "text",
    ["1/3/2025.", "mùng 1 tháng 3 năm 2025", "2025/03/01", "March 1, 2025", "1 March 2025"],
)
def test_more_date_shapes(text: str) -> None:
    assert parse_date(text + " please" if "March" in text else text, TODAY) == date(2025, 3, 1)


@pytest.mark.parametrize("text", ["không", "dạ 2 ạ", "vâng", "đồng ý", ".", "ok ạ", "bỏ qua"])
def test_a_comment_that_says_nothing(text: str) -> None:
    assert engine.no_comment(text)
    assert not engine.no_comment("Chưa đủ căn cứ")


@given(st.text(max_size=60), st.integers(min_value=1, max_value=5))
def test_shares_parser_answers_or_refuses(text: str, count: int) -> None:
    try:
        parsed = parse_shares(text, count)
    except InvalidInput as exc:
        codes = {"shares_number", "shares_order", "shares_count", "shares_range", "shares_sum"}
        assert exc.code in codes
    else:
        assert len(parsed) == count and abs(sum(parsed) - 100) < 0.001


# --- the engine under any input at every state ---------------------------------------------------


def _complete_draft() -> dict[str, Any]:
    """A draft at the review, built by the engine itself."""
    draft = engine.new_draft(
        {"full_name": "Nguyễn Thị Lan", "unit": "Văn phòng Sở", "position": "CV"}
    )
    script: list[Input] = [
        Input("option", option="c:0"),
        Input("text", text="1/1/1980"),
        Input("text", text="Kỹ sư"),
        Input("option", option="done"),
        Input("text", text="Tên sáng kiến"),
        Input("option", option="c:0"),
        Input("option", option="c:0"),
        Input("option", option="skip"),
        Input("option", option="no"),
        Input("text", text="Hành chính"),
        Input("text", text="Chậm"),
        Input("text", text="1/1/2025"),
        Input("text", text="Mô tả đủ dài cho phần mô tả bản chất của sáng kiến."),
        Input("option", option="done"),
        Input("option", option="skip"),
        Input("text", text="Máy tính"),
        Input("text", text="Nhanh hơn"),
        Input("option", option="skip"),
        Input("option", option="done"),
    ]
    for given_input in script:
        state = engine.next_state(FORM, draft)
        draft = engine.apply(FORM, draft, state, given_input, TODAY).draft
    assert engine.next_state(FORM, draft) == engine.REVIEW
    return draft


COMPLETE = _complete_draft()
ERROR_CODES = {
    "date_format",
    "date_invalid",
    "date_future",
    "birth_date_range",
    "text_short_min",
    "text_no_words",
    "too_long",
    "name_short",
    "name_chars",
    "shares_number",
    "shares_count",
    "shares_range",
    "shares_sum",
    "stale_choice",
    "choose_button",
    "file_not_here",
    "long_empty",
    "long_short",
    "long_files_only",
    "long_too_long",
    "long_too_many",
    "files_too_many",
    "file_too_large",
    "file_duplicate",
    "expect_text",
    "expect_text_or_file",
    "required",
    "option_range",
    "choice_none",
    "shares_order",
    "not_an_answer",
    "number_only",
}


def _drafts_at_every_state() -> list[dict[str, Any]]:
    """One draft per reachable state: walk the complete draft's edits plus a fresh draft."""
    drafts = [engine.new_draft({"full_name": "Lan"})]
    for option in engine.options(FORM, COMPLETE, engine.REVIEW):
        if option.value.startswith("edit:"):
            out = engine.apply(
                FORM, COMPLETE, engine.REVIEW, Input("option", option=option.value), TODAY
            )
            drafts.append(out.draft)
    drafts.append({**copy.deepcopy(COMPLETE), "committing": True})
    drafts.append(copy.deepcopy(COMPLETE))
    return drafts


DRAFTS = _drafts_at_every_state()

inputs = st.one_of(
    st.builds(Input, kind=st.just("text"), text=st.text(max_size=400)),
    st.builds(
        Input,
        kind=st.just("option"),
        option=st.sampled_from(["done", "skip", "add", "rm:0", "rm:5", "c:0", "c:99", "yes", "x"]),
    ),
    st.builds(
        Input,
        kind=st.just("file"),
        file=st.builds(
            engine.Attachment,
            file_id=st.text(min_size=1, max_size=10),
            name=st.text(min_size=1, max_size=20),
            size=st.integers(min_value=0, max_value=10**9),
        ),
    ),
)


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(range(len(DRAFTS))), inputs)
def test_every_step_answers_or_refuses_and_refusal_changes_nothing(
    index: int, given_input: Input
) -> None:
    draft = DRAFTS[index]
    before = copy.deepcopy(draft)
    state = engine.next_state(FORM, draft)
    try:
        out = engine.apply(FORM, draft, state, given_input, TODAY)
    except InvalidInput as exc:
        assert exc.code in ERROR_CODES, exc.code
    else:
        assert engine.next_state(FORM, out.draft) in FORM.states()
        if state not in (engine.REVIEW, engine.COMMIT) and given_input.kind == "text":
            # an accepted text answer is stored clean and within the field's limit
            assert len(str(out.draft)) < len(str(draft)) + 2 * len(given_input.text) + 200
    assert draft == before  # apply never mutates its argument


def test_every_form_key_is_in_the_catalogs() -> None:
    for key in engine.message_keys(FORM):
        for locale in ("vi", "en"):
            assert CATALOG(locale, key, **_params(key)), key


def _params(key: str) -> dict[str, object]:
    return {
        "n": 1,
        "people": "",
        "commitment": "",
        "name": "",
        "count": 1,
        "chars": 1,
        "limit": 1,
        "value": "",
    }


def test_dates_relative_to_today() -> None:
    yesterday = TODAY - timedelta(days=1)
    assert (
        parse_past_date(f"{yesterday.day}/{yesterday.month}/{yesterday.year}", TODAY) == yesterday
    )


JSON_DATA = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda inner: st.lists(inner, max_size=5) | st.dictionaries(st.text(), inner, max_size=5),
    max_leaves=30,
)


@given(JSON_DATA)
def test_json_copy_is_a_deep_copy(value: Any) -> None:
    copied = engine.json_copy(value)
    assert copied == copy.deepcopy(value)
    containers = [copied]
    originals = [value]
    while containers:  # no container is shared between the copy and the original
        mine, theirs = containers.pop(), originals.pop()
        if isinstance(mine, (dict, list)):
            assert mine is not theirs
            items = mine.values() if isinstance(mine, dict) else mine
            others = theirs.values() if isinstance(theirs, dict) else theirs
            for a, b in zip(items, others, strict=True):
                containers.append(a)
                originals.append(b)
