"""Looking up a domain's TXT records, behind an interface so tests can answer it.

The real lookup is ``dnspython``'s asynchronous resolver; ``app.main`` puts one in
``app.state.dns_resolver``.
"""

from typing import Protocol

import dns.asyncresolver
import dns.exception
import dns.resolver

RECORD_PREFIX = "_manager-verification"
VALUE_PREFIX = "manager-verification="


class TxtResolver(Protocol):
    async def txt(self, name: str) -> list[str]:
        """The TXT strings published at ``name`` (empty when there are none)."""
        ...


class DnsPythonResolver:
    """TXT records from the system's resolvers, through dnspython."""

    def __init__(self, timeout_seconds: float = 5.0) -> None:
        self.timeout_seconds = timeout_seconds

    async def txt(self, name: str) -> list[str]:
        try:
            answer = await dns.asyncresolver.resolve(name, "TXT", lifetime=self.timeout_seconds)
        except (dns.resolver.NXDOMAIN, dns.resolver.NoAnswer, dns.resolver.NoNameservers):
            return []
        except dns.exception.Timeout:
            return []
        return [
            b"".join(record.strings).decode(errors="replace")
            for record in answer
            if hasattr(record, "strings")
        ]


def record_name(domain: str) -> str:
    return f"{RECORD_PREFIX}.{domain}"


def record_value(token: str) -> str:
    return f"{VALUE_PREFIX}{token}"
