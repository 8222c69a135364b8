"""The printable invitation sheet ("Giấy mời" helper): a .zip for the office.

* ``giay-moi.xlsx``: one line per invitee (number, name, unit, position, group, personal code,
  the invitation's link ``https://t.me/<bot>?start=rsvp_<code>`` and its QR code as a picture),
  ready to print or to merge into the invitation letter (mail merge);
* ``qr/<NN>-<code>.png``: the QR code of each link, to paste into a letter.

Headers come from a translate function passed in (no catalog here); every cell people typed is
written as text, never as a formula.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable, Sequence

from openpyxl import Workbook
from openpyxl.drawing.image import Image
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from bot.documents.initiative_xlsx import put, sheet_title
from bot.documents.qr import qr_png
from bot.domain.events import Event, Invitee
from bot.i18n import N_

Translate = Callable[[str], str]

WORKBOOK_NAME = "giay-moi.xlsx"
QR_FOLDER = "qr"
QR_PIXELS = 110  # size of the picture in the sheet
ROW_POINTS = 88  # row height that fits it (1 point = 4/3 pixel)
COLUMNS: tuple[tuple[str, float], ...] = (  # header key, width (characters)
    (N_("events.sheet.col.number"), 6),
    (N_("events.sheet.col.full_name"), 26),
    (N_("events.sheet.col.unit"), 30),
    (N_("events.sheet.col.position"), 20),
    (N_("events.sheet.col.group"), 30),
    (N_("events.sheet.col.code"), 13),
    (N_("events.sheet.col.link"), 44),
    (N_("events.sheet.col.qr"), 17),
)
_HEADER_FONT = Font(bold=True)
_HEADER_FILL = PatternFill("solid", fgColor="DDE5F0")
_WRAP = Alignment(vertical="center", wrap_text=True)
_CODE_FONT = Font(name="Consolas", bold=True)


def invite_link(bot_username: str, code: str) -> str:
    """The invitation's deep link: opening it starts the bot with ``rsvp_<code>``."""
    return f"https://t.me/{bot_username.lstrip('@')}?start=rsvp_{code}"


def qr_name(number: int, code: str, total: int) -> str:
    """``qr/07-ABCD2345.png``: numbered as the sheet's lines (at least two digits)."""
    width = max(2, len(str(total)))
    return f"{QR_FOLDER}/{number:0{width}d}-{code}.png"


def invitation_sheet(
    event: Event, invitees: Sequence[Invitee], bot_username: str, *, t: Translate
) -> bytes:
    """The .zip (bytes) of the sheet and the QR pictures of ``invitees``, in their order."""
    pictures = [qr_png(invite_link(bot_username, person.code)) for person in invitees]
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(WORKBOOK_NAME, _workbook(event, invitees, bot_username, pictures, t))
        for number, (person, picture) in enumerate(zip(invitees, pictures, strict=True), 1):
            archive.writestr(qr_name(number, person.code, len(invitees)), picture)
    return buffer.getvalue()


def _workbook(
    event: Event,
    invitees: Sequence[Invitee],
    bot_username: str,
    pictures: Sequence[bytes],
    t: Translate,
) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = sheet_title(t("events.sheet.title"))
    for column, (key, width) in enumerate(COLUMNS, start=1):
        cell = sheet.cell(row=1, column=column)
        put(cell, t(key))
        cell.font = _HEADER_FONT
        cell.fill = _HEADER_FILL
        cell.alignment = _WRAP
        sheet.column_dimensions[get_column_letter(column)].width = width
    qr_column = get_column_letter(len(COLUMNS))
    groups = {group.id: group.name for group in event.groups}
    for number, (person, picture) in enumerate(zip(invitees, pictures, strict=True), start=1):
        row = number + 1
        link = invite_link(bot_username, person.code)
        values: list[object] = [
            number,
            person.full_name,
            person.unit,
            person.position,
            groups.get(person.group_id or "", person.group_id or ""),
            person.code,
            link,
        ]
        for column, value in enumerate(values, start=1):
            cell = sheet.cell(row=row, column=column)
            put(cell, value)
            cell.alignment = _WRAP
        sheet.cell(row=row, column=6).font = _CODE_FONT
        sheet.cell(row=row, column=7).hyperlink = link
        image = Image(io.BytesIO(picture))
        image.width = image.height = QR_PIXELS
        image.anchor = f"{qr_column}{row}"
        sheet.add_image(image)
        sheet.row_dimensions[row].height = ROW_POINTS
    sheet.freeze_panes = "A2"
    sheet.print_title_rows = "1:1"
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 0
    sheet.sheet_properties.pageSetUpPr.fitToPage = True  # type: ignore[union-attr]
    workbook.properties.creator = "thidua-bot"
    workbook.properties.title = event.title[:200]
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()
