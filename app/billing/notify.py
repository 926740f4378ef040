"""Billing e-mails go to the legal representatives of the organization concerned."""

import uuid
from collections.abc import Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts.models import Account
from app.core.settings import get_settings
from app.notifications.service import queue_mail
from app.organizations.models import Membership
from app.organizations.types import Role


async def mail_organization(
    session: AsyncSession, organization_id: uuid.UUID, template: str, context: Mapping[str, Any]
) -> int:
    """Queues ``template`` to each legal representative; returns how many mails were queued."""
    accounts = await session.scalars(
        select(Account)
        .join(Membership, Membership.account_id == Account.id)
        .where(
            Membership.organization_id == organization_id,
            Membership.role == Role.legal_representative,
            Account.deleted_at.is_(None),
        )
    )
    queued = 0
    for account in accounts:
        await queue_mail(
            session,
            to=account.email,
            template=template,
            language=account.language,
            context={**context, "recipient_name": account.full_name},
        )
        queued += 1
    return queued


def link(path: str) -> str:
    return f"{get_settings().links_base}{path}"
