"""Fixtures of the webhook tests: a real HTTP receiver on loopback, a resolver that answers only
the names a test gives it (no test ever asks the real DNS), and a guard that records every
connection the process makes during a test and refuses any beyond loopback (a test never
reaches another machine, whatever the code under test does)."""
from __future__ import annotations

import base64
import hashlib
import hmac
import ipaddress
import json
import socket
import sys
import threading
import time
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import SimpleNamespace

import pytest

_watch = SimpleNamespace(connections=None, installed=False)


def _audit(event: str, args) -> None:
    """Audit hook (the interpreter's own ``socket.connect`` event): record, and refuse any
    connection to an address that is not loopback while a test watches."""
    if event != "socket.connect" or _watch.connections is None or not isinstance(args[1], tuple):
        return
    host, port = args[1][:2]
    _watch.connections.append((host, port))
    try:
        loopback = ipaddress.ip_address(host.split("%")[0]).is_loopback
    except ValueError:
        loopback = False
    if not loopback:
        raise PermissionError(f"a test tried to connect to {host}:{port}")


@pytest.fixture(autouse=True)
def english(app):
    """The webhook tests read the messages and reasons in English (the app's default language is
    Dutch, in which they are translated too)."""
    from flask_babel import force_locale

    with app.app_context(), force_locale("en"):
        yield


@pytest.fixture(autouse=True)
def connections():
    """Every (address, port) connected to during the test; non-loopback ones are refused."""
    if not _watch.installed:
        sys.addaudithook(_audit)
        _watch.installed = True
    _watch.connections = []
    try:
        yield _watch.connections
    finally:
        _watch.connections = None


@pytest.fixture(autouse=True)
def dns(monkeypatch):
    """The resolver (``socket.getaddrinfo``) answers from ``dns.answers``: a name maps to a list
    of addresses, or to a list of such lists for successive lookups (the last one repeats).
    Numeric hosts are answered without any lookup; other names are not found. ``dns.asked``
    lists the names looked up."""
    state = SimpleNamespace(answers={}, asked=[])
    real = socket.getaddrinfo

    def getaddrinfo(host, port, family=0, type=0, proto=0, flags=0):
        name = host.decode() if isinstance(host, bytes) else host
        if name not in state.answers:
            return real(host, port, family, type, proto, flags | socket.AI_NUMERICHOST)
        state.asked.append(name)
        answer = state.answers[name]
        if answer and isinstance(answer[0], list):
            answer = answer.pop(0) if len(answer) > 1 else answer[0]
        if not answer:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        result = []
        for text in answer:
            address = ipaddress.ip_address(text)
            family_ = socket.AF_INET6 if address.version == 6 else socket.AF_INET
            sockaddr = (text, int(port or 0)) if address.version == 4 else (text, int(port or 0), 0, 0)
            result.append((family_, socket.SOCK_STREAM, socket.IPPROTO_TCP, "", sockaddr))
        return result

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    return state


def _valid(secret: str, headers, body: bytes) -> bool:
    """The receiver's own check of the Standard Webhooks signature (independent of the app's code)."""
    key = base64.b64decode(secret.removeprefix("whsec_"))
    signed = f"{headers['webhook-id']}.{headers['webhook-timestamp']}.".encode() + body
    expected = "v1," + base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
    fresh = abs(time.time() - int(headers["webhook-timestamp"])) < 300
    return fresh and any(hmac.compare_digest(expected, s) for s in headers["webhook-signature"].split())


@contextmanager
def serving(wrap=None, **extra):
    """A threaded HTTP server on 127.0.0.1, as its state: each POST recorded in ``received``
    (path, headers, body, signature valid), answered with ``status`` (settable; 200 by default);
    ``wrap`` may turn its socket into a TLS one; ``extra`` adds to the state."""
    state = SimpleNamespace(received=[], status=200, secrets={}, delay=0.0, lock=threading.Lock(), **extra)

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers["Content-Length"]))
            time.sleep(state.delay)
            secret = state.secrets.get(self.path)
            with state.lock:
                headers = {k.lower(): v for k, v in self.headers.items()}
                state.received.append(SimpleNamespace(path=self.path, headers=headers, event=json.loads(body),
                                                      valid=secret is not None and _valid(secret, headers, body)))
            self.send_response(state.status)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    if wrap is not None:
        server.socket = wrap(server.socket)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    state.port = server.server_port
    state.url = f"http://127.0.0.1:{state.port}"
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


@pytest.fixture
def receiver():
    """A real HTTP receiver on 127.0.0.1 (``serving``)."""
    with serving() as state:
        yield state
