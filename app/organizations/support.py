"""Support access: an organization lets platform support staff reach its products for a while."""

import uuid
from datetime import timedelta

from sqlalchemy import Select, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.activity import service as activity
from app.activity.types import Actor
from app.core import clock
from app.core.db import one_or_raise
from app.core.schemas import from_attributes
from app.events import service as events
from app.organizations.errors import (
    SupportAccessEnded,
    SupportAccessNotFound,
)
from app.organizations.models import Organization, SupportAccessGrant
from app.organizations.schemas import SupportAccessRead


def is_active(grant: SupportAccessGrant) -> bool:
    return grant.revoked_at is None and grant.expires_at > clock.now()


def support_access_read(grant: SupportAccessGrant) -> SupportAccessRead:
    return from_attributes(SupportAccessRead, grant, active=is_active(grant))


def grants_of(organization_id: uuid.UUID) -> Select[SupportAccessGrant]:
    """Every support access the organization gave, running or ended."""
    return select(SupportAccessGrant).where(SupportAccessGrant.organization_id == organization_id)


async def get_grant(
    session: AsyncSession,
    organization_id: uuid.UUID,
    grant_id: uuid.UUID,
    *,
    for_update: bool = False,
) -> SupportAccessGrant:
    statement = grants_of(organization_id).where(SupportAccessGrant.id == grant_id)
    return await one_or_raise(
        session, statement, SupportAccessNotFound("No such support access."), for_update=for_update
    )


async def active_grant(
    session: AsyncSession, organization_id: uuid.UUID
) -> SupportAccessGrant | None:
    return await session.scalar(
        select(SupportAccessGrant)
        .where(
            SupportAccessGrant.organization_id == organization_id,
            SupportAccessGrant.revoked_at.is_(None),
            SupportAccessGrant.expires_at > clock.now(),
        )
        .order_by(SupportAccessGrant.expires_at.desc())
        .limit(1)
    )


async def grant(
    session: AsyncSession, organization: Organization, *, hours: int, reason: str | None, by: Actor
) -> SupportAccessGrant:
    """Lets support staff reach the organization's products for ``hours``; an access still
    running is replaced."""
    now = clock.now()
    await session.execute(
        update(SupportAccessGrant)
        .where(
            SupportAccessGrant.organization_id == organization.id,
            SupportAccessGrant.revoked_at.is_(None),
            SupportAccessGrant.expires_at > now,
        )
        .values(revoked_at=now, revoked_by_account_id=by.account_id)
    )
    created = SupportAccessGrant(
        organization_id=organization.id,
        reason=reason,
        granted_by_account_id=by.account_id,
        expires_at=now + timedelta(hours=hours),
    )
    session.add(created)
    await session.flush()
    read = support_access_read(created)
    await activity.record(
        session,
        by,
        "support_access.granted",
        organization_id=organization.id,
        details={"grant_id": str(created.id), "expires_at": created.expires_at.isoformat()},
    )
    await events.emit(session, "support_access.granted", read, organization_id=organization.id)
    return created


async def revoke(
    session: AsyncSession, organization: Organization, grant_id: uuid.UUID, *, by: Actor
) -> SupportAccessGrant:
    found = await get_grant(session, organization.id, grant_id, for_update=True)
    if not is_active(found):
        raise SupportAccessEnded("This support access has already ended.")
    found.revoked_at = clock.now()
    found.revoked_by_account_id = by.account_id
    await session.flush()
    await activity.record(
        session,
        by,
        "support_access.revoked",
        organization_id=organization.id,
        details={"grant_id": str(found.id)},
    )
    await events.emit(
        session,
        "support_access.revoked",
        support_access_read(found),
        organization_id=organization.id,
    )
    return found
