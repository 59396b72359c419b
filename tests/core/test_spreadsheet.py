"""Table downloads: CSV as Dutch Excel reads it, and ODS read back as the XML zip it is."""
from __future__ import annotations

import csv
import io
import zipfile
from datetime import date, datetime
from decimal import Decimal
from xml.etree import ElementTree

from core.spreadsheet import ODS_MIMETYPE, csv_bytes, ods_bytes

NS = {
    "table": "urn:oasis:names:tc:opendocument:xmlns:table:1.0",
    "office": "urn:oasis:names:tc:opendocument:xmlns:office:1.0",
    "text": "urn:oasis:names:tc:opendocument:xmlns:text:1.0",
}
ROWS = [
    ["Naam", "Aantal", "Mediaan", "Datum", "Bedrag"],
    ['=HYPERLINK("http://evil")', 1234, 4.5, date(2026, 3, 9), Decimal("14074.07")],
    ["-3", -3, None, datetime(2026, 10, 25, 9, 5), "café; \"quoted\"\nline"],
]


def test_csv_for_dutch_excel():
    body = csv_bytes(ROWS)
    assert body.startswith(b"\xef\xbb\xbf")  # UTF-8 byte-order mark
    rows = list(csv.reader(io.StringIO(body.decode("utf-8")[1:]), delimiter=";"))
    assert rows[0] == ["Naam", "Aantal", "Mediaan", "Datum", "Bedrag"]
    # The formula is made harmless; numbers carry a decimal comma, no grouping; dates dd-mm-jjjj.
    assert rows[1] == ['\'=HYPERLINK("http://evil")', "1234", "4,5", "09-03-2026", "14074,07"]
    # A negative number stays a number (as text or as a value); text with ';', quotes and a
    # line break survives quoting.
    assert rows[2] == ["-3", "-3", "", "25-10-2026 09:05", "café; \"quoted\"\nline"]
    assert b"\r\n" in body and body.count(b";") >= 12


def test_ods_typed_cells():
    body = ods_bytes(ROWS, sheet="flow")
    with zipfile.ZipFile(io.BytesIO(body)) as z:
        first = z.infolist()[0]
        assert first.filename == "mimetype" and first.compress_type == zipfile.ZIP_STORED
        assert z.read("mimetype").decode() == ODS_MIMETYPE
        assert "content.xml" in z.read("META-INF/manifest.xml").decode()
        root = ElementTree.fromstring(z.read("content.xml"))
    table = root.find(".//table:table", NS)
    assert table.get(f"{{{NS['table']}}}name") == "flow"
    rows = table.findall("table:table-row", NS)
    assert len(rows) == 3
    cells = rows[1].findall("table:table-cell", NS)
    vt, val, dv = (f"{{{NS['office']}}}{a}" for a in ("value-type", "value", "date-value"))
    # Text stays text (never a formula in ODS), numbers and dates are typed.
    assert cells[0].get(vt) == "string" and cells[0].find("text:p", NS).text.startswith("=HYPERLINK")
    assert (cells[1].get(vt), cells[1].get(val)) == ("float", "1234")
    assert (cells[2].get(vt), cells[2].get(val)) == ("float", "4.5")
    assert (cells[3].get(vt), cells[3].get(dv)) == ("date", "2026-03-09")
    assert (cells[4].get(vt), cells[4].get(val)) == ("float", "14074.07")
    last = rows[2].findall("table:table-cell", NS)
    assert last[2].get(vt) is None  # an empty cell
    assert last[3].get(dv) == "2026-10-25T09:05:00"
    assert last[4].find("text:p", NS).text == "café; \"quoted\"\nline"
