"""The office's figures: ``/rsvp_stats`` (text and chart), the chart alone, ``/export_rsvp`` and
``thidua-bot export rsvp`` (the .xlsx read back)."""

from __future__ import annotations

import asyncio
import io
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from PIL import Image

from bot.documents.rsvp_chart import attendance_chart, group_rows, short_label
from bot.documents.rsvp_xlsx import export_rsvp
from bot.domain.events import Answer, Group, Invitee, Rsvp, Seat, unanswered
from bot.i18n import Translator
from bot.services.container import Services
from bot.services.events import Stats
from bot.services.flows import StepRef
from bot.tg.stub_api import StubUser
from tests.harness import Harness, make_settings
from tests.initiative_fixtures import register
from tests.test_checkin import (
    GROUPS,
    answer,
    make_event,
    needs_conversations_first,
)
from tests.test_cli import run_cli

TITLE = "Hội nghị hoi-nghi-a"
FILENAME = re.compile(r"^dang-ky-hoi-nghi-a-\d{8}-\d{4}\.xlsx$")


async def seed(services: Services) -> dict[str, Rsvp]:
    """Capacity 3: An, Bình (reserved seat) and Cường seated, Dũng waiting, Em no, Phương
    maybe; An checked in."""
    events = services.events
    await events.save(make_event(capacity=3))
    people = {
        "an": await answer(services, 501, "hoi-nghi-a", "Nguyễn Văn An", note="=1+1"),
        "binh": await answer(services, 502, "hoi-nghi-a", "Trần Thị Bình", group="lanh-dao"),
        "cuong": await answer(services, 503, "hoi-nghi-a", "Lê Văn Cường"),
        "dung": await answer(services, 504, "hoi-nghi-a", "Phạm Văn Dũng"),
        "em": await answer(services, 505, "hoi-nghi-a", "Hoàng Văn Em", reply=Answer.NO),
        "phuong": await answer(services, 506, "hoi-nghi-a", "Đỗ Thị Phương", reply=Answer.MAYBE),
    }
    admin = await services.users.seen(9001, "Quản trị", None, None, "vi")
    assert admin.is_admin
    done = await events.check_in(
        StepRef(9_000_001, (9001, 9001)), admin, "hoi-nghi-a", people["an"].checkin_code
    )
    people["an"] = done.rsvp
    assert people["dung"].seat is Seat.WAITLISTED
    return people


def local(moment: datetime | None, bot: Harness | None = None) -> datetime | None:
    if moment is None:
        return None
    tz = bot.settings.tz if bot else make_settings(Path("/tmp")).tz
    return moment.astimezone(tz).replace(tzinfo=None)


def load(data: bytes) -> Any:
    return openpyxl.load_workbook(io.BytesIO(data))


def by_header(sheet: Any) -> list[dict[str, Any]]:
    rows = [[cell.value for cell in row] for row in sheet.iter_rows()]
    return [dict(zip(rows[0], row, strict=True)) for row in rows[1:]]


# --- /rsvp_stats ----------------------------------------------------------------------------------


async def test_stats_text_and_chart(bot: Harness, admin: StubUser) -> None:
    await seed(bot.services)
    await bot.say(admin, "/rsvp_stats hoi-nghi-a")
    summary = bot.t(
        "stats.summary",
        title=TITLE,
        yes=4,
        no=1,
        maybe=1,
        confirmed=3,
        capacity=3,
        left=0,
        waitlisted=1,
        checked_in=1,
    )
    lines = [
        summary,
        "\n" + bot.t("stats.by_group"),
        bot.t("stats.group_line", group="Lãnh đạo UBND tỉnh", confirmed=1, waitlisted=0)
        + bot.t("stats.group_reserved", reserved=1),
        bot.t(
            "stats.group_line", group="Lãnh đạo Sở KH&CN, Văn phòng Sở", confirmed=2, waitlisted=1
        ),
    ]
    assert bot.texts(admin.id)[-2] == "\n".join(lines)
    assert "có 4 · không 1 · chưa chắc 1" in summary and "Đã điểm danh: 1/3" in summary
    (photo,) = bot.stub.sent(admin.id, "sendPhoto")
    assert photo.params["caption"] == bot.t("stats.caption", title=TITLE)
    assert len(photo.params["caption"]) < 1024
    image = Image.open(io.BytesIO(photo.params["_bytes"]))
    assert image.format == "PNG" and image.size[0] >= 800 and image.size[1] >= 600
    assert bot.last_text(admin.id) == photo.params["caption"]  # nothing went wrong after it
    assert await bot.state(admin, "rsvp_office") is None


async def test_stats_count_the_invitees_who_have_not_answered_and_a_closed_deadline(
    bot: Harness, admin: StubUser
) -> None:
    """Two invited, one of them answered (by the invitation); the start moved to after a
    deadline left behind: the figures say the answers are closed and how to extend them."""
    events = bot.services.events
    now = datetime.now(UTC)
    await events.save(make_event(mode="invitation"))
    imported = await events.invite(
        "hoi-nghi-a", [{"full_name": "Nguyễn Văn An"}, {"full_name": "Trần Thị Bình"}]
    )
    user = await bot.services.users.seen(501, "An", None, None, "vi")
    await events.redeem(StepRef(9_000_002, (501, 501)), user, imported.added[0].code)
    await events.answer(StepRef(9_000_003, (501, 501)), user, "hoi-nghi-a", Answer.YES)
    await bot.say(admin, "/rsvp_stats hoi-nghi-a")
    summary = bot.texts(admin.id)[-2]
    assert bot.t("stats.invited", invited=2, answered=1, unanswered=1) in summary
    assert "đã qua" not in summary
    closed = make_event(
        mode="invitation", rsvp_deadline=now - timedelta(hours=1), starts_at=now + timedelta(days=5)
    )
    await events.save(closed)
    await bot.say(admin, "/rsvp_stats hoi-nghi-a")
    deadline = closed.rsvp_deadline.astimezone(bot.settings.tz).strftime("%H:%M %d/%m/%Y")
    warning = bot.t("events.deadline_passed", item="Hạn đăng ký", deadline=deadline)
    assert warning in bot.texts(admin.id)[-2]
    assert "Muốn gia hạn: /event_edit, mục «Hạn đăng ký»" in warning


async def test_stats_asks_which_event(bot: Harness, admin: StubUser) -> None:
    await seed(bot.services)
    await bot.services.events.save(make_event("hoi-nghi-b", days=20))
    await bot.say(admin, "/rsvp_stats")
    assert bot.last_text(admin.id).startswith(bot.t("stats.pick"))
    assert [data for _, data in bot.buttons(admin.id)] == [
        "rs:s:hoi-nghi-a",
        "rs:s:hoi-nghi-b",
        "rs:s:hoi-nghi-tuyen-duong-2025",  # the shipped event, past: last
    ]
    assert await bot.state(admin, "rsvp_office") == "event"
    await bot.press(admin, "rs:s:hoi-nghi-b")
    assert bot.texts(admin.id)[-2].startswith(
        bot.t(
            "stats.summary",
            title="Hội nghị hoi-nghi-b",
            yes=0,
            no=0,
            maybe=0,
            confirmed=0,
            capacity=10,
            left=10,
            waitlisted=0,
            checked_in=0,
        )
    )
    assert len(bot.stub.sent(admin.id, "sendPhoto")) == 1
    assert await bot.state(admin, "rsvp_office") is None
    await bot.say(admin, "/rsvp_stats khong-co")
    assert bot.last_text(admin.id) == bot.t("stats.event_unknown", event_id="khong-co")


async def test_stats_event_typed_by_its_number(
    request: pytest.FixtureRequest, bot: Harness, admin: StubUser
) -> None:
    needs_conversations_first(request, bot)
    await seed(bot.services)
    await bot.services.events.save(make_event("hoi-nghi-b", days=20))
    await bot.say(admin, "/export_rsvp")
    await bot.say(admin, "1")
    (sent,) = bot.stub.sent(admin.id, "sendDocument")
    assert FILENAME.match(sent.params["_filename"])
    assert await bot.state(admin, "rsvp_office") is None


async def test_stats_event_typed_by_its_title_not_another_events_id(
    bot: Harness, admin: StubUser
) -> None:
    """The title «Hội nghị hoi-nghi-a 2025» typed without accents is that event, even though
    another event's id reads the same once folded; that id typed as written is the other."""
    await bot.services.events.save(make_event("hoi-nghi-hoi-nghi-a-2025", days=20))
    await bot.services.events.save(make_event("hn-b", days=21, title="Hội nghị hoi-nghi-a 2025"))
    for typed, title in (
        ("hoi nghi hoi nghi a 2025", "Hội nghị hoi-nghi-a 2025"),
        ("hoi-nghi-hoi-nghi-a-2025", "Hội nghị hoi-nghi-hoi-nghi-a-2025"),
    ):
        await bot.say(admin, "/rsvp_stats")
        mark = bot.mark()
        await bot.say(admin, typed)
        summary = bot.texts_since(mark, admin.id)[0]
        assert summary.startswith(f"<b>Số liệu đăng ký</b> – {title}\n"), summary


def test_chart_alone_with_groups_and_english_labels() -> None:
    translator = Translator.load()
    asked: list[str] = []

    def t(key: str) -> str:
        asked.append(key)
        return translator("en", key)

    groups = (
        *GROUPS,
        Group(id="dien-hinh", name="Các điển hình tiên tiến đã được Chủ tịch UBND tỉnh tặng "
              "Bằng khen; gương điển hình tiên tiến có thành tích tiêu biểu xuất sắc", reserved=5),
    )  # fmt: skip
    event = make_event(capacity=40, groups=groups)
    stats = Stats(
        event=event,
        by_answer={"yes": 30, "no": 4, "maybe": 2},
        by_group={
            "lanh-dao": {"confirmed": 1},
            "so-khcn": {"confirmed": 20, "waitlisted": 3, "none": 6},
            "dien-hinh": {"confirmed": 4, "pending": 2},
            None: {"confirmed": 2},
            "old-group": {"waitlisted": 1},
        },
        confirmed=27,
        waitlisted=4,
        pending=2,
        seats_left=13,
        checked_in=12,
    )
    rows = group_rows(stats, t)
    assert [r[0] for r in rows] == [g.name for g in groups] + ["No group", "old-group"]
    assert rows[2][1:] == (4, 0, 2, 5)
    data = attendance_chart(stats, t)
    image = Image.open(io.BytesIO(data))
    assert image.format == "PNG" and image.size == (1200, 700)
    assert {"stats.chart.title", "stats.chart.capacity", "stats.chart.checked_in"} <= set(asked)
    assert all(translator("en", key) != key for key in asked)
    assert short_label(groups[2].name).count("\n") == 1 and short_label(groups[2].name).endswith(
        "…"
    )
    # Nobody yet, no groups: still a chart.
    empty = Stats(make_event(groups=()), {}, {}, 0, 0, 0, 10, 0)
    assert Image.open(io.BytesIO(attendance_chart(empty, t))).size[0] == 1200


# --- /export_rsvp ---------------------------------------------------------------------------------


async def test_export_in_chat_read_back(bot: Harness, admin: StubUser) -> None:
    people = await seed(bot.services)
    await bot.say(admin, "/export_rsvp hoi-nghi-a")
    (sent,) = bot.stub.sent(admin.id, "sendDocument")
    assert FILENAME.match(sent.params["_filename"]), sent.params["_filename"]
    caption = sent.params["caption"]
    assert caption.startswith(f"Danh sách đăng ký «{TITLE}»: 6 người, xuất lúc ")
    book = load(sent.params["_bytes"])
    sheet = book["Đăng ký tham dự"]
    assert sheet.freeze_panes == "A2" and sheet.auto_filter.ref == "A1:M7"
    assert all(cell.font.bold for cell in sheet[1])
    rows = by_header(sheet)
    assert list(rows[0]) == [
        "Họ và tên",
        "Đơn vị",
        "Chức vụ",
        "Điện thoại",
        "Email",
        "Thành phần",
        "Trả lời",
        "Tình trạng chỗ",
        "Thời điểm trả lời",
        "Thứ tự chờ",
        "Ghi chú",
        "Mã điểm danh",
        "Thời điểm điểm danh",
    ]
    # Seated first (by group: the reserved group first), then the waiting list, then the rest.
    assert [r["Họ và tên"] for r in rows] == [
        "Trần Thị Bình",
        "Lê Văn Cường",
        "Nguyễn Văn An",
        "Phạm Văn Dũng",
        "Đỗ Thị Phương",
        "Hoàng Văn Em",
    ]
    assert [r["Tình trạng chỗ"] for r in rows] == [
        "Đã xác nhận",
        "Đã xác nhận",
        "Đã xác nhận",
        "Danh sách chờ",
        "Không giữ chỗ",
        "Không giữ chỗ",
    ]
    assert [r["Trả lời"] for r in rows] == ["Có", "Có", "Có", "Có", "Chưa chắc", "Không"]
    assert [r["Thứ tự chờ"] for r in rows] == [None, None, None, 1, None, None]
    an = rows[2]
    assert an["Thành phần"] == "Lãnh đạo Sở KH&CN, Văn phòng Sở"
    assert an["Đơn vị"] == "Sở Khoa học và Công nghệ" and an["Chức vụ"] == "Chuyên viên"
    assert an["Mã điểm danh"] == people["an"].checkin_code
    # Only a confirmed seat has a code that opens the door (waiting, maybe, no: none).
    assert [bool(r["Mã điểm danh"]) for r in rows] == [True] * 3 + [False] * 3
    assert an["Thời điểm trả lời"] == local(people["an"].answered_at, bot)
    assert an["Thời điểm điểm danh"] == local(people["an"].checked_in_at, bot)
    assert rows[1]["Thời điểm điểm danh"] is None
    assert an["Ghi chú"] == "=1+1"  # text, never a formula
    note_cell = sheet.cell(row=4, column=11)
    assert note_cell.data_type == "s" and note_cell.quotePrefix
    assert sheet.cell(row=4, column=9).number_format == "dd/mm/yyyy hh:mm"
    assert an["Điện thoại"] is None and an["Email"] is None  # none given


async def test_export_gives_the_office_the_phones_and_emails(
    bot: Harness, admin: StubUser, alice: StubUser
) -> None:
    """The office calls people from this list: the phone given at registration for those who
    answered, the phone and email of the imported list for the invitees who have not."""
    await register(bot, alice, "Trần Thị Hoa")
    await bot.say(alice, "/profile")
    await bot.press(alice, "pf:edit:phone")
    await bot.say(alice, "0912 345 678")
    user = await bot.services.users.get(alice.id)
    assert user is not None and user.profile.phone
    events = bot.services.events
    await events.save(make_event("hoi-nghi-b", days=20))
    await events.invite(
        "hoi-nghi-b",
        [
            {
                "full_name": "Vũ Thị Hạnh",
                "unit": "Sở Tài chính",
                "phone": "0987654321",
                "email": "hanh@stc.hungyen.gov.vn",
            },
        ],
    )
    await events.answer(StepRef(8_000_001, (alice.id, alice.id)), user, "hoi-nghi-b", Answer.YES)
    await bot.say(admin, "/export_rsvp hoi-nghi-b")
    (sent,) = bot.stub.sent(admin.id, "sendDocument")
    rows = by_header(load(sent.params["_bytes"])["Đăng ký tham dự"])
    assert [(r["Họ và tên"], r["Điện thoại"], r["Email"]) for r in rows] == [
        ("Trần Thị Hoa", user.profile.phone, None),
        ("Vũ Thị Hạnh", "0987654321", "hanh@stc.hungyen.gov.vn"),
    ]


async def test_export_lists_the_invitees_who_have_not_answered(
    bot: Harness, admin: StubUser
) -> None:
    """Before anyone answers, the list of invitees can already be exported; afterwards those
    still silent come last, marked, and the caption counts them (the office calls them)."""
    events = bot.services.events
    await events.save(make_event("hoi-nghi-b", days=20))
    imported = await events.invite(
        "hoi-nghi-b",
        [
            {"full_name": "Vũ Thị Hạnh", "unit": "Sở Tài chính", "position": "Phó Giám đốc"},
            {"full_name": "Bùi Văn Khoa", "unit": "UBND huyện Kim Động"},
        ],
    )
    assert len(imported.added) == 2
    await bot.say(admin, "/export_rsvp hoi-nghi-b")
    (sent,) = bot.stub.sent(admin.id, "sendDocument")
    assert sent.params["caption"].endswith(bot.t("export_rsvp.caption_unanswered", count=2))
    rows = by_header(load(sent.params["_bytes"])["Đăng ký tham dự"])
    assert [(r["Họ và tên"], r["Đơn vị"], r["Trả lời"]) for r in rows] == [
        ("Bùi Văn Khoa", "UBND huyện Kim Động", "Chưa trả lời"),
        ("Vũ Thị Hạnh", "Sở Tài chính", "Chưa trả lời"),
    ]
    assert rows[1]["Chức vụ"] == "Phó Giám đốc"
    assert all(r["Tình trạng chỗ"] is None and r["Mã điểm danh"] is None for r in rows)


async def test_export_in_english_and_nothing_to_export(
    bot: Harness, admin: StubUser, bob: StubUser
) -> None:
    await seed(bot.services)
    await bot.services.events.save(make_event("hoi-nghi-b", days=20))
    await bot.say(bob, "/help")
    await bot.say(admin, f"/grant {bob.id} admin")  # an admin who reads English
    await bot.say(bob, "/export_rsvp hoi-nghi-b")
    assert bot.last_text(bob.id) == bot.t("export_rsvp.empty", "en", title="Hội nghị hoi-nghi-b")
    await bot.say(bob, "/export_rsvp")  # three events: which one?
    await bot.press(bob, "rs:x:hoi-nghi-a")
    (sent,) = bot.stub.sent(bob.id, "sendDocument")
    rows = by_header(load(sent.params["_bytes"])["Registrations"])
    assert [r["Seat"] for r in rows[:4]] == ["Confirmed"] * 3 + ["Waiting list"]
    assert rows[4]["Answer"] == "Maybe" and rows[5]["Answer"] == "No"


def test_export_function_alone_in_english() -> None:
    translator = Translator.load()
    event = make_event(groups=())
    now = datetime(2026, 12, 1, 1, 30, tzinfo=UTC)
    rows = [
        Rsvp(
            id=1,
            event_id=event.id,
            user_id=7,
            invitee_id=None,
            answer=Answer.YES,
            seat=Seat.PENDING,
            full_name="@SUM(A1)",
            group_id="gone",
            answered_at=now,
            checkin_code="ABCD2345",
        )
    ]
    book = load(export_rsvp(event, rows, lambda key: translator("en", key), make_tz()))
    (row,) = by_header(book["Registrations"])
    assert row["Full name"] == "@SUM(A1)" and row["Seat"] == "Awaiting approval"
    assert row["Group"] == "gone"  # a group no longer in the event: its id
    assert row["Answered at"] == datetime(2026, 12, 1, 8, 30)  # Asia/Ho_Chi_Minh, UTC+7


def test_export_takes_the_phone_of_the_invitation_when_the_profile_has_none() -> None:
    """An invitee who answered by their code (or account) keeps the list's phone and email in
    the export; a phone on the profile wins over the list's."""
    translator = Translator.load()
    event = make_event(groups=())
    now = datetime(2026, 12, 1, 1, 30, tzinfo=UTC)

    def invitee(n: int, user_id: int | None = None) -> Invitee:
        return Invitee(
            id=n, event_id=event.id, code=f"C{n}", full_name=f"Người {n}", user_id=user_id,
            phone=f"090000000{n}", email=f"n{n}@example.vn",
        )  # fmt: skip

    def rsvp(n: int, user_id: int, invitee_id: int | None) -> Rsvp:
        return Rsvp(
            id=n, event_id=event.id, user_id=user_id, invitee_id=invitee_id, answer=Answer.NO,
            seat=Seat.NONE, full_name=f"Người {n}", answered_at=now, checkin_code="ABCD2345",
        )  # fmt: skip

    invitees = [invitee(1), invitee(2, user_id=72), invitee(3)]
    answers = [rsvp(1, 71, 1), rsvp(2, 72, None), rsvp(3, 73, 3), rsvp(4, 74, None)]
    data = export_rsvp(
        event, answers, lambda key: translator("en", key), make_tz(), invitees, {73: "0911111111"}
    )
    rows = by_header(load(data)["Registrations"])
    assert [(r["Full name"], r["Phone"], r["Email"]) for r in rows] == [
        ("Người 1", "0900000001", "n1@example.vn"),  # by the code
        ("Người 2", "0900000002", "n2@example.vn"),  # by the account
        ("Người 3", "0911111111", "n3@example.vn"),  # the profile's phone first
        ("Người 4", None, None),  # not invited: nothing known
    ]


def test_unanswered_by_code_or_by_account() -> None:
    now = datetime(2026, 12, 1, 1, 30, tzinfo=UTC)

    def invitee(n: int, user_id: int | None = None) -> Invitee:
        return Invitee(id=n, event_id="e", code=f"C{n}", full_name=f"Người {n}", user_id=user_id)

    def rsvp(n: int, user_id: int, invitee_id: int | None) -> Rsvp:
        return Rsvp(
            id=n, event_id="e", user_id=user_id, invitee_id=invitee_id, answer=Answer.NO,
            seat=Seat.NONE, full_name="x", answered_at=now, checkin_code="ABCD2345",
        )  # fmt: skip

    invitees = [invitee(1), invitee(2, user_id=72), invitee(3, user_id=73), invitee(4)]
    answers = [rsvp(1, 71, 1), rsvp(2, 72, None), rsvp(3, 99, None)]
    assert [i.id for i in unanswered(answers, invitees)] == [3, 4]


def make_tz() -> Any:
    from zoneinfo import ZoneInfo

    return ZoneInfo("Asia/Ho_Chi_Minh")


# --- thidua-bot export rsvp -----------------------------------------------------------------------


async def seed_database(tmp_path: Path) -> Path:
    settings = make_settings(tmp_path)
    services = Services.build(settings)
    await services.db.open()
    try:
        await seed(services)
    finally:
        await services.close()
    return settings.database_path


def test_cli_export_rsvp(tmp_path: Path) -> None:
    database = asyncio.run(seed_database(tmp_path))
    cwd = tmp_path / "cwd"
    cwd.mkdir()
    target = tmp_path / "dang-ky.xlsx"
    result = run_cli(
        cwd, "export", "rsvp", "hoi-nghi-a", "-o", str(target), DATABASE_PATH=str(database)
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [f"Exported 6 answers of hoi-nghi-a to {target}"]
    rows = by_header(load(target.read_bytes())["Đăng ký tham dự"])
    assert len(rows) == 6 and rows[3]["Tình trạng chỗ"] == "Danh sách chờ"
    assert rows[3]["Thứ tự chờ"] == 1

    english = run_cli(
        cwd, "export", "rsvp", "hoi-nghi-a", "-o", str(target), DATABASE_PATH=str(database),
        DEFAULT_LANGUAGE="en",
    )  # fmt: skip
    assert english.returncode == 0, english.stderr
    assert load(target.read_bytes()).sheetnames == ["Registrations"]


def test_cli_export_rsvp_errors(tmp_path: Path) -> None:
    missing = run_cli(
        tmp_path, "export", "rsvp", "hoi-nghi-a", "-o", str(tmp_path / "x.xlsx"),
        DATABASE_PATH=str(tmp_path / "none.sqlite3"),
    )  # fmt: skip
    assert missing.returncode == 1 and "No database" in missing.stderr
    assert not (tmp_path / "none.sqlite3").exists() and not (tmp_path / "x.xlsx").exists()

    database = asyncio.run(seed_database(tmp_path))
    unknown = run_cli(
        tmp_path, "export", "rsvp", "khong-co", "-o", str(tmp_path / "x.xlsx"),
        DATABASE_PATH=str(database),
    )  # fmt: skip
    assert unknown.returncode == 1 and unknown.stderr.splitlines() == [
        "No event 'khong-co' (see: thidua-bot event list)"
    ]
    assert not (tmp_path / "x.xlsx").exists()
    unwritable = run_cli(
        tmp_path, "export", "rsvp", "hoi-nghi-a", "-o", str(tmp_path / "no" / "dir.xlsx"),
        DATABASE_PATH=str(database),
    )  # fmt: skip
    assert unwritable.returncode == 1
    assert len(unwritable.stderr.splitlines()) == 1 and "Cannot write" in unwritable.stderr
    usage = run_cli(tmp_path, "export", "rsvp", "hoi-nghi-a", DATABASE_PATH=str(database))
    assert usage.returncode == 2 and "-o" in usage.stderr
