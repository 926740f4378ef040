"""Who acts: one value, built by the authentication and permission dependencies, passed to every
service as ``by=`` and written into the activity log by ``activity.service.record``.

``organization_id`` is *as whom* the account acts: the organization itself for its members, the
partner organization for partner staff acting in a client, none for an account acting on itself.
"""

import uuid
from dataclasses import dataclass, replace
from enum import StrEnum


class Via(StrEnum):
    """How the actor reaches what it acts on."""

    account = "account"
    """The account itself, on its own account (profile, sessions, tokens)."""
    member = "member"
    partner = "partner"
    """Staff of the partner managing the organization."""
    support = "support"
    """Platform support staff, while the organization grants support access."""
    system = "system"
    """The service itself: a worker job, a sweep, a webhook or bank-file import."""
    customer = "customer"
    """Someone without an account: a ticket buyer in the shop."""


@dataclass(frozen=True)
class Actor:
    account_id: uuid.UUID | None
    organization_id: uuid.UUID | None = None
    via: Via = Via.account
    token: bool = False
    """True when the account called with a personal access token rather than a session."""
    ip: str | None = None

    @classmethod
    def system(cls) -> "Actor":
        return cls(account_id=None, via=Via.system)

    @classmethod
    def customer(cls, ip: str | None = None) -> "Actor":
        return cls(account_id=None, via=Via.customer, ip=ip)

    def with_ip(self, ip: str | None) -> "Actor":
        return replace(self, ip=ip)
