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
    description: str


class EventTypeList(Schema):
    data: list[EventType]


class WebhookEvent(Schema):
    """An event as delivered to subscriptions and as listed by the polling feed."""

    id: uuid.UUID = Field(description="Stable: the same in the feed and in `webhook-id`.")
    type: str = Field(description="One of the types GET /v1/webhooks/event-types lists.")
    timestamp: datetime = Field(description="When the change happened.")
    organization_id: uuid.UUID | None
    data: dict[str, Any] = Field(
        description="The object, in the representation the REST API returns for it."
    )


_EVENT_TYPES_FIELD = Field(
    min_length=1,
    max_length=50,
    description=f"{PATTERN_DESCRIPTION} The types: GET /v1/webhooks/event-types.",
)


class WebhookSubscriptionCreate(Schema):
    target_url: str = Field(
        min_length=1,
        max_length=2000,
        description="Where events are POSTed: https in production, never a private address.",
    )
    event_types: list[EventTypePattern] = _EVENT_TYPES_FIELD
    description: str | None = Field(default=None, max_length=500)
    active: bool = True


class WebhookSubscriptionUpdate(Schema):
    """Only the fields sent change; `active: true` re-enables a disabled subscription."""

    target_url: Omittable[str] = Field(default=None, min_length=1, max_length=2000)
    event_types: Omittable[list[EventTypePattern]] = Field(
        default=None, min_length=1, max_length=50, description=PATTERN_DESCRIPTION
    )
    description: str | None = Field(default=None, max_length=500)
    active: Omittable[bool] = None


class WebhookSubscriptionRead(Schema):
    id: uuid.UUID
    organization_id: uuid.UUID
    target_url: str
    event_types: list[str]
    description: str | None
    active: bool
    disabled_at: datetime | None
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
    event_type: str
    status: DeliveryStatus
    attempts: int = Field(description="Attempts in the current retry schedule.")
    next_attempt_at: datetime | None = Field(description="Null once succeeded or failed.")
    last_attempt_at: datetime | None
    last_status_code: int | None
    last_error: str | None
    delivered_at: datetime | None
    created_at: datetime


class WebhookAttemptRead(Schema):
    id: uuid.UUID
    delivery_id: uuid.UUID
    event_id: uuid.UUID
    event_type: str
    target_url: str
    succeeded: bool
    status_code: int | None
    duration_ms: int
    response_excerpt: str | None = Field(description="The first kilobyte of the response body.")
    error: str | None = Field(description="Why no response was received (timeout, refused…).")
    created_at: datetime


class WebhookRedeliverFailed(Schema):
    since: datetime = Field(description="Redeliver the failed deliveries created since then.")


class WebhookRedeliveryCount(Schema):
    queued: int
