"""/v1/organizations/{organization_id}: support (VIP code, temporary access for support staff)."""

import uuid
from typing import Any

from fastapi import APIRouter, status

from app.core.db import Session
from app.core.pagination import InvalidCursor, Page, Pagination, page_of, paginate
from app.core.routing import AppRoute, declares
from app.organizations import support
from app.organizations.errors import SupportAccessEnded, SupportAccessNotFound
from app.organizations.permissions import MANAGER_ERRORS, READ, WRITE, Manager
from app.organizations.schemas import SupportAccessCreate, SupportAccessRead, SupportInfo

router = APIRouter(tags=["support"], route_class=AppRoute)


@router.get("/{organization_id}/support", operation_id="support-read")
@declares(READ, *MANAGER_ERRORS)
async def read_support(access: Manager, session: Session) -> SupportInfo:
    """The organization's support status: whether it has premium support, its VIP code (to
    give when calling support) and the support access running, if any. Legal representatives
    and administrators."""
    organization = access.organization
    running = await support.active_grant(session, organization.id)
    return SupportInfo(
        premium_support=organization.premium_support,
        vip_code=organization.vip_code if organization.premium_support else None,
        active_access=support.support_access_read(running) if running else None,
    )


@router.post("/{organization_id}/support-access", status_code=status.HTTP_201_CREATED)
@declares(WRITE, *MANAGER_ERRORS, 422)
async def grant_access(
    body: SupportAccessCreate, access: Manager, session: Session
) -> SupportAccessRead:
    """Lets platform support staff reach the organization and its products for `hours`
    (replacing an access still running), e.g. while they handle a problem. Legal
    representatives and administrators; recorded in the activity log and emits
    `support_access.granted`."""
    created = await support.grant(
        session, access.organization, hours=body.hours, reason=body.reason, by=access.actor
    )
    return support.support_access_read(created)


@router.get("/{organization_id}/support-access", response_model=Page[SupportAccessRead])
@declares(READ, *MANAGER_ERRORS, InvalidCursor)
async def list_access(access: Manager, session: Session, page: Pagination) -> dict[str, Any]:
    """Every support access the organization gave, running or ended, newest first. Legal
    representatives and administrators."""
    rows, cursor = await paginate(
        session,
        support.grants_of(access.organization.id),
        page,
    )
    return page_of([support.support_access_read(row) for row in rows], cursor)


@router.post("/{organization_id}/support-access/{grant_id}/revoke")
@declares(WRITE, *MANAGER_ERRORS, SupportAccessNotFound, SupportAccessEnded)
async def revoke_access(
    grant_id: uuid.UUID, access: Manager, session: Session
) -> SupportAccessRead:
    """Ends a support access now: support staff lose their access from the next request (409
    `support_access_ended` when it already expired or was revoked). Legal representatives and
    administrators; emits `support_access.revoked`."""
    revoked = await support.revoke(session, access.organization, grant_id, by=access.actor)
    return support.support_access_read(revoked)
