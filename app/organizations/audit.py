"""The organization's activity log and events: who did what, as whom."""

import uuid
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.activity import service as activity
from app.events import service as events
from app.organizations.permissions import AccessVia, OrganizationAccess


async def record(
    session: AsyncSession,
    by: OrganizationAccess,
    action: str,
    *,
    account_id: uuid.UUID | None = None,
    product_id: uuid.UUID | None = None,
    details: dict[str, Any] | None = None,
) -> None:
    """Records ``action`` in ``by``'s organization log: by whom, and as whom (the organization
    itself, or the partner its staff act for; support staff are marked as such)."""
    entry = dict(details or {})
    if by.via != AccessVia.membership:
        entry["via"] = by.via.value
    await activity.record_entry(
        session,
        action,
        organization_id=by.organization.id,
        account_id=account_id,
        product_id=product_id,
        actor_account_id=by.account_id,
        actor_organization_id=by.actor_organization_id,
        details=entry,
    )


async def emit(
    session: AsyncSession,
    type: str,
    data: Any,
    *,
    organization_id: uuid.UUID,
    account_id: uuid.UUID | None = None,
) -> None:
    await events.emit(session, type, data, organization_id=organization_id, account_id=account_id)
