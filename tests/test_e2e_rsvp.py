"""End to end: a delegate answers an invitation through the real ``thidua-bot run`` process.

The bot runs as a subprocess talking HTTP to the fake Bot API on 127.0.0.1 (see
``tests/test_e2e.py``, whose fixtures and helpers this reuses). Before it starts, its SQLite file
is prepared with an event and one invitee (the office's import). The delegate opens the
invitation's deep link ``/start rsvp_<code>``, accepts, confirms the details, skips the note,
and receives the check-in code (text and QR image) and the calendar file (.ics, multipart as to
Telegram), which is parsed back. The answer is then read from the bot's SQLite file.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import icalendar

from bot.domain.events import AgendaItem, Event
from bot.i18n import Translator
from bot.services.events import EventService
from bot.services.flows import FlowService, FlowStates
from bot.tg.stub_api import StubUser
from storage import Database
from tests.fake_api_server import FakeBotAPI
from tests.test_e2e import (  # noqa: F401  (fixtures: fake, bots, tr, alice)
    REPLY,
    Bots,
    alice,
    bots,
    db_rows,
    fake,
    press,
    say,
    t,
    tr,
)

TZ = ZoneInfo("Asia/Ho_Chi_Minh")
TITLE = "Hội nghị Tổng kết phong trào thi đua"


def head(tr: Translator, key: str) -> str:  # noqa: F811
    """The message's text up to its first parameter: what any rendering of it contains."""
    return tr.raw("vi", key).split("{", 1)[0]


def the_event() -> Event:
    starts = (datetime.now(TZ) + timedelta(days=10)).replace(
        hour=8, minute=0, second=0, microsecond=0
    )
    return Event(
        id="tong-ket-thi-dua",
        title=TITLE,
        organiser="Sở Khoa học và Công nghệ",
        starts_at=starts,
        duration_minutes=240,
        venue="Hội trường Sở",
        address="tỉnh Hưng Yên",
        rsvp_deadline=starts - timedelta(days=3),
        capacity=60,
        agenda=(AgendaItem(title="Khai mạc Hội nghị", time="08:00"),),
    )


async def prepare(database: Path, event: Event) -> str:
    """What the office does before: the event and one invitee (the bot is not running)."""
    db = Database(database)
    await db.open()  # creates and migrates the file
    try:
        service = EventService(db, FlowService(db, FlowStates()), tz=TZ)
        await service.save(event)
        imported = await service.invite(
            event.id,
            [
                {
                    "full_name": "Nguyễn Thị Lan",
                    "unit": "Văn phòng Sở",
                    "position": "Chánh Văn phòng",
                }
            ],
        )
    finally:
        await db.close()
    return imported.added[0].code


def button_data(fake: FakeBotAPI, chat_id: int, prefix: str) -> str:  # noqa: F811
    """The data of the latest bot button in ``chat_id`` that starts with ``prefix``."""
    with fake.stub._lock:
        messages = sorted(fake.stub.messages.items(), key=lambda kv: kv[0][1], reverse=True)
    for (chat, _), message in messages:
        markup = message.get("reply_markup") or {}
        rows = markup.get("inline_keyboard") or [] if isinstance(markup, dict) else []
        for row in rows:
            for button in row:
                data = str(button.get("callback_data") or "")
                if chat == chat_id and data.startswith(prefix):
                    return data
    raise AssertionError(f"no button {prefix!r} in chat {chat_id}")


def test_invitation_answered_over_http(
    fake: FakeBotAPI,  # noqa: F811
    bots: Bots,  # noqa: F811
    tr: Translator,  # noqa: F811
    alice: StubUser,  # noqa: F811
) -> None:
    event = the_event()
    code = asyncio.run(prepare(bots.database, event))
    process = bots.start()

    # The invitation's deep link (no registration needed).
    _, screen = say(fake, alice, f"/start rsvp_{code}", head(tr, "rsvp.heading_invited"))
    assert TITLE in screen and "Nguyễn Thị Lan" in screen and "Hội trường Sở" in screen
    assert "08:00, " in screen and event.starts_at.strftime("%d/%m/%Y") in screen
    assert "Khai mạc Hội nghị" in screen
    yes = button_data(fake, alice.id, f"ev:a:{event.id}:y:")
    _, details = press(fake, alice, yes, head(tr, "rsvp.details_title"))
    assert "Nguyễn Thị Lan" in details and "Chánh Văn phòng" in details
    press(fake, alice, "ev:ok", head(tr, "rsvp.ask_note"))

    # No note: the seat, with the code, the QR image and the calendar file.
    mark = fake.mark()
    update = fake.press_latest(alice, "ev:skip")
    fake.wait_for_text(alice.id, head(tr, "rsvp.confirmed"), REPLY, since=mark)
    photo = fake.wait_for_call("sendPhoto", REPLY, since=mark)
    document = fake.wait_for_call("sendDocument", REPLY, since=mark)
    fake.wait_confirmed(update["update_id"])

    rows = db_rows(
        bots.database,
        "SELECT answer, seat, full_name, checkin_code FROM rsvps WHERE user_id = ?",
        alice.id,
    )
    assert len(rows) == 1
    assert (rows[0]["answer"], rows[0]["seat"], rows[0]["full_name"]) == (
        "yes",
        "confirmed",
        "Nguyễn Thị Lan",
    )
    checkin = rows[0]["checkin_code"]
    confirmation = next(
        text for text in fake.texts(alice.id, since=mark) if head(tr, "rsvp.confirmed") in text
    )
    assert f"<code>{checkin}</code>" in confirmation

    assert str(photo.params["chat_id"]) == str(alice.id)
    assert photo.params["_bytes"].startswith(b"\x89PNG")
    assert photo.params["caption"] == t(tr, "rsvp.qr_caption", code=checkin)

    assert str(document.params["chat_id"]) == str(alice.id)
    assert document.params["_filename"] == f"{event.id}.ics"
    assert document.params["caption"] == t(tr, "rsvp.ics_caption")
    calendar = icalendar.Calendar.from_ical(document.params["_bytes"])
    vevent = calendar.walk("VEVENT")[0]
    assert str(vevent["SUMMARY"]) == TITLE
    assert vevent.decoded("DTSTART") == event.starts_at
    assert vevent["DTSTART"].params["TZID"] == "Asia/Ho_Chi_Minh"
    assert vevent.decoded("DTEND").astimezone(UTC) == event.ends_at.astimezone(UTC)
    assert str(vevent["LOCATION"]) == "Hội trường Sở, tỉnh Hưng Yên"
    assert checkin in str(vevent["DESCRIPTION"])
    assert len(vevent.walk("VALARM")) == 2

    assert process.stop() == 0, process.output()
    assert "Traceback" not in process.output(), process.output()
    reminders = db_rows(bots.database, "SELECT minutes FROM reminders ORDER BY minutes")
    assert [r["minutes"] for r in reminders] == [120, 1440]
