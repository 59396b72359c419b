"""Tables for download: CSV that opens right in Dutch Excel, and ODS (OpenDocument spreadsheet).

Every table download goes through here (one place for the rules):

- CSV: UTF-8 with a byte-order mark (Excel otherwise reads it as Windows-1252), ``;`` between
  cells (the list separator of a Dutch Windows), numbers with a decimal comma and no grouping,
  dates as ``dd-mm-jjjj``; a text cell that a spreadsheet would run as a formula gets a leading
  apostrophe (the formula-injection guard).
- ODS: the open standard, written as the small zip of XML it is (no dependency). Numbers and
  dates are typed cells; text cells are plain text, which no spreadsheet runs as a formula.

A table is a list of rows; a cell is ``None``, ``str``, ``int``, ``float``, ``Decimal``,
``date`` or ``datetime``.
"""
from __future__ import annotations

import csv
import io
import zipfile
from datetime import date, datetime
from decimal import Decimal
from xml.sax.saxutils import escape, quoteattr

from flask import Response

from .documents import send_document

CSV_MIMETYPE = "text/csv"
ODS_MIMETYPE = "application/vnd.oasis.opendocument.spreadsheet"
FORMATS = ("csv", "ods")

Cell = None | str | int | float | Decimal | date | datetime


def _is_number(text: str) -> bool:
    try:
        float(text.replace(",", "."))
    except ValueError:
        return False
    return True


def guard(text: str) -> str:
    """A text cell that a spreadsheet will not run as a formula."""
    if text[:1] in ("=", "+", "-", "@", "\t", "\r") and not _is_number(text):
        return "'" + text
    return text


def _plain_number(value: int | float | Decimal) -> str:
    """A number with a decimal point, never in exponent notation."""
    if isinstance(value, int):
        return str(int(value))
    if isinstance(value, float):
        value = Decimal(repr(value))
    return format(value, "f")


def _number_text(value: int | float | Decimal) -> str:
    return _plain_number(value).replace(".", ",")


def csv_cell(value: Cell) -> str:
    """One cell as Dutch Excel reads it."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.strftime("%d-%m-%Y %H:%M")
    if isinstance(value, date):
        return value.strftime("%d-%m-%Y")
    if isinstance(value, (int, float, Decimal)):
        return _number_text(value)
    return guard(str(value))


def csv_bytes(rows: list[list[Cell]]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    for row in rows:
        writer.writerow([csv_cell(cell) for cell in row])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


# --- ODS ---------------------------------------------------------------------------------------

_MANIFEST = """<?xml version="1.0" encoding="UTF-8"?>
<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.2">
 <manifest:file-entry manifest:full-path="/" manifest:version="1.2" manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/>
 <manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/>
</manifest:manifest>
"""

_CONTENT_HEAD = (
    '<?xml version="1.0" encoding="UTF-8"?>\n'
    '<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
    'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
    'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2">'
    "<office:body><office:spreadsheet>"
)
_CONTENT_TAIL = "</office:spreadsheet></office:body></office:document-content>"


def _ods_cell(value: Cell) -> str:
    if value is None or value == "":
        return "<table:table-cell/>"
    shown = escape(csv_cell(value) if not isinstance(value, str) else value)
    if isinstance(value, datetime):
        attrs = f'office:value-type="date" office:date-value="{value.replace(tzinfo=None).isoformat(timespec="seconds")}"'
    elif isinstance(value, date):
        attrs = f'office:value-type="date" office:date-value="{value.isoformat()}"'
    elif isinstance(value, (int, float, Decimal)):
        attrs = f'office:value-type="float" office:value="{_plain_number(value)}"'
    else:
        attrs = 'office:value-type="string"'
    return f"<table:table-cell {attrs}><text:p>{shown}</text:p></table:table-cell>"


def ods_bytes(rows: list[list[Cell]], sheet: str = "Sheet1") -> bytes:
    body = [_CONTENT_HEAD, f"<table:table table:name={quoteattr(sheet[:31])}>"]
    for row in rows:
        body.append("<table:table-row>" + "".join(_ods_cell(c) for c in row) + "</table:table-row>")
    body.append("</table:table>" + _CONTENT_TAIL)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        # The mimetype first and uncompressed: that is how a reader recognises the file.
        z.writestr(zipfile.ZipInfo("mimetype"), ODS_MIMETYPE, compress_type=zipfile.ZIP_STORED)
        z.writestr("META-INF/manifest.xml", _MANIFEST, compress_type=zipfile.ZIP_DEFLATED)
        z.writestr("content.xml", "".join(body), compress_type=zipfile.ZIP_DEFLATED)
    return out.getvalue()


def download(rows: list[list[Cell]], basename: str, fmt: str, sheet: str = "Sheet1") -> Response:
    """The table as a download in ``fmt`` ('csv' or 'ods'), named ``basename.<fmt>``."""
    if fmt == "ods":
        body, mimetype = ods_bytes(rows, sheet), ODS_MIMETYPE
    else:
        body, mimetype = csv_bytes(rows), CSV_MIMETYPE
    return send_document(body, f"{basename}.{fmt}", mimetype)  # text/csv gets charset=utf-8
