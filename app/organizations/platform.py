"""What the provider's own staff do with organizations: the partner, affiliate and premium
support flags, and finding an organization by its VIP code."""

import secrets
import uuid

from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.activity import service as activity
from app.activity.types import Actor
from app.core import clock
from app.core.db import one_or_raise
from app.organizations.errors import AffiliatePartnerConflict, OrganizationNotFound
from app.organizations.models import Organization


async def get_organization(
    session: AsyncSession, organization_id: uuid.UUID, *, for_update: bool = False
) -> Organization:
    """A (not deleted) organization, whoever it belongs to."""
    statement = select(Organization).where(
        Organization.id == organization_id, Organization.deleted_at.is_(None)
    )
    return await one_or_raise(
        session, statement, OrganizationNotFound("No such organization."), for_update=for_update
    )


def organizations(*, vip_code: str | None = None) -> Select[Organization]:
    """Every (not deleted) organization, or the one (none or one) a caller's VIP code
    identifies."""
    statement = select(Organization).where(Organization.deleted_at.is_(None))
    if vip_code is not None:
        statement = statement.where(
            Organization.vip_code == vip_code, Organization.premium_support.is_(True)
        )
    return statement


async def _new_vip_code(session: AsyncSession) -> str:
    while True:
        code = f"{secrets.randbelow(10**10):010d}"
        if not await session.scalar(select(func.count()).where(Organization.vip_code == code)):
            return code


async def set_platform_flags(
    session: AsyncSession,
    organization: Organization,
    *,
    changes: dict[str, bool],
    by: Actor,
) -> Organization:
    """Platform staff flag an organization as partner or affiliate (never both) or give it
    premium support (which gives it a VIP code)."""
    is_partner = changes.get("is_partner", organization.is_partner)
    is_affiliate = changes.get("is_affiliate", organization.is_affiliate)
    if is_partner and is_affiliate:
        raise AffiliatePartnerConflict(
            "An organization cannot be an affiliate and a partner at the same time."
        )
    changed = {
        field: value for field, value in changes.items() if getattr(organization, field) != value
    }
    for field, value in changed.items():
        setattr(organization, field, value)
    if organization.premium_support and organization.vip_code is None:
        organization.vip_code = await _new_vip_code(session)
    if changed:
        organization.updated_at = clock.now()
        await activity.record(
            session,
            by,
            "organization.platform_flags_changed",
            organization_id=organization.id,
            details=changed,
        )
    await session.flush()
    return organization
