"""Billing's callers as dependencies: who handles an organization's billing, and platform staff,
each with the ``Actor`` the services record."""

import uuid
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends

from app.activity.types import Actor, Via
from app.organizations.permissions import (
    AccessVia,
    BillingManager,
    OrganizationAccess,
    PlatformStaff,
)

_VIA = {
    AccessVia.membership: Via.member,
    AccessVia.partner: Via.partner,
    AccessVia.support: Via.support,
}


def actor_of(access: OrganizationAccess) -> Actor:
    """The caller as the activity log shows it: partner staff act as their partner."""
    return Actor(
        account_id=access.account_id,
        organization_id=access.actor_organization_id,
        via=_VIA[access.via],
        token=access.principal.session is None,
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


async def billing_access(access: BillingManager) -> BillingAccess:
    return BillingAccess(access, actor_of(access))


Billing = Annotated[BillingAccess, Depends(billing_access)]
"""The organization's managers, or partner staff whose partnership includes billing."""


async def staff_actor(staff: PlatformStaff) -> Actor:
    return Actor(account_id=staff.account.id, via=Via.account, token=staff.session is None)


Staff = Annotated[Actor, Depends(staff_actor)]
"""Platform staff in an interactive session, as the actor of what they do."""
