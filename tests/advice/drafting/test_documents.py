"""The advice's archive copy: a PDF/A-3u made once at issue and kept byte for byte, read back
with a second library (pikepdf: XMP identification, fonts, language, the embedded JSON; pypdf:
the text)."""
from __future__ import annotations

import hashlib
import io
import json
import zipfile

import sqlalchemy as sa

from advice.drafting.issuing import correct_advice, issue_advice
from advice.drafting.models import AdviceDocument
from core import privacy
from core.audit import AuditEvent
from core.db import db
from tests.conftest import login
from tests.security.test_privacy import _fresh_auth
from tests.pdfcheck import assert_archive_pdf, read_pdf


def test_archive_copy_made_at_issue(client, aw, issued):
    advice = issued()
    stored = db.session.get(AdviceDocument, advice.id)
    assert stored is not None and stored.sha256 == hashlib.sha256(stored.pdf).hexdigest()
    # PDF/A-3u, Dutch, tagged; every font embedded, only the shipped DejaVu faces.
    seen = assert_archive_pdf(stored.pdf, part="3")
    assert advice.case.reference in seen["dc:title"]
    text = seen["text"]
    for part in ("Grant urgency now; settle the debt in parallel.", "No urgency while a debt is open.",
                 "Jeugdwet" if advice.legal_grounds else "hardship clause", "Offer a home within two weeks.",
                 "GGZ Gooistad", advice.case.reference, aw.expert.name):
        assert part in text, part
    assert advice.content_hash in text.replace(" ", "")
    # The embedded JSON is the canonical content: its SHA-256 is the content hash.
    embedded = seen["files"]["advice.json"]
    assert hashlib.sha256(embedded).hexdigest() == advice.content_hash
    assert json.loads(embedded)["advice_text"] == "Grant urgency now; settle the debt in parallel."
    # The audit trail holds the PDF's hash.
    row = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "advice.archive_copy"))
    assert row.details["sha256"] == stored.sha256 and row.object_id == advice.id

    # The download is the stored document, byte for byte; the page shows both hashes. The same
    # need-to-know as the advice page: an organisation's contact sees only their actions.
    login(client, aw.contact)
    assert client.get(f"/advice/{advice.id}/advice.pdf").status_code == 404
    login(client, aw.owner)
    r = client.get(f"/advice/{advice.id}/advice.pdf")
    assert r.status_code == 200 and r.mimetype == "application/pdf" and r.data == stored.pdf
    assert r.headers["Content-Disposition"].startswith("attachment;")
    assert r.headers["X-Content-Type-Options"] == "nosniff"
    page = client.get(f"/advice/{advice.id}").get_data(as_text=True)
    assert advice.content_hash in page and stored.sha256 in page
    reads = db.session.scalars(sa.select(AuditEvent.details).where(AuditEvent.action == "case.read")).all()
    assert any(d.get("view") == "advice_pdf" for d in reads)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AdviceDocument)) == 1  # not made again
    # The case's export names the PDF's hash, and its zip carries the document byte for byte.
    _fresh_auth(client)
    export = client.get(f"/cases/{advice.case_id}/export?format=zip")
    with zipfile.ZipFile(io.BytesIO(export.data)) as z:
        data = json.loads(z.read(f"{advice.case.reference}-export.json"))
        assert data["advice"]["versions"][0]["pdf_sha256"] == stored.sha256
        assert z.read(f"advice/{advice.case.reference}-bindend-advies-v1.pdf") == stored.pdf


def test_every_version_keeps_its_own_copy_and_retention_removes_them(client, aw, issued):
    first = issued()
    before = db.session.get(AdviceDocument, first.id).pdf
    correction = correct_advice(first, aw.chair, reason="Deadline too short.")
    correction.advice_text = "Grant urgency now; the debt waits."
    issue_advice(correction, aw.chair)
    db.session.commit()
    second = db.session.get(AdviceDocument, correction.id)
    assert "Grant urgency now; the debt waits." in read_pdf(second.pdf)["text"]
    assert db.session.get(AdviceDocument, first.id).pdf == before  # the old version's copy is untouched
    # A draft has no PDF; someone without access gets nothing.
    login(client, aw.other_chair)
    assert client.get(f"/advice/{first.id}/advice.pdf").status_code == 404
    # Retention: the copies hold the advice's text, so they go with it.
    assert "advice_documents.archive_copies" in privacy.anonymise([first.case_id])
    db.session.commit()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AdviceDocument)) == 0
    assert "advice_documents.archive_copies" not in privacy.anonymise([first.case_id])  # safe to run twice
