"""Composing announcements in the chat: /broadcast (content with its formatting as safe HTML, a
photo or a file with a caption; every audience; essential or not; the preview; send now,
schedule, cancel), /broadcasts (figures, details, cancel, failures as .xlsx), /settings (muting),
non-admins refused, typed numbers and labels, a restart in the middle.

Through the real application and the Bot API stand-in. The delivery worker is replaced by a
recorder of its ``wake()`` calls (the rows stay as queued, so the tests see them), except in the
last test, where the real worker delivers the announcement."""

from __future__ import annotations

import io
import itertools
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from openpyxl import load_workbook
from telegram import Chat, Message, MessageEntity
from telegram.ext import ConversationHandler

from bot.domain.broadcasts import RowStatus
from bot.domain.events import Answer, Event
from bot.i18n import Safe
from bot.services.flows import StepRef
from bot.tg.commands import command_list
from bot.tg.stub_api import JSON, StubUser
from handlers import ask, menu, review
from handlers.broadcast import DRAFT, parse_ids, text_html
from storage import users as user_sql
from tests.harness import ADMIN_ID, Harness
from tests.initiative_fixtures import register, submit_initiative

TZ = ZoneInfo("Asia/Ho_Chi_Minh")
FLOW = "broadcast"
EVENT_ID = "hop-bao-2026"
_steps = itertools.count(-7_000_000, -1)  # update ids of steps made outside the chat


class Waker:
    """Stands in for the delivery worker: counts ``wake()`` calls, sends nothing."""

    def __init__(self) -> None:
        self.wakes = 0

    def wake(self) -> None:
        self.wakes += 1

    async def stop(self) -> None:
        return None

    async def abandon(self) -> None:
        return None


async def quiet(bot: Harness) -> Waker:
    assert bot.app is not None
    worker = getattr(bot.app, "broadcaster", None)
    if worker is not None:
        await worker.stop()
    waker = Waker()
    bot.app.broadcaster = waker
    return waker


def utf16(text: str, part: str) -> tuple[int, int]:
    """Offset and length of ``part`` in ``text`` as Telegram counts them (UTF-16 units)."""
    start = text.index(part)
    return len(text[:start].encode("utf-16-le")) // 2, len(part.encode("utf-16-le")) // 2


def entity(text: str, part: str, kind: str, **extra: Any) -> JSON:
    offset, length = utf16(text, part)
    return {"type": kind, "offset": offset, "length": length, **extra}


def carol() -> StubUser:
    return StubUser(1003, first_name="Carol", language_code="vi")


async def people(bot: Harness, alice: StubUser, bob: StubUser, admin: StubUser) -> StubUser:
    """alice and carol in Văn phòng Sở, bob in Thanh tra Sở; the admin has written once."""
    third = carol()
    await register(bot, alice, "Nguyễn Thị Lan", 0)
    await register(bot, bob, "Trần Văn Bình", 1)
    await register(bot, third, "Lê Thị Hoa", 0)
    await bot.say(admin, "/menu")
    return third


async def compose(bot: Harness, admin: StubUser, text: str = "Họp giao ban lúc 14:00.") -> None:
    await bot.say(admin, "/broadcast")
    assert await bot.state(admin, FLOW) == "content"
    await bot.say(admin, text)
    assert await bot.state(admin, FLOW) == "audience"


async def outbox(bot: Harness, broadcast_id: int) -> list[int]:
    async with (
        bot.services.db.read() as conn,
        conn.execute(
            "SELECT user_id FROM outbox WHERE broadcast_id = ? ORDER BY user_id", (broadcast_id,)
        ) as cur,
    ):
        return [int(row[0]) for row in await cur.fetchall()]


async def last_broadcast_id(bot: Harness) -> int:
    return int(await bot.db_value("SELECT max(id) FROM broadcasts"))


def summary_count(bot: Harness, admin: StubUser, count: int) -> bool:
    return bot.t("broadcast.preview_count", count=count) in bot.last_text(admin.id)


def make_event() -> Event:
    day = datetime.now(TZ).date() + timedelta(days=30)
    starts = datetime(day.year, day.month, day.day, 8, 0, tzinfo=TZ)
    return Event.model_validate(
        {
            "id": EVENT_ID,
            "title": "Họp báo <Chuyển đổi số> 2026",
            "organiser": "Sở Khoa học và Công nghệ",
            "starts_at": starts,
            "duration_minutes": 120,
            "venue": "Hội trường Sở",
            "rsvp_deadline": starts - timedelta(days=2),
            "capacity": 1,
            "mode": "open",
        }
    )


@pytest.fixture
async def waker(bot: Harness) -> Waker:
    return await quiet(bot)


# --- registration and menus -------------------------------------------------------------------


def test_the_conversation_is_among_the_flows_and_the_commands_in_the_menus(bot: Harness) -> None:
    assert bot.app is not None
    group = bot.app.handlers[0]
    typed_elsewhere = (menu.cancel_outside, menu.help_command, ask.explain, review.on_typed)
    first_other = min(
        i for i, h in enumerate(group) if getattr(h, "callback", None) in typed_elsewhere
    )
    position = next(
        i for i, h in enumerate(group) if isinstance(h, ConversationHandler) and h.name == FLOW
    )
    assert position < first_other
    translator = bot.services.translator
    staff = [c.command for c in command_list(translator, "vi", admin=False)]
    admins = [c.command for c in command_list(translator, "vi", admin=True)]
    assert "settings" in staff and "broadcast" not in staff and "broadcasts" not in staff
    assert {"broadcast", "broadcasts", "settings"} <= set(admins)


# --- the content --------------------------------------------------------------------------------


def test_formatting_becomes_safe_html() -> None:
    text = 'A "b" <c> & d 😀 link code'
    entities = [
        MessageEntity("bold", *utf16(text, "A")),
        MessageEntity("text_link", *utf16(text, "link"), url='https://x.vn/?a=1&b="2"'),
        MessageEntity("custom_emoji", *utf16(text, "😀"), custom_emoji_id="5"),
        MessageEntity("text_mention", *utf16(text, "d")),
        MessageEntity("pre", *utf16(text, "code"), language='py"><b'),
        MessageEntity("text_link", *utf16(text, "<c>"), url="javascript:alert(1)"),
    ]
    message = Message(1, datetime.now(TZ), Chat(1, "private"), text=text, entities=entities)
    assert text_html(message) == (
        "<b>A</b> &quot;b&quot; &lt;c&gt; &amp; d 😀 "
        '<a href="https://x.vn/?a=1&amp;b=&quot;2&quot;">link</a> <pre>code</pre>'
    )
    broken = Message(
        1, datetime.now(TZ), Chat(1, "private"), text="😀<", entities=[MessageEntity("bold", 1, 1)]
    )
    assert text_html(broken) == "😀&lt;"  # entities that split a character: plain text
    assert parse_ids("1001, 1002\n1001;7") == (1001, 1002, 7)


async def test_formatted_text_to_everyone_preview_send_and_queue(
    bot: Harness, waker: Waker, alice: StubUser, bob: StubUser, admin: StubUser
) -> None:
    await people(bot, alice, bob, admin)
    text = "Hội nghị <dời> sang 14:00 & họp tại Hội trường. Chi tiết"
    entities = [
        entity(text, "Hội nghị", "bold"),
        entity(text, "14:00", "italic"),
        entity(text, "Chi tiết", "text_link", url="https://so.gov.vn/tin?id=1&x=2"),
    ]
    await bot.say(admin, "/broadcast")
    assert bot.last_text(admin.id) == bot.t("broadcast.ask_content")
    await bot.say(admin, text, extra={"entities": entities})
    assert await bot.state(admin, FLOW) == "audience"
    await bot.press(admin, "bc:a:all")
    assert await bot.state(admin, FLOW) == "essential"
    mark = bot.mark()
    await bot.press(admin, "bc:x:no")
    assert await bot.state(admin, FLOW) == "preview"
    expected = (
        "<b>Hội nghị</b> &lt;dời&gt; sang <i>14:00</i> &amp; họp tại Hội trường. "
        '<a href="https://so.gov.vn/tin?id=1&amp;x=2">Chi tiết</a>'
    )
    shown = bot.texts_since(mark, admin.id)
    assert shown[0] == expected  # the message exactly as people will receive it
    summary = shown[-1]
    assert bot.t("broadcast.preview_count", count=4) in summary  # alice, bob, carol, the admin
    assert "Nguyễn Thị Lan, Trần Văn Bình, Lê Thị Hoa, Quản trị" in summary
    data = [d for _, d in bot.buttons(admin.id)]
    stamp = data[0].rsplit(":", 1)[1]  # the preview's mark: its buttons only confirm this draft
    assert data == [f"bc:p:{value}:{stamp}" for value in ("send", "schedule", "cancel")] + [
        "bc:b:audience"  # «Đổi người nhận»
    ]
    await bot.tap(admin, "bc:p:send")
    assert await bot.state(admin, FLOW) is None
    broadcast_id = await last_broadcast_id(bot)
    row = await bot.db_row(
        "SELECT kind, text, essential, status, progress_chat_id FROM broadcasts WHERE id = ?",
        broadcast_id,
    )
    assert row == {
        "kind": "text",
        "text": expected,
        "essential": 0,
        "status": "sending",
        "progress_chat_id": ADMIN_ID,
    }
    assert await outbox(bot, broadcast_id) == [alice.id, bob.id, 1003, ADMIN_ID]  # = the preview
    assert waker.wakes == 1
    assert bot.last_text(admin.id) == bot.t("broadcast.queued", id=broadcast_id, count=4)
    assert bot.app is not None and not bot.app.user_data[admin.id][DRAFT]


async def test_too_long_as_read_and_content_that_is_not_text(
    bot: Harness, waker: Waker, admin: StubUser
) -> None:
    await bot.say(admin, "/broadcast")
    await bot.say(admin, "x" * 4097)
    assert bot.last_text(admin.id) == bot.t("broadcast.error.too_long", length=4097, limit=4096)
    assert await bot.state(admin, FLOW) == "content"
    await bot.say(admin, "\u200b ")  # nothing to read
    assert bot.last_text(admin.id) == bot.t("broadcast.error.empty")
    assert await bot.state(admin, FLOW) == "content"
    sticker = {
        "file_id": "s1",
        "file_unique_id": "u1",
        "width": 1,
        "height": 1,
        "is_animated": False,
        "is_video": False,
        "type": "regular",
    }
    await bot.send_raw(admin, {"sticker": sticker})
    assert bot.last_text(admin.id) == bot.t("broadcast.error.content_kind")
    await bot.send_raw(admin, {"voice": {"file_id": "v1", "file_unique_id": "uv", "duration": 2}})
    assert bot.last_text(admin.id) == bot.t("broadcast.error.content_kind")
    assert await bot.state(admin, FLOW) == "content"
    caption = "x" * 1030
    photo = [{"file_id": "p", "file_unique_id": "up", "width": 90, "height": 90}]
    await bot.send_raw(admin, {"photo": photo, "caption": caption})
    assert bot.last_text(admin.id) == bot.t("broadcast.error.too_long", length=1030, limit=1024)
    assert await bot.state(admin, FLOW) == "content"
    # A word that steers the flow is not an announcement to everyone
    for typed in ("xong", "Gửi ngay!", "bỏ qua", "OK", "send now"):
        await bot.say(admin, typed)
        assert bot.last_text(admin.id) == bot.t("broadcast.error.not_content", text=typed)
        assert await bot.state(admin, FLOW) == "content"
    # Telegram counts what people read: 4000 «<» are 16,000 characters of HTML, and accepted
    await bot.say(admin, "<" * 4000)
    assert await bot.state(admin, FLOW) != "content"
    assert bot.app is not None
    assert bot.app.user_data[admin.id][DRAFT]["content"]["text"] == "&lt;" * 4000
    await bot.say(admin, "Gửi ngay báo cáo tháng 11")  # a real announcement that starts so
    assert await bot.state(admin, FLOW) == "audience"


async def test_photo_and_document_with_caption(
    bot: Harness, waker: Waker, alice: StubUser, bob: StubUser, admin: StubUser
) -> None:
    await people(bot, alice, bob, admin)
    caption = "Lịch <họp> tuần 25"
    photo = [
        {"file_id": "small", "file_unique_id": "u1", "width": 90, "height": 60},
        {"file_id": "large", "file_unique_id": "u2", "width": 1280, "height": 853},
        {"file_id": "medium", "file_unique_id": "u3", "width": 320, "height": 213},
    ]
    await bot.say(admin, "/broadcast")
    await bot.send_raw(
        admin,
        {"photo": photo, "caption": caption, "caption_entities": [entity(caption, "Lịch", "bold")]},
    )
    await bot.say(admin, "tất cả mọi người")
    await bot.say(admin, "có")  # essential
    shown = bot.stub.sent(admin.id, "sendPhoto")[-1].params
    assert shown["photo"] == "large"
    assert shown["caption"] == "<b>Lịch</b> &lt;họp&gt; tuần 25"
    assert summary_count(bot, admin, 4)
    await bot.say(admin, "ok")  # no answer to "send now, schedule or cancel?"
    assert bot.last_text(admin.id) == bot.t("error.choose_button")
    assert await bot.db_value("SELECT count(*) FROM broadcasts") == 0
    await bot.say(admin, "gửi đi")
    broadcast_id = await last_broadcast_id(bot)
    row = await bot.db_row("SELECT kind, file_id, text, essential FROM broadcasts")
    assert row == {
        "kind": "photo",
        "file_id": "large",
        "text": "<b>Lịch</b> &lt;họp&gt; tuần 25",
        "essential": 1,
    }
    assert len(await outbox(bot, broadcast_id)) == 4

    document = {"file_id": "doc-9", "file_unique_id": "ud", "file_name": "lich.pdf"}
    await bot.say(admin, "/broadcast")
    await bot.send_raw(admin, {"document": document})  # no caption
    await bot.press(admin, "bc:a:all")
    await bot.press(admin, "bc:x:no")
    shown = bot.stub.sent(admin.id, "sendDocument")[-1].params
    assert shown["document"] == "doc-9" and not shown.get("caption")
    await bot.tap(admin, "bc:p:cancel")
    assert bot.last_text(admin.id) == bot.t("broadcast.discarded")
    assert await bot.db_value("SELECT count(*) FROM broadcasts") == 1


async def test_content_telegram_refuses_is_asked_again(
    bot: Harness, waker: Waker, alice: StubUser, bob: StubUser, admin: StubUser
) -> None:
    await people(bot, alice, bob, admin)
    await compose(bot, admin)
    await bot.press(admin, "bc:a:all")
    bot.stub.failures["sendMessage"] = [(400, "Bad Request: can't parse entities", None)]
    await bot.press(admin, "bc:x:no")
    error = bot.t("broadcast.error.preview_failed", error="Can't parse entities")
    assert bot.texts(admin.id)[-2] == error
    assert bot.last_text(admin.id) == bot.t("broadcast.ask_content")
    assert await bot.state(admin, FLOW) == "content"
    await bot.say(admin, "Nội dung khác")
    assert await bot.state(admin, FLOW) == "audience"


# --- audiences ----------------------------------------------------------------------------------


async def test_every_audience_queues_what_the_preview_counted(
    bot: Harness, waker: Waker, alice: StubUser, bob: StubUser, admin: StubUser
) -> None:
    third = await people(bot, alice, bob, admin)
    services = bot.services
    dave = StubUser(1004, first_name="Dave")
    await services.users.seen(dave.id, "Dave", None, None, "vi")
    await bot.say(admin, f"/grant {bob.id} reviewer")
    # The event: alice has the only seat, bob waits, carol declined, dave opened his invitation.
    await services.events.save(make_event())
    for user, answer in ((alice, Answer.YES), (bob, Answer.YES), (third, Answer.NO)):
        person = await services.users.require(user.id)
        step = StepRef(next(_steps), (user.id, user.id))
        await services.events.answer(step, person, EVENT_ID, answer)
    imported = await services.events.invite(EVENT_ID, [{"full_name": "Dave Nguyễn"}])
    dave_user = await services.users.require(dave.id)
    code = imported.added[0].code
    await services.events.redeem(StepRef(next(_steps), (dave.id, dave.id)), dave_user, code)
    await submit_initiative(bot, alice)

    cases: list[tuple[str, list[tuple[str, str]], list[int]]] = [
        ("unit", [("press", "bc:a:unit"), ("say", "văn phòng sở")], [alice.id, third.id]),
        ("role", [("say", "3"), ("say", "2")], [bob.id]),  # typed numbers
        ("admins", [("press", "bc:a:role"), ("press", "bc:r:admin")], [ADMIN_ID]),
        (
            "confirmed",
            [("press", "bc:a:rsvp"), ("press", f"bc:e:{EVENT_ID}"), ("say", "1")],
            [alice.id],
        ),
        (
            "waitlisted",
            [("say", "4"), ("press", f"bc:e:{EVENT_ID}"), ("press", "bc:s:waitlisted")],
            [bob.id],
        ),
        (
            "declined",
            [("press", "bc:a:rsvp"), ("say", "Họp báo <Chuyển đổi số> 2026"), ("say", "3")],
            [third.id],
        ),
        (
            "unanswered",
            [("press", "bc:a:rsvp"), ("press", f"bc:e:{EVENT_ID}"), ("say", "chưa trả lời")],
            [dave.id],
        ),
        ("authors", [("say", "tác giả sáng kiến"), ("press", "bc:st:any")], [alice.id]),
        ("submitted", [("say", "5"), ("say", "2")], [alice.id]),
        ("ids", [("say", "6"), ("say", f"{alice.id}, {bob.id}\n999999")], [alice.id, bob.id]),
    ]
    for name, steps, expected in cases:
        await compose(bot, admin, f"Thông báo {name}")
        for how, value in steps:
            if how == "press":
                await bot.press(admin, value)
            else:
                await bot.say(admin, value)
        assert await bot.state(admin, FLOW) == "essential", name
        await bot.say(admin, "không")
        assert summary_count(bot, admin, len(expected)), name
        await bot.say(admin, "1")  # send now
        assert await outbox(bot, await last_broadcast_id(bot)) == expected, name
    segment = bot.t("broadcast.segment.unanswered")
    label = bot.t("broadcast.to.rsvp", segment=segment, event="Họp báo <Chuyển đổi số> 2026")
    assert "&lt;Chuyển đổi số&gt;" in label
    await bot.say(admin, "/broadcasts")
    assert label in bot.last_text(admin.id)  # the list says who each one went to


async def test_wrong_answers_keep_the_step_and_an_empty_audience_goes_back(
    bot: Harness, waker: Waker, alice: StubUser, bob: StubUser, admin: StubUser
) -> None:
    await people(bot, alice, bob, admin)
    await submit_initiative(bot, alice)
    await compose(bot, admin)
    await bot.say(admin, "99")
    assert bot.last_text(admin.id) == bot.t("error.choose_button")
    await bot.say(admin, "6")
    await bot.say(admin, f"{alice.id} abc -5\n12x")
    assert bot.last_text(admin.id) == bot.t("broadcast.error.ids_bad", items="abc, -5, 12x")
    await bot.say(admin, ", ;")
    assert bot.last_text(admin.id) == bot.t("broadcast.error.ids_none")
    assert await bot.state(admin, FLOW) == "ids"
    await bot.say(admin, " ".join(str(n) for n in range(1, 5002)))
    assert bot.last_text(admin.id) == bot.t("broadcast.error.ids_many", count=5001, limit=5000)
    await bot.say(admin, "999999 888888")  # nobody the bot knows: said, and asked again
    assert bot.last_text(admin.id) == bot.t("broadcast.ids_all_unknown")
    assert await bot.state(admin, FLOW) == "ids"
    await bot.say(admin, f"{alice.id} 999999")  # one unknown: said, and it goes on
    assert bot.t("broadcast.ids_unknown", count=1, ids="999999") in bot.texts(admin.id)
    assert await bot.state(admin, FLOW) == "essential"
    await bot.say(admin, "/cancel")
    assert bot.last_text(admin.id) == bot.t("broadcast.discarded")
    assert await bot.state(admin, FLOW) is None
    # Authors of recognised initiatives: nobody yet.
    await compose(bot, admin)
    await bot.press(admin, "bc:a:authors")
    await bot.press(admin, "bc:st:recognised")
    await bot.press(admin, "bc:x:yes")
    assert bot.t("broadcast.nobody") in bot.texts(admin.id)[-2]
    assert bot.last_text(admin.id) == bot.t("broadcast.ask_audience")
    assert await bot.state(admin, FLOW) == "audience"
    # /help and another command inside: the question again, the step stays.
    await bot.say(admin, "/help")
    assert bot.last_text(admin.id) == bot.t("broadcast.ask_audience")
    await bot.say(admin, "/broadcasts")
    assert bot.last_text(admin.id) == bot.t("broadcast.ask_audience")
    assert await bot.state(admin, FLOW) == "audience"
    assert await bot.db_value("SELECT count(*) FROM broadcasts") == 0


async def test_many_units_are_listed_and_typed(bot: Harness, waker: Waker, admin: StubUser) -> None:
    async with bot.services.db.transaction() as conn:
        for n in range(1, 46):
            uid = 2000 + n
            await user_sql.upsert_contact(conn, uid, f"N{n}", None, None, "vi")
            profile = {"full_name": f"Người {n}", "unit": f"Xã {n:02d}"}
            await user_sql.set_profile(conn, uid, profile, complete=True)
    await compose(bot, admin)
    await bot.press(admin, "bc:a:unit")
    assert len(bot.buttons(admin.id)) == 40 + 1  # the others are typed from the list; «Quay lại»
    assert "45. Xã 45" in bot.last_text(admin.id)
    await bot.say(admin, "45")
    await bot.say(admin, "không")
    assert summary_count(bot, admin, 1) and "Người 45" in bot.last_text(admin.id)


# --- muting -------------------------------------------------------------------------------------


async def test_settings_mute_ordinary_announcements_but_not_essential_ones(
    bot: Harness, waker: Waker, alice: StubUser, bob: StubUser, admin: StubUser
) -> None:
    await people(bot, alice, bob, admin)
    await bot.say(bob, "/settings")
    on = bot.t("settings.title", "en", state=Safe(bot.t("settings.on", "en")))
    assert bot.last_text(bob.id) == on  # bob reads English
    assert [d for _, d in bot.buttons(bob.id)] == ["set:off"]
    await bot.press(bob, "set:off")
    assert bot.last_text(bob.id) == bot.t("settings.turned_off", "en")
    assert await bot.db_value("SELECT muted FROM users WHERE user_id = ?", bob.id) == 1
    await bot.say(bob, "/settings")
    assert bot.t("settings.off", "en") in bot.last_text(bob.id)
    await bot.say(bob, "1")  # the typed number of "Bật thông báo chung"
    assert bot.last_text(bob.id) == bot.t("settings.turned_on", "en")
    await bot.say(bob, "/settings")
    await bot.say(bob, "tắt thông báo chung")  # the typed label, in either language
    assert await bot.db_value("SELECT muted FROM users WHERE user_id = ?", bob.id) == 1

    await compose(bot, admin)
    await bot.press(admin, "bc:a:all")
    await bot.press(admin, "bc:x:no")
    assert summary_count(bot, admin, 3)
    assert "Trần Văn Bình" not in bot.last_text(admin.id)
    await bot.tap(admin, "bc:p:cancel")
    await compose(bot, admin)
    await bot.press(admin, "bc:a:all")
    await bot.press(admin, "bc:x:yes")  # essential: bob too
    assert summary_count(bot, admin, 4)
    await bot.tap(admin, "bc:p:send")
    assert bob.id in await outbox(bot, await last_broadcast_id(bot))

    await bot.say(alice, "/settings off")
    await bot.say(alice, "/settings on")
    assert bot.last_text(alice.id) == bot.t("settings.turned_on")
    for off, on in (("không nhận", "bật lại"), ("unsubscribe", "turn on"), ("ngừng nhận", "bat")):
        await bot.say(alice, "/settings")
        await bot.say(alice, off)
        assert bot.last_text(alice.id) == bot.t("settings.turned_off"), off
        await bot.say(alice, "cài đặt")  # /settings by name
        await bot.say(alice, on)
        assert bot.last_text(alice.id) == bot.t("settings.turned_on"), on
    assert await bot.db_value("SELECT muted FROM users WHERE user_id = ?", alice.id) == 0
    # Whole phrases typed without /settings (a question for the Q&A before)
    await bot.say(alice, "Tắt thông báo")
    assert bot.last_text(alice.id) == bot.t("settings.turned_off")
    await bot.say(alice, "bat lai thong bao")
    assert bot.last_text(alice.id) == bot.t("settings.turned_on")


# --- scheduling, /broadcasts, cancelling -------------------------------------------------------


async def test_schedule_in_the_future_then_cancel_from_the_list(
    bot: Harness, waker: Waker, alice: StubUser, bob: StubUser, admin: StubUser
) -> None:
    await people(bot, alice, bob, admin)
    await compose(bot, admin)
    await bot.press(admin, "bc:a:all")
    await bot.press(admin, "bc:x:no")
    await bot.say(admin, "hẹn giờ")
    assert await bot.state(admin, FLOW) == "when"
    await bot.say(admin, "1/1/2020 08:00")
    assert bot.last_text(admin.id) == bot.t("broadcast.error.when_past")
    await bot.say(admin, "sáng mai")
    assert bot.last_text(admin.id).startswith(bot.t("broadcast.error.when", example="X")[:30])
    assert await bot.state(admin, FLOW) == "when"
    day = datetime.now(TZ).date() + timedelta(days=2)
    await bot.say(admin, f"{day.day}/{day.month}/{day.year + 1000} 09:30")  # a typo in the year
    far = bot.t("broadcast.error.when_far", when="X")
    assert bot.last_text(admin.id).endswith(far[far.index("X") + 1 :])
    assert await bot.state(admin, FLOW) == "when"
    await bot.say(admin, f"{day.day}/{day.month}/{day.year} 09:30")
    assert await bot.state(admin, FLOW) == "confirm"
    at = datetime(day.year, day.month, day.day, 9, 30, tzinfo=TZ)
    assert f"09:30 {day:%d/%m/%Y}" in bot.last_text(admin.id)
    await bot.tap(admin, "bc:c:again")
    assert await bot.state(admin, FLOW) == "when"
    await bot.say(admin, "9 giờ sáng mai")  # a day named as people say it
    assert await bot.state(admin, FLOW) == "confirm"
    tomorrow = datetime.now(TZ).date() + timedelta(days=1)
    assert f"09:00 {tomorrow:%d/%m/%Y}" in bot.last_text(admin.id)
    await bot.tap(admin, "bc:c:again")
    await bot.say(admin, f"9h30 {day.day}-{day.month}-{day.year}")
    await bot.tap(admin, "bc:c:yes")
    assert await bot.state(admin, FLOW) is None
    broadcast_id = await last_broadcast_id(bot)
    found = await bot.services.broadcasts.get(broadcast_id)
    assert found is not None and found.status == "scheduled" and found.scheduled_at == at
    assert await outbox(bot, broadcast_id) == []  # its rows are written when the time comes
    assert bot.last_text(admin.id) == bot.t(
        "broadcast.scheduled", id=broadcast_id, when=f"09:30 {day:%d/%m/%Y}"
    )
    assert waker.wakes == 1

    await bot.say(admin, "/broadcasts")
    listing = bot.last_text(admin.id)
    assert f"<b>#{broadcast_id}</b>" in listing and bot.t("broadcast.state.scheduled") in listing
    assert bot.t("broadcast.counts_scheduled") in listing
    await bot.say(admin, "1")  # the typed number of the first one
    detail = bot.last_text(admin.id)
    assert bot.t("broadcast.detail_scheduled", when=f"09:30 {day:%d/%m/%Y}") in detail
    assert "Họp giao ban lúc 14:00." in detail
    assert [d for _, d in bot.buttons(admin.id)] == [f"bcl:c:{broadcast_id}", "bcl:l"]
    await bot.say(admin, "hủy thông báo")  # the typed label
    assert bot.last_text(admin.id) == bot.t("broadcast.confirm_stop", id=broadcast_id)
    await bot.say(admin, "2")  # no, keep it
    assert bot.t("broadcast.kept", id=broadcast_id) in bot.texts(admin.id)[-2]
    await bot.press(admin, f"bcl:c:{broadcast_id}")
    await bot.say(admin, "không hủy")  # said, not a question for the rules Q&A
    assert bot.t("broadcast.kept", id=broadcast_id) in bot.texts(admin.id)[-2]
    await bot.press(admin, f"bcl:c:{broadcast_id}")
    await bot.say(admin, "1")  # yes
    assert bot.last_text(admin.id) == bot.t("broadcast.stopped_unsent", id=broadcast_id)
    found = await bot.services.broadcasts.get(broadcast_id)
    assert found is not None and found.status == "cancelled"
    await bot.press(admin, f"bcl:y:{broadcast_id}")  # an old button: already over
    assert bot.last_text(admin.id) == bot.t("broadcast.already_over")
    await bot.say(admin, "/broadcasts")  # cancelled before its time: no "sent 0/0"
    assert bot.t("broadcast.counts_cancelled_unsent") in bot.last_text(admin.id)


async def test_cancel_at_the_preview_and_at_the_confirmation(
    bot: Harness, waker: Waker, alice: StubUser, bob: StubUser, admin: StubUser
) -> None:
    await people(bot, alice, bob, admin)
    await compose(bot, admin)
    await bot.press(admin, "bc:a:all")
    await bot.press(admin, "bc:x:no")
    await bot.say(admin, "3")  # cancel
    assert bot.last_text(admin.id) == bot.t("broadcast.discarded")
    assert await bot.state(admin, FLOW) is None
    await compose(bot, admin)
    await bot.press(admin, "bc:a:all")
    await bot.press(admin, "bc:x:no")
    await bot.tap(admin, "bc:p:schedule")
    day = datetime.now(TZ).date() + timedelta(days=3)
    await bot.say(admin, f"{day.day}/{day.month}/{day.year} 08:00")
    await bot.say(admin, "hủy")
    assert bot.last_text(admin.id) == bot.t("broadcast.discarded")
    assert await bot.db_value("SELECT count(*) FROM broadcasts") == 0
    assert waker.wakes == 0
    # «hủy» where the content is asked: stops, never "only text, photo or file"
    await bot.say(admin, "/broadcast")
    await bot.say(admin, "hủy")
    assert bot.last_text(admin.id) == bot.t("broadcast.discarded")
    assert await bot.state(admin, FLOW) is None


async def test_figures_cancel_while_sending_and_failures_export(
    bot: Harness, waker: Waker, alice: StubUser, bob: StubUser, admin: StubUser
) -> None:
    await people(bot, alice, bob, admin)
    mallory = 1005
    await bot.services.users.seen(mallory, "=SUM(A1)", None, None, "vi")
    await compose(bot, admin)
    await bot.press(admin, "bc:a:all")
    await bot.press(admin, "bc:x:yes")
    await bot.tap(admin, "bc:p:send")
    broadcast_id = await last_broadcast_id(bot)
    service = bot.services.broadcasts
    rows = {row.user_id: row for row in await service.due()}
    assert sorted(rows) == [alice.id, bob.id, 1003, mallory, ADMIN_ID]
    await service.sent(rows[alice.id], 77)
    await service.sent(rows[1003], 78)
    await service.unreachable(rows[bob.id])
    await service.failed(rows[mallory], "=cmd|' /C calc'!A0")

    await bot.say(admin, "/broadcasts")
    counts = bot.t("broadcast.counts", sent=2, total=5, failed=1, unreachable=1, pending=1)
    assert counts in bot.last_text(admin.id)
    await bot.press(admin, f"bcl:o:{broadcast_id}")
    assert [d for _, d in bot.buttons(admin.id)] == [
        f"bcl:c:{broadcast_id}",
        f"bcl:x:{broadcast_id}",
        "bcl:l",
    ]
    await bot.press(admin, f"bcl:x:{broadcast_id}")
    params = bot.stub.sent(admin.id, "sendDocument")[-1].params
    assert params["_filename"] == f"thong-bao-{broadcast_id}-loi.xlsx"
    assert params["caption"] == bot.t("broadcast.export_caption", id=broadcast_id, count=2)
    data = params["_bytes"]
    sheet = load_workbook(io.BytesIO(data if isinstance(data, bytes) else data.read())).active
    assert sheet is not None
    values = [[cell.value for cell in row] for row in sheet.iter_rows()]
    assert values == [
        ["Mã người dùng", "Họ và tên", "Trạng thái", "Lỗi", "Số lần thử"],
        # Telegram's English description explained in the office's language, kept after it
        [
            bob.id,
            "Trần Văn Bình",
            bot.t("broadcast.row.unreachable"),
            "Người nhận đã chặn bot (blocked)",
            1,
        ],
        [
            mallory,
            "=SUM(A1)",
            bot.t("broadcast.row.failed"),
            "Telegram từ chối tin nhắn (=cmd|' /C calc'!A0)",
            1,
        ],
    ]
    assert sheet.cell(row=3, column=2).data_type == "s"  # text, never a formula
    assert sheet.cell(row=3, column=4).data_type == "s"

    await bot.say(admin, "/broadcasts")
    await bot.say(admin, "1")
    await bot.say(admin, "1")  # cancel it...
    await bot.say(admin, "có")  # ...yes (typed: the button reads «Có, hủy thông báo»)
    assert bot.last_text(admin.id) == bot.t("broadcast.stopped", id=broadcast_id, count=1)
    progress = await service.progress(broadcast_id)
    assert (progress.sent, progress.cancelled, progress.pending) == (2, 1, 0)
    assert waker.wakes == 2  # queued, then cancelled
    await bot.press(admin, f"bcl:o:{broadcast_id}")
    assert bot.t("broadcast.state.cancelled") in bot.last_text(admin.id)
    assert [d for _, d in bot.buttons(admin.id)] == [f"bcl:x:{broadcast_id}", "bcl:l"]
    failures = await service.failures(broadcast_id)
    assert {f.status for f in failures} == {RowStatus.FAILED, RowStatus.UNREACHABLE}


# --- who may ------------------------------------------------------------------------------------


async def test_non_admins_are_refused_everywhere(
    bot: Harness, waker: Waker, alice: StubUser, bob: StubUser, admin: StubUser
) -> None:
    await people(bot, alice, bob, admin)
    await compose(bot, admin)
    await bot.press(admin, "bc:a:all")
    await bot.press(admin, "bc:x:no")
    await bot.tap(admin, "bc:p:schedule")
    day = datetime.now(TZ).date() + timedelta(days=3)
    await bot.say(admin, f"{day.day}/{day.month}/{day.year} 08:00")
    await bot.tap(admin, "bc:c:yes")
    broadcast_id = await last_broadcast_id(bot)
    denied = bot.t("admin.denied")
    await bot.say(alice, "/broadcast")
    assert bot.last_text(alice.id) == denied
    assert await bot.state(alice, FLOW) is None
    await bot.say(alice, "/broadcasts")
    assert bot.last_text(alice.id) == denied
    message = {"message_id": 999, "date": 0, "chat": {"id": alice.id, "type": "private"}}
    for data in (f"bcl:o:{broadcast_id}", f"bcl:y:{broadcast_id}", f"bcl:x:{broadcast_id}"):
        await bot.press(alice, data, message=message)
        assert bot.last_text(alice.id) == denied
    for data in ("bc:a:all", "bc:p:send"):  # the composer's buttons: not in the conversation
        mark = bot.mark()
        await bot.press(alice, data, message=message)
        assert bot.texts_since(mark, alice.id) == []
    found = await bot.services.broadcasts.get(broadcast_id)
    assert found is not None and found.status == "scheduled"
    # A reviewer is not an admin either.
    await bot.say(admin, f"/grant {bob.id} reviewer")
    await bot.say(bob, "/broadcast")
    assert bot.last_text(bob.id) == bot.t("admin.denied", "en")
    assert await bot.db_value("SELECT count(*) FROM broadcasts") == 1


# --- restarts -----------------------------------------------------------------------------------


async def test_a_restart_in_the_middle_keeps_the_draft(
    bot: Harness, alice: StubUser, bob: StubUser, admin: StubUser
) -> None:
    await quiet(bot)
    await people(bot, alice, bob, admin)
    text = "Lịch <b>trực</b> Tết"
    await bot.say(admin, "/broadcast")
    await bot.say(admin, text, extra={"entities": [entity(text, "Tết", "bold")]})
    await bot.press(admin, "bc:a:unit")
    await bot.restart(crash=True)
    waker = await quiet(bot)
    assert await bot.state(admin, FLOW) == "unit"
    await bot.say(admin, "Thanh tra Sở")
    await bot.restart(crash=True)
    waker = await quiet(bot)
    assert await bot.state(admin, FLOW) == "essential"
    mark = bot.mark()
    await bot.say(admin, "không")
    shown = bot.texts_since(mark, admin.id)
    assert shown[0] == "Lịch &lt;b&gt;trực&lt;/b&gt; <b>Tết</b>"
    assert bot.t("broadcast.preview_count", count=1) in shown[-1] and "Trần Văn Bình" in shown[-1]
    await bot.say(admin, "gửi")
    assert await outbox(bot, await last_broadcast_id(bot)) == [bob.id]
    assert waker.wakes == 1


async def test_a_lost_step_asks_again(
    bot: Harness, waker: Waker, alice: StubUser, bob: StubUser, admin: StubUser
) -> None:
    """The state moved but ``user_data`` did not reach the disk (a crash in between)."""
    await people(bot, alice, bob, admin)
    await compose(bot, admin)
    await bot.press(admin, "bc:a:all")
    assert bot.app is not None
    bot.app.user_data[admin.id][DRAFT].pop("audience")
    await bot.press(admin, "bc:x:no")
    assert bot.t("broadcast.lost") in bot.texts(admin.id)[-2]
    assert await bot.state(admin, FLOW) == "audience"
    await bot.press(admin, "bc:a:all")
    await bot.press(admin, "bc:x:no")
    assert await bot.state(admin, FLOW) == "preview"


# --- the real delivery worker ------------------------------------------------------------------


async def test_people_receive_exactly_the_preview(
    bot: Harness, alice: StubUser, bob: StubUser, admin: StubUser
) -> None:
    assert bot.app is not None
    if getattr(bot.app, "broadcaster", None) is None:
        pytest.skip("no delivery worker in this application")
    await people(bot, alice, bob, admin)
    text = "Hội nghị <b> 8:00 & đúng giờ"
    await compose(bot, admin, text)
    await bot.press(admin, "bc:a:unit")
    await bot.say(admin, "Văn phòng Sở")
    mark = bot.mark()
    await bot.press(admin, "bc:x:no")
    preview = bot.texts_since(mark, admin.id)[0]
    assert preview == "Hội nghị &lt;b&gt; 8:00 &amp; đúng giờ"
    await bot.tap(admin, "bc:p:send")
    await bot.deliver()
    assert bot.texts(alice.id)[-1] == preview and bot.texts(1003)[-1] == preview
    assert preview not in bot.texts(bob.id)


async def test_an_older_preview_s_button_never_sends_the_draft_of_now(
    bot: Harness, admin: StubUser, alice: StubUser
) -> None:
    """A preview left by typing «hủy» keeps its buttons on the phone; its «Gửi ngay» must not
    send the announcement composed since (its buttons confirm only their own draft)."""
    await compose(bot, admin, "Thông báo thứ nhất.")
    await bot.press(admin, "bc:a:all")
    await bot.press(admin, "bc:x:no")
    first_preview = bot.last_keyboard_message(admin.id)
    await bot.say(admin, "hủy")
    await compose(bot, admin, "Bản nháp thứ hai, chưa gửi.")
    await bot.press(admin, "bc:a:all")
    await bot.press(admin, "bc:x:no")
    await bot.tap(admin, "bc:p:send", message=first_preview)
    answered = bot.stub.sent(None, "answerCallbackQuery")[-1].params
    assert answered["text"] == bot.t("button.stale")
    assert await bot.db_value("SELECT count(*) FROM broadcasts") == 0
    assert await bot.state(admin, FLOW) == "preview"
    await bot.tap(admin, "bc:p:send")  # the preview of now still works
    assert await outbox(bot, await last_broadcast_id(bot))


async def test_back_and_change_recipients_keep_the_content(bot: Harness, admin: StubUser) -> None:
    """qa14 M4: «Quay lại» (pressed or typed) on every step after the content goes one step
    back, «Đổi người nhận» on the preview goes to the audience; the content stays."""
    await compose(bot, admin, "Nội dung <giữ nguyên> khi quay lại.")
    await bot.say(admin, "dán danh sách")
    assert await bot.state(admin, FLOW) == "ids"
    assert [d for _, d in bot.buttons(admin.id)] == ["bc:b"]
    await bot.say(admin, "quay lại")  # not «quay», «lại» taken for ids
    assert await bot.state(admin, FLOW) == "audience"
    assert bot.last_text(admin.id) == bot.t("broadcast.ask_audience")
    await bot.say(admin, "mọi người")
    assert await bot.state(admin, FLOW) == "essential"
    await bot.tap(admin, "bc:b")
    assert await bot.state(admin, FLOW) == "audience"
    await bot.say(admin, "tất cả")
    await bot.say(admin, "thường")
    assert await bot.state(admin, FLOW) == "preview"
    await bot.say(admin, "đổi người nhận")
    assert await bot.state(admin, FLOW) == "audience"
    await bot.say(admin, "vai trò")
    await bot.say(admin, "quản trị")
    await bot.say(admin, "quan trọng")
    assert await bot.state(admin, FLOW) == "preview"
    assert bot.t("broadcast.preview_count", count=1) in bot.last_text(admin.id)
    await bot.tap(admin, "bc:p:schedule")
    assert await bot.state(admin, FLOW) == "when"
    await bot.say(admin, "quay lại")  # the preview again, the content as people will see it
    assert await bot.state(admin, FLOW) == "preview"
    assert "Nội dung &lt;giữ nguyên&gt; khi quay lại." in bot.texts(admin.id)[-2]
    await bot.tap(admin, "bc:b:audience")  # «Đổi người nhận» pressed
    assert await bot.state(admin, FLOW) == "audience"
    await bot.say(admin, "quay lại")  # before the audience: the content, to send again
    assert await bot.state(admin, FLOW) == "content"
    await bot.say(admin, "Nội dung mới.")
    await bot.say(admin, "tất cả")
    await bot.say(admin, "thường")
    await bot.tap(admin, "bc:p:send")
    assert await bot.state(admin, FLOW) is None
    await bot.deliver()
    assert "Nội dung mới." in bot.texts(admin.id)  # the admin is one of everyone


async def test_more_text_after_the_content_is_told_one_announcement_is_one_message(
    bot: Harness, admin: StubUser
) -> None:
    """A text over 4096 characters arrives as two messages (Telegram splits it): the second
    one, at the audience step, is not «Vui lòng chọn một nút» but what happened and what to
    do; the content saved and the step stay."""
    first = "Thông báo về hội nghị điển hình tiên tiến. " * 95  # about 4 000 characters
    await compose(bot, admin, first)
    await bot.say(
        admin, "Phần còn lại của thông báo: đề nghị các đơn vị gửi danh sách trước ngày 5."
    )
    assert bot.last_text(admin.id) == bot.t("broadcast.error.one_message", limit=4096)
    assert await bot.state(admin, FLOW) == "audience"
    await bot.say(admin, "tất cả")  # a choice is still a choice
    assert await bot.state(admin, FLOW) == "essential"
