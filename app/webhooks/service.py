"""Subscriptions, redeliveries, test pings and the polling feed: what the routes (and the
delivery worker) call. Every change records its activity entry here."""

import uuid
from collections.abc import Collection, Sequence
from datetime import datetime, timedelta
from typing import Any, Protocol

from sqlalchemy import Select, exists, func, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from app.activity import service as activity
from app.activity.types import Actor
from app.core import clock
from app.core.db import one_or_raise
from app.events import service as events
from app.events.types import Readable
from app.webhooks import patterns, signing, visibility
from app.webhooks.disabling import fail_pending
from app.webhooks.errors import EventNotFound, SubscriptionNotFound, TooManySubscriptions
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


class Event(Protocol):
    """What a delivery or the feed shows of an event (a stored event of the events domain)."""

    @property
    def id(self) -> uuid.UUID: ...

    @property
    def type(self) -> str: ...

    @property
    def organization_id(self) -> uuid.UUID | None: ...

    @property
    def created_at(self) -> datetime: ...

    @property
    def data(self) -> Any: ...


def event_body(event: Event, *, organization_id: uuid.UUID | None = None) -> dict[str, Any]:
    """The representation of an event, the same in a delivery and in the polling feed."""
    organization = organization_id or event.organization_id
    return {
        "id": str(event.id),
        "type": event.type,
        "timestamp": event.created_at.isoformat(),
        "organization_id": str(organization) if organization else None,
        "data": event.data,
    }


# Subscriptions


def subscriptions_of(
    organization_id: uuid.UUID, *, offices: Collection[uuid.UUID] | None = None
) -> Select[WebhookSubscription]:
    """The organization's subscriptions; given ``offices``, only those limited to one of them."""
    statement = select(WebhookSubscription).where(
        WebhookSubscription.organization_id == organization_id
    )
    if offices is not None:
        statement = statement.where(WebhookSubscription.ticket_office_id.in_(list(offices)))
    return statement


async def get_subscription(
    session: AsyncSession,
    *,
    organization_id: uuid.UUID,
    subscription_id: uuid.UUID,
    for_update: bool = False,
) -> WebhookSubscription:
    """The organization's subscription ``subscription_id``; ``SubscriptionNotFound`` otherwise
    (another organization's included)."""
    statement = subscriptions_of(organization_id).where(WebhookSubscription.id == subscription_id)
    return await one_or_raise(
        session,
        statement,
        SubscriptionNotFound("No such webhook subscription."),
        for_update=for_update,
    )


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
    by: Actor,
    ticket_office_id: uuid.UUID | None = None,
) -> tuple[WebhookSubscription, str]:
    """The new subscription and its secret (shown once); with ``ticket_office_id``, limited to
    that office's events (the caller checked the office and its right on it)."""
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
    subscription = WebhookSubscription(
        organization_id=organization_id,
        ticket_office_id=ticket_office_id,
        target_url=target_url,
        event_types=patterns.checked(event_types, known_only=True),
        description=description,
        active=active,
        secret_encrypted=signing.seal(secret),
        created_by_account_id=by.account_id,
    )
    session.add(subscription)
    await session.flush()
    await activity.record(
        session,
        by,
        "webhooks.subscription_created",
        organization_id=organization_id,
        product_id=ticket_office_id,
        details={"subscription_id": str(subscription.id), "target_url": target_url},
    )
    return subscription, secret


async def update_subscription(
    session: AsyncSession,
    subscription: WebhookSubscription,
    *,
    changes: dict[str, Any],
    require_https: bool,
    allow_private: bool,
    by: Actor,
) -> WebhookSubscription:
    """Applies the fields in ``changes``; pausing ends the waiting retries, re-enabling clears
    the failure record."""
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
    await activity.record(
        session,
        by,
        "webhooks.subscription_updated",
        organization_id=subscription.organization_id,
        product_id=subscription.ticket_office_id,
        details={"subscription_id": str(subscription.id), "fields": sorted(changes)},
    )
    await session.flush()
    return subscription


async def delete_subscription(
    session: AsyncSession, subscription: WebhookSubscription, *, by: Actor
) -> None:
    """Unsubscribes: nothing more is sent to the URL, pending deliveries included."""
    await activity.record(
        session,
        by,
        "webhooks.subscription_deleted",
        organization_id=subscription.organization_id,
        product_id=subscription.ticket_office_id,
        details={"subscription_id": str(subscription.id), "target_url": subscription.target_url},
    )
    await session.delete(subscription)
    await session.flush()


async def rotate_secret(
    session: AsyncSession, subscription: WebhookSubscription, *, by: Actor
) -> tuple[str, datetime]:
    """A new secret; the current one keeps signing (alongside) for 24 hours."""
    secret = signing.new_secret()
    now = clock.now()
    subscription.previous_secret_encrypted = subscription.secret_encrypted
    subscription.previous_secret_expires_at = now + PREVIOUS_SECRET_VALIDITY
    subscription.secret_encrypted = signing.seal(secret)
    subscription.updated_at = now
    await activity.record(
        session,
        by,
        "webhooks.secret_rotated",
        organization_id=subscription.organization_id,
        product_id=subscription.ticket_office_id,
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


# Redeliveries and test pings


async def redeliver_event(
    session: AsyncSession, subscription: WebhookSubscription, *, event_id: uuid.UUID, by: Actor
) -> WebhookDelivery:
    """Sends one of the organization's events (or a test event sent to this subscription) to
    the subscription again, from a new schedule.

    A delivery already being attempted right now is left to finish."""
    event = await events.find_event(session, event_id)
    if event is None or not (
        (event.organization_id == subscription.organization_id and _concerns(subscription, event))
        or (event.type == TEST_EVENT and await _was_sent_to(session, subscription, event_id))
    ):
        raise EventNotFound("No such event in this organization.")
    delivery = await _upsert_delivery(session, subscription, event)
    await activity.record(
        session,
        by,
        "webhooks.event_redelivered",
        organization_id=subscription.organization_id,
        product_id=subscription.ticket_office_id,
        details={"subscription_id": str(subscription.id), "event_id": str(event.id)},
    )
    return delivery


def _concerns(subscription: WebhookSubscription, event: Event) -> bool:
    """Whether the event is one the subscription receives: any of its organization's, or, for a
    subscription limited to a ticket office, one about that office."""
    office = subscription.ticket_office_id
    return office is None or visibility.is_of_office(event.type, event.data, office)


async def _was_sent_to(
    session: AsyncSession, subscription: WebhookSubscription, event_id: uuid.UUID
) -> bool:
    return bool(
        await session.scalar(
            select(
                exists().where(
                    WebhookDelivery.subscription_id == subscription.id,
                    WebhookDelivery.event_id == event_id,
                )
            )
        )
    )


async def _upsert_delivery(
    session: AsyncSession, subscription: WebhookSubscription, event: Event
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
    session: AsyncSession, subscription: WebhookSubscription, *, since: datetime, by: Actor
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
    queued = int(getattr(result, "rowcount", 0) or 0)
    await activity.record(
        session,
        by,
        "webhooks.failed_redelivered",
        organization_id=subscription.organization_id,
        product_id=subscription.ticket_office_id,
        details={
            "subscription_id": str(subscription.id),
            "since": since.isoformat(),
            "queued": queued,
        },
    )
    await session.flush()
    return queued


async def send_test(
    session: AsyncSession, subscription: WebhookSubscription, *, by: Actor
) -> WebhookDelivery:
    """Queues a ``webhook.test`` event to this subscription only."""
    event = await events.emit(
        session,
        TEST_EVENT,
        {
            "subscription_id": str(subscription.id),
            "target_url": subscription.target_url,
            "message": "A test event, sent on request.",
        },
        account_id=by.account_id,
    )
    await session.flush()
    delivery = await _upsert_delivery(session, subscription, event)
    await activity.record(
        session,
        by,
        "webhooks.test_sent",
        organization_id=subscription.organization_id,
        product_id=subscription.ticket_office_id,
        details={"subscription_id": str(subscription.id), "event_id": str(event.id)},
    )
    await session.flush()
    return delivery


# Lists: statements the routes paginate


def deliveries_of(
    subscription_id: uuid.UUID, *, status: DeliveryStatus | None = None
) -> Select[WebhookDelivery]:
    """The subscription's deliveries, optionally in one status."""
    query = select(WebhookDelivery).where(WebhookDelivery.subscription_id == subscription_id)
    if status is not None:
        query = query.where(WebhookDelivery.status == status)
    return query


def attempts_of(
    subscription_id: uuid.UUID, *, delivery_id: uuid.UUID | None = None
) -> Select[WebhookAttempt]:
    """The delivery log: the subscription's attempts, optionally of one delivery."""
    query = select(WebhookAttempt).where(WebhookAttempt.subscription_id == subscription_id)
    if delivery_id is not None:
        query = query.where(WebhookAttempt.delivery_id == delivery_id)
    return query


def feed(organization_id: uuid.UUID, types: Sequence[str], *, readable: Readable) -> Select[Any]:
    """The organization's events the caller may read (``visibility.readable``), of the types
    matching the patterns ``types`` (every type when there are none); page through it with
    ``events.events_page``. ``InvalidEventTypePattern`` when a pattern is malformed or names an
    unknown type, as when subscribing."""
    selection = patterns.split(patterns.checked(types, known_only=True)) if types else None
    if selection is None:
        return events.organization_events(organization_id, readable=readable)
    exact, families = selection
    return events.organization_events(
        organization_id, readable=readable, types=exact, type_prefixes=families
    )
