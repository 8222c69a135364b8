"""The application for recognition of an initiative as a Word document, ready to print and sign.

The layout is the one of the official form ("Đơn yêu cầu công nhận sáng kiến", Phụ lục I of
Thông tư 18/2013/TT-BKHCN): the national motto, the title, "Kính gửi", the authors' table, the
title of the initiative, one "- <label>: <value>" line per item, the table of the people who
first applied it, the commitment and the signature block.

Every label is the official wording of the form definition (``bot/data/initiative_form.toml``),
and the items follow its order, so a field added there is printed without a code change. The few
fixed words of the layout below are Vietnamese only: the document is a Vietnamese legal form.
"""

from __future__ import annotations

import copy
import functools
import io
import re
import threading
from collections.abc import Sequence
from datetime import UTC, date, datetime
from typing import Any

from docx import Document
from docx.document import Document as DocumentObject
from docx.enum.table import WD_CELL_VERTICAL_ALIGNMENT, WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_PARAGRAPH_ALIGNMENT
from docx.opc.constants import RELATIONSHIP_TYPE as RT
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Length, Pt
from docx.text.paragraph import Paragraph

from bot.domain.initiative import (
    FormDefinition,
    FormField,
    Initiative,
    Person,
    format_share,
    people,
)

# --- the fixed words of the official layout --------------------------------------------------

MOTTO = "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"
MOTTO_SUB = "Độc lập - Tự do - Hạnh phúc"
NUMBER_HEADER = "Số TT"
SUBMITTER = "Người nộp đơn"
SIGN_HINT = "(Ký và ghi rõ họ tên)"
YES = "Có"
NO = "Không"
NONE = "Không"  # an optional item left empty
ATTACHED = "Tài liệu, hình ảnh kèm theo"
CONFIDENTIAL_LEFT_OUT = "(Có thông tin cần bảo mật, không in trong bản này)"
RECEIPT = "Số đơn"
BLANK = "…………"  # an answer missing: room to write it by hand

# --- page and type (A4, Times New Roman 13, margins of Nghị định 30/2020/NĐ-CP) ---------------

FONT = "Times New Roman"
BODY_SIZE = Pt(13)
TABLE_SIZE = Pt(12)
SMALL_SIZE = Pt(10)
PAGE_WIDTH, PAGE_HEIGHT = Cm(21), Cm(29.7)
MARGIN_TOP, MARGIN_BOTTOM, MARGIN_LEFT, MARGIN_RIGHT = Cm(2), Cm(2), Cm(3), Cm(2)
TEXT_WIDTH_CM = 21 - 3 - 2
SIGNATURE_INDENT = Cm(7.5)  # the signature block sits on the right half, centred there
# Widths of the columns of a persons table: some fixed (cm), the rest share what is left.
_FIXED_WIDTHS = {"number": 1.1, "birth_date": 2.5, "share": 2.0}
_COLUMN_WEIGHTS = {
    "full_name": 3.3,
    "workplace": 3.3,
    "position": 2.2,
    "qualification": 2.3,
    "task": 3.3,
}
_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def render_form(
    form: FormDefinition,
    initiative: Initiative,
    *,
    include_confidential: bool = True,
    today: date | None = None,
) -> bytes:
    """The filled application as a .docx. ``include_confidential=False`` replaces the answers
    of confidential items by a note; ``today`` fills the date above the signature (else blanks
    to write by hand). Callers may run it in worker threads: one form is built at a time
    (the models below are shared)."""
    with _RENDERING:
        return _render(form, initiative, include_confidential=include_confidential, today=today)


_RENDERING = threading.Lock()


def _render(
    form: FormDefinition,
    initiative: Initiative,
    *,
    include_confidential: bool,
    today: date | None,
) -> bytes:
    doc = Document(io.BytesIO(_template()))
    _setup(doc, form, initiative)
    _motto(doc)
    title = _paragraph(doc, form.title, align=WD_ALIGN_PARAGRAPH.CENTER, bold=True)
    title.paragraph_format.space_before = Pt(18)
    title.paragraph_format.space_after = Pt(12)

    content = initiative.content
    for f in form.fields:
        if f.kind == "shares":
            continue  # a column of the authors' table
        value = content.get(f.id)
        hidden = f.confidential and not include_confidential and not _empty(value)
        if f.id == "recipient":
            _paragraph(
                doc, f"{f.docx}: {_text(form, f, value)}", align=WD_ALIGN_PARAGRAPH.CENTER
            ).paragraph_format.space_after = Pt(12)
        elif f.kind == "persons" and f.id == "authors":
            _paragraph(doc, f"{f.docx}:").paragraph_format.keep_with_next = True
            _persons_table(doc, form, f.id, people(value), shares=form_has_shares(form))
        elif f.id == "title":
            _paragraph(doc, f"{f.docx}: {_text(form, f, value)}")
        elif hidden:
            _paragraph(doc, f"- {_label(f)}: {CONFIDENTIAL_LEFT_OUT}")
        elif f.kind == "persons":
            listed = people(value)
            if listed:
                _paragraph(doc, f"- {_label(f)}:").paragraph_format.keep_with_next = True
                _persons_table(doc, form, f.id, listed, shares=False)
            else:
                _paragraph(doc, f"- {_label(f)}: {NONE}")
        elif f.kind == "long":
            _long(doc, f, value)
        else:
            _paragraph(doc, f"- {_label(f)}: {_text(form, f, value)}")

    commitment = _paragraph(doc, form.commitment)
    commitment.paragraph_format.space_before = Pt(12)
    commitment.paragraph_format.first_line_indent = Cm(1)
    commitment.paragraph_format.keep_with_next = True
    _signature(doc, form, initiative, today)

    buffer = io.BytesIO()
    doc.save(buffer)
    return buffer.getvalue()


def form_has_shares(form: FormDefinition) -> bool:
    return any(f.kind == "shares" for f in form.fields)


# --- values --------------------------------------------------------------------------------


def _empty(value: object) -> bool:
    if isinstance(value, dict):
        return not value.get("parts") and not value.get("files")
    return value is None or value == "" or value == []


def _label(f: FormField) -> str:
    return f"{f.docx} ({f.docx_hint})" if f.docx_hint else f.docx


def format_date(value: object) -> str:
    """``dd/mm/yyyy`` of a date or an ISO date string; other text as it is."""
    if isinstance(value, date):
        return value.strftime("%d/%m/%Y")
    text = str(value or "")
    try:
        return date.fromisoformat(text[:10]).strftime("%d/%m/%Y")
    except ValueError:
        return text


def _text(form: FormDefinition, f: FormField, value: object) -> str:
    """One answer as printed."""
    if _empty(value):
        return NONE if f.optional else BLANK
    if f.kind == "yesno":
        return YES if value is True else NO
    if f.kind == "date":
        return format_date(value)
    if f.kind == "choice" and f.id == "solution_type":
        return form.solution_type_docx.get(str(value), str(value))
    return str(value)


def _long(doc: DocumentObject, f: FormField, value: object) -> None:
    parts = [str(p) for p in value.get("parts", [])] if isinstance(value, dict) else []
    if not isinstance(value, dict) and value:
        parts = [str(value)]
    files = value.get("files", []) if isinstance(value, dict) else []
    if not parts and not files:
        _paragraph(doc, f"- {_label(f)}: {NONE if f.optional else BLANK}")
        return
    _paragraph(doc, f"- {_label(f)}:").paragraph_format.keep_with_next = True
    for part in parts:
        for line in part.split("\n"):
            if line.strip():
                _paragraph(doc, line).paragraph_format.first_line_indent = Cm(1)
    names = [str(x.get("name") or x.get("file_id") or "") for x in files if isinstance(x, dict)]
    if names:
        _paragraph(doc, f"{ATTACHED}: {'; '.join(names)}.", italic=True)


# --- building blocks -------------------------------------------------------------------------


def _safe(text: str) -> str:
    return _XML_ILLEGAL.sub("", text)


# Building a paragraph or a table through python-docx's properties (each looks its XML up and
# inserts in schema order) costs ten times copying a finished one: the first paragraph of each
# kind, the first table of each kind and its first row are kept (never changed once stored)
# and the next ones are copies with their own text.
_ParagraphKind = tuple[WD_PARAGRAPH_ALIGNMENT | None, bool, bool, Length | None, bool]
_paragraph_models: dict[_ParagraphKind, Any] = {}


_T = qn("w:t")
_SPACE = qn("xml:space")


def _set_text(run: Any, text: str) -> None:
    """The text of a copied run (one ``w:t``). python-docx's setter reads the text a character
    at a time for tabs and line breaks, a sixth of a form's time; a form's lines have none
    (long answers are split into paragraphs), so the text goes into the ``w:t`` at once."""
    found = run.findall(_T)
    if len(found) != 1 or "\t" in text or "\n" in text or "\r" in text:
        run.text = text
        return
    found[0].text = text
    if len(text.strip()) < len(text):  # as python-docx writes it: edge spaces kept
        found[0].set(_SPACE, "preserve")


def _append_block(doc: DocumentObject, element: Any) -> None:
    """Add a paragraph or a table (XML) at the end of the body, before the section settings."""
    body = doc.element.body
    sect_pr = body.sectPr
    if sect_pr is None:
        body.append(element)
    else:
        sect_pr.addprevious(element)


def _paragraph(
    doc: DocumentObject,
    text: str = "",
    *,
    align: WD_PARAGRAPH_ALIGNMENT | None = WD_ALIGN_PARAGRAPH.JUSTIFY,
    bold: bool = False,
    italic: bool = False,
    size: Length | None = None,
) -> Paragraph:
    kind = (align, bold, italic, size, bool(text))
    model = _paragraph_models.get(kind)
    if model is not None:
        p = copy.deepcopy(model)
        if text:
            _set_text(p.r_lst[0], _safe(text))
        _append_block(doc, p)
        return Paragraph(p, doc)
    paragraph = doc.add_paragraph()
    if align is not None:
        paragraph.alignment = align
    if text:
        run = paragraph.add_run(_safe(text))
        run.bold = bold or None
        run.italic = italic or None
        if size is not None:
            run.font.size = size
    _paragraph_models[kind] = copy.deepcopy(paragraph._p)
    return paragraph


@functools.cache
def _template() -> bytes:
    """The blank document every form starts from (a .docx, parsed again for each form): the
    default template of python-docx with the page and the Normal style of the form and an empty
    footer, without what a form never uses. The default template is 0.8 MB of XML, mostly
    styles: a second copy of them for Word 2010 (``stylesWithEffects``, which Word rebuilds)
    and 160 style definitions, of which a form uses five (Word's other built-in styles stay
    available through the latent styles, as in any document Word saves). Parsing, writing and
    compressing them took most of the time of a form."""
    doc = Document()
    section = doc.sections[0]
    section.page_width, section.page_height = PAGE_WIDTH, PAGE_HEIGHT
    section.top_margin, section.bottom_margin = MARGIN_TOP, MARGIN_BOTTOM
    section.left_margin, section.right_margin = MARGIN_LEFT, MARGIN_RIGHT
    section.footer_distance = Cm(1)

    normal = doc.styles["Normal"]
    font = normal.font
    font.name = FONT
    font.size = BODY_SIZE
    r_pr = normal.element.get_or_add_rPr()
    r_fonts = r_pr.get_or_add_rFonts()
    for attribute in ("w:ascii", "w:hAnsi", "w:eastAsia", "w:cs"):
        r_fonts.set(qn(attribute), FONT)
    lang = OxmlElement("w:lang")
    lang.set(qn("w:val"), "vi-VN")
    r_pr.append(lang)
    paragraph_format = normal.paragraph_format
    paragraph_format.space_before = Pt(0)
    paragraph_format.space_after = Pt(4)
    paragraph_format.line_spacing = 1.15

    section.footer.paragraphs[0].alignment = WD_ALIGN_PARAGRAPH.LEFT
    _slim(doc)
    buffer = io.BytesIO()
    doc.save(buffer)
    return buffer.getvalue()


_UNUSED_PARTS = (
    "http://schemas.microsoft.com/office/2007/relationships/stylesWithEffects",
    RT.THUMBNAIL,
)
_TABLE_STYLE = "Table Grid"


def _slim(doc: DocumentObject) -> None:
    """Drop the parts and the style definitions a form never uses (see :func:`_template`)."""
    package = doc.part.package
    for rels in (package.rels, doc.part.rels):
        for r_id, rel in list(rels.items()):
            if rel.reltype in _UNUSED_PARTS:
                del rels[r_id]
    styles = doc.styles.element
    by_id = {s.get(qn("w:styleId")): s for s in styles.findall(qn("w:style"))}
    wanted = [s for s in by_id.values() if s.get(qn("w:default")) == "1"]
    wanted.append(doc.styles[_TABLE_STYLE].element)
    for part in (doc.part, doc.sections[0].footer.part):
        for ref in part.element.iter(qn("w:pStyle"), qn("w:rStyle"), qn("w:tblStyle")):
            if ref.get(qn("w:val")) in by_id:
                wanted.append(by_id[ref.get(qn("w:val"))])
    keep: set[str] = set()
    while wanted:  # with the styles they are based on, linked to, followed by
        style = wanted.pop()
        style_id = style.get(qn("w:styleId"))
        if style_id in keep:
            continue
        keep.add(style_id)
        for tag in ("w:basedOn", "w:link", "w:next"):
            ref = style.find(qn(tag))
            if ref is not None and ref.get(qn("w:val")) in by_id:
                wanted.append(by_id[ref.get(qn("w:val"))])
    for style_id, style in by_id.items():
        if style_id not in keep:
            styles.remove(style)


def _setup(doc: DocumentObject, form: FormDefinition, initiative: Initiative) -> None:
    """What differs from one form to the next outside the body (see :func:`_template`)."""
    footer = doc.sections[0].footer.paragraphs[0]
    run = footer.add_run(_safe(f"{RECEIPT}: {initiative.number}"))
    run.font.size = SMALL_SIZE
    run.italic = True

    authors = people(initiative.content.get("authors"))
    properties = doc.core_properties
    properties.title = _safe(f"{form.title} {initiative.number}")
    properties.author = _safe(authors[0].full_name if authors else "")
    properties.last_modified_by = ""
    properties.comments = form.version
    properties.created = _utc(initiative.submitted_at)
    properties.modified = _utc(initiative.updated_at)
    properties.language = "vi-VN"


def _utc(moment: datetime) -> datetime:
    """Naive UTC, as the package's properties are written."""
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC)
    return moment.replace(tzinfo=None)


def _motto(doc: DocumentObject) -> None:
    first = _paragraph(doc, MOTTO, align=WD_ALIGN_PARAGRAPH.CENTER, bold=True)
    first.paragraph_format.space_after = Pt(0)
    second = _paragraph(doc, MOTTO_SUB, align=WD_ALIGN_PARAGRAPH.CENTER, bold=True)
    second.paragraph_format.space_after = Pt(0)
    # The short rule under the motto: the bottom border of an empty paragraph indented on both
    # sides so that it is about as long as the motto's second line.
    rule = doc.add_paragraph()
    p_pr = rule._p.get_or_add_pPr()
    borders = OxmlElement("w:pBdr")
    bottom = OxmlElement("w:bottom")
    for name, value in (("w:val", "single"), ("w:sz", "6"), ("w:space", "1"), ("w:color", "auto")):
        bottom.set(qn(name), value)
    borders.append(bottom)
    p_pr.append(borders)  # before spacing/indentation, which python-docx inserts in order
    side = Cm((TEXT_WIDTH_CM - 6) / 2)
    rule.paragraph_format.left_indent = side
    rule.paragraph_format.right_indent = side
    rule.paragraph_format.space_after = Pt(0)
    rule.paragraph_format.line_spacing = Pt(4)


# (columns, headers): the table with its header row, and its first row of people (None: none
# was built yet)
_table_models: dict[tuple[tuple[str, ...], tuple[str, ...]], tuple[Any, Any]] = {}


def _persons_table(
    doc: DocumentObject,
    form: FormDefinition,
    list_id: str,
    listed: Sequence[Person],
    *,
    shares: bool,
) -> None:
    columns = ["number", *form.person_fields[list_id]]
    if shares and list_id == "authors":
        columns.append("share")
    headers = [NUMBER_HEADER, *(form.person_docx.get(c, c) for c in columns[1:])]
    rows = [[str(i), *(_person_value(p, c) for c in columns[1:])] for i, p in enumerate(listed, 1)]
    key = (tuple(columns), tuple(headers))
    model = _table_models.get(key)
    if model is None or (rows and model[1] is None):
        _new_table(doc, key, columns, headers, rows)
    else:
        table, first_row = model
        tbl = copy.deepcopy(table)
        _append_block(doc, tbl)
        for values in rows:
            tr = copy.deepcopy(first_row)
            for tc, text in zip(tr.tc_lst, values, strict=True):
                _set_text(tc.p_lst[0].r_lst[0], _safe(text))
            tbl.append(tr)
    doc.add_paragraph().paragraph_format.space_after = Pt(0)  # air after the table


def _new_table(
    doc: DocumentObject,
    key: tuple[tuple[str, ...], tuple[str, ...]],
    columns: Sequence[str],
    headers: Sequence[str],
    rows: Sequence[Sequence[str]],
) -> None:
    """A persons table built through python-docx, kept as the model of its kind."""
    table = doc.add_table(rows=1, cols=len(columns))
    table.style = doc.styles[_TABLE_STYLE]
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    table.autofit = False
    widths = _widths(columns)
    for column_index, width in enumerate(widths):
        table.columns[column_index].width = width

    header = table.rows[0]
    tr_pr = header._tr.get_or_add_trPr()
    repeat = OxmlElement("w:tblHeader")  # the header row repeats on every page
    repeat.set(qn("w:val"), "true")
    tr_pr.append(repeat)
    for cell, text, width in zip(header.cells, headers, widths, strict=True):
        _cell(cell, text, bold=True, center=True)
        cell.width = width
    empty = copy.deepcopy(table._tbl)
    for values in rows:
        row = table.add_row()
        for cell, column, text, width in zip(row.cells, columns, values, widths, strict=True):
            _cell(cell, text, center=column in ("number", "birth_date", "share"))
            cell.width = width
    first_row = copy.deepcopy(table._tbl.tr_lst[1]) if rows else None
    _table_models[key] = (empty, first_row)


def _widths(columns: Sequence[str]) -> list[Length]:
    fixed = sum(_FIXED_WIDTHS.get(c, 0.0) for c in columns)
    weights = sum(_COLUMN_WEIGHTS.get(c, 2.5) for c in columns if c not in _FIXED_WIDTHS)
    left = max(TEXT_WIDTH_CM - fixed, 1.0)
    return [
        Cm(_FIXED_WIDTHS[c])
        if c in _FIXED_WIDTHS
        else Cm(left * _COLUMN_WEIGHTS.get(c, 2.5) / weights)
        for c in columns
    ]


def _person_value(person: Person, column: str) -> str:
    value: Any = getattr(person, column, None)
    if column == "birth_date":
        return format_date(value) if value else ""
    if column == "share":
        return format_share(value, decimal_comma=True)  # the form is Vietnamese
    return "" if value is None else str(value)


def _cell(cell: Any, text: str, *, bold: bool = False, center: bool = False) -> None:
    cell.vertical_alignment = WD_CELL_VERTICAL_ALIGNMENT.CENTER
    paragraph = cell.paragraphs[0]
    paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER if center else WD_ALIGN_PARAGRAPH.LEFT
    paragraph.paragraph_format.space_after = Pt(0)
    paragraph.paragraph_format.line_spacing = 1.0
    run = paragraph.add_run(_safe(text))
    run.font.size = TABLE_SIZE
    run.bold = bold or None


def date_line(place: str, today: date | None) -> str:
    """``Hưng Yên, ngày 05 tháng 3 năm 2025``: days below 10 and months 1 and 2 take a leading
    zero (Nghị định 30/2020/NĐ-CP); without a day, dots to write it by hand."""
    where = place or "……………"
    if today is None:
        return f"{where}, ngày …… tháng …… năm ………"
    month = f"{today.month:02d}" if today.month < 3 else str(today.month)
    return f"{where}, ngày {today.day:02d} tháng {month} năm {today.year}"


def _signature(
    doc: DocumentObject, form: FormDefinition, initiative: Initiative, today: date | None
) -> None:
    authors = initiative.authors
    name = authors[0].full_name if authors else ""
    lines: list[tuple[str, bool, bool]] = [  # text, bold, italic
        (date_line(form.place, today), False, True),
        (SUBMITTER, True, False),
        (SIGN_HINT, False, True),
        ("", False, False),
        ("", False, False),
        ("", False, False),
        (name, True, False),
    ]
    for index, (text, bold, italic) in enumerate(lines):
        paragraph = _paragraph(doc, text, align=WD_ALIGN_PARAGRAPH.CENTER, bold=bold, italic=italic)
        paragraph.paragraph_format.left_indent = SIGNATURE_INDENT
        paragraph.paragraph_format.space_after = Pt(0)
        if index == 0:
            paragraph.paragraph_format.space_before = Pt(12)
        if index < len(lines) - 1:
            paragraph.paragraph_format.keep_with_next = True
