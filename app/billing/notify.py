"""Billing e-mails go to the legal representatives of the organization concerned."""

import uuid
from collections.abc import Mapping
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts import service as accounts
from app.core.settings import get_settings
from app.notifications.service import queue_mail
from app.organizations import service as organizations
from app.organizations.types import Role

NOTICE_ROLES = frozenset({Role.legal_representative})


async def mail_organization(
    session: AsyncSession, organization_id: uuid.UUID, template: str, context: Mapping[str, Any]
) -> int:
    """Queues ``template`` to each legal representative; returns how many mails were queued."""
    account_ids = await organizations.member_account_ids_with_role(
        session, organization_id, roles=NOTICE_ROLES
    )
    queued = 0
    for recipient in await accounts.recipients(session, account_ids):
        await queue_mail(
            session,
            to=recipient.email,
            template=template,
            language=recipient.language,
            context={**context, "recipient_name": recipient.full_name},
        )
        queued += 1
    return queued


def link(path: str) -> str:
    return f"{get_settings().links_base}{path}"
