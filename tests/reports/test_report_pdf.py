"""The council's period report as PDF/A-2u: the same suppressed figures as the printable page."""
from __future__ import annotations

from werkzeug.http import parse_options_header

from tests.pdfcheck import assert_archive_pdf
from tests.reports.test_views import Q1, login


def test_report_pdf(client, history):
    login(client, history.chair)
    r = client.get(f"/dashboard/teams/{history.team.id}/report.pdf?{Q1}")
    assert r.status_code == 200 and r.mimetype == "application/pdf"
    assert parse_options_header(r.headers["Content-Disposition"])[1]["filename"].endswith("-periode-2026-01-01-2026-03-31.pdf")
    seen = assert_archive_pdf(r.data)
    assert history.team.name in seen["dc:title"] and "01-01-2026" in seen["dc:title"]
    assert "< 5" in seen["text"] and "Alpha Wonen" in seen["text"]
    for c in history.cases.values():
        assert c.reference not in seen["text"] and c.household_pseudonym not in seen["text"]
    assert "report.pdf" in client.get(f"/dashboard/teams/{history.team.id}/report?{Q1}").get_data(as_text=True)
    assert client.get(f"/dashboard/teams/{history.team.id}/report.pdf?from=2026-02-01&to=2026-01-01").status_code == 400
