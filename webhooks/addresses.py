"""Where a webhook may go: a public address only, checked when an administrator registers it and
again at every delivery (a name may resolve elsewhere by then).

A webhook makes this server send a request to an address an administrator typed, and the delivery
log shows the outcome; an internal address would let the log probe the server's own network
(server-side request forgery). So an address is refused when its host is, or resolves to, a
loopback, private, link-local, carrier-grade NAT, unique-local, site-local, unspecified, reserved,
documentation or multicast address, also when written in a numeric form a resolver accepts
(``2130706433``, ``0x7f.1``, ``127.1``, ``[::ffff:127.0.0.1]``), and when it is a name that only
means something inside a network (``localhost``, ``metadata.google.internal``, a name without a
dot). The delivery connects to the very addresses checked here (``webhooks.transport``).

Loopback is the one exception, and only with ``WEBHOOKS_ALLOW_HTTP_LOOPBACK`` (tests and a local
trial; the configuration never sets it in production): then plain HTTP to loopback is allowed.
"""
from __future__ import annotations

import ipaddress
import re
import socket
from dataclasses import dataclass
from urllib.parse import SplitResult, urlsplit

IP = ipaddress.IPv4Address | ipaddress.IPv6Address

#: Networks refused beyond what ``ipaddress`` calls private, reserved, link-local or multicast.
EXTRA_REFUSED = tuple(ipaddress.ip_network(n) for n in (
    "100.64.0.0/10",    # carrier-grade NAT (shared address space)
    "192.0.0.0/24",     # IETF protocol assignments
    "198.18.0.0/15",    # benchmarking
    "64:ff9b:1::/48",   # local-use NAT64
    "fec0::/10",        # site-local (deprecated, still routed inside some networks)
))
#: The well-known NAT64 prefix: the address it stands for is the last 32 bits.
NAT64 = ipaddress.ip_network("64:ff9b::/96")
#: Top-level names (and suffixes) that only mean something inside a network.
INTERNAL_SUFFIXES = ("localhost", "local", "localdomain", "internal", "intranet", "lan", "home", "corp",
                     "private", "arpa")
LOOPBACK_NAME = "localhost"
#: What ``localhost`` and its subdomains stand for (RFC 6761), without asking the resolver.
LOOPBACK_ADDRESSES = (ipaddress.IPv4Address("127.0.0.1"), ipaddress.IPv6Address("::1"))

_LABEL = re.compile(r"[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?")
_NUMBER = re.compile(r"0x[0-9a-f]*|[0-9]+")
_URL_CHARACTERS = re.compile(r"[!-\[\]-~]+")  # printable ASCII without spaces and backslashes


class Refused(Exception):
    """An address a webhook may not go to; ``why`` is one of the reasons below."""

    INVALID = "invalid"        # not a web address we can send to
    SCHEME = "scheme"          # not https (plain http only to loopback, only when allowed)
    NOT_FOUND = "not_found"    # the name does not resolve
    INTERNAL = "internal"      # an internal name, or a name or number for an internal address

    def __init__(self, why: str):
        super().__init__(why)
        self.why = why


@dataclass(frozen=True)
class Target:
    """A checked address: its host as sent (Host header, TLS name), its port and the addresses
    the delivery may connect to (every one checked)."""

    host: str
    port: int
    addresses: tuple[IP, ...]


def check(url: str, *, allow_loopback: bool) -> Target:
    """The checked target of ``url``, or ``Refused``. What the text alone decides (numeric hosts,
    internal names, the scheme) is decided before any lookup, so a refused address costs none."""
    parts = _split(url)
    if parts.scheme not in ("http", "https"):
        raise Refused(Refused.SCHEME)
    host = parts.hostname
    port = parts.port or (443 if parts.scheme == "https" else 80)
    numeric = _numeric(host, bracketed="[" in parts.netloc)
    loopback_host = _is_loopback_name(host) if numeric is None else _loopback(numeric)
    addresses: tuple[IP, ...] | None = None
    if numeric is not None:
        addresses = _allowed((numeric,), allow_loopback)
    elif loopback_host:
        addresses = _allowed(LOOPBACK_ADDRESSES, allow_loopback)
    else:
        _check_name(host)
    if parts.scheme == "http" and not loopback_host:
        raise Refused(Refused.SCHEME)
    if addresses is None:
        addresses = _allowed(resolve(host, port), allow_loopback)
    return Target(host=host, port=port, addresses=addresses)


def _allowed(addresses: tuple[IP, ...], allow_loopback: bool) -> tuple[IP, ...]:
    """The addresses, when every one may be connected to (loopback only when allowed)."""
    for address in addresses:
        if refused(address) and not (allow_loopback and _loopback(address)):
            raise Refused(Refused.INTERNAL)
    return addresses


def refused(address: IP) -> bool:
    """True for every address that is not a public unicast address, also when it stands for an
    IPv4 address inside an IPv6 one (IPv4-mapped, 6to4, NAT64)."""
    embedded = _embedded_ipv4(address)
    if embedded is not None and refused(embedded):
        return True
    return (not address.is_global or address.is_private or address.is_loopback or address.is_link_local
            or address.is_multicast or address.is_unspecified or address.is_reserved
            or any(address in network for network in EXTRA_REFUSED if network.version == address.version))


def resolve(host: str, port: int) -> tuple[IP, ...]:
    """Every address the name resolves to now, in the resolver's order (``Refused`` when none)."""
    try:
        answers = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError):
        raise Refused(Refused.NOT_FOUND) from None
    found: list[IP] = []
    for family, _type, _proto, _name, sockaddr in answers:
        if family not in (socket.AF_INET, socket.AF_INET6):
            continue
        address = ipaddress.ip_address(sockaddr[0])
        if address not in found:
            found.append(address)
    if not found:
        raise Refused(Refused.NOT_FOUND)
    return tuple(found)


def _split(url: str) -> SplitResult:
    """The parts of a URL we can check and send to: printable ASCII, a host, no credentials, no
    fragment, a valid port."""
    if not url or len(url) > 500 or not _URL_CHARACTERS.fullmatch(url):
        raise Refused(Refused.INVALID)
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError for a port out of range
    except ValueError:
        raise Refused(Refused.INVALID) from None
    if not parts.hostname or parts.username is not None or parts.password is not None or parts.fragment:
        raise Refused(Refused.INVALID)
    return parts


def _numeric(host: str, *, bracketed: bool) -> IP | None:
    """The address of a host written as a number, read the way a resolver reads it: an IPv6
    literal in brackets, or IPv4 in any ``inet_aton`` form (``2130706433``, ``0x7f.1``, ``017700000001``,
    ``127.1``); a host whose last label is a number is such a form or invalid (as in browsers)."""
    if bracketed:
        try:
            return ipaddress.IPv6Address(host)
        except ValueError:
            raise Refused(Refused.INVALID) from None
    labels = host.removesuffix(".").split(".")
    if not _NUMBER.fullmatch(labels[-1]):
        return None
    try:
        return ipaddress.IPv4Address(socket.inet_aton(host.removesuffix(".")))
    except OSError:
        raise Refused(Refused.INVALID) from None


def _is_loopback_name(host: str) -> bool:
    name = host.removesuffix(".")
    return name == LOOPBACK_NAME or name.endswith("." + LOOPBACK_NAME)


def _check_name(host: str) -> None:
    """A host name of valid labels; refused when it only means something inside a network."""
    name = host.removesuffix(".")
    labels = name.split(".")
    if len(name) > 253 or not all(_LABEL.fullmatch(label) for label in labels):
        raise Refused(Refused.INVALID)
    if len(labels) < 2 or any(name == s or name.endswith("." + s) for s in INTERNAL_SUFFIXES):
        raise Refused(Refused.INTERNAL)


def _loopback(address: IP) -> bool:
    embedded = _embedded_ipv4(address)
    return address.is_loopback or (embedded is not None and embedded.is_loopback)


def _embedded_ipv4(address: IP) -> ipaddress.IPv4Address | None:
    if address.version == 4:
        return None
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if address in NAT64:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return None
