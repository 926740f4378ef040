"""/v1/platform: what the provider's own staff do with organizations (partner, affiliate and
premium support flags; finding an organization by VIP code) and accounts (ending sessions)."""

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Query, status

from app.accounts import service as accounts
from app.accounts.errors import AccountNotFound, InsufficientScope
from app.activity.types import Actor
from app.core.db import Session
from app.core.pagination import InvalidCursor, Page, Pagination, page_of, paginate
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


@router.get("/organizations", response_model=Page[PlatformOrganizationRead])
@declares(READ, *STAFF_ERRORS, InvalidCursor)
async def find_organizations(
    staff: PlatformStaff,
    session: Session,
    page: Pagination,
    vip_code: Annotated[
        str | None,
        Query(
            min_length=1,
            max_length=12,
            description="Only the organization with premium support this VIP code identifies "
            "(none or one).",
            examples=["0482913375"],
        ),
    ] = None,
) -> dict[str, Any]:
    """Every organization on the platform, newest first, or, with `vip_code`, the one a
    caller's VIP code identifies. Platform staff only, in an interactive session (not with a
    personal access token)."""
    rows, cursor = await paginate(session, platform.organizations(vip_code=vip_code), page)
    return page_of([PlatformOrganizationRead.model_validate(row) for row in rows], cursor)


@router.get("/organizations/{organization_ref}")
@declares(READ, *STAFF_ERRORS, OrganizationNotFound)
async def read_organization(
    organization_ref: uuid.UUID, staff: PlatformStaff, session: Session
) -> PlatformOrganizationRead:
    """One organization with its platform flags (partner, affiliate, premium support) and VIP
    code. Platform staff only."""
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
    """Flags an organization as partner or not (never while it is an affiliate: 409
    `affiliate_partner_conflict`) and turns premium support on or off (turning it on gives the
    organization a VIP code, kept if it is turned off). Platform staff only; recorded in the
    organization's activity log."""
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
    """Ends every session of an account, e.g. one reported stolen: its access and refresh tokens
    stop working at once (its personal access tokens stay). Platform staff only."""
    await accounts.end_account_sessions(session, account_id, by=Actor(staff.account.id))
