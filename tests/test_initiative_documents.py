"""The filled application (.docx), the office's export (.xlsx), ``thidua-bot export initiatives``
and ``/export_initiatives``."""

from __future__ import annotations

import asyncio
import io
import re
import uuid
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import docx
import openpyxl
from docx.shared import Cm, Pt

from bot.documents import export_initiatives, render_form
from bot.documents.initiative_docx import date_line
from bot.documents.initiative_xlsx import put, sheet_title
from bot.domain.initiative import (
    Contact,
    FormDefinition,
    FormField,
    Initiative,
    Status,
    StatusChange,
    load_form,
)
from bot.i18n import Translator
from bot.services.container import Services
from bot.services.flows import StepRef
from bot.tg.stub_api import StubUser
from storage import flows as flow_sql
from tests.harness import ADMIN_ID, Harness, make_settings
from tests.test_cli import run_cli

FORM = load_form()
TRANSLATOR = Translator.load()
TRANSLATOR.strict = True  # a header without a catalog entry fails


def t_vi(key: str) -> str:
    return TRANSLATOR("vi", key)


def t_en(key: str) -> str:
    return TRANSLATOR("en", key)


SECRET = "Mã nguồn thuật toán phân loại hồ sơ «bí mật»"
TITLE = "Ứng dụng phần mềm quản lý hồ sơ điện tử tại Sở KH&CN"


def answers(title: str = TITLE, *, secret: str | None = SECRET) -> dict[str, Any]:
    """A complete set of answers: two authors (60/40), one applier, two files."""
    return {
        "recipient": "Sở Khoa học và Công nghệ tỉnh Hưng Yên",
        "authors": [
            {
                "full_name": "Nguyễn Thị Lan",
                "birth_date": "1985-03-07",
                "workplace": "Phòng Quản lý khoa học",
                "position": "Trưởng phòng",
                "qualification": "Thạc sĩ",
                "share": 60.0,
            },
            {
                "full_name": "Trần Văn Đức",
                "birth_date": "1990-11-20",
                "workplace": "-Trung tâm Ứng dụng tiến bộ KH&CN",
                "position": "Chuyên viên",
                "qualification": "Kỹ sư",
                "share": 40.0,
            },
        ],
        "shares": [60.0, 40.0],
        "title": title,
        "solution_type": "technical",
        "campaign": "Hưng Yên đẩy mạnh thực hiện Đề án chuyển đổi số giai đoạn 2021-2025",
        "investor": None,
        "state_funds": True,
        "domain": "Quản lý hành chính nhà nước",
        "problem": "=1+1",
        "first_applied": "2024-09-02",
        "description": {
            "parts": [
                "Số hoá toàn bộ hồ sơ tiếp nhận.",
                "Bước 1: quét hồ sơ\nBước 2: phân loại tự động",
            ],
            "files": [
                {"file_id": "f1", "file_unique_id": "u1", "name": "so-do-quy-trinh.pdf"},
                {"file_id": "f2", "file_unique_id": "u2", "name": "anh-1.jpg", "kind": "photo"},
            ],
        },
        "confidential": secret,
        "conditions": "Máy tính nối mạng nội bộ",
        "benefit_author": "@SUM(1,2) giờ công mỗi tháng",
        "benefit_others": None,
        "appliers": [
            {
                "full_name": "Lê Minh Hà",
                "birth_date": "1992-05-15",
                "workplace": "Văn phòng Sở",
                "position": "Văn thư",
                "qualification": "Cử nhân",
                "task": "Nhập dữ liệu thử nghiệm",
            }
        ],
    }


def make_initiative(content: dict[str, Any] | None = None, **overrides: Any) -> Initiative:
    content = content or answers()
    values: dict[str, Any] = {
        "id": 1,
        "number": "SK-2025-0001",
        "submitter_id": 1001,
        "status": Status.REVIEWING,
        "title": content["title"],
        "unit": "Phòng Quản lý khoa học",
        "form_version": FORM.version,
        "content": content,
        "submitted_at": datetime(2025, 3, 4, 1, 30, tzinfo=UTC),
        "updated_at": datetime(2025, 3, 5, 17, 0, tzinfo=UTC),
        "last_comment": "+ bổ sung số liệu",
    }
    values.update(overrides)
    return Initiative(**values)


def read_docx(data: bytes) -> Any:
    return docx.Document(io.BytesIO(data))


def all_text(document: Any) -> str:
    parts = [p.text for p in document.paragraphs]
    for table in document.tables:
        parts += [cell.text for row in table.rows for cell in row.cells]
    parts += [p.text for s in document.sections for p in s.footer.paragraphs]
    return "\n".join(parts)


def table_rows(table: Any) -> list[list[str]]:
    return [[cell.text for cell in row.cells] for row in table.rows]


# --- the .docx ---------------------------------------------------------------------------------


def test_docx_in_the_official_layout() -> None:
    document = read_docx(render_form(FORM, make_initiative(), today=date(2025, 3, 5)))
    texts = [p.text for p in document.paragraphs]
    bold = {p.text for p in document.paragraphs if p.runs and p.runs[0].bold}

    assert texts[0] == "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"
    assert texts[1] == "Độc lập - Tự do - Hạnh phúc"
    assert {texts[0], texts[1], "ĐƠN YÊU CẦU CÔNG NHẬN SÁNG KIẾN"} <= bold
    title = document.paragraphs[texts.index(FORM.title)]
    assert title.alignment == docx.enum.text.WD_ALIGN_PARAGRAPH.CENTER
    assert "Kính gửi: Sở Khoa học và Công nghệ tỉnh Hưng Yên" in texts
    assert texts.index("Tôi (chúng tôi):") < texts.index(
        f"Là tác giả (nhóm tác giả) đề nghị xét công nhận sáng kiến: {TITLE}"
    )

    authors, appliers = document.tables
    assert table_rows(authors) == [
        [
            "Số TT",
            "Họ và tên",
            "Ngày tháng năm sinh",
            "Nơi công tác (hoặc nơi thường trú)",
            "Chức danh",
            "Trình độ chuyên môn",
            "Tỷ lệ (%) đóng góp vào việc tạo ra sáng kiến",
        ],
        ["1", "Nguyễn Thị Lan", "07/03/1985", "Phòng Quản lý khoa học", "Trưởng phòng",
         "Thạc sĩ", "60"],
        ["2", "Trần Văn Đức", "20/11/1990", "-Trung tâm Ứng dụng tiến bộ KH&CN", "Chuyên viên",
         "Kỹ sư", "40"],
    ]  # fmt: skip
    assert table_rows(appliers)[0][-1] == "Nội dung công việc hỗ trợ"
    assert table_rows(appliers)[1] == [
        "1", "Lê Minh Hà", "15/05/1992", "Văn phòng Sở", "Văn thư", "Cử nhân",
        "Nhập dữ liệu thử nghiệm",
    ]  # fmt: skip

    for line in (
        "- Loại giải pháp: Giải pháp kỹ thuật",
        "- Sử dụng kinh phí, trang thiết bị của Nhà nước: Có",
        "- Chủ đầu tư tạo ra sáng kiến (trường hợp tác giả không đồng thời là chủ đầu tư "
        "tạo ra sáng kiến): Không",
        "- Ngày sáng kiến được áp dụng lần đầu hoặc áp dụng thử (ghi ngày nào sớm hơn): 02/09/2024",
        "- Vấn đề mà sáng kiến giải quyết: =1+1",
        "- Mô tả bản chất của sáng kiến:",
        "Số hoá toàn bộ hồ sơ tiếp nhận.",
        "Bước 1: quét hồ sơ",
        "Bước 2: phân loại tự động",
        "Tài liệu, hình ảnh kèm theo: so-do-quy-trinh.pdf; anh-1.jpg.",
        f"- Những thông tin cần được bảo mật (nếu có): {SECRET}",
        "- Danh sách những người đã tham gia áp dụng thử hoặc áp dụng sáng kiến lần đầu (nếu có):",
        FORM.commitment,
        "Hưng Yên, ngày 05 tháng 3 năm 2025",
        "Người nộp đơn",
        "(Ký và ghi rõ họ tên)",
    ):
        assert line in texts, line
    # The items in the form's order, the signature block last, the submitter's name under it.
    order = [
        texts.index("- Loại giải pháp: Giải pháp kỹ thuật"),
        texts.index("- Mô tả bản chất của sáng kiến:"),
        texts.index(FORM.commitment),
        texts.index("Người nộp đơn"),
    ]
    assert order == sorted(order)
    assert [x for x in texts if x][-1] == "Nguyễn Thị Lan"
    signature = document.paragraphs[texts.index("Người nộp đơn")]
    assert signature.paragraph_format.left_indent > Cm(5)  # the right half of the page
    assert "Số đơn: SK-2025-0001" in document.sections[0].footer.paragraphs[0].text

    section = document.sections[0]
    assert (round(section.page_width.cm, 1), round(section.page_height.cm, 1)) == (21.0, 29.7)
    normal = document.styles["Normal"]
    assert normal.font.name == "Times New Roman" and normal.font.size == Pt(13)
    assert document.core_properties.author == "Nguyễn Thị Lan"


def test_docx_leaves_confidential_information_out_on_request() -> None:
    initiative = make_initiative()
    full = all_text(read_docx(render_form(FORM, initiative)))
    assert SECRET in full
    document = read_docx(render_form(FORM, initiative, include_confidential=False))
    text = all_text(document)
    assert SECRET not in text
    assert (
        "- Những thông tin cần được bảo mật (nếu có): "
        "(Có thông tin cần bảo mật, không in trong bản này)"
    ) in text
    assert TITLE in text and "Nguyễn Thị Lan" in text  # the rest is all there
    # No date given: dots to fill in by hand.
    assert "Hưng Yên, ngày …… tháng …… năm ………" in text


def test_docx_empty_optional_items_read_khong() -> None:
    content = answers(secret=None)
    content["appliers"] = []
    document = read_docx(render_form(FORM, make_initiative(content), include_confidential=False))
    texts = [p.text for p in document.paragraphs]
    assert "- Những thông tin cần được bảo mật (nếu có): Không" in texts
    assert (
        "- Danh sách những người đã tham gia áp dụng thử hoặc áp dụng sáng kiến lần đầu "
        "(nếu có): Không"
    ) in texts
    assert len(document.tables) == 1  # the authors only


def test_docx_prints_a_field_added_to_the_form() -> None:
    extra = FormField(id="budget", kind="text", optional=True, docx="Kinh phí thực hiện")
    form = FormDefinition.model_validate(
        {**FORM.model_dump(), "fields": [*FORM.model_dump()["fields"], extra.model_dump()]}
    )
    content = {**answers(), "budget": "120 triệu đồng"}
    texts = [p.text for p in read_docx(render_form(form, make_initiative(content))).paragraphs]
    assert "- Kinh phí thực hiện: 120 triệu đồng" in texts
    assert texts.index("- Kinh phí thực hiện: 120 triệu đồng") < texts.index(form.commitment)


def test_date_line_follows_the_rules_for_dates() -> None:
    assert date_line("Hưng Yên", date(2025, 2, 1)) == "Hưng Yên, ngày 01 tháng 02 năm 2025"
    assert date_line("Hưng Yên", date(2025, 12, 25)) == "Hưng Yên, ngày 25 tháng 12 năm 2025"
    assert date_line("", None).startswith("……………, ngày")


# --- the .xlsx ---------------------------------------------------------------------------------


def history() -> list[StatusChange]:
    return [
        StatusChange(
            initiative_id=1,
            at=datetime(2025, 3, 4, 1, 30, tzinfo=UTC),
            actor_id=1001,
            actor_name="Nguyễn Thị Lan",
            from_status=None,
            to_status=Status.SUBMITTED,
        ),
        StatusChange(
            initiative_id=1,
            at=datetime(2025, 3, 5, 17, 0, tzinfo=UTC),
            actor_id=ADMIN_ID,
            actor_name='=HYPERLINK("http://x")',
            from_status=Status.SUBMITTED,
            to_status=Status.REVIEWING,
            comment="-2+3",
        ),
    ]


def two_initiatives() -> list[Initiative]:
    second = answers("Cải tiến quy trình tiếp nhận sáng kiến", secret=None)
    second["authors"] = [{**second["authors"][0], "share": 100.0}]
    second["shares"] = [100.0]
    second["state_funds"] = False
    return [
        make_initiative(),
        make_initiative(second, id=2, number="SK-2025-0002", status=Status.SUBMITTED),
    ]


def load(data: bytes) -> Any:
    return openpyxl.load_workbook(io.BytesIO(data))


def rows_of(sheet: Any) -> list[list[Any]]:
    return [list(row) for row in sheet.iter_rows(values_only=True)]


def by_header(sheet: Any) -> list[dict[str, Any]]:
    rows = rows_of(sheet)
    return [dict(zip(rows[0], row, strict=True)) for row in rows[1:]]


SUBMITTERS = {1001: Contact(full_name="Nguyễn Thị Lan", phone="0912 345 678")}


def test_xlsx_four_sheets_with_the_values() -> None:
    data = export_initiatives(
        FORM,
        two_initiatives(),
        history(),
        include_confidential=False,
        t=t_vi,
        submitters=SUBMITTERS,
    )
    book = load(data)
    assert book.sheetnames == ["Sáng kiến", "Tác giả", "Người áp dụng lần đầu", "Lịch sử xử lý"]
    initiatives, authors, appliers, changes = (book[name] for name in book.sheetnames)

    headers = rows_of(initiatives)[0]
    assert headers[:7] == [
        "Số đơn",
        "Trạng thái",
        "Tên sáng kiến",
        "Đơn vị",
        "Người nộp",
        "Thời điểm nộp",
        "Cập nhật lần cuối",
    ]
    assert headers[-2:] == ["Số tác giả", "Ý kiến gần nhất"]
    assert "Thông tin cần bảo mật" not in headers
    first, second = by_header(initiatives)
    assert first["Số đơn"] == "SK-2025-0001"
    assert first["Trạng thái"] == "Đang xét" and second["Trạng thái"] == "Đã nộp"
    assert first["Tên sáng kiến"] == TITLE
    assert first["Người nộp"] == "Nguyễn Thị Lan"
    # Circulated: no phone, no Telegram id (the full export has them).
    assert "0912 345 678" not in str(rows_of(initiatives)) and 1001 not in rows_of(initiatives)[1]
    assert first["Thời điểm nộp"] == datetime(2025, 3, 4, 8, 30)  # local time, a real date
    assert first["Cập nhật lần cuối"] == datetime(2025, 3, 6, 0, 0)
    assert first["Kính gửi"] == "Sở Khoa học và Công nghệ tỉnh Hưng Yên"
    assert first["Loại giải pháp"] == "Giải pháp kỹ thuật"
    assert first["Dùng kinh phí, trang thiết bị Nhà nước"] == "Có"
    assert second["Dùng kinh phí, trang thiết bị Nhà nước"] == "Không"
    assert first["Chủ đầu tư"] is None
    assert first["Ngày áp dụng lần đầu"] == datetime(2024, 9, 2)
    assert first["Mô tả bản chất"].startswith("Số hoá toàn bộ hồ sơ tiếp nhận.\n\nBước 1")
    assert first["Tệp đính kèm"] == "so-do-quy-trinh.pdf; anh-1.jpg"
    assert first["Người tham gia áp dụng lần đầu"] == "Lê Minh Hà"
    assert first["Số tác giả"] == 2 and second["Số tác giả"] == 1
    assert SECRET not in str(rows_of(initiatives))

    assert rows_of(authors) == [
        ["Số đơn", "Thứ tự", "Họ và tên", "Ngày sinh", "Nơi công tác", "Chức danh",
         "Trình độ chuyên môn", "Tỷ lệ đóng góp (%)"],
        ["SK-2025-0001", 1, "Nguyễn Thị Lan", datetime(1985, 3, 7), "Phòng Quản lý khoa học",
         "Trưởng phòng", "Thạc sĩ", 60],
        ["SK-2025-0001", 2, "Trần Văn Đức", datetime(1990, 11, 20),
         "-Trung tâm Ứng dụng tiến bộ KH&CN", "Chuyên viên", "Kỹ sư", 40],
        ["SK-2025-0002", 1, "Nguyễn Thị Lan", datetime(1985, 3, 7), "Phòng Quản lý khoa học",
         "Trưởng phòng", "Thạc sĩ", 100],
    ]  # fmt: skip
    assert authors["D2"].number_format == "dd/mm/yyyy"

    assert rows_of(appliers) == [
        ["Số đơn", "Thứ tự", "Họ và tên", "Ngày sinh", "Nơi công tác", "Chức danh",
         "Trình độ chuyên môn", "Nội dung công việc hỗ trợ"],
        ["SK-2025-0001", 1, "Lê Minh Hà", datetime(1992, 5, 15), "Văn phòng Sở", "Văn thư",
         "Cử nhân", "Nhập dữ liệu thử nghiệm"],
        ["SK-2025-0002", 1, "Lê Minh Hà", datetime(1992, 5, 15), "Văn phòng Sở", "Văn thư",
         "Cử nhân", "Nhập dữ liệu thử nghiệm"],
    ]  # fmt: skip

    assert rows_of(changes) == [
        ["Số đơn", "Thời điểm", "Người thực hiện", "Trạng thái trước", "Trạng thái mới", "Ý kiến"],
        ["SK-2025-0001", datetime(2025, 3, 4, 8, 30), "Nguyễn Thị Lan", None, "Đã nộp", None],
        ["SK-2025-0001", datetime(2025, 3, 6, 0, 0), '=HYPERLINK("http://x")', "Đã nộp",
         "Đang xét", "-2+3"],
    ]  # fmt: skip

    for sheet in (initiatives, authors, appliers, changes):
        assert sheet.freeze_panes == "A2"
        assert sheet.auto_filter.ref and sheet.auto_filter.ref.startswith("A1:")
        assert all(cell.font.bold for cell in sheet[1])
        assert all(
            8 <= (sheet.column_dimensions[c.column_letter].width or 0) <= 60 for c in sheet[1]
        )


def test_xlsx_confidential_column_only_when_asked() -> None:
    items = two_initiatives()
    plain = load(
        export_initiatives(
            FORM, items, [], include_confidential=False, t=t_vi, submitters=SUBMITTERS
        )
    )
    full = load(
        export_initiatives(
            FORM, items, [], include_confidential=True, t=t_vi, submitters=SUBMITTERS
        )
    )
    assert "Thông tin cần bảo mật" not in rows_of(plain["Sáng kiến"])[0]
    rows = by_header(full["Sáng kiến"])
    assert rows[0]["Thông tin cần bảo mật"] == SECRET
    assert rows[1]["Thông tin cần bảo mật"] is None
    # The office's own copy: whom to call.
    assert rows[0]["Điện thoại người nộp"] == "0912 345 678"
    assert rows[0]["ID Telegram người nộp"] == 1001
    assert len(rows_of(full["Sáng kiến"])[0]) == len(rows_of(plain["Sáng kiến"])[0]) + 3


def test_xlsx_neutralises_formulas() -> None:
    data = export_initiatives(FORM, two_initiatives(), history(), include_confidential=True, t=t_vi)
    book = load(data)
    sheet = book["Sáng kiến"]
    headers = [c.value for c in sheet[1]]
    problem = sheet.cell(row=2, column=headers.index("Vấn đề giải quyết") + 1)
    assert problem.value == "=1+1" and problem.data_type == "s" and problem.quotePrefix
    benefit = sheet.cell(row=2, column=headers.index("Lợi ích (theo tác giả)") + 1)
    assert benefit.value.startswith("@SUM") and benefit.data_type == "s"
    comment = sheet.cell(row=2, column=headers.index("Ý kiến gần nhất") + 1)
    assert comment.value == "+ bổ sung số liệu" and comment.data_type == "s"
    actor = book["Lịch sử xử lý"]["C3"]
    assert actor.value.startswith("=HYPERLINK") and actor.data_type == "s"
    # Nowhere a formula cell, and the package holds no formula at all.
    for name in book.sheetnames:
        for row in book[name].iter_rows():
            assert all(cell.data_type != "f" for cell in row)
    with __import__("zipfile").ZipFile(io.BytesIO(data)) as package:
        sheets = [n for n in package.namelist() if n.startswith("xl/worksheets/")]
        assert sheets and not any(b"<f>" in package.read(n) for n in sheets)


def test_xlsx_put_and_sheet_titles() -> None:
    sheet = openpyxl.Workbook().active
    assert sheet is not None
    cell = sheet["A1"]
    put(cell, "#N/A")
    assert cell.data_type == "s" and cell.value == "#N/A"
    put(cell, "a\x00b\x07c")
    assert cell.value == "abc"
    put(cell, "")
    assert cell.value is None
    title = sheet_title("Lịch sử: [a/b]*?" + "x" * 40)
    assert title.startswith("Lịch sử") and len(title) == 31
    assert not set(title) & set("[]:*?/\\")


def test_xlsx_headers_in_english() -> None:
    book = load(
        export_initiatives(FORM, two_initiatives(), history(), include_confidential=True, t=t_en)
    )
    assert book.sheetnames == ["Initiatives", "Authors", "First appliers", "Status history"]
    headers = rows_of(book["Initiatives"])[0]
    assert headers[:3] == ["Number", "Status", "Title"] and "Confidential information" in headers
    assert by_header(book["Initiatives"])[0]["Status"] == "Under review"


def test_xlsx_without_initiatives_still_has_headers() -> None:
    book = load(export_initiatives(FORM, [], [], include_confidential=False, t=t_vi))
    assert [len(rows_of(book[name])) for name in book.sheetnames] == [1, 1, 1, 1]


# --- creating initiatives as the bot does -----------------------------------------------------


async def submit(services: Services, user_id: int, content: dict[str, Any], update_id: int) -> int:
    """A complete draft put in place, then submitted through the service."""
    user = await services.users.seen(user_id, "Lan", "Nguyễn", None, "vi")
    answers_ = {**content, "description": {**content["description"], "done": True}}
    draft = {"draft_id": uuid.uuid4().hex, "answers": answers_, "closed": ["authors", "appliers"]}
    async with services.db.transaction() as conn:
        await flow_sql.put_draft(conn, user_id, "initiative", draft)
    submitted = await services.initiatives.submit(StepRef(update_id, (user_id, user_id)), user)
    assert submitted.created
    return submitted.initiative.id


async def seed(services: Services) -> None:
    first = await submit(services, 1001, answers(), 1)
    await submit(services, 1002, answers("Sổ tay điện tử cho cán bộ thi đua", secret=None), 2)
    reviewer = await services.users.seen(ADMIN_ID, "Quản trị", None, None, "vi")
    await services.initiatives.review(
        StepRef(3, (ADMIN_ID, ADMIN_ID)), reviewer, first, Status.REVIEWING
    )


async def seed_database(tmp_path: Path) -> Path:
    settings = make_settings(tmp_path)
    services = Services.build(settings)
    await services.db.open()
    try:
        await seed(services)
    finally:
        await services.close()
    return settings.database_path


def test_cli_export_initiatives(tmp_path: Path) -> None:
    database = asyncio.run(seed_database(tmp_path))
    cwd = tmp_path / "cwd"
    cwd.mkdir()
    target = tmp_path / "out" / "sang-kien.xlsx"
    target.parent.mkdir()
    result = run_cli(cwd, "export", "initiatives", "-o", str(target), DATABASE_PATH=str(database))
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        f"Exported 2 initiatives to {target} (without confidential information)"
    ]
    book = load(target.read_bytes())
    assert book.sheetnames == ["Sáng kiến", "Tác giả", "Người áp dụng lần đầu", "Lịch sử xử lý"]
    rows = by_header(book["Sáng kiến"])
    assert [re.sub(r"-\d{4}-", "-Y-", r["Số đơn"]) for r in rows] == ["SK-Y-0001", "SK-Y-0002"]
    assert [r["Trạng thái"] for r in rows] == ["Đang xét", "Đã nộp"]
    assert "Thông tin cần bảo mật" not in rows[0]
    assert SECRET not in str(rows_of(book["Sáng kiến"]))
    assert len(rows_of(book["Tác giả"])) == 1 + 4
    assert [r[4] for r in rows_of(book["Lịch sử xử lý"])[1:]] == ["Đã nộp", "Đã nộp", "Đang xét"]

    full = run_cli(
        cwd, "export", "initiatives", "-o", str(target), "--full", DATABASE_PATH=str(database)
    )
    assert full.returncode == 0, full.stderr
    assert "(with confidential information)" in full.stdout
    assert by_header(load(target.read_bytes())["Sáng kiến"])[0]["Thông tin cần bảo mật"] == SECRET

    english = run_cli(
        cwd, "export", "initiatives", "-o", str(target), DATABASE_PATH=str(database),
        DEFAULT_LANGUAGE="en",
    )  # fmt: skip
    assert english.returncode == 0, english.stderr
    sheets = ["Initiatives", "Authors", "First appliers", "Status history"]
    assert load(target.read_bytes()).sheetnames == sheets


def test_cli_export_errors(tmp_path: Path) -> None:
    missing = run_cli(
        tmp_path, "export", "initiatives", "-o", str(tmp_path / "x.xlsx"),
        DATABASE_PATH=str(tmp_path / "none.sqlite3"),
    )  # fmt: skip
    assert missing.returncode == 1 and "No database" in missing.stderr
    assert not (tmp_path / "none.sqlite3").exists() and not (tmp_path / "x.xlsx").exists()

    database = asyncio.run(seed_database(tmp_path))
    unwritable = run_cli(
        tmp_path, "export", "initiatives", "-o", str(tmp_path / "no" / "such" / "dir.xlsx"),
        DATABASE_PATH=str(database),
    )  # fmt: skip
    assert unwritable.returncode == 1
    assert len(unwritable.stderr.splitlines()) == 1 and "Cannot write" in unwritable.stderr

    usage = run_cli(tmp_path, "export", "initiatives", DATABASE_PATH=str(database))
    assert usage.returncode == 2 and "-o" in usage.stderr


# --- /export_initiatives ----------------------------------------------------------------------

FILENAME = re.compile(r"^sang-kien-\d{8}-\d{4}\.xlsx$")
FULL_FILENAME = re.compile(r"^sang-kien-day-du-\d{8}-\d{4}\.xlsx$")


def documents(bot: Harness, user: StubUser) -> list[Any]:
    return bot.stub.sent(user.id, "sendDocument")


async def test_admin_exports_in_chat(bot: Harness, admin: StubUser) -> None:
    await seed(bot.services)
    await bot.say(admin, "/export_initiatives")
    (sent,) = documents(bot, admin)
    assert FILENAME.match(sent.params["_filename"]), sent.params["_filename"]
    caption = sent.params["caption"]
    assert caption.startswith("Danh sách 2 sáng kiến, xuất lúc ") and len(caption) < 1024
    book = load(sent.params["_bytes"])
    assert book.sheetnames == ["Sáng kiến", "Tác giả", "Người áp dụng lần đầu", "Lịch sử xử lý"]
    assert len(rows_of(book["Sáng kiến"])) == 3
    assert [r["Người nộp"] for r in by_header(book["Sáng kiến"])] == ["Lan Nguyễn", "Lan Nguyễn"]
    assert "Thông tin cần bảo mật" not in rows_of(book["Sáng kiến"])[0]

    await bot.say(admin, "/export_initiatives full")
    sent = documents(bot, admin)[-1]
    assert FULL_FILENAME.match(sent.params["_filename"]), sent.params["_filename"]
    assert sent.params["caption"].startswith("Bản đầy đủ: 2 sáng kiến")
    rows = by_header(load(sent.params["_bytes"])["Sáng kiến"])
    assert rows[0]["Thông tin cần bảo mật"] == SECRET
    assert [r["ID Telegram người nộp"] for r in rows] == [1001, 1002]

    await bot.say(admin, "/export_initiatives everything please")
    assert bot.last_text(admin.id) == bot.t("export.usage")
    assert len(documents(bot, admin)) == 2


async def test_staff_cannot_export(bot: Harness, alice: StubUser) -> None:
    await seed(bot.services)
    await bot.say(alice, "/export_initiatives")
    assert bot.last_text(alice.id) == bot.t("export.denied")
    await bot.say(alice, "/export_initiatives full")
    assert bot.last_text(alice.id) == bot.t("export.denied")
    assert documents(bot, alice) == []


async def test_reviewer_exports_but_not_the_full_version(
    bot: Harness, alice: StubUser, admin: StubUser
) -> None:
    await seed(bot.services)
    await bot.say(alice, "/export_initiatives")  # she is known to the bot, not yet a reviewer
    await bot.say(admin, f"/grant {alice.id} reviewer")
    assert bot.last_text(admin.id) == bot.t(
        "admin.granted", who="Lan Nguyễn", role=bot.t("role.reviewer")
    )

    await bot.say(alice, "/export_initiatives")
    (sent,) = documents(bot, alice)
    assert FILENAME.match(sent.params["_filename"])
    assert "Thông tin cần bảo mật" not in rows_of(load(sent.params["_bytes"])["Sáng kiến"])[0]

    await bot.say(alice, "/export_initiatives full")
    assert bot.last_text(alice.id) == bot.t("export.full_denied")
    assert len(documents(bot, alice)) == 1


async def test_nothing_to_export(bot: Harness, admin: StubUser) -> None:
    await bot.say(admin, "/export_initiatives")
    assert bot.last_text(admin.id) == bot.t("export.empty")
    assert documents(bot, admin) == []
