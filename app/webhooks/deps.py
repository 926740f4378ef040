"""Who calls the webhooks subscription routes, and the subscription they act on.

Administrators and legal representatives manage every subscription of their organization. A
member holding the ``technical`` right on a ticket office manages the subscriptions limited to
that office, and only those: another office's is not found (404), an organization-wide one is
refused (403, as to anyone who is not a manager), and a member holding ``technical`` on no
office is refused every subscription route (403)."""

import uuid
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends
from sqlalchemy.ext.asyncio import AsyncSession

from app.activity.types import Actor
from app.core.db import Session
from app.organizations import permissions
from app.organizations.errors import RoleForbidden
from app.organizations.permissions import Member, OrganizationAccess
from app.organizations.types import ProductRight, ProductType
from app.webhooks import service
from app.webhooks.errors import NotATicketOffice, SubscriptionNotFound
from app.webhooks.models import WebhookSubscription

MANAGERS_ONLY = "Only administrators and legal representatives manage organization-wide webhooks."


@dataclass(frozen=True)
class Subscriber:
    """The caller of a subscription route, and which subscriptions it manages."""

    access: OrganizationAccess
    offices: frozenset[uuid.UUID] | None
    """None: every subscription of the organization (a manager). Otherwise the products it
    holds ``technical`` on: it manages the subscriptions limited to one of those offices."""

    @property
    def actor(self) -> Actor:
        return self.access.actor

    @property
    def organization_id(self) -> uuid.UUID:
        return self.access.organization.id

    def require_organization_wide(self) -> None:
        if self.offices is not None:
            raise RoleForbidden(MANAGERS_ONLY)


async def subscriber(access: Member, session: Session) -> Subscriber:
    """A manager of the organization, or a member holding ``technical`` on some ticket office."""
    if access.is_manager:
        return Subscriber(access, None)
    offices = await permissions.product_ids_with(session, access, ProductRight.technical)
    if not offices:
        raise RoleForbidden(
            "Only administrators and legal representatives, or members holding the technical "
            "right on a ticket office, manage webhook subscriptions."
        )
    return Subscriber(access, offices)


WebhookSubscriber = Annotated[Subscriber, Depends(subscriber)]


async def office_rights(
    session: AsyncSession, access: OrganizationAccess, ticket_office_id: uuid.UUID
) -> frozenset[ProductRight]:
    """The caller's rights on the ticket office a subscription is limited to, once it is known
    to hold ``technical`` on it (``ProductNotFound``, ``ProductRightMissing`` otherwise;
    ``NotATicketOffice`` for another kind of product)."""
    product = await permissions.product_with_right(
        session, access, ticket_office_id, ProductRight.technical
    )
    if product.type != ProductType.ticket_office:
        raise NotATicketOffice("Only a ticket office's events can be subscribed to apart.")
    return await permissions.product_rights(session, access, product)


async def _reachable(
    session: AsyncSession, caller: Subscriber, subscription_id: uuid.UUID, *, for_update: bool
) -> WebhookSubscription:
    subscription = await service.get_subscription(
        session,
        organization_id=caller.organization_id,
        subscription_id=subscription_id,
        for_update=for_update,
    )
    if caller.offices is None:
        return subscription
    if subscription.ticket_office_id is None:
        raise RoleForbidden(MANAGERS_ONLY)
    if subscription.ticket_office_id not in caller.offices:
        raise SubscriptionNotFound("No such webhook subscription.")
    return subscription


async def managed_subscription(
    subscription_id: uuid.UUID, caller: WebhookSubscriber, session: Session
) -> WebhookSubscription:
    """The subscription in the path, within the caller's reach, for reading."""
    return await _reachable(session, caller, subscription_id, for_update=False)


async def locked_subscription(
    subscription_id: uuid.UUID, caller: WebhookSubscriber, session: Session
) -> WebhookSubscription:
    """The subscription in the path, within the caller's reach, locked until the request ends:
    for changes."""
    return await _reachable(session, caller, subscription_id, for_update=True)


ManagedSubscription = Annotated[WebhookSubscription, Depends(managed_subscription)]
LockedSubscription = Annotated[WebhookSubscription, Depends(locked_subscription)]
