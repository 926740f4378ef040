"""The single sign-on domain's enums, which other domains may import."""

from enum import StrEnum


class DomainProof(StrEnum):
    dns = "dns"
    """A TXT record at ``_manager-verification.<domain>`` holds the given value."""
    email = "email"
    """A code mailed to an administrative address of the domain (admin@, hostmaster@…)."""
