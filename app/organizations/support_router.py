"""/v1/organizations/{organization_id}: support (VIP code, temporary access for support staff)."""

import uuid
from typing import Any

from fastapi import APIRouter, status
from sqlalchemy import select

from app.core.db import Session
from app.core.errors import problem_responses
from app.core.idempotency import AppRoute
from app.core.pagination import Page, Pagination, page_of, paginate
from app.organizations import support
from app.organizations.models import SupportAccessGrant
from app.organizations.permissions import Manager
from app.organizations.schemas import SupportAccessCreate, SupportAccessRead, SupportInfo

router = APIRouter(tags=["support"], route_class=AppRoute)


@router.get(
    "/{organization_id}/support",
    operation_id="support-read",
    responses=problem_responses(401, 403, 404),
)
async def read_support(access: Manager, session: Session) -> SupportInfo:
    """The VIP code (with premium support) and the support access running, if any."""
    organization = access.organization
    running = await support.active_grant(session, organization.id)
    return SupportInfo(
        premium_support=organization.premium_support,
        vip_code=organization.vip_code if organization.premium_support else None,
        active_access=support.support_access_read(running) if running else None,
    )


@router.post(
    "/{organization_id}/support-access",
    operation_id="support-grant_access",
    status_code=status.HTTP_201_CREATED,
    responses=problem_responses(401, 403, 404),
)
async def grant_access(
    body: SupportAccessCreate, access: Manager, session: Session
) -> SupportAccessRead:
    """Lets support staff reach the organization's products for `hours` (replacing an access
    still running)."""
    created = await support.grant(session, access, hours=body.hours, reason=body.reason)
    return support.support_access_read(created)


@router.get(
    "/{organization_id}/support-access",
    operation_id="support-list_access",
    response_model=Page[SupportAccessRead],
    responses=problem_responses(400, 401, 403, 404),
)
async def list_access(access: Manager, session: Session, page: Pagination) -> dict[str, Any]:
    rows, cursor = await paginate(
        session,
        select(SupportAccessGrant).where(
            SupportAccessGrant.organization_id == access.organization.id
        ),
        page,
        created_at=SupportAccessGrant.created_at,
        id=SupportAccessGrant.id,
    )
    return page_of([support.support_access_read(row) for row in rows], cursor)


@router.post(
    "/{organization_id}/support-access/{grant_id}/revoke",
    operation_id="support-revoke_access",
    responses=problem_responses(401, 403, 404, 409),
)
async def revoke_access(
    grant_id: uuid.UUID, access: Manager, session: Session
) -> SupportAccessRead:
    """Ends support staff access now."""
    return support.support_access_read(await support.revoke(session, access, grant_id))
