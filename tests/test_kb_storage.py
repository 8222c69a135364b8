"""The knowledge base's storage and service: migration, import/list/remove, re-import, the
readers (.txt, .md, .docx, .pdf) and their errors, nothing half-imported, curated entries,
feedback and questions passed to the office."""

from __future__ import annotations

import io
import sqlite3
import unicodedata
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from bot.kb.models import DocumentMeta
from bot.kb.readers import MAX_UPLOAD_BYTES, extract_text
from bot.kb.segment import segment
from bot.services.knowledge import (
    FAQ_LIMITS,
    KnowledgeError,
    KnowledgeService,
    TooLongForFaq,
    derive_meta,
    slugify,
)
from storage import Database
from storage import knowledge as kb_sql
from storage import users as user_sql
from storage.db import latest_version

ROOT = Path(__file__).resolve().parents[1]
KNOWLEDGE = ROOT / "knowledge"

SMALL_PLAN = """ KẾ HOẠCH

Tổ chức Hội thi sáng kiến năm 2026

Căn cứ Kế hoạch số 12/KH-UBND ngày 01/02/2026 của UBND tỉnh;

I. MỤC ĐÍCH

1. Thời gian: Từ ngày 01/3/2026 đến ngày

30/6/2026.

2. Số lượng: Khoảng 40 sáng kiến.

II. KINH PHÍ

Kinh phí lấy từ nguồn ngân sách nhà nước./.

Nơi nhận:

- Như trên;

- Lưu: VT.

GIÁM ĐỐC

Nguyễn Văn A
"""


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[Database]:
    database = Database(tmp_path / "kb.sqlite3")
    await database.open()
    yield database
    await database.close()


@pytest.fixture
def service(db: Database) -> KnowledgeService:
    return KnowledgeService(db)


async def count(db: Database, table: str) -> int:
    async with db.read() as conn, conn.execute(f"SELECT count(*) FROM {table}") as cur:
        row = await cur.fetchone()
    assert row is not None
    return int(row[0])


async def add_user(db: Database, user_id: int) -> None:
    async with db.transaction() as conn:
        await user_sql.upsert_contact(conn, user_id, "Lan", None, None, "vi")


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


# --- migration -----------------------------------------------------------------------------------


async def test_migration_creates_the_knowledge_tables(db: Database) -> None:
    assert await db.user_version() == latest_version() >= 3
    async with db.read() as conn:
        rows = await conn.execute_fetchall("SELECT name FROM sqlite_master WHERE type='table'")
        columns = {
            table: {r[1] for r in await conn.execute_fetchall(f"PRAGMA table_info({table})")}
            for table in ("documents", "sections", "faq", "feedback", "office_questions")
        }
    assert {
        "documents", "sections", "faq", "feedback", "office_questions", "office_question_messages",
    } <= {r[0] for r in rows}  # fmt: skip
    assert columns["documents"] == {"id", "meta", "imported_at"}
    assert columns["sections"] == {
        "id", "document_id", "ordinal", "kind", "path", "heading", "text", "parents",
    }  # fmt: skip
    assert columns["faq"] == {"id", "question", "answer", "source", "author_id", "created_at"}
    assert columns["feedback"] == {"id", "user_id", "question", "section_id", "helpful", "at"}
    assert {
        "id", "user_id", "chat_id", "question", "asked_at", "office_chat_id",
        "office_message_id", "answer", "answered_by", "answered_at", "faq_id",
    } == columns["office_questions"]  # fmt: skip


async def test_sections_go_with_their_document(db: Database) -> None:
    async with db.transaction() as conn:
        ids = await kb_sql.replace_document(
            conn,
            "d1",
            {"id": "d1", "title": "T", "short_title": "T"},
            [
                {"kind": "title", "path": "", "heading": "T", "text": "T", "parents": []},
                {"kind": "item", "path": "I.1", "heading": "H", "text": "1. H", "parents": ["P"]},
            ],
        )
    assert len(ids) == 2
    async with db.read() as conn:
        stored = await kb_sql.sections(conn, "d1")
    assert [s["ordinal"] for s in stored] == [0, 1]
    assert stored[1]["parents"] == ["P"]
    with pytest.raises(sqlite3.IntegrityError):  # a section needs its document
        async with db.transaction() as conn:
            await conn.execute(
                "INSERT INTO sections (document_id, ordinal, kind, path, heading, text)"
                " VALUES ('nope', 0, 'item', '', '', '')"
            )
    async with db.transaction() as conn:
        assert await kb_sql.delete_document(conn, "d1")
    assert await count(db, "sections") == 0


# --- seeding -----------------------------------------------------------------------------------


async def test_seeding_imports_the_shipped_plans_once(service: KnowledgeService) -> None:
    imported = await service.seed_if_empty()
    assert [m.id for m in imported] == [
        "ke-hoach-2023-dot-thi-dua-dac-biet",
        "ke-hoach-2025-hoi-nghi-tuyen-duong",
    ]
    assert await service.seed_if_empty() == []
    documents = {d.id: d for d in await service.documents()}
    plan_2025 = documents["ke-hoach-2025-hoi-nghi-tuyen-duong"]
    assert plan_2025.short_title == "Kế hoạch 2025"
    assert plan_2025.year == 2025
    assert plan_2025.signer == "Giám đốc Vũ Tuấn Anh"
    assert any("87/KH-SKHCN" in r for r in plan_2025.relations)
    assert plan_2025.number is None and plan_2025.date is None
    assert plan_2025.source == "ke-hoach-2025-hoi-nghi-tuyen-duong.txt"
    assert documents["ke-hoach-2023-dot-thi-dua-dac-biet"].short_title == "Kế hoạch 2023"
    counts = await service.section_counts()
    assert counts == {
        "ke-hoach-2023-dot-thi-dua-dac-biet": 27,
        "ke-hoach-2025-hoi-nghi-tuyen-duong": 29,
    }
    sections = await service.sections("ke-hoach-2025-hoi-nghi-tuyen-duong")
    quantity = next(s for s in sections if s.path == "II.2.c")
    assert quantity.text == "c) Số lượng: Khoảng 60 đại biểu."
    assert quantity.heading == "Số lượng"


def test_shipped_texts_are_the_official_plans_word_for_word() -> None:
    seeds = ROOT.parent / "shared" / "seeds"
    if not seeds.is_dir():
        pytest.skip("no ../shared/seeds here")
    shipped = {p.read_bytes() for p in KNOWLEDGE.glob("*.txt")}
    assert shipped == {p.read_bytes() for p in seeds.glob("*.txt")}


def test_shipped_metadata_is_valid() -> None:
    import tomllib

    for meta_file in KNOWLEDGE.glob("ke-hoach-*.toml"):
        meta = DocumentMeta.model_validate(tomllib.loads(meta_file.read_text(encoding="utf-8")))
        assert meta.id == meta_file.stem
        assert (KNOWLEDGE / f"{meta.id}.txt").is_file()
        assert meta.issuer == "Sở Khoa học và Công nghệ tỉnh Hưng Yên"


async def test_seeding_a_custom_folder(db: Database, tmp_path: Path) -> None:
    folder = tmp_path / "docs"
    folder.mkdir()
    write(folder / "hoi-thi.txt", SMALL_PLAN)
    write(folder / "README.md", "# not a document\n")
    service = KnowledgeService(db, knowledge_dir=folder)
    imported = await service.seed_if_empty()
    assert [m.id for m in imported] == ["hoi-thi"]
    assert imported[0].short_title == "Kế hoạch 2026"


# --- import, list, remove ----------------------------------------------------------------------


async def test_import_list_remove_round_trip(service: KnowledgeService, tmp_path: Path) -> None:
    meta = await service.import_file(write(tmp_path / "Hội thi sáng kiến 2026.txt", SMALL_PLAN))
    assert meta.id == "hoi-thi-sang-kien-2026"
    assert meta.title == "Kế hoạch Tổ chức Hội thi sáng kiến năm 2026"
    assert meta.short_title == "Kế hoạch 2026"
    assert meta.year == 2026
    assert meta.source == "Hội thi sáng kiến 2026.txt"
    assert [d.id for d in await service.documents()] == [meta.id]
    sections = await service.sections(meta.id)
    assert [s.path for s in sections if s.path] == ["I", "I.1", "I.2", "II"]
    assert [s.kind for s in sections][-2:] == ["recipients", "signature"]
    assert next(s for s in sections if s.path == "I.1").text == (
        "1. Thời gian: Từ ngày 01/3/2026 đến ngày 30/6/2026."
    )
    assert await service.section_counts() == {meta.id: len(sections)}

    assert await service.remove(meta.id)
    assert not await service.remove(meta.id)
    assert await service.documents() == []
    assert await count(service.db, "sections") == 0


async def test_import_uses_the_toml_next_to_the_file(
    service: KnowledgeService, tmp_path: Path
) -> None:
    write(tmp_path / "plan.txt", SMALL_PLAN)
    write(
        tmp_path / "plan.toml",
        'id = "kh-hoi-thi"\ntitle = "Kế hoạch Hội thi"\nshort_title = "KH Hội thi"\n'
        'number = "5/KH-SKHCN"\nyear = 2026\n',
    )
    meta = await service.import_file(tmp_path / "plan.txt")
    assert (meta.id, meta.short_title, meta.number) == ("kh-hoi-thi", "KH Hội thi", "5/KH-SKHCN")
    assert meta.source == "plan.txt"
    write(tmp_path / "plan.toml", "id = 3\n")
    with pytest.raises(KnowledgeError) as info:
        await service.import_file(tmp_path / "plan.txt")
    assert info.value.code == "unreadable" and "metadata" in info.value.detail


async def test_reimport_replaces_the_document(service: KnowledgeService, tmp_path: Path) -> None:
    path = write(tmp_path / "plan.txt", SMALL_PLAN)
    await service.import_file(path)
    old_ids = {s.id for s in await service.sections("plan")}
    write(path, SMALL_PLAN.replace("Khoảng 40 sáng kiến", "Khoảng 50 sáng kiến"))
    await service.import_file(path)
    assert [d.id for d in await service.documents()] == ["plan"]
    sections = await service.sections("plan")
    assert len(sections) == len(old_ids)
    assert not old_ids & {s.id for s in sections}
    texts = "\n".join(s.text for s in sections)
    assert "50 sáng kiến" in texts and "40 sáng kiến" not in texts


async def test_an_uploaded_copy_does_not_take_a_shipped_short_title(
    service: KnowledgeService,
) -> None:
    first = await service.import_bytes("a.txt", SMALL_PLAN.encode())
    second = await service.import_bytes("b.txt", SMALL_PLAN.encode())
    assert first.short_title == "Kế hoạch 2026"
    assert second.short_title == "Kế hoạch 2026 (2)"
    again = await service.import_bytes("a.txt", SMALL_PLAN.encode())  # same id: keeps its own
    assert again.short_title == "Kế hoạch 2026"


async def test_nothing_half_imported_when_a_file_is_unreadable(
    service: KnowledgeService, tmp_path: Path
) -> None:
    await service.import_file(write(tmp_path / "plan.txt", SMALL_PLAN))
    before = await service.sections("plan")
    for name, data in [
        ("plan.docx", b"PK\x03\x04 this is not a zip archive"),
        ("plan.pdf", b"%PDF-1.4\n garbage garbage"),
        ("plan.txt", b"\x00\x01\x02\x03binary\x00\x00\x00\x00 data" * 10),
    ]:
        with pytest.raises(KnowledgeError) as info:
            await service.import_bytes(name, data)
        assert info.value.code == "unreadable", name
    assert await service.sections("plan") == before
    assert [d.id for d in await service.documents()] == ["plan"]


async def test_a_failure_while_storing_rolls_back_everything(
    service: KnowledgeService, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write(tmp_path / "plan.txt", SMALL_PLAN)
    await service.import_file(path)
    before = await service.sections("plan")
    original = kb_sql.replace_document

    async def store_then_fail(*args: Any, **kwargs: Any) -> list[int]:
        await original(*args, **kwargs)  # the old document is gone, the new one written...
        raise OSError("disk full")  # ...and then the write fails

    monkeypatch.setattr(kb_sql, "replace_document", store_then_fail)
    write(path, SMALL_PLAN.replace("40", "99"))
    with pytest.raises(OSError):
        await service.import_file(path)
    assert await service.sections("plan") == before


async def test_missing_file(service: KnowledgeService, tmp_path: Path) -> None:
    with pytest.raises(KnowledgeError) as info:
        await service.import_file(tmp_path / "nope.txt")
    assert info.value.code == "unreadable"


# --- readers and their errors ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "data", "code"),
    [
        ("plan.exe", b"MZ...", "unsupported"),
        ("plan.doc", b"\xd0\xcf\x11\xe0", "unsupported"),
        ("plan", b"text", "unsupported"),
        ("plan.txt", b"", "empty"),
        ("plan.txt", b"  \n\n \t\n", "empty"),
        ("plan.md", "\ufeff\n\n".encode(), "empty"),
        ("plan.txt", b"x" * (MAX_UPLOAD_BYTES + 1), "too_large"),
        ("plan.docx", b"not a docx", "unreadable"),
        ("plan.pdf", b"not a pdf at all", "unreadable"),
    ],
    ids=lambda v: v if isinstance(v, str) else None,
)
async def test_import_errors(service: KnowledgeService, name: str, data: bytes, code: str) -> None:
    with pytest.raises(KnowledgeError) as info:
        await service.import_bytes(name, data)
    assert info.value.code == code
    assert await service.documents() == []


async def test_upload_limit_is_checked_before_reading(service: KnowledgeService) -> None:
    data = ("a" * 100 + "\n").encode() * (MAX_UPLOAD_BYTES // 101 + 10)
    with pytest.raises(KnowledgeError) as info:
        await service.import_bytes("big.txt", data)
    assert info.value.code == "too_large"


def _cp1258(text: str) -> bytes:
    """Windows-1258: base letters (ê, ơ, ư...) precomposed, tone marks combining."""
    tones = "\u0300\u0301\u0303\u0309\u0323"
    out = b""
    for ch in unicodedata.normalize("NFC", text):
        try:
            out += ch.encode("cp1258")
        except UnicodeEncodeError:
            decomposed = unicodedata.normalize("NFD", ch)
            tone = "".join(c for c in decomposed if c in tones)
            base = unicodedata.normalize("NFC", "".join(c for c in decomposed if c not in tones))
            out += base.encode("cp1258") + tone.encode("cp1258")
    return out


@pytest.mark.parametrize(
    "encode",
    [
        lambda t: t.encode("utf-8"),
        lambda t: t.encode("utf-8-sig"),
        lambda t: t.encode("utf-16"),
        lambda t: unicodedata.normalize("NFD", t).encode("utf-8"),
        _cp1258,
    ],
    ids=["utf-8", "utf-8-sig", "utf-16", "utf-8-nfd", "cp1258"],
)
def test_text_encodings(encode: Any) -> None:
    text = extract_text("plan.txt", encode(SMALL_PLAN))
    assert text.lstrip().startswith("KẾ HOẠCH")
    assert "Tổ chức Hội thi sáng kiến năm 2026" in text
    assert unicodedata.is_normalized("NFC", text)


MARKDOWN_PLAN = """# KẾ HOẠCH

Tổ chức Hội thi sáng kiến năm 2026

## I. MỤC ĐÍCH

**1. Thời gian:** từ tháng 3
đến hết tháng 6 năm 2026.
2. Thành phần
* Lãnh đạo Sở;
+ các phòng, đơn vị
thuộc Sở.

Kinh phí theo quy định hiện hành./.
"""


def test_markdown_gives_one_paragraph_per_line() -> None:
    assert extract_text("plan.md", MARKDOWN_PLAN.encode()).split("\n") == [
        "KẾ HOẠCH",
        "Tổ chức Hội thi sáng kiến năm 2026",
        "I. MỤC ĐÍCH",
        "1. Thời gian: từ tháng 3 đến hết tháng 6 năm 2026.",
        "2. Thành phần",
        "- Lãnh đạo Sở;",
        "- các phòng, đơn vị thuộc Sở.",
        "Kinh phí theo quy định hiện hành./.",
    ]


async def test_markdown_import(service: KnowledgeService) -> None:
    meta = await service.import_bytes("hoi-thi.md", MARKDOWN_PLAN.encode())
    assert meta.title == "Kế hoạch Tổ chức Hội thi sáng kiến năm 2026"
    sections = {s.path or s.kind: s for s in await service.sections(meta.id)}
    assert list(sections) == ["title", "I", "I.1", "I.2", "closing"]
    assert sections["I.2"].text == "2. Thành phần\n- Lãnh đạo Sở;\n- các phòng, đơn vị thuộc Sở."


def make_docx() -> bytes:
    """A plan as offices write them: a header table (issuing body, national motto, number,
    place and date), the title, numbered items, a data table, recipients and signature side by
    side in a layout table."""
    import docx

    document = docx.Document()
    header = document.add_table(rows=2, cols=2)
    header.cell(0, 0).text = "SỞ KHOA HỌC VÀ CÔNG NGHỆ"
    header.cell(0, 1).text = "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"
    header.cell(0, 1).add_paragraph("Độc lập, Tự do, Hạnh phúc")
    header.cell(1, 0).text = "Số: 15/KH-SKHCN"
    header.cell(1, 1).text = "Hưng Yên, ngày 5 tháng 3 năm 2026"
    document.add_paragraph("KẾ HOẠCH")
    document.add_paragraph("Tổ chức Hội thi sáng kiến")
    document.add_paragraph("I. MỤC ĐÍCH")
    document.add_paragraph("1. Số lượng: Khoảng 40 sáng kiến.")
    document.add_paragraph("2. Khen thưởng:")
    document.add_paragraph("Theo quy định hiện hành")  # no final stop: still its own paragraph
    table = document.add_table(rows=3, cols=2)
    for row, (kind, quota) in enumerate(
        [
            ("Loại khen thưởng", "Số lượng"),
            ("Bằng khen", "05-10 tập thể"),
            ("Giấy khen", "10 cá nhân"),
        ]
    ):
        table.cell(row, 0).text = kind
        table.cell(row, 1).text = quota
    document.add_paragraph("Trong quá trình thực hiện, báo cáo Văn phòng Sở./.")
    footer = document.add_table(rows=1, cols=2)
    footer.cell(0, 0).text = "Nơi nhận:\n- Như trên;\n- Lưu: VT."
    footer.cell(0, 1).text = "GIÁM ĐỐC"
    footer.cell(0, 1).add_paragraph("Nguyễn Văn A")
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def test_docx_reader_keeps_paragraphs_and_tables_in_order() -> None:
    lines = [line for line in extract_text("plan.docx", make_docx()).split("\n") if line]
    assert lines == [
        "SỞ KHOA HỌC VÀ CÔNG NGHỆ",
        "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
        "Độc lập, Tự do, Hạnh phúc",
        "Số: 15/KH-SKHCN",
        "Hưng Yên, ngày 5 tháng 3 năm 2026",
        "KẾ HOẠCH",
        "Tổ chức Hội thi sáng kiến",
        "I. MỤC ĐÍCH",
        "1. Số lượng: Khoảng 40 sáng kiến.",
        "2. Khen thưởng:",
        "Theo quy định hiện hành",
        "- Loại khen thưởng | Số lượng",
        "- Bằng khen | 05-10 tập thể",
        "- Giấy khen | 10 cá nhân",
        "Trong quá trình thực hiện, báo cáo Văn phòng Sở./.",
        "Nơi nhận:",
        "- Như trên;",
        "- Lưu: VT.",
        "GIÁM ĐỐC",
        "Nguyễn Văn A",
    ]


async def test_docx_import(service: KnowledgeService) -> None:
    meta = await service.import_bytes("Hội thi.docx", make_docx())
    assert meta.id == "hoi-thi"
    assert meta.title == "Kế hoạch Tổ chức Hội thi sáng kiến"  # the header block left out
    assert (meta.number, meta.date, meta.year) == ("15/KH-SKHCN", "05/03/2026", 2026)
    assert meta.short_title == "Kế hoạch 2026"
    sections = await service.sections(meta.id)
    by_path = {s.path: s for s in sections if s.path}
    assert list(by_path) == ["I", "I.1", "I.2"]
    assert by_path["I.2"].text.split("\n") == [
        "2. Khen thưởng:",
        "Theo quy định hiện hành",
        "- Loại khen thưởng | Số lượng",
        "- Bằng khen | 05-10 tập thể",
        "- Giấy khen | 10 cá nhân",  # the next paragraph is not glued to it (Word paragraphs)
    ]
    assert [s.kind for s in sections][-3:] == ["closing", "recipients", "signature"]
    assert sections[-1].text == "GIÁM ĐỐC\nNguyễn Văn A"


def make_pdf(lines: list[str]) -> bytes:
    """A minimal valid one-page PDF (Helvetica, one text line per entry)."""

    def escape(s: str) -> str:
        return s.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")

    ops = ["BT", "/F1 11 Tf", "14 TL", "50 800 Td", *(f"({escape(x)}) Tj T*" for x in lines), "ET"]
    stream = "\n".join(ops).encode("latin-1")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842]"
        b" /Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(out)


PDF_LINES = [
    "KE HOACH",
    "To chuc Hoi thi sang kien (01/3/2026-",
    "30/6/2026)",
    "I. MUC DICH",
    "1. Thoi gian: Tu ngay 01/3/2026 den ngay",
    "30/6/2026.",
    "2. So luong: Khoang 40 sang kien.",
    "Noi nhan:",
    "- Luu: VT.",
]


def test_pdf_reader() -> None:
    lines = extract_text("plan.pdf", make_pdf(PDF_LINES)).strip().split("\n")
    assert lines == PDF_LINES


async def test_pdf_import_repairs_wrapping(service: KnowledgeService) -> None:
    meta = await service.import_bytes("hoi-thi.pdf", make_pdf(PDF_LINES))
    sections = await service.sections(meta.id)
    assert meta.title == "Ke hoach To chuc Hoi thi sang kien (01/3/2026-30/6/2026)"
    assert meta.year == 2026
    item = next(s for s in sections if s.path == "I.1")
    assert item.text == "1. Thoi gian: Tu ngay 01/3/2026 den ngay 30/6/2026."


def test_derived_metadata() -> None:
    assert slugify("Kế hoạch số 5 (bản cuối)") == "ke-hoach-so-5-ban-cuoi"
    assert slugify("!!!") == "document"
    meta = derive_meta("Quyết định.txt", segment("QUYẾT ĐỊNH\nVề việc khen thưởng năm 2024\n"))
    assert (meta.id, meta.short_title, meta.year) == ("quyet-dinh", "Quyết định 2024", 2024)
    untitled = derive_meta("ghi-chu.txt", segment("1. Một việc cần làm ngay trong tuần này."))
    assert untitled.title and untitled.year is None
    assert len(untitled.short_title.split()) <= 6


# --- curated entries ---------------------------------------------------------------------------


async def test_faq_said_shorter_without_the_setting(service: KnowledgeService) -> None:
    """«gửi xe ở đâu» is the entry «Đại biểu dự hội nghị gửi xe ở đâu?»: the words of the
    setting may be left out, the question's own may not, and a question that asks when is not
    one that asks where."""
    parking = await service.add_faq(
        "Đại biểu dự hội nghị gửi xe ở đâu?", "Bãi xe phía sau hội trường.", "Văn phòng Sở", 9001
    )
    deadline = await service.add_faq(
        "Hạn nộp hồ sơ sáng kiến là ngày nào?", "Ngày 30/6.", "Văn phòng Sở", 9001
    )
    for typed in [
        "gửi xe ở đâu",
        "gui xe o dau",
        "cho em hỏi gửi xe máy ở đâu ạ",
        "đỗ xe ở đâu",
        "gửi xe",
        "where do I park",
    ]:
        assert await service.match_faq(typed) == parking, typed
    assert await service.match_faq("hạn nộp hồ sơ sáng kiến") == deadline
    for other in [
        "gửi xe khi nào",  # asks when
        "xe đưa đón đại biểu ở đâu",  # another question about cars
        "hội nghị",
        "đại biểu dự hội nghị",
        "hạn nộp sáng kiến",  # not the dossier's deadline: the documents answer it
        "nộp hồ sơ sáng kiến ở đâu",
    ]:
        assert await service.match_faq(other) is None, other


async def test_faq_round_trip(service: KnowledgeService) -> None:
    entry = await service.add_faq(
        "Hội nghị tuyên dương tổ chức ở đâu?",
        "Tại Hội trường Sở KH&CN, 16 Chùa Chuông.",
        "Văn phòng Sở, 21/11/2026",
        author_id=9001,
    )
    assert entry.id > 0
    assert await service.faq_entries() == [entry]
    for typed in ["hoi nghi tuyen duong to chuc o dau", "Hội nghị tuyên dương tổ chức ở đâu ạ"]:
        assert await service.match_faq(typed) == entry, typed
    for other in ["hội nghị", "tuyên dương", "", "giá vàng hôm nay"]:
        assert await service.match_faq(other) is None, other
    answer = await service.ask("HỘI NGHỊ TUYÊN DƯƠNG TỔ CHỨC Ở ĐÂU")
    assert answer.faq == entry and not answer.abstained
    # A fresh service (a restart) reads the entries from the database.
    assert (
        await KnowledgeService(service.db).match_faq("hoi nghi tuyen duong to chuc o dau") == entry
    )
    assert await service.remove_faq(entry.id)
    assert await service.match_faq("hoi nghi tuyen duong to chuc o dau") is None
    with pytest.raises(ValueError):
        await service.add_faq("  ", "x", "y", 1)
    for part, limit in FAQ_LIMITS.items():  # one message: each part has its limit
        given = {"question": "Câu hỏi?", "answer": "Trả lời.", "source": "Sở", part: "x" * limit}
        assert await service.add_faq(given["question"], given["answer"], given["source"], 1)
        with pytest.raises(ValueError):
            given[part] += "x"
            await service.add_faq(given["question"], given["answer"], given["source"], 1)


# --- feedback ----------------------------------------------------------------------------------


async def test_feedback_round_trip(service: KnowledgeService, db: Database) -> None:
    await service.seed_if_empty()
    section = (await service.sections())[5]
    await add_user(db, 42)
    await service.feedback(42, "thời gian thi đua", section.id, helpful=True)
    await service.feedback(42, "câu khác", None, helpful=False)
    await service.feedback(42, "mục đã bị xoá", 999_999, helpful=False)  # stale: stored as NULL
    rows = await service.recent_feedback()
    assert [(r["question"], r["section_id"], r["helpful"]) for r in rows] == [
        ("mục đã bị xoá", None, False),
        ("câu khác", None, False),
        ("thời gian thi đua", section.id, True),
    ]
    assert rows[2]["document_id"] == section.document_id and rows[2]["path"] == section.path
    # Re-importing the document keeps the feedback, without its (gone) section.
    await service.remove(section.document_id)
    assert [r["section_id"] for r in await service.recent_feedback()] == [None, None, None]
    # /forget_me removes the person's feedback with them.
    async with db.transaction() as conn:
        await user_sql.erase(conn, 42)
    assert await count(db, "feedback") == 0


# --- questions passed to the office ------------------------------------------------------------


async def test_office_question_round_trip(service: KnowledgeService, db: Database) -> None:
    await add_user(db, 7)
    question = await service.submit_question(7, 7, "Hạn nộp hồ sơ sáng kiến là ngày nào?")
    assert question.answer is None and question.faq_id is None
    assert question.asked_at.tzinfo is not None
    second = await service.submit_question(7, 7, "Địa chỉ của Sở ở đâu?")
    assert [q.id for q in await service.unanswered()] == [question.id, second.id]
    assert [q.id for q in await service.unanswered(limit=1)] == [question.id]

    # The question went to two admins' chats: a reply to either message finds it.
    await service.link_office_message(question.id, -100500, 11)
    await service.link_office_message(question.id, 9001, 12)
    await service.link_office_message(999, -100500, 13)  # unknown question: ignored
    assert await service.question_for_office_message(-100500, 11) == question
    assert await service.question_for_office_message(9001, 12) == question
    assert await service.question_for_office_message(-100500, 13) is None
    assert await service.question_for_office_message(-100500, 99) is None
    row = await count(db, "office_questions WHERE office_message_id = 11")
    assert row == 1

    assert await service.save_answer_as_faq(question.id, 9001) is None  # not answered yet
    answered = await service.answer_question(question.id, 9001, "Ngày 30/6/2026.")
    assert answered is not None
    assert (answered.answer, answered.answered_by) == ("Ngày 30/6/2026.", 9001)
    assert answered.answered_at is not None
    late = await service.answer_question(question.id, 9002, "Ngày 1/7")  # first answer wins
    assert late is not None and (late.answer, late.answered_by) == ("Ngày 30/6/2026.", 9001)
    assert await service.answer_question(12345, 9001, "x") is None
    assert [q.id for q in await service.unanswered()] == [second.id]

    entry = await service.save_answer_as_faq(question.id, 9001)
    assert entry is not None
    assert (entry.question, entry.answer) == (question.question, "Ngày 30/6/2026.")
    assert entry.source.startswith("Văn phòng Sở, ")
    assert await service.save_answer_as_faq(question.id, 9001) == entry  # once
    assert await service.save_answer_as_faq(4242, 9001) is None
    long = await service.submit_question(7, 7, "Hồ sơ gồm những gì?")
    await service.answer_question(long.id, 9001, "x" * (FAQ_LIMITS["answer"] + 1))
    with pytest.raises(TooLongForFaq):
        await service.save_answer_as_faq(long.id, 9001)
    stored = await service.question(question.id)
    assert stored is not None and stored.faq_id == entry.id
    assert await service.match_faq("han nop ho so sang kien la ngay nao") == entry

    # /forget_me removes the person's questions; the curated entry stays.
    async with db.transaction() as conn:
        await user_sql.erase(conn, 7)
    assert await service.unanswered() == []
    assert await service.question_for_office_message(-100500, 11) is None
    assert await service.faq_entries() == [entry]
