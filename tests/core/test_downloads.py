"""Every file the app offers goes out through ``core.documents.send_document``: a name outside
Latin-1 travels as ``filename*=UTF-8''…`` with an ASCII fallback (Flask's ``send_file``), the
type stays what it was, and a download keeps its own sandboxing policy past the site's headers."""
from __future__ import annotations

import pytest
from werkzeug.http import parse_options_header

from core import spreadsheet
from core.documents import send_document

NAME = "Overzicht – huur € 📄"


def _disposition(response) -> tuple[str, dict]:
    value = response.headers["Content-Disposition"]
    value.encode("ascii")  # a header holds Latin-1 only; the name travels encoded
    return parse_options_header(value)


@pytest.mark.parametrize("fmt, mimetype", [("csv", "text/csv; charset=utf-8"),
                                           ("ods", spreadsheet.ODS_MIMETYPE)])
def test_a_table_download_with_a_name_outside_latin1(app, fmt, mimetype):
    with app.test_request_context():
        response = spreadsheet.download([["a", 1]], NAME, fmt)
    assert response.headers["Content-Type"] == mimetype
    assert _disposition(response) == ("attachment", {"filename": f"{NAME}.{fmt}"})
    assert f'filename="Overzicht  huur  .{fmt}"' in response.headers["Content-Disposition"]  # the fallback


def test_a_document_download_and_an_inline_one(app):
    with app.test_request_context():
        pdf = send_document(b"%PDF-1.4", f"{NAME}.pdf")
        svg = send_document(b"<svg/>", "GOO-2026-0001-blockage-map.svg", "image/svg+xml", inline=True)
    assert _disposition(pdf) == ("attachment", {"filename": f"{NAME}.pdf"})
    assert pdf.headers["X-Content-Type-Options"] == "nosniff" and pdf.headers["Cache-Control"] == "private, no-store"
    assert pdf.headers["Content-Security-Policy"] == "default-src 'none'; sandbox"
    assert _disposition(svg) == ("inline", {"filename": "GOO-2026-0001-blockage-map.svg"})
    assert "Content-Security-Policy" not in svg.headers  # shown in the browser: the site's policy


def test_the_site_headers_keep_a_responses_own_policy(app):
    """The site-wide Content-Security-Policy is the default, never laid over a response's own."""
    with app.test_request_context():
        pdf = app.process_response(send_document(b"%PDF-1.4", "a.pdf"))
        page = app.process_response(app.make_response("<p>page</p>"))
    assert pdf.headers["Content-Security-Policy"] == "default-src 'none'; sandbox"
    assert "default-src 'self'" in page.headers["Content-Security-Policy"]
