"""Partner services' request and response models (amounts in minor units of ``currency``)."""

import uuid
from datetime import date, datetime, timedelta
from typing import Annotated, Any, TypeVar
from zoneinfo import available_timezones

from pydantic import Field, field_validator, model_validator

from app.core.money import Currency
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

CARD_CURRENCY = (
    "The amount's currency; when given it must be the partner's rate card's, else 422 "
    "currency_mismatch. Default: that currency."
)
PARTNER = "The partner organization whose services these are."
CLIENT = "The client organization the partner manages (the one in the path)."


def _rate(what: str) -> Any:
    return Field(default=None, description=f"{what}, excl. VAT, in the card's currency.")


class RateCardUpdate(Schema):
    """Rates excl. VAT; unset fields keep their value."""

    currency: Currency | None = Field(
        default=None,
        description="The card's currency: its rates, and the contracts, quotes and invoices made "
        "from now on, are in it. Changing it converts nothing: give the rates in the new "
        "currency in the same request.",
    )
    contract_hourly_minor: Money | None = _rate("Hourly rate under contract")
    contract_remote_day_minor: Money | None = _rate(
        "Remote day rate under contract (caps each started 8 hours of remote work)"
    )
    contract_on_site_day_minor: Money | None = _rate("On-site day rate under contract")
    hourly_minor: Money | None = _rate("Hourly rate off contract")
    remote_day_minor: Money | None = _rate(
        "Remote day rate off contract (caps each started 8 hours of remote work)"
    )
    on_site_day_minor: Money | None = _rate("On-site day rate off contract")
    per_km_minor: Money | None = _rate(
        "Travel rate per kilometre, for a trip without a signed quote"
    )
    contract_threshold_minor: Money | None = _rate(
        "The monthly amount from which a contract of at least a year puts the client under contract"
    )
    time_zone: str | None = Field(
        default=None,
        description="IANA time zone of the partner's business hours (Monday to Friday "
        "08:00-19:00; work outside them bears the 20 % surcharge).",
        examples=["Europe/Zurich"],
    )
    country: str | None = Field(
        default=None,
        pattern=r"^[A-Z]{2}$",
        description="ISO 3166-1 country of the partner's seat: sets its VAT rate, public "
        "holidays and late-payment rules (422 `unknown_partner_country` when none is known).",
        examples=["CH"],
    )
    subdivision: str | None = Field(
        default=None,
        max_length=10,
        description="The region whose public holidays apply too (a Swiss canton, a French "
        "department...); null for the country's only.",
        examples=["GE"],
    )
    invoice_prefix: str | None = Field(
        default=None,
        pattern=r"^[A-Z0-9-]{1,12}$",
        description="Starts the partner's invoice numbers: `<prefix>-<year>-<sequence>`.",
        examples=["LAC"],
    )
    iban: str | None = Field(
        default=None,
        max_length=34,
        description="The account clients pay the partner's invoices to (printed on them); null "
        "clears it.",
        examples=["CH9300762011623852957"],
    )

    @field_validator("time_zone")
    @classmethod
    def _known_time_zone(cls, value: str | None) -> str | None:
        if value is not None and value not in available_timezones():
            raise ValueError("unknown time zone")
        return value


class RateCardRead(Schema):
    """The partner's rates, excl. VAT, in ``currency`` (the provider's terms until it sets
    its own)."""

    partner_organization_id: uuid.UUID = Field(description="The partner the card is for.")
    currency: Currency = Field(
        description="The card's currency: that of its rates and of the work invoiced with them."
    )
    contract_hourly_minor: int = Field(description="Hourly rate under contract.")
    contract_remote_day_minor: int = Field(
        description="Remote day rate under contract: caps each started 8 hours of remote work."
    )
    contract_on_site_day_minor: int = Field(description="On-site day rate under contract.")
    hourly_minor: int = Field(description="Hourly rate off contract.")
    remote_day_minor: int = Field(
        description="Remote day rate off contract: caps each started 8 hours of remote work."
    )
    on_site_day_minor: int = Field(description="On-site day rate off contract.")
    per_km_minor: int = Field(
        description="Travel rate per kilometre, for a trip without a signed quote."
    )
    contract_threshold_minor: int = Field(
        description="The monthly amount from which a contract of at least a year puts the "
        "client under contract."
    )
    time_zone: str = Field(
        description="IANA time zone of the partner's business hours.", examples=["Europe/Zurich"]
    )
    country: str = Field(
        description="ISO 3166-1 country of the partner's seat (VAT, public holidays, "
        "late-payment rules).",
        examples=["CH"],
    )
    subdivision: str | None = Field(
        description="The region whose public holidays apply too; null for the country's only.",
        examples=["GE"],
    )
    invoice_prefix: str = Field(
        description="Starts the partner's invoice numbers: `<prefix>-<year>-<sequence>`.",
        examples=["LAC"],
    )
    iban: str | None = Field(
        description="The account clients pay the partner's invoices to; null while not set.",
        examples=["CH9300762011623852957"],
    )
    vat_rate_bp: int = Field(
        description="The VAT rate of the partner's country, in basis points (810 = 8.1 %)."
    )


class ContractCreate(Schema):
    description: Text = Field(
        description="What the contract covers (shown on its invoice lines).",
        examples=["Support and maintenance of the Théâtre du Lac network"],
    )
    monthly_minor: Money = Field(
        description="The client's monthly commitment, excl. VAT, invoiced at the start of each "
        "contract month; 0 for none."
    )
    currency: Currency | None = Field(default=None, description=CARD_CURRENCY)
    starts_on: date = Field(description="The first day of the contract.")
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
    partner_organization_id: uuid.UUID = Field(description=PARTNER)
    client_organization_id: uuid.UUID = Field(description=CLIENT)
    description: str = Field(
        description="What the contract covers.",
        examples=["Support and maintenance of the Théâtre du Lac network"],
    )
    monthly_minor: int = Field(
        description="The client's monthly commitment, excl. VAT, invoiced at the start of each "
        "contract month."
    )
    currency: Currency = Field(
        description="The rate card's currency when the contract was recorded: that of "
        "`monthly_minor`."
    )
    starts_on: date = Field(description="The first day of the contract.")
    ends_on: date = Field(description="The last day of the contract (included).")
    included_minutes: int = Field(
        description="Minutes of work included each month, used before any is billed."
    )
    commitment: bool = Field(
        description="Whether this contract puts the client under contract while it runs (at "
        "least the card's threshold a month for at least a year)."
    )
    created_at: datetime


class ContractStatus(Schema):
    partner_organization_id: uuid.UUID = Field(description=PARTNER)
    client_organization_id: uuid.UUID = Field(description=CLIENT)
    under_contract: bool = Field(
        description="Whether a running contract commits the client that day: its work is then "
        "billed at the rates under contract."
    )
    on: date = Field(description="The day asked about (today by default).")


class RequestCreate(Schema):
    subject: Text = Field(description="The request's title.", examples=["Mail migration"])
    description: LongText = Field(
        default="",
        description="What is asked, in the client's words (the first step's message).",
        examples=["Please move our mailboxes to the new domain before 1 March."],
    )
    channel: RequestChannel = Field(
        default=RequestChannel.api,
        description="Partner staff record phone and chat requests (awaiting the client's written "
        "confirmation; `api` from them is taken as `phone`); the client's members always open "
        "`api` ones.",
    )


class ReplyCreate(Schema):
    message: LongText = Field(
        min_length=1,
        description="The message, shown to both sides and mailed to the client.",
        examples=["Yes, please go ahead with the migration."],
    )
    go_on: bool = Field(
        default=True,
        description="A client's reply asking to go on confirms a phone or chat request.",
    )


class StepRead(Schema):
    kind: StepKind = Field(description="What happened.")
    status: RequestStatus = Field(description="The request's status after this step.")
    message: str | None = Field(
        description="The message written with the step; null when none.",
        examples=["Yes, please go ahead with the migration."],
    )
    account_id: uuid.UUID | None = Field(description="Who took the step; null for the system.")
    time_spent_minutes: int = Field(
        description="Quarter hours due on the request when the step was taken, in minutes."
    )
    at: datetime = Field(description="When the step was taken.")


class RequestRead(Schema):
    id: uuid.UUID
    partner_organization_id: uuid.UUID = Field(description=PARTNER)
    client_organization_id: uuid.UUID = Field(description=CLIENT)
    subject: str = Field(description="The request's title.", examples=["Mail migration"])
    description: str = Field(
        description="What was asked.",
        examples=["Please move our mailboxes to the new domain before 1 March."],
    )
    channel: RequestChannel = Field(description="How the request reached the partner.")
    status: RequestStatus = Field(
        description="Work is due only while `open` (after confirmation) and until a stop."
    )
    opened_by: uuid.UUID | None = Field(
        description="The account that opened or recorded it; null when not known."
    )
    confirmed_at: datetime | None = Field(
        description="When the client confirmed it in writing (at once for `api`); null while "
        "awaiting confirmation."
    )
    stopped_at: datetime | None = Field(
        description="When the client asked to stop: work after it is not due; null if it did not."
    )
    closed_at: datetime | None = Field(description="When the partner closed it; null while not.")
    time_spent_minutes: int = Field(description="Quarter hours due so far, in minutes.")
    steps: list[StepRead] = Field(
        default=[], description="Every step, oldest first (empty in lists)."
    )
    created_at: datetime


class InterventionCreate(Schema):
    started_at: datetime = Field(description="When the work began (with an offset).")
    ended_at: datetime = Field(
        description="When the work ended (with an offset): after `started_at`, at most 24 "
        "hours later."
    )
    location: Location = Field(
        default=Location.remote,
        description="`on_site` work is invoiced through its accepted quote, or else as travel.",
    )
    description: LongText = Field(
        default="",
        description="What was done (on the invoice line and the request's step).",
        examples=["Moved 12 mailboxes and updated the DNS records."],
    )
    quote_id: uuid.UUID | None = Field(
        default=None,
        description="The request's quote that covers this on-site work (409 "
        "`quote_not_for_request` for another request's or remote work).",
    )
    distance_km: Annotated[int, Field(ge=0, le=5000)] = Field(
        default=0, description="From the partner's seat to the client's address (on site)."
    )
    travel_minutes: Annotated[int, Field(ge=0, le=24 * 60)] = Field(
        default=0, description="Travel time to the client's address (on site), in minutes."
    )

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
    staff_account_id: uuid.UUID | None = Field(
        description="The partner's staff member who logged it; null when not known."
    )
    started_at: datetime = Field(description="When the work began.")
    ended_at: datetime = Field(description="When the work ended.")
    location: Location = Field(description="Remote or on site.")
    description: str = Field(
        description="What was done.", examples=["Moved 12 mailboxes and updated the DNS records."]
    )
    quote_id: uuid.UUID | None = Field(
        description="The accepted quote covering this on-site work; null when none."
    )
    distance_km: int = Field(description="From the partner's seat to the client's address.")
    travel_minutes: int = Field(description="Travel time, in minutes.")
    due_minutes: int = Field(description="Started quarter hours due (none until confirmed).")
    off_hours_minutes: int = Field(
        description="Of `due_minutes`, those outside business hours (20 % surcharge)."
    )
    invoice_id: uuid.UUID | None = Field(
        description="The partner invoice that billed it; null until invoiced."
    )
    created_at: datetime


class QuoteLine(Schema):
    """A line of a quote being written."""

    description: Text = Field(
        description="What the line covers.", examples=["Server installation on site (1 day)"]
    )
    quantity: Annotated[int, Field(ge=1, le=10_000)] = Field(
        default=1, description="How many units."
    )
    unit_minor: Money = Field(description="Price per unit, excl. VAT.")
    currency: Currency | None = Field(default=None, description=CARD_CURRENCY)


class QuoteLineRead(Schema):
    """A line of a quote, in the quote's currency."""

    description: str = Field(
        description="What the line covers.", examples=["Server installation on site (1 day)"]
    )
    quantity: int = Field(description="How many units.")
    unit_minor: int = Field(description="Price per unit, excl. VAT.")
    currency: Currency = Field(description="The quote's currency: that of `unit_minor`.")


class QuoteCreate(Schema):
    request_id: uuid.UUID = Field(description="The support request the on-site work is for.")
    title: Text = Field(
        description="What is quoted (the invoice line's title once accepted).",
        examples=["Installation of the box-office server"],
    )
    lines: list[QuoteLine] = Field(
        min_length=1, max_length=100, description="What is quoted, line by line (1 to 100)."
    )


class QuoteRead(Schema):
    id: uuid.UUID
    partner_organization_id: uuid.UUID = Field(description=PARTNER)
    client_organization_id: uuid.UUID = Field(description=CLIENT)
    request_id: uuid.UUID = Field(description="The support request the on-site work is for.")
    title: str = Field(
        description="What is quoted.", examples=["Installation of the box-office server"]
    )
    lines: list[QuoteLineRead] = Field(description="What is quoted, line by line.")
    net_minor: int = Field(description="Every line's quantity times unit price, excl. VAT.")
    currency: Currency = Field(
        description="The rate card's currency when the quote was written: that of every amount."
    )
    status: QuoteStatus = Field(
        description="`draft` until sent to the client, `sent`, then `accepted` once signed."
    )
    sent_at: datetime | None = Field(description="Null until sent.")
    accepted_at: datetime | None = Field(description="Null until signed.")
    accepted_by: uuid.UUID | None = Field(
        description="The client's legal representative or administrator who signed; null until "
        "signed."
    )
    invoice_id: uuid.UUID | None = Field(
        description="The partner invoice that billed it (after the on-site work); null until then."
    )
    created_at: datetime


class PartnerInvoiceLineRead(Schema):
    kind: PartnerLineKind = Field(
        description="`intervention`: remote work; `travel`: a trip without a signed quote; "
        "`quote`: an accepted quote; `contract_month`: a month of a contract."
    )
    description: str = Field(
        description="What is billed.", examples=["Mail migration: moved 12 mailboxes"]
    )
    worked_on: date | None = Field(
        description="The day of the work (partner's time zone); null for a contract month."
    )
    minutes: int = Field(
        description="Quarter hours due (of work, or of travel), in minutes; 0 when not by time."
    )
    included_minutes: int = Field(
        description="Of `minutes`, those taken from the contract's monthly included minutes "
        "(not billed)."
    )
    rate_minor: int = Field(
        description="The hourly rate applied (the monthly amount for a contract month); 0 for a "
        "quote."
    )
    base_minor: int = Field(description="The amount before the off-hours surcharge.")
    surcharge_minor: int = Field(
        description="The 20 % off-hours surcharge on the quarter hours outside business hours."
    )
    amount_minor: int = Field(description="What the line bills, excl. VAT.")
    currency: Currency = Field(description="The invoice's currency: that of every amount here.")
    intervention_id: uuid.UUID | None = Field(
        description="The intervention billed; null for a contract month."
    )
    contract_id: uuid.UUID | None = Field(
        description="The contract billed, or whose included minutes were used; null when none."
    )
    period_start: date | None = Field(
        description="The start of the contract month concerned; null without a contract."
    )


class PartnerInvoiceRead(Schema):
    id: uuid.UUID
    partner_organization_id: uuid.UUID = Field(description="The partner that issued it.")
    client_organization_id: uuid.UUID = Field(description="The client billed.")
    number: str = Field(
        description="The partner's invoice number: `<prefix>-<year>-<sequence>`.",
        examples=["LAC-2026-00001"],
    )
    payment_reference: str = Field(
        description="The creditor reference (ISO 11649) to quote on the bank transfer: the "
        "transfer is matched to the invoice by it.",
        examples=["RF82PS000000000042"],
    )
    partner_name: str = Field(
        description="The partner's name when issued.", examples=["Alpine Digital Partners AG"]
    )
    client_name: str = Field(
        description="The client's name when issued.", examples=["Théâtre du Lac"]
    )
    currency: Currency = Field(description="The rate card's currency when issued.")
    net_minor: int = Field(description="The lines' amounts, summed (excl. VAT).")
    vat_rate_bp: int = Field(
        description="The VAT rate of the partner's country, in basis points (810 = 8.1 %)."
    )
    vat_minor: int = Field(description="VAT on `net_minor`, rounded half up.")
    total_minor: int = Field(description="`net_minor` + `vat_minor`: what the client pays.")
    status: PartnerInvoiceStatus = Field(
        description="`issued` until paid by bank transfer, then `paid`."
    )
    issued_at: datetime = Field(description="When the partner issued it.")
    due_at: datetime = Field(
        description="30 days after issue: late-payment penalties run from then."
    )
    paid_at: datetime | None = Field(description="Null until paid.")
    lines: list[PartnerInvoiceLineRead] = Field(
        default=[], description="What is billed (empty in lists)."
    )
    created_at: datetime


class ReminderRead(Schema):
    id: uuid.UUID
    invoice_id: uuid.UUID
    days_late: int = Field(description="Days past the due date when the reminder was sent.")
    rate_bp: int = Field(description="Yearly interest rate: the ECB rate + 10 points (France).")
    interest_minor: int = Field(description="Late-payment interest owed at the reminder's date.")
    indemnity_minor: int = Field(
        description="The fixed recovery indemnity (40.00 in France; 0 where there is none)."
    )
    amount_due_minor: int = Field(
        description="What the client owes at the reminder's date: the invoice, if unpaid, plus "
        "the penalties."
    )
    currency: Currency = Field(description="The invoice's currency: that of every amount here.")
    created_at: datetime


_LONGEST = timedelta(hours=24)

S = TypeVar("S", bound=Schema)


def read_model(schema: type[S], row: object, **derived: Any) -> S:
    """``schema`` from the row's attributes, but for the ``derived`` values given."""
    return schema.model_validate(
        {**{key: getattr(row, key) for key in schema.model_fields if key not in derived}, **derived}
    )
