"""Loading a ticket office (and what is in it) for a caller holding the right it needs."""

import uuid
from dataclasses import dataclass
from typing import Annotated

from fastapi import Request, params

from app.accounts.deps import CurrentPrincipal
from app.core.db import Session
from app.core.errors import Forbidden, NotFound
from app.organizations import permissions
from app.organizations.permissions import Member, OrganizationAccess
from app.organizations.types import ProductRight
from app.ticketing.models import TicketOffice


@dataclass(frozen=True)
class OfficeAccess:
    access: OrganizationAccess
    office: TicketOffice

    @property
    def account_id(self) -> uuid.UUID:
        return self.access.account_id


def office_with(right: ProductRight) -> params.Depends:
    async def load(ticket_office_id: uuid.UUID, access: Member, session: Session) -> OfficeAccess:
        product = await permissions.product_with_right(session, access, ticket_office_id, right)
        office = await session.get(TicketOffice, product.id)
        if office is None:
            raise NotFound("No such ticket office.", code="ticket_office_not_found")
        return OfficeAccess(access, office)

    return params.Depends(load)


OfficeUser = Annotated[OfficeAccess, office_with(ProductRight.use)]
OfficeManager = Annotated[OfficeAccess, office_with(ProductRight.manage)]
OfficeSeller = Annotated[OfficeAccess, office_with(ProductRight.sell)]
OfficeController = Annotated[OfficeAccess, office_with(ProductRight.check)]
OfficeAnalyst = Annotated[OfficeAccess, office_with(ProductRight.statistics)]


def ticketing_scope(request: Request, principal: CurrentPrincipal) -> None:
    """Personal access tokens need ``ticketing:read`` to read, ``ticketing:write`` otherwise."""
    scope = "ticketing:read" if request.method in ("GET", "HEAD") else "ticketing:write"
    if not principal.allows(scope):
        raise Forbidden(f"This token lacks the scope {scope}.", code="insufficient_scope")
