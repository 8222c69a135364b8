"""Parse Vietnamese administrative documents into citable sections.

Input is plain text as extracted from a PDF or a Word file, with its damage: lines wrapped in the
middle of sentences (often with blank lines between them), page-break spaces and blank runs,
words hyphenated across lines. Output is the document's structure: the title, the preamble
("Căn cứ...", "Thực hiện..."), parts ``I.`` ``II.``, items ``1.`` ``5.1.``, lettered items
``a)`` ``c.`` ``đ)`` (bullets ``-`` stay inside their item), the closing paragraph (ending in
``./.``), a closing note in parentheses, the recipients block ("Nơi nhận") and the signature.
Section texts are kept word for word (only line wrapping is undone).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

ROMAN = re.compile(r"^(?P<num>(?:X|IX|IV|V?I{0,3}|VI{0,3}|XI{0,3}))\.\s*(?P<rest>\S.*)$")
NUMBER = re.compile(r"^(?P<num>\d{1,2})\.(?!\d)\s*(?P<rest>\S.*)$")
SUBNUMBER = re.compile(r"^(?P<num>\d{1,2})\.(?P<sub>\d{1,2})\.?\s+(?P<rest>\S.*)$")
LETTER = re.compile(r"^(?P<num>[a-zđ])[\).]\s+(?P<rest>\S.*)$")
BULLET = re.compile(r"^[-–•+*]\s*\S")
PREAMBLE_START = re.compile(r"^(Căn cứ|Thực hiện|Theo|Triển khai|Nhằm|Để)\b")
RECIPIENTS = re.compile(r"^Nơi nhận\s*:?", re.IGNORECASE)
SIGNER = re.compile(
    r"^(?:(?:KT|TM|TL|Q|TUQ)\.\s*)?(?:PHÓ\s+)?(?:GIÁM ĐỐC|CHỦ TỊCH|CHÁNH VĂN PHÒNG|TRƯỞNG BAN"
    r"|TRƯỞNG PHÒNG|BỘ TRƯỞNG|THỦ TRƯỞNG)\b"
)
SENTENCE_END = (".", ":", ";", "!", "?", ")", "./.")
HEADING_MAX = 90
# Citation labels of the parts that have no heading of their own.
LABELS = {
    "preamble": "Phần mở đầu",
    "closing": "Đoạn kết",
    "note": "Ghi chú cuối văn bản",
    "signature": "Người ký:",
}


@dataclass
class ParsedSection:
    kind: str  # title | preamble | part | item | closing | note | recipients | signature
    path: str  # "II.2.c"; "" for title, preamble, closing, note, recipients, signature
    heading: str  # "Số lượng"
    text: str  # word for word, wrapping undone; bullets on their own lines
    parents: list[str] = field(default_factory=list)  # headings of the enclosing parts/items

    @property
    def label(self) -> str:
        return f"{self.path} {self.heading}".strip()


@dataclass
class ParsedDocument:
    title: str
    sections: list[ParsedSection]


def _clean_line(line: str) -> str:
    line = unicodedata.normalize("NFC", line).replace("\u00a0", " ")
    return re.sub(r"\s+", " ", line).strip()


def _is_part(line: str) -> bool:
    """ "II. NỘI DUNG, NHIỆM VỤ": a Roman numeral and an upper-case heading."""
    match = ROMAN.match(line)
    return bool(match and _is_upper_heading(match.group("rest")))


def _starts_block(line: str) -> bool:
    return bool(
        _is_part(line)
        or SUBNUMBER.match(line)
        or NUMBER.match(line)
        or LETTER.match(line)
        or BULLET.match(line)
        or RECIPIENTS.match(line)
        or SIGNER.match(line)
    )


def _may_precede_bullet(previous: str) -> bool:
    """A list can follow a clause end or a short heading ("b) Thành phần tham dự")."""
    if previous.endswith((".", ":", ";", ",", "./.")) or BULLET.match(previous):
        return True  # a clause ended, or a list goes on
    return len(previous) <= HEADING_MAX and bool(
        _is_part(previous)
        or NUMBER.match(previous)
        or SUBNUMBER.match(previous)
        or LETTER.match(previous)
        or _is_upper_heading(previous)
    )


def _is_upper_heading(text: str) -> bool:
    letters = [ch for ch in text if ch.isalpha()]
    return bool(letters) and sum(ch.isupper() for ch in letters) / len(letters) > 0.8


def _join(previous: str, line: str) -> str:
    if previous.endswith("-") and not previous.endswith(" -") and line[:1].isalnum():
        return previous + line  # a range or a word cut at the end of the line
    return f"{previous} {line}"


def logical_lines(text: str, *, wrapped: bool = True) -> list[str]:
    """Undo line wrapping: a physical line continues the previous one unless it starts a block
    (a marker, a bullet, the recipients, the signer) or the previous one ended a sentence and
    this one starts like a new paragraph. ``wrapped=False`` (Word, Markdown: one paragraph per
    line) keeps every line."""
    result: list[str] = []
    for raw in text.splitlines():
        line = _clean_line(raw)
        if not line:
            continue
        if not result or not wrapped:
            result.append(line)
            continue
        previous = result[-1]
        new_paragraph = previous.endswith(SENTENCE_END) and (
            line[:1].isupper() or line[:1] == "(" or line[:1].isdigit()
        )
        heading_before = _is_upper_heading(previous) and len(previous) <= HEADING_MAX
        if BULLET.match(line) and not _may_precede_bullet(previous):
            # "gương người tốt / - việc tốt": a dash at the start of a wrapped line
            result[-1] = _join(previous, line)
            continue
        if (
            _starts_block(line)
            or new_paragraph
            or heading_before
            or PREAMBLE_START.match(line)
            or SIGNER.match(previous)
        ):
            result.append(line)
        else:
            result[-1] = _join(previous, line)
    return result


def _heading_of(rest: str) -> str:
    """ "Phạm vi: Trên địa bàn..." -> "Phạm vi"; a short line is its own heading."""
    head, colon, _ = rest.partition(":")
    if colon and len(head) <= HEADING_MAX:
        return head.strip()
    if len(rest) <= HEADING_MAX and not rest.endswith("."):
        return rest.strip()
    words = rest.split()
    short = ""
    for word in words:
        if len(short) + len(word) + 1 > 60:
            break
        short = f"{short} {word}".strip()
    return short.rstrip(",;:.") + "…"


def _title_case_heading(text: str) -> str:
    """ "MỤC ĐÍCH YÊU CẦU" -> "Mục đích yêu cầu" (for citations); a title keeps its case after
    an upper-case first line ("KẾ HOẠCH Phát động..." -> "Kế hoạch Phát động...")."""
    words = text.split(" ")
    upper = 0
    while upper < len(words) and _is_upper_heading(words[upper]):
        upper += 1
    if upper == 0:
        return text
    head = " ".join(words[:upper]).lower()
    return " ".join([head[:1].upper() + head[1:], *words[upper:]])


def segment(text: str, *, wrapped: bool = True) -> ParsedDocument:
    """The document's sections. ``wrapped``: lines may be cut in the middle of sentences (text
    extracted from a PDF); ``False`` when each line is a paragraph (Word, Markdown)."""
    lines = logical_lines(text, wrapped=wrapped)
    sections: list[ParsedSection] = []

    # Tail blocks: recipients ("Nơi nhận") and the signature.
    tail_start = next((i for i, ln in enumerate(lines) if RECIPIENTS.match(ln)), None)
    signer_start = next(
        (
            i
            for i, ln in enumerate(lines)
            if SIGNER.match(ln) and (tail_start is None or i > tail_start)
        ),
        None,
    )
    body_end = min(i for i in (tail_start, signer_start, len(lines)) if i is not None)
    body = lines[:body_end]

    # Title: what precedes the preamble or the first marker.
    first = next(
        (i for i, ln in enumerate(body) if PREAMBLE_START.match(ln) or _starts_block(ln)),
        len(body),
    )
    title = " ".join(body[:first]).strip()
    if title:
        sections.append(ParsedSection("title", "", _title_case_heading(title), title))

    roman = number = sub = ""
    part_heading = item_heading = sub_heading = ""
    current: ParsedSection | None = None

    def open_section(kind: str, path: str, heading: str, line: str, parents: list[str]) -> None:
        nonlocal current
        current = ParsedSection(kind, path, heading, line, [p for p in parents if p])
        sections.append(current)

    for line in body[first:]:
        roman_match = ROMAN.match(line)
        if roman_match and _is_upper_heading(roman_match.group("rest")):
            roman, number, sub = roman_match.group("num"), "", ""
            part_heading = _title_case_heading(roman_match.group("rest").rstrip(" :."))
            item_heading = sub_heading = ""
            open_section("part", roman, part_heading, line, [])
            continue
        if (match := SUBNUMBER.match(line)) and roman:
            number, sub = match.group("num"), match.group("sub")
            sub_heading = _heading_of(match.group("rest"))
            open_section(
                "item", f"{roman}.{number}.{sub}", sub_heading, line, [part_heading, item_heading]
            )
            continue
        if (match := NUMBER.match(line)) and roman:
            number, sub = match.group("num"), ""
            item_heading = _heading_of(match.group("rest"))
            sub_heading = ""
            open_section("item", f"{roman}.{number}", item_heading, line, [part_heading])
            continue
        if (match := LETTER.match(line)) and roman and number:
            parent = f"{roman}.{number}" + (f".{sub}" if sub else "")
            open_section(
                "item",
                f"{parent}.{match.group('num')}",
                _heading_of(match.group("rest")),
                line,
                [part_heading, item_heading, sub_heading],
            )
            continue
        if line.startswith("(") and line.rstrip(". ").endswith(")") and current is not None:
            open_section("note", "", LABELS["note"], line, [])
            continue
        if line.endswith("./.") and roman:
            open_section("closing", "", LABELS["closing"], line, [])
            continue
        if current is None:
            open_section("preamble", "", LABELS["preamble"], line, [])
            continue
        if current.kind in ("note", "closing"):
            open_section("closing", "", LABELS["closing"], line, [])
            continue
        current.text += "\n" + line

    if tail_start is not None:
        end = signer_start if signer_start is not None else len(lines)
        block = lines[tail_start:end]
        sections.append(ParsedSection("recipients", "", "Nơi nhận", "\n".join(block)))
    if signer_start is not None:
        block = lines[signer_start:]
        sections.append(
            ParsedSection(
                "signature",
                "",
                f"{LABELS['signature']} {_title_case_heading(block[0])}",
                "\n".join(block),
            )
        )
    return ParsedDocument(title=title, sections=sections)
