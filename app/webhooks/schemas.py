import uuid
from datetime import datetime
from typing import Any, ClassVar

from pydantic import Field, JsonValue

from app.core.schemas import Omittable, Schema
from app.events.catalog import EVENT_TYPES
from app.webhooks.models import DeliveryStatus, DisabledReason
from app.webhooks.patterns import PATTERN_DESCRIPTION

EventTypePattern = str
_TYPE_ENUM: list[JsonValue] = [*sorted(EVENT_TYPES)]


class EventType(Schema):
    type: str = Field(
        description="The event type, as sent in `type` and `webhook-id`'s event.",
        json_schema_extra={"enum": _TYPE_ENUM},
    )
    description: str = Field(description="When the event is sent.", examples=["An order was paid."])


class WebhookEvent(Schema):
    """An event as delivered to subscriptions and as listed by the polling feed."""

    id: uuid.UUID = Field(description="Stable: the same in the feed and in `webhook-id`.")
    type: str = Field(
        description="One of the types GET /v1/webhooks/event-types lists.",
        examples=["order.paid"],
    )
    timestamp: datetime = Field(description="When the change happened.")
    organization_id: uuid.UUID | None = Field(
        description="The organization the event belongs to (null only for an event of no "
        "organization, never delivered to a subscription)."
    )
    data: dict[str, Any] = Field(
        description="The object, in the representation the REST API returns for it."
    )


_EVENT_TYPES_FIELD = Field(
    min_length=1,
    max_length=50,
    description=f"{PATTERN_DESCRIPTION} The types: GET /v1/webhooks/event-types.",
    examples=[["order.*", "invoice.paid"]],
)
TARGET_URL_EXAMPLES = ["https://hooks.theatre-du-lac.ch/manager"]
SUBSCRIPTION_DESCRIPTION_EXAMPLES = ["Commandes vers la comptabilité"]


_OFFICE_DESCRIPTION = (
    "Null: the organization's events (managed by its administrators and legal "
    "representatives). Set: only this ticket office's events (orders, tickets, scans, passes, "
    "its product), managed also by who holds the `technical` right on it."
)


class WebhookSubscriptionCreate(Schema):
    ticket_office_id: uuid.UUID | None = Field(default=None, description=_OFFICE_DESCRIPTION)
    target_url: str = Field(
        min_length=1,
        max_length=2000,
        description="Where events are POSTed: https in production, never a private address.",
        examples=TARGET_URL_EXAMPLES,
    )
    event_types: list[EventTypePattern] = _EVENT_TYPES_FIELD
    description: str | None = Field(
        default=None,
        max_length=500,
        description="A note for the organization's managers: what the receiver does.",
        examples=SUBSCRIPTION_DESCRIPTION_EXAMPLES,
    )
    active: bool = Field(
        default=True, description="False: created paused, nothing is sent until it is active."
    )


class WebhookSubscriptionUpdate(Schema):
    """Only the fields sent change; `active: true` re-enables a disabled subscription."""

    target_url: Omittable[str] = Field(
        default=None,
        min_length=1,
        max_length=2000,
        description="Where events are POSTed: https in production, never a private address.",
        examples=TARGET_URL_EXAMPLES,
    )
    event_types: Omittable[list[EventTypePattern]] = Field(
        default=None,
        min_length=1,
        max_length=50,
        description=PATTERN_DESCRIPTION,
        examples=[["order.*", "invoice.paid"]],
    )
    description: str | None = Field(
        default=None,
        max_length=500,
        description="Null removes the note.",
        examples=SUBSCRIPTION_DESCRIPTION_EXAMPLES,
    )
    active: Omittable[bool] = Field(
        default=None,
        description="False pauses it (waiting retries end as failed); true resumes it, or "
        "re-enables it after it was disabled.",
    )


class WebhookSubscriptionRead(Schema):
    id: uuid.UUID
    organization_id: uuid.UUID
    ticket_office_id: uuid.UUID | None = Field(description=_OFFICE_DESCRIPTION)
    target_url: str = Field(description="Where events are POSTed.", examples=TARGET_URL_EXAMPLES)
    event_types: list[str] = Field(
        description=f"What is sent, each pattern being: {PATTERN_DESCRIPTION}",
        examples=[["order.*", "invoice.paid"]],
    )
    description: str | None = Field(
        description="The managers' note, if any.", examples=SUBSCRIPTION_DESCRIPTION_EXAMPLES
    )
    active: bool = Field(
        description="False while paused or disabled (see `disabled_reason`): nothing is sent."
    )
    disabled_at: datetime | None = Field(
        description="When the service disabled it (`disabled_reason`); null otherwise."
    )
    disabled_reason: DisabledReason | None = Field(
        description="`gone`: the receiver answered 410; `failing`: five days of failures."
    )
    failing_since: datetime | None = Field(
        description="Start of the current run of failed deliveries, if any."
    )
    previous_secret_expires_at: datetime | None = Field(
        description="Until then, deliveries are also signed with the secret before the last "
        "rotation."
    )
    created_at: datetime
    updated_at: datetime


class WebhookSubscriptionCreated(WebhookSubscriptionRead):
    carries_credentials: ClassVar[bool] = True

    secret: str = Field(
        description="`whsec_…`: shown once. Verify `webhook-signature` with it (Standard Webhooks)."
    )


class WebhookSecret(Schema):
    carries_credentials: ClassVar[bool] = True

    secret: str = Field(description="The new `whsec_…` secret: shown once.")
    previous_secret_expires_at: datetime = Field(
        description="The previous secret still signs deliveries until then."
    )


class WebhookDeliveryRead(Schema):
    id: uuid.UUID
    subscription_id: uuid.UUID
    event_id: uuid.UUID
    event_type: str = Field(description="The event's type.", examples=["order.paid"])
    status: DeliveryStatus = Field(
        description="`pending` (waiting for its next attempt), `succeeded` (a 2xx answer) or "
        "`failed` (every retry used, or ended when the subscription was paused or disabled)."
    )
    attempts: int = Field(description="Attempts in the current retry schedule.")
    next_attempt_at: datetime | None = Field(description="Null once succeeded or failed.")
    last_attempt_at: datetime | None = Field(description="Null before the first attempt.")
    last_status_code: int | None = Field(
        description="The HTTP status the receiver last answered; null when it did not answer."
    )
    last_error: str | None = Field(
        description="Why the last attempt failed, if it did.",
        examples=["HTTP 503", "No response within 15 s."],
    )
    delivered_at: datetime | None = Field(description="When a 2xx answer was received.")
    created_at: datetime


class WebhookAttemptRead(Schema):
    id: uuid.UUID
    delivery_id: uuid.UUID
    event_id: uuid.UUID
    event_type: str = Field(description="The event's type.", examples=["order.paid"])
    target_url: str = Field(
        description="Where the request went (the subscription's URL at that time).",
        examples=TARGET_URL_EXAMPLES,
    )
    succeeded: bool = Field(description="A 2xx answer was received.")
    status_code: int | None = Field(
        description="The HTTP status answered; null when no answer came."
    )
    duration_ms: int = Field(description="How long the request took, in milliseconds.")
    response_excerpt: str | None = Field(description="The first kilobyte of the response body.")
    error: str | None = Field(description="Why no response was received (timeout, refused…).")
    created_at: datetime


class WebhookRedeliverFailed(Schema):
    since: datetime = Field(description="Redeliver the failed deliveries created since then.")


class WebhookRedeliveryCount(Schema):
    queued: int = Field(description="How many failed deliveries were queued again.")
