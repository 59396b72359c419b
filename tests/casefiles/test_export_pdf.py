"""The case's export (GDPR art. 15) as PDF/A-2u: re-authentication first, audited."""
from __future__ import annotations

import sqlalchemy as sa
from werkzeug.http import parse_options_header

from core.audit import AuditEvent
from core.db import db
from tests.conftest import login
from tests.pdfcheck import assert_archive_pdf
from tests.security.test_privacy import _fresh_auth


def test_export_as_pdf(client, world, create_case):
    case = create_case("accepted", household_pseudonym="Gezin Export")
    login(client, world.owner)
    _fresh_auth(client)
    r = client.get(f"/cases/{case.id}/export?format=pdf")
    assert r.status_code == 200 and r.mimetype == "application/pdf"
    assert parse_options_header(r.headers["Content-Disposition"]) == ("attachment", {"filename": f"{case.reference}-export.pdf"})
    seen = assert_archive_pdf(r.data)
    assert case.reference in seen["dc:title"]
    assert "Gezin Export" in seen["text"] and "case.submit" in seen["text"]
    views = db.session.scalars(sa.select(AuditEvent.details).where(AuditEvent.action == "case.export")).all()
    assert [d["view"] for d in views] == ["export_pdf"]
    login(client, world.expert)
    _fresh_auth(client)
    assert client.get(f"/cases/{case.id}/export?format=pdf").status_code in (403, 404)
