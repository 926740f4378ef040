"""Subscriptions, redeliveries, test pings and the polling feed."""

import uuid
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Select, func, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from app.activity import service as activity
from app.core import clock
from app.core.errors import Conflict, NotFound
from app.core.pagination import PageParams, paginate
from app.events.models import DomainEvent
from app.events.service import emit
from app.webhooks import patterns, signing
from app.webhooks.disabling import fail_pending
from app.webhooks.models import (
    DeliveryStatus,
    WebhookAttempt,
    WebhookDelivery,
    WebhookSubscription,
)
from app.webhooks.targets import check_url

MAX_SUBSCRIPTIONS = 100
PREVIOUS_SECRET_VALIDITY = timedelta(hours=24)
TEST_EVENT = "webhook.test"


class SubscriptionNotFound(NotFound):
    code = "webhook_subscription_not_found"


class EventNotFound(NotFound):
    code = "event_not_found"


class TooManySubscriptions(Conflict):
    code = "webhook_subscription_limit_reached"


def event_body(event: DomainEvent, *, organization_id: uuid.UUID | None = None) -> dict[str, Any]:
    """The representation of an event, the same in a delivery and in the polling feed."""
    organization = organization_id or event.organization_id
    return {
        "id": str(event.id),
        "type": event.type,
        "timestamp": event.created_at.isoformat(),
        "organization_id": str(organization) if organization else None,
        "data": event.data,
    }


async def create_subscription(
    session: AsyncSession,
    *,
    organization_id: uuid.UUID,
    target_url: str,
    event_types: list[str],
    description: str | None,
    active: bool,
    require_https: bool,
    allow_private: bool,
    by: uuid.UUID,
) -> tuple[WebhookSubscription, str]:
    """The new subscription and its secret (shown once)."""
    check_url(target_url, require_https=require_https, allow_private=allow_private)
    count = await session.scalar(
        select(func.count())
        .select_from(WebhookSubscription)
        .where(WebhookSubscription.organization_id == organization_id)
    )
    if (count or 0) >= MAX_SUBSCRIPTIONS:
        raise TooManySubscriptions(
            f"An organization has at most {MAX_SUBSCRIPTIONS} webhook subscriptions."
        )
    secret = signing.new_secret()
    now = clock.now()
    subscription = WebhookSubscription(
        id=uuid.uuid4(),
        organization_id=organization_id,
        target_url=target_url,
        event_types=patterns.checked(event_types, known_only=True),
        description=description,
        active=active,
        secret_encrypted=signing.seal(secret),
        created_by_account_id=by,
        created_at=now,
        updated_at=now,
    )
    session.add(subscription)
    await session.flush()
    await activity.record_entry(
        session,
        "webhooks.subscription_created",
        organization_id=organization_id,
        actor_account_id=by,
        details={"subscription_id": str(subscription.id), "target_url": target_url},
    )
    return subscription, secret


def subscriptions_of(organization_id: uuid.UUID) -> Select[WebhookSubscription]:
    return select(WebhookSubscription).where(WebhookSubscription.organization_id == organization_id)


async def get_subscription(
    session: AsyncSession, organization_id: uuid.UUID, subscription_id: uuid.UUID
) -> WebhookSubscription:
    subscription = await session.scalar(
        subscriptions_of(organization_id).where(WebhookSubscription.id == subscription_id)
    )
    if subscription is None:
        raise SubscriptionNotFound("No such webhook subscription.")
    return subscription


async def update_subscription(
    session: AsyncSession,
    subscription: WebhookSubscription,
    changes: dict[str, Any],
    *,
    require_https: bool,
    allow_private: bool,
    by: uuid.UUID,
) -> WebhookSubscription:
    """Applies the fields in ``changes``; re-enabling clears the failure record."""
    if changes.get("target_url") is not None:
        check_url(changes["target_url"], require_https=require_https, allow_private=allow_private)
        subscription.target_url = changes["target_url"]
    if changes.get("event_types") is not None:
        subscription.event_types = patterns.checked(changes["event_types"], known_only=True)
    if "description" in changes:
        subscription.description = changes["description"]
    if changes.get("active") is not None:
        subscription.active = changes["active"]
        if subscription.active:
            subscription.disabled_at = None
            subscription.disabled_reason = None
            subscription.failing_since = None
        else:
            await fail_pending(session, subscription.id, "Subscription paused.")
    subscription.updated_at = clock.now()
    await activity.record_entry(
        session,
        "webhooks.subscription_updated",
        organization_id=subscription.organization_id,
        actor_account_id=by,
        details={"subscription_id": str(subscription.id), "fields": sorted(changes)},
    )
    await session.flush()
    return subscription


async def delete_subscription(
    session: AsyncSession, subscription: WebhookSubscription, *, by: uuid.UUID
) -> None:
    await activity.record_entry(
        session,
        "webhooks.subscription_deleted",
        organization_id=subscription.organization_id,
        actor_account_id=by,
        details={"subscription_id": str(subscription.id), "target_url": subscription.target_url},
    )
    await session.delete(subscription)
    await session.flush()


async def rotate_secret(
    session: AsyncSession, subscription: WebhookSubscription, *, by: uuid.UUID
) -> tuple[str, datetime]:
    """A new secret; the current one keeps signing (alongside) for 24 hours."""
    secret = signing.new_secret()
    now = clock.now()
    subscription.previous_secret_encrypted = subscription.secret_encrypted
    subscription.previous_secret_expires_at = now + PREVIOUS_SECRET_VALIDITY
    subscription.secret_encrypted = signing.seal(secret)
    subscription.updated_at = now
    await activity.record_entry(
        session,
        "webhooks.secret_rotated",
        organization_id=subscription.organization_id,
        actor_account_id=by,
        details={"subscription_id": str(subscription.id)},
    )
    await session.flush()
    return secret, subscription.previous_secret_expires_at


def signing_secrets(subscription: WebhookSubscription) -> list[str]:
    """The secrets a delivery is signed with now: the current one, and the previous one while
    it is still valid."""
    sealed = [subscription.secret_encrypted]
    expires = subscription.previous_secret_expires_at
    if subscription.previous_secret_encrypted and expires and expires > clock.now():
        sealed.append(subscription.previous_secret_encrypted)
    return [signing.unseal(value) for value in sealed]


async def redeliver_event(
    session: AsyncSession, subscription: WebhookSubscription, event_id: uuid.UUID
) -> WebhookDelivery:
    """Sends one of the organization's events to the subscription again, from a new schedule.

    A delivery already being attempted right now is left to finish."""
    event = await session.scalar(
        select(DomainEvent).where(
            DomainEvent.id == event_id,
            DomainEvent.organization_id == subscription.organization_id,
        )
    )
    if event is None:
        event = await _test_event_of(session, subscription, event_id)
    delivery = await _upsert_delivery(session, subscription, event)
    return delivery


async def _test_event_of(
    session: AsyncSession, subscription: WebhookSubscription, event_id: uuid.UUID
) -> DomainEvent:
    event = await session.scalar(
        select(DomainEvent)
        .join(WebhookDelivery, WebhookDelivery.event_id == DomainEvent.id)
        .where(
            DomainEvent.id == event_id,
            DomainEvent.type == TEST_EVENT,
            WebhookDelivery.subscription_id == subscription.id,
        )
    )
    if event is None:
        raise EventNotFound("No such event in this organization.")
    return event


async def _upsert_delivery(
    session: AsyncSession, subscription: WebhookSubscription, event: DomainEvent
) -> WebhookDelivery:
    now = clock.now()
    await session.execute(
        insert(WebhookDelivery)
        .values(
            id=uuid.uuid4(),
            subscription_id=subscription.id,
            event_id=event.id,
            event_type=event.type,
            status=DeliveryStatus.pending,
            attempts=0,
            next_attempt_at=now,
            created_at=now,
            updated_at=now,
        )
        .on_conflict_do_nothing(index_elements=["subscription_id", "event_id"])
    )
    delivery = await session.scalar(
        select(WebhookDelivery)
        .where(
            WebhookDelivery.subscription_id == subscription.id,
            WebhookDelivery.event_id == event.id,
        )
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    assert delivery is not None
    in_flight = delivery.lease_token is not None and delivery.next_attempt_at > now
    if not in_flight:
        delivery.status = DeliveryStatus.pending
        delivery.attempts = 0
        delivery.next_attempt_at = now
        delivery.lease_token = None
        delivery.updated_at = now
    await session.flush()
    return delivery


async def redeliver_failed(
    session: AsyncSession, subscription: WebhookSubscription, *, since: datetime
) -> int:
    """Queues again every failed delivery created since ``since``; returns how many."""
    now = clock.now()
    result = await session.execute(
        update(WebhookDelivery)
        .where(
            WebhookDelivery.subscription_id == subscription.id,
            WebhookDelivery.status == DeliveryStatus.failed,
            WebhookDelivery.created_at >= since,
        )
        .values(
            status=DeliveryStatus.pending,
            attempts=0,
            next_attempt_at=now,
            lease_token=None,
            updated_at=now,
        )
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0)


async def send_test(
    session: AsyncSession, subscription: WebhookSubscription, *, by: uuid.UUID
) -> WebhookDelivery:
    """Queues a ``webhook.test`` event to this subscription only."""
    event = await emit(
        session,
        TEST_EVENT,
        {
            "subscription_id": str(subscription.id),
            "target_url": subscription.target_url,
            "message": "A test event, sent on request.",
        },
        account_id=by,
    )
    await session.flush()
    return await _upsert_delivery(session, subscription, event)


def deliveries_of(
    subscription_id: uuid.UUID, *, status: DeliveryStatus | None = None
) -> Select[WebhookDelivery]:
    query = select(WebhookDelivery).where(WebhookDelivery.subscription_id == subscription_id)
    if status is not None:
        query = query.where(WebhookDelivery.status == status)
    return query


def attempts_of(
    subscription_id: uuid.UUID, *, delivery_id: uuid.UUID | None = None
) -> Select[WebhookAttempt]:
    query = select(WebhookAttempt).where(WebhookAttempt.subscription_id == subscription_id)
    if delivery_id is not None:
        query = query.where(WebhookAttempt.delivery_id == delivery_id)
    return query


def feed(organization_id: uuid.UUID, types: list[str]) -> Select[DomainEvent]:
    """The organization's events, optionally of the types matching ``types``; paginate it."""
    query = select(DomainEvent).where(DomainEvent.organization_id == organization_id)
    if types:
        query = query.where(patterns.sql_filter(DomainEvent.type, types))
    return query


async def feed_page(
    session: AsyncSession, organization_id: uuid.UUID, types: list[str], params: PageParams
) -> tuple[Sequence[DomainEvent], str | None]:
    """One page of the organization's events, newest first."""
    return await paginate(
        session,
        feed(organization_id, types),
        params,
        created_at=DomainEvent.created_at,
        id=DomainEvent.id,
    )
