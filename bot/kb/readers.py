"""Plain text out of the files an office imports: .txt/.md, .docx (python-docx) and .pdf (pypdf).

The text is what :func:`bot.kb.segment.segment` reads: one paragraph (or a piece of one) per
line. Repairing extraction damage (wrapped lines, hyphenation) is the segmenter's job.
"""

from __future__ import annotations

import io
import re
import unicodedata
from collections.abc import Iterator
from pathlib import PurePath
from typing import Any

MAX_UPLOAD_BYTES = 10 * 1024 * 1024  # a file sent to the bot
MAX_FILE_BYTES = 50 * 1024 * 1024  # a file imported from the command line
SUPPORTED = (".txt", ".md", ".docx", ".pdf")
# Formats whose lines may be cut in the middle of sentences (text extracted from a PDF); the
# others give one paragraph per line (see ``bot.kb.segment.segment(wrapped=...)``).
WRAPPED = (".txt", ".pdf")

# Characters that never occur in a real text document (C0/C1 controls except whitespace).
_CONTROL = re.compile("[\x00-\x08\x0b\x0e-\x1f\x7f-\x9f]")
_MD_HEADING = re.compile(r"^\s{0,3}#{1,6}\s+")
_MD_EMPHASIS = re.compile(r"(\*\*|__)(.+?)\1")
_MD_BULLET = re.compile(r"^[*+] ")
# Lines that start a block of their own: bullets, "1." "5.1." "a)" "đ)" "IV." items, recipients.
_MD_BLOCK = re.compile(
    r"^(?:[-–•*+] |\d{1,2}(?:\.\d{1,2})*[.)]\s|[a-zđ][.)]\s|[IVX]+\.\s|Nơi nhận)"
)


class KnowledgeError(ValueError):
    """A document cannot be imported: ``code`` names the localized message
    (``kb.error.<code>``): unsupported, too_large, unreadable, empty."""

    def __init__(self, code: str, detail: str = "") -> None:
        super().__init__(f"{code}: {detail}" if detail else code)
        self.code = code
        self.detail = detail


def extension(filename: str) -> str:
    """``".docx"`` for ``"Kế hoạch.DOCX"``; raises ``unsupported`` for anything else."""
    suffix = PurePath(filename).suffix.lower()
    if suffix not in SUPPORTED:
        raise KnowledgeError("unsupported", f"{filename}: expected one of {', '.join(SUPPORTED)}")
    return suffix


def is_wrapped(filename: str) -> bool:
    """Whether the text of this file may have lines wrapped mid-sentence (.txt, .pdf) or has one
    paragraph per line (.docx, .md after :func:`extract_text`)."""
    return extension(filename) in WRAPPED


def extract_text(filename: str, data: bytes, *, limit: int = MAX_UPLOAD_BYTES) -> str:
    """The text of a document, NFC, one paragraph per line.

    Raises :class:`KnowledgeError`: ``unsupported`` (extension), ``too_large`` (over ``limit``
    bytes), ``unreadable`` (corrupt or not what the extension says), ``empty`` (no text)."""
    suffix = extension(filename)
    if len(data) > limit:
        raise KnowledgeError("too_large", f"{filename}: {len(data)} bytes, at most {limit} bytes")
    if not data.strip():
        raise KnowledgeError("empty", f"{filename}: the file is empty")
    if suffix == ".docx":
        text = _docx_text(filename, data)
    elif suffix == ".pdf":
        text = _pdf_text(filename, data)
    else:
        text = _plain_text(filename, data)
        if suffix == ".md":
            text = _markdown_paragraphs(text)
    text = unicodedata.normalize("NFC", text).replace("\r\n", "\n").replace("\r", "\n")
    if not text.strip():
        raise KnowledgeError("empty", f"{filename}: no text found")
    return text


# --- plain text --------------------------------------------------------------------------------


def _decode(data: bytes) -> str:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16")  # Word's "Unicode text"
    if data.startswith(b"\xef\xbb\xbf"):
        return data.decode("utf-8-sig")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        # Legacy Vietnamese Windows files; cp1258 composes tones with combining marks (NFC later).
        return data.decode("cp1258")


def _plain_text(filename: str, data: bytes) -> str:
    try:
        text = _decode(data)
    except UnicodeDecodeError as exc:
        raise KnowledgeError("unreadable", f"{filename}: not a text file ({exc.reason})") from exc
    controls = len(_CONTROL.findall(text))
    if controls > max(2, len(text) // 200):
        raise KnowledgeError("unreadable", f"{filename}: binary data, not text")
    return text


def _markdown_paragraphs(text: str) -> str:
    """One paragraph per line, without the Markdown marks that would hide the structure from the
    segmenter: ``## II. NỘI DUNG`` -> ``II. NỘI DUNG``, ``**bold**`` -> ``bold``, bullets ``*``
    and ``+`` -> ``-``. Lines of one paragraph (soft-wrapped source) are joined; a blank line, a
    heading, a list item or a numbered/lettered item starts a new one."""
    paragraphs: list[str] = []
    joinable = False  # the last paragraph may continue on the next line
    for raw in text.splitlines():
        if not raw.strip():
            joinable = False
            continue
        hard_break = raw.endswith(("  ", "\\"))
        heading = bool(_MD_HEADING.match(raw))
        line = _MD_EMPHASIS.sub(r"\2", _MD_HEADING.sub("", raw)).strip().rstrip("\\").strip()
        if _MD_BULLET.match(line):
            line = "- " + line[2:].lstrip()
        if joinable and not heading and not _MD_BLOCK.match(line):
            paragraphs[-1] += " " + line
        else:
            paragraphs.append(line)
        joinable = not heading and not hard_break
    return "\n".join(paragraphs)


# --- Word ----------------------------------------------------------------------------------------


def _docx_text(filename: str, data: bytes) -> str:
    try:
        import docx  # python-docx

        document = docx.Document(io.BytesIO(data))
        return "\n".join(_docx_lines(document))
    except Exception as exc:  # zip, XML and package errors of a damaged or fake .docx
        raise KnowledgeError("unreadable", f"{filename}: not a readable .docx ({exc})") from exc


def _docx_lines(container: Any) -> Iterator[str]:
    """Paragraphs and tables in document order.

    A layout table (one row, or a cell holding several paragraphs: the header with the issuing
    body and the date, recipients and signature side by side) gives its cells' paragraphs as
    lines, row by row. A data table (award quotas...) gives one line per row,
    ``- cell | cell``, so that rows stay apart. A merged cell counts once."""
    from docx.table import Table

    for block in container.iter_inner_content():
        if not isinstance(block, Table):
            yield str(block.text)
            continue
        rows = [_unique_cells(row) for row in block.rows]
        layout = len(rows) == 1 or any(
            sum(1 for p in cell.paragraphs if p.text.strip()) > 1 or cell.tables
            for row in rows
            for cell in row
        )
        for row in rows:
            if layout:
                for cell in row:
                    yield from _docx_lines(cell)
            else:
                texts = [" ".join(cell.text.split()) for cell in row]
                if any(texts):
                    yield "- " + " | ".join(texts)


def _unique_cells(row: Any) -> list[Any]:
    cells: list[Any] = []
    for cell in row.cells:
        if not any(cell._tc is seen._tc for seen in cells):
            cells.append(cell)
    return cells


# --- PDF ---------------------------------------------------------------------------------------


def _pdf_text(filename: str, data: bytes) -> str:
    from pypdf import PdfReader

    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted:
            reader.decrypt("")  # PDFs "protected" with an empty user password open anyway
        pages = [page.extract_text() or "" for page in reader.pages]
    except Exception as exc:  # pypdf raises many kinds on damaged files
        raise KnowledgeError("unreadable", f"{filename}: not a readable .pdf ({exc})") from exc
    if not pages:
        raise KnowledgeError("unreadable", f"{filename}: a .pdf without pages")
    return "\n".join(pages)
