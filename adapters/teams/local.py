"""Local mode: Teams without authentication, for the Agents Playground or the Bot Framework
Emulator on the same machine. Nothing in a request can prove it is local, so local mode
exists only while golive listens on a loopback address, and then only for requests whose
connection comes from loopback, not relayed by a proxy."""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit

from aiohttp import web

# A proxy on this machine makes every peer look local: what it relays is not.
_RELAYED = ("Forwarded", "X-Forwarded-For", "X-Real-IP")


def is_loopback_host(host: str | None) -> bool:
    """Whether ``host`` (an address or a name) is this machine only."""
    host = (host or "").strip().strip("[]").lower()
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host.split("%")[0]).is_loopback
    except ValueError:
        return False


def is_loopback(url: str) -> bool:
    """Whether ``url`` is an HTTP address on this machine."""
    try:
        parts = urlsplit(url)
        return parts.scheme in ("http", "https") and is_loopback_host(parts.hostname)
    except ValueError:  # an unparsable URL (a bad port, a broken IPv6 literal)
        return False


def refusal(request: web.Request) -> str | None:
    """Why local mode must not serve ``request`` (its peer is not this machine, or a proxy
    relayed it); None when it may."""
    peer = request.remote
    if not peer or not _is_loopback_address(peer):
        return f"a peer off this machine ({peer or 'unknown'})"
    relayed = [name for name in _RELAYED if name in request.headers]
    if relayed:
        return f"a request relayed by a proxy ({relayed[0]} header)"
    return None


def _is_loopback_address(peer: str) -> bool:
    try:
        address = ipaddress.ip_address(peer.split("%")[0])
    except ValueError:
        return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return address.is_loopback
