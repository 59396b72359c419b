"""Case file names and their download: names outside Latin-1 download (``filename*=UTF-8''…``
with an ASCII fallback), also over a real HTTP connection; the read is audited once the answer
is built and not when building it fails; the download keeps its own sandboxing policy; names
lose their format and control characters (bidirectional overrides) and are NFC, at upload and
when a name stored before is served."""
from __future__ import annotations

import hashlib
import http.client
import io
import secrets
from urllib.parse import urlsplit

import pytest
import sqlalchemy as sa
from werkzeug.http import parse_options_header

from casefiles.attachments import views
from casefiles.attachments.models import CaseAttachment
from casefiles.attachments.services import folder
from core import privacy
from core.audit import AuditEvent
from core.db import db
from tests.api.conftest import live  # noqa: F401 - the app in a real server on 127.0.0.1
from tests.conftest import csrf_token, login

from . import files

UTF8_NAMES = ("Brief gemeente – huur €.txt", "Schulden 📄 overzicht.txt")


def _upload(client, case, data: bytes, name: str):
    url = f"/cases/{case.id}/attachments"
    return client.post(url, data={"csrf_token": csrf_token(client, url), "file": (io.BytesIO(data), name)},
                       content_type="multipart/form-data")


def _stored(name: str) -> CaseAttachment:
    return db.session.scalars(sa.select(CaseAttachment).where(CaseAttachment.filename == name)).one()


def _offered_name(disposition: str) -> str:
    """The name a browser saves the download under (RFC 6266: ``filename*`` wins), after checking
    that the header can travel at all: a header value is Latin-1, here plain ASCII."""
    disposition.encode("ascii")
    kind, options = parse_options_header(disposition)
    assert kind == "attachment"
    return options["filename"]  # Werkzeug's parser gives the decoded filename* when present


def _attachment_reads(attachment_id: int) -> int:
    return sum(1 for d in db.session.scalars(sa.select(AuditEvent.details).where(AuditEvent.action == "case.read"))
               if d.get("view") == "attachment" and d.get("attachment") == attachment_id)


def test_a_name_outside_latin1_downloads_under_that_name_audited_once(client, world, create_case):
    case = create_case("accepted")
    login(client, world.owner)
    for name in UTF8_NAMES:
        assert _upload(client, case, files.TEXT, name).status_code == 302
    for name in UTF8_NAMES:
        attachment = _stored(name)
        r = client.get(f"/attachments/{attachment.id}/download")
        assert r.status_code == 200 and r.data == files.TEXT
        assert r.headers["Content-Type"] == "text/plain; charset=utf-8"
        disposition = r.headers["Content-Disposition"]
        assert "filename*=UTF-8''" in disposition and 'filename="' in disposition  # with an ASCII fallback
        assert _offered_name(disposition) == name
        assert _attachment_reads(attachment.id) == 1


def test_the_download_reaches_a_real_client_over_http(client, world, create_case, live):  # noqa: F811
    """Over a real connection a header outside Latin-1 cannot be sent at all: the server dropped
    the connection after the read was audited."""
    case = create_case("accepted")
    login(client, world.owner)
    assert _upload(client, case, files.TEXT, UTF8_NAMES[0]).status_code == 302
    attachment = _stored(UTF8_NAMES[0])
    cookie = client.get_cookie("session").value
    host, port = urlsplit(live.url).hostname, urlsplit(live.url).port
    connection = http.client.HTTPConnection(host, port, timeout=10)
    try:
        connection.request("GET", f"/attachments/{attachment.id}/download", headers={"Cookie": f"session={cookie}"})
        response = connection.getresponse()
        body = response.read()
    finally:
        connection.close()
    assert response.status == 200 and body == files.TEXT
    assert _offered_name(response.getheader("Content-Disposition")) == UTF8_NAMES[0]
    db.session.commit()  # see what the server's own session wrote
    assert _attachment_reads(attachment.id) == 1


def test_a_download_that_fails_to_build_is_not_audited(app, client, world, create_case, monkeypatch):
    case = create_case("accepted")
    login(client, world.owner)
    assert _upload(client, case, files.PDF, "brief.pdf").status_code == 302
    attachment = _stored("brief.pdf")

    def broken(*args, **kwargs):
        raise RuntimeError("the answer could not be built")

    monkeypatch.setattr(views, "send_document", broken)
    app.config["PROPAGATE_EXCEPTIONS"] = False
    assert client.get(f"/attachments/{attachment.id}/download").status_code == 500
    assert _attachment_reads(attachment.id) == 0


def test_the_download_keeps_its_own_sandboxing_policy(client, world, create_case):
    case = create_case("accepted")
    login(client, world.owner)
    assert _upload(client, case, files.HTML.replace(b"\x00", b""), "page.txt").status_code == 302
    attachment = db.session.scalars(sa.select(CaseAttachment)).one()
    r = client.get(f"/attachments/{attachment.id}/download")
    assert r.status_code == 200
    assert r.headers["Content-Security-Policy"] == "default-src 'none'; sandbox"
    assert r.headers["X-Content-Type-Options"] == "nosniff"
    # A page keeps the site's policy.
    assert "default-src 'self'" in client.get(f"/cases/{case.id}/attachments").headers["Content-Security-Policy"]


@pytest.mark.parametrize("uploaded, content, stored", [
    ("gpj.exe\u202e.txt", files.TEXT, "gpj.exe.txt"),          # right-to-left override: shown as txt.exe…
    ("\u202dbrief\u202c\u2066.pdf\u2069", files.PDF, "brief.pdf"),  # embeddings and isolates
    ("rapport.p\u200bdf", files.PDF, "rapport.pdf"),           # a zero-width space does not hide the extension
    ("Cafe\u0301 de\u00ad Zon.pdf", files.PDF, "Café de Zon.pdf"),  # NFC; the soft hyphen is a format character
    ("regel\u2028twee\u0085.txt", files.TEXT, "regeltwee.txt"),  # separators and C1 controls
    ("\u200b\u202e", files.TEXT, "bijlage.txt"),                 # nothing visible left (named in Dutch)
])
def test_names_lose_hidden_characters_and_are_nfc_at_upload(client, world, create_case, uploaded, content, stored):
    case = create_case("accepted")
    login(client, world.owner)
    assert _upload(client, case, content, uploaded).status_code == 302
    attachment = db.session.scalars(sa.select(CaseAttachment)).one()
    assert attachment.filename == stored and attachment.name == stored


def test_a_name_stored_before_is_served_clean(client, world, create_case):
    """Rows from before the rule: the page, the download, the export list and the export's zip
    all show the cleaned name; the row itself is left as it was."""
    case = create_case("accepted")
    key = secrets.token_hex(16)
    (folder() / key).write_bytes(files.TEXT)
    raw = "gpj.exe\u202e.txt"
    attachment = CaseAttachment(case_id=case.id, storage_key=key, filename=raw, mimetype="text/plain",
                                size=len(files.TEXT), sha256=hashlib.sha256(files.TEXT).hexdigest(),
                                uploaded_by_id=world.owner.id)
    db.session.add(attachment)
    db.session.commit()
    login(client, world.owner)
    page = client.get(f"/cases/{case.id}/attachments").get_data(as_text=True)
    assert "gpj.exe.txt" in page and "\u202e" not in page
    r = client.get(f"/attachments/{attachment.id}/download")
    assert r.status_code == 200 and _offered_name(r.headers["Content-Disposition"]) == "gpj.exe.txt"
    assert [a["name"] for a in privacy.build_export(case)["attachments"]] == ["gpj.exe.txt"]
    assert privacy.export_files(case)[0][0].endswith(f"{attachment.id}-gpj.exe.txt")
    assert db.session.get(CaseAttachment, attachment.id).filename == raw


def test_the_cleaning_is_stable(app):
    """Cleaning a cleaned name changes nothing, so the name served is the name stored."""
    from casefiles.attachments import filetypes
    from casefiles.attachments.names import clean_name

    for name in ("gpj.exe\u202e.txt", "a" * 300 + ".pdf", " . brief.pdf . ", "map/sub\\x.docx", "\u200b"):
        once = clean_name(name, filetypes.PDF)
        assert clean_name(once, filetypes.PDF) == once and len(once) <= 200
