"""The office's Excel export of the initiatives: one sheet of initiatives, one of their authors,
one of the people who applied them first (item 10), one of their status history.

The submitter is named (as their profile has it now); their phone and Telegram id only in the
full export, which is not for circulation.

The columns of the form's items follow the form definition (a field added to it gets a column,
headed by its catalog label when it has one, else by its official wording). Items marked
``confidential`` in the form are exported only with ``include_confidential``.

Every value people typed is written as a string cell, never as a formula (``=``, ``+``, ``-``,
``@`` at the start stay text, with Excel's quote prefix so that editing the cell keeps it text).
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from bot.domain.initiative import (
    Contact,
    FormDefinition,
    FormField,
    Initiative,
    Status,
    StatusChange,
    long_text,
    people,
)
from bot.i18n import N_

Translate = Callable[[str], str]
LOCAL_TZ = ZoneInfo("Asia/Ho_Chi_Minh")

STATUS_KEYS: dict[Status, str] = {
    Status.SUBMITTED: N_("initiative.status.submitted"),
    Status.REVIEWING: N_("initiative.status.reviewing"),
    Status.NEEDS_CHANGES: N_("initiative.status.needs_changes"),
    Status.RECOGNISED: N_("initiative.status.recognised"),
    Status.NOT_RECOGNISED: N_("initiative.status.not_recognised"),
    Status.WITHDRAWN: N_("initiative.status.withdrawn"),
}
# Headers of the form's items; an item without one is headed by its wording in the form.
FIELD_KEYS: dict[str, str] = {
    "recipient": N_("export.col.recipient"),
    "solution_type": N_("export.col.solution_type"),
    "campaign": N_("export.col.campaign"),
    "investor": N_("export.col.investor"),
    "state_funds": N_("export.col.state_funds"),
    "domain": N_("export.col.domain"),
    "problem": N_("export.col.problem"),
    "first_applied": N_("export.col.first_applied"),
    "description": N_("export.col.description"),
    "confidential": N_("export.col.confidential"),
    "conditions": N_("export.col.conditions"),
    "benefit_author": N_("export.col.benefit_author"),
    "benefit_others": N_("export.col.benefit_others"),
    "appliers": N_("export.col.appliers"),
}
# Fields with a place of their own: the title among the first columns, the authors and their
# shares in the authors' sheet.
_ELSEWHERE = frozenset({"title", "authors"})
# The sheet of each list of people (another ``persons`` field is titled by its wording).
PERSONS_SHEETS: dict[str, str] = {
    "authors": N_("export.sheet.authors"),
    "appliers": N_("export.sheet.appliers"),
}
# The columns of a person, by sub-field.
PERSON_COLUMNS: dict[str, tuple[str, str]] = {
    "full_name": (N_("export.col.full_name"), "text"),
    "birth_date": (N_("export.col.birth_date"), "date"),
    "workplace": (N_("export.col.workplace"), "text"),
    "position": (N_("export.col.position"), "text"),
    "qualification": (N_("export.col.qualification"), "text"),
    "task": (N_("export.col.task"), "text"),
    "share": (N_("export.col.share"), "number"),
}

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
CELL_MAX = 32_767  # Excel's limit of characters in a cell
DATE_FORMAT = "dd/mm/yyyy"
DATETIME_FORMAT = "dd/mm/yyyy hh:mm"
MIN_WIDTH, MAX_WIDTH = 8, 60
_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f]")  # not allowed in the file's XML
_SHEET_NAME_BAD = re.compile(r"[\[\]:*?/\\]")
_HEADER_FONT = Font(bold=True)
_HEADER_FILL = PatternFill("solid", fgColor="DDE5F0")
_HEADER_ALIGNMENT = Alignment(vertical="center", wrap_text=True)


@dataclass(frozen=True)
class Column:
    header: str
    value: Callable[[Initiative], object]
    kind: str = "text"  # text | number | date | datetime


def export_initiatives(
    form: FormDefinition,
    initiatives: list[Initiative],
    history: list[StatusChange],
    *,
    include_confidential: bool,
    t: Translate,
    tz: ZoneInfo = LOCAL_TZ,
    submitters: Mapping[int, Contact] | None = None,
) -> bytes:
    """The workbook as .xlsx bytes. ``t`` translates a catalog key (headers, statuses, yes/no)
    in the reader's language; times are shown in ``tz``; ``submitters``: the submitters'
    names and phones by user id (an erased or unknown one is left blank)."""
    workbook = Workbook()
    first = workbook.active
    assert first is not None
    columns = _initiative_columns(
        form, include_confidential=include_confidential, t=t, tz=tz, submitters=submitters or {}
    )
    fill_sheet(
        first,
        t("export.sheet.initiatives"),
        [c.header for c in columns],
        [c.kind for c in columns],
        [[c.value(item) for c in columns] for item in initiatives],
    )

    for f in form.fields:
        if f.kind == "persons" and (include_confidential or not f.confidential):
            _persons_sheet(workbook.create_sheet(), form, f, initiatives, t)

    numbers = {item.id: item.number for item in initiatives}
    history_rows: list[list[object]] = [
        [
            numbers.get(change.initiative_id, str(change.initiative_id)),
            _local(change.at, tz),
            change.actor_name,
            t(STATUS_KEYS[change.from_status]) if change.from_status else "",
            t(STATUS_KEYS[change.to_status]),
            change.comment or "",
        ]
        for change in history
    ]
    fill_sheet(
        workbook.create_sheet(),
        t("export.sheet.history"),
        [
            t("export.col.number"),
            t("export.col.at"),
            t("export.col.actor"),
            t("export.col.from_status"),
            t("export.col.to_status"),
            t("export.col.comment"),
        ],
        ["text", "datetime", "text", "text", "text", "text"],
        history_rows,
    )

    workbook.properties.creator = "thidua-bot"
    workbook.properties.title = t("export.sheet.initiatives")
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


# --- the columns of the initiatives' sheet ----------------------------------------------------


def _initiative_columns(
    form: FormDefinition,
    *,
    include_confidential: bool,
    t: Translate,
    tz: ZoneInfo,
    submitters: Mapping[int, Contact],
) -> list[Column]:
    def submitter(item: Initiative) -> Contact:
        known = submitters.get(item.submitter_id) if item.submitter_id is not None else None
        return known or Contact()

    columns = [
        Column(t("export.col.number"), lambda i: i.number),
        Column(t("export.col.status"), lambda i: t(STATUS_KEYS[i.status])),
        Column(t("export.col.title"), lambda i: i.title),
        Column(t("export.col.unit"), lambda i: i.unit or ""),
        Column(t("export.col.submitter"), lambda i: submitter(i).full_name),
    ]
    if include_confidential:  # contact details: the office's own copy only
        columns += [
            Column(t("export.col.submitter_phone"), lambda i: submitter(i).phone),
            Column(t("export.col.submitter_id"), lambda i: i.submitter_id, "number"),
        ]
    columns += [
        Column(t("export.col.submitted_at"), lambda i: _local(i.submitted_at, tz), "datetime"),
        Column(t("export.col.updated_at"), lambda i: _local(i.updated_at, tz), "datetime"),
    ]
    for f in form.fields:
        if f.id in _ELSEWHERE or f.kind == "shares":
            continue
        if f.confidential and not include_confidential:
            continue
        columns += _field_columns(form, f, t)
    columns += [
        Column(t("export.col.authors_count"), lambda i: len(i.authors), "number"),
        Column(t("export.col.last_comment"), lambda i: i.last_comment or ""),
    ]
    return columns


def _persons_sheet(
    sheet: Worksheet,
    form: FormDefinition,
    f: FormField,
    initiatives: Sequence[Initiative],
    t: Translate,
) -> None:
    """One row per person of the list ``f`` (authors: with their share), each under the number
    of its initiative and its place in the list."""
    subs = [s for s in form.person_fields.get(f.id, ("full_name",)) if s in PERSON_COLUMNS]
    if f.id == "authors":
        subs.append("share")
    rows: list[list[object]] = []
    for item in initiatives:
        listed = item.authors if f.id == "authors" else people(item.content.get(f.id))
        for order, person in enumerate(listed, start=1):
            rows.append([item.number, order, *(getattr(person, sub) for sub in subs)])
    title_key = PERSONS_SHEETS.get(f.id)
    fill_sheet(
        sheet,
        t(title_key) if title_key else f.docx,
        [t("export.col.number"), t("export.col.order"), *(t(PERSON_COLUMNS[s][0]) for s in subs)],
        ["text", "number", *(PERSON_COLUMNS[s][1] for s in subs)],
        rows,
    )


def _field_columns(form: FormDefinition, f: FormField, t: Translate) -> list[Column]:
    header = t(FIELD_KEYS[f.id]) if f.id in FIELD_KEYS else f.docx

    def raw(item: Initiative) -> Any:
        return item.content.get(f.id)

    if f.kind == "long":
        columns = [Column(header, lambda i: long_text(raw(i)))]
        if f.files:
            columns.append(Column(t("export.col.attachments"), _attachment_names(f.id)))
        return columns
    if f.kind == "persons":
        return [Column(header, lambda i: "; ".join(p.full_name for p in people(raw(i))))]
    if f.kind == "yesno":

        def yes_no(item: Initiative) -> str:
            value = raw(item)
            if value is None:
                return ""
            return t("export.yes") if value is True else t("export.no")

        return [Column(header, yes_no)]
    if f.kind == "date":
        return [Column(header, lambda i: _date(raw(i)), "date")]
    if f.id == "solution_type":
        labels = form.solution_type_docx
        return [Column(header, lambda i: labels.get(str(raw(i)), str(raw(i) or "")))]
    return [Column(header, lambda i: "" if raw(i) is None else str(raw(i)))]


def _attachment_names(field_id: str) -> Callable[[Initiative], str]:
    def names(item: Initiative) -> str:
        value = item.content.get(field_id)
        files = value.get("files", []) if isinstance(value, dict) else []
        return "; ".join(str(x.get("name", "")) for x in files if isinstance(x, dict))

    return names


def _local(moment: datetime, tz: ZoneInfo) -> datetime:
    """Excel has no time zones: the local wall-clock time, without its zone."""
    if moment.tzinfo is not None:
        moment = moment.astimezone(tz)
    return moment.replace(tzinfo=None)


def _date(value: object) -> date | str:
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value)[:10]) if value else ""
    except ValueError:
        return str(value)


# --- writing --------------------------------------------------------------------------------


def sheet_title(text: str) -> str:
    """A valid sheet name: at most 31 characters, none of ``[]:*?/\\``."""
    return _SHEET_NAME_BAD.sub(" ", text).strip()[:31] or "Sheet"


def fill_sheet(
    sheet: Worksheet,
    title: str,
    headers: Sequence[str],
    kinds: Sequence[str],
    rows: Sequence[Sequence[object]],
) -> None:
    """A sheet of ``rows`` under bold ``headers``: dates formatted (``kinds``: "date",
    "datetime" or anything else), widths fitted, header frozen, auto filter; every cell
    written with :func:`put` (never a formula)."""
    sheet.title = sheet_title(title)
    widths = [len(h) for h in headers]
    for column, header in enumerate(headers, start=1):
        cell = sheet.cell(row=1, column=column)
        put(cell, header)
        cell.font = _HEADER_FONT
        cell.fill = _HEADER_FILL
        cell.alignment = _HEADER_ALIGNMENT
    for row_index, values in enumerate(rows, start=2):
        for column, (value, kind) in enumerate(zip(values, kinds, strict=True), start=1):
            cell = sheet.cell(row=row_index, column=column)
            put(cell, value)
            if kind == "date" and isinstance(value, date):
                cell.number_format = DATE_FORMAT
                widths[column - 1] = max(widths[column - 1], 10)
            elif kind == "datetime" and isinstance(value, datetime):
                cell.number_format = DATETIME_FORMAT
                widths[column - 1] = max(widths[column - 1], 16)
            elif value is not None:
                first_line = str(value).split("\n", 1)[0]
                widths[column - 1] = max(widths[column - 1], len(first_line))
    for column, width in enumerate(widths, start=1):
        letter = get_column_letter(column)
        sheet.column_dimensions[letter].width = min(max(width + 2, MIN_WIDTH), MAX_WIDTH)
    sheet.freeze_panes = "A2"
    last = get_column_letter(len(headers))
    sheet.auto_filter.ref = f"A1:{last}{max(len(rows) + 1, 2)}"


def put(cell: Any, value: object) -> None:
    """Write ``value``; text always as a string cell, never a formula or an error code."""
    if value is None or value == "":
        cell.value = None
        return
    if isinstance(value, bool | int | float | date):
        cell.value = value
        return
    text = _ILLEGAL.sub("", str(value))[:CELL_MAX]
    cell.value = text
    cell.data_type = "s"  # openpyxl would read "=..." as a formula and "#N/A" as an error
    if text.startswith(FORMULA_STARTS):
        cell.quotePrefix = True  # Excel's leading apostrophe: stays text when edited
