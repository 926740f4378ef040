"""/v1/platform: what the provider's own staff do with organizations (partner, affiliate and
premium support flags; finding an organization by VIP code)."""

import uuid
from typing import Annotated

from fastapi import APIRouter, Query
from sqlalchemy import select

from app.core.db import Session
from app.core.errors import problem_responses
from app.core.idempotency import AppRoute
from app.organizations import service
from app.organizations.errors import (
    OrganizationNotFound,
)
from app.organizations.models import Organization
from app.organizations.permissions import PlatformStaff
from app.organizations.schemas import PlatformOrganizationRead, PlatformOrganizationUpdate

router = APIRouter(prefix="/platform", tags=["platform"], route_class=AppRoute)


async def _organization(session: Session, organization_ref: uuid.UUID) -> Organization:
    organization = await session.scalar(
        select(Organization).where(
            Organization.id == organization_ref, Organization.deleted_at.is_(None)
        )
    )
    if organization is None:
        raise OrganizationNotFound("No such organization.")
    return organization


@router.get(
    "/organizations",
    operation_id="platform-find_organizations",
    responses=problem_responses(401, 403),
)
async def find_organizations(
    staff: PlatformStaff,
    session: Session,
    vip_code: Annotated[str, Query(min_length=1, max_length=12, description="A VIP code.")],
) -> list[PlatformOrganizationRead]:
    """The organization a caller's VIP code identifies (none or one)."""
    rows = await session.scalars(
        select(Organization).where(
            Organization.vip_code == vip_code,
            Organization.premium_support.is_(True),
            Organization.deleted_at.is_(None),
        )
    )
    return [PlatformOrganizationRead.model_validate(row) for row in rows]


@router.get(
    "/organizations/{organization_ref}",
    operation_id="platform-read_organization",
    responses=problem_responses(401, 403, 404),
)
async def read_organization(
    organization_ref: uuid.UUID, staff: PlatformStaff, session: Session
) -> PlatformOrganizationRead:
    return PlatformOrganizationRead.model_validate(await _organization(session, organization_ref))


@router.patch(
    "/organizations/{organization_ref}",
    operation_id="platform-update_organization",
    responses=problem_responses(401, 403, 404, 409),
)
async def update_organization(
    organization_ref: uuid.UUID,
    body: PlatformOrganizationUpdate,
    staff: PlatformStaff,
    session: Session,
) -> PlatformOrganizationRead:
    """Flags an organization as partner or affiliate (never both) and turns premium support
    (with its VIP code) on or off."""
    organization = await _organization(session, organization_ref)
    await service.set_platform_flags(
        session,
        organization,
        changes=body.model_dump(exclude_unset=True, exclude_none=True),
        by_account_id=staff.account.id,
    )
    return PlatformOrganizationRead.model_validate(organization)
