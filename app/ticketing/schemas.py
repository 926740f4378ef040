import uuid
from datetime import datetime
from typing import Annotated, ClassVar

from pydantic import EmailStr, Field, field_validator, model_validator

from app.core import iban
from app.core.schemas import Omittable, Schema
from app.ticketing.models import (
    Channel,
    PaymentMethod,
    RefundMethod,
    ScanResult,
    TicketOrderStatus,
    TicketStatus,
)

Money = Annotated[int, Field(ge=0, le=100_000_000, description="Amount in minor units (cents).")]
Name = Annotated[str, Field(min_length=1, max_length=200)]


class TicketOfficeCreate(Schema):
    name: Name
    currency: str | None = Field(
        default=None, pattern=r"^(CHF|EUR)$", description="Default: the organization's."
    )
    time_zone: str = "Europe/Zurich"


class Payee(Schema):
    """The creditor printed on the invoices of an office's orders on invoice and on their QR-bill:
    a CHF office is paid with a QR reference on its QR-IBAN if it gives one, else with an RF
    reference on its IBAN; a EUR office with an RF reference on its IBAN (with the BIC)."""

    name: Annotated[str, Field(min_length=1, max_length=70)]
    street: Annotated[str, Field(min_length=1, max_length=70)]
    building: Annotated[str, Field(max_length=16)] = ""
    postal_code: Annotated[str, Field(min_length=1, max_length=16)]
    town: Annotated[str, Field(min_length=1, max_length=35)]
    country: Annotated[str, Field(pattern=r"^[A-Z]{2}$")]
    iban: str = Field(description="The account's IBAN.")
    qr_iban: str | None = Field(default=None, description="A QR-IBAN, for QR references (CHF).")
    bic: Annotated[str, Field(pattern=r"^[A-Z0-9]{8}([A-Z0-9]{3})?$")] | None = None
    vat_number: Annotated[str, Field(max_length=30)] | None = Field(
        default=None, description="The organizer's VAT number (UID-MWST), printed on invoices."
    )

    @field_validator("iban", "qr_iban")
    @classmethod
    def _valid_iban(cls, value: str | None) -> str | None:
        if value is None:
            return None
        if not iban.is_valid(value):
            raise ValueError("not a valid IBAN")
        return iban.compact(value)

    @model_validator(mode="after")
    def _qr_iban_is_one(self) -> "Payee":
        if self.qr_iban is not None and not iban.is_qr_iban(self.qr_iban):
            raise ValueError("qr_iban is not a QR-IBAN (institution id 30000-31999)")
        if iban.is_qr_iban(self.iban):
            raise ValueError("iban is a QR-IBAN: give it as qr_iban, with the account's IBAN")
        return self


class TicketOfficeSettings(Schema):
    payment_methods: Omittable[list[PaymentMethod]] = Field(default=None, min_length=1)
    commission_per_ticket_minor: Omittable[Money] = None
    commission_basis_points: Omittable[
        dict[PaymentMethod, Annotated[int, Field(ge=0, le=10_000)]]
    ] = None
    insurance_fee_minor: Omittable[Money] = None
    unpaid_invoice_tickets_valid: Omittable[bool] = None
    online_exchange_allowed: Omittable[bool] = None
    exchange_cutoff_hours: Omittable[Annotated[int, Field(ge=0, le=24 * 90)]] = None
    invoice_first_reminder_days: Omittable[Annotated[int, Field(ge=1, le=90)]] = Field(
        default=None, description="d: days from the order to the first reminder."
    )
    invoice_reminder_count: Omittable[Annotated[int, Field(ge=0, le=10)]] = Field(
        default=None, description="n: reminders before the order is cancelled on day (n+1)·d."
    )
    payee: Payee | None = Field(
        default=None, description="Who customers paying on invoice pay (the office's account)."
    )


class TicketOfficeRead(Schema):
    id: uuid.UUID
    organization_id: uuid.UUID
    name: str
    currency: str
    time_zone: str
    payment_methods: list[PaymentMethod]
    commission_per_ticket_minor: int
    commission_basis_points: dict[str, int]
    insurance_fee_minor: int | None
    unpaid_invoice_tickets_valid: bool
    online_exchange_allowed: bool
    exchange_cutoff_hours: int
    invoice_first_reminder_days: int
    invoice_reminder_count: int
    payee: Payee | None
    created_at: datetime


class PriceCategoryCreate(Schema):
    name: Annotated[str, Field(min_length=1, max_length=100)]
    price_minor: Money


class PriceCategoryRead(Schema):
    id: uuid.UUID
    name: str
    price_minor: int


class PerformanceCreate(Schema):
    starts_at: datetime
    ends_at: datetime
    venue: Name
    capacity: Annotated[int, Field(ge=1, le=1_000_000)]

    @model_validator(mode="after")
    def _ends_after_start(self) -> "PerformanceCreate":
        if self.starts_at.tzinfo is None or self.ends_at.tzinfo is None:
            raise ValueError("dates need a time zone offset")
        if self.ends_at <= self.starts_at:
            raise ValueError("ends_at must be after starts_at")
        return self


class PerformanceRead(Schema):
    id: uuid.UUID
    starts_at: datetime
    ends_at: datetime
    venue: str
    capacity: int
    sold: int
    available: int


class EventCreate(Schema):
    name: Name
    description: Annotated[str, Field(max_length=10_000)] | None = None
    performances: list[PerformanceCreate] = Field(default_factory=list, max_length=500)
    price_categories: list[PriceCategoryCreate] = Field(default_factory=list, max_length=50)


class EventUpdate(Schema):
    name: Omittable[Name] = None
    description: Annotated[str, Field(max_length=10_000)] | None = None


class EventRead(Schema):
    id: uuid.UUID
    ticket_office_id: uuid.UUID
    name: str
    description: str | None
    published: bool
    currency: str
    performances: list[PerformanceRead]
    price_categories: list[PriceCategoryRead]
    created_at: datetime


class Customer(Schema):
    name: Name
    email: EmailStr = Field(max_length=320)
    language: Annotated[str, Field(pattern=r"^(fr|en|de|it|es)$")] = "en"


class TicketRequest(Schema):
    performance_id: uuid.UUID
    price_category_id: uuid.UUID
    quantity: Annotated[int, Field(ge=1, le=50)] = 1
    seat_ids: list[uuid.UUID] | None = Field(
        default=None,
        max_length=50,
        description="On a performance with a seat plan: the seats picked (as many as the "
        "quantity); omitted, the best available seats of the category are given.",
    )


class AnswerCreate(Schema):
    question_id: uuid.UUID
    ticket: Annotated[int, Field(ge=0, le=999)] | None = Field(
        default=None,
        description="For a question asked per ticket: the ticket's position in the order "
        "(0-based, across the lines in their order).",
    )
    value: str | int | float | bool


class AnswerRead(Schema):
    question_id: uuid.UUID
    question: str
    ticket_number: str | None
    value: str | int | float | bool


class TicketOrderCreate(Schema):
    customer: Customer
    tickets: list[TicketRequest] = Field(min_length=1, max_length=20)
    payment_method: PaymentMethod
    card_token: Annotated[str, Field(max_length=100)] | None = Field(
        default=None, description="For card payments: the token from the payment provider."
    )
    cancellation_insurance: bool = False
    promotion_code: Annotated[str, Field(min_length=1, max_length=40)] | None = None
    gift_card_code: Annotated[str, Field(min_length=1, max_length=32)] | None = Field(
        default=None, description="Pays what it can of the total; the rest by the payment method."
    )
    answers: list[AnswerCreate] = Field(
        default_factory=list, max_length=2000, description="The event's customer form."
    )


class BoxOfficeOrderCreate(TicketOrderCreate):
    channel: Channel = Channel.box_office


class TicketRead(Schema):
    id: uuid.UUID
    number: str
    performance_id: uuid.UUID
    price_category_id: uuid.UUID
    price_minor: int
    commission_minor: int
    status: TicketStatus
    checked_in_at: datetime | None
    discount_minor: int = Field(description="Taken off the category's price by a promotion.")
    seat_label: str | None = Field(description="Section, row and seat, under a seat plan.")


class OrderInvoice(Schema):
    """The invoice of an order on invoice: what the customer pays, to whom, with which
    reference; the PDF (with the QR-bill while unpaid) is at ``pdf_url``."""

    id: uuid.UUID
    number: str
    payment_reference: str
    currency: str
    total_minor: int
    due_at: datetime | None
    payee_name: str
    payee_address: str
    payee_country: str
    account: str = Field(description="The IBAN or QR-IBAN to pay to.")
    bic: str | None
    pdf_url: str


class TicketOrderRead(Schema):
    id: uuid.UUID
    number: str
    ticket_office_id: uuid.UUID
    event_id: uuid.UUID
    channel: Channel
    status: TicketOrderStatus
    payment_method: PaymentMethod
    customer_name: str
    customer_email: str
    customer_language: str
    currency: str
    tickets_total_minor: int
    insurance_fee_minor: int
    total_minor: int
    discount_minor: int = Field(description="Taken off the tickets by the promotion applied.")
    promotion_code: str | None
    gift_card_minor: int = Field(description="Paid by a gift card, out of total_minor.")
    answers: list[AnswerRead]
    shop_id: uuid.UUID | None = Field(
        default=None, description="The online shop the order was placed in, if one of them."
    )
    created_at: datetime
    paid_at: datetime | None
    cancelled_at: datetime | None
    payment_due_at: datetime | None
    next_reminder_at: datetime | None
    auto_cancel_at: datetime | None
    reminders_sent: int
    invoice: OrderInvoice | None = None
    tickets: list[TicketRead]


class PlacedTicketOrder(TicketOrderRead):
    carries_credentials: ClassVar[bool] = True

    access_key: str = Field(
        description="The secret of the customer's link to the order; shown once."
    )


class CancellationCreate(Schema):
    ticket_ids: list[uuid.UUID] | None = Field(
        default=None, max_length=200, description="Omit to cancel the whole order."
    )
    refund_method: RefundMethod
    refund_amount_minor: Money = 0
    reason: Annotated[str, Field(min_length=1, max_length=500)]
    notify_customer: bool = True
    include_checked_in: bool = Field(
        default=False,
        description="Cancel tickets already checked in too (otherwise refused: 409).",
    )


class CancellationRead(Schema):
    id: uuid.UUID
    order_id: uuid.UUID
    whole_order: bool
    automatic: bool
    refund_method: RefundMethod
    refund_amount_minor: int
    reason: str
    by_account_id: uuid.UUID | None
    customer_notified: bool
    ticket_ids: list[uuid.UUID]
    created_at: datetime


class MarkPaid(Schema):
    payment_reference: Annotated[str, Field(max_length=100)] | None = None


class ScanCreate(Schema):
    performance_id: uuid.UUID
    ticket_number: Annotated[str, Field(min_length=1, max_length=64)]


class ScanRead(Schema):
    accepted: bool
    result: ScanResult
    ticket_number: str
    first_scanned_at: datetime | None = None
    ticket_id: uuid.UUID | None = None


class ExchangeCreate(Schema):
    performance_id: uuid.UUID
    price_category_id: uuid.UUID


class ExchangeRead(Schema):
    old_ticket: TicketRead
    new_ticket: TicketRead
    price_difference_minor: int = Field(
        description="New price minus old: positive is due by the customer."
    )


class AmountByKey(Schema):
    key: str
    amount_minor: int


class PerformanceReport(Schema):
    performance_id: uuid.UUID
    starts_at: datetime
    capacity: int
    sold: int
    cancelled: int
    checked_in: int
    revenue_minor: int


class EventReport(Schema):
    event_id: uuid.UUID
    currency: str
    sold: int
    cancelled: int
    checked_in: int
    revenue_minor: int
    revenue_by_payment_method: list[AmountByKey]
    revenue_by_channel: list[AmountByKey]
    commissions_due_minor: int
    performances: list[PerformanceReport]
