"""Partner services' request and response models (amounts in minor units of ``currency``)."""

import uuid
from datetime import date, datetime, timedelta
from typing import Annotated, Any, TypeVar
from zoneinfo import available_timezones

from pydantic import Field, field_validator, model_validator

from app.core.schemas import Schema
from app.partner_services.types import (
    Location,
    PartnerInvoiceStatus,
    PartnerLineKind,
    QuoteStatus,
    RequestChannel,
    RequestStatus,
    StepKind,
)

Money = Annotated[int, Field(ge=0, le=100_000_000, description="Amount in minor units (cents).")]
Text = Annotated[str, Field(min_length=1, max_length=200)]
LongText = Annotated[str, Field(max_length=5000)]


class RateCardUpdate(Schema):
    """Rates excl. VAT; unset fields keep their value."""

    currency: str | None = Field(default=None, pattern=r"^(CHF|EUR)$")
    contract_hourly_minor: Money | None = None
    contract_remote_day_minor: Money | None = None
    contract_on_site_day_minor: Money | None = None
    hourly_minor: Money | None = None
    remote_day_minor: Money | None = None
    on_site_day_minor: Money | None = None
    per_km_minor: Money | None = None
    contract_threshold_minor: Money | None = None
    time_zone: str | None = None
    country: str | None = Field(default=None, pattern=r"^[A-Z]{2}$")
    subdivision: str | None = Field(default=None, max_length=10)
    invoice_prefix: str | None = Field(default=None, pattern=r"^[A-Z0-9-]{1,12}$")
    iban: str | None = Field(default=None, max_length=34)

    @field_validator("time_zone")
    @classmethod
    def _known_time_zone(cls, value: str | None) -> str | None:
        if value is not None and value not in available_timezones():
            raise ValueError("unknown time zone")
        return value


class RateCardRead(Schema):
    partner_organization_id: uuid.UUID
    currency: str
    contract_hourly_minor: int
    contract_remote_day_minor: int
    contract_on_site_day_minor: int
    hourly_minor: int
    remote_day_minor: int
    on_site_day_minor: int
    per_km_minor: int
    contract_threshold_minor: int
    time_zone: str
    country: str
    subdivision: str | None
    invoice_prefix: str
    iban: str | None
    vat_rate_bp: int


class ContractCreate(Schema):
    description: Text
    monthly_minor: Money
    starts_on: date
    ends_on: date = Field(description="The last day of the contract (included).")
    included_minutes: Annotated[int, Field(ge=0, le=100_000)] = Field(
        default=0, description="Minutes of work included each month, used before any is billed."
    )

    @model_validator(mode="after")
    def _ends_after_start(self) -> "ContractCreate":
        if self.ends_on < self.starts_on:
            raise ValueError("ends_on is before starts_on")
        return self


class ContractRead(Schema):
    id: uuid.UUID
    partner_organization_id: uuid.UUID
    client_organization_id: uuid.UUID
    description: str
    monthly_minor: int
    currency: str
    starts_on: date
    ends_on: date
    included_minutes: int
    commitment: bool = Field(description="Whether this contract puts the client under contract.")
    created_at: datetime


class ContractStatus(Schema):
    partner_organization_id: uuid.UUID
    client_organization_id: uuid.UUID
    under_contract: bool
    on: date


class RequestCreate(Schema):
    subject: Text
    description: LongText = ""
    channel: RequestChannel = Field(
        default=RequestChannel.api,
        description="Partner staff record phone and chat requests (awaiting the client's written "
        "confirmation); the client's members open ``api`` ones.",
    )


class ReplyCreate(Schema):
    message: LongText = Field(min_length=1)
    go_on: bool = Field(
        default=True,
        description="A client's reply asking to go on confirms a phone or chat request.",
    )


class StepRead(Schema):
    kind: StepKind
    status: RequestStatus
    message: str | None
    account_id: uuid.UUID | None
    time_spent_minutes: int
    at: datetime


class RequestRead(Schema):
    id: uuid.UUID
    partner_organization_id: uuid.UUID
    client_organization_id: uuid.UUID
    subject: str
    description: str
    channel: RequestChannel
    status: RequestStatus
    opened_by: uuid.UUID | None
    confirmed_at: datetime | None
    stopped_at: datetime | None
    closed_at: datetime | None
    time_spent_minutes: int = Field(description="Quarter hours due so far, in minutes.")
    steps: list[StepRead] = []
    created_at: datetime


class InterventionCreate(Schema):
    started_at: datetime
    ended_at: datetime
    location: Location = Location.remote
    description: LongText = ""
    quote_id: uuid.UUID | None = None
    distance_km: Annotated[int, Field(ge=0, le=5000)] = Field(
        default=0, description="From the partner's seat to the client's address (on site)."
    )
    travel_minutes: Annotated[int, Field(ge=0, le=24 * 60)] = 0

    @model_validator(mode="after")
    def _ordered(self) -> "InterventionCreate":
        if self.started_at.tzinfo is None or self.ended_at.tzinfo is None:
            raise ValueError("times need an offset")
        if self.ended_at <= self.started_at:
            raise ValueError("ended_at is not after started_at")
        if self.ended_at - self.started_at > _LONGEST:
            raise ValueError("an intervention lasts at most 24 hours")
        return self


class InterventionRead(Schema):
    id: uuid.UUID
    request_id: uuid.UUID
    staff_account_id: uuid.UUID | None
    started_at: datetime
    ended_at: datetime
    location: Location
    description: str
    quote_id: uuid.UUID | None
    distance_km: int
    travel_minutes: int
    due_minutes: int = Field(description="Started quarter hours due (none until confirmed).")
    off_hours_minutes: int
    invoice_id: uuid.UUID | None
    created_at: datetime


class QuoteLine(Schema):
    description: Text
    quantity: Annotated[int, Field(ge=1, le=10_000)] = 1
    unit_minor: Money


class QuoteCreate(Schema):
    request_id: uuid.UUID
    title: Text
    lines: list[QuoteLine] = Field(min_length=1, max_length=100)


class QuoteRead(Schema):
    id: uuid.UUID
    partner_organization_id: uuid.UUID
    client_organization_id: uuid.UUID
    request_id: uuid.UUID
    title: str
    lines: list[QuoteLine]
    net_minor: int
    currency: str
    status: QuoteStatus
    sent_at: datetime | None
    accepted_at: datetime | None
    accepted_by: uuid.UUID | None
    invoice_id: uuid.UUID | None
    created_at: datetime


class PartnerInvoiceLineRead(Schema):
    kind: PartnerLineKind
    description: str
    worked_on: date | None
    minutes: int
    included_minutes: int
    rate_minor: int
    base_minor: int
    surcharge_minor: int
    amount_minor: int
    intervention_id: uuid.UUID | None
    contract_id: uuid.UUID | None
    period_start: date | None


class PartnerInvoiceRead(Schema):
    id: uuid.UUID
    partner_organization_id: uuid.UUID
    client_organization_id: uuid.UUID
    number: str
    payment_reference: str
    partner_name: str
    client_name: str
    currency: str
    net_minor: int
    vat_rate_bp: int
    vat_minor: int
    total_minor: int
    status: PartnerInvoiceStatus
    issued_at: datetime
    due_at: datetime
    paid_at: datetime | None
    lines: list[PartnerInvoiceLineRead] = []
    created_at: datetime


class ReminderRead(Schema):
    id: uuid.UUID
    invoice_id: uuid.UUID
    days_late: int
    rate_bp: int = Field(description="Yearly interest rate: the ECB rate + 10 points (France).")
    interest_minor: int
    indemnity_minor: int
    amount_due_minor: int
    created_at: datetime


_LONGEST = timedelta(hours=24)

S = TypeVar("S", bound=Schema)


def read_model(schema: type[S], row: object, **derived: Any) -> S:
    """``schema`` from the row's attributes, but for the ``derived`` values given."""
    return schema.model_validate(
        {**{key: getattr(row, key) for key in schema.model_fields if key not in derived}, **derived}
    )
