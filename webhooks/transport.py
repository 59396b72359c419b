"""Sending to a checked address: a ``urllib`` opener whose connections go to the addresses
``webhooks.addresses.check`` approved, never to what the name resolves to a moment later (a
name's answer can change between the check and the connection: DNS rebinding).

The request itself is unchanged: the Host header names the host of the URL, and HTTPS sends that
name as SNI and checks the certificate against it (``http.client`` wraps our pinned socket).
No proxy from the environment is used (the connection must go to the checked address) and a
redirect is an answer, not a place to go.
"""
from __future__ import annotations

import http.client
import socket
import ssl
import sys
import urllib.request

from .addresses import IP, Target


class PinnedHTTPConnection(http.client.HTTPConnection):
    """An HTTP connection to the checked addresses of ``target`` (tried in order); no name is
    resolved. A host or port that ``http.client`` read differently from the check is refused."""

    target: Target | None = None

    def connect(self) -> None:
        sys.audit("http.client.connect", self, self.host, self.port)
        target = self.target
        if target is None or self.host.lower() != target.host or self.port != target.port:
            raise ConnectionError("the request's host is not the checked one")
        self.sock = open_socket(target.addresses, target.port, self.timeout)


class PinnedHTTPSConnection(http.client.HTTPSConnection, PinnedHTTPConnection):
    """HTTPS over the pinned socket: ``HTTPSConnection.connect`` calls the pinned ``connect``,
    then wraps the socket with the host name for SNI and the certificate check."""


def open_socket(addresses: tuple[IP, ...], port: int, timeout) -> socket.socket:
    """A TCP connection to the first of ``addresses`` that answers (no name is resolved here)."""
    error: OSError = OSError("no address to connect to")
    for address in addresses:
        sock = socket.socket(socket.AF_INET6 if address.version == 6 else socket.AF_INET, socket.SOCK_STREAM)
        try:
            if isinstance(timeout, (int, float)):
                sock.settimeout(timeout)
            sock.connect((str(address), port))
            return sock
        except OSError as exc:
            sock.close()
            error = exc
    raise error


def _pinned(connection_class, target: Target):
    def make(host, **kwargs):
        connection = connection_class(host, **kwargs)
        connection.target = target
        return connection
    return make


class _HTTPHandler(urllib.request.HTTPHandler):
    def __init__(self, target: Target):
        super().__init__()
        self.target = target

    def http_open(self, req):
        return self.do_open(_pinned(PinnedHTTPConnection, self.target), req)


class _HTTPSHandler(urllib.request.HTTPSHandler):
    def __init__(self, target: Target):
        super().__init__()
        self.target = target

    def https_open(self, req):
        return self.do_open(_pinned(PinnedHTTPSConnection, self.target), req,
                            context=ssl.create_default_context())


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):  # a redirect is an answer, not a place to go
        return None


def opener(target: Target) -> urllib.request.OpenerDirector:
    """An opener for a request to the checked URL: its connections go to ``target``'s addresses."""
    return urllib.request.build_opener(urllib.request.ProxyHandler({}), _NoRedirect,
                                       _HTTPHandler(target), _HTTPSHandler(target))
