"""core.documents: what a document may load. The renderer reads only the static folder: an image
or stylesheet pointing at a web address or another file on the server is never fetched."""
from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from jinja2 import ChoiceLoader, DictLoader

from core.documents import render_pdf
from tests.pdfcheck import assert_archive_pdf


def test_documents_fetch_nothing_from_outside(app):
    hits = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 - http.server's name
            hits.append(self.path)
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}"
    app.jinja_loader = ChoiceLoader([app.jinja_loader, DictLoader({"probe.html": (
        '{% extends "documents/base.html" %}{% block body %}<h1>Proef</h1><p>Tekst met een ë en €.</p>'
        f'<img src="{url}/img.png"><link rel="stylesheet" href="{url}/x.css">'
        '<img src="file:///etc/passwd"><img src="../../../../etc/hostname">{% endblock %}')})])
    try:
        with app.test_request_context():
            body = render_pdf("probe.html", title="Proef")
        # Only the shipped fonts and stylesheet were read; the loopback server saw nothing.
        seen = assert_archive_pdf(body)
        assert "Tekst met een ë en €." in seen["text"] and seen["dc:title"] == "Proef"
        assert hits == []
    finally:
        server.shutdown()
