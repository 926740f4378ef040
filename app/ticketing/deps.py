"""Loading a ticket office (and what is in it) for a caller holding the right it needs, the
caller as an ``Actor``, and the token scopes ticketing routes declare."""

import uuid
from dataclasses import dataclass
from typing import Annotated, Any, cast

from fastapi import Depends, Request, params
from sqlalchemy import Select, Uuid, and_, bindparam
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts.deps import RequestClient, extend_caller_statement, require_scope
from app.activity.types import Actor
from app.core.db import Session
from app.organizations import permissions
from app.organizations.permissions import Member, OrganizationAccess
from app.organizations.types import ProductRight
from app.ticketing import offices
from app.ticketing.models import Event, TicketOffice

READ = require_scope("ticketing:read")
"""Declared by the routes that only read: a personal access token needs ``ticketing:read``."""
WRITE = require_scope("ticketing:write")
"""Declared by the routes that change something: a token needs ``ticketing:write``."""


async def organization_actor(access: Member, client: RequestClient) -> Actor:
    return access.actor.with_ip(client.ip)


async def customer_actor(client: RequestClient) -> Actor:
    """A shop customer: someone without an account, known by its IP address."""
    return Actor.customer(client.ip)


OrganizationActor = Annotated[Actor, Depends(organization_actor)]
ShopCustomer = Annotated[Actor, Depends(customer_actor)]


@dataclass(frozen=True)
class OfficeAccess:
    access: OrganizationAccess
    office: TicketOffice
    actor: Actor
    """The caller, as services take it (``by=``)."""


# The caller's statement loads the office in the path with the caller and its rights, and the
# office's event in the path.
permissions.load_product_of_path("ticket_office_id", TicketOffice)


def _with_event(statement: Select[Any], _account_id: Any) -> Select[Any]:
    return statement.add_columns(Event).outerjoin(
        Event,
        and_(
            Event.id == bindparam("event_id", type_=Uuid()),
            Event.ticket_office_id == TicketOffice.id,
        ),
    )


extend_caller_statement(frozenset({"organization_id", "ticket_office_id", "event_id"}), _with_event)


async def office_event(
    request: Request, session: AsyncSession, office: TicketOffice, event_id: uuid.UUID
) -> Event:
    """The office's event of the path: loaded by the caller's statement, else looked up."""
    event = permissions.preloaded(request, Event, event_id)  # joined within the path's office
    if event is None:
        event = await offices.get_event(session, office.id, event_id)
    return cast(Event, event)


def office_with(right: ProductRight) -> params.Depends:
    async def load(
        ticket_office_id: uuid.UUID,
        access: Member,
        by: OrganizationActor,
        session: Session,
        request: Request,
    ) -> OfficeAccess:
        product = await permissions.product_with_right(
            session, access, ticket_office_id, right, request
        )
        office = permissions.preloaded(request, TicketOffice, product.id)
        if office is None:
            office = await offices.get_office(session, product.id)
        return OfficeAccess(access, office, by)

    return params.Depends(load)


OfficeUser = Annotated[OfficeAccess, office_with(ProductRight.use)]
OfficeManager = Annotated[OfficeAccess, office_with(ProductRight.manage)]
OfficeSeller = Annotated[OfficeAccess, office_with(ProductRight.sell)]
OfficeController = Annotated[OfficeAccess, office_with(ProductRight.check)]
OfficeAnalyst = Annotated[OfficeAccess, office_with(ProductRight.statistics)]
OfficeTechnician = Annotated[OfficeAccess, office_with(ProductRight.technical)]
