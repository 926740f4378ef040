"""The partner services domain's enums, which other domains may import."""

from enum import StrEnum


class RequestChannel(StrEnum):
    """How a support request reached the partner."""

    api = "api"
    """Written by a client's member through the API: confirmed in writing from the start."""
    phone = "phone"
    chat = "chat"


class RequestStatus(StrEnum):
    awaiting_confirmation = "awaiting_confirmation"
    """Recorded by the partner from a call or a chat: no time is due until the client confirms."""
    open = "open"
    stopped = "stopped"
    """The client asked to stop: no time after the stop is due."""
    closed = "closed"


class StepKind(StrEnum):
    opened = "opened"
    confirmed = "confirmed"
    replied = "replied"
    intervention = "intervention"
    stopped = "stopped"
    closed = "closed"


class Location(StrEnum):
    remote = "remote"
    on_site = "on_site"


class QuoteStatus(StrEnum):
    draft = "draft"
    sent = "sent"
    accepted = "accepted"


class PartnerInvoiceStatus(StrEnum):
    issued = "issued"
    paid = "paid"


class PartnerLineKind(StrEnum):
    intervention = "intervention"
    travel = "travel"
    quote = "quote"
    contract_month = "contract_month"
