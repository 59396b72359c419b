"""Every figure also as ODS: the same rows as the CSV, numbers typed, small counts suppressed."""
from __future__ import annotations

import io
import zipfile
from xml.etree import ElementTree

from werkzeug.http import parse_options_header

from tests.reports.test_views import Q1, login, rows

NS = {"table": "urn:oasis:names:tc:opendocument:xmlns:table:1.0",
      "office": "urn:oasis:names:tc:opendocument:xmlns:office:1.0",
      "text": "urn:oasis:names:tc:opendocument:xmlns:text:1.0"}
VT = f"{{{NS['office']}}}value-type"


def ods_table(body: bytes) -> list[list[tuple[str | None, str]]]:
    with zipfile.ZipFile(io.BytesIO(body)) as z:
        root = ElementTree.fromstring(z.read("content.xml"))
    return [[(c.get(VT), "".join(c.itertext())) for c in r.findall("table:table-cell", NS)]
            for r in root.iter(f"{{{NS['table']}}}table-row")]


def test_ods_has_the_csv_rows(client, history):
    login(client, history.chair)
    base = f"/dashboard/teams/{history.team.id}/figures"
    page = client.get(f"/dashboard/teams/{history.team.id}?{Q1}").get_data(as_text=True)
    assert "figures.ods?" in page
    r = client.get(f"{base}.ods?{Q1}&figure=leadtimes")
    assert r.status_code == 200 and r.mimetype == "application/vnd.oasis.opendocument.spreadsheet"
    assert parse_options_header(r.headers["Content-Disposition"])[1]["filename"].endswith("-leadtimes-2026-01-01-2026-03-31.ods")
    table = ods_table(r.data)
    csv_rows = rows(client.get(f"{base}.csv?{Q1}&figure=leadtimes"))
    assert [[text for _t, text in row] for row in table] == csv_rows
    assert table[1][1:4] == [("string", "—"), ("float", "4,0"), ("float", "13,0")]
    assert table[2][1] == ("string", "< 5") and table[2][2] == (None, "")
    assert client.get(f"{base}.ods?{Q1}&figure=nonsense").status_code == 404
