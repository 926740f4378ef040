"""/v1/platform: what the provider's own staff do with organizations (partner, affiliate and
premium support flags; finding an organization by VIP code) and accounts (ending sessions)."""

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, status

from app.accounts import service as accounts
from app.accounts.errors import AccountNotFound, InsufficientScope
from app.activity.types import Actor
from app.core.db import Session
from app.core.routing import AppRoute, declares
from app.organizations import platform
from app.organizations.errors import (
    AffiliatePartnerConflict,
    OrganizationNotFound,
    PlatformStaffOnly,
    SessionRequired,
)
from app.organizations.permissions import READ, WRITE, PlatformStaff
from app.organizations.schemas import PlatformOrganizationRead, PlatformOrganizationUpdate

router = APIRouter(prefix="/platform", tags=["platform"], route_class=AppRoute)
STAFF_ERRORS = (401, InsufficientScope, PlatformStaffOnly, SessionRequired)


@router.get("/organizations")
@declares(READ, *STAFF_ERRORS)
async def find_organizations(
    staff: PlatformStaff,
    session: Session,
    vip_code: Annotated[str, Query(min_length=1, max_length=12, description="A VIP code.")],
) -> list[PlatformOrganizationRead]:
    """The organization a caller's VIP code identifies (none or one)."""
    rows = await session.scalars(platform.with_vip_code(vip_code))
    return [PlatformOrganizationRead.model_validate(row) for row in rows]


@router.get("/organizations/{organization_ref}")
@declares(READ, *STAFF_ERRORS, OrganizationNotFound)
async def read_organization(
    organization_ref: uuid.UUID, staff: PlatformStaff, session: Session
) -> PlatformOrganizationRead:
    organization = await platform.get_organization(session, organization_ref)
    return PlatformOrganizationRead.model_validate(organization)


@router.patch("/organizations/{organization_ref}")
@declares(WRITE, *STAFF_ERRORS, OrganizationNotFound, AffiliatePartnerConflict)
async def update_organization(
    organization_ref: uuid.UUID,
    body: PlatformOrganizationUpdate,
    staff: PlatformStaff,
    session: Session,
) -> PlatformOrganizationRead:
    """Flags an organization as partner (never while it is an affiliate) and turns premium
    support (with its VIP code) on or off."""
    organization = await platform.get_organization(session, organization_ref)
    await platform.set_platform_flags(
        session,
        organization,
        changes=body.model_dump(exclude_unset=True, exclude_none=True),
        by=Actor(staff.account.id),
    )
    return PlatformOrganizationRead.model_validate(organization)


@router.delete("/accounts/{account_id}/sessions", status_code=status.HTTP_204_NO_CONTENT)
@declares(WRITE, *STAFF_ERRORS, AccountNotFound)
async def end_account_sessions(
    account_id: uuid.UUID, staff: PlatformStaff, session: Session
) -> None:
    """Ends every session of an account (its personal access tokens stay)."""
    await accounts.end_account_sessions(session, account_id, by=Actor(staff.account.id))
