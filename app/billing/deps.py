"""Billing's callers as dependencies: who handles an organization's billing, and platform staff,
each with the ``Actor`` the services record."""

import uuid
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends

from app.accounts.deps import RequestClient
from app.activity.types import Actor, Via
from app.organizations.permissions import (
    BillingManager,
    OrganizationAccess,
    PlatformStaff,
)


@dataclass(frozen=True)
class BillingAccess:
    """Who handles the billing of the organization in the path, and as whom."""

    access: OrganizationAccess
    by: Actor

    @property
    def organization_id(self) -> uuid.UUID:
        return self.access.organization.id

    @property
    def currency(self) -> str:
        return self.access.organization.currency


async def billing_access(access: BillingManager, client: RequestClient) -> BillingAccess:
    return BillingAccess(access, access.actor.with_ip(client.ip))


Billing = Annotated[BillingAccess, Depends(billing_access)]
"""The organization's managers, or partner staff whose partnership includes billing."""


async def staff_actor(staff: PlatformStaff) -> Actor:
    return Actor(account_id=staff.account.id, via=Via.account, token=staff.session is None)


Staff = Annotated[Actor, Depends(staff_actor)]
"""Platform staff in an interactive session, as the actor of what they do."""
