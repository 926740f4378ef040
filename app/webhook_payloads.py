"""The payload of every event type, for the OpenAPI document's ``webhooks`` and polling feed.

An event's ``data`` is the REST representation of its object, so each type maps to the response
schema its domain emits (``events.emit(session, type, <that schema>)``). A test holds that every
type of ``app/events/catalog.py`` is here and that emitted payloads validate against it.
"""

import re
import uuid
from typing import Any

from fastapi import FastAPI
from pydantic import BaseModel, Field

from app.accounts.schemas import AccountRead
from app.affiliates.schemas import AffiliateRead, CommissionRead, PayoutRead
from app.billing.schemas import (
    BillingOrderRead,
    InvoiceRead,
    InvoiceSummary,
    PaymentRead,
    PrepaidEntryRead,
    SubscriptionRead,
    WithdrawalRead,
)
from app.core.openapi import REF_PREFIX, add_schemas
from app.core.schemas import Schema
from app.events.catalog import EVENT_TYPES
from app.organizations.schemas import (
    GrantRead,
    InvitationRead,
    MemberRead,
    OrganizationRead,
    PartnershipRead,
    ProductRead,
    SupportAccessRead,
    TeamRead,
)
from app.partner_services.schemas import (
    InterventionRead,
    PartnerInvoiceRead,
    QuoteRead,
    RequestRead,
)
from app.ticketing.pass_schemas import SoldPassRead
from app.ticketing.schemas import ScanRead, TicketOrderRead


class TicketScan(ScanRead):
    """A scan at ticket control, with the performance it was made for."""

    performance_id: uuid.UUID = Field(description="The performance the scan was made for.")


class WebhookTest(Schema):
    """What ``POST …/subscriptions/{id}/test`` sends."""

    subscription_id: uuid.UUID = Field(description="The subscription the test was sent to.")
    target_url: str = Field(
        description="Its URL when the test was queued.",
        examples=["https://hooks.theatre-du-lac.ch/manager"],
    )
    message: str = Field(
        description="A test event, sent on request.", examples=["This is a test event."]
    )


def _of(model: type[BaseModel], *types: str) -> dict[str, type[BaseModel]]:
    return dict.fromkeys(types, model)


PAYLOADS: dict[str, type[BaseModel]] = {
    "account.created": AccountRead,
    **_of(MemberRead, "member.added", "member.role_changed", "member.removed"),
    "member.invited": InvitationRead,
    "rights.changed": GrantRead,
    **_of(ProductRead, "product.created", "product.locked", "product.unlocked"),
    **_of(PartnershipRead, "partnership.started", "partnership.ended", "partnership.updated"),
    **_of(
        OrganizationRead,
        "security.two_factor_required",
        "security.two_factor_requirement_lifted",
        "organization.created",
        "organization.updated",
        "organization.deleted",
    ),
    **_of(TeamRead, "team.created", "team.updated", "team.deleted"),
    **_of(SupportAccessRead, "support_access.granted", "support_access.revoked"),
    "webhook.test": WebhookTest,
    **_of(
        TicketOrderRead,
        "order.created",
        "order.paid",
        "order.cancelled",
        "order.reminded",
        "order.expired",
        "ticket.cancelled",
        "ticket.exchanged",
    ),
    "ticket.scanned": TicketScan,
    **_of(SoldPassRead, "ticket.pass_sold", "ticket.pass_cancelled"),
    **_of(BillingOrderRead, "billing_order.placed", "billing_order.cancelled"),
    **_of(InvoiceRead, "invoice.issued", "invoice.paid", "invoice.voided", "invoice.refunded"),
    "invoice.reminded": InvoiceSummary,
    **_of(PaymentRead, "payment.succeeded", "payment.failed"),
    **_of(PrepaidEntryRead, "prepaid.credited", "prepaid.debited"),
    "prepaid.withdrawal_requested": WithdrawalRead,
    **_of(
        SubscriptionRead,
        "product.renewed",
        "product.expired",
        "product.redemption_started",
        "product.released",
        "product.plan_changed",
        "product.subscription_changed",
    ),
    **_of(
        RequestRead,
        "service_request.opened",
        "service_request.confirmed",
        "service_request.replied",
        "service_request.stopped",
        "service_request.closed",
    ),
    "intervention.logged": InterventionRead,
    "quote.accepted": QuoteRead,
    **_of(PartnerInvoiceRead, "partner_invoice.issued", "partner_invoice.paid"),
    "affiliate.joined": AffiliateRead,
    **_of(
        CommissionRead,
        "affiliate.commission_earned",
        "affiliate.commission_validated",
        "affiliate.commission_voided",
    ),
    "affiliate.payout_made": PayoutRead,
}

SIGNATURE_HEADERS = (
    ("webhook-id", "The event's id: the same on every retry (deduplicate on it)."),
    ("webhook-timestamp", "Seconds since the epoch when this attempt was signed."),
    ("webhook-signature", "`v1,<base64 HMAC-SHA256>` (Standard Webhooks) with the secret."),
)
TYPED_EVENT = "TypedWebhookEvent"
FEED_PAGE = "Page_WebhookEvent_"


def envelope_name(event_type: str) -> str:
    """``order.created`` → ``OrderCreatedEvent``."""
    return "".join(part.capitalize() for part in re.split(r"[._]", event_type)) + "Event"


def _envelope(event_type: str, payload: str) -> dict[str, Any]:
    return {
        "type": "object",
        "title": envelope_name(event_type),
        "description": EVENT_TYPES[event_type],
        "required": ["id", "type", "timestamp", "organization_id", "data"],
        "properties": {
            "id": {"type": "string", "format": "uuid", "description": "Stable: `webhook-id`."},
            "type": {"type": "string", "enum": [event_type]},
            "timestamp": {"type": "string", "format": "date-time"},
            "organization_id": {"anyOf": [{"type": "string", "format": "uuid"}, {"type": "null"}]},
            "data": {"$ref": REF_PREFIX + payload},
        },
    }


def document(openapi: dict[str, Any], app: FastAPI | None = None) -> None:
    """Adds a typed envelope per event type, the ``webhooks`` section and a typed feed."""
    schemas = openapi["components"]["schemas"]
    webhooks: dict[str, Any] = {}
    mapping: dict[str, str] = {}
    for event_type in sorted(EVENT_TYPES):
        model = PAYLOADS[event_type]
        add_schemas(
            schemas,
            model.model_json_schema(ref_template=REF_PREFIX + "{model}", mode="serialization"),
        )
        name = envelope_name(event_type)
        schemas[name] = _envelope(event_type, model.__name__)
        mapping[event_type] = REF_PREFIX + name
        webhooks[event_type] = {
            "post": {
                "tags": ["webhooks"],
                "summary": event_type,
                "description": EVENT_TYPES[event_type],
                "operationId": f"webhooks-{event_type.replace('.', '_')}",
                "parameters": [
                    {
                        "name": header,
                        "in": "header",
                        "required": True,
                        "schema": {"type": "string"},
                        "description": text,
                    }
                    for header, text in SIGNATURE_HEADERS
                ],
                "requestBody": {
                    "required": True,
                    "content": {"application/json": {"schema": {"$ref": mapping[event_type]}}},
                },
                "responses": {
                    "2XX": {"description": "Received; any other answer is retried."},
                },
            }
        }
    schemas[TYPED_EVENT] = {
        "title": TYPED_EVENT,
        "description": "An event with its payload typed by `type`.",
        "oneOf": [{"$ref": ref} for ref in mapping.values()],
        "discriminator": {"propertyName": "type", "mapping": mapping},
    }
    if FEED_PAGE in schemas:
        schemas[FEED_PAGE]["properties"]["data"]["items"] = {"$ref": REF_PREFIX + TYPED_EVENT}
    openapi["webhooks"] = webhooks
