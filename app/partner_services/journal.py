"""Every partner-services action goes into both organizations' activity logs (the partner's and
its client's), and its event is emitted to both, so each one's webhooks see it."""

import uuid
from collections.abc import Mapping
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts.types import Language
from app.activity import service as activity
from app.activity.types import Actor
from app.core.settings import get_settings
from app.events import service as events
from app.notifications.service import queue_mail
from app.organizations import service as organizations
from app.organizations.types import Role

CLIENT_NOTICE_ROLES = (Role.legal_representative, Role.administrator)


async def record(
    session: AsyncSession,
    by: Actor,
    action: str,
    *,
    partner_id: uuid.UUID,
    client_id: uuid.UUID,
    details: Mapping[str, Any] | None = None,
    event: str | None = None,
    payload: Any = None,
) -> None:
    """Records ``action`` in the partner's and the client's logs, and emits ``event``."""
    for organization_id in (client_id, partner_id):
        await activity.record(
            session,
            by,
            f"partner_services.{action}",
            organization_id=organization_id,
            details={**(details or {}), "partner_id": str(partner_id), "client_id": str(client_id)},
        )
        if event is not None:
            await events.emit(session, event, payload, organization_id=organization_id)


async def mail_client(
    session: AsyncSession, client_id: uuid.UUID, template: str, context: Mapping[str, Any]
) -> int:
    """Queues ``template`` to the client's legal representatives and administrators, each in
    their language; returns how many were queued."""
    people = await organizations.recipients(session, client_id, roles=CLIENT_NOTICE_ROLES)
    for person in people:
        await queue_mail(
            session,
            to=person.email,
            template=template,
            language=Language(person.language),
            context={**context, "recipient_name": person.name},
        )
    return len(people)


def link(path: str) -> str:
    return f"{get_settings().links_base}{path}"
