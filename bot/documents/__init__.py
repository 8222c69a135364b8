"""Documents the bot produces: the filled application form (.docx) and the office's export (.xlsx).

Pure functions from domain records to bytes: no database, no Telegram, no catalogs of their own
(the official wording comes from the form definition; the export's headers from a translate
function passed in).
"""

from bot.documents.initiative_docx import render_form
from bot.documents.initiative_xlsx import export_initiatives

__all__ = ["export_initiatives", "render_form"]
