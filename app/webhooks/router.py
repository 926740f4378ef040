"""Webhook subscriptions (REST Hooks: subscribe with POST, unsubscribe with DELETE), their
delivery log and redeliveries, the event type list and the organization's polling feed.

Subscriptions are managed by the organization's legal representatives and administrators, and
a subscription limited to one ticket office also by who holds the ``technical`` right on that
office (``deps``); a personal access token needs the scope ``webhooks:manage``. The feed is
readable by every member, each seeing only the events it may read (``visibility``); a token
needs ``webhooks:manage`` or ``organizations:read``. A subscription names only event types its
creator may read whole (on its office, for one limited to an office).
"""

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Query, Response, status

from app.accounts.deps import PUBLIC, AppSettings, require_scope
from app.accounts.errors import InsufficientScope, NotAuthenticated
from app.core.db import Session
from app.core.errors import AppError
from app.core.pagination import InvalidCursor, Page, Pagination, page_of, paginate
from app.core.routing import AppRoute, declares
from app.events import service as events
from app.events.catalog import EVENT_TYPES
from app.organizations.errors import (
    OrganizationNotFound,
    ProductNotFound,
    ProductRightMissing,
    RoleForbidden,
)
from app.organizations.permissions import Member
from app.webhooks import patterns, service, visibility
from app.webhooks.deps import (
    LockedSubscription,
    ManagedSubscription,
    WebhookSubscriber,
    office_rights,
)
from app.webhooks.errors import (
    EventNotFound,
    EventTypeNotOfOffice,
    EventTypeNotReadable,
    InvalidEventTypePattern,
    NotATicketOffice,
    SubscriptionNotFound,
    TargetNotAllowed,
    TooManySubscriptions,
)
from app.webhooks.models import (
    DeliveryStatus,
    WebhookDelivery,
    WebhookSubscription,
)
from app.webhooks.schemas import (
    EventType,
    WebhookAttemptRead,
    WebhookDeliveryRead,
    WebhookEvent,
    WebhookRedeliverFailed,
    WebhookRedeliveryCount,
    WebhookSecret,
    WebhookSubscriptionCreate,
    WebhookSubscriptionCreated,
    WebhookSubscriptionRead,
    WebhookSubscriptionUpdate,
)

router = APIRouter(tags=["webhooks"], route_class=AppRoute)

SUBSCRIPTIONS = "/organizations/{organization_id}/webhooks/subscriptions"
SUBSCRIPTION = SUBSCRIPTIONS + "/{subscription_id}"
MANAGE = require_scope("webhooks:manage")
READ_FEED = require_scope("webhooks:manage", "organizations:read")
ACCEPTED = status.HTTP_202_ACCEPTED

_CALLER: tuple[int | type[AppError], ...] = (NotAuthenticated, 401, InsufficientScope, 403)
"""What authenticating the caller and checking its token's scope can answer (401 and 403 also
carry codes without a class of their own: an invalid token, an unconfirmed e-mail…)."""
_MEMBER = (*_CALLER, OrganizationNotFound)
_SUBSCRIBER = (*_MEMBER, RoleForbidden)
_SUBSCRIPTION = (*_SUBSCRIBER, SubscriptionNotFound)
_OFFICE = (ProductNotFound, ProductRightMissing, NotATicketOffice, EventTypeNotOfOffice)
"""What naming the ticket office a subscription is limited to can answer."""


def delivery_read(delivery: WebhookDelivery) -> WebhookDeliveryRead:
    read = WebhookDeliveryRead.model_validate(delivery)
    if delivery.status != DeliveryStatus.pending:
        read.next_attempt_at = None
    return read


@router.get("/webhooks/event-types", response_model=Page[EventType])
@declares(PUBLIC)
async def list_event_types() -> dict[str, Any]:
    """Every event type the service sends, in alphabetical order: what subscriptions and the
    feed filter on. Public (no token). The whole catalogue is one page: `next_cursor` is
    always null and `has_more` false."""
    types = [EventType(type=name, description=text) for name, text in sorted(EVENT_TYPES.items())]
    return page_of(types, None)


@router.get("/organizations/{organization_id}/events", response_model=Page[WebhookEvent])
@declares(READ_FEED, InvalidCursor, *_MEMBER, InvalidEventTypePattern, 422)
async def list_events(
    access: Member,
    session: Session,
    page: Pagination,
    type: Annotated[
        list[str] | None,
        Query(
            description=f"{patterns.PATTERN_DESCRIPTION} Repeat, or separate with commas.",
        ),
    ] = None,
) -> dict[str, Any]:
    """The organization's events, newest first, with the payloads webhooks deliver: for testing
    a trigger or polling instead of subscribing. Any member may read it, and sees the events
    of what it may read: billing events with billing access, ticketing events with a right on
    their ticket office (`sell`; `check` for scans), member events when it may list members,
    product events with a right on the product. A personal access token needs the scope
    `webhooks:manage` or `organizations:read`."""
    wanted = [part.strip() for value in type or () for part in value.split(",") if part.strip()]
    readable = await visibility.readable(session, access)
    rows, next_cursor = await events.events_page(
        session, service.feed(access.organization.id, wanted, readable=readable), page
    )
    return page_of([service.event_body(event) for event in rows], next_cursor)


@router.post(SUBSCRIPTIONS, status_code=status.HTTP_201_CREATED)
@declares(
    MANAGE,
    *_SUBSCRIBER,
    *_OFFICE,
    TooManySubscriptions,
    InvalidEventTypePattern,
    EventTypeNotReadable,
    TargetNotAllowed,
    422,
)
async def create_subscription(
    body: WebhookSubscriptionCreate,
    caller: WebhookSubscriber,
    session: Session,
    settings: AppSettings,
) -> WebhookSubscriptionCreated:
    """Subscribes a URL to event types (REST Hooks: unsubscribe with DELETE); the answer holds
    the signing secret, shown once.

    Each event is POSTed as JSON (`WebhookEvent`) with the Standard Webhooks headers
    `webhook-id` (the event id: deduplicate on it), `webhook-timestamp` and `webhook-signature`
    (`v1,<base64 HMAC-SHA256>`; two, space separated, for 24 hours after a secret rotation).
    A 2xx answer within 15 s delivers it; redirects are not followed. Otherwise it is retried
    after 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 14 h, 20 h and 24 h (plus jitter), or after
    `Retry-After` on 429 and 503, then marked failed. `410 Gone` disables the subscription, and
    so do five days without a successful delivery (the managers are e-mailed).

    Without `ticket_office_id`: the organization's events, for legal representatives and
    administrators. With it: only that ticket office's events (orders, tickets, scans, passes,
    its product's lock), for whoever holds the `technical` right on the office (404
    `product_not_found` without any right on it, 403 `product_right_missing` without
    `technical`, 422 `not_a_ticket_office` for another product); a pattern selecting none of
    the office's types is 422 `event_type_not_of_ticket_office`. A token needs
    `webhooks:manage`. Only event types the caller may read whole (on the office, for one
    limited to it) can be named (403 `event_type_not_readable`); an organization has at most
    100 subscriptions (409 `webhook_subscription_limit_reached`)."""
    if body.ticket_office_id is None:
        caller.require_organization_wide()
        visibility.require_readable(caller.access, body.event_types)
    else:
        rights = await office_rights(session, caller.access, body.ticket_office_id)
        visibility.require_readable_on_office(rights, body.event_types)
    subscription, secret = await service.create_subscription(
        session,
        organization_id=caller.organization_id,
        ticket_office_id=body.ticket_office_id,
        target_url=body.target_url,
        event_types=body.event_types,
        description=body.description,
        active=body.active,
        require_https=settings.production,
        allow_private=settings.webhook_private_targets_allowed,
        by=caller.actor,
    )
    read = WebhookSubscriptionRead.model_validate(subscription)
    return WebhookSubscriptionCreated(**read.model_dump(), secret=secret)


@router.get(SUBSCRIPTIONS, response_model=Page[WebhookSubscriptionRead])
@declares(MANAGE, InvalidCursor, *_SUBSCRIBER, 422)
async def list_subscriptions(
    caller: WebhookSubscriber, session: Session, page: Pagination
) -> dict[str, Any]:
    """The organization's webhook subscriptions, newest first, active, paused and disabled
    alike (never their secrets): every one for legal representatives and administrators, those
    limited to the ticket offices it holds `technical` on for anyone else. A token needs
    `webhooks:manage`."""
    rows, next_cursor = await paginate(
        session,
        service.subscriptions_of(caller.organization_id, offices=caller.offices),
        page,
    )
    return page_of(rows, next_cursor)


@router.get(SUBSCRIPTION, response_model=WebhookSubscriptionRead)
@declares(MANAGE, *_SUBSCRIPTION, 422)
async def get_subscription(subscription: ManagedSubscription) -> WebhookSubscription:
    """One subscription, with why and since when it is disabled or failing, if it is (never its
    secret). Legal representatives and administrators; for one limited to a ticket office, also
    who holds `technical` on it (another office's is not found). A token needs
    `webhooks:manage`."""
    return subscription


@router.patch(SUBSCRIPTION, response_model=WebhookSubscriptionRead)
@declares(
    MANAGE,
    *_SUBSCRIPTION,
    *_OFFICE,
    InvalidEventTypePattern,
    EventTypeNotReadable,
    TargetNotAllowed,
    422,
)
async def update_subscription(
    body: WebhookSubscriptionUpdate,
    subscription: LockedSubscription,
    caller: WebhookSubscriber,
    session: Session,
    settings: AppSettings,
) -> WebhookSubscription:
    """Changes the fields sent; `active: false` pauses (waiting retries end as failed),
    `active: true` re-enables a disabled subscription; the ticket office a subscription is
    limited to does not change. Who manages the subscription; new event types must be ones the
    caller may read whole (403 `event_type_not_readable`; on the office, for one limited to it,
    and among its types: 422 `event_type_not_of_ticket_office`), a target URL must be allowed
    (422 `webhook_target_not_allowed`)."""
    if body.event_types is not None:
        if subscription.ticket_office_id is None:
            visibility.require_readable(caller.access, body.event_types)
        else:
            rights = await office_rights(session, caller.access, subscription.ticket_office_id)
            visibility.require_readable_on_office(rights, body.event_types)
    return await service.update_subscription(
        session,
        subscription,
        changes=body.model_dump(exclude_unset=True),
        require_https=settings.production,
        allow_private=settings.webhook_private_targets_allowed,
        by=caller.actor,
    )


@router.delete(SUBSCRIPTION, status_code=status.HTTP_204_NO_CONTENT, response_class=Response)
@declares(MANAGE, *_SUBSCRIPTION, 422)
async def delete_subscription(
    subscription: LockedSubscription, caller: WebhookSubscriber, session: Session
) -> None:
    """Unsubscribes: nothing more is sent to the URL, pending deliveries included, and its
    delivery log goes with it. Who manages the subscription."""
    await service.delete_subscription(session, subscription, by=caller.actor)


@router.post(SUBSCRIPTION + "/secret/rotate")
@declares(MANAGE, *_SUBSCRIPTION, 422)
async def rotate_secret(
    subscription: LockedSubscription, caller: WebhookSubscriber, session: Session
) -> WebhookSecret:
    """A new signing secret (shown once in the answer, never again); for 24 hours deliveries
    carry two signatures, one with each secret, so the receiver can switch without losing
    events. Who manages the subscription."""
    secret, previous_expires_at = await service.rotate_secret(
        session, subscription, by=caller.actor
    )
    return WebhookSecret(secret=secret, previous_secret_expires_at=previous_expires_at)


@router.get(SUBSCRIPTION + "/deliveries", response_model=Page[WebhookDeliveryRead])
@declares(MANAGE, InvalidCursor, *_SUBSCRIPTION, 422)
async def list_deliveries(
    subscription: ManagedSubscription,
    session: Session,
    page: Pagination,
    delivery_status: Annotated[
        DeliveryStatus | None,
        Query(alias="status", description="Only the deliveries in this status."),
    ] = None,
) -> dict[str, Any]:
    """The subscription's deliveries (one per event sent to it), newest first, each with its
    status, attempt count and next attempt; filter by `status` to find the failed ones to
    redeliver. Who manages the subscription."""
    rows, next_cursor = await paginate(
        session,
        service.deliveries_of(subscription.id, status=delivery_status),
        page,
    )
    return page_of([delivery_read(row) for row in rows], next_cursor)


@router.get(SUBSCRIPTION + "/attempts", response_model=Page[WebhookAttemptRead])
@declares(MANAGE, InvalidCursor, *_SUBSCRIPTION, 422)
async def list_attempts(
    subscription: ManagedSubscription,
    session: Session,
    page: Pagination,
    delivery_id: Annotated[
        uuid.UUID | None, Query(description="Only the attempts of this delivery.")
    ] = None,
) -> dict[str, Any]:
    """The delivery log: every request made to the subscription's URL, newest first, with its
    HTTP status, duration and the start of the answer, or why none came. Who manages
    the subscription."""
    rows, next_cursor = await paginate(
        session,
        service.attempts_of(subscription.id, delivery_id=delivery_id),
        page,
    )
    return page_of(rows, next_cursor)


@router.post(SUBSCRIPTION + "/events/{event_id}/redeliver", status_code=ACCEPTED)
@declares(MANAGE, *_SUBSCRIPTION, EventNotFound, 422)
async def redeliver_event(
    event_id: uuid.UUID,
    subscription: ManagedSubscription,
    caller: WebhookSubscriber,
    session: Session,
) -> WebhookDeliveryRead:
    """Sends one of the organization's events to this subscription again, from a fresh retry
    schedule (with the same `webhook-id`, so a receiver that deduplicates ignores a copy it
    already handled). 404 `event_not_found` when the event is not the organization's (or, for a
    subscription limited to a ticket office, not about that office)."""
    delivery = await service.redeliver_event(
        session, subscription, event_id=event_id, by=caller.actor
    )
    return delivery_read(delivery)


@router.post(SUBSCRIPTION + "/redeliver-failed", status_code=ACCEPTED)
@declares(MANAGE, *_SUBSCRIPTION, 422)
async def redeliver_failed(
    body: WebhookRedeliverFailed,
    subscription: ManagedSubscription,
    caller: WebhookSubscriber,
    session: Session,
) -> WebhookRedeliveryCount:
    """Queues again every delivery of this subscription that failed, created since `since`,
    each from a fresh retry schedule; answers how many were queued. Who manages the
    subscription."""
    queued = await service.redeliver_failed(
        session, subscription, since=body.since, by=caller.actor
    )
    return WebhookRedeliveryCount(queued=queued)


@router.post(SUBSCRIPTION + "/test", status_code=ACCEPTED)
@declares(MANAGE, *_SUBSCRIPTION, 422)
async def send_test(
    subscription: ManagedSubscription, caller: WebhookSubscriber, session: Session
) -> WebhookDeliveryRead:
    """Queues a `webhook.test` event to this subscription only (even a paused one is queued;
    it is sent once the subscription is active)."""
    return delivery_read(await service.send_test(session, subscription, by=caller.actor))
