"""``thidua-bot event import | export | list`` and ``thidua-bot invite import | sheet``: the YAML
round trip, one-line errors with status 1, invitee lists from .xlsx and .csv, the sheet .zip."""

from __future__ import annotations

import asyncio
import io
import sqlite3
import zipfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

import yaml
from openpyxl import Workbook, load_workbook

from bot.domain.events import Answer
from bot.domain.models import Profile, User
from bot.services.events import EventService, load_event_file
from bot.services.flows import FlowService, FlowStates, StepRef
from storage import Database
from storage import users as user_sql
from tests.test_cli import run_cli

SEEDED = "hoi-nghi-tuyen-duong-2025"
STARTS = datetime.now(UTC).replace(microsecond=0, second=0) + timedelta(days=30)
NEW_EVENT = f"""
# a second event
id: hoi-thao-2026
title: Hội thảo Chuyển đổi số
organiser: Sở Khoa học và Công nghệ
starts_at: "{STARTS.isoformat()}"
duration_minutes: 120
venue: Phòng họp tầng 2
rsvp_deadline: "{(STARTS - timedelta(days=2)).isoformat()}"
capacity: 20
mode: open
groups:
  - id: cap-huyen
    name: Cấp huyện
    reserved: 4
"""


def cli(tmp_path: Path, *args: str) -> tuple[int, str, str]:
    result = run_cli(tmp_path, *args, DATABASE_PATH=str(tmp_path / "bot.sqlite3"))
    return result.returncode, result.stdout, result.stderr


def one_line_error(result: tuple[int, str, str], *words: str) -> None:
    status, out, err = result
    assert status == 1, (out, err)
    assert out == "" and len(err.splitlines()) == 1, err
    assert "Traceback" not in err
    for word in words:
        assert word in err, err


def test_export_import_round_trip_and_list(tmp_path: Path) -> None:
    status, out, err = cli(tmp_path, "event", "export", "-o", "events.yaml")
    assert status == 0, err
    assert out.strip() == f"Exported 1 event to {Path('events.yaml')}"
    exported = (tmp_path / "events.yaml").read_text(encoding="utf-8")
    assert load_event_file(exported)[0].id == SEEDED  # the shipped event, seeded first
    status, out, _ = cli(tmp_path, "event", "import", "events.yaml")
    assert (status, out) == (0, f"{SEEDED}\tunchanged\n")
    status, again, _ = cli(tmp_path, "event", "export")  # to stdout
    assert status == 0 and again == exported
    # Edited and extended: one updated, one created.
    data = yaml.safe_load(exported)
    data["events"][0]["capacity"] = 80
    data["events"].append(yaml.safe_load(NEW_EVENT))
    (tmp_path / "events.yaml").write_text(yaml.safe_dump(data, allow_unicode=True), "utf-8")
    status, out, err = cli(tmp_path, "event", "import", "events.yaml")
    assert status == 0, err
    assert out.splitlines() == [f"{SEEDED}\tupdated", "hoi-thao-2026\tcreated"]
    status, out, _ = cli(tmp_path, "event", "list")
    lines = out.splitlines()
    assert status == 0 and [line.split("\t")[0] for line in lines] == [SEEDED, "hoi-thao-2026"]
    assert "\t80 seats\t0 invited\t" in lines[0]
    status, out, _ = cli(tmp_path, "event", "export", "hoi-thao-2026")
    assert status == 0 and [e.id for e in load_event_file(out)] == ["hoi-thao-2026"]


def test_errors_are_one_line_with_status_1(tmp_path: Path) -> None:
    (tmp_path / "bad.yaml").write_text("events:\n  - id: x\n    title: [\n", encoding="utf-8")
    one_line_error(cli(tmp_path, "event", "import", "bad.yaml"), "bad.yaml", "YAML")
    wrong = NEW_EVENT.replace("capacity: 20", "capacity: 2")  # 4 seats reserved
    (tmp_path / "wrong.yaml").write_text(wrong, encoding="utf-8")
    one_line_error(cli(tmp_path, "event", "import", "wrong.yaml"), "groups")
    one_line_error(cli(tmp_path, "event", "import", "missing.yaml"), "Cannot read")
    one_line_error(cli(tmp_path, "event", "export", "nope"), "No event 'nope'")
    one_line_error(cli(tmp_path, "invite", "import", "nope", "missing.csv"), "Cannot read")
    (tmp_path / "list.csv").write_text("Họ và tên\nNguyễn Văn A\n", encoding="utf-8")
    one_line_error(cli(tmp_path, "invite", "import", "nope", "list.csv"), "No event 'nope'")
    (tmp_path / "list.xlsx").write_bytes(b"not a spreadsheet")
    one_line_error(cli(tmp_path, "invite", "import", SEEDED, "list.xlsx"), "cannot be read")
    one_line_error(cli(tmp_path, "invite", "sheet", SEEDED, "-o", "x.zip"), "No invitees")
    status, out, _ = cli(tmp_path, "event", "list")  # nothing was changed by the errors
    assert status == 0 and len(out.splitlines()) == 1


def test_invite_import_xlsx_and_csv_then_the_sheet(tmp_path: Path) -> None:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(["STT", "Họ và tên", "Đơn vị", "Chức danh", "Nhóm", "Điện thoại"])
    sheet.append([1, "Nguyễn Văn An", "Sở KH&CN", "Giám đốc", "so-khcn", 912345678])
    sheet.append([2, "Trần Thị Bình", "UBND tỉnh", "Phó Chánh Văn phòng", "UBND tỉnh", None])
    sheet.append([3, "Phạm Văn Dũng", "Sở Tài chính", "", "khách mời", None])  # no such group
    buffer = io.BytesIO()
    workbook.save(buffer)
    (tmp_path / "list.xlsx").write_bytes(buffer.getvalue())
    status, out, err = cli(tmp_path, "invite", "import", SEEDED, "list.xlsx")
    assert status == 0, err
    lines = out.splitlines()
    assert lines[0] == (
        f"{SEEDED}: 3 added, 0 already invited, 0 lines with errors; 3 invitees in all"
    )
    # "UBND tỉnh" is the id "ubnd-tinh" typed as words; "khách mời" is no group: Dũng is
    # invited without one, and told how to set it.
    assert lines[1].startswith(
        "  line 4: invited without a group: 'khách mời' is no group of the event (groups: "
    )
    assert "so-khcn" in lines[1] and lines[1].endswith(
        "correct the list and import it again to set it"
    )
    assert len(lines) == 2
    # A group as people write it: the start of its name, an alias; and one that could be two.
    csv_text = (
        "\ufeffHọ tên;Đơn vị;Nhóm\nNguyễn Văn An;Sở KH&CN;\nLê Thị Hoa;Sở Nội vụ;so-noi-vu\n"
        "Đỗ Văn Cường;Sở KH&CN;Lãnh đạo Sở KHCN\nVũ Thị Lan;UBND huyện Văn Lâm;cấp huyện\n"
        "Hà Văn Sơn;Văn phòng UBND tỉnh;Văn phòng\n"
    )
    (tmp_path / "list.csv").write_bytes(csv_text.encode("utf-8"))
    status, out, err = cli(tmp_path, "invite", "import", SEEDED, "list.csv")
    assert status == 0, err
    assert out.splitlines() == [
        f"{SEEDED}: 4 added, 1 already invited, 0 lines with errors; 7 invitees in all",
        "  line 6: invited without a group: 'Văn phòng' could be several groups "
        "(ubnd-tinh, so-khcn); correct the list and import it again to set it",
        "  group 'Lãnh đạo Sở KHCN' read as so-khcn",
    ]
    one_line_error(cli(tmp_path, "invite", "sheet", SEEDED, "-o", "gm.zip"), "--bot")
    status, out, err = cli(tmp_path, "invite", "sheet", SEEDED, "-o", "gm.zip", "--bot", "@tdbot")
    assert status == 0, err
    assert out.strip() == f"Wrote the invitations of 7 invitees to {Path('gm.zip')}"
    archive = zipfile.ZipFile(tmp_path / "gm.zip")
    assert sorted(n for n in archive.namelist() if n.startswith("qr/"))[0].startswith("qr/01-")
    rows = list(
        load_workbook(io.BytesIO(archive.read("giay-moi.xlsx"))).active.iter_rows(  # type: ignore[union-attr]
            min_row=2, values_only=True
        )
    )
    assert [row[1] for row in rows][:4] == [
        "Nguyễn Văn An",
        "Trần Thị Bình",
        "Phạm Văn Dũng",
        "Lê Thị Hoa",
    ]
    assert all(row[6] == f"https://t.me/tdbot?start=rsvp_{row[5]}" for row in rows)
    assert (
        rows[0][4] == "Lãnh đạo Sở KH&CN, Văn phòng Sở và đại diện lãnh đạo phòng, đơn vị "
        "thuộc, trực thuộc Sở"
    )  # the group's name


async def _with_people(path: Path) -> None:
    """The new event with one person holding a seat (as the chat would record it)."""
    db = Database(path)
    await db.open()
    service = EventService(db, FlowService(db, FlowStates()), tz=UTC)
    await service.save(load_event_file(NEW_EVENT)[0])
    async with db.transaction() as conn:
        await user_sql.upsert_contact(conn, 501, "Lan", None, None, "vi")
    user = User(user_id=501, profile=Profile(full_name="Nguyễn Thị Lan", unit="Sở"))
    await service.answer(StepRef(-1, (501, 501)), user, "hoi-thao-2026", Answer.YES)
    await db.close()


def test_a_moved_event_queues_the_delegates_notices(tmp_path: Path) -> None:
    """As /event_edit does: the notices go to the outbox with the saved event (the running
    bot's worker sends them), in the person's language, with the new place."""
    asyncio.run(_with_people(tmp_path / "bot.sqlite3"))
    moved = NEW_EVENT.replace("venue: Phòng họp tầng 2", "venue: Hội trường lớn")
    (tmp_path / "moved.yaml").write_text(moved, encoding="utf-8")
    status, out, err = cli(tmp_path, "event", "import", "moved.yaml")
    assert status == 0, err
    (line,) = out.splitlines()
    assert line == (
        "hoi-thao-2026\tupdated\ttime or place changed: 1 person with a seat, waiting or "
        "not sure yet will be told by the bot (notices queued)"
    )
    db = sqlite3.connect(tmp_path / "bot.sqlite3")
    try:
        rows = db.execute("SELECT user_id, status, text FROM outbox").fetchall()
    finally:
        db.close()
    assert len(rows) == 1
    user_id, status_, text = rows[0]
    assert (user_id, status_) == (501, "pending") and "Hội trường lớn" in text
    assert "Văn phòng Sở thông báo thay đổi" in text

    status, out, err = cli(tmp_path, "event", "import", "moved.yaml")  # again: nothing new
    assert status == 0, err
    assert out.strip() == "hoi-thao-2026\tunchanged"
