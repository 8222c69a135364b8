"""The conference door and the office's approvals: ``/checkin`` (one code, and check-in mode
across a restart), ``/rsvp_pending`` (buttons and typed forms, the person told), who may do what.
"""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from telegram.ext import CommandHandler, ConversationHandler

from bot.domain.events import Answer, Event, Group, Rsvp, Seat
from bot.services.container import Services
from bot.services.events import Details
from bot.services.flows import StepRef
from bot.tg.stub_api import StubUser
from handlers import menu
from handlers.checkin import find_code
from tests.harness import Harness

_updates = itertools.count(1)
GROUPS = (
    Group(id="lanh-dao", name="Lãnh đạo UBND tỉnh", reserved=1),
    Group(id="so-khcn", name="Lãnh đạo Sở KH&CN, Văn phòng Sở"),
)
CAROL = StubUser(1003, first_name="Carol", username="carol", language_code="vi")
STICKER = {
    "sticker": {
        "file_id": "s1",
        "file_unique_id": "u1",
        "width": 1,
        "height": 1,
        "is_animated": False,
        "is_video": False,
        "type": "regular",
    }
}


def make_event(
    event_id: str = "hoi-nghi-a", *, days: float = 1, capacity: int = 10, **extra: Any
) -> Event:
    now = datetime.now(UTC)
    values: dict[str, Any] = {
        "id": event_id,
        "title": f"Hội nghị {event_id}",
        "organiser": "Sở KH&CN",
        "starts_at": now + timedelta(days=days),
        "duration_minutes": 240,
        "venue": "Hội trường Sở",
        "rsvp_deadline": now + timedelta(days=days) - timedelta(hours=2),
        "capacity": capacity,
        "mode": "open",
        "groups": GROUPS,
    }
    values.update(extra)
    return Event.model_validate(values)


async def answer(
    services: Services,
    user_id: int,
    event_id: str,
    name: str,
    *,
    unit: str = "Sở Khoa học và Công nghệ",
    group: str | None = "so-khcn",
    note: str = "",
    reply: Answer = Answer.YES,
    language: str | None = "vi",
) -> Rsvp:
    user = await services.users.seen(user_id, name, None, None, language)
    details = Details(full_name=name, unit=unit, position="Chuyên viên", group_id=group, note=note)
    ref = StepRef(next(_updates), (user_id, user_id))
    return (await services.events.answer(ref, user, event_id, reply, details)).rsvp


def conversations_first(bot: Harness) -> bool:
    """Whether ``bot.app`` registers the check-in conversations before the single-step
    ``/cancel`` (and the typed choices of the menu and ``/review``) of group 0."""
    assert bot.app is not None
    handlers = bot.app.handlers[0]
    mine = next(
        i
        for i, h in enumerate(handlers)
        if isinstance(h, ConversationHandler) and h.name == "checkin"
    )
    cancel = next(
        i
        for i, h in enumerate(handlers)
        if isinstance(h, CommandHandler) and h.callback is menu.cancel_outside
    )
    return mine < cancel


def needs_conversations_first(request: pytest.FixtureRequest, bot: Harness) -> None:
    """``/cancel`` and typed numbers inside these conversations reach them only when they are
    registered with the other flows (before the menu's and /review's typed choices)."""
    assert conversations_first(bot), "register checkin.handlers() with the flows in bot/app.py"


def headcount(bot: Harness, done: int, total: int, locale: str = "vi") -> str:
    return bot.t("checkin.headcount", locale, done=done, total=total)


# --- codes ----------------------------------------------------------------------------------------


def test_codes_typed_or_scanned() -> None:
    assert find_code("ABCD2345") == "ABCD2345"
    assert find_code("abcd 2345") == "ABCD2345"
    assert find_code(" abcd-2345 ") == "ABCD2345"
    assert find_code("rsvp_ABCD2345") == "ABCD2345"
    assert find_code("https://t.me/thidua_bot?start=rsvp_abcd2345") == "ABCD2345"
    assert find_code("Mã điểm danh: ABCD 2345") == "ABCD2345"
    assert find_code("xyz") is None
    assert find_code("ABCD0345") is None  # 0 is not in the alphabet
    assert find_code("ABCD2345 EFGH6789") is None  # two codes: which one?


# --- /checkin CODE --------------------------------------------------------------------------------


async def test_admin_checks_a_delegate_in(bot: Harness, admin: StubUser) -> None:
    await bot.services.events.save(make_event())
    first = await answer(bot.services, 501, "hoi-nghi-a", "Nguyễn Văn An", note="Ăn chay")
    await answer(bot.services, 502, "hoi-nghi-a", "Trần Thị Bình")

    await bot.say(admin, f"/checkin {first.checkin_code}")
    assert bot.last_text(admin.id) == "\n".join(
        [
            bot.t("checkin.ok", name="Nguyễn Văn An"),
            bot.t("checkin.unit", unit="Sở Khoa học và Công nghệ"),
            bot.t("checkin.position", position="Chuyên viên"),
            bot.t("checkin.group", group="Lãnh đạo Sở KH&CN, Văn phòng Sở"),
            bot.t("checkin.note", note="Ăn chay"),
            headcount(bot, 1, 2),
        ]
    )
    assert "Đã điểm danh 1/2" in bot.last_text(admin.id)
    row = await bot.db_row("SELECT checked_in_at, checked_in_by FROM rsvps WHERE id = ?", first.id)
    assert row is not None and row["checked_in_by"] == admin.id and row["checked_in_at"]


async def test_double_check_in_gives_the_first_time_and_who(
    bot: Harness, admin: StubUser, alice: StubUser
) -> None:
    await bot.services.events.save(make_event())
    rsvp = await answer(bot.services, 501, "hoi-nghi-a", "Nguyễn Văn An")
    await bot.say(alice, "/help")  # known to the bot
    await bot.say(admin, f"/grant {alice.id} checker")
    await bot.say(alice, f"/checkin {rsvp.checkin_code}")
    at = await bot.db_value("SELECT checked_in_at FROM rsvps WHERE id = ?", rsvp.id)
    local = datetime.fromisoformat(at).astimezone(bot.settings.tz).strftime("%H:%M %d/%m/%Y")

    await bot.say(admin, f"/checkin {rsvp.checkin_code.lower()}")
    text = bot.last_text(admin.id)
    assert text.startswith(
        bot.t("checkin.already_by", name="Nguyễn Văn An", time=local, checker="Lan Nguyễn")
    )
    assert text.endswith(headcount(bot, 1, 1))
    assert await bot.db_value("SELECT checked_in_by FROM rsvps WHERE id = ?", rsvp.id) == alice.id


async def test_a_granted_checker_checks_in_staff_are_refused(
    bot: Harness, admin: StubUser, alice: StubUser, bob: StubUser
) -> None:
    await bot.services.events.save(make_event())
    rsvp = await answer(bot.services, 501, "hoi-nghi-a", "Nguyễn Văn An")

    await bot.say(alice, f"/checkin {rsvp.checkin_code}")
    assert bot.last_text(alice.id) == bot.t("checkin.denied")
    await bot.say(alice, "/checkin")
    assert bot.last_text(alice.id) == bot.t("checkin.denied")
    assert await bot.state(alice, "checkin") is None
    assert await bot.db_value("SELECT checked_in_at FROM rsvps WHERE id = ?", rsvp.id) is None

    await bot.say(admin, f"/grant {alice.id} checker")
    assert bot.last_text(admin.id) == bot.t(
        "admin.granted", who="Lan Nguyễn", role=bot.t("role.checker")
    )
    await bot.say(alice, f"/checkin {rsvp.checkin_code}")
    assert bot.last_text(alice.id).startswith(bot.t("checkin.ok", name="Nguyễn Văn An"))

    await bot.say(bob, f"/checkin {rsvp.checkin_code}")
    assert bot.last_text(bob.id) == bot.t("checkin.denied", "en")

    # Help: the checker's part for a checker who is not an admin, not for staff.
    await bot.say(alice, "/help")
    assert bot.t("help.checker") in bot.last_text(alice.id)
    assert bot.t("help.admin") not in bot.last_text(alice.id)
    await bot.say(bob, "/help")
    assert bot.t("help.checker", "en") not in bot.last_text(bob.id)
    await bot.say(admin, "/help")
    assert "/rsvp_stats" in bot.last_text(admin.id)


async def test_wrong_codes_are_explained(bot: Harness, admin: StubUser) -> None:
    events = bot.services.events
    await events.save(make_event(capacity=1, groups=()))
    await events.save(make_event("hoi-nghi-b", days=30))
    seated = await answer(bot.services, 501, "hoi-nghi-a", "Nguyễn Văn An", group=None)
    waiting = await answer(bot.services, 502, "hoi-nghi-a", "Trần Thị Bình", group=None)
    assert waiting.seat is Seat.WAITLISTED
    elsewhere = await answer(bot.services, 503, "hoi-nghi-b", "Lê Văn Cường")
    await bot.say(admin, "/checkin")  # two events: which one?
    await bot.press(admin, "ci:hoi-nghi-a")
    assert await bot.state(admin, "checkin") == "code"

    await bot.say(admin, "xyz")
    assert bot.last_text(admin.id) == bot.t("checkin.code_invalid")
    await bot.say(admin, "ABCDEFGH")
    assert bot.last_text(admin.id) == bot.t(
        "checkin.code_unknown", code="ABCDEFGH", title="Hội nghị hoi-nghi-a"
    )
    await bot.say(admin, elsewhere.checkin_code)
    assert bot.last_text(admin.id) == bot.t(
        "checkin.other_event",
        code=elsewhere.checkin_code,
        title="Hội nghị hoi-nghi-b",
        name="Lê Văn Cường",
    )
    await bot.say(admin, waiting.checkin_code)
    assert bot.last_text(admin.id) == bot.t("checkin.waitlisted", name="Trần Thị Bình")
    # No seat: the actual reason, not the list of every possible one.
    for user_id, name, reply, key in (
        (504, "Đỗ Văn Dũng", Answer.NO, "checkin.answered_no"),
        (505, "Vũ Thị Hà", Answer.MAYBE, "checkin.answered_maybe"),
    ):
        without = await answer(bot.services, user_id, "hoi-nghi-a", name, group=None, reply=reply)
        await bot.say(admin, without.checkin_code)
        assert bot.last_text(admin.id) == bot.t(key, name=name)
    await bot.say(admin, f"{seated.checkin_code[:4].lower()} {seated.checkin_code[4:].lower()}")
    assert bot.last_text(admin.id).startswith(bot.t("checkin.ok", name="Nguyễn Văn An"))
    checked = "SELECT count(*) FROM rsvps WHERE checked_in_at IS NOT NULL"
    assert await bot.db_value(checked) == 1
    assert await bot.state(admin, "checkin") == "code"  # errors never leave the mode


async def test_the_invitation_code_works_at_the_door(bot: Harness, admin: StubUser) -> None:
    events = bot.services.events
    await events.save(make_event(mode="invitation", groups=()))
    imported = await events.invite(
        "hoi-nghi-a",
        [
            {"full_name": "Phạm Thị Dung", "unit": "UBND huyện"},
            {"full_name": "Hoàng Văn Em", "unit": "Sở Nội vụ"},
        ],
    )
    dung, em = imported.added
    user = await bot.services.users.seen(601, "Dung", None, None, "vi")
    await events.redeem(StepRef(next(_updates), (601, 601)), user, dung.code)
    await events.answer(StepRef(next(_updates), (601, 601)), user, "hoi-nghi-a", Answer.YES)
    # The QR of the invitation (its deep link), scanned at the door.
    await bot.say(admin, f"/checkin https://t.me/thidua_local_bot?start=rsvp_{dung.code}")
    assert bot.last_text(admin.id).startswith(bot.t("checkin.ok", name="Phạm Thị Dung"))
    await bot.say(admin, f"/checkin {em.code}")  # invited, never answered
    assert bot.last_text(admin.id) == bot.t("checkin.not_answered", name="Hoàng Văn Em")


async def test_check_in_opens_a_day_before_the_start(bot: Harness, admin: StubUser) -> None:
    event = make_event(days=5)
    await bot.services.events.save(event)
    early = await answer(bot.services, 501, "hoi-nghi-a", "Nguyễn Văn An")
    await bot.say(admin, f"/checkin {early.checkin_code}")
    opens = (event.starts_at - timedelta(days=1)).astimezone(bot.settings.tz)
    said = bot.last_text(admin.id)
    assert said.startswith(bot.t("checkin.not_open", title=event.title, opens="X")[:40])
    assert opens.strftime("%H:%M") in said and opens.strftime("%d/%m/%Y") in said
    assert await bot.db_value("SELECT checked_in_at FROM rsvps WHERE id = ?", early.id) is None


async def test_no_event_to_check_in(bot: Harness, admin: StubUser) -> None:
    await bot.say(admin, "/checkin")  # only the shipped event, long past
    assert bot.last_text(admin.id) == bot.t("checkin.no_event")
    assert await bot.state(admin, "checkin") is None


# --- check-in mode --------------------------------------------------------------------------------


async def test_check_in_mode_survives_a_restart_and_xong_leaves(
    bot: Harness, admin: StubUser
) -> None:
    events = bot.services.events
    await events.save(make_event())
    await events.save(make_event("hoi-nghi-b", days=3))
    first = await answer(bot.services, 501, "hoi-nghi-a", "Nguyễn Văn An")
    second = await answer(bot.services, 502, "hoi-nghi-a", "Trần Thị Bình", group="lanh-dao")
    await answer(bot.services, 503, "hoi-nghi-a", "Lê Văn Cường")

    await bot.say(admin, "/checkin")
    assert bot.last_text(admin.id).startswith(bot.t("checkin.pick"))
    assert [data for _, data in bot.buttons(admin.id)] == ["ci:hoi-nghi-a", "ci:hoi-nghi-b"]
    assert await bot.state(admin, "checkin") == "pick"
    await bot.press(admin, "ci:hoi-nghi-a")
    assert bot.last_text(admin.id) == bot.t(
        "checkin.mode", title="Hội nghị hoi-nghi-a", done=0, total=3
    )
    await bot.say(admin, first.checkin_code)
    assert bot.last_text(admin.id).endswith(headcount(bot, 1, 3))

    await bot.restart()
    assert await bot.state(admin, "checkin") == "code"
    await bot.say(admin, f"rsvp_{second.checkin_code.lower()}")  # a scanned QR text
    text = bot.last_text(admin.id)
    assert text.startswith(bot.t("checkin.ok", name="Trần Thị Bình"))
    assert bot.t("checkin.group", group="Lãnh đạo UBND tỉnh") in text
    assert text.endswith("Đã điểm danh 2/3")

    await bot.send_raw(admin, STICKER)  # not a code: a hint, the mode stays
    assert bot.last_text(admin.id) == bot.t("checkin.expect_code")
    assert await bot.state(admin, "checkin") == "code"

    mark = bot.mark()
    await bot.say(admin, "/xong")
    assert bot.texts_since(mark, admin.id) == [
        bot.t("checkin.summary", title="Hội nghị hoi-nghi-a", done=2, total=3),
        bot.t("checkin.finished"),
    ]
    assert await bot.state(admin, "checkin") is None
    await bot.say(admin, "/xong")  # outside the mode: nothing to finish
    assert bot.last_text(admin.id) == bot.t("flow.nothing_to_finish")


async def test_a_delegate_without_their_code_is_found_by_name(
    bot: Harness, admin: StubUser
) -> None:
    """qa16 #3: at the door, a name typed instead of a code lists who it may be (with the
    unit, to tell namesakes apart); the button or the typed number checks that one in; a
    delegate without a seat is listed, not checked in."""
    await bot.services.events.save(make_event(capacity=3))
    await answer(bot.services, 501, "hoi-nghi-a", "Phạm Thị Dung")
    await answer(bot.services, 502, "hoi-nghi-a", "Phạm Thị Dung", unit="UBND huyện Kim Động")
    await answer(bot.services, 503, "hoi-nghi-a", "Hoàng Văn Em", reply=Answer.NO)
    await bot.say(admin, "/checkin")
    assert await bot.state(admin, "checkin") == "code"
    await bot.say(admin, "pham thi dung")
    listing = bot.last_text(admin.id)
    assert listing.startswith(bot.t("checkin.name_found", count=2))
    assert "Sở Khoa học và Công nghệ" in listing and "UBND huyện Kim Động" in listing
    assert len(bot.buttons(admin.id)) == 2
    await bot.say(admin, "2")  # the typed number: the one from Kim Động
    text = bot.last_text(admin.id)
    assert text.startswith(bot.t("checkin.ok", name="Phạm Thị Dung"))
    assert bot.t("checkin.unit", unit="UBND huyện Kim Động") in text
    await bot.say(admin, "Phạm Dung")  # first and last name only: still found
    again = bot.last_text(admin.id)
    assert bot.t("checkin.name_checked", time="").strip() in again  # the one from Kim Động
    assert len(bot.buttons(admin.id)) == 1  # only the other one can still be checked in
    first = next(d for _, d in bot.buttons(admin.id))
    await bot.press(admin, first)
    assert bot.last_text(admin.id).endswith(headcount(bot, 2, 2))
    await bot.say(admin, "Hoang Van Em")  # declined: listed, no button
    assert bot.t("checkin.name_no_seat") in bot.last_text(admin.id)
    await bot.say(admin, "Nguyen Van Khong Co")
    assert bot.last_text(admin.id) == bot.t(
        "checkin.name_none", name="Nguyen Van Khong Co", title="Hội nghị hoi-nghi-a"
    )
    assert await bot.state(admin, "checkin") == "code"


async def test_check_in_mode_with_one_event_and_a_revoked_role(
    bot: Harness, admin: StubUser, alice: StubUser
) -> None:
    await bot.services.events.save(make_event())
    rsvp = await answer(bot.services, 501, "hoi-nghi-a", "Nguyễn Văn An")
    await bot.say(alice, "/help")
    await bot.say(admin, f"/grant {alice.id} checker")
    await bot.say(alice, "/checkin")  # one event: no question
    assert bot.last_text(alice.id) == bot.t(
        "checkin.mode", title="Hội nghị hoi-nghi-a", done=0, total=1
    )
    await bot.say(alice, "/checkin")  # inside the mode: the mode again
    assert bot.last_text(alice.id).startswith("📋")
    await bot.say(admin, f"/revoke {alice.id} checker")
    await bot.say(alice, rsvp.checkin_code)
    assert bot.last_text(alice.id) == bot.t("checkin.denied")
    assert await bot.state(alice, "checkin") is None
    assert await bot.db_value("SELECT checked_in_at FROM rsvps WHERE id = ?", rsvp.id) is None


async def test_check_in_mode_typed_number_and_cancel(
    request: pytest.FixtureRequest, bot: Harness, admin: StubUser
) -> None:
    needs_conversations_first(request, bot)
    events = bot.services.events
    await events.save(make_event(days=0.25))
    await events.save(make_event("hoi-nghi-b", days=0.5))  # later today: check-in is open
    rsvp = await answer(bot.services, 501, "hoi-nghi-b", "Nguyễn Văn An")
    await bot.say(admin, "/checkin")
    await bot.say(admin, "2")  # the second event, typed
    assert bot.last_text(admin.id) == bot.t(
        "checkin.mode", title="Hội nghị hoi-nghi-b", done=0, total=1
    )
    await bot.say(admin, rsvp.checkin_code)
    assert bot.last_text(admin.id).endswith(headcount(bot, 1, 1))
    mark = bot.mark()
    await bot.say(admin, "hủy")  # as /cancel (never «Không đọc được mã»)
    assert bot.texts_since(mark, admin.id) == [
        bot.t("checkin.summary", title="Hội nghị hoi-nghi-b", done=1, total=1),
        bot.t("checkin.finished"),
    ]
    assert await bot.state(admin, "checkin") is None


# --- /rsvp_pending --------------------------------------------------------------------------------


async def ask_for_seats(bot: Harness, *people: StubUser) -> list[Rsvp]:
    await bot.services.events.save(make_event(approval=True, capacity=1, groups=()))
    rows = []
    for person in people:
        await bot.say(person, "/help")  # known to the bot, with their language
        rows.append(
            await answer(
                bot.services,
                person.id,
                "hoi-nghi-a",
                person.first_name,
                group=None,
                language=person.language_code,
            )
        )
    assert all(r.seat is Seat.PENDING for r in rows)
    return rows


async def test_pending_requests_approved_and_declined_with_buttons_and_words(
    bot: Harness, admin: StubUser, alice: StubUser, bob: StubUser
) -> None:
    bob_request, alice_request, carol_request = await ask_for_seats(bot, bob, alice, CAROL)
    await bot.say(admin, "/rsvp_pending")
    text = bot.last_text(admin.id)
    assert text.startswith(bot.t("stats.pending_list", title="Hội nghị hoi-nghi-a", count=3))
    assert "1. <b>Bob</b>" in text and "2. <b>Lan</b>" in text and "3. <b>Carol</b>" in text
    assert bot.buttons(admin.id)[:2] == [
        ("✅ Duyệt 1", f"rp:y:{bob_request.id}"),
        ("❌ Từ chối 1", f"rp:n:{bob_request.id}"),
    ]
    assert await bot.state(admin, "rsvp_office") == "pending"

    mark = bot.mark()
    await bot.press(admin, f"rp:y:{bob_request.id}")  # the only seat
    await bot.deliver()  # the notices were queued with the decision
    said = bot.texts_since(mark, admin.id)
    assert said[0] == "\n".join(
        [bot.t("stats.approved_confirmed", name="Bob"), bot.t("stats.notice_queued")]
    )
    full = bot.t(  # every admin is told when the event is full (by the worker: at any moment)
        "rsvp.office_full", title="Hội nghị hoi-nghi-a", confirmed=1, capacity=1, threshold=100
    )
    assert said.count(full) == 1
    (listing,) = [text for text in said[1:] if text != full]
    assert listing.startswith(bot.t("stats.pending_list", title="Hội nghị hoi-nghi-a", count=2))
    # Bob is told in English, with his check-in code (and its QR image and calendar file).
    (told,) = bot.texts_since(mark, bob.id)
    assert told.startswith(bot.t("stats.notify_confirmed", "en", title="Hội nghị hoi-nghi-a"))
    seated = await bot.services.events.rsvp_of("hoi-nghi-a", bob.id)
    assert seated is not None and seated.seat is Seat.CONFIRMED
    assert seated.checkin_code in told
    assert bot.stub.sent(bob.id, "sendPhoto")

    # The numbers stay those of the list the office reads (qa16 #9): Lan is still 2.
    assert "1. <b>Bob</b>" not in listing and "2. <b>Lan</b>" in listing
    assert "3. <b>Carol</b>" in listing
    await bot.say(admin, "duyệt 1")  # Bob: decided already
    assert bot.last_text(admin.id) == bot.t("rsvp.not_pending")
    await bot.say(admin, "dạ từ chối người số 2 ạ")  # Lan
    assert bot.texts_since(mark, admin.id)[-2].startswith(bot.t("stats.declined", name="Lan"))
    await bot.deliver()
    assert bot.last_text(alice.id) == bot.t("stats.notify_declined", title="Hội nghị hoi-nghi-a")
    declined = await bot.services.events.rsvp_of("hoi-nghi-a", alice.id)
    assert declined is not None and declined.seat is Seat.NONE

    await bot.say(admin, "duyệt 3")  # Carol: no seat left, the waiting list
    assert bot.texts_since(mark, admin.id)[-2].startswith(
        bot.t("stats.approved_waitlisted", name="Carol")
    )
    await bot.deliver()
    assert bot.texts_since(mark, CAROL.id)[0].startswith(
        bot.t("stats.notify_waitlisted", title="Hội nghị hoi-nghi-a")
    )
    assert bot.last_text(admin.id) == bot.t("stats.pending_none", title="Hội nghị hoi-nghi-a")
    assert await bot.state(admin, "rsvp_office") is None
    assert carol_request.id != alice_request.id


async def test_pending_request_by_its_number_then_the_choice(
    request: pytest.FixtureRequest, bot: Harness, admin: StubUser, alice: StubUser, bob: StubUser
) -> None:
    needs_conversations_first(request, bot)
    await ask_for_seats(bot, bob, alice)
    await bot.say(admin, "/rsvp_pending")
    await bot.say(admin, "2")
    assert bot.last_text(admin.id) == bot.t("stats.pending_ask", number=2, name="Lan")
    assert await bot.state(admin, "rsvp_office") == "decide"
    await bot.say(admin, "từ chối")
    await bot.deliver()
    assert bot.last_text(alice.id) == bot.t("stats.notify_declined", title="Hội nghị hoi-nghi-a")
    assert await bot.state(admin, "rsvp_office") == "pending"
    await bot.say(admin, "9")
    assert bot.last_text(admin.id) == bot.t(
        "stats.pending_range", numbers=bot.t("pick.one", n=1), example=1
    )  # not "1 to 1", nor «duyệt 2» with one request left
    await bot.say(admin, "2")  # Lan's number, decided
    assert bot.last_text(admin.id) == bot.t("rsvp.not_pending")
    await bot.say(admin, "/xong")
    assert bot.last_text(admin.id) == bot.t("stats.pending_done")
    assert await bot.state(admin, "rsvp_office") is None


async def test_an_older_list_button_still_decides(
    bot: Harness, admin: StubUser, alice: StubUser, bob: StubUser
) -> None:
    bob_request, alice_request = await ask_for_seats(bot, bob, alice)
    await bot.say(admin, "/rsvp_pending")
    listing = bot.last_keyboard_message(admin.id)
    await bot.say(admin, "/xong")
    assert await bot.state(admin, "rsvp_office") is None
    await bot.press(admin, f"rp:n:{alice_request.id}", message=listing)
    assert bot.texts(admin.id)[-2].startswith(bot.t("stats.declined", name="Lan"))
    assert bot.last_text(admin.id) == bot.t("stats.pending_left", count=1, event_id="hoi-nghi-a")
    await bot.press(admin, f"rp:n:{alice_request.id}", message=listing)  # decided already
    assert bot.last_text(admin.id) == bot.t("rsvp.not_pending")
    assert bob_request.seat is Seat.PENDING


async def test_pending_without_approval_events(bot: Harness, admin: StubUser) -> None:
    await bot.services.events.save(make_event())
    await bot.say(admin, "/rsvp_pending")
    assert bot.last_text(admin.id) == bot.t("stats.pending_no_events")
    await bot.say(admin, "/rsvp_pending hoi-nghi-a")
    assert bot.last_text(admin.id) == bot.t(
        "stats.pending_not_approval", title="Hội nghị hoi-nghi-a"
    )
    await bot.say(admin, "/rsvp_pending khong-co")
    assert bot.last_text(admin.id) == bot.t("stats.event_unknown", event_id="khong-co")


# --- who may do what ------------------------------------------------------------------------------


async def test_non_admins_are_refused_everything(
    bot: Harness, admin: StubUser, alice: StubUser, bob: StubUser
) -> None:
    bob_request, _ = await ask_for_seats(bot, bob, alice)
    await bot.say(admin, f"/grant {alice.id} checker")  # a checker is no admin
    for person, locale in ((alice, "vi"), (bob, "en")):
        for command in ("/rsvp_pending", "/rsvp_stats", "/export_rsvp", "/rsvp_stats hoi-nghi-a"):
            await bot.say(person, command)
            assert bot.last_text(person.id) == bot.t("rsvp.denied", locale), command
        assert await bot.state(person, "rsvp_office") is None
    await bot.say(admin, "/rsvp_pending")
    listing = bot.last_keyboard_message(admin.id)
    before = len(bot.stub.sent(alice.id, "answerCallbackQuery"))
    await bot.press(alice, f"rp:y:{bob_request.id}", message=listing)
    await bot.press(alice, "rs:s:hoi-nghi-a", message=listing)
    answers = bot.stub.sent(None, "answerCallbackQuery")[-2:]
    assert [a.params.get("text") for a in answers] == [bot.t("rsvp.denied")] * 2
    assert before == 0
    still = await bot.services.events.rsvp_of("hoi-nghi-a", bob.id)
    assert still is not None and still.seat is Seat.PENDING
    assert not bot.stub.sent(alice.id, "sendPhoto") and not bot.stub.sent(alice.id, "sendDocument")


@pytest.mark.parametrize(
    ("typed", "decision"),
    [
        ("duyệt 2", (True, 2)),
        ("từ chối số 1", (False, 1)),
        ("từ chối người số 1", (False, 1)),
        ("dạ duyệt 2 ạ", (True, 2)),
        ("2 duyệt", (True, 2)),
        ("duyệt", None),
    ],
)
def test_typed_decisions(typed: str, decision: tuple[bool, int] | None) -> None:
    from handlers.checkin import _typed_decision

    assert _typed_decision(typed) == decision


@pytest.mark.parametrize(
    ("typed", "done"), [("xong", True), ("xong rồi", True), ("dạ xong ạ", True)]
)
def test_done_words(typed: str, done: bool) -> None:
    from handlers.checkin import _done

    assert _done(typed) is done
