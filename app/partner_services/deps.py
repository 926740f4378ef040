"""Who may do what with a partner's services, as ``Annotated`` dependencies over
``organizations.permissions`` (the path's organization is always the client's):

- **partner staff**: the partner's members allowed to act for its clients (its legal
  representatives, administrators and designated staff) reaching the client through the
  partnership — they record requests, log time, write quotes and issue invoices;
- **client members**: the client's own members — they open requests, reply, ask to stop;
- **signatories**: the client's legal representatives and administrators (as members) — they
  accept quotes;
- **invoice readers**: partner staff, and the client's billing managers (its legal
  representatives and administrators, as members, even once the partnership has ended).
"""

import uuid
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends

from app.accounts.deps import RequestClient, require_scope
from app.activity.types import Actor
from app.core.db import Session
from app.core.errors import raises
from app.organizations import service as organizations
from app.organizations.permissions import AccessVia, Member, OrganizationAccess
from app.partner_services.errors import (
    ClientMemberOnly,
    InvoiceReaderRequired,
    NoManagingPartner,
    PartnerStaffOnly,
    SignatoryRequired,
)

READ = require_scope("partner_services:read")
WRITE = require_scope("partner_services:write")


@dataclass(frozen=True)
class ClientScope:
    """The caller in a client organization, and the partner whose services are concerned."""

    access: OrganizationAccess
    partner_id: uuid.UUID
    client_id: uuid.UUID
    actor: Actor

    @property
    def staff(self) -> bool:
        return self.access.via == AccessVia.partner


async def _partner_of(session: Session, access: OrganizationAccess) -> uuid.UUID | None:
    if access.via == AccessVia.partner and access.partner is not None:
        return access.partner.id
    partnership = await organizations.partnership_for_client(session, access.organization.id)
    return partnership.partner_organization_id if partnership else None


@raises(NoManagingPartner, ClientMemberOnly)
async def client_scope(access: Member, client: RequestClient, session: Session) -> ClientScope:
    """Partner staff or the client's members, while a partner manages the client."""
    if access.via == AccessVia.support:
        raise ClientMemberOnly("Support staff do not act on a partner's services.")
    partner_id = await _partner_of(session, access)
    if partner_id is None:
        raise NoManagingPartner("No partner manages this organization.")
    return ClientScope(access, partner_id, access.organization.id, access.actor.with_ip(client.ip))


Involved = Annotated[ClientScope, Depends(client_scope)]


@raises(PartnerStaffOnly)
async def partner_staff(scope: Involved) -> ClientScope:
    if not scope.staff:
        raise PartnerStaffOnly("Only the partner's staff acting for clients can do this.")
    return scope


PartnerStaff = Annotated[ClientScope, Depends(partner_staff)]


@raises(ClientMemberOnly)
async def client_member(scope: Involved) -> ClientScope:
    if scope.access.via != AccessVia.membership:
        raise ClientMemberOnly("Only the client's own members can do this.")
    return scope


ClientMember = Annotated[ClientScope, Depends(client_member)]


@raises(SignatoryRequired)
async def signatory(scope: ClientMember) -> ClientScope:
    if not scope.access.is_manager:
        raise SignatoryRequired("Only a legal representative or an administrator can sign.")
    return scope


Signatory = Annotated[ClientScope, Depends(signatory)]


@dataclass(frozen=True)
class InvoiceScope:
    client_id: uuid.UUID
    partner_id: uuid.UUID | None
    """Partner staff see their partner's invoices only; the client sees all of its own."""


@raises(InvoiceReaderRequired)
async def invoice_reader(access: Member) -> InvoiceScope:
    if access.via == AccessVia.partner and access.partner is not None:
        return InvoiceScope(access.organization.id, access.partner.id)
    if access.via == AccessVia.membership and access.is_manager:
        return InvoiceScope(access.organization.id, None)
    raise InvoiceReaderRequired(
        "Only the client's billing managers and the partner's staff see these."
    )


InvoiceReader = Annotated[InvoiceScope, Depends(invoice_reader)]
