"""Webhook addresses at delivery, through the real parts: the address is checked again (DNS
rebinding) and a refused one is never connected to; an allowed delivery connects to the checked
address while the Host header, the TLS name and the certificate check stay with the host name
(a real HTTPS receiver on loopback); the delivery log shows a generic reason, never the remote
side's text.

The resolver answers only what a test says (``dns``, conftest) and the ``connections`` guard
refuses any connection beyond loopback, so no test reaches another machine."""
from __future__ import annotations

import socket
import ssl
import threading
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import pytest
import sqlalchemy as sa
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from core.clock import utcnow
from core.db import db
from webhooks import delivery, services
from webhooks.events import emit
from webhooks.models import (
    DeliveryStatus,
    FailureReason,
    WebhookDelivery,
    WebhookEndpoint,
)

from .conftest import serving

PUBLIC = "93.184.216.34"  # a public address: answered by the test resolver, never connected to


def _endpoint(world, url: str) -> WebhookEndpoint:
    endpoint, _secret = services.create_endpoint(world.admin, world.org, url=url, event_types=["action.changed"])
    emit("action.changed", world.org.id, "actions/1", {"action": 1})
    db.session.commit()
    return endpoint


def _row() -> WebhookDelivery:
    row = db.session.scalar(sa.select(WebhookDelivery))
    db.session.refresh(row)
    return row


@pytest.mark.parametrize("later", ["10.0.0.5", "127.0.0.1", "169.254.169.254", "::1", "::ffff:10.0.0.5"])
def test_dns_rebinding_is_refused_at_delivery_without_connecting(later, app, world, dns, connections):
    dns.answers["hooks.example.org"] = [[PUBLIC], [later]]  # public when registered, internal later
    endpoint = _endpoint(world, "https://hooks.example.org/in")
    assert delivery.deliver(utcnow()) == "delivered 0, to retry 1, failed 0, postponed 0"
    row = _row()
    assert (row.status, row.last_status_code, row.last_error) == (DeliveryStatus.PENDING, None, FailureReason.ADDRESS)
    assert row.answer == "Address not allowed"
    assert connections == [] and dns.asked == ["hooks.example.org", "hooks.example.org"]
    db.session.refresh(endpoint)
    assert endpoint.consecutive_failures == 1  # counts as a failure


def _tls_files(tmp_path, name: str):
    """A test certificate authority and a certificate for ``name`` signed by it (files)."""
    now = datetime.now(UTC)

    def certificate(subject, issuer, key, signer, *, ca: bool, san=None):
        builder = (x509.CertificateBuilder().subject_name(subject).issuer_name(issuer).public_key(key.public_key())
                   .serial_number(x509.random_serial_number()).not_valid_before(now - timedelta(minutes=5))
                   .not_valid_after(now + timedelta(days=1))
                   .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True))
        if san:
            builder = builder.add_extension(x509.SubjectAlternativeName([x509.DNSName(san)]), critical=False)
        return builder.sign(signer, hashes.SHA256())

    ca_key, key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Expertteam test CA")])
    ca = certificate(ca_name, ca_name, ca_key, ca_key, ca=True)
    leaf = certificate(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)]), ca_name, key, ca_key, ca=False,
                       san=name)
    pem = serialization.Encoding.PEM
    (tmp_path / "ca.pem").write_bytes(ca.public_bytes(pem))
    (tmp_path / "server.pem").write_bytes(leaf.public_bytes(pem) + key.private_bytes(
        pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    return tmp_path / "ca.pem", tmp_path / "server.pem"


@pytest.fixture
def tls_receiver(tmp_path, monkeypatch):
    """A real HTTPS receiver on 127.0.0.1 with a certificate for ``hooks.example.test`` from a
    test authority the client trusts (SSL_CERT_FILE); records the TLS names (SNI) it was sent."""
    ca_file, server_file = _tls_files(tmp_path, "hooks.example.test")
    monkeypatch.setenv("SSL_CERT_FILE", str(ca_file))
    monkeypatch.setenv("SSL_CERT_DIR", str(tmp_path))
    names: list[str] = []
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(server_file)
    context.sni_callback = lambda _sock, name, _ctx: names.append(name)
    with serving(wrap=lambda sock: context.wrap_socket(sock, server_side=True), names=names) as state:
        yield state


def test_delivery_connects_to_the_checked_address_and_keeps_the_host_name(
        app, world, dns, connections, tls_receiver):
    app.config["WEBHOOKS_ALLOW_HTTP_LOOPBACK"] = True  # the only way a test may resolve a name to loopback
    # Registration and the delivery's check see loopback; any later lookup would answer a private
    # address, which the guard refuses: the delivery succeeds only by connecting to what it checked.
    dns.answers["hooks.example.test"] = [["127.0.0.1"], ["127.0.0.1"], ["10.0.0.5"]]
    _endpoint(world, f"https://hooks.example.test:{tls_receiver.port}/in")
    assert delivery.deliver(utcnow()) == "delivered 1, to retry 0, failed 0, postponed 0"
    (message,) = tls_receiver.received
    assert message.headers["host"] == f"hooks.example.test:{tls_receiver.port}"
    assert tls_receiver.names == ["hooks.example.test"]  # SNI: the name, not the address
    assert connections == [("127.0.0.1", tls_receiver.port)]
    assert dns.asked == ["hooks.example.test", "hooks.example.test"]  # registration, delivery: no third
    assert (_row().status, _row().answer) == (DeliveryStatus.DELIVERED, "HTTP 200")


def test_the_certificate_is_checked_against_the_host_name(app, world, dns, tls_receiver):
    app.config["WEBHOOKS_ALLOW_HTTP_LOOPBACK"] = True
    dns.answers["other.example.test"] = ["127.0.0.1"]  # the right address, but not the certificate's name
    _endpoint(world, f"https://other.example.test:{tls_receiver.port}/in")
    assert delivery.deliver(utcnow()) == "delivered 0, to retry 1, failed 0, postponed 0"
    assert tls_receiver.received == []
    row = _row()
    assert (row.last_error, row.answer) == (FailureReason.TLS, "TLS error")


# --- generic reasons in the delivery log ----------------------------------------------------------

def _raw_server(reply: bytes | None):
    """A TCP server on 127.0.0.1 that answers one connection with ``reply`` and hangs up, or
    (None) accepts nothing and never answers. Stop it with ``_stop``."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)

    def serve_once():
        try:
            conn, _ = listener.accept()
        except OSError:
            return
        with conn:
            conn.recv(65536)
            conn.sendall(reply)

    thread = threading.Thread(target=serve_once, daemon=True)
    if reply is not None:
        thread.start()
    return SimpleNamespace(listener=listener, thread=thread)


def _stop(server) -> None:
    """Wake a waiting ``accept`` (shutdown), then close: the file number may be reused at once."""
    try:
        server.listener.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
    server.listener.close()
    if server.thread.is_alive():
        server.thread.join(5)


def _closed_port() -> int:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    return port


@pytest.mark.parametrize("case", ["refused", "banner", "silent", "http_error"])
def test_the_delivery_log_shows_a_generic_reason_never_the_remote_text(case, app, world, client, login_as):
    app.config.update(WEBHOOKS_ALLOW_HTTP_LOOPBACK=True, WEBHOOKS_TIMEOUT=0.5)
    banner = b"SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3\r\n"
    replies = {"banner": banner, "silent": None,
               "http_error": b"HTTP/1.1 500 Internal Server Error\r\nContent-Length: 24\r\n\r\nstack trace: db.internal"}
    server = None if case == "refused" else _raw_server(replies[case])
    port = _closed_port() if server is None else server.listener.getsockname()[1]
    try:
        endpoint = _endpoint(world, f"http://127.0.0.1:{port}/hook")
        assert delivery.deliver(utcnow()) == "delivered 0, to retry 1, failed 0, postponed 0"
    finally:
        if server is not None:
            _stop(server)
    expected = {"refused": (FailureReason.CONNECTION, "Connection failed"),
                "banner": (FailureReason.CONNECTION, "Connection failed"),
                "silent": (FailureReason.TIMEOUT, "Timed out"), "http_error": (FailureReason.HTTP, "HTTP 500")}[case]
    row = _row()
    assert (row.last_error, row.answer) == expected
    world.admin.locale = "en"
    db.session.commit()
    page = login_as(world.admin).get(f"/admin/webhooks/{endpoint.id}").get_data(as_text=True)
    assert expected[1] in page
    for remote in ("SSH-2.0", "OpenSSH", "Errno", "Connection refused", "stack trace", "db.internal", "TimeoutError",
                   "BadStatusLine", "RemoteDisconnected"):
        assert remote not in page


def test_a_log_row_with_other_stored_text_keeps_it_hidden(app, world, client, login_as):
    app.config["WEBHOOKS_ALLOW_HTTP_LOOPBACK"] = True
    endpoint = _endpoint(world, "http://127.0.0.1:9/hook")
    db.session.execute(sa.update(WebhookDelivery).values(
        attempts=1, last_attempt_at=utcnow(), last_error="ConnectionRefusedError: [Errno 111] Connection refused"))
    world.admin.locale = "en"
    db.session.commit()
    page = login_as(world.admin).get(f"/admin/webhooks/{endpoint.id}").get_data(as_text=True)
    assert "Delivery failed" in page and "Errno" not in page and "ConnectionRefusedError" not in page
