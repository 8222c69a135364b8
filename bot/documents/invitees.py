"""Invitee lists sent by the office: an .xlsx (first sheet) or a .csv, one person per line.

The header row is recognised without accents or case, in Vietnamese or English ("Họ và tên",
"Họ tên", "name"; "Đơn vị", "unit"; "Chức vụ", "Chức danh", "position"; "Nhóm", "Thành phần",
"group"; "Điện thoại", "SĐT", "phone"; "Email"). It is the first line that names the person's
column, so a title line above it ("DANH SÁCH KHÁCH MỜI") is fine. Other columns ("STT", notes)
are ignored; blank lines are skipped.

Each row comes back as a dict with the fields of :class:`bot.services.events.InviteeRow` that the
file has, and ``line``: its line number in the file, to report errors where the office will look
for them (see :func:`source_line`).
"""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Iterable, Sequence
from datetime import date, datetime

from bot.domain.text import clean, fold

MAX_BYTES = 2 * 1024 * 1024
MAX_ROWS = 2000
HEADER_SEARCH = 10  # lines looked at for the header row
EXTENSIONS = (".xlsx", ".csv")
FIELDS = ("full_name", "unit", "position", "group", "phone", "email")

# Folded header text -> field. Exact names first, then the words a header contains.
_EXACT: dict[str, str] = {
    "ho va ten": "full_name",
    "ho ten": "full_name",
    "ten": "full_name",
    "name": "full_name",
    "full name": "full_name",
    "fullname": "full_name",
    "ten dai bieu": "full_name",
    "ten khach moi": "full_name",
    "dai bieu": "full_name",
    "don vi": "unit",
    "co quan": "unit",
    "unit": "unit",
    "organisation": "unit",
    "organization": "unit",
    "chuc vu": "position",
    "chuc danh": "position",
    "position": "position",
    "job title": "position",
    "nhom": "group",
    "thanh phan": "group",
    "group": "group",
    "dien thoai": "phone",
    "sdt": "phone",
    "so dien thoai": "phone",
    "phone": "phone",
    "email": "email",
    "e mail": "email",
}
_CONTAINS: tuple[tuple[str, str], ...] = (
    ("email", "email"),
    ("e mail", "email"),
    ("thu dien tu", "email"),
    ("dien thoai", "phone"),
    ("sdt", "phone"),
    ("so dt", "phone"),
    ("phone", "phone"),
    ("mobile", "phone"),
    ("don vi", "unit"),
    ("co quan", "unit"),
    ("unit", "unit"),
    ("organi", "unit"),
    ("chuc vu", "position"),
    ("chuc danh", "position"),
    ("position", "position"),
    ("thanh phan", "group"),
    ("nhom", "group"),
    ("group", "group"),
    ("ho va ten", "full_name"),
    ("ho ten", "full_name"),
    ("name", "full_name"),
)


class InviteeFileError(ValueError):
    """A list that cannot be read. ``code``: ``type`` (not .xlsx/.csv), ``too_large``,
    ``too_many`` (more than :data:`MAX_ROWS` people), ``unreadable``, ``encoding`` (a .csv not
    in UTF-8), ``no_name`` (no column of names), ``empty`` (nobody listed)."""

    def __init__(self, code: str, detail: str = "") -> None:
        super().__init__(f"{code}: {detail}" if detail else code)
        self.code = code
        self.detail = detail


def header_field(text: str) -> str | None:
    """The field a column header names, or ``None``."""
    key = fold(text)
    if not key:
        return None
    if key in _EXACT:
        return _EXACT[key]
    padded = f" {key} "
    for words, field in _CONTAINS:
        if f" {words}" in padded:
            return field
    return None


def read_invitees(name: str, data: bytes) -> list[dict[str, str]]:
    """The people listed in ``data`` (a file called ``name``); raises :class:`InviteeFileError`."""
    suffix = "." + name.rsplit(".", 1)[-1].lower() if "." in name else ""
    if suffix not in EXTENSIONS:
        raise InviteeFileError("type", name)
    if len(data) > MAX_BYTES:
        raise InviteeFileError("too_large", f"{len(data)} bytes")
    lines = _xlsx_lines(data) if suffix == ".xlsx" else _csv_lines(data)
    return _rows(lines)


def source_line(rows: Sequence[dict[str, str]], line: int) -> int:
    """The file's line number of the row the events service calls ``line`` (it numbers the
    rows it is given from 2, as if they followed a header line without gaps)."""
    index = line - 2
    if 0 <= index < len(rows):
        try:
            return int(rows[index].get("line", line))
        except ValueError:
            return line
    return line


def _rows(lines: Iterable[tuple[int, list[str]]]) -> list[dict[str, str]]:
    columns: dict[int, str] | None = None
    rows: list[dict[str, str]] = []
    for number, values in lines:
        if columns is None:
            if number > HEADER_SEARCH:
                break
            found = _header(values)
            if "full_name" in found.values():
                columns = found
            continue
        if not any(v.strip() for v in values):
            continue
        row = {"line": str(number)}
        for index, field in columns.items():
            row[field] = clean(values[index]) if index < len(values) else ""
        if not any(row.get(field) for field in FIELDS):
            continue  # only ignored columns (a total, a signature line)
        rows.append(row)
        if len(rows) > MAX_ROWS:
            raise InviteeFileError("too_many", f"more than {MAX_ROWS} lines")
    if columns is None:
        raise InviteeFileError("no_name")
    if not rows:
        raise InviteeFileError("empty")
    return rows


def _header(values: list[str]) -> dict[int, str]:
    columns: dict[int, str] = {}
    for index, value in enumerate(values):
        field = header_field(value)
        if field is not None and field not in columns.values():
            columns[index] = field
    return columns


def _csv_lines(data: bytes) -> Iterable[tuple[int, list[str]]]:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InviteeFileError("encoding", str(exc)) from exc
    if "\x00" in text:
        raise InviteeFileError("unreadable", "binary data")
    first = next((line for line in text.splitlines() if line.strip()), "")
    delimiter = max((";", ",", "\t"), key=first.count) if first else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        for values in reader:
            yield reader.line_num, values
    except csv.Error as exc:
        raise InviteeFileError("unreadable", str(exc)) from exc


def _xlsx_lines(data: bytes) -> Iterable[tuple[int, list[str]]]:
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError, TypeError) as exc:
        raise InviteeFileError("unreadable", str(exc)) from exc
    except Exception as exc:  # openpyxl's own errors (InvalidFileException, XML parse errors)
        raise InviteeFileError("unreadable", str(exc)) from exc
    try:
        sheet = workbook.worksheets[0] if workbook.worksheets else None
        if sheet is None:
            raise InviteeFileError("empty")
        phone_columns: set[int] = set()
        for number, cells in enumerate(sheet.iter_rows(values_only=True), start=1):
            values = [_cell_text(v, index in phone_columns) for index, v in enumerate(cells)]
            if not phone_columns and number <= HEADER_SEARCH:
                phone_columns = {i for i, f in _header(values).items() if f == "phone"}
            yield number, values
    finally:
        workbook.close()


def _cell_text(value: object, phone: bool = False) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, int):
        text = str(value)
        # A phone typed as a number lost its leading 0: 912345678 -> 0912345678.
        return "0" + text if phone and len(text) == 9 else text
    if isinstance(value, datetime):
        return value.strftime("%d/%m/%Y %H:%M")
    if isinstance(value, date):
        return value.strftime("%d/%m/%Y")
    return str(value)
