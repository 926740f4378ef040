"""Who calls the webhooks routes, and the subscription they act on."""

import uuid
from typing import Annotated

from fastapi import Depends

from app.activity.types import Actor
from app.core.db import Session
from app.organizations.permissions import Manager
from app.webhooks import service
from app.webhooks.models import WebhookSubscription


async def manager_actor(access: Manager) -> Actor:
    return access.actor


ManagerActor = Annotated[Actor, Depends(manager_actor)]
"""A manager of the organization in the path (legal representative or administrator)."""


async def managed_subscription(
    subscription_id: uuid.UUID, access: Manager, session: Session
) -> WebhookSubscription:
    """The organization's subscription in the path, for reading."""
    return await service.get_subscription(
        session, organization_id=access.organization.id, subscription_id=subscription_id
    )


async def locked_subscription(
    subscription_id: uuid.UUID, access: Manager, session: Session
) -> WebhookSubscription:
    """The organization's subscription in the path, locked until the request ends: for changes."""
    return await service.get_subscription(
        session,
        organization_id=access.organization.id,
        subscription_id=subscription_id,
        for_update=True,
    )


ManagedSubscription = Annotated[WebhookSubscription, Depends(managed_subscription)]
LockedSubscription = Annotated[WebhookSubscription, Depends(locked_subscription)]
