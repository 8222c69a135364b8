"""The delegate's side of conference attendance through the real application: the invitation's
deep link, answers (buttons and typed), details, the confirmation with its QR image and .ics
file, /my_events and /events, the deadline, bad codes, stale buttons, the waiting list and its
promotions, the office's capacity alerts, reminders across a restart, and 30 people accepting
the last 5 seats at once."""

from __future__ import annotations

import asyncio
import html
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import icalendar
import pytest

from bot.domain.broadcasts import OutboxRow
from bot.domain.events import (
    AgendaItem,
    Event,
    Group,
    Rsvp,
    asks_about_event,
    asks_about_the_meeting,
    says_cannot_come,
)
from bot.services.broadcasts import Notify
from bot.services.event_notices import EventNotices
from bot.tg.stub_api import JSON, StubUser
from handlers import rsvp
from tests.harness import ADMIN_ID, Harness, make_settings
from tests.initiative_fixtures import register

NOW = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)
STARTS = datetime(2026, 12, 11, 1, 0, tzinfo=UTC)  # 08:00, Friday, in Hà Nội
DEADLINE = datetime(2026, 12, 8, 10, 0, tzinfo=UTC)  # 17:00, Tuesday
TITLE = "Hội nghị tuyên dương <điển hình> & tiên tiến"
EVENT_ID = "hoi-nghi"
GROUPS = (
    Group(id="so-noi-vu", name="Sở Nội vụ, Ban Thi đua - Khen thưởng"),
    Group(id="dien-hinh", name="Các điển hình tiên tiến"),
)


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def make_event(**extra: Any) -> Event:
    values: dict[str, Any] = {
        "id": EVENT_ID,
        "title": TITLE,
        "organiser": "Sở Khoa học và Công nghệ",
        "starts_at": STARTS,
        "duration_minutes": 240,
        "venue": "Hội trường Sở",
        "address": "Số 1 đường Chùa Chuông",
        "map_url": "https://maps.example/?q=so-khcn",
        "rsvp_deadline": DEADLINE,
        "capacity": 10,
        "mode": "invitation",
        "agenda": (
            AgendaItem(title="Khai mạc", time="08:00"),
            AgendaItem(title="Biểu dương, khen thưởng"),
        ),
        "groups": GROUPS,
        "note": "Đại biểu mặc trang phục công sở",
    }
    values.update(extra)
    return Event.model_validate(values)


@pytest.fixture
def clock(bot: Harness) -> Clock:
    clock = Clock(NOW)
    bot.services.events.clock = clock
    return clock


async def setup(bot: Harness, people: int = 1, **extra: Any) -> list[str]:
    """Save the event and invite ``people`` people: their codes."""
    event = make_event(**extra)
    await bot.services.events.save(event)
    rows = [
        {
            "full_name": "Nguyễn Văn An" if i == 0 else f"Đại biểu số {i}",
            "unit": "Sở Nội vụ" if i == 0 else f"Đơn vị {i}",
            "position": "Phó Giám đốc",
            "group": "so-noi-vu" if i == 0 and event.groups else "",
        }
        for i in range(people)
    ]
    imported = await bot.services.events.invite(EVENT_ID, rows)
    assert len(imported.added) == people, imported.errors
    return [invitee.code for invitee in imported.added]


async def state(bot: Harness, user: StubUser) -> object | None:
    return await bot.state(user, "rsvp")


async def row(bot: Harness, user: StubUser) -> dict[str, Any] | None:
    return await bot.db_row(
        "SELECT * FROM rsvps WHERE event_id = ? AND user_id = ?", EVENT_ID, user.id
    )


def data_of(bot: Harness, user: StubUser, start: str) -> str:
    return next(d for _, d in bot.buttons(user.id) if d.startswith(start))


async def press_answer(bot: Harness, user: StubUser, letter: str) -> None:
    await bot.press(user, data_of(bot, user, f"ev:a:{EVENT_ID}:{letter}:"))


async def accept(bot: Harness, user: StubUser, code: str) -> None:
    """Deep link, "Có", details confirmed, no note."""
    await bot.say(user, f"/start rsvp_{code}")
    await press_answer(bot, user, "y")
    await bot.press(user, "ev:ok")
    await bot.press(user, "ev:skip")


def calendar_of(bot: Harness, user: StubUser) -> Any:
    sent = bot.stub.sent(user.id, "sendDocument")[-1]
    assert sent.params["_filename"] == f"{EVENT_ID}.ics"
    calendar = icalendar.Calendar.from_ical(sent.params["_bytes"])
    return calendar.walk("VEVENT")[0]


class JobContext:
    """What a job's context offers: the services and the bot."""

    def __init__(self, bot: Harness) -> None:
        assert bot.app is not None
        self.services = bot.services
        self.bot = bot.app.bot
        self.application = bot.app  # its delivery worker is woken after queueing


# --- the happy path ----------------------------------------------------------------------------


async def test_invitation_yes_details_edited_and_confirmation(
    bot: Harness, clock: Clock, alice: StubUser
) -> None:
    (code,) = await setup(bot)
    await bot.say(alice, f"/start rsvp_{code}")  # not registered: not needed
    screen = bot.last_text(alice.id)
    assert "Hội nghị tuyên dương &lt;điển hình&gt; &amp; tiên tiến" in screen  # escaped
    assert "08:00, thứ Sáu, 11/12/2026" in screen
    assert "17:00, thứ Ba, 08/12/2026" in screen  # the deadline
    assert "4 giờ (đến 12:00)" in screen
    assert "Hội trường Sở" in screen and "Số 1 đường Chùa Chuông" in screen
    assert "https://maps.example/?q=so-khcn" in screen
    assert "• 08:00 – Khai mạc" in screen and "Đại biểu mặc trang phục công sở" in screen
    assert "Nguyễn Văn An" in screen and bot.t("rsvp.current.none") in screen
    assert await state(bot, alice) == "answer"
    assert all(len(d.encode()) <= 64 for _, d in bot.buttons(alice.id))
    invitee = await bot.db_row("SELECT user_id FROM invitees WHERE code = ?", code)
    assert invitee == {"user_id": alice.id}

    await press_answer(bot, alice, "y")
    assert await state(bot, alice) == "details"
    details = bot.last_text(alice.id)
    assert "Nguyễn Văn An" in details and "Sở Nội vụ" in details and "Phó Giám đốc" in details
    assert GROUPS[0].name in details
    # Edit the position (button), then the group (typed number), then the name (typed number).
    await bot.press(alice, "ev:f:position")
    assert await state(bot, alice) == "position"
    await bot.say(alice, "Giám đốc")
    assert await state(bot, alice) == "details"
    await bot.press(alice, "ev:f:group")
    assert await state(bot, alice) == "group"
    await bot.say(alice, "2")
    assert GROUPS[1].name in bot.last_text(alice.id)
    await bot.say(alice, "1")  # the summary's item 1: the name
    assert await state(bot, alice) == "full_name"
    await bot.say(alice, "1")  # "Giữ nguyên", typed
    assert await state(bot, alice) == "details"
    # qa16 #6: the buttons go ✏️ 1..N then «Xác nhận», as typed numbers count them; «có»
    # typed at an item means it was right (not refused, and never a name).
    data = [d for _, d in bot.buttons(alice.id)]
    assert data[0] == "ev:f:full_name" and data[-1] == "ev:ok"
    await bot.say(alice, "1")
    await bot.say(alice, "co")
    assert await state(bot, alice) == "details"
    await bot.say(alice, str(len(data)))  # the last button's place: «Xác nhận»
    assert await state(bot, alice) == "note"

    mark = bot.mark()
    await bot.press(alice, "ev:skip")
    assert await state(bot, alice) is None
    saved = await row(bot, alice)
    assert saved is not None
    assert (saved["answer"], saved["seat"]) == ("yes", "confirmed")
    assert (saved["full_name"], saved["position"], saved["group_id"]) == (
        "Nguyễn Văn An",
        "Giám đốc",
        "dien-hinh",
    )
    code_in = saved["checkin_code"]
    texts = bot.texts_since(mark, alice.id)
    assert f"<code>{code_in}</code>" in texts[0]
    assert "trước 1 ngày và trước 2 giờ" in texts[0]  # the reminders to come, each apart
    assert "/my_events" in texts[0]
    photo = bot.stub.sent(alice.id, "sendPhoto")[-1]
    assert photo.params["_bytes"].startswith(b"\x89PNG")
    assert photo.params["caption"] == bot.t("rsvp.qr_caption", code=code_in)
    event = calendar_of(bot, alice)
    assert str(event["SUMMARY"]) == TITLE
    assert event.decoded("DTSTART") == STARTS
    assert event["DTSTART"].params["TZID"] == "Asia/Ho_Chi_Minh"
    assert event.decoded("DTEND") == STARTS + timedelta(hours=4)
    assert str(event["LOCATION"]) == "Hội trường Sở, Số 1 đường Chùa Chuông"
    assert code_in in str(event["DESCRIPTION"]) and "Khai mạc" in str(event["DESCRIPTION"])
    assert str(event["URL"]) == "https://maps.example/?q=so-khcn"
    assert str(event["UID"]) == f"{saved['id']}-{EVENT_ID}@thidua-bot"
    alarms = [a.decoded("TRIGGER") for a in event.walk("VALARM")]
    assert alarms == [timedelta(days=-1), timedelta(hours=-2)]
    reminders = await bot.db_value("SELECT count(*) FROM reminders WHERE rsvp_id = ?", saved["id"])
    assert reminders == 2


async def test_typed_answers_and_a_note(bot: Harness, clock: Clock, alice: StubUser) -> None:
    (code,) = await setup(bot)
    await bot.say(alice, f"/start rsvp_{code}")
    await bot.say(alice, "có, tôi sẽ đến")
    assert await state(bot, alice) == "details"
    await bot.say(alice, "9")  # no item 9: never the hidden number of «Xác nhận»
    assert bot.last_text(alice.id) == bot.t(
        "review.pick_range", numbers=bot.t("pick.range", low=1, high=4)
    )
    assert await state(bot, alice) == "details"
    await bot.say(alice, "sửa tên")  # as people ask for it
    assert await state(bot, alice) == "full_name"
    await bot.say(alice, "giữ nguyên")
    assert await state(bot, alice) == "details"
    await bot.say(alice, "4")  # the group
    await bot.say(alice, "các điển hình tiên tiến")  # typed name of the group
    await bot.say(alice, "xác nhận")
    assert await state(bot, alice) == "note"
    await bot.say(alice, "x" * 501)
    assert bot.last_text(alice.id) == bot.t("error.too_long", limit=500, length=501)
    await bot.say(alice, "có ạ")  # "anything to tell the organisers?" - yes: asked what
    assert bot.last_text(alice.id) == bot.t("rsvp.note_what", limit=500)
    assert await state(bot, alice) == "note"
    await bot.say(alice, "\u3164\u2800")  # looks empty, is empty: asked again
    assert bot.last_text(alice.id) == bot.t("rsvp.ask_note", limit=500)
    assert await state(bot, alice) == "note"
    await bot.say(alice, "Cần lối đi cho xe lăn <b>")
    saved = await row(bot, alice)
    assert saved is not None and saved["seat"] == "confirmed"
    assert saved["note"] == "Cần lối đi cho xe lăn <b>" and saved["group_id"] == "dien-hinh"
    assert await bot.db_value("SELECT count(*) FROM office_questions") == 0  # a request


async def test_a_question_typed_as_the_note_goes_to_the_office(
    bot: Harness, clock: Clock, alice: StubUser, admin: StubUser
) -> None:
    """qa16: «có chỗ gửi ô tô không?» typed as the note was kept in the export, where nobody
    answers it. It stays the note, and is asked of the office (who answers with /reply)."""
    await bot.say(admin, "/help")  # the office knows the bot
    (code,) = await setup(bot)
    await bot.say(alice, f"/start rsvp_{code}")
    await bot.say(alice, "có")
    await bot.say(alice, "xác nhận")
    assert await state(bot, alice) == "note"
    await bot.say(alice, "Có chỗ gửi ô tô không?")
    saved = await row(bot, alice)
    assert saved is not None and saved["note"] == "Có chỗ gửi ô tô không?"
    asked = await bot.db_row("SELECT id, question FROM office_questions")
    assert asked is not None and asked["question"].endswith("Có chỗ gửi ô tô không?")
    assert bot.last_text(alice.id).startswith(
        bot.t("kb.office.sent", id=asked["id"], question="")[:20]
    )
    assert any("Có chỗ gửi ô tô không?" in t for t in bot.texts(admin.id))


async def test_the_unit_typed_as_at_registration(
    bot: Harness, clock: Clock, alice: StubUser
) -> None:
    """A delegate's unit takes the short forms and the question "which one?" of registration;
    «quay lại» is no name, «hủy» stops."""
    (code,) = await setup(bot)
    await bot.say(alice, f"/start rsvp_{code}")
    await press_answer(bot, alice, "y")
    await bot.say(alice, "sửa đơn vị")
    await bot.say(alice, "vp sở")
    assert await state(bot, alice) == "details"
    assert (await _details_unit(bot, alice)) == "Văn phòng Sở"
    await bot.say(alice, "đổi đơn vị")
    await bot.say(alice, "văn phòng")
    assert bot.last_text(alice.id) == bot.t("onboarding.unit_which", text="văn phòng")
    await bot.press(alice, "ev:u:9")  # «10. Văn phòng UBND tỉnh»
    assert (await _details_unit(bot, alice)) == "Văn phòng UBND tỉnh"
    await bot.say(alice, "đổi đơn vị")
    await bot.say(alice, "van phong")
    await bot.say(alice, "sở")  # the word that tells the two apart
    assert (await _details_unit(bot, alice)) == "Văn phòng Sở"
    # No list on screen: a number is no unit (only the numbers of «which one?» are).
    await bot.say(alice, "đổi đơn vị")
    for typed in ("3", "số 3", "dạ 3 ạ"):
        await bot.say(alice, typed)
        assert bot.last_text(alice.id) == bot.t("error.number_only", text=typed), typed
        assert await state(bot, alice) == "unit"
    await bot.say(alice, "giữ nguyên")
    assert (await _details_unit(bot, alice)) == "Văn phòng Sở"
    await bot.say(alice, "sửa tên")
    await bot.say(alice, "quay lại")
    assert bot.last_text(alice.id) == bot.t("error.not_an_answer", text="quay lại")
    assert await state(bot, alice) == "full_name"
    await bot.say(alice, "hủy")
    assert bot.last_text(alice.id) == bot.t("rsvp.cancelled")
    assert await state(bot, alice) is None


async def _details_unit(bot: Harness, alice: StubUser) -> str:
    """The unit shown on the details screen (the draft, before «Xác nhận»)."""
    label = bot.t("rsvp.field.unit")
    line = next(line for line in bot.last_text(alice.id).splitlines() if f"{label}:" in line)
    return line.split("</b>", 1)[1].strip()


async def test_restart_in_the_middle_keeps_the_edits(
    bot: Harness, clock: Clock, alice: StubUser
) -> None:
    (code,) = await setup(bot)
    await bot.say(alice, f"/start rsvp_{code}")
    await press_answer(bot, alice, "y")
    await bot.press(alice, "ev:f:unit")
    await bot.say(alice, "Văn phòng UBND tỉnh")
    await bot.restart()  # kill -9
    bot.services.events.clock = clock
    assert await state(bot, alice) == "details"
    await bot.say(alice, "xác nhận")
    await bot.say(alice, "bỏ qua")
    saved = await row(bot, alice)
    assert saved is not None and saved["seat"] == "confirmed"
    assert saved["unit"] == "Văn phòng UBND tỉnh"


@pytest.mark.parametrize(
    ("typed", "answer"),
    [
        *(("không", "no"), ("chưa chắc", "maybe"), ("ko đi được", "no"), ("xin phép vắng", "no")),
        *(("k di dc", "no"), ("em xin phép không tham dự", "no"), ("dạ em xin phép vắng", "no")),
        *(("có việc đột xuất", "no"), ("sorry, I can't", "no"), ("chắc là có", "maybe")),
    ],
)
async def test_no_and_maybe(
    bot: Harness, clock: Clock, alice: StubUser, typed: str, answer: str
) -> None:
    (code,) = await setup(bot)
    await bot.say(alice, f"/start rsvp_{code}")
    mark = bot.mark()
    await bot.say(alice, typed)
    assert await state(bot, alice) is None
    saved = await row(bot, alice)
    assert saved is not None and (saved["answer"], saved["seat"]) == (answer, "none")
    text = bot.texts_since(mark, alice.id)[0]
    assert text.startswith(bot.t(f"rsvp.answered_{answer}", title=TITLE))
    assert bot.t("rsvp.change_until", deadline="17:00, thứ Ba, 08/12/2026") in text
    assert not bot.stub.sent(alice.id, "sendPhoto")


@pytest.mark.parametrize(
    ("typed", "answer"),
    [
        ("Vâng", "yes"),  # «vâng» is yes (it once matched «vắng», absent)
        ("vâng ạ", "yes"),
        ("Dạ có", "yes"),
        ("Sẽ tham dự", "yes"),
        ("tham gia", "yes"),
        ("ko", "no"),
        ("k", "no"),
        ("không tham gia", "no"),
        ("vắng mặt", "no"),
        ("dạ không ạ", "no"),
        ("chưa chắc chắn", "maybe"),
        ("không biết", "maybe"),
        ("không, tôi không tham dự", "no"),
        ("chưa chắc tham dự", "maybe"),
        ("đi được", "yes"),
        # English: "can" is never "can't" (folded "can t", matched fuzzily before)
        ("can attend", "yes"),
        ("I can come", "yes"),
        ("attending", "yes"),
        ("I won't attend", "no"),
        ("can't come", "no"),
        ("I won't be able to attend", "no"),
        ("No, sorry", "no"),
        ("unfortunately not", "no"),
        ("I'm not sure", "maybe"),
        ("I don't know yet", "maybe"),
    ],
)
async def test_answers_as_people_type_them(
    bot: Harness, clock: Clock, alice: StubUser, typed: str, answer: str
) -> None:
    (code,) = await setup(bot)
    await bot.say(alice, f"/start rsvp_{code}")
    await bot.say(alice, typed)
    if answer == "yes":  # a yes goes on to check the person's details
        assert await state(bot, alice) == "details" and await row(bot, alice) is None
    else:
        saved = await row(bot, alice)
        assert saved is not None and saved["answer"] == answer


async def test_language_typed_at_the_answer_is_not_an_answer(
    bot: Harness, clock: Clock, alice: StubUser
) -> None:
    """/language at the invitation, then "2" (English's number, also «Không»'s): the language
    changes, nothing is answered and the invitation is asked again."""
    (code,) = await setup(bot)
    await bot.say(alice, f"/start rsvp_{code}")
    await bot.say(alice, "/language")
    await bot.say(alice, "2")
    assert await row(bot, alice) is None
    assert await state(bot, alice) == "answer"
    assert await bot.db_value("SELECT language FROM users WHERE user_id=?", alice.id) == "en"
    assert bot.last_text(alice.id) == bot.t("rsvp.ask_again", "en", title=TITLE)
    await bot.say(alice, "2")  # now it is «No»
    saved = await row(bot, alice)
    assert saved is not None and saved["answer"] == "no"


@pytest.mark.parametrize(
    ("typed", "answer"),
    [
        ("có chứ", "yes"),
        ("dc", "yes"),
        ("dạ được ạ", "yes"),
        ("nhất trí", "yes"),
        ("xác nhận", "yes"),
        ("hong", "no"),
        ("em bận họp", "no"),
        ("chắc ko đi đc", "no"),
        ("từ chối", "no"),
        # qa16: a soft no, and «not decided yet» said the long way
        ("chắc là không", "no"),
        ("Có lẽ không đi được ạ", "no"),
        ("để em hỏi lại sếp đã", "maybe"),
        ("em báo lại sau nhé", "maybe"),
        ("de toi xin y kien lanh dao", "maybe"),
    ],
)
async def test_answers_typed_as_people_say_them(
    bot: Harness, clock: Clock, alice: StubUser, typed: str, answer: str
) -> None:
    (code,) = await setup(bot)
    await bot.say(alice, f"/start rsvp_{code}")
    await bot.say(alice, typed)
    if answer == "yes":
        assert await state(bot, alice) == "details"
    else:
        saved = await row(bot, alice)
        assert saved is not None and saved["answer"] == answer


@pytest.mark.parametrize("typed", ["không có gì", "khong can", "nothing", "bỏ qua"])
async def test_no_note_typed_in_words_is_no_note(
    bot: Harness, clock: Clock, alice: StubUser, typed: str
) -> None:
    (code,) = await setup(bot)
    await bot.say(alice, f"/start rsvp_{code}")
    await bot.say(alice, "có")
    await bot.say(alice, "xác nhận")
    assert await state(bot, alice) == "note"
    await bot.say(alice, typed)
    saved = await row(bot, alice)
    assert saved is not None and saved["seat"] == "confirmed" and saved["note"] == ""


async def test_an_answer_not_understood_says_which_words_are(
    bot: Harness, clock: Clock, alice: StubUser
) -> None:
    (code,) = await setup(bot)
    await bot.say(alice, f"/start rsvp_{code}")
    mark = bot.mark()
    await bot.say(alice, "tôi đang công tác ở Hà Nội")  # neither a yes, a no nor a maybe
    replies = bot.texts_since(mark, alice.id)
    assert replies[0] == bot.t("rsvp.answer_hint")
    assert replies[1] == bot.t("rsvp.ask_again", title=TITLE)  # with the buttons again
    assert await state(bot, alice) == "answer" and await row(bot, alice) is None


async def test_the_confirmation_promises_only_the_reminders_still_to_come(
    bot: Harness, clock: Clock, alice: StubUser
) -> None:
    """Answering five hours before the start: the reminder a day before can no longer be
    sent, so it is not promised; the one two hours before is."""
    (code,) = await setup(bot, rsvp_deadline=STARTS - timedelta(hours=1))
    clock.now = STARTS - timedelta(hours=5)
    await accept(bot, alice, code)
    confirmation = next(t for t in bot.texts(alice.id) if "🔔" in t)
    assert "trước 2 giờ" in confirmation and "1 ngày" not in confirmation


async def test_an_invitation_opened_in_the_middle_of_registration_is_not_lost_in_silence(
    bot: Harness, clock: Clock
) -> None:
    (code,) = await setup(bot)
    newcomer = StubUser(4242, first_name="Hà", language_code="vi")
    await bot.say(newcomer, "/start")
    assert await bot.state(newcomer, "profile") == "consent"
    mark = bot.mark()
    await bot.say(newcomer, f"/start rsvp_{code}")
    replies = bot.texts_since(mark, newcomer.id)
    assert replies[0] == bot.t("flow.link_later")  # then the current question again
    assert await bot.state(newcomer, "profile") == "consent"
    await bot.say(newcomer, "/cancel")
    await bot.say(newcomer, f"/start rsvp_{code}")  # opened again: the invitation
    assert await state(bot, newcomer) == "answer"


@pytest.mark.parametrize(
    "typed",
    [
        "{code}",
        "{lower}",
        "Mã mời: {dashed}",
        "mã của tôi là {dashed}",
        "My code is {code}",
        "https://t.me/thidua_local_bot?start=rsvp_{code}",
        "rsvp_{lower}",
    ],
)
async def test_an_invitation_typed_or_pasted_opens_like_its_link(
    bot: Harness, clock: Clock, alice: StubUser, typed: str
) -> None:
    """Someone with only the printed letter (or on a computer) types the code or pastes the
    link: the invitation opens as if they had followed it."""
    (code,) = await setup(bot)
    text = typed.format(code=code, lower=code.lower(), dashed=f"{code[:4]}-{code[4:]}")
    await bot.say(alice, text)
    if text == code.lower() and not any(c.isdigit() for c in code):
        # (codes are random: one in ten has no digit) typed in small letters, alone, such a
        # code reads like a word, and a word is never taken for a code
        assert await state(bot, alice) is None
        return
    assert await state(bot, alice) == "answer"
    shown = TITLE.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    assert any(shown in t for t in bot.texts(alice.id)[-3:])  # the invitation
    await bot.say(alice, "không")
    saved = await row(bot, alice)
    assert saved is not None and saved["answer"] == "no"


def test_words_are_not_taken_for_invitation_codes() -> None:
    from handlers.rsvp import typed_invitation

    for text in ("hanhchan", "xin chào", "khen thưởng 2025", "abcdefgh", "12345678", ""):
        assert typed_invitation(text) is None, text


async def test_my_events_once_they_are_all_over(
    bot: Harness, clock: Clock, alice: StubUser
) -> None:
    (code,) = await setup(bot)
    await accept(bot, alice, code)
    event = await bot.services.events.get(EVENT_ID)
    assert event is not None
    clock.now = event.ends_at + timedelta(days=1)
    await bot.say(alice, "/my_events")
    assert bot.last_text(alice.id) == bot.t("rsvp.my_all_past", count=1)  # not "none yet"


async def test_a_question_about_the_event_is_answered_from_the_invitation(
    bot: Harness, clock: Clock, alice: StubUser
) -> None:
    """«hội nghị ở đâu?» at the invitation: its place and time (not the rules documents, not
    the office), and the question again, so that «có» after it is the answer."""
    (code,) = await setup(bot)
    await bot.say(alice, f"/start rsvp_{code}")
    for typed in ("hội nghị ở đâu?", "may gio bat dau", "chương trình thế nào"):
        mark = bot.mark()
        await bot.say(alice, typed)
        replies = bot.texts_since(mark, alice.id)
        assert replies[0].startswith(bot.t("rsvp.facts")), typed
        assert "08:00" in replies[0] and bot.t("rsvp.agenda") in "\n".join(replies), typed
        assert replies[-1] == bot.t("rsvp.ask_again", title=TITLE)
        assert await state(bot, alice) == "answer"
    await bot.say(alice, "có")
    assert await state(bot, alice) == "details"
    assert await bot.db_value("SELECT count(*) FROM office_questions") == 0
    for question in ("where is it", "what time does it start", "han dang ky la ngay nao"):
        assert asks_about_event(question), question
    for other in ("co cho gui xe khong", "cam on", "tieu chuan chien si thi dua la gi"):
        assert not asks_about_event(other), other


async def test_another_question_before_answering_keeps_the_invitation(
    bot: Harness, clock: Clock, alice: StubUser
) -> None:
    """qa16 #1: «có cho gửi xe không?» before any answer is answered (or said where to ask)
    and the invitation's question comes again: the «có» after it is a yes to the invitation,
    never «send that question to the office»."""
    (code,) = await setup(bot)
    await bot.say(alice, f"/start rsvp_{code}")
    mark = bot.mark()
    await bot.say(alice, "co cho gui xe khong")
    replies = bot.texts_since(mark, alice.id)
    assert bot.t("flow.question_answered") in replies
    assert replies[-1] == bot.t("rsvp.ask_again", title=TITLE)
    assert await state(bot, alice) == "answer"
    await bot.say(alice, "co")
    assert await state(bot, alice) == "details"
    assert await bot.db_value("SELECT count(*) FROM office_questions") == 0


async def test_where_is_the_meeting_outside_the_invitation(
    bot: Harness, clock: Clock, alice: StubUser, bob: StubUser
) -> None:
    """qa16 #2: a delegate asking «Hội nghị tổ chức ở đâu?» days later, outside any flow,
    gets the invitation's place and time, not «the documents have nothing»; a question about
    a file («hồ sơ nộp ở đâu») and a person invited to nothing still ask the documents."""
    (code,) = await setup(bot)
    await accept(bot, alice, code)
    for typed in ("Hội nghị tổ chức ở đâu?", "mấy giờ họp vậy", "hoi nghi o dau"):
        mark = bot.mark()
        await bot.say(alice, typed)
        replies = bot.texts_since(mark, alice.id)
        assert replies[0].startswith(bot.t("rsvp.facts")), typed
        assert "Hội trường Sở" in replies[0] and "08:00" in replies[0], typed
        assert replies[-1] == bot.t("rsvp.facts_more"), typed
        assert await state(bot, alice) is None
    mark = bot.mark()
    await bot.say(alice, "hồ sơ đề nghị khen thưởng nộp ở đâu")
    assert not any(r.startswith(bot.t("rsvp.facts")) for r in bot.texts_since(mark, alice.id))
    await register(bot, bob, "Trần Văn Bình")
    mark = bot.mark()
    await bot.say(bob, "hội nghị ở đâu?")
    replies = bot.texts_since(mark, bob.id)
    assert replies and not any(r.startswith(bot.t("rsvp.facts")) for r in replies)
    for meeting in ("hoi nghi to chuc o dau", "may gio hop vay", "where is the conference"):
        assert asks_about_the_meeting(meeting), meeting
    for other in ("ho so phu hop nop o dau", "khi nao co ket qua", "thoi gian nop sang kien"):
        assert not asks_about_the_meeting(other), other


async def test_i_cannot_come_any_more_outside_the_invitation(
    bot: Harness, clock: Clock, alice: StubUser, bob: StubUser
) -> None:
    """qa16: «tôi không đi được nữa», typed days after accepting, got «the documents have
    nothing». It is the answer «Không tham dự» to the invitation: a seat is given back after
    «Trả lại chỗ?»; said again, the bot says it knows; a question about not coming still asks
    the documents; a person invited to nothing too."""
    codes = await setup(bot, people=2)
    await accept(bot, alice, codes[0])
    await bot.say(alice, "Tôi bận đột xuất, không đi được nữa ạ")
    assert await state(bot, alice) == "release"
    assert bot.texts(alice.id)[-1].startswith(bot.t("rsvp.ask_release", title=TITLE).split("\n")[0])
    await bot.say(alice, "trả lại chỗ")
    found = await row(bot, alice)
    assert found is not None and (found["answer"], found["seat"]) == ("no", "none")
    assert await state(bot, alice) is None
    await bot.say(alice, "em xin phép vắng ạ")
    assert bot.last_text(alice.id) == bot.t("rsvp.already_declined", title=TITLE)

    # Not answered yet, or «chưa chắc» (no seat): recorded at once, and said with the event.
    await bot.say(bob, f"/start rsvp_{codes[1]}")
    await press_answer(bot, bob, "m")
    await bot.say(bob, "/cancel")
    mark = bot.mark()
    await bot.say(bob, "sorry, I can't attend")
    found = await row(bot, bob)
    assert found is not None and found["answer"] == "no"
    assert any(html.escape(TITLE, quote=False) in t for t in bot.texts_since(mark, bob.id))

    # A question about not coming is a question; nobody's answer changes.
    await accept(bot, alice, codes[0])
    mark = bot.mark()
    await bot.say(alice, "nếu không đi được thì báo ai")
    assert await state(bot, alice) is None
    found = await row(bot, alice)
    assert found is not None and found["answer"] == "yes"
    assert not any("ask_release" in t for t in bot.texts_since(mark, alice.id))

    # Too late to change: the office is the way.
    clock.now = DEADLINE + timedelta(hours=1)
    await bot.say(alice, "tôi không đến được")
    assert bot.last_text(alice.id) == bot.t("rsvp.deadline_passed")
    found = await row(bot, alice)
    assert found is not None and found["answer"] == "yes"


async def test_i_cannot_come_with_two_invitations_asks_which(
    bot: Harness, clock: Clock, alice: StubUser
) -> None:
    (code,) = await setup(bot)
    await accept(bot, alice, code)
    other = make_event(id="tap-huan", title="Tập huấn sáng kiến", capacity=50)
    await bot.services.events.save(other)
    (invited,) = (
        await bot.services.events.invite(
            "tap-huan",
            [{"full_name": "Nguyễn Văn An", "unit": "Sở Nội vụ", "position": "", "group": ""}],
        )
    ).added
    await bot.say(alice, f"/start rsvp_{invited.code}")
    await bot.say(alice, "/cancel")
    await bot.say(alice, "xin phép vắng")
    assert bot.last_text(alice.id).startswith(bot.t("rsvp.cannot_come_which"))
    assert [d for _, d in bot.buttons(alice.id)] == ["ev:o:hoi-nghi", "ev:o:tap-huan"]
    await bot.say(alice, "2")  # the list's second: its invitation, with «Không tham dự»
    assert await state(bot, alice) == "answer"
    await bot.say(alice, "không")
    answer = await bot.db_value(
        "SELECT answer FROM rsvps WHERE event_id = 'tap-huan' AND user_id = ?", alice.id
    )
    assert answer == "no"
    found = await row(bot, alice)
    assert found is not None and found["answer"] == "yes"  # the other one is untouched


async def test_i_cannot_come_invited_to_nothing_asks_the_documents(
    bot: Harness, clock: Clock, bob: StubUser
) -> None:
    await register(bot, bob, "Trần Văn Bình")
    await bot.say(bob, "tôi không đi được nữa")
    assert await state(bot, bob) is None
    assert bot.last_text(bob.id)  # the documents' answer (or where to ask), no error


def test_says_cannot_come() -> None:
    for typed in (
        "tôi không đi được nữa",
        "Em xin phép không tham dự hội nghị được ạ",
        "hủy đăng ký",
        "Tôi không đến được, xin lỗi ạ",
        "em xin phép vắng ạ",
        "I can't attend, sorry",
        "trả lại chỗ",
    ):
        assert says_cannot_come(typed), typed
    for typed in (
        "nếu không đi được thì báo ai",
        "có ai không đi không",
        "không đi được thì sao?",
        "không",
        "sáng kiến không đi vào thực tế",
        "hội nghị ở đâu",
    ):
        assert not says_cannot_come(typed), typed


async def test_own_check_in_code_typed_back_says_what_it_is(
    bot: Harness, clock: Clock, alice: StubUser
) -> None:
    (code,) = await setup(bot)
    await accept(bot, alice, code)
    saved = await row(bot, alice)
    assert saved is not None and saved["checkin_code"]
    await bot.say(alice, "/cancel")
    # as shown (a lowercase word without digits may be a word, not a code)
    await bot.say(alice, saved["checkin_code"])
    assert bot.last_text(alice.id) == bot.t("rsvp.own_code", title=TITLE)
    assert bot.buttons(alice.id) == [("📎 " + bot.t("rsvp.btn.files"), f"ev:q:{EVENT_ID}")]
    await bot.say(alice, "ZZZZ2345")  # nobody's code
    assert bot.last_text(alice.id) == bot.t("rsvp.code_unknown")
    # «mã QR» typed anywhere (after a reminder): the one seat's files
    photos = len(bot.stub.sent(alice.id, "sendPhoto"))
    await bot.say(alice, "Mã QR")
    assert len(bot.stub.sent(alice.id, "sendPhoto")) == photos + 1
    assert bot.stub.sent(alice.id, "sendDocument")[-1].params["_filename"] == f"{EVENT_ID}.ics"
    await bot.say(alice, "/my_events")
    await bot.say(alice, "1")
    await bot.say(alice, "không")
    await bot.say(alice, "có")  # gives the seat up
    await bot.say(alice, "tệp lịch")
    assert bot.last_text(alice.id) == bot.t("rsvp.files_none")


async def test_no_by_button_in_english(bot: Harness, clock: Clock, bob: StubUser) -> None:
    (code,) = await setup(bot)
    await bot.say(bob, f"/start rsvp_{code}")
    assert "08:00, Friday, 11/12/2026" in bot.last_text(bob.id)
    await press_answer(bot, bob, "n")
    assert bot.last_text(bob.id).startswith(bot.t("rsvp.answered_no", "en", title=TITLE))


async def test_viewing_an_event_does_not_hold_the_person(
    bot: Harness, clock: Clock, alice: StubUser
) -> None:
    """After opening an event from /my_events, a question, thanks or /menu is taken as typed
    outside (the step ends); «không» from a delegate with a seat asks before giving it up, and
    «không» to that keeps it."""
    (code,) = await setup(bot)
    await accept(bot, alice, code)
    for typed in ("có chỗ gửi xe không?", "cảm ơn", "/menu"):
        await bot.say(alice, "/my_events")
        await bot.say(alice, "1")
        assert await state(bot, alice) == "answer"
        mark = bot.mark()
        await bot.say(alice, typed)
        assert await state(bot, alice) is None, typed
        replies = bot.texts_since(mark, alice.id)
        assert bot.t("rsvp.answer_hint") not in replies and bot.t("flow.busy") not in replies
        assert replies, typed
    saved = await row(bot, alice)
    assert saved is not None and (saved["answer"], saved["seat"]) == ("yes", "confirmed")

    await bot.say(alice, "/my_events")
    await bot.say(alice, "1")
    await bot.say(alice, "không")
    assert bot.last_text(alice.id) == bot.t("rsvp.ask_release", title=TITLE)
    await bot.restart(crash=True)
    await bot.say(alice, "không")  # «không» to "give up the seat?": kept
    assert bot.last_text(alice.id) == bot.t("rsvp.seat_held", title=TITLE)
    assert await state(bot, alice) is None
    saved = await row(bot, alice)
    assert saved is not None and (saved["answer"], saved["seat"]) == ("yes", "confirmed")
    assert await bot.db_value("SELECT count(*) FROM reminders") > 0


async def test_another_command_at_the_answer_step_runs(
    bot: Harness, clock: Clock, alice: StubUser
) -> None:
    """Nothing is half-typed at an event's answer buttons: /hoi there ends the step and asks
    for the question (not "you are in the middle of something"); /start keeps the step."""
    (code,) = await setup(bot)
    await accept(bot, alice, code)
    await bot.say(alice, "/my_events")
    await bot.say(alice, "1")
    await bot.say(alice, "/start")
    assert await state(bot, alice) == "answer"
    mark = bot.mark()
    await bot.say(alice, "/hoi")
    assert bot.texts_since(mark, alice.id) == [bot.t("kb.ask_prompt")]
    assert await state(bot, alice) is None
    assert await bot.state(alice, "ask") == "question"
    await bot.say(alice, "hội nghị tổ chức ở đâu")
    assert await bot.state(alice, "ask") is None
    saved = await row(bot, alice)
    assert saved is not None and (saved["answer"], saved["seat"]) == ("yes", "confirmed")


async def test_change_answer_via_my_events(bot: Harness, clock: Clock, alice: StubUser) -> None:
    (code,) = await setup(bot)
    await accept(bot, alice, code)
    await bot.say(alice, "/my_events")
    listing = bot.last_text(alice.id)
    assert bot.t("rsvp.status.confirmed") in listing
    assert await state(bot, alice) is None  # a list is not a flow
    await bot.say(alice, "1")  # typed number of the list
    assert await state(bot, alice) == "answer"
    saved = await row(bot, alice)
    assert saved is not None
    assert bot.t("rsvp.current.confirmed", code=saved["checkin_code"]) in bot.last_text(alice.id)
    # The answer given is marked on its button; the others are as on the invitation.
    labels = [label for label, _ in bot.buttons(alice.id)]
    assert labels[:3] == [
        "✅ " + bot.t("rsvp.btn.chosen", label=bot.t("rsvp.btn.yes")),
        "❌ " + bot.t("rsvp.btn.no"),
        "🤔 " + bot.t("rsvp.btn.maybe"),
    ]
    await press_answer(bot, alice, "n")
    # A seat: given up only once confirmed (the waiting list may take it for good).
    assert bot.last_text(alice.id) == bot.t("rsvp.ask_release", title=TITLE)
    assert await state(bot, alice) == "release"
    saved = await row(bot, alice)
    assert saved is not None and (saved["answer"], saved["seat"]) == ("yes", "confirmed")
    await bot.press(alice, "ev:r:y")
    saved = await row(bot, alice)
    assert saved is not None and (saved["answer"], saved["seat"]) == ("no", "none")
    assert await bot.db_value("SELECT count(*) FROM reminders") == 0
    # And back to yes from the list's button: the details come from the earlier answer.
    await bot.say(alice, "/my_events")
    assert bot.t("rsvp.status.no") in bot.last_text(alice.id)
    await bot.press(alice, f"ev:o:{EVENT_ID}")
    await bot.say(alice, "có")
    await bot.say(alice, "ok")
    await bot.say(alice, "bỏ qua")
    saved = await row(bot, alice)
    assert saved is not None and saved["seat"] == "confirmed"


async def test_a_typed_number_of_a_list_survives_a_restart(
    bot: Harness, clock: Clock, alice: StubUser
) -> None:
    """The list's memory is in the person's persisted data: after a crash, "1" still opens the
    first event of the list, and any other message ends the memory."""
    (code,) = await setup(bot)
    await accept(bot, alice, code)
    await bot.say(alice, "/my_events")
    await bot.restart(crash=True)
    await bot.say(alice, "1")
    assert await state(bot, alice) == "answer"
    await bot.say(alice, "/cancel")
    await bot.say(alice, "/my_events")
    await bot.say(alice, "khi nào hội nghị bắt đầu?")  # not a pick: the list is over
    mark = bot.mark()
    await bot.say(alice, "1")
    assert bot.texts_since(mark, alice.id)  # answered (the Q&A answer's button "1")...
    assert await state(bot, alice) is None  # ...but the event was not opened


async def test_menu_items_open_the_lists(bot: Harness, clock: Clock, alice: StubUser) -> None:
    (code,) = await setup(bot)
    await bot.say(alice, f"/start rsvp_{code}")
    screen = bot.last_keyboard_message(alice.id)
    await bot.say(alice, "không")
    await bot.press(alice, "menu:my_events", message=screen)  # as the main menu would send
    assert bot.last_text(alice.id).startswith(bot.t("rsvp.my_title", count=1))
    await bot.press(alice, "menu:events", message=screen)
    assert bot.last_text(alice.id) == bot.t("rsvp.events_none")


async def test_cancel_keeps_the_earlier_answer(bot: Harness, clock: Clock, alice: StubUser) -> None:
    (code,) = await setup(bot)
    await accept(bot, alice, code)
    await bot.say(alice, "/my_events")
    await bot.press(alice, f"ev:o:{EVENT_ID}")
    await press_answer(bot, alice, "y")
    await bot.say(alice, "/sangkien")  # another command inside the flow: the flow goes on
    assert await state(bot, alice) == "details"
    await bot.say(alice, "/cancel")
    assert bot.last_text(alice.id) == bot.t("rsvp.cancelled")
    assert await state(bot, alice) is None
    saved = await row(bot, alice)
    assert saved is not None and saved["seat"] == "confirmed"


async def test_after_the_deadline_nothing_changes(
    bot: Harness, clock: Clock, alice: StubUser
) -> None:
    (code,) = await setup(bot)
    await accept(bot, alice, code)
    await bot.say(alice, "/my_events")
    await bot.press(alice, f"ev:o:{EVENT_ID}")
    old_screen = bot.last_keyboard_message(alice.id)
    clock.now = DEADLINE + timedelta(minutes=1)
    no = next(d for _, d in bot.buttons(alice.id) if d.startswith(f"ev:a:{EVENT_ID}:n:"))
    await bot.press(alice, no, message=old_screen)
    assert bot.last_text(alice.id) == bot.t("rsvp.deadline_passed")
    assert await state(bot, alice) is None
    saved = await row(bot, alice)
    assert saved is not None and saved["seat"] == "confirmed"
    # The screen shows the answer without answer buttons: only the seat's files again.
    await bot.say(alice, "/my_events")
    mark = bot.mark()
    await bot.say(alice, "1")
    screen = bot.texts_since(mark, alice.id)[-1]
    assert screen.endswith(bot.t("rsvp.deadline_passed"))
    assert bot.buttons(alice.id) == [(f"📎 {bot.t('rsvp.btn.files')}", f"ev:q:{EVENT_ID}")]
    assert await state(bot, alice) is None
    # An answer typed after that screen: the reason again (not the rules Q&A, which offered
    # to send «không» to the office)
    await bot.say(alice, "không tham dự")
    assert bot.last_text(alice.id) == bot.t("rsvp.deadline_passed")
    saved = await row(bot, alice)
    assert saved is not None and saved["seat"] == "confirmed"


async def test_the_qr_code_and_calendar_file_again_after_the_event_moved(
    bot: Harness, clock: Clock, alice: StubUser, admin: StubUser
) -> None:
    """The seat's files again, from the invitation screen (pressed, "4" typed at the answer,
    "mã QR" typed after the deadline): the calendar file has the new time, the same UID (a
    calendar updates its entry); the change notice says how to get it."""
    code, unsure, absent = await setup(bot, people=3)
    await accept(bot, alice, code)
    uid = str(calendar_of(bot, alice)["UID"])
    bob, carol = StubUser(2001, first_name="Bình"), StubUser(2002, first_name="Cúc")
    for person, invitation, answer in ((bob, unsure, "chưa chắc"), (carol, absent, "không")):
        await bot.say(person, f"/start rsvp_{invitation}")
        await bot.say(person, answer)
        assert (await bot.db_value("SELECT answer FROM rsvps WHERE user_id = ?", person.id)) in (
            "maybe",
            "no",
        )
    moved = STARTS + timedelta(days=1)
    services = bot.services
    texts = EventNotices(
        services.translator, services.users, default_language="vi", tz=services.settings.tz
    )
    notify = services.broadcasts.notices(texts.moved)
    await services.events.save(make_event(starts_at=moved), notify=notify)
    notice = (await bot.db_value("SELECT text FROM outbox WHERE user_id = ?", alice.id)) or ""
    assert bot.t("events.changed_files") in notice
    # «Chưa chắc» is told too (the new time may settle it), and how to answer; «không» is not.
    notice = (await bot.db_value("SELECT text FROM outbox WHERE user_id = ?", bob.id)) or ""
    assert html.escape(TITLE, quote=False) in notice
    assert moved.astimezone(services.settings.tz).strftime("%H:%M %d/%m/%Y") in notice
    assert bot.t("events.changed_maybe") in notice
    assert await bot.db_value("SELECT count(*) FROM outbox WHERE user_id = ?", carol.id) == 0
    # What changed, with what it was (qa16: «có thay đổi» said nothing of which); the
    # place did not change and says so.
    local = services.settings.tz
    assert (
        bot.t(
            "events.changed_when",
            when=moved.astimezone(local).strftime("%H:%M %d/%m/%Y") + " (4 giờ)",
            old=STARTS.astimezone(local).strftime("%H:%M %d/%m/%Y") + " (4 giờ)",
        )
        in notice
    )
    assert bot.t("events.same_place", place="Hội trường Sở, Số 1 đường Chùa Chuông") in notice
    await services.events.save(make_event(starts_at=moved, venue="Phòng họp tầng 3"), notify=notify)
    notice = await bot.db_value(
        "SELECT text FROM outbox WHERE user_id = ? ORDER BY id DESC LIMIT 1", bob.id
    )
    assert bot.t(
        "events.changed_place",
        place="Phòng họp tầng 3, Số 1 đường Chùa Chuông",
        old="Hội trường Sở, Số 1 đường Chùa Chuông",
    ) in (notice or "")
    same = moved.astimezone(local).strftime("%H:%M %d/%m/%Y") + " (4 giờ)"
    assert bot.t("events.same_when", when=same) in (notice or "")

    await bot.say(alice, "/my_events")
    await bot.say(alice, "1")
    assert (f"📎 {bot.t('rsvp.btn.files')}", f"ev:q:{EVENT_ID}") in bot.buttons(alice.id)
    documents = len(bot.stub.sent(alice.id, "sendDocument"))
    edits = len(bot.stub.sent(alice.id, "editMessageReplyMarkup"))
    await bot.press(alice, f"ev:q:{EVENT_ID}")
    assert len(bot.stub.sent(alice.id, "sendDocument")) == documents + 1
    assert len(bot.stub.sent(alice.id, "editMessageReplyMarkup")) == edits  # buttons stay
    event = calendar_of(bot, alice)
    assert event.decoded("DTSTART") == moved and str(event["UID"]) == uid
    saved = await row(bot, alice)
    assert saved is not None
    photo = bot.stub.sent(alice.id, "sendPhoto")[-1]
    assert photo.params["caption"] == bot.t("rsvp.qr_caption", code=saved["checkin_code"])
    assert await state(bot, alice) == "answer" and saved["seat"] == "confirmed"

    await bot.say(alice, "4")  # the 4th button, typed at the answer step
    assert len(bot.stub.sent(alice.id, "sendDocument")) == documents + 2
    assert await state(bot, alice) == "answer"
    assert (await row(bot, alice)) == saved  # nothing answered

    clock.now = DEADLINE + timedelta(minutes=1)
    await bot.say(alice, "/my_events")
    await bot.say(alice, "1")
    await bot.say(alice, "mã QR")  # typed after the screen without answer buttons
    assert len(bot.stub.sent(alice.id, "sendDocument")) == documents + 3
    await bot.say(alice, "/my_events")
    await bot.say(alice, "1")
    await bot.say(alice, "calendar file")  # the button's words, in English
    assert len(bot.stub.sent(alice.id, "sendDocument")) == documents + 4
    await bot.say(alice, "/hoi")  # in another flow (asked for a question): it still works
    assert await bot.state(alice, "ask") is not None
    await bot.press(alice, f"ev:q:{EVENT_ID}")
    assert len(bot.stub.sent(alice.id, "sendDocument")) == documents + 5
    assert await bot.state(alice, "ask") is not None


async def test_no_files_without_a_seat(bot: Harness, clock: Clock, alice: StubUser) -> None:
    (code,) = await setup(bot)
    await bot.say(alice, f"/start rsvp_{code}")
    await bot.say(alice, "không")
    await bot.say(alice, "/my_events")
    await bot.say(alice, "1")
    assert not [d for _, d in bot.buttons(alice.id) if d.startswith("ev:q:")]
    await bot.say(alice, "4")  # not a button here: which words are answers
    assert bot.t("rsvp.answer_hint") in bot.texts(alice.id)
    await bot.press(alice, f"ev:q:{EVENT_ID}")  # an old screen's button, the seat given up
    assert bot.last_text(alice.id) == bot.t("rsvp.files_no_seat", title=TITLE)
    assert not bot.stub.sent(alice.id, "sendDocument")


async def test_after_checking_in_the_answer_is_final(
    bot: Harness, clock: Clock, alice: StubUser, admin: StubUser
) -> None:
    (code,) = await setup(bot, rsvp_deadline=STARTS - timedelta(minutes=10))
    await accept(bot, alice, code)
    await bot.say(alice, "/my_events")
    await bot.say(alice, "1")
    old_screen = bot.last_keyboard_message(alice.id)
    await bot.say(alice, "/cancel")
    clock.now = STARTS - timedelta(minutes=30)
    bot.services.events.clock = clock
    saved = await row(bot, alice)
    assert saved is not None
    await bot.say(admin, f"/checkin {saved['checkin_code']}")
    assert bot.t("checkin.ok", name="Nguyễn Văn An") in bot.last_text(admin.id)

    await bot.press(alice, data_of(bot, alice, f"ev:a:{EVENT_ID}:n:"), message=old_screen)
    assert bot.last_text(alice.id) == bot.t("rsvp.checked_in_final")
    after = await row(bot, alice)
    assert after is not None and (after["answer"], after["seat"]) == ("yes", "confirmed")
    await bot.say(alice, "/my_events")
    await bot.say(alice, "1")
    assert bot.last_text(alice.id).endswith(bot.t("rsvp.checked_in_final"))
    assert bot.buttons(alice.id) == [(f"📎 {bot.t('rsvp.btn.files')}", f"ev:q:{EVENT_ID}")]
    assert await state(bot, alice) is None
    await bot.say(alice, f"/start rsvp_{code}")  # the invitation's link again: the same
    assert bot.last_text(alice.id).endswith(bot.t("rsvp.checked_in_final"))
    assert await state(bot, alice) is None


# --- bad codes, stale buttons ------------------------------------------------------------------


async def test_bad_codes_change_nothing(
    bot: Harness, clock: Clock, alice: StubUser, bob: StubUser
) -> None:
    (code,) = await setup(bot)
    await bot.say(alice, "/start rsvp_abc")  # malformed: a broken link
    assert bot.last_text(alice.id) == bot.t("link.invalid")
    await bot.say(alice, "/start rsvp_ABCD2345")  # well formed, unknown
    assert bot.last_text(alice.id) == bot.t("rsvp.code_unknown")
    assert await state(bot, alice) is None
    await bot.say(alice, f"/start rsvp_{code.lower()}")  # the first account to open it
    await bot.say(alice, "/cancel")
    await bot.say(bob, f"/start rsvp_{code}")
    assert bot.last_text(bob.id) == bot.t("rsvp.code_used", "en")
    assert await bot.state(bob, "rsvp") is None
    invitee = await bot.db_row("SELECT user_id FROM invitees WHERE code = ?", code)
    assert invitee == {"user_id": alice.id}
    clock.now = STARTS + timedelta(hours=5)  # the conference is over
    await bot.say(alice, f"/start rsvp_{code}")
    assert bot.last_text(alice.id) == bot.t("rsvp.code_expired")
    clock.now = NOW
    await bot.services.events.delete(EVENT_ID)
    await bot.say(alice, f"/start rsvp_{code}")
    assert bot.last_text(alice.id) == bot.t("rsvp.event_gone")
    assert await bot.db_value("SELECT count(*) FROM rsvps") == 0


async def test_stale_buttons(bot: Harness, clock: Clock, alice: StubUser) -> None:
    (code,) = await setup(bot)
    await bot.say(alice, f"/start rsvp_{code}")
    old_screen = bot.last_keyboard_message(alice.id)
    yes = data_of(bot, alice, f"ev:a:{EVENT_ID}:y:")
    # The office moves the event: the old screen's answer is refused and the new one shown.
    await bot.services.events.save(make_event(venue="Nhà văn hóa tỉnh"))
    mark = bot.mark()
    await bot.press(alice, yes, message=old_screen)
    texts = bot.texts_since(mark, alice.id)
    assert texts[0] == bot.t("rsvp.changed") and "Nhà văn hóa tỉnh" in texts[1]
    assert await bot.db_value("SELECT count(*) FROM rsvps") == 0
    assert await state(bot, alice) == "answer"
    # A button of a step already passed: refused, the step stays.
    await press_answer(bot, alice, "y")
    details_screen = bot.last_keyboard_message(alice.id)
    await bot.press(alice, "ev:ok")
    await bot.press(alice, "ev:ok", message=details_screen)
    assert bot.stub.sent(None, "answerCallbackQuery")[-1].params["text"] == bot.t("button.stale")
    assert await state(bot, alice) == "note"
    await bot.press(alice, "ev:skip")
    # Outside the flow, the details button again: refused.
    await bot.press(alice, "ev:ok", message=details_screen)
    assert bot.stub.sent(None, "answerCallbackQuery")[-1].params["text"] == bot.t("button.stale")
    # The event deleted since: its buttons say so, nothing changes.
    await bot.say(alice, "/my_events")
    await bot.press(alice, f"ev:o:{EVENT_ID}")
    await bot.services.events.delete(EVENT_ID)
    await press_answer(bot, alice, "n")
    assert bot.last_text(alice.id) == bot.t("rsvp.event_gone")
    saved = await row(bot, alice)
    assert saved is not None and saved["seat"] == "confirmed"


async def test_open_event_listed_and_registration_needed(
    bot: Harness, clock: Clock, alice: StubUser
) -> None:
    from tests.test_flows import register

    await bot.services.events.save(make_event(mode="open", capacity=3))
    await bot.say(alice, "/events")
    listing = bot.last_text(alice.id)
    assert "Hội nghị tuyên dương &lt;điển hình&gt;" in listing
    assert bot.t("rsvp.seats_left", n=3) in listing
    await bot.press(alice, f"ev:o:{EVENT_ID}")
    labels = [label for label, _ in bot.buttons(alice.id)]
    assert labels[0] == "✅ " + bot.t("rsvp.btn.register")
    await press_answer(bot, alice, "y")
    assert bot.last_text(alice.id) == bot.t("rsvp.register_first")
    assert await state(bot, alice) is None
    await register(bot, alice)
    await bot.say(alice, "/events")
    await bot.say(alice, "1")
    await bot.say(alice, "đăng ký dự")
    details = bot.last_text(alice.id)
    assert "Trần Văn Bình" in details and "Chuyên viên" in details  # from the profile
    await bot.press(alice, "ev:ok")
    await bot.press(alice, "ev:skip")
    saved = await row(bot, alice)
    assert saved is not None and saved["seat"] == "confirmed" and saved["invitee_id"] is None


# --- the waiting list, promotions, the office -------------------------------------------------


async def test_waitlist_and_promotion_told_in_english(
    bot: Harness, clock: Clock, alice: StubUser, bob: StubUser
) -> None:
    codes = await setup(bot, people=2, capacity=1, groups=())
    await accept(bot, alice, codes[0])
    mark = bot.mark()
    await accept(bot, bob, codes[1])
    assert bot.texts_since(mark, bob.id)[-1].startswith(
        bot.t("rsvp.waitlisted", "en", title=TITLE, place=1)
    )
    assert not bot.stub.sent(bob.id, "sendPhoto")
    bob_row = await row(bot, bob)
    assert bob_row is not None and bob_row["seat"] == "waitlisted"
    # Alice cannot come after all: Bob gets her seat, and is told in English.
    await bot.say(alice, "/my_events")
    await bot.say(alice, "1")
    mark = bot.mark()
    await bot.say(alice, "không")
    await bot.say(alice, "trả lại chỗ")
    bob_row = await row(bot, bob)
    assert bob_row is not None and bob_row["seat"] == "confirmed"
    await bot.deliver()  # the notice went through the outbox: one message
    (told,) = bot.texts_since(mark, bob.id)
    assert told.startswith(bot.t("rsvp.promoted", "en", title=TITLE) + "\n\n")
    assert f"<code>{bob_row['checkin_code']}</code>" in told and "check-in code" in told
    assert bot.stub.sent(bob.id, "sendPhoto") and bot.stub.sent(bob.id, "sendDocument")
    assert "Check-in code" in str(calendar_of(bot, bob)["DESCRIPTION"])


async def test_a_seat_of_someone_who_erases_their_data_goes_to_the_waiting_list(
    bot: Harness, clock: Clock, alice: StubUser, bob: StubUser
) -> None:
    codes = await setup(bot, people=2, capacity=1, groups=())
    await accept(bot, alice, codes[0])
    await accept(bot, bob, codes[1])
    await bot.say(alice, "/forget_me")
    mark = bot.mark()
    await bot.press(alice, "fg:yes")
    assert await row(bot, alice) is None  # erased
    bob_row = await row(bot, bob)
    assert bob_row is not None and bob_row["seat"] == "confirmed"
    await bot.deliver()
    (told,) = bot.texts_since(mark, bob.id)
    assert told.startswith(bot.t("rsvp.promoted", "en", title=TITLE) + "\n\n")
    assert f"<code>{bob_row['checkin_code']}</code>" in told
    reminders = await bot.db_value(
        "SELECT count(*) FROM reminders WHERE rsvp_id = ?", bob_row["id"]
    )
    assert reminders == 2


async def test_notices_to_someone_who_blocked_the_bot(
    bot: Harness, clock: Clock, bob: StubUser
) -> None:
    (code,) = await setup(bot, groups=())
    await accept(bot, bob, code)
    seated = await bot.services.events.rsvp_of(EVENT_ID, bob.id)
    event = await bot.services.events.get(EVENT_ID)
    assert seated is not None and event is not None
    photos = len(bot.stub.sent(bob.id, "sendPhoto"))
    blocked = (403, "Forbidden: bot was blocked by the user", None)
    # The delivery worker learnt it (a 403): promotions are no longer queued for him, and no
    # QR image nor calendar file follows.
    services = bot.services
    await services.broadcasts.unreachable(
        OutboxRow(id=-1, broadcast_id=-1, user_id=bob.id, attempts=0)
    )
    notify: Notify[list[Rsvp]] = services.broadcasts.notices(
        lambda rsvps: rsvp.promoted_notices(services, event, rsvps)
    )
    async with services.db.transaction() as conn:
        queued = await notify(conn, [seated])
    assert queued.chats == () and queued.left_out == (bob.id,)
    await rsvp.send_promoted_files(
        JobContext(bot),  # type: ignore[arg-type]
        event,
        [seated],
        queued.chats,
    )
    assert len(bot.stub.sent(bob.id, "sendPhoto")) == photos  # told nothing more
    bot.stub.failures["sendPhoto"] = [blocked]
    delivered = await rsvp.send_confirmation(
        JobContext(bot),  # type: ignore[arg-type]
        bob.id,
        "en",
        event,
        seated,
    )
    assert delivered is False
    assert len(bot.stub.sent(bob.id, "sendDocument")) == 2  # the calendar file still went


async def test_office_alerts_at_50_80_and_100_percent(
    bot: Harness, clock: Clock, admin: StubUser
) -> None:
    codes = await setup(bot, people=5, capacity=5, groups=())
    await bot.say(admin, "/help")  # the admin has written to the bot: it may write to them
    people = [StubUser(2000 + i, first_name=f"Người {i}") for i in range(5)]
    alerts: list[str] = []
    for person, code in zip(people, codes, strict=True):
        mark = bot.mark()
        await accept(bot, person, code)
        await bot.deliver()
        alerts += bot.texts_since(mark, ADMIN_ID)
    assert alerts == [
        bot.t("rsvp.office_alert", title=TITLE, confirmed=3, capacity=5, threshold=50),
        bot.t("rsvp.office_alert", title=TITLE, confirmed=4, capacity=5, threshold=80),
        bot.t("rsvp.office_full", title=TITLE, confirmed=5, capacity=5, threshold=100),
    ]


async def test_office_alerts_go_to_the_office_chat(tmp_path: Path, alice: StubUser) -> None:
    harness = await Harness(make_settings(tmp_path, office_chat_id=-100777)).start()
    try:
        harness.services.events.clock = Clock(NOW)
        (code,) = await setup(harness, capacity=2, groups=())
        await accept(harness, alice, code)
        await harness.deliver()  # a group: addressed by its chat id, no user row needed
        assert harness.stub.texts(-100777) == [
            harness.t("rsvp.office_alert", title=TITLE, confirmed=1, capacity=2, threshold=50)
        ]
        assert not harness.stub.texts(ADMIN_ID)
    finally:
        await harness.stop()


# --- reminders -----------------------------------------------------------------------------------


async def test_reminders_sent_once_even_after_a_restart(
    bot: Harness, clock: Clock, alice: StubUser
) -> None:
    (code,) = await setup(bot)
    await accept(bot, alice, code)
    saved = await row(bot, alice)
    assert saved is not None

    def reminders() -> list[str]:
        head = bot.t("rsvp.reminder", title=TITLE, span="x", when="x", place="x", code="x")[:20]
        return [t for t in bot.texts(alice.id) if t.startswith(head)]

    job = JobContext(bot)
    await rsvp.send_reminders(job)  # type: ignore[arg-type]
    assert reminders() == []
    clock.now = STARTS - timedelta(days=1) + timedelta(minutes=1)
    await rsvp.send_reminders(job)  # type: ignore[arg-type]
    await rsvp.send_reminders(job)  # type: ignore[arg-type]
    await bot.deliver()
    assert len(reminders()) == 1
    text = reminders()[0]
    assert "08:00, thứ Sáu, 11/12/2026" in text and "Hội trường Sở" in text
    assert saved["checkin_code"] in text and "/my_events" in text
    assert text.startswith(
        bot.t("rsvp.reminder", title=TITLE, span="1 ngày", when="x", place="x", code="x").split(
            "\n"
        )[0]
    )  # the job ran a minute late: still «1 ngày»
    await bot.restart()  # kill -9: the reminders live in the database
    bot.services.events.clock = clock
    job = JobContext(bot)
    await rsvp.send_reminders(job)  # type: ignore[arg-type]
    await bot.deliver()
    assert len(reminders()) == 1
    clock.now = STARTS - timedelta(minutes=119)
    await rsvp.send_reminders(job)  # type: ignore[arg-type]
    await rsvp.send_reminders(job)  # type: ignore[arg-type]
    await bot.deliver()
    assert len(reminders()) == 2
    assert "2 giờ" in reminders()[-1].split("\n")[0]
    sent = await bot.db_value("SELECT count(*) FROM reminders WHERE sent_at IS NOT NULL")
    assert sent == 2


async def test_a_reminder_is_queued_once_and_survives_a_crash_before_delivery(
    bot: Harness, clock: Clock, alice: StubUser
) -> None:
    (code,) = await setup(bot, reminders=(120,))
    await accept(bot, alice, code)
    head = bot.t("rsvp.reminder", title=TITLE, span="x", when="x", place="x", code="x")[:20]
    assert bot.app is not None and bot.app.broadcaster is not None
    await bot.app.broadcaster.stop()  # nothing is delivered until the restart
    clock.now = STARTS - timedelta(minutes=100)
    job = JobContext(bot)
    # Two runs of the job at once: marking and queueing are one transaction, so one row.
    await asyncio.gather(*(rsvp.send_reminders(job) for _ in range(3)))  # type: ignore[arg-type]
    queued = await bot.db_value(
        "SELECT count(*) FROM outbox o JOIN broadcasts b ON b.id = o.broadcast_id "
        "WHERE b.kind = 'notice' AND o.user_id = ? AND o.status = 'pending'",
        alice.id,
    )
    assert queued == 1
    assert await bot.db_value("SELECT count(*) FROM reminders WHERE sent_at IS NULL") == 0
    assert not [t for t in bot.texts(alice.id) if t.startswith(head)]
    await bot.restart()  # kill -9 after the job, before the worker sent it: it is not lost
    bot.services.events.clock = clock
    await rsvp.send_reminders(JobContext(bot))  # type: ignore[arg-type]
    await bot.deliver()
    assert len([t for t in bot.texts(alice.id) if t.startswith(head)]) == 1


async def test_reminder_in_english_and_network_errors_retried(
    bot: Harness, clock: Clock, bob: StubUser
) -> None:
    (code,) = await setup(bot, reminders=(120,))
    await accept(bot, bob, code)
    clock.now = STARTS - timedelta(minutes=100)
    bot.stub.chat_failures[bob.id] = [(500, "Internal Server Error", None)]
    await rsvp.send_reminders(JobContext(bot))  # type: ignore[arg-type]
    assert await bot.db_value("SELECT count(*) FROM reminders WHERE sent_at IS NULL") == 0
    await bot.deliver()  # the worker retries the 500
    assert bot.last_text(bob.id).startswith("🔔 <b>Event reminder</b>")
    outbox = await bot.db_row("SELECT status, attempts FROM outbox WHERE user_id = ?", bob.id)
    assert outbox == {"status": "sent", "attempts": 2}


# --- many people at once -------------------------------------------------------------------------


async def test_thirty_accept_at_once_for_the_last_five_seats(bot: Harness, clock: Clock) -> None:
    codes = await setup(bot, people=35, capacity=10, groups=())
    people = [StubUser(3000 + i, first_name=f"Người {i}") for i in range(35)]
    for person, code in zip(people[:5], codes[:5], strict=True):
        await accept(bot, person, code)
    for person, code in zip(people[5:], codes[5:], strict=True):
        await bot.say(person, f"/start rsvp_{code}")
        await press_answer(bot, person, "y")
        await bot.press(person, "ev:ok")
        assert await state(bot, person) == "note"
    updates: list[JSON] = [bot.stub.user_message(person, "bỏ qua") for person in people[5:]]
    bot.stub.pending_updates(max(u["update_id"] for u in updates) + 1)
    await asyncio.gather(*(bot.feed(update) for update in updates))
    confirmed = await bot.db_value("SELECT count(*) FROM rsvps WHERE seat = 'confirmed'")
    waitlisted = await bot.db_value("SELECT count(*) FROM rsvps WHERE seat = 'waitlisted'")
    assert (confirmed, waitlisted) == (10, 25)
    assert all([await state(bot, person) is None for person in people])
    photos = sum(len(bot.stub.sent(p.id, "sendPhoto")) for p in people[5:])
    assert photos == 5
    places = sorted(
        int(t.split("<b>")[-1].split("</b>")[0])
        for p in people[5:]
        for t in bot.texts(p.id)
        if t.startswith("🕒")
    )
    assert places == list(range(1, 26))  # every place in line once


async def test_the_privacy_notice_before_a_first_answer_of_someone_not_registered(
    bot: Harness, alice: StubUser, admin: StubUser
) -> None:
    """An invitee who never registered never saw the onboarding's notice (Nghị định 13): the
    invitation says what an answer keeps and how to erase it, until they have answered; a
    registered person is not told again."""
    code, other = await setup(bot, people=2)
    await bot.say(alice, f"/start rsvp_{code}")
    assert bot.t("rsvp.privacy") in bot.last_text(alice.id)
    await bot.say(alice, "không")
    await bot.say(alice, "/my_events")
    await bot.say(alice, "1")
    assert bot.t("rsvp.privacy") not in bot.last_text(alice.id)  # answered: known already
    await register(bot, admin)
    await bot.say(admin, f"/start rsvp_{other}")
    assert bot.t("rsvp.privacy") not in bot.last_text(admin.id)
