"""Property tests (hypothesis) for the text helpers, the profile parsers, typed choices and every
step of the onboarding conversation.

The regression tests at the end pin the inputs these properties once found (non-decimal digits,
C1 controls, casing that changes length, non-ASCII phone digits).
"""

from __future__ import annotations

import itertools
import re
import string
import unicodedata
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st

from bot.domain.choices import (
    Choice,
    match_choice,
    plain_answer,
    starting_with,
    typed_number,
    without_edit_verb,
)
from bot.domain.profile import (
    NAME_MAX,
    POSITION_MAX,
    UNIT_MAX,
    InvalidInput,
    bare_name,
    parse_full_name,
    parse_phone,
    parse_position,
    parse_unit,
)
from bot.domain.text import STOP_WORDS, clean, fold, shorten
from bot.domain.units import load_units
from bot.kb.search import Lexicon
from bot.services.knowledge import faq_core
from bot.tg.stub_api import StubUser
from tests.harness import Harness

# --- strategies ------------------------------------------------------------------------------

TONES = ("", "\u0300", "\u0301", "\u0309", "\u0303", "\u0323")  # huyền sắc hỏi ngã nặng
VI_VOWELS = "aăâeêioôơuưy"
VI_LOWER = sorted(
    {unicodedata.normalize("NFC", v + tone) for v in VI_VOWELS for tone in TONES}
    | set("bcdđghklmnpqrstvx")
)
VI_LETTERS = "".join(VI_LOWER) + "".join(ch.upper() for ch in VI_LOWER)

# Code points people rarely type but the bot may still receive: controls (C0, C1), format
# characters, combining marks, odd digits and spaces, emoji.
AWKWARD = (
    "\x00\x07\x08\t\n\r\x0b\x0c\x1b\x1f\x7f\x80\x85\x9f\xa0\u00ad\u0301\u0323\u200b\u200d"
    "\u2028\u202e\u3000\ufeff\ufffd²①٣０߀🙂👍🏽👨‍👩‍👧🇻🇳"
)


def messy_text(max_size: int = 5000) -> st.SearchStrategy[str]:
    """Arbitrary text with extra weight on controls, marks, emoji and Vietnamese letters."""
    return st.one_of(
        st.text(max_size=max_size),
        st.text(st.sampled_from(AWKWARD + VI_LETTERS + " .-'"), max_size=200),
        st.text(st.characters(categories=["Cc", "Cf", "Zs", "Mn", "So"]), max_size=50),
        st.text(st.sampled_from(VI_LETTERS + " "), min_size=max_size // 2, max_size=max_size),
    )


# --- fold and clean --------------------------------------------------------------------------


@given(messy_text())
@example("Đường Hoà Thuý")
@example("İstanbul ǅemal ß ﬀ ŉ")
def test_fold_is_idempotent_and_plain(text: str) -> None:
    folded = fold(text)
    assert fold(folded) == folded
    assert not any(unicodedata.category(ch).startswith("M") for ch in folded)
    assert not any(unicodedata.combining(ch) for ch in folded)
    assert "đ" not in folded
    assert "Đ" not in folded
    assert folded.lower() == folded  # nothing left with a lower-case form
    assert "  " not in folded
    assert folded == folded.strip()


@given(messy_text())
def test_fold_ignores_normal_form(text: str) -> None:
    nfc = unicodedata.normalize("NFC", text)
    nfd = unicodedata.normalize("NFD", text)
    assert fold(nfc) == fold(nfd) == fold(text)


def _fold_by_definition(text: str) -> str:
    """What fold means, one character at a time (fold itself takes faster paths)."""
    text = unicodedata.normalize("NFD", clean(text).replace("đ", "d").replace("Đ", "D").casefold())
    text = unicodedata.normalize("NFC", "".join(c for c in text if not unicodedata.combining(c)))
    return " ".join("".join(c if c.isalnum() else " " for c in text).split())


@given(messy_text())
@example("a_b __init__ x\u0301 ǅ ﬁ Ⅻ ² ١٢ e\u0338 ß İ ẞ")
@example("Kỹ thuật 🙂 ủy")  # an emoji: the general path
def test_fold_is_its_definition(text: str) -> None:
    assert fold(text) == _fold_by_definition(text)
    assert fold(text + " " * 200) == fold(text)  # a long text (not remembered) too


def test_fold_examples() -> None:
    assert fold("Đường Hoà Thuý") == fold("duong hoa thuy") == "duong hoa thuy"
    assert fold("Hội nghị  Đại biểu!") == "hoi nghi dai bieu"
    assert fold("  ") == ""


@pytest.mark.parametrize(
    ("old", "new"),
    [("hoà", "hòa"), ("thuý", "thúy"), ("Hoà Bình", "Hòa Bình"), ("khoẻ", "khỏe"), ("Uỷ", "Ủy")],
)
def test_fold_old_and_new_tone_placement(old: str, new: str) -> None:
    assert fold(old) == fold(new)
    for a in (old, new):
        for form in ("NFC", "NFD"):
            assert fold(unicodedata.normalize(form, a)) == fold(new)


@given(st.text(st.sampled_from(VI_LETTERS + " "), max_size=60))
def test_fold_matches_plain_ascii_for_vietnamese(text: str) -> None:
    plain = "".join(
        ch
        for ch in unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
        if not unicodedata.combining(ch)
    )
    assert fold(text) == " ".join(plain.lower().split())
    assert fold(text).isascii()


@given(messy_text())
def test_clean_is_idempotent_nfc_without_controls(text: str) -> None:
    cleaned = clean(text)
    assert clean(cleaned) == cleaned
    assert unicodedata.is_normalized("NFC", cleaned)
    assert not any(unicodedata.category(ch) == "Cc" for ch in cleaned)
    assert "  " not in cleaned
    assert cleaned == cleaned.strip()


@given(st.text(st.sampled_from(VI_LETTERS + " ,;:-"), max_size=120), st.integers(1, 100))
def test_shorten_keeps_within_the_limit_and_cuts_between_words(text: str, limit: int) -> None:
    short = shorten(text, limit)
    assert len(short) <= limit
    if len(text) <= limit:
        assert short == text
        return
    assert short.endswith("…")
    kept = short[:-1]
    assert text.startswith(kept)
    # Between words (or before punctuation), unless no space lies in the second half of
    # what could be kept: one long word is cut inside.
    after = text[len(kept)]
    assert after.isspace() or after in ",;:-–" or " " not in text[limit // 2 + 1 : limit - 1]


def test_shorten_examples() -> None:
    group = "Đại diện lãnh đạo, công chức tham mưu về thi đua khen thưởng của các đơn vị thuộc Khối"
    assert shorten(group, 40) == "Đại diện lãnh đạo, công chức tham mưu…"
    assert shorten(group, 20) == "Đại diện lãnh đạo…"  # the comma before the cut dropped
    assert shorten("Hội nghị", 8) == "Hội nghị"
    assert shorten("Hội nghị tổng kết", 9) == "Hội nghị…"  # a space right after the cut
    assert shorten("Tuyênbốlýdo", 6) == "Tuyên…"  # one long word: cut inside it
    assert shorten("xy", 1) == "…"


# --- parsers ---------------------------------------------------------------------------------

Parser = Callable[[str], str]
PARSERS: list[tuple[Parser, int]] = [
    (parse_full_name, NAME_MAX),
    (parse_position, POSITION_MAX),
    (parse_unit, UNIT_MAX),
    (parse_phone, 11),
]


@pytest.mark.parametrize(("parser", "limit"), PARSERS, ids=[p.__name__ for p, _ in PARSERS])
@given(text=messy_text())
@example(text="")
@example(text="   ")
@example(text="nguyễn thị lan")
@example(text="NGUYỄN VĂN AN")
@example(text="Chuyên viên")
@example(text="0912 345 678")
@example(text="a" * 5000)
@settings(max_examples=150)
def test_parser_returns_bounded_value_or_invalid_input(
    parser: Parser, limit: int, text: str
) -> None:
    try:
        value = parser(text)
    except InvalidInput as exc:
        codes = {"name_short", "name_chars", "too_long", "text_short", "phone", "not_an_answer"}
        assert exc.code in codes
        return
    assert isinstance(value, str)
    assert 0 < len(value) <= limit
    assert value == clean(value)
    assert parser(value) == value
    if parser is parse_phone:
        assert re.fullmatch(r"0[0-9]{9,10}", value, flags=re.ASCII)


MOBILE_PREFIXES = ("03", "05", "07", "08", "09")


@given(
    prefix=st.sampled_from(MOBILE_PREFIXES),
    rest=st.text(string.digits, min_size=8, max_size=8),
    style=st.sampled_from(["plain", "spaces", "dots", "plus84", "84spaces", "dashes"]),
)
def test_parse_phone_accepts_vietnamese_formats(prefix: str, rest: str, style: str) -> None:
    local = prefix + rest  # 10 digits, 0xxxxxxxxx
    formatted = {
        "plain": local,
        "spaces": f"{local[:4]} {local[4:7]} {local[7:]}",
        "dots": f"{local[:4]}.{local[4:7]}.{local[7:]}",
        "plus84": "+84" + local[1:],
        "84spaces": f"84 {local[1:4]} {local[4:7]} {local[7:]}",
        "dashes": f"{local[:4]}-{local[4:7]}-{local[7:]}",
    }[style]
    assert parse_phone(formatted) == local
    assert parse_phone(f"  {formatted}  ") == local


@pytest.mark.parametrize(
    "text", ["0912345678", "0912 345 678", "0912.345.678", "+84912345678", "84 912 345 678"]
)
def test_parse_phone_examples(text: str) -> None:
    assert parse_phone(text) == "0912345678"


@pytest.mark.parametrize("text", ["12345", "091234567", "+1 912 345 678", "abc", "09123456789012"])
def test_parse_phone_rejects(text: str) -> None:
    with pytest.raises(InvalidInput):
        parse_phone(text)


# --- match_choice ----------------------------------------------------------------------------

_LABEL = st.text(min_size=1, max_size=30)
_VI_LABEL = st.text(st.sampled_from(VI_LETTERS + " -,()"), min_size=1, max_size=40)


def _choices(labels: list[str]) -> list[Choice]:
    return [Choice(f"v{i}", (label,)) for i, label in enumerate(labels, 1)]


def _strip_marks(text: str) -> str:
    text = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    return "".join(ch for ch in text if not unicodedata.combining(ch))


@given(st.lists(_LABEL, min_size=1, max_size=20, unique=True), st.data())
def test_match_choice_number_picks_that_choice(labels: list[str], data: st.DataObject) -> None:
    choices = _choices(labels)
    index = data.draw(st.integers(1, len(labels)))
    typed = data.draw(st.sampled_from([str(index), f"{index}.", f"({index})", f" {index} "]))
    assert match_choice(typed, choices) == f"v{index}"


def _usable(labels: list[str]) -> bool:
    keys = [fold(label) for label in labels]
    return all(k and not k.isdigit() for k in keys) and len(set(keys)) == len(keys)


@given(st.lists(_LABEL, min_size=1, max_size=20, unique=True), st.data())
def test_match_choice_exact_label(labels: list[str], data: st.DataObject) -> None:
    assume(_usable(labels))
    index = data.draw(st.integers(0, len(labels) - 1))
    assert match_choice(labels[index], _choices(labels)) == f"v{index + 1}"


def _check_label(labels: list[str], index: int) -> None:
    choices = _choices(labels)
    label = labels[index]
    nfd = unicodedata.normalize("NFD", label)
    for typed in (label, label.upper(), label.lower(), label.swapcase(), _strip_marks(label), nfd):
        assert match_choice(typed, choices) == f"v{index + 1}", typed


@given(st.lists(_VI_LABEL, min_size=1, max_size=20, unique=True), st.data())
def test_match_choice_label_any_case_and_diacritics(labels: list[str], data: st.DataObject) -> None:
    assume(_usable(labels))
    _check_label(labels, data.draw(st.integers(0, len(labels) - 1)))


def test_match_choice_a_shown_label_wins_over_another_choices_id() -> None:
    """Events listed by title, typed by title or id: the title "Hội nghị 2025" picks its
    event even though another event's id is "hoi-nghi-2025"."""
    choices = [
        Choice("hoi-nghi-2025", ("Hội nghị tuyên dương 2026", "hoi-nghi-2025")),
        Choice("hn-b", ("Hội nghị 2025", "hn-b")),
    ]
    assert match_choice("Hội nghị 2025", choices) == "hn-b"
    assert match_choice("hoi nghi 2025", choices) == "hn-b"  # the title, without accents
    assert match_choice("hoi-nghi-2025", choices) == "hoi-nghi-2025"  # the id, as written
    assert match_choice("HN-B", choices) == "hn-b"
    assert match_choice("Hội nghị tuyên dương 2026", choices) == "hoi-nghi-2025"


def test_match_choice_a_negation_never_picks_the_positive_label() -> None:
    recognise = Choice("yes", ("Công nhận",), ("cong nhan",))
    refuse = Choice("no", ("Không công nhận",))
    erase = Choice("erase", ("Xóa dữ liệu của tôi",), ("xoa", "dong y"))
    choices = [recognise, refuse, erase]
    for typed in ("k công nhận", "ko cong nhan", "không công nhận ạ", "khg cong nhan"):
        assert match_choice(typed, choices) == "no", typed
    for typed in ("đừng xóa dữ liệu của tôi", "k đồng ý", "chưa xóa", "don't erase", "not xoa"):
        assert match_choice(typed, choices) is None, typed
    assert match_choice("cong nhn", choices) == "yes"  # a typo is still forgiven
    assert match_choice("xóa dữ liệu", choices) == "erase"


@given(st.sampled_from(("k", "ko", "không", "đừng", "chưa")), st.lists(_VI_LABEL, min_size=1))
def test_match_choice_a_negated_label_is_never_that_label(word: str, labels: list[str]) -> None:
    """Any label (without a negation of its own) with "k"/"đừng"/"chưa" before it does not
    pick that label."""
    assume(_usable(labels))
    choices = _choices(labels)
    for index, label in enumerate(labels):
        if {"khong", "dung", "chua", "k", "ko"} & set(fold(label).split()):
            continue
        assert match_choice(f"{word} {label}", choices) != f"v{index + 1}", label


_SYLLABLES = ("phong", "van", "hoa", "khoa", "hoc", "tinh", "hung", "yen", "thi", "dua", "so")


@given(
    st.lists(st.sampled_from(_SYLLABLES), min_size=3, max_size=9),
    st.lists(st.booleans(), min_size=9, max_size=9),
)
def test_match_choice_words_of_a_label_in_its_order(words: list[str], kept: list[bool]) -> None:
    """Three words or more of a label, in its order, with others left out between them, pick
    it; the same words out of order («hoc khoa») do not, unless fuzzily."""
    typed = [word for word, keep in zip(words, kept, strict=False) if keep]
    assume(len(typed) >= 3)
    label = " ".join(words).capitalize()
    assert match_choice(" ".join(typed), [Choice("v1", (label,))]) == "v1"
    # A second label with the same words farther apart never takes it from the first.
    farther = " ".join(w for word in words for w in (word, "va"))
    choices = [Choice("v2", (farther,)), Choice("v1", (label,))]
    assert match_choice(" ".join(typed), choices) in ("v1", None)


def test_match_choice_unit_labels() -> None:
    labels = list(load_units())
    assert _usable(labels)
    for index in range(len(labels)):
        _check_label(labels, index)


def test_match_choice_words_from_inside_one_long_label() -> None:
    campaigns = [
        Choice("0", ["Phát huy sáng kiến, cải tiến kỹ thuật, giải pháp hữu ích góp phần"]),
        Choice("2", ["Hưng Yên đẩy mạnh thực hiện Đề án chuyển đổi số giai đoạn 2021-2025"]),
        Choice("3", ["Cán bộ, công chức, viên chức thi đua thực hiện văn hóa công sở"]),
        Choice("4", ["Đẩy mạnh cải cách hành chính nhà nước tỉnh Hưng Yên, giai đoạn 2022-2025"]),
    ]
    assert match_choice("chuyen doi so", campaigns) == "2"
    assert match_choice("cải cách hành chính", campaigns) == "4"
    assert match_choice("van hoa cong so", campaigns) == "3"
    assert match_choice("giai đoạn", campaigns) is None  # in two labels
    assert match_choice("thực hiện", campaigns) is None
    assert match_choice("so", campaigns) is None  # one word: never from inside
    short = [Choice("a", ["Hội nghị của tôi"]), Choice("b", ["Hồ sơ"])]
    assert match_choice("nghi cua", short) is None  # short labels: two words never from inside
    events = [
        Choice("hn", ["Hội nghị tuyên dương điển hình"]),
        Choice("th", ["Tập huấn chuyển đổi số"]),
    ]
    assert match_choice("chuyen doi so", events) == "th"  # three words: from inside any label
    assert match_choice("tuyen duong dien hinh", events) == "hn"
    assert match_choice("chuyen doi", events) is None
    answers = [Choice("y", ["Có, tôi sẽ tham dự"]), Choice("n", ["Không, tôi không thể tham dự"])]
    assert match_choice("tôi sẽ tham dự", answers) == "y"
    assert match_choice("không thể tham dự", answers) == "n"
    # The words of one label in its order, others left out (qa19): «tôi tham dự» is the yes;
    # a negation only ever picks the label that has it.
    assert match_choice("tôi tham dự", answers) == "y"
    assert match_choice("tôi không tham dự", answers) == "n"


@given(
    st.integers(min_value=0, max_value=999),
    st.sampled_from(["", "dạ ", "số ", "mục ", "chọn ", "option "]),
    st.sampled_from(["", " ạ", " nhé", " please", "."]),
)
def test_typed_number_with_words_around_it(number: int, before: str, after: str) -> None:
    assert typed_number(f"{before}{number}{after}") == number


@pytest.mark.parametrize("text", ["2 người", "năm 2", "số điện thoại", "", "²", "٣", "2.5", "no 1"])
def test_typed_number_is_none_for_other_text(text: str) -> None:
    assert typed_number(text) is None


@pytest.mark.parametrize(
    ("text", "plain"),
    [("dạ có ạ", "co"), ("có nhé", "co"), ("ko", "khong"), ("vâng ạ", "vang"), ("Có", "co")],
)
def test_plain_answer_drops_the_politeness(text: str, plain: str) -> None:
    assert plain_answer(text) == plain


@pytest.mark.parametrize(
    ("text", "rest"),
    [
        ("sửa tác giả", "tac gia"),
        ("sửa mục 4", "4"),
        ("đổi lại tên", "ten"),
        ("edit the title", "title"),
        ("change my unit", "unit"),
        ("tác giả", None),
        ("sửa", None),
    ],
)
def test_without_edit_verb(text: str, rest: str | None) -> None:
    assert without_edit_verb(text) == rest


def test_a_negated_label_is_never_picked_fuzzily_by_a_text_without_negation() -> None:
    choices = [Choice("y", ["I will attend"]), Choice("n", ["I can't come"])]
    assert match_choice("can come", choices) is None
    assert match_choice("I can't come", choices) == "n"
    assert match_choice("i cant come", choices) == "n"
    assert match_choice("khog di duoc", [Choice("n", ["Không đi được"])]) == "n"  # a typo


@pytest.mark.parametrize("name", ["Ks Smith", "Bs Jones", "Ds Lee"])
def test_a_two_word_name_is_never_a_title_and_a_name(name: str) -> None:
    assert parse_full_name(name) == name
    assert bare_name(name) == name  # and never looked up as «Smith»


VI_NAME_WORDS = ("Nguyễn", "Lê", "Văn", "Thị", "Minh", "Hoa", "Đức", "Ánh", "Phạm", "Thuỳ")


@given(
    st.lists(st.sampled_from(("KS.", "TS.", "PGS.TS.", "ThS.", "BS.", "ks", "Ts.")), max_size=2),
    st.lists(st.sampled_from(VI_NAME_WORDS), min_size=2, max_size=4),
)
def test_a_name_is_looked_up_without_its_titles(titles: list[str], words: list[str]) -> None:
    """What /grant compares: the registered name and the typed one, each without titles."""
    name = " ".join(words)
    registered = parse_full_name(" ".join([*titles, name]))
    assert bare_name(registered) == name
    assert bare_name(bare_name(registered)) == name


def test_an_item_named_as_people_ask_to_change_it() -> None:
    from handlers.common import pick

    unit = Choice("unit", ["Đơn vị"], ("don vi", "unit"))
    group = Choice("group", ["Thành phần"], ("nhom", "group"))
    for typed in (
        "sửa đơn vị",
        "đổi lại đơn vị",
        "thay đổi đơn vị",
        "change unit",
        "change my unit",
        "Edit the unit",
    ):
        assert pick(typed, [group, unit]) == "unit", typed
    assert pick("group", [group, unit]) == "group"


@given(messy_text(300), st.lists(_LABEL, min_size=0, max_size=20))
@example("²", ["a", "b"])
@example("", [])
def test_match_choice_never_raises(text: str, labels: list[str]) -> None:
    result = match_choice(text, _choices(labels))
    assert result is None or result in {f"v{i}" for i in range(1, len(labels) + 1)}


_LEXICON = Lexicon.load()


@given(messy_text(300))
@example("ở đâu")
@example("hội nghị đại biểu")
@example("bạn bạn ban bot")
def test_faq_core_never_raises_and_holds_no_setting_word(text: str) -> None:
    """Any question reduces to content words (none of them a function word or one of the
    setting's one-word phrases), and a question with none matches no entry by its core."""
    core, asks = faq_core(_LEXICON, text)
    assert asks is None or isinstance(asks, str)
    single = {p for p in _LEXICON.faq_context if " " not in p}
    assert not core & (_LEXICON.stopwords | single)
    assert all(word and " " not in word for word in core)


# --- the onboarding conversation -------------------------------------------------------------

BOT_USERNAME = "thidua_local_bot"
NAME = "Nguyễn Văn An"
FIELDS = ("full_name", "unit", "position", "phone")
NEXT = {
    "consent": {"consent", "full_name"},
    "full_name": {"full_name", "unit"},
    "unit": {"unit", "position"},
    "position": {"position", "phone"},
    "phone": {"phone", "confirm"},
    "confirm": {"confirm", *FIELDS},
}
_user_ids = itertools.count(20_000_000)

COMMANDS = [
    "/cancel",
    "/CANCEL",
    f"/cancel@{BOT_USERNAME}",
    "/cancel@other_bot",
    "/cancel now",
    "/start",
    "/start profile",
    "/start x" * 20,
    "/profile",
    "/help",
    "/menu",
    "/language",
    "/language en",
    "/language xx",
    "/forget_me",
    "/grant 1",
    "/",
    "/ ",
    "//",
    "/@",
    "/cancel@",
]
TYPED = [
    "1",
    "2",
    "0",
    "99",
    "-1",
    "1.",
    "(2)",
    "Đồng ý",
    "không",
    "không đồng ý",
    "ok",
    "bỏ qua",
    "Bỏ qua",
    "-",
    "xác nhận",
    "sửa họ và tên",
    "Sửa số điện thoại",
    "Văn phòng Sở",
    "van phong so",
    "Nguyễn Thị Lan",
    "12345",
    "0912 345 678",
    "+84 912 345 678",
    "Hồ sơ của tôi",
    "<b>x</b> & <i>",
    "a" * 4096,
    "🙂" * 100,
]


def message_text() -> st.SearchStrategy[str]:
    return st.one_of(
        st.sampled_from(COMMANDS + TYPED),
        st.text(max_size=50).map(lambda s: "/" + s),
        messy_text(),
    ).filter(lambda s: s != "")  # Telegram never delivers an empty text message


def is_cancel(text: str) -> bool:
    """Whether PTB's ``CommandHandler("cancel")`` takes ``text`` (entity = first word)."""
    if not text.startswith("/"):
        return False
    parts = text.split(maxsplit=1)[0][1:].split("@")
    return parts[0].lower() == "cancel" and (len(parts) == 1 or parts[1].lower() == BOT_USERNAME)


STEPS = list(NEXT)  # consent, full_name, unit, position, phone, confirm
LEAVE = {"full_name": NAME, "unit": "1", "position": "Chuyên viên", "phone": "bỏ qua"}


async def reach(bot: Harness, step: str) -> StubUser:
    """A new person, brought to ``step`` of onboarding."""
    user = StubUser(next(_user_ids), first_name="Người dùng", language_code="vi")
    await bot.say(user, "/start")
    if step != "consent":
        await bot.press(user, "pf:yes")
    for current in STEPS[1 : STEPS.index(step)]:
        await bot.say(user, LEAVE[current])
    assert await bot.state(user, "profile") == step
    return user


def generic_errors(bot: Harness) -> set[str]:
    return {bot.t("error.generic", "vi"), bot.t("error.generic", "en")}


async def check_step(bot: Harness, step: str, text: str) -> None:
    user = await reach(bot, step)
    mark = bot.mark()
    await bot.say(user, text)
    replies = bot.texts_since(mark, user.id)
    assert replies, f"no reply to {text!r} at {step}"
    assert not generic_errors(bot) & set(replies), f"generic error for {text!r} at {step}"
    state = await bot.state(user, "profile")
    # /cancel, or a stop phrase typed alone («hủy», «cho em hủy»; a command is no phrase)
    if is_cancel(text) or (fold(text) in STOP_WORDS and not text.startswith("/")):
        assert state is None
        assert bot.t("flow.cancelled") in replies
        return
    if state is None:
        # Leaving without /cancel is fine only where the step itself ends the flow.
        if step == "consent":
            assert bot.t("onboarding.declined") in replies, (text, replies)
        elif step == "confirm":
            assert bot.t("onboarding.done", name=NAME) in replies, (text, replies)
        else:
            raise AssertionError(f"{text!r} dropped the conversation at {step}: {replies}")
        return
    assert state in NEXT[step], f"{text!r} at {step} led to {state!r}"


STEP_SETTINGS = settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@pytest.mark.parametrize("step", list(NEXT))
@STEP_SETTINGS
@given(text=message_text())
@example(text="/cancel")
@example(text="/start")
@example(text="1")
async def test_every_step_survives_any_text(bot: Harness, step: str, text: str) -> None:
    await check_step(bot, step, text)


STICKER = {
    "sticker": {
        "file_id": "CAACAgIAAxkBAAIBbGZ",
        "file_unique_id": "AgADbGZ",
        "type": "regular",
        "width": 512,
        "height": 512,
        "is_animated": False,
        "is_video": False,
        "emoji": "👍",
    }
}
PHOTO = {
    "photo": [
        {"file_id": "AgACAgIAAx0", "file_unique_id": "AQADa", "width": 90, "height": 90},
        {"file_id": "AgACAgIAAx1", "file_unique_id": "AQADb", "width": 800, "height": 800},
    ],
    "caption": "Nguyễn Văn An",
}
VOICE = {
    "voice": {
        "file_id": "AwACAgIAAxkBAAIB",
        "file_unique_id": "AgADc",
        "duration": 3,
        "mime_type": "audio/ogg",
    }
}


@pytest.mark.parametrize("step", list(NEXT))
@pytest.mark.parametrize("extra", [STICKER, PHOTO, VOICE], ids=["sticker", "photo", "voice"])
async def test_non_text_message_keeps_the_step(bot: Harness, step: str, extra: dict) -> None:
    user = await reach(bot, step)
    mark = bot.mark()
    await bot.send_raw(user, extra)
    replies = bot.texts_since(mark, user.id)
    assert bot.t("error.expect_text") in replies
    assert not generic_errors(bot) & set(replies)
    assert await bot.state(user, "profile") == step


# --- regressions: inputs the properties above once found -----------------------------------


@pytest.mark.parametrize("text", ["²", "①", "1²"])
def test_regression_match_choice_non_decimal_digit_is_no_number(text: str) -> None:
    assert match_choice(text, [Choice("a", ("Một",)), Choice("b", ("Hai",))]) is None


@pytest.mark.parametrize("step", ["consent", "unit", "phone", "confirm"])
async def test_regression_non_decimal_digit_at_a_choice_step(bot: Harness, step: str) -> None:
    await check_step(bot, step, "²")


def test_regression_clean_removes_c1_controls() -> None:
    assert clean("a\x80b\x9fc") == "abc"


def test_regression_blank_looking_letters_are_nothing_to_read() -> None:
    """Hangul fillers and the Braille blank are how apps send an "empty" message."""
    assert clean("\u3164 \u2800\u115f\u1160\uffa0\u17b4") == ""
    assert clean("Ghi\u3164chú") == "Ghichú"


@given(st.text(st.sampled_from("a ✓👩💻\u200b\u200c\u200d\u200e\u200f\xad\u2063"), max_size=40))
@example("x\u200e\u200d👩")
@example("a\u200d\u200d👩")
def test_clean_leaves_no_invisible_character_but_an_emoji_joiner(text: str) -> None:
    """Direction marks, zero-width (non-)joiners, soft hyphens go (a text of them only is empty:
    nothing to read); a joiner stays only between two symbols, where it makes one emoji."""
    cleaned = clean(text)
    assert clean(cleaned) == cleaned
    assert not set(cleaned) & set("\u200b\u200c\u200e\u200f\xad\u2063")
    for i, ch in enumerate(cleaned):
        if ch == "\u200d":
            assert 0 < i < len(cleaned) - 1
            assert not (cleaned[i - 1].isalnum() or cleaned[i - 1].isspace())
            assert not (cleaned[i + 1].isalnum() or cleaned[i + 1].isspace())
    assert clean("\u200fCông ty ABC\u200d") == "Công ty ABC"
    assert clean("👩\u200d💻") == "👩\u200d💻"


def test_regression_clean_is_nfc_after_removing_a_control() -> None:
    cleaned = clean("e\x00\u0301")  # the control sits between the letter and its accent
    assert unicodedata.is_normalized("NFC", cleaned)
    assert clean(cleaned) == cleaned


def test_regression_full_name_casing_keeps_the_length() -> None:
    text = " ".join(["ßa"] * 26) + " ab"  # 80 characters, all lower case
    assert len(text) == NAME_MAX
    value = parse_full_name(text)
    assert len(value) <= NAME_MAX
    assert parse_full_name(value) == value


@pytest.mark.parametrize(
    ("typed", "saved"),
    [
        ("ts. nguyễn văn an", "TS. Nguyễn Văn An"),
        ("ThS Lê Thị Hoa", "ThS. Lê Thị Hoa"),
        ("pgs. ts. trần bình", "PGS.TS. Trần Bình"),
        ("PGS.TS. Trần Bình", "PGS.TS. Trần Bình"),
        ("Dr. John Smith", "Dr. John Smith"),
        ("prof. anna lee", "Prof. Anna Lee"),
        ("Mr. Tom Hanks", "Tom Hanks"),  # a form of address, not part of the name
        # capitals typed inside a part are kept; a part all in one case is capitalised
        ("John McDonald", "John McDonald"),
        ("Mary-Jane O'Neil", "Mary-Jane O'Neil"),
        ("jean-luc DuPont", "Jean-Luc DuPont"),
        ("nguyễn thị LAN", "Nguyễn Thị Lan"),
        # how people introduce a name
        ("my name is John Smith", "John Smith"),
        ("Tôi tên là nguyễn văn an", "Nguyễn Văn An"),
        ("họ tên: Lê Văn C", "Lê Văn C"),
        ("Em Huy", "Em Huy"),  # «Em» before one word: a name
    ],
)
def test_full_name_keeps_the_titles_before_it(typed: str, saved: str) -> None:
    assert parse_full_name(typed) == saved
    assert parse_full_name(saved) == saved


@pytest.mark.parametrize("typed", ["TS.", "ThS. An", "ts " + "a" * 75 + " b"])
def test_full_name_titles_need_a_whole_name(typed: str) -> None:
    with pytest.raises(InvalidInput):
        parse_full_name(typed)


def test_regression_full_name_casing_is_idempotent() -> None:
    value = parse_full_name("ǰa ǰb")
    assert parse_full_name(value) == value


@pytest.mark.parametrize("text", ["0912345678٠", "0９１２３４５６７８"])
def test_regression_phone_digits_are_ascii(text: str) -> None:
    try:
        value = parse_phone(text)
    except InvalidInput:
        return
    assert re.fullmatch(r"0[0-9]{9,10}", value, flags=re.ASCII)


@pytest.mark.parametrize("parser", [parse_full_name, parse_unit, parse_position])
@pytest.mark.parametrize("typed", ["bỏ qua", "Quay lại", "hủy", "menu", "OK", "không", "skip"])
def test_words_that_steer_are_no_name_unit_or_position(parser: Parser, typed: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        parser(typed)
    assert caught.value.code == "not_an_answer" and caught.value.params == {"text": typed}


def test_unit_short_forms_and_the_first_words_of_several() -> None:
    units = load_units()
    choices = units.choices()

    def picked(text: str) -> str | None:
        return units.match(text).unit

    assert picked("vp sở") == "Văn phòng Sở"
    assert picked("QLKH") == "Phòng Quản lý khoa học"
    assert picked("phong kh-tc") == "Phòng Kế hoạch - Tài chính"
    assert picked("tdkt") == "Ban Thi đua - Khen thưởng (Sở Nội vụ)"
    assert picked("3") == units[2]  # its number in the list
    assert picked("phong quan ly khoa hocc") == "Phòng Quản lý khoa học"  # a typo in a name
    # «QL» is «quản lý»; words of one name in its order, others between (qa19).
    assert picked("phong ql khoa hoc") == "Phòng Quản lý khoa học"
    assert picked("P. QL cong nghe") is None  # «P.» is no word of a name
    assert picked("phong ql cong nghe") == "Phòng Quản lý công nghệ và Thị trường công nghệ"
    assert picked("phong van hoa huyen") == "Phòng Văn hóa, Khoa học và Thông tin cấp huyện"
    assert picked("phong khoa hoc") is None  # in two names, with as many words between
    # A short form only as typed: «phòng KHCN» is not «phòng KHTC»; «QLCN» is two units.
    assert picked("phong khcn") is None
    assert units.match("văn phòng").several == (0, 9)
    assert units.match("Phòng QLCN").several == (4, 5)
    # The first words of several units: no pick (the fuzzy stage preferred the shorter name),
    # and starting_with lists them for the question "which one?".
    for text, count in (("văn phòng", 2), ("phong quan ly", 3), ("UBND", 2)):
        assert picked(text) is None, text
        assert len(starting_with(text, choices)) == count, text
    assert starting_with("thanh tra", choices) == ["1"]
    assert starting_with("12", choices) == []


def test_units_file_aliases_are_checked(tmp_path: Path) -> None:
    path = tmp_path / "units.toml"
    path.write_text('department = ["Văn phòng Sở"]\n[aliases]\n"Văn phòng" = ["VP"]\n', "utf-8")
    with pytest.raises(ValueError, match="not a listed unit"):
        load_units(path)
    path.write_text('department = ["Văn phòng Sở"]\n[aliases]\n"Văn phòng Sở" = [""]\n', "utf-8")
    with pytest.raises(ValueError, match="non-empty"):
        load_units(path)
    path.write_text(
        'department = ["Văn phòng Sở"]\n[aliases]\n"Văn phòng Sở" = ["VP Sở"]\n', "utf-8"
    )
    assert load_units(path).aliases == {"Văn phòng Sở": ("VP Sở",)}


# --- «tôi không đi được nữa» ----------------------------------------------------------------


@given(messy_text(max_size=400), st.sampled_from(("", " ạ", " nhé", " nữa", " được")))
@example("tôi không đi được nữa?", "")
def test_a_question_is_never_taken_for_i_cannot_come(text: str, tail: str) -> None:
    """Any text may be tested (it never raises); with a question mark, or opening with «nếu»
    / «làm sao», it asks something: never the answer «Không tham dự»."""
    from bot.domain.events import says_cannot_come

    says_cannot_come(text + tail)
    assert not says_cannot_come(text + "?" + tail)
    assert not says_cannot_come("nếu " + text.lstrip() + " không đi được" + tail)


@given(messy_text(max_size=400))
@example("chắc là không")
def test_a_roundabout_answer_is_never_read_into_a_question(text: str) -> None:
    """«Chắc là không?» asks; «chắc là không» answers. Any text may be tested."""
    from bot.domain.events import roundabout_answer

    roundabout_answer(text)
    assert roundabout_answer(text + "?") is None
