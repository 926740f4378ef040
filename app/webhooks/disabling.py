"""A subscription's health: its run of failures, and disabling it (with a mail to the managers)."""

import uuid
from collections.abc import Collection
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.activity import service as activity
from app.activity.types import Actor
from app.core import clock
from app.notifications.service import queue_mail
from app.organizations import service as organizations
from app.organizations.types import Role
from app.webhooks.models import DeliveryStatus, DisabledReason, WebhookDelivery, WebhookSubscription


async def mark_succeeding(session: AsyncSession, subscription_ids: Collection[uuid.UUID]) -> None:
    """Ends the run of failures of each subscription (one statement for them all)."""
    if not subscription_ids:
        return
    await session.execute(
        update(WebhookSubscription)
        .where(
            WebhookSubscription.id.in_(subscription_ids),
            WebhookSubscription.failing_since.is_not(None),
        )
        .values(failing_since=None)
    )


async def mark_failing(
    session: AsyncSession, subscription_id: uuid.UUID, *, since: datetime
) -> None:
    await session.execute(
        update(WebhookSubscription)
        .where(
            WebhookSubscription.id == subscription_id,
            WebhookSubscription.failing_since.is_(None),
        )
        .values(failing_since=since)
    )


async def failing_since(session: AsyncSession, subscription_id: uuid.UUID) -> datetime | None:
    return await session.scalar(
        select(WebhookSubscription.failing_since).where(WebhookSubscription.id == subscription_id)
    )


async def fail_pending(session: AsyncSession, subscription_id: uuid.UUID, reason: str) -> None:
    """Ends the deliveries still waiting for a retry (a redelivery can queue them again).

    Rows another worker is recording right now are skipped, not waited for (no deadlock): they
    stay pending, and are sent only if the subscription is enabled again."""
    now = clock.now()
    waiting = (
        select(WebhookDelivery.id)
        .where(
            WebhookDelivery.subscription_id == subscription_id,
            WebhookDelivery.status == DeliveryStatus.pending,
            WebhookDelivery.lease_token.is_(None),
        )
        .with_for_update(skip_locked=True)
    )
    await session.execute(
        update(WebhookDelivery)
        .where(WebhookDelivery.id.in_(waiting.scalar_subquery()))
        .values(status=DeliveryStatus.failed, last_error=reason, updated_at=now)
        .execution_options(synchronize_session=False)
    )


async def disable(
    session: AsyncSession, subscription_id: uuid.UUID, reason: DisabledReason, detail: str
) -> bool:
    """Disables an active subscription and e-mails its organization's managers; False when it
    was no longer active (so the mail goes once)."""
    now = clock.now()
    row = (
        await session.execute(
            update(WebhookSubscription)
            .where(WebhookSubscription.id == subscription_id, WebhookSubscription.active.is_(True))
            .values(active=False, disabled_at=now, disabled_reason=reason, updated_at=now)
            .returning(WebhookSubscription.organization_id, WebhookSubscription.target_url)
        )
    ).one_or_none()
    if row is None:
        return False
    organization_id, target_url = row
    await fail_pending(session, subscription_id, f"Subscription disabled: {detail}")
    await activity.record(
        session,
        Actor.system(),
        "webhooks.subscription_disabled",
        organization_id=organization_id,
        details={"subscription_id": str(subscription_id), "reason": reason, "detail": detail},
    )
    organization_name = await organizations.organization_name(session, organization_id)
    for recipient in await organizations.recipients(
        session, organization_id, roles=(Role.legal_representative, Role.administrator)
    ):
        await queue_mail(
            session,
            to=recipient.email,
            template="webhook_subscription_disabled",
            language=recipient.language,
            context={
                "recipient_name": recipient.name,
                "organization_name": organization_name or "",
                "target_url": target_url,
                "reason": detail,
            },
        )
    return True
