"""The segmenter on the two shipped plans: sections, paths, kinds, and the repair of PDF
extraction damage (wrapped lines, ranges cut at a hyphen, recipients and signature blocks)."""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

import pytest

from bot.kb.segment import ParsedDocument, ParsedSection, segment

KNOWLEDGE = Path(__file__).resolve().parents[1] / "knowledge"
PLAN_2023 = "ke-hoach-2023-dot-thi-dua-dac-biet.txt"
PLAN_2025 = "ke-hoach-2025-hoi-nghi-tuyen-duong.txt"

NUMBERED_2023 = [
    "I", "I.1", "I.1.a", "I.1.b", "I.2", "I.2.a", "I.2.b",
    "II", "II.1", "II.2", "II.2.a", "II.2.b", "II.2.c", "II.2.d", "II.2.đ", "II.2.e",
    "II.3", "II.3", "II.4", "II.5", "II.5.1", "II.5.2",
]  # fmt: skip
NUMBERED_2025 = [
    "I", "I.1", "I.2", "I.3",
    "II", "II.1", "II.1.a", "II.1.b", "II.1.c", "II.2", "II.2.a", "II.2.b", "II.2.c", "II.2.d",
    "II.3", "II.3.a", "II.3.b", "II.3.c",
    "III",
    "IV", "IV.1", "IV.2", "IV.3",
]  # fmt: skip


def source(name: str) -> str:
    return (KNOWLEDGE / name).read_text(encoding="utf-8")


@cache
def parsed(name: str) -> ParsedDocument:
    return segment(source(name))


def section(doc: ParsedDocument, path: str, index: int = 0) -> ParsedSection:
    found = [s for s in doc.sections if s.path == path]
    assert found, f"no section {path}"
    return found[index]


def kind(doc: ParsedDocument, name: str) -> list[ParsedSection]:
    return [s for s in doc.sections if s.kind == name]


# --- structure --------------------------------------------------------------------------------


def test_2023_plan_sections_and_paths() -> None:
    doc = parsed(PLAN_2023)
    assert len(doc.sections) == 27
    assert [s.path for s in doc.sections if s.path] == NUMBERED_2023
    assert [s.kind for s in doc.sections if not s.path] == [
        "title", "preamble", "closing", "recipients", "signature",
    ]  # fmt: skip
    assert [s.kind for s in doc.sections[:3]] == ["title", "preamble", "part"]
    assert [s.kind for s in doc.sections[-3:]] == ["closing", "recipients", "signature"]


def test_2025_plan_sections_and_paths() -> None:
    doc = parsed(PLAN_2025)
    assert len(doc.sections) == 29
    assert [s.path for s in doc.sections if s.path] == NUMBERED_2025
    assert [s.kind for s in doc.sections if not s.path] == [
        "title", "preamble", "closing", "note", "recipients", "signature",
    ]  # fmt: skip


@pytest.mark.parametrize("name", [PLAN_2023, PLAN_2025])
def test_parts_and_items(name: str) -> None:
    doc = parsed(name)
    for s in doc.sections:
        if s.path:
            assert s.kind == ("part" if "." not in s.path else "item"), s.path
        assert s.heading, s
        assert s.text.strip(), s


@pytest.mark.parametrize("name", [PLAN_2023, PLAN_2025])
def test_text_is_kept_word_for_word(name: str) -> None:
    """Nothing lost, nothing added, nothing reordered: only whitespace changes."""
    joined = "".join(s.text for s in parsed(name).sections)
    assert re.sub(r"\s+", "", joined) == re.sub(r"\s+", "", source(name))


def test_headings_and_parents() -> None:
    doc = parsed(PLAN_2025)
    quantity = section(doc, "II.2.c")
    assert quantity.heading == "Số lượng"
    assert quantity.label == "II.2.c Số lượng"
    assert quantity.parents == [
        "Nội dung và trình tự thực hiện",
        "Thời gian, thành phần, số lượng đại biểu, chương trình Hội nghị",
    ]
    assert section(doc, "III").heading == "Kinh phí tổ chức"
    doc23 = parsed(PLAN_2023)
    assert section(doc23, "I").heading == "Mục đích yêu cầu"
    assert section(doc23, "II.5.1").parents == [
        "Nội dung, nhiệm vụ",
        "Số lượng đề nghị khen thưởng",
    ]
    assert section(doc23, "II.2.đ").text.startswith("đ) Tiếp tục triển khai")
    assert section(doc23, "II.2.c").text.startswith("c. Thi đua phấn đấu")  # "c." like "c)"


def test_two_items_numbered_3_are_both_kept() -> None:
    doc = parsed(PLAN_2023)
    assert section(doc, "II.3", 0).heading == "Phạm vi"
    assert section(doc, "II.3", 0).text == "3. Phạm vi: Trên địa bàn tỉnh Hưng Yên"
    assert section(doc, "II.3", 1).heading == "Đối tượng"


def test_part_with_its_own_paragraph() -> None:
    part = section(parsed(PLAN_2025), "III")
    assert part.kind == "part"
    assert part.text == (
        "III. KINH PHÍ TỔ CHỨC\n"
        "Kinh phí thực hiện kế hoạch này được trích từ nguồn ngân sách nhà nước đã cấp cho Sở "
        "và được thực hiện theo các quy định tài chính hiện hành."
    )


def test_closing_and_note() -> None:
    doc = parsed(PLAN_2025)
    (closing,) = kind(doc, "closing")
    assert closing.text.startswith("Trong quá trình triển khai thực hiện, phát sinh khó khăn")
    assert closing.text.endswith("phù hợp với tình hình thực tiễn./.")
    (note,) = kind(doc, "note")
    assert note.text == (
        "(Kế hoạch này thay thế Kế hoạch số 87/KH-SKHCN ngày 18/11/2024 của Sở Khoa học và "
        "Công nghệ đã ban hành)"
    )
    (closing23,) = kind(parsed(PLAN_2023), "closing")
    assert "(qua Văn phòng Sở)" in closing23.text and closing23.text.endswith("giải quyết./.")


# --- repair of extraction damage --------------------------------------------------------------


def test_title_and_preamble() -> None:
    doc = parsed(PLAN_2023)
    assert doc.title == (
        "KẾ HOẠCH Phát động Đợt thi đua đặc biệt chào mừng kỷ niệm 75 năm Ngày Chủ tịch Hồ Chí "
        "Minh ra lời kêu gọi thi đua ái quốc (11/6/1948-11/6/2023)"
    )
    (preamble,) = kind(doc, "preamble")
    first, second = preamble.text.split("\n")
    assert first == (
        "Thực hiện Kế hoạch số 01/KH-UBND ngày 04/01/2023 của UBND tỉnh Hưng Yên về việc Phát "
        "động Đợt thi đua đặc biệt chào mừng kỷ niệm 75 năm Ngày Chủ tịch Hồ Chí Minh ra lời kêu "
        "gọi thi đua ái quốc (11/6/1948-11/6/2023)."
    )
    assert second.startswith(
        "Căn cứ chức năng, nhiệm vụ được giao, Sở Khoa học và Công nghệ (KH&CN)"
    )
    (preamble25,) = kind(parsed(PLAN_2025), "preamble")
    assert [line.split()[0] for line in preamble25.text.split("\n")] == ["Căn", "Thực", "Sở"]
    assert "số 1578/SNV-TĐKT ngày 04/11/2024" in preamble25.text


def test_wrapped_lines_are_joined() -> None:
    doc = parsed(PLAN_2023)
    assert (
        section(doc, "II.4").text == "4. Thời gian thi đua:Từ ngày 01/01/2023 đến ngày 11/6/2023."
    )
    assert "\n" not in section(doc, "I.1.a").text
    assert "Chủ tịch Hồ Chí Minh, Chỉ thị số 34-CT/TW" in section(doc, "II.2.a").text
    assert section(parsed(PLAN_2025), "II.1").text == (
        "1. Nội dung tập trung thực hiện từ nay đến Hội nghị Tuyên dương điển hình tiên tiến"
    )


def test_hyphenated_ranges_are_rejoined() -> None:
    doc = parsed(PLAN_2023)
    texts = "\n".join(s.text for s in doc.sections)
    assert texts.count("(11/6/1948-11/6/2023)") == 2  # title and preamble
    assert "1948- " not in texts and "1948-\n" not in texts
    assert "(11/6/1948 - 11/6/2023)" in section(doc, "II.1").text  # spaced in the source


def test_bullets_stay_on_their_own_lines() -> None:
    doc = parsed(PLAN_2025)
    lines = section(doc, "II.2.b").text.split("\n")
    assert lines[0] == "b) Thành phần tham dự"
    assert len(lines) == 7 and all(line.startswith("- ") for line in lines[1:])
    assert lines[1] == "- Đại diện Lãnh đạo UBND tỉnh; Văn phòng UBND tỉnh;"
    assert section(doc, "II.3.c").text.split("\n")[2] == (
        "- Bằng khen của Chủ tịch UBND tỉnh: 05-10 tập thể; 05-10 cá nhân."
    )


def test_dash_inside_a_sentence_is_not_a_bullet() -> None:
    assert "gương người tốt - việc tốt" in section(parsed(PLAN_2023), "I.2.b").text
    assert "kinh tế - xã hội, bảo đảm" in section(parsed(PLAN_2025), "II.1.b").text


@pytest.mark.parametrize(
    ("name", "signer", "first_recipient"),
    [
        (PLAN_2023, "Trần Tùng Chuẩn", "- UBND tỉnh Hưng Yên (thay báo cáo);"),
        (PLAN_2025, "Vũ Tuấn Anh", "- UBND tỉnh (thay báo cáo);"),
    ],
)
def test_recipients_and_signature_are_separate(
    name: str, signer: str, first_recipient: str
) -> None:
    doc = parsed(name)
    (recipients,) = kind(doc, "recipients")
    (signature,) = kind(doc, "signature")
    lines = recipients.text.split("\n")
    assert lines[0].startswith("Nơi nhận")
    assert lines[1] == first_recipient
    assert lines[-1].startswith("- Lưu: VT, VPXT")
    assert len(lines) == 8
    assert "GIÁM ĐỐC" not in recipients.text and signer not in recipients.text
    assert signature.text == f"GIÁM ĐỐC\n{signer}"
    assert signature.heading == "Người ký: Giám đốc"
    # Nothing of the tail leaks into the body.
    body = [s for s in doc.sections if s.kind not in ("recipients", "signature")]
    assert not any("Nơi nhận" in s.text or signer in s.text for s in body)
