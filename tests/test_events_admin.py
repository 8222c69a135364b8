"""The conference office in the chat: invitee lists sent as files (/invite_import), the printable
invitation sheet (.zip of an .xlsx with links and QR codes, and the QR pictures), /invitations,
/event_edit (validation that keeps the step, people told of a move in their language, reminders
re-armed), /event_delete, /cancel and stale buttons. Through the real application and the Bot API
stand-in; the files are read back with openpyxl and Pillow."""

from __future__ import annotations

import csv
import io
import itertools
import re
import zipfile
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from openpyxl import Workbook, load_workbook
from PIL import Image as PILImage
from telegram.ext import ConversationHandler

from bot.documents.initiative_xlsx import put
from bot.documents.invitations import invitation_sheet, invite_link
from bot.documents.invitees import InviteeFileError, read_invitees, source_line
from bot.documents.qr import qr_png
from bot.domain.events import (
    AgendaError,
    Answer,
    Event,
    Group,
    GroupMatch,
    Invitee,
    parse_agenda,
)
from bot.i18n import Safe
from bot.services.flows import StepRef
from bot.tg.stub_api import JSON, StubUser
from handlers import ask, menu, review
from tests.harness import Harness
from tests.initiative_fixtures import register

TZ = ZoneInfo("Asia/Ho_Chi_Minh")
SEEDED = "hoi-nghi-tuyen-duong-2025"
EVENT_ID = "hoi-thao-so-2026"
_steps = itertools.count(-5_000_000, -1)  # update ids of steps made outside the chat
HEADER = ["STT", "Họ và tên", "Đơn vị", "Chức vụ", "Thành phần", "SĐT", "Email"]
PEOPLE = [
    [1, "Nguyễn Văn An", "Sở Khoa học và Công nghệ", "Giám đốc", "so-khcn", 912345678, ""],
    [2, "Trần Thị Bình", "UBND huyện Văn Lâm", "Phó Chủ tịch", "Cấp huyện", "0987654321", ""],
    [3, "Nguyễn Văn An", "Sở Khoa học và Công nghệ", "Giám đốc", "", "", ""],  # twice
    [4, "Lê Văn Cường", "Sở Nội vụ", "Trưởng phòng", "bao-chi", "", ""],  # no such group
    [5, '=HYPERLINK("http://x")', "Công ty ABC", "", "", "", "a@b.vn"],
]


def start_time() -> datetime:
    day = datetime.now(TZ).date() + timedelta(days=40)
    return datetime(day.year, day.month, day.day, 8, 0, tzinfo=TZ)


def make_event(**extra: Any) -> Event:
    starts = start_time()
    values: dict[str, Any] = {
        "id": EVENT_ID,
        "title": "Hội thảo Chuyển đổi số 2026",
        "organiser": "Sở Khoa học và Công nghệ",
        "starts_at": starts,
        "duration_minutes": 180,
        "venue": "Hội trường Sở",
        "address": "Số 1 Lê Lợi",
        "rsvp_deadline": starts - timedelta(days=3),
        "capacity": 30,
        "mode": "open",
        "reminders": (1440, 120),
        "groups": (
            Group(id="so-khcn", name="Sở Khoa học và Công nghệ", reserved=5),
            Group(id="cap-huyen", name="Cấp huyện", reserved=5),
        ),
    }
    values.update(extra)
    return Event.model_validate(values)


def xlsx_bytes(rows: list[list[Any]], title: str | None = "DANH SÁCH KHÁCH MỜI") -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    lines = ([[title]] if title else []) + [HEADER, *rows]
    for number, values in enumerate(lines, start=1):
        for column, value in enumerate(values, start=1):
            put(sheet.cell(row=number, column=column), value)  # "=..." stays text
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def csv_bytes(rows: list[list[Any]], delimiter: str = ";") -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter)
    writer.writerow(HEADER)
    writer.writerows(rows)
    return buffer.getvalue().encode("utf-8-sig")


async def send_file(bot: Harness, user: StubUser, name: str, data: bytes, caption: str) -> None:
    update = bot.stub.user_document(user, name, data, caption)
    bot.stub.pending_updates(update["update_id"] + 1)
    await bot.feed(update)


def documents(bot: Harness, chat_id: int) -> list[JSON]:
    return [call.params for call in bot.stub.sent(chat_id, "sendDocument")]


def open_zip(params: JSON) -> zipfile.ZipFile:
    data = params["_bytes"]
    return zipfile.ZipFile(io.BytesIO(data if isinstance(data, bytes) else data.read()))


async def one_event(bot: Harness, **extra: Any) -> Event:
    """The only event: the seeded one is deleted."""
    await bot.services.events.delete(SEEDED)
    event = make_event(**extra)
    await bot.services.events.save(event)
    return event


async def state(bot: Harness, user: StubUser, flow: str) -> object | None:
    return await bot.state(user, flow)


FLOWS = ("invite_import", "event_edit", "event_delete")
# Single-step handlers of group 0 that read /cancel, /help or typed numbers and labels.
TYPED_ELSEWHERE = (menu.cancel_outside, menu.help_command, ask.explain, review.on_typed)


def misplaced(bot: Harness) -> list[str]:
    """The office's conversations registered after a single-step handler that would take
    their typed answers (a number, /cancel) first: they must be among the flows."""
    assert bot.app is not None
    group = bot.app.handlers[0]
    first_other = min(
        i for i, h in enumerate(group) if getattr(h, "callback", None) in TYPED_ELSEWHERE
    )
    return [
        h.name
        for i, h in enumerate(group)
        if isinstance(h, ConversationHandler) and h.name in FLOWS and i > first_other
    ]


@pytest.fixture
def among_flows(bot: Harness) -> None:
    """The chat tests of the conversations need them registered among the flows."""
    assert not misplaced(bot), "register events_admin.handlers() with the flows in bot/app.py"


def test_the_conversations_are_registered_among_the_flows(bot: Harness) -> None:
    assert not misplaced(bot), (
        "bot/app.py: register events_admin.handlers(services) in the flows block (after "
        "review.build), not with the single-step handlers: /cancel, typed numbers and labels "
        "would go to menu.cancel_outside, review.on_typed, ask.explain or menu.help_command"
    )


# --- reading lists --------------------------------------------------------------------------


def test_read_invitees_headers_title_line_and_phone() -> None:
    rows = read_invitees("ds.xlsx", xlsx_bytes(PEOPLE))
    assert [r["full_name"] for r in rows][:2] == ["Nguyễn Văn An", "Trần Thị Bình"]
    assert rows[0]["phone"] == "0912345678"  # a number that lost its leading 0
    assert rows[0]["line"] == "3"  # the title line, then the header
    assert rows[1]["group"] == "Cấp huyện" and rows[0]["unit"] == "Sở Khoa học và Công nghệ"
    english = b"Name,Unit,Position,Group,Phone,Email\nJohn Smith,UNDP,Officer,,123,j@u.org\n"
    assert read_invitees("list.CSV", english) == [
        {
            "line": "2",
            "full_name": "John Smith",
            "unit": "UNDP",
            "position": "Officer",
            "group": "",
            "phone": "123",
            "email": "j@u.org",
        }
    ]
    assert source_line(rows, 3) == 4  # the service's 2nd row is line 4 of the file
    for name, data, code in [
        ("ds.xls", b"x", "type"),
        ("ds.csv", "Đơn vị;Chức vụ\nSở;GĐ\n".encode(), "no_name"),
        ("ds.csv", "Họ tên\n".encode(), "empty"),
        ("ds.csv", "Họ tên\nNguyễn\n".encode("utf-16"), "encoding"),
        ("ds.xlsx", b"not a zip", "unreadable"),
        ("ds.csv", b"Ho ten\n" + b"x" * (2 * 1024 * 1024), "too_large"),
        ("ds.csv", ("Họ tên\n" + "Người\n" * 2001).encode(), "too_many"),
    ]:
        with pytest.raises(InviteeFileError) as exc:
            read_invitees(name, data)
        assert exc.value.code == code, name


# --- the sheet --------------------------------------------------------------------------------


def test_invitation_sheet_read_back() -> None:
    event = make_event()
    people = [
        Invitee(
            id=i,
            event_id=EVENT_ID,
            code=code,
            full_name=name,
            unit="Sở",
            group_id="so-khcn" if i == 1 else None,
        )
        for i, (code, name) in enumerate(
            [("ABCD2345", "Nguyễn Văn An"), ("WXYZ6789", "=1+1"), ("HJKM2345", "Lê C")], start=1
        )
    ]
    data = invitation_sheet(event, people, "thidua_bot", t=lambda key: f"[{key}]")
    archive = zipfile.ZipFile(io.BytesIO(data))
    names = archive.namelist()
    assert names == [
        "giay-moi.xlsx",
        "qr/01-ABCD2345.png",
        "qr/02-WXYZ6789.png",
        "qr/03-HJKM2345.png",
    ]
    sheet = load_workbook(io.BytesIO(archive.read("giay-moi.xlsx"))).active
    assert sheet is not None
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][0] == "[events.sheet.col.number]" and len(rows) == 4
    for row, person in zip(rows[1:], people, strict=True):
        link = invite_link("thidua_bot", person.code)
        assert row[1] == person.full_name and row[5] == person.code and row[6] == link
        assert link == f"https://t.me/thidua_bot?start=rsvp_{person.code}"
    assert rows[1][4] == "Sở Khoa học và Công nghệ"  # the group's name
    formula = sheet.cell(row=3, column=2)
    assert formula.data_type == "s" and formula.quotePrefix  # text, never a formula
    assert len(sheet._images) == 3  # type: ignore[attr-defined]
    assert sheet.row_dimensions[2].height and sheet.row_dimensions[2].height >= 80
    for number, person in enumerate(people, start=1):
        png = archive.read(f"qr/{number:02d}-{person.code}.png")
        assert len(png) > 0
        with PILImage.open(io.BytesIO(png)) as image:
            image.verify()
        assert png == qr_png(invite_link("thidua_bot", person.code))  # segno: same link, same QR


# --- /invite_import and /invitations -------------------------------------------------------------


async def test_admin_imports_an_xlsx_for_the_only_event(bot: Harness, admin: StubUser) -> None:
    await one_event(bot)
    await send_file(bot, admin, "khach-moi.xlsx", xlsx_bytes(PEOPLE), "/invite_import")
    assert any(call.method == "getFile" for call in bot.stub.calls)
    invitees = await bot.services.events.invitees(EVENT_ID)
    assert [(p.full_name, p.group_id) for p in invitees] == [
        ("Nguyễn Văn An", "so-khcn"),
        ("Trần Thị Bình", "cap-huyen"),  # by the group's name
        ("Lê Văn Cường", None),  # an unknown group: invited all the same, without one
        ('=HYPERLINK("http://x")', None),
    ]
    summary = next(t for t in bot.texts(admin.id) if "Danh sách khách mời" in t)
    assert "Đã thêm: 4 người" in summary and "(bỏ qua): 0" in summary
    assert "Dòng có lỗi (chưa nhập): 1" in summary
    assert "Dòng 5: trùng với dòng 3 (cùng họ tên và đơn vị" in summary  # the file's lines
    assert "đã được mời nhưng <b>chưa xếp nhóm</b>" in summary
    assert "Dòng 6: nhóm «bao-chi» không có trong hội nghị" in summary
    assert (
        "Các nhóm của hội nghị:\n• so-khcn: Sở Khoa học và Công nghệ\n• cap-huyen: Cấp huyện"
        in summary
    )
    assert "được hiểu" not in summary  # «Cấp huyện»: the group's whole name
    sent = documents(bot, admin.id)
    assert len(sent) == 1 and sent[0]["_filename"] == f"giay-moi-{EVENT_ID}.zip"
    assert "4 khách mời" in str(sent[0]["caption"])
    archive = open_zip(sent[0])
    sheet = load_workbook(io.BytesIO(archive.read("giay-moi.xlsx"))).active
    assert sheet is not None
    codes = [row[5] for row in sheet.iter_rows(min_row=2, values_only=True)]
    assert codes == [p.code for p in invitees]
    assert [row[6] for row in sheet.iter_rows(min_row=2, values_only=True)] == [
        f"https://t.me/thidua_local_bot?start=rsvp_{p.code}" for p in invitees
    ]
    assert len([n for n in archive.namelist() if n.startswith("qr/")]) == 4
    # The same list again: everybody is already invited.
    await send_file(bot, admin, "khach-moi.xlsx", xlsx_bytes(PEOPLE), "/invite_import")
    assert "Đã thêm: 0 người" in bot.texts(admin.id)[-2]
    assert "cập nhật thông tin mới (mã mời giữ nguyên): 0 người" in bot.texts(admin.id)[-2]
    assert len(await bot.services.events.invitees(EVENT_ID)) == 4
    # A corrected list: Bình's position and group changed, a phone for An, Cường's group given;
    # an empty cell keeps what was there. Their codes stay.
    corrected = [
        [1, "Nguyễn Văn An", "Sở Khoa học và Công nghệ", "", "", "0912000111", ""],
        [2, "Trần Thị Bình", "UBND huyện Văn Lâm", "Chủ tịch", "so-khcn", "", ""],
        [3, '=HYPERLINK("http://x")', "Công ty ABC", "", "", "", "a@b.vn"],  # the same
        [4, "Lê Văn Cường", "Sở Nội vụ", "", "cap-huyen", "", ""],
    ]
    await send_file(bot, admin, "sua.csv", csv_bytes(corrected), "/invite_import")
    summary = bot.texts(admin.id)[-2]
    assert "Đã thêm: 0 người" in summary and "(bỏ qua): 1" in summary
    assert "Đã có, cập nhật thông tin mới (mã mời giữ nguyên): 3 người" in summary
    assert "chưa xếp nhóm" not in summary
    after = await bot.services.events.invitees(EVENT_ID)
    assert [p.code for p in after] == [p.code for p in invitees]
    an, binh, cuong, _ = after
    assert cuong.group_id == "cap-huyen"
    assert (an.position, an.phone, an.group_id) == ("Giám đốc", "0912000111", "so-khcn")
    assert (binh.position, binh.phone, binh.group_id) == ("Chủ tịch", "0987654321", "so-khcn")


async def test_groups_written_as_people_write_them(bot: Harness, admin: StubUser) -> None:
    groups = (
        Group(
            id="so-khcn", name="Lãnh đạo Sở KH&CN, Văn phòng Sở và các phòng", aliases=("VP Sở",)
        ),
        Group(id="cap-huyen", name="Đại diện lãnh đạo UBND các huyện"),
        Group(id="tinh", name="Đại diện lãnh đạo UBND tỉnh"),
    )
    await one_event(bot, groups=groups)
    people = [
        [1, "Nguyễn Văn An", "Sở KH&CN", "", "Lãnh đạo Sở Khoa học và Công nghệ", "", ""],
        [2, "Trần Thị Bình", "Sở KH&CN", "", "vp so", "", ""],  # an alias
        [3, "Lê Văn Cường", "UBND huyện", "", "lanh dao UBND cac huyen", "", ""],
        [4, "Phạm Thị Dung", "UBND tỉnh", "", "Đại diện lãnh đạo", "", ""],  # two groups
        [5, "Hà Văn Sơn", "Báo Hưng Yên", "", "Báo & Đài", "", ""],
    ]
    await send_file(bot, admin, "ds.csv", csv_bytes(people), "/invite_import")
    invitees = await bot.services.events.invitees(EVENT_ID)
    assert [(p.full_name, p.group_id) for p in invitees] == [
        ("Nguyễn Văn An", "so-khcn"),
        ("Trần Thị Bình", "so-khcn"),
        ("Lê Văn Cường", "cap-huyen"),
        ("Phạm Thị Dung", None),  # invited; the group is to fix
        ("Hà Văn Sơn", None),
    ]
    summary = next(t for t in bot.texts(admin.id) if "Danh sách khách mời" in t)
    assert "Đã thêm: 5 người" in summary and "Dòng có lỗi (chưa nhập): 0" in summary
    assert (
        "Dòng 5: nhóm «Đại diện lãnh đạo» có thể là nhiều nhóm (cap-huyen, tinh); "
        "vui lòng ghi rõ hơn" in summary
    )
    assert "Dòng 6: nhóm «Báo &amp; Đài» không có trong hội nghị" in summary
    assert summary.endswith(
        "Cột Nhóm đã được hiểu như sau:\n"
        "• «Lãnh đạo Sở Khoa học và Công nghệ» → "
        "Lãnh đạo Sở KH&amp;CN, Văn phòng Sở và các phòng (so-khcn)\n"
        "• «vp so» → Lãnh đạo Sở KH&amp;CN, Văn phòng Sở và các phòng (so-khcn)\n"
        "• «lanh dao UBND cac huyen» → Đại diện lãnh đạo UBND các huyện (cap-huyen)"
    )


async def test_the_plan_groups_by_the_names_people_use(bot: Harness) -> None:
    """The shipped conference: its groups by a part of their long names or an alias."""
    event = await bot.services.events.get(SEEDED)
    assert event is not None
    read = {
        text: event.find_group(text)
        for text in (
            "Lãnh đạo Sở KH&CN",
            "lanh dao so khcn",
            "Văn phòng Sở",
            "UBND tỉnh",
            "huyện",
            "Sở Nội vụ",
            "Ban TĐKT",
            "điển hình tiên tiến",
            "Khối thi đua",
            "so-khcn",
        )
    }
    assert {text: m.group.id if m.group else None for text, m in read.items()} == {
        "Lãnh đạo Sở KH&CN": "so-khcn",
        "lanh dao so khcn": "so-khcn",
        "Văn phòng Sở": "so-khcn",
        "UBND tỉnh": "ubnd-tinh",
        "huyện": "cap-huyen",
        "Sở Nội vụ": "so-noi-vu",
        "Ban TĐKT": "so-noi-vu",
        "điển hình tiên tiến": "dien-hinh",
        "Khối thi đua": "khoi-thi-dua",
        "so-khcn": "so-khcn",
    }
    assert read["so-khcn"].exact and not read["Lãnh đạo Sở KH&CN"].exact
    unclear = event.find_group("Lãnh đạo")
    assert unclear.group is None and [g.id for g in unclear.several] == ["ubnd-tinh", "so-khcn"]
    for text in ("Báo chí", "2", ""):
        assert event.find_group(text) == GroupMatch(None)


async def test_a_list_sent_alone_is_imported_by_replying_invite_import(
    bot: Harness, admin: StubUser
) -> None:
    await one_event(bot)
    update = bot.stub.user_document(admin, "khach-moi.xlsx", xlsx_bytes(PEOPLE))
    bot.stub.pending_updates(update["update_id"] + 1)
    await bot.feed(update)
    assert bot.last_text(admin.id) == bot.t("fallback.file_admin")
    assert await bot.services.events.invitees(EVENT_ID) == []
    await bot.say(admin, f"/invite_import {EVENT_ID}", reply_to=update["message"]["message_id"])
    assert len(await bot.services.events.invitees(EVENT_ID)) == 4
    assert len(documents(bot, admin.id)) == 1  # the invitation sheet


@pytest.mark.usefixtures("among_flows")
async def test_two_events_ask_which_then_typed_number(bot: Harness, admin: StubUser) -> None:
    await bot.services.events.save(make_event())  # to come: before the seeded one (2025)
    await send_file(bot, admin, "ds.csv", csv_bytes(PEOPLE[:2]), "/invite_import")
    assert not any(call.method == "getFile" for call in bot.stub.calls)  # not yet
    assert await state(bot, admin, "invite_import") == "event"
    assert [data for _, data in bot.buttons(admin.id)] == [f"evi:{EVENT_ID}", f"evi:{SEEDED}"]
    await bot.say(admin, "9")
    assert bot.last_text(admin.id) == bot.t("error.choose_button")
    await bot.say(admin, "1")
    assert await state(bot, admin, "invite_import") is None
    assert len(await bot.services.events.invitees(EVENT_ID)) == 2
    assert await bot.services.events.invitees(SEEDED) == []
    assert len(documents(bot, admin.id)) == 1
    # Named in the caption: no question.
    await send_file(bot, admin, "ds.csv", csv_bytes(PEOPLE[:1]), f"/invite_import {SEEDED}")
    assert len(await bot.services.events.invitees(SEEDED)) == 1
    assert await state(bot, admin, "invite_import") is None
    # /invitations: the sheet again, for the event picked with its button.
    await bot.say(admin, "/invitations")
    await bot.press(admin, f"evi:{EVENT_ID}")
    assert documents(bot, admin.id)[-1]["_filename"] == f"giay-moi-{EVENT_ID}.zip"
    await bot.say(admin, "/invitations khong-co")
    assert "Không tìm thấy hội nghị có mã «khong-co»" in bot.last_text(admin.id)


async def test_non_admins_are_refused(bot: Harness, alice: StubUser) -> None:
    await one_event(bot)
    await send_file(bot, alice, "ds.xlsx", xlsx_bytes(PEOPLE), "/invite_import")
    assert bot.last_text(alice.id) == bot.t("admin.denied")
    assert not any(call.method == "getFile" for call in bot.stub.calls)
    for command in ("/invitations", "/event_edit", "/event_delete", "/invite_import"):
        await bot.say(alice, command)
        assert bot.last_text(alice.id) == bot.t("admin.denied")
    assert await bot.services.events.invitees(EVENT_ID) == []


async def test_unreadable_files_and_how_to(bot: Harness, admin: StubUser) -> None:
    await one_event(bot)
    await bot.say(admin, "/invite_import")
    assert "/invite_import" in bot.last_text(admin.id) and "2 MB" in bot.last_text(admin.id)
    await send_file(bot, admin, "ds.xls", b"old excel", "/invite_import")
    assert bot.last_text(admin.id) == bot.t("events.import.type")
    await send_file(bot, admin, "ds.csv", "Đơn vị\nSở\n".encode(), "/invite_import")
    assert bot.last_text(admin.id) == bot.t("events.import.no_name")
    assert documents(bot, admin.id) == []
    await bot.say(admin, "/invitations")
    assert "chưa có khách mời" in bot.last_text(admin.id)


# --- /event_edit ------------------------------------------------------------------------------


async def answer_yes(bot: Harness, user: StubUser, event_id: str = EVENT_ID) -> None:
    person = await bot.services.users.get(user.id)
    assert person is not None
    ref = StepRef(next(_steps), (user.id, user.id))
    await bot.services.events.answer(ref, person, event_id, Answer.YES)


def typed(moment: datetime) -> str:
    return f"{moment.day}/{moment.month}/{moment.year} {moment:%H:%M}"


@pytest.mark.usefixtures("among_flows")
async def test_moving_the_event_tells_people_in_their_language(
    bot: Harness,
    admin: StubUser,
    alice: StubUser,
    bob: StubUser,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    event = make_event()
    await bot.services.events.save(event)  # two events: the seeded one and this one
    carol = StubUser(1003, first_name="Carol", language_code="vi")
    await register(bot, alice, "Nguyễn Thị Lan")
    await register(bot, bob, "Bob Nguyen")
    await bot.say(carol, "/help")
    for person in (alice, bob, carol):
        await answer_yes(bot, person)
    original = bot.stub.handle

    def blocked_by_carol(method: str, params: JSON) -> tuple[int, JSON]:
        if method == "sendMessage" and str(params.get("chat_id")) == str(carol.id):
            return 403, {"ok": False, "error_code": 403, "description": "Forbidden: blocked"}
        return original(method, params)

    monkeypatch.setattr(bot.stub, "handle", blocked_by_carol)

    await bot.say(admin, "/event_edit")
    assert await state(bot, admin, "event_edit") == "event"
    await bot.say(admin, "1")  # the first of the list: the event to come (the seeded one is past)
    assert await state(bot, admin, "event_edit") == "field"
    assert "Hội thảo Chuyển đổi số 2026" in bot.last_text(admin.id)
    await bot.say(admin, "2")  # the start
    assert await state(bot, admin, "event_edit") == "value"
    # Invalid values keep the step, with the reason.
    # The example in the question is on the event's own date, never a past year's.
    start = event.starts_at.astimezone(TZ)
    example = f"{start.day}/{start.month}/{start.year} {start:%H:%M}"
    assert bot.t("events.ask.starts_at", example=example) in bot.last_text(admin.id)
    await bot.say(admin, "sáng thứ Hai")
    assert bot.last_text(admin.id) == bot.t("events.error.datetime", example=example)
    await bot.say(admin, "1/1/2020 08:00")
    assert bot.last_text(admin.id) == bot.t("events.error.past")
    too_early = event.rsvp_deadline - timedelta(days=1)
    await bot.say(admin, typed(too_early))
    assert "phải sau hạn đăng ký" in bot.last_text(admin.id)
    assert await state(bot, admin, "event_edit") == "value"
    new_start = event.starts_at + timedelta(days=1, hours=-1)  # the next day at 07:00
    await bot.say(admin, typed(new_start))
    assert await state(bot, admin, "event_edit") == "confirm"
    confirm = bot.last_text(admin.id)
    assert f"Mới: {new_start:%H:%M %d/%m/%Y}" in confirm and "báo cho 3 người" in confirm
    assert (await bot.services.events.get(EVENT_ID)).starts_at == event.starts_at  # type: ignore[union-attr]
    mark = bot.mark()
    await bot.tap(admin, "eve:c:save")
    assert await state(bot, admin, "event_edit") is None
    saved = await bot.services.events.get(EVENT_ID)
    assert saved is not None and saved.starts_at == new_start
    when = f"{new_start:%H:%M %d/%m/%Y}"
    admin_texts = bot.texts_since(mark, admin.id)
    assert any("Đã lưu thay đổi" in t for t in admin_texts)
    # Queued with the change (one transaction); the bot does not know yet that Carol blocked it.
    assert admin_texts[-1] == bot.t("events.edit.notices_queued", queued=3)
    await bot.deliver()
    (to_alice,) = bot.texts_since(mark, alice.id)
    (to_bob,) = bot.texts_since(mark, bob.id)
    assert "Văn phòng Sở thông báo thay đổi" in to_alice and when in to_alice
    assert "The Office announces a change" in to_bob and when in to_bob
    assert "Hội trường Sở, Số 1 Lê Lợi" in to_bob
    outbox = await bot.db_row("SELECT status FROM outbox WHERE user_id = ?", carol.id)
    assert outbox == {"status": "unreachable"}
    assert await bot.db_value("SELECT unreachable_at FROM users WHERE user_id = ?", carol.id)
    # Reminders re-armed at the new time (one day and two hours before).
    rsvp = await bot.services.events.rsvp_of(EVENT_ID, alice.id)
    assert rsvp is not None
    async with (
        bot.services.db.read() as conn,
        conn.execute(
            "SELECT minutes, due_at FROM reminders WHERE rsvp_id = ? ORDER BY minutes", (rsvp.id,)
        ) as cur,
    ):
        reminders = [(row[0], row[1]) for row in await cur.fetchall()]
    assert reminders == [
        (m, (new_start - timedelta(minutes=m)).astimezone(UTC).isoformat(timespec="seconds"))
        for m in (120, 1440)
    ]


@pytest.mark.usefixtures("among_flows")
async def test_invalid_values_cancel_and_stale_buttons(bot: Harness, admin: StubUser) -> None:
    event = await one_event(bot)
    await bot.say(admin, "/event_edit")  # one event: straight to the items
    assert await state(bot, admin, "event_edit") == "field"
    await bot.press(admin, "eve:f:rsvp_deadline")
    after_start = event.starts_at + timedelta(hours=1)
    await bot.say(admin, typed(after_start))
    assert "phải trước giờ bắt đầu" in bot.last_text(admin.id)
    await bot.say(admin, typed(datetime.now(UTC) - timedelta(days=1)))  # already past
    assert bot.last_text(admin.id) == bot.t("events.error.deadline_past")
    assert await state(bot, admin, "event_edit") == "value"
    await bot.say(admin, "/event_edit")  # resumes: the question again
    assert bot.texts(admin.id)[-2] == bot.t("flow.resumed")
    await bot.say(admin, "/cancel")
    assert bot.last_text(admin.id) == bot.t("flow.cancelled")
    assert await state(bot, admin, "event_edit") is None
    # Capacity below the reserved seats (10), then a valid one, typed "1" = Save.
    await bot.say(admin, "/event_edit")
    await bot.say(admin, "8")  # the capacity
    await bot.say(admin, "8")
    assert bot.last_text(admin.id) == bot.t("events.error.capacity_reserved", reserved=10)
    for wrong in ("-5", "0"):  # no negative sign dropped, no empty room
        await bot.say(admin, wrong)
        assert bot.last_text(admin.id) == bot.t("events.error.capacity_range"), wrong
    await bot.say(admin, "12 chỗ")
    assert await state(bot, admin, "event_edit") == "confirm"
    await bot.say(admin, "1")
    assert (await bot.services.events.get(EVENT_ID)).capacity == 12  # type: ignore[union-attr]
    # A group's reserved seats: over the capacity, then right.
    await bot.say(admin, "/event_edit")
    await bot.press(admin, "eve:f:reserved")
    await bot.say(admin, "cấp huyện")
    await bot.say(admin, "9")
    assert bot.last_text(admin.id) == bot.t("events.error.reserved_over", free=7)
    await bot.say(admin, "7")
    await bot.tap(admin, "eve:c:save")
    saved = await bot.services.events.get(EVENT_ID)
    assert saved is not None and saved.group("cap-huyen").reserved == 7  # type: ignore[union-attr]
    # Reminders, typed in words; the mode by its label.
    await bot.say(admin, "/event_edit")
    await bot.say(admin, "nhắc lịch")
    await bot.say(admin, "2 ngày, 3 giờ")
    await bot.say(admin, "lưu")
    await bot.say(admin, "/event_edit")
    await bot.press(admin, "eve:f:mode")
    await bot.say(admin, "theo giấy mời")
    await bot.tap(admin, "eve:c:save")
    saved = await bot.services.events.get(EVENT_ID)
    assert saved is not None and saved.reminders == (2880, 180) and saved.mode == "invitation"
    # A stale button inside the flow: the step stays; outside it: "no longer valid".
    await bot.say(admin, "/event_edit")
    fields_message = bot.last_keyboard_message(admin.id)
    await bot.press(admin, "eve:f:title")
    await bot.press(admin, "eve:f:venue", message=fields_message)
    assert await state(bot, admin, "event_edit") == "value"
    answers = [c.params for c in bot.stub.sent(None, "answerCallbackQuery")]
    assert answers[-1].get("text") == bot.t("button.stale")
    await bot.say(admin, "/cancel")
    await bot.press(admin, "eve:f:venue", message=fields_message)
    answers = [c.params for c in bot.stub.sent(None, "answerCallbackQuery")]
    assert answers[-1].get("text") == bot.t("button.stale")
    assert await state(bot, admin, "event_edit") is None
    assert (await bot.services.events.get(EVENT_ID)).venue == "Hội trường Sở"  # type: ignore[union-attr]
    # «Lưu» of a confirmation left by typing «hủy» never saves the change pending now.
    await bot.say(admin, "/event_edit")
    await bot.press(admin, "eve:f:venue")
    await bot.say(admin, "Hội trường A")
    old_confirm = bot.last_keyboard_message(admin.id)
    await bot.say(admin, "hủy")
    await bot.say(admin, "/event_edit")
    await bot.say(admin, "8")  # the capacity
    await bot.say(admin, "15")
    await bot.tap(admin, "eve:c:save", message=old_confirm)
    answers = [c.params for c in bot.stub.sent(None, "answerCallbackQuery")]
    assert answers[-1].get("text") == bot.t("button.stale")
    assert await state(bot, admin, "event_edit") == "confirm"
    assert (await bot.services.events.get(EVENT_ID)).capacity == 12  # type: ignore[union-attr]


async def test_items_typed_by_other_names(bot: Harness, admin: StubUser) -> None:
    await one_event(bot)
    for typed_item, asked in (
        ("giờ bắt đầu", "Gõ ngày giờ bắt đầu mới"),
        ("đổi ngày", "Gõ ngày giờ bắt đầu mới"),
        ("sửa hạn chót", "Gõ hạn đăng ký mới"),
        ("sức chứa", "Gõ tổng số chỗ"),
        ("thay đổi địa điểm", "Gõ địa điểm mới"),
    ):
        await bot.say(admin, "/event_edit")
        await bot.say(admin, typed_item)
        assert await state(bot, admin, "event_edit") == "value", typed_item
        assert asked in bot.last_text(admin.id), typed_item
        await bot.say(admin, "/cancel")
    # The value it has already: nothing to save, the step stays
    await bot.say(admin, "/event_edit")
    await bot.say(admin, "địa điểm")
    await bot.say(admin, "Hội trường Sở")
    assert bot.last_text(admin.id) == bot.t("events.edit.unchanged", value=Safe("Hội trường Sở"))
    assert await state(bot, admin, "event_edit") == "value"
    await bot.say(admin, "Hội trường tầng 3")
    assert await state(bot, admin, "event_edit") == "confirm"


@pytest.mark.usefixtures("among_flows")
async def test_event_delete_with_a_confirmation(bot: Harness, admin: StubUser) -> None:
    await bot.services.events.save(make_event())
    await bot.say(admin, f"/event_delete {EVENT_ID}")
    assert await state(bot, admin, "event_delete") == "confirm"
    # «Không xóa» is the first button: «1», typed as if to pick the event, keeps it.
    assert [data.split(":")[2] for _, data in bot.buttons(admin.id)] == ["no", "yes"]
    await bot.say(admin, "1")
    assert bot.last_text(admin.id) == bot.t("events.delete.kept")
    assert await bot.services.events.get(EVENT_ID) is not None
    await bot.say(admin, f"/event_delete {EVENT_ID}")
    await bot.tap(admin, "evd:c:yes")
    assert await bot.services.events.get(EVENT_ID) is None
    assert [e.id for e in await bot.services.events.events()] == [SEEDED]


@pytest.mark.usefixtures("among_flows")
async def test_event_delete_offers_the_events(bot: Harness, admin: StubUser) -> None:
    """Without an id, the same picker as /event_edit: a button, the number or the title."""
    await bot.services.events.save(make_event())
    ids = [e.id for e in await bot.services.events.listed()]
    await bot.say(admin, "/event_delete")
    assert await state(bot, admin, "event_delete") == "event"
    assert bot.last_text(admin.id).startswith(bot.t("events.delete.pick"))
    buttons = bot.buttons(admin.id)
    assert [data for _, data in buttons] == [f"evd:e:{i}" for i in ids]
    await bot.say(admin, "tập huấn")  # no such title: the question again
    assert await state(bot, admin, "event_delete") == "event"
    await bot.say(admin, "hội thảo chuyển đổi số")  # typed title
    assert await state(bot, admin, "event_delete") == "confirm"
    assert "Hội thảo Chuyển đổi số 2026" in bot.last_text(admin.id)
    await bot.say(admin, "không")
    assert bot.last_text(admin.id) == bot.t("events.delete.kept")
    await bot.say(admin, "/event_delete")
    await bot.say(admin, str(ids.index(EVENT_ID) + 1))  # its number
    assert await state(bot, admin, "event_delete") == "confirm"
    await bot.say(admin, "/cancel")
    await bot.say(admin, "/event_delete")
    await bot.tap(admin, f"evd:e:{EVENT_ID}")
    await bot.say(admin, "xóa")
    assert await bot.services.events.get(EVENT_ID) is None
    await bot.say(admin, "/event_delete Hội thảo")  # a title after the command, none left
    assert bot.last_text(admin.id) == bot.t("events.unknown", id="Hội thảo", ids=SEEDED)
    await bot.say(admin, "/event_delete")  # the only event left: straight to the question
    assert await state(bot, admin, "event_delete") == "confirm"


@pytest.mark.usefixtures("among_flows")
async def test_event_delete_named_by_title(bot: Harness, admin: StubUser) -> None:
    await bot.services.events.save(make_event())
    await bot.say(admin, "/event_delete hội thảo chuyển đổi số 2026")
    assert await state(bot, admin, "event_delete") == "confirm"
    assert "Hội thảo Chuyển đổi số 2026" in bot.last_text(admin.id)


@pytest.mark.usefixtures("among_flows")
async def test_a_lost_request_ends_the_question(bot: Harness, admin: StubUser) -> None:
    """The pending file is kept in user_data; if it is gone (a crash before the flush), the
    admin is asked to send the file again instead of being stuck in the question."""
    await bot.services.events.save(make_event())
    await send_file(bot, admin, "ds.csv", csv_bytes(PEOPLE[:1]), "/invite_import")
    assert bot.app is not None
    bot.app.user_data[admin.id]["events_invite"].clear()
    await bot.say(admin, "2")
    assert bot.last_text(admin.id) == bot.t("events.import.lost")
    assert await state(bot, admin, "invite_import") is None
    assert await bot.services.events.invitees(EVENT_ID) == []


def test_the_agenda_moves_with_the_start() -> None:
    from bot.domain.events import AgendaItem
    from handlers.events_admin import shift_agenda

    agenda = (
        AgendaItem(time="08:00", title="Khai mạc"),
        AgendaItem(time="11:30", title="Bế mạc"),
        AgendaItem(title="Chụp ảnh lưu niệm"),
    )
    event = make_event(agenda=agenda)  # starts at 08:00
    later = event.starts_at + timedelta(days=1, hours=6, minutes=30)  # next day, 14:30
    assert [i["time"] for i in shift_agenda(event, later, TZ)] == ["14:30", "18:00", None]
    same_hour = event.starts_at + timedelta(days=7)  # another day, same hour: nothing moves
    assert [i["time"] for i in shift_agenda(event, same_hour, TZ)] == ["08:00", "11:30", None]
    late = event.starts_at + timedelta(hours=14)  # 22:00: 11:30 would leave the day
    assert [i["time"] for i in shift_agenda(event, late, TZ)] == ["22:00", None, None]


@pytest.mark.usefixtures("among_flows")
async def test_an_item_named_at_the_value_step_switches_item(bot: Harness, admin: StubUser) -> None:
    """The clerk changes their mind: «địa điểm» typed as the new title is that item, never the
    title; so at the confirmation. After a save, «Sửa mục khác» (or an item named right away)
    goes on with the same event."""
    await one_event(bot)
    await bot.say(admin, "/event_edit")
    await bot.say(admin, "tên hội nghị")
    assert bot.last_text(admin.id).startswith(bot.t("events.ask.title"))
    await bot.say(admin, "địa điểm")
    texts = bot.texts(admin.id)
    assert texts[-2] == bot.t("events.edit.switched", field="Địa điểm")
    assert texts[-1].startswith(bot.t("events.ask.venue"))
    assert await state(bot, admin, "event_edit") == "value"
    await bot.say(admin, "Hội trường tầng 3")
    assert await state(bot, admin, "event_edit") == "confirm"
    await bot.say(admin, "sửa sức chứa")  # at the confirmation: that item instead
    assert bot.texts(admin.id)[-2] == bot.t("events.edit.switched", field="Số chỗ")
    assert (await bot.services.events.get(EVENT_ID)).venue == "Hội trường Sở"  # type: ignore[union-attr]
    await bot.say(admin, "40")
    await bot.say(admin, "lưu")
    assert await state(bot, admin, "event_edit") is None
    assert (await bot.services.events.get(EVENT_ID)).capacity == 40  # type: ignore[union-attr]
    saved = bot.t("events.edit.saved", field="Số chỗ", title="Hội thảo Chuyển đổi số 2026")
    assert bot.last_text(admin.id) == saved
    assert bot.buttons(admin.id) == [(bot.t("events.edit.btn_more"), f"eve:more:{EVENT_ID}")]
    await bot.say(admin, "địa điểm")  # an item named right after the save: its question
    assert await state(bot, admin, "event_edit") == "value"
    assert bot.last_text(admin.id).startswith(bot.t("events.ask.venue"))
    await bot.say(admin, "Hội trường tầng 3")
    await bot.say(admin, "lưu")
    assert (await bot.services.events.get(EVENT_ID)).venue == "Hội trường tầng 3"  # type: ignore[union-attr]
    await bot.tap(admin, f"eve:more:{EVENT_ID}")  # pressed: the items again
    assert await state(bot, admin, "event_edit") == "field"
    await bot.say(admin, "/cancel")
    # The offer is for the next message only: after something else, «sức chứa» is a question.
    await bot.say(admin, "số chỗ")
    await bot.say(admin, "60")
    await bot.say(admin, "lưu")
    await bot.say(admin, "cảm ơn")
    await bot.say(admin, "sức chứa")
    assert await state(bot, admin, "event_edit") is None


@pytest.mark.usefixtures("among_flows")
async def test_a_new_start_after_a_deadline_left_behind_says_the_answers_are_closed(
    bot: Harness, admin: StubUser
) -> None:
    """The shipped plan's conference moved to a new date keeps its old deadline: the save
    says invitees cannot answer any more, and «hạn đăng ký» right after it opens that item."""
    past = datetime.now(UTC) - timedelta(days=1)
    await one_event(bot, starts_at=past + timedelta(hours=2), rsvp_deadline=past)
    await bot.say(admin, "/event_edit")
    await bot.say(admin, "giờ bắt đầu")
    await bot.say(admin, typed(start_time()))
    await bot.say(admin, "lưu")
    saved = bot.last_text(admin.id)
    deadline = past.astimezone(bot.settings.tz).strftime("%H:%M %d/%m/%Y")
    assert bot.t("events.deadline_passed", item="Hạn đăng ký", deadline=deadline) in saved
    await bot.say(admin, "hạn đăng ký")
    assert bot.last_text(admin.id).startswith(bot.t("events.ask.rsvp_deadline").split("{")[0])


async def test_note_and_agenda_are_edited_in_the_chat(bot: Harness, admin: StubUser) -> None:
    await one_event(bot, note="Thời gian là dự kiến; Văn phòng Sở sẽ cập nhật theo Giấy mời.")
    await bot.say(admin, "/event_edit")
    fields = bot.last_text(admin.id)
    assert "12. Lưu ý: Thời gian là dự kiến" in fields and "13. Chương trình: (trống)" in fields
    # A new start: saved, and the clerk is reminded of the note delegates still read.
    await bot.say(admin, "giờ bắt đầu")
    start = start_time() + timedelta(days=2)
    await bot.say(admin, typed(start))
    await bot.say(admin, "lưu")
    assert bot.t(
        "events.edit.note_still",
        note="Thời gian là dự kiến; Văn phòng Sở sẽ cập nhật theo Giấy mời.",
    ) in bot.last_text(admin.id)
    await bot.say(admin, "lưu ý")
    await bot.say(admin, "quay lại")  # the items again
    assert await state(bot, admin, "event_edit") == "field"
    await bot.say(admin, "lưu ý")
    assert bot.last_text(admin.id).startswith(bot.t("events.ask.note"))
    await bot.say(admin, "lưu")  # a steering word is never the note
    assert bot.last_text(admin.id) == bot.t("error.not_an_answer", text="lưu")
    await bot.say(admin, "x" * 1001)
    assert bot.last_text(admin.id) == bot.t("error.too_long", limit=1000, length=1001)
    await bot.say(admin, "Đại biểu mang theo <Giấy mời> & CCCD.")
    assert "Mới: Đại biểu mang theo &lt;Giấy mời&gt; &amp; CCCD." in bot.last_text(admin.id)
    await bot.say(admin, "lưu")
    assert (await bot.services.events.get(EVENT_ID)).note == "Đại biểu mang theo <Giấy mời> & CCCD."  # type: ignore[union-attr]
    # The agenda: one item a line, times first; a wrong line is named and nothing is lost.
    await bot.say(admin, "sửa mục khác")
    await bot.say(admin, "chương trình")
    assert bot.last_text(admin.id).startswith(bot.t("events.ask.agenda"))
    await bot.say(admin, "08:00 Đón tiếp\n25:00 Khai mạc")
    assert bot.last_text(admin.id) == bot.t(
        "events.error.agenda_time", line=2, typed="25:00", low=2, high=300, limit=20
    )
    assert await state(bot, admin, "event_edit") == "value"
    await bot.say(admin, "- 08:00 – 08:30: Đón tiếp đại biểu\n8h30 Khai mạc")
    assert bot.t("events.edit.agenda_more") in bot.last_text(admin.id)
    await bot.say(admin, "99:00 Chụp ảnh")  # a wrong line added: the pending agenda stays
    assert bot.last_text(admin.id).startswith("Dòng 3:")
    await bot.say(admin, "Chụp ảnh lưu niệm")  # sent as another message: added at the end
    assert await state(bot, admin, "event_edit") == "confirm"
    confirm = bot.last_text(admin.id)
    assert "Mới: \n08:00 Đón tiếp đại biểu\n08:30 Khai mạc\nChụp ảnh lưu niệm" in confirm
    await bot.say(admin, "lưu")
    event = await bot.services.events.get(EVENT_ID)
    assert event is not None
    assert [(i.time, i.title) for i in event.agenda] == [
        ("08:00", "Đón tiếp đại biểu"),
        ("08:30", "Khai mạc"),
        (None, "Chụp ảnh lưu niệm"),
    ]
    await bot.say(admin, "1")  # «Sửa mục khác» by its number
    assert "13. Chương trình: 3 mục" in bot.last_text(admin.id)
    await bot.say(admin, "13")
    assert "Hiện tại: \n08:00 Đón tiếp đại biểu\n08:30 Khai mạc" in bot.last_text(admin.id)
    await bot.say(admin, "-")  # no agenda
    await bot.say(admin, "lưu")
    await bot.say(admin, "/event_edit")
    await bot.say(admin, "ghi chú")
    await bot.say(admin, "không")  # no note
    await bot.say(admin, "lưu")
    event = await bot.services.events.get(EVENT_ID)
    assert event is not None and event.agenda == () and event.note == ""


_WORDS = st.text(st.sampled_from("aăâbcdđeêghiklmnoôơpqrstuưvxyáàảãạếềểễệốồổỗộ"), min_size=1)
_AGENDA_TITLES = (
    st.lists(_WORDS, min_size=1, max_size=6).map(" ".join).filter(lambda t: 2 <= len(t) <= 300)
)
_AGENDA_TIMES = st.none() | st.tuples(st.integers(0, 23), st.integers(0, 59))


@given(st.lists(st.tuples(_AGENDA_TIMES, _AGENDA_TITLES), min_size=1, max_size=20), st.data())
@settings(max_examples=150)
def test_an_agenda_typed_one_item_a_line_reads_back(
    items: list[tuple[tuple[int, int] | None, str]], data: st.DataObject
) -> None:
    """Whatever the clock's spelling and the bullets, each line is its time and its title."""
    lines = []
    for time, title in items:
        bullet = data.draw(st.sampled_from(["", "- ", "• ", "1. ", "2) "]))
        if time is None:
            lines.append(f"{bullet}{title}")
            continue
        hours, minutes = time
        clock = data.draw(
            st.sampled_from(
                [
                    f"{hours:02d}:{minutes:02d}",
                    f"{hours}h{minutes:02d}",
                    f"{hours} giờ {minutes:02d}",
                ]
            )
        )
        if data.draw(st.booleans()):  # the time first
            separator = data.draw(st.sampled_from([" ", " - ", ": ", " – "]))
            lines.append(f"{bullet}{clock}{separator}{title}")
        else:  # or after the title
            after = data.draw(st.sampled_from([" {}", " - {}", ": {}", " ({})", " lúc {}"]))
            lines.append(f"{bullet}{title}{after.format(clock)}")
    parsed = parse_agenda("\n".join(lines))
    expected = [(f"{t[0]:02d}:{t[1]:02d}" if t else None, title) for t, title in items]
    assert [(i.time, i.title) for i in parsed] == expected


def test_an_agenda_item_with_its_time_after_the_title_or_a_number_that_is_no_time() -> None:
    lines = [
        "Khai mạc - 8h00",
        "Báo cáo tổng kết (8:30 - 9:15)",
        "Lúc 9h30: Khen thưởng",
        "Bế mạc lúc 11 giờ",
        "Tổng kết 5 năm",  # no clock
        "Giải lao 15 phút",
        "Chạy tiếp sức 24h",  # not a time of day: part of the title
        "Hỏi đáp 2.30",  # after a bare space only a clock with h, g, giờ or «:»
    ]
    assert [(i.time, i.title) for i in parse_agenda("\n".join(lines))] == [
        ("08:00", "Khai mạc"),
        ("08:30", "Báo cáo tổng kết"),
        ("09:30", "Khen thưởng"),
        ("11:00", "Bế mạc"),
        (None, "Tổng kết 5 năm"),
        (None, "Giải lao 15 phút"),
        (None, "Chạy tiếp sức 24h"),
        (None, "Hỏi đáp 2.30"),
    ]


@given(st.text(max_size=400))
@settings(max_examples=200)
def test_any_typed_agenda_is_items_or_a_named_error(text: str) -> None:
    try:
        items = parse_agenda(text)
    except AgendaError as exc:
        assert exc.kind in ("time", "title", "too_many", "empty")
        return
    assert 1 <= len(items) <= 20
    for item in items:
        assert 2 <= len(item.title) <= 300 and "\n" not in item.title
        assert item.time is None or re.fullmatch(r"([01]\d|2[0-3]):[0-5]\d", item.time)


async def test_every_list_of_events_shows_the_coming_ones_first(
    bot: Harness, admin: StubUser
) -> None:
    """qa16: /event_edit and /event_delete listed the shipped 2025 conference (long past)
    first and the event the office works on second, while /rsvp_stats did the opposite; the
    same typed «1» meant different events. Now every list: to come (soonest first), then
    past (latest first)."""
    later = make_event(id="tap-huan-2027", title="Tập huấn 2027")
    later = later.model_copy(update={"starts_at": later.starts_at + timedelta(days=300)})
    later = later.model_copy(update={"rsvp_deadline": later.starts_at - timedelta(days=3)})
    await bot.services.events.save(later)
    await bot.services.events.save(make_event())  # sooner than «Tập huấn 2027»
    expected = [EVENT_ID, "tap-huan-2027", SEEDED]
    assert [e.id for e in await bot.services.events.listed()] == expected
    for command in ("/event_edit", "/event_delete", "/rsvp_stats"):
        await bot.say(admin, command)
        data = [d for _, d in bot.buttons(admin.id)]
        order = [next(i for i, d in enumerate(data) if d.endswith(x)) for x in expected]
        assert order == sorted(order), (command, data)
        await bot.say(admin, "/cancel")
    await bot.say(admin, "/event_edit")
    await bot.say(admin, "1")  # the list's first: the soonest event to come
    assert make_event().title in bot.last_text(admin.id)
