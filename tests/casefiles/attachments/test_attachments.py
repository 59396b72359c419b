"""Case attachments: the type from the content, the size limit, storage by random name with the
hash, need-to-know downloads (audited, attachment, nosniff), removal, export and retention."""
from __future__ import annotations

import hashlib
import io
import json
import zipfile
from pathlib import Path

import pytest
import sqlalchemy as sa

from casefiles.attachments import filetypes
from casefiles.attachments.models import CaseAttachment
from core import privacy
from core.audit import AuditEvent
from core.db import db
from core.models import User
from tests.conftest import csrf_token, login, post_form
from tests.security.test_privacy import _fresh_auth

from . import files


@pytest.mark.parametrize("data, expected", [
    (files.PDF, filetypes.PDF), (files.PNG, filetypes.PNG), (b"\xff\xd8\xff\xe0JFIF", filetypes.JPEG),
    (b"GIF89a\x01\x00", filetypes.GIF), (b"RIFF\x10\x00\x00\x00WEBPVP8 ", filetypes.WEBP), (files.TEXT, filetypes.TEXT),
    (files.ooxml(), filetypes.DOCX),
    (files.ooxml("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"), filetypes.XLSX),
    (files.odf(), filetypes.ODT), (files.odf("application/vnd.oasis.opendocument.spreadsheet"), filetypes.ODS),
    (files.ooxml(macro=True), None), (files.EXE, None), (files.HTML, None), (files.plain_zip(), None),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 40, None), (b"\xff\xfe\x00\x00", None), (b"", None),
])
def test_type_from_content(data, expected):
    assert filetypes.detect(data) is expected


def _upload(client, case, data: bytes, name: str):
    url = f"/cases/{case.id}/attachments"
    return client.post(url, data={"csrf_token": csrf_token(client, url), "file": (io.BytesIO(data), name)},
                       content_type="multipart/form-data")


@pytest.fixture(autouse=True)
def _english(world):
    """The assertions read the English messages."""
    db.session.execute(sa.update(User).values(locale="en"))
    db.session.commit()


def _folder(app) -> Path:
    return Path(app.config["ATTACHMENT_FOLDER"])


def test_attach_download_remove(app, client, world, create_case):
    app.config["ATTACHMENT_MAX_BYTES"] = 4096
    case = create_case("accepted")
    login(client, world.owner)
    r = _upload(client, case, files.PDF, "../../Schulden overzicht.pdf")
    assert r.status_code == 302
    stored = db.session.scalars(sa.select(CaseAttachment)).one()
    assert stored.filename == "Schulden overzicht.pdf" and stored.mimetype == "application/pdf"
    assert stored.size == len(files.PDF) and stored.sha256 == hashlib.sha256(files.PDF).hexdigest()
    path = _folder(app) / stored.storage_key
    assert path.read_bytes() == files.PDF and len(stored.storage_key) == 32 and "Schulden" not in stored.storage_key
    # A text file named .pdf is typed by its content and named for it.
    assert _upload(client, case, files.TEXT, "brief.pdf").status_code == 302
    text = db.session.scalar(sa.select(CaseAttachment).where(CaseAttachment.mimetype == "text/plain"))
    assert text.filename == "brief.pdf.txt"
    # Refused with a clear message, nothing kept.
    for data, name, message in ((files.EXE, "setup.pdf", "cannot be attached"), (files.ooxml(macro=True), "x.docm", "without macros"),
                                (b"%PDF-" + b"x" * 5000, "big.pdf", "larger than 4 kB"), (b"", "empty.txt", "The file is empty.")):
        r = _upload(client, case, data, name)
        assert r.status_code == 400 and message in r.get_data(as_text=True), name
    assert len(list(_folder(app).iterdir())) == 2 and db.session.scalar(sa.select(sa.func.count(CaseAttachment.id))) == 2
    page = client.get(f"/cases/{case.id}/attachments").get_data(as_text=True)
    assert "Schulden overzicht.pdf" in page and "brief.pdf.txt" in page

    # Download: the same people as the case; audited; attachment, safe type, nosniff.
    url = f"/attachments/{stored.id}/download"
    for user in (world.expert, world.chair):
        login(client, user)
        r = client.get(url)
        assert r.status_code == 200 and r.data == files.PDF
        assert r.headers["Content-Disposition"].startswith("attachment;")
        assert r.headers["X-Content-Type-Options"] == "nosniff" and r.mimetype == "application/pdf"
    r = client.get(f"/attachments/{text.id}/download")
    assert r.headers["Content-Type"] == "text/plain; charset=utf-8"
    reads = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "case.read")).all()
    assert {(e.actor_id, e.details.get("attachment")) for e in reads if e.details.get("view") == "attachment"} == {
        (world.expert.id, stored.id), (world.chair.id, stored.id), (world.chair.id, text.id)}
    for user in (world.contact, world.other_chair, world.admin):
        login(client, user)
        assert client.get(url).status_code == 404, user.name
        assert client.get(f"/cases/{case.id}/attachments").status_code == 404, user.name
    login(client, world.expert)  # sees the case, may not attach
    assert _upload(client, case, files.PDF, "x.pdf").status_code == 403
    # A file changed in the folder is not served.
    path.write_bytes(files.PDF + b" ")
    assert client.get(url).status_code == 302
    # Removal: who attached it (or the chair or secretary); the file goes too.
    login(client, world.owner)
    assert post_form(client, f"/attachments/{stored.id}/remove", token_from=f"/cases/{case.id}/attachments").status_code == 302
    assert not path.exists() and db.session.get(CaseAttachment, stored.id) is None
    details = db.session.scalars(sa.select(AuditEvent.details).where(AuditEvent.action.like("case_attachment.%"))).all()
    assert len(details) == 3 and not any("Schulden" in str(d) or "brief" in str(d) for d in details)


def test_export_and_retention(app, client, world, create_case):
    case = create_case("accepted")
    login(client, world.owner)
    _upload(client, case, files.PNG, "foto.png")
    _upload(client, case, files.odf(), "brief.odt")
    exported = privacy.build_export(case)["attachments"]
    assert sorted((a["name"], a["sha256"]) for a in exported) == sorted(
        [("foto.png", hashlib.sha256(files.PNG).hexdigest()), ("brief.odt", hashlib.sha256(files.odf()).hexdigest())])
    assert len(list(_folder(app).iterdir())) == 2
    # The export as one zip: the data as JSON and PDF/A, and the files themselves.
    _fresh_auth(client)
    r = client.get(f"/cases/{case.id}/export?format=zip")
    assert r.status_code == 200 and r.mimetype == "application/zip"
    with zipfile.ZipFile(io.BytesIO(r.data)) as z:
        names = set(z.namelist())
        png = next(n for n in names if n.endswith("-foto.png"))
        assert z.read(png) == files.PNG and png.startswith("attachments/")
        assert {f"{case.reference}-export.json", f"{case.reference}-export.pdf"} <= names and len(names) == 4
        assert json.loads(z.read(f"{case.reference}-export.json"))["attachments"][0]["sha256"]
    assert "attachments.files" in privacy.anonymise([case.id])
    db.session.commit()
    assert list(_folder(app).iterdir()) == [] and db.session.scalar(sa.select(sa.func.count(CaseAttachment.id))) == 0
    assert "attachments.files" not in privacy.anonymise([case.id])
