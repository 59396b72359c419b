"""Archive copies as PDF/A, made on the server (WeasyPrint).

``render_pdf(template, title=..., **context)`` renders a template that extends
``documents/base.html`` (the print stylesheet ``static/documents.css``) and returns PDF/A bytes:

- PDF/A-2u by default, PDF/A-3u when files are embedded (an advice embeds its content as JSON);
- the fonts are the DejaVu files shipped in ``static/fonts`` (with their licence), embedded as
  subsets: the same document on every machine, whatever fonts the system has;
- document language Dutch (``lang="nl"``, rendered in Dutch whatever the reader's interface),
  title, author, subject and keywords in the document information and the XMP metadata;
- tagged (a structure tree for screen readers) as far as WeasyPrint makes it.

Nothing is fetched from outside: the URL fetcher serves only files under the static folder, so a
link or image in user text can never make the server fetch an address.

``send_document(body, filename, mimetype)`` sends any file the app offers (a PDF, a table, a
calendar, a case file) as a download: every file name goes out through it.
"""
from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from flask import Response, current_app, render_template, send_file
from flask_babel import force_locale

#: The archive copies' language (the official documents of a Dutch municipality's team).
DOCUMENT_LOCALE = "nl"

#: The Content-Security-Policy of a download: nothing loads, nothing runs (``core.web`` keeps a
#: response's own policy).
DOWNLOAD_POLICY = "default-src 'none'; sandbox"


@dataclass(frozen=True)
class Embedded:
    """A file embedded in a PDF/A-3 document (e.g. the machine-readable advice)."""

    name: str
    data: bytes
    description: str
    """The file's type comes from its name (``advice.json`` → application/json)."""
    relationship: str = "Source"


def _static_root() -> Path:
    return Path(current_app.static_folder).resolve()


def _fetcher():
    """A URL fetcher that serves only files under the static folder (fonts, the stylesheet)."""
    from weasyprint.urls import URLFetcher

    root = _static_root()

    class StaticOnly(URLFetcher):
        def fetch(self, url, headers=None):
            path = Path(url[len("file://"):].split("?")[0]).resolve() if url.startswith("file://") else None
            if path is None or not path.is_relative_to(root) or not path.is_file():
                raise ValueError(f"not fetched in a document: {url[:80]}")
            return super().fetch(url, headers)

    return StaticOnly(allowed_protocols=("file",), timeout=5)


def render_html(template: str, **context) -> str:
    with force_locale(DOCUMENT_LOCALE):
        return render_template(template, document_lang=DOCUMENT_LOCALE, **context)


def render_pdf(template: str, *, title: str | Callable[[], str], embedded: tuple[Embedded, ...] = (),
               **context) -> bytes:
    """The template as PDF/A bytes (PDF/A-3u with embedded files, else PDF/A-2u). ``title`` may
    be a function, called in the document's language."""
    from weasyprint import HTML, Attachment

    with force_locale(DOCUMENT_LOCALE):
        title = title() if callable(title) else title
    html = render_html(template, title=title, **context)
    fetcher = _fetcher()
    attachments = [
        Attachment(string=e.data, name=e.name, description=e.description, relationship=e.relationship,
                   url_fetcher=fetcher)
        for e in embedded
    ]
    document = HTML(string=html, base_url=str(_static_root()) + "/", url_fetcher=fetcher)
    return document.write_pdf(
        pdf_variant="pdf/a-3u" if embedded else "pdf/a-2u",
        pdf_tags=True,
        attachments=attachments,
        custom_metadata=True,
        uncompressed_pdf=False,
    )


def send_document(body: bytes, filename: str, mimetype: str = "application/pdf", *, inline: bool = False) -> Response:
    """A file made by the app (or kept for it) as a download, named ``filename``: the one way a
    file name goes out. Flask's ``send_file`` writes the Content-Disposition, with
    ``filename*=UTF-8''…`` and an ASCII fallback for a name outside ASCII (a header holds Latin-1
    only). Never sniffed, never cached by a shared cache; a download (not ``inline``) is also
    sandboxed, should a browser ever show it."""
    response = send_file(io.BytesIO(body), mimetype=mimetype, as_attachment=not inline, download_name=filename,
                         conditional=False, etag=False)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, no-store"
    if not inline:
        response.headers["Content-Security-Policy"] = DOWNLOAD_POLICY
    return response
