"""Where webhooks may be sent: https in production, and never to a non-global address.

A URL is checked when a subscription is saved (its form, and its host when that is an IP
literal) and again at every delivery, after DNS resolution: the request then goes to the checked
address itself, so a name that resolves elsewhere a moment later (DNS rebinding) cannot redirect it.
"""

import asyncio
import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import SplitResult, urlsplit

from app.webhooks.errors import TargetNotAllowed

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

__all__ = ["IPAddress", "ResolvedTarget", "TargetNotAllowed", "check_url", "is_public", "resolve"]


@dataclass(frozen=True)
class ResolvedTarget:
    """A target URL rewritten to the address it resolved to, and what the request must say."""

    url: str
    host_header: str
    sni_hostname: str | None


def check_url(url: str, *, require_https: bool, allow_private: bool) -> SplitResult:
    """The parsed URL, when its form is acceptable; ``TargetNotAllowed`` otherwise."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise TargetNotAllowed("The target URL is not a valid URL.") from None
    allowed_schemes = ("https",) if require_https else ("https", "http")
    if parts.scheme not in allowed_schemes:
        raise TargetNotAllowed(
            "The target URL must use https." if require_https else "The target URL must be http(s)."
        )
    host = parts.hostname
    if not host:
        raise TargetNotAllowed("The target URL has no host.")
    if parts.username is not None or parts.password is not None:
        raise TargetNotAllowed("The target URL must not hold credentials.")
    if parts.fragment:
        raise TargetNotAllowed("The target URL must not have a fragment.")
    if port == 0:
        raise TargetNotAllowed("The target URL's port is not valid.")
    if not allow_private:
        literal = _ip_literal(host)
        if literal is not None and not is_public(literal):
            raise TargetNotAllowed(f"The address {literal} is not a public address.")
        if host == "localhost" or host.endswith(".localhost"):
            raise TargetNotAllowed("The target URL points to this machine.")
    return parts


def is_public(address: IPAddress) -> bool:
    """Globally routable unicast: not private, loopback, link-local, shared, reserved…"""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return address.is_global and not address.is_multicast


async def resolve(url: str, *, require_https: bool, allow_private: bool) -> ResolvedTarget:
    """Checks ``url`` and the addresses its host resolves to; pins the request to one of them."""
    parts = check_url(url, require_https=require_https, allow_private=allow_private)
    host = parts.hostname
    assert host is not None
    port = parts.port or (443 if parts.scheme == "https" else 80)
    address = _ip_literal(host)
    if address is None:
        try:
            infos = await asyncio.get_running_loop().getaddrinfo(
                host, port, type=socket.SOCK_STREAM
            )
        except OSError as error:
            raise TargetNotAllowed(f"The target host does not resolve: {error}.") from None
        addresses = [ipaddress.ip_address(info[4][0]) for info in infos]
        if not addresses:
            raise TargetNotAllowed("The target host does not resolve.")
        if not allow_private:
            refused = [a for a in addresses if not is_public(a)]
            if refused:
                raise TargetNotAllowed(f"The target host resolves to {refused[0]}, not public.")
        address = addresses[0]
    elif not allow_private and not is_public(address):
        raise TargetNotAllowed(f"The address {address} is not a public address.")
    literal = f"[{address}]" if address.version == 6 else str(address)
    pinned = parts._replace(netloc=f"{literal}:{port}")
    host_header = parts.netloc.rpartition("@")[2]
    return ResolvedTarget(
        url=pinned.geturl(),
        host_header=host_header,
        sni_hostname=host if parts.scheme == "https" and _ip_literal(host) is None else None,
    )


def _ip_literal(host: str) -> IPAddress | None:
    try:
        return ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return None
