import uuid
from datetime import datetime
from typing import Annotated, Any, ClassVar

from pydantic import EmailStr, Field, field_validator, model_validator

from app.core import iban
from app.core.money import Currency
from app.core.schemas import Omittable, Schema
from app.ticketing.models import (
    Channel,
    ExchangeSettlement,
    PaymentMethod,
    RefundBy,
    RefundMethod,
    ScanResult,
    TicketOrderStatus,
    TicketStatus,
)

Money = Annotated[int, Field(ge=0, le=100_000_000, description="Amount in minor units (cents).")]
Name = Annotated[str, Field(min_length=1, max_length=200)]


def office_currency(what: str = "ticket office") -> Any:
    """The optional ``currency`` of a request carrying an amount: checked against ``what``'s."""
    return Field(
        default=None,
        description=f"The amount's currency; when given it must be the {what}'s, else 422 "
        "currency_mismatch. Default: that currency.",
    )


OfficeCurrency = Annotated[
    Currency, Field(description="The ticket office's currency, in which this amount is.")
]
OrderCurrency = Annotated[
    Currency,
    Field(description="The order's currency (its ticket office's), in which this amount is."),
]


class TicketOfficeCreate(Schema):
    name: Name = Field(examples=["Billetterie du Théâtre du Lac"])
    currency: Currency | None = Field(
        default=None,
        description="What the office sells in, for good (prices, gift cards, orders). Default: "
        "the organization's invoicing currency.",
    )
    time_zone: str = Field(
        default="Europe/Zurich",
        description="IANA time zone in which the office's dates are shown on tickets and mails.",
        examples=["Europe/Zurich"],
    )


class Payee(Schema):
    """The creditor printed on the invoices of an office's orders on invoice and on their QR-bill:
    a CHF office is paid with a QR reference on its QR-IBAN if it gives one, else with an RF
    reference on its IBAN; a EUR office with an RF reference on its IBAN (with the BIC)."""

    name: Annotated[str, Field(min_length=1, max_length=70)] = Field(
        description="The account holder, as the bank knows it.",
        examples=["Fondation du Théâtre du Lac"],
    )
    street: Annotated[str, Field(min_length=1, max_length=70)] = Field(
        examples=["Quai du Mont-Blanc"]
    )
    building: Annotated[str, Field(max_length=16)] = Field(
        default="", description="The building number; empty if none.", examples=["12"]
    )
    postal_code: Annotated[str, Field(min_length=1, max_length=16)] = Field(examples=["1201"])
    town: Annotated[str, Field(min_length=1, max_length=35)] = Field(examples=["Genève"])
    country: Annotated[str, Field(pattern=r"^[A-Z]{2}$")] = Field(
        description="ISO 3166-1 alpha-2 country code.", examples=["CH"]
    )
    iban: str = Field(
        description="The account's IBAN (spaces allowed; stored compact). Not a QR-IBAN.",
        examples=["CH9300762011623852957"],
    )
    qr_iban: str | None = Field(
        default=None,
        description="The account's QR-IBAN (institution id 30000-31999), for QR references on "
        "CHF invoices; null: RF references on the IBAN.",
        examples=["CH4431999123000889012"],
    )
    bic: Annotated[str, Field(pattern=r"^[A-Z0-9]{8}([A-Z0-9]{3})?$")] | None = Field(
        default=None,
        description="The bank's BIC, printed for payments from abroad (EUR offices).",
        examples=["POFICHBEXXX"],
    )
    vat_number: Annotated[str, Field(max_length=30)] | None = Field(
        default=None,
        description="The organizer's VAT number (UID-MWST), printed on invoices; null: none.",
        examples=["CHE-123.456.789 MWST"],
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
    """A partial update: the properties left out are unchanged."""

    payment_methods: Omittable[list[PaymentMethod]] = Field(
        default=None,
        min_length=1,
        description="The payment methods the office takes (the online shop offers card and "
        "invoice among them).",
    )
    commission_per_ticket_minor: Omittable[Money] = Field(
        default=None,
        description="The platform's fixed commission on each ticket sold, kept on cancelled "
        "tickets too.",
    )
    commission_basis_points: Omittable[
        dict[PaymentMethod, Annotated[int, Field(ge=0, le=10_000)]]
    ] = Field(
        default=None,
        description="The platform's commission per payment method, in basis points of the "
        "ticket price (250 = 2.5 %), on top of the fixed one.",
    )
    insurance_fee_minor: Omittable[Money] = Field(
        default=None,
        description="The cancellation insurance's price per ticket; while unset, no insurance is "
        "offered at checkout.",
    )
    unpaid_invoice_tickets_valid: Omittable[bool] = Field(
        default=None,
        description="Whether the tickets of an order on invoice not yet paid pass ticket control.",
    )
    online_exchange_allowed: Omittable[bool] = Field(
        default=None, description="Whether customers may exchange their tickets in the shop."
    )
    exchange_cutoff_hours: Omittable[Annotated[int, Field(ge=0, le=24 * 90)]] = Field(
        default=None,
        description="Online exchanges close this many hours before the old and the new "
        "performance start.",
    )
    invoice_first_reminder_days: Omittable[Annotated[int, Field(ge=1, le=90)]] = Field(
        default=None, description="d: days from the order to the first reminder."
    )
    invoice_reminder_count: Omittable[Annotated[int, Field(ge=0, le=10)]] = Field(
        default=None, description="n: reminders before the order is cancelled on day (n+1)·d."
    )
    payee: Payee | None = Field(
        default=None,
        description="Who customers paying on invoice pay (the office's account); null or left "
        "out: unchanged.",
    )
    currency: Currency | None = office_currency()


class TicketOfficeRead(Schema):
    id: uuid.UUID
    organization_id: uuid.UUID
    name: str = Field(examples=["Billetterie du Théâtre du Lac"])
    currency: Currency = Field(description="What the office sells in; set at its creation.")
    time_zone: str = Field(
        description="IANA time zone of the office's tickets and mails.", examples=["Europe/Zurich"]
    )
    payment_methods: list[PaymentMethod] = Field(description="The payment methods taken.")
    commission_per_ticket_minor: int = Field(
        description="The platform's fixed commission on each ticket sold."
    )
    commission_basis_points: dict[str, int] = Field(
        description="The platform's commission per payment method, in basis points of the "
        "ticket price."
    )
    insurance_fee_minor: int | None = Field(
        description="The cancellation insurance's price per ticket; null: none offered."
    )
    unpaid_invoice_tickets_valid: bool = Field(
        description="Whether unpaid tickets on invoice pass ticket control."
    )
    online_exchange_allowed: bool = Field(
        description="Whether customers may exchange their tickets in the shop."
    )
    exchange_cutoff_hours: int = Field(
        description="Online exchanges close this many hours before the performances."
    )
    invoice_first_reminder_days: int = Field(
        description="d: days from an order on invoice to its first reminder."
    )
    invoice_reminder_count: int = Field(
        description="n: reminders sent; an unpaid order is cancelled on day (n+1)·d."
    )
    payee: Payee | None = Field(
        description="Who customers paying on invoice pay; null: the platform collects."
    )
    created_at: datetime


class PriceCategoryCreate(Schema):
    name: Annotated[str, Field(min_length=1, max_length=100)] = Field(
        description="The zone or fare, as printed on tickets.", examples=["Parterre"]
    )
    price_minor: Money = Field(description="A ticket's price, VAT included.")
    currency: Currency | None = office_currency()


class PriceCategoryRead(Schema):
    id: uuid.UUID
    name: str = Field(examples=["Parterre"])
    price_minor: int = Field(description="A ticket's price, VAT included.")
    currency: OfficeCurrency


class PerformanceCreate(Schema):
    starts_at: datetime = Field(description="With a time zone offset.")
    ends_at: datetime = Field(description="With a time zone offset; after starts_at.")
    venue: Name = Field(
        description="The hall or place, as printed on tickets.", examples=["Grande salle"]
    )
    capacity: Annotated[int, Field(ge=1, le=1_000_000)] = Field(
        description="Tickets that can be sold (a seat plan, once set, replaces it by its seats)."
    )

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
    venue: str = Field(examples=["Grande salle"])
    capacity: int = Field(description="Tickets that can be sold in all.")
    sold: int = Field(description="Valid tickets held (cancelled ones free their seats).")
    available: int = Field(description="capacity minus sold.")


EventDescription = Annotated[str, Field(max_length=10_000)]


class EventCreate(Schema):
    name: Name = Field(examples=["La Flûte enchantée"])
    description: EventDescription | None = Field(
        default=None,
        description="Shown in the shop; null: none.",
        examples=["Opéra de Mozart en deux actes, chanté en allemand, surtitré en français."],
    )
    performances: list[PerformanceCreate] = Field(
        default_factory=list, max_length=500, description="Its dates; more can be added later."
    )
    price_categories: list[PriceCategoryCreate] = Field(
        default_factory=list,
        max_length=50,
        description="Its zones or fares, each priced in the office's currency.",
    )


class EventUpdate(Schema):
    """A partial update: the properties left out are unchanged."""

    name: Omittable[Name] = Field(default=None, examples=["La Flûte enchantée"])
    description: EventDescription | None = Field(
        default=None,
        description="Shown in the shop; null clears it.",
        examples=["Opéra de Mozart en deux actes, chanté en allemand, surtitré en français."],
    )


class EventRead(Schema):
    id: uuid.UUID
    ticket_office_id: uuid.UUID
    name: str = Field(examples=["La Flûte enchantée"])
    description: str | None = Field(
        description="Shown in the shop; null: none.",
        examples=["Opéra de Mozart en deux actes, chanté en allemand, surtitré en français."],
    )
    published: bool = Field(description="Whether the event is on sale in the online shop.")
    currency: Currency = Field(description="The ticket office's currency: its prices are in it.")
    performances: list[PerformanceRead] = Field(description="Its dates, earliest first.")
    price_categories: list[PriceCategoryRead] = Field(description="Its zones, dearest first.")
    created_at: datetime


class Customer(Schema):
    name: Name = Field(
        description="Printed on the tickets and the invoice.", examples=["Jeanne Dupont"]
    )
    email: EmailStr = Field(
        max_length=320,
        description="Where the confirmation (with the order's link), reminders and "
        "cancellations are sent.",
    )
    language: Annotated[str, Field(pattern=r"^(fr|en|de|it|es)$")] = Field(
        default="en", description="The language of the mails, tickets and invoice.", examples=["fr"]
    )


class TicketRequest(Schema):
    performance_id: uuid.UUID
    price_category_id: uuid.UUID
    quantity: Annotated[int, Field(ge=1, le=50)] = Field(
        default=1, description="Tickets of this performance and category."
    )
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
    value: str | int | float | bool = Field(
        description="Text (a choice question: one of its choices; a date: YYYY-MM-DD), a "
        "number, or true/false for a yes/no question.",
        examples=["Végétarien"],
    )


class AnswerRead(Schema):
    question_id: uuid.UUID
    question: str = Field(description="The question's label when answered.", examples=["Menu"])
    ticket_number: str | None = Field(
        description="The ticket a per-ticket answer is for; null: asked once per order.",
        examples=["K7QM3XRP9TWH2NDF"],
    )
    value: str | int | float | bool = Field(
        description="Text, a number, or true/false, as the question's kind asks.",
        examples=["Végétarien"],
    )


class TicketOrderCreate(Schema):
    customer: Customer = Field(description="The buyer: no account needed.")
    tickets: list[TicketRequest] = Field(
        min_length=1, max_length=20, description="The tickets wanted, all of the one event."
    )
    payment_method: PaymentMethod = Field(
        description="Among the office's (online: card or invoice). On invoice the order waits "
        "for its payment, with reminders and an automatic cancellation."
    )
    card_token: Annotated[str, Field(max_length=100)] | None = Field(
        default=None,
        description="For card payments: the token from the payment provider.",
        examples=["tok_visa"],
    )
    cancellation_insurance: bool = Field(
        default=False,
        description="Adds the office's insurance fee per ticket (where none is offered: 422 "
        "insurance_not_offered); refunds under it go through the insurer.",
    )
    promotion_code: Annotated[str, Field(min_length=1, max_length=40)] | None = Field(
        default=None,
        description="A promotion code of the office; without one, the best automatic "
        "promotion applies.",
        examples=["PRINTEMPS25"],
    )
    gift_card_code: Annotated[str, Field(min_length=1, max_length=32)] | None = Field(
        default=None,
        description="Pays what it can of the total; the rest by the payment method.",
        examples=["K7QM3XRP9TWH2NDF"],
    )
    answers: list[AnswerCreate] = Field(
        default_factory=list, max_length=2000, description="The event's customer form."
    )


class BoxOfficeOrderCreate(TicketOrderCreate):
    channel: Channel = Field(
        default=Channel.box_office,
        description="box_office (online is taken as box_office: the shop places online "
        "orders); an external member's sales are always on the reseller channel, which only "
        "they may use.",
    )


class TicketRead(Schema):
    id: uuid.UUID
    number: str = Field(
        description="The ticket's own number, printed as its code and checked at control.",
        examples=["K7QM3XRP9TWH2NDF"],
    )
    performance_id: uuid.UUID
    price_category_id: uuid.UUID
    price_minor: int = Field(description="What the ticket cost, after its discount.")
    commission_minor: int = Field(
        description="The platform's commission on it, due even once cancelled."
    )
    currency: OrderCurrency
    status: TicketStatus = Field(
        description="valid, or cancelled (refused at control; its seat is free again)."
    )
    checked_in_at: datetime | None = Field(description="First accepted at control; null: not yet.")
    discount_minor: int = Field(description="Taken off the category's price by a promotion.")
    seat_label: str | None = Field(
        description="Section, row and seat, under a seat plan; null: free placement.",
        examples=["Parterre, rang C, place 12"],
    )


class OrderInvoice(Schema):
    """The invoice of an order on invoice: what the customer pays, to whom, with which
    reference; the PDF (with the QR-bill while unpaid) is at ``pdf_url``."""

    id: uuid.UUID
    number: str = Field(description="The invoice's number.", examples=["2027-000154"])
    payment_reference: str = Field(
        description="The reference to give with the payment: a QR reference (27 digits) or a "
        "creditor reference (RF…); a transfer bearing it pays the order.",
        examples=["RF18539007547034"],
    )
    currency: Currency = Field(description="The invoice's currency (the order's).")
    total_minor: int = Field(description="What the customer pays, VAT included.")
    due_at: datetime | None = Field(description="The payment deadline; null: none.")
    payee_name: str = Field(description="The creditor.", examples=["Fondation du Théâtre du Lac"])
    payee_address: str = Field(
        description="The creditor's address on one line.",
        examples=["Quai du Mont-Blanc 12, 1201 Genève"],
    )
    payee_country: str = Field(description="ISO 3166-1 alpha-2 country code.", examples=["CH"])
    account: str = Field(
        description="The IBAN or QR-IBAN to pay to.", examples=["CH4431999123000889012"]
    )
    bic: str | None = Field(
        description="The creditor bank's BIC; null: not given.", examples=["POFICHBEXXX"]
    )
    pdf_url: str = Field(
        description="The invoice PDF (with its QR-bill while unpaid); public, secret link.",
        examples=["https://api.example.ch/v1/shop/orders/3q2Zb7xV/invoice.pdf"],
    )


class OrderInsurance(Schema):
    """The cancellation insurance of an insured order: the customer claims a refund from the
    insurer directly, with the policy reference and the ticket's number."""

    policy_reference: str = Field(
        description="The order's policy at the insurer.", examples=["CI-7KQ2M9XH4P-R3TW"]
    )
    insurer_name: str = Field(examples=["Allianz Suisse"])
    insurer_phone: str = Field(examples=["+41 44 283 32 22"])
    insurer_email: str = Field(examples=["info.ch@allianz.com"])


class TicketOrderRead(Schema):
    id: uuid.UUID
    number: str = Field(
        description="The order's number, for the customer and the search.", examples=["7KQ2M9XH4P"]
    )
    ticket_office_id: uuid.UUID
    event_id: uuid.UUID
    channel: Channel = Field(description="Where it was sold: online shop, box office, reseller.")
    status: TicketOrderStatus = Field(
        description="pending_payment (on invoice, unpaid), paid, or cancelled (whole)."
    )
    payment_method: PaymentMethod = Field(description="How the order is (to be) paid.")
    customer_name: str = Field(examples=["Jeanne Dupont"])
    customer_email: str = Field(examples=["jeanne.dupont@example.ch"])
    customer_language: str = Field(
        description="The language of the customer's mails (fr, en, de, it, es).", examples=["fr"]
    )
    currency: Currency = Field(description="The ticket office's currency: every amount is in it.")
    tickets_total_minor: int = Field(description="The tickets' prices, after discounts.")
    insurance_fee_minor: int = Field(description="The cancellation insurance; 0 without.")
    total_minor: int = Field(description="tickets_total_minor + insurance_fee_minor.")
    discount_minor: int = Field(description="Taken off the tickets by the promotion applied.")
    promotion_code: str | None = Field(
        description="The code that gave the discount; null: none, or an automatic promotion.",
        examples=["PRINTEMPS25"],
    )
    gift_card_minor: int = Field(description="Paid by a gift card, out of total_minor.")
    answers: list[AnswerRead] = Field(description="The customer form's answers, in form order.")
    shop_id: uuid.UUID | None = Field(
        default=None, description="The online shop the order was placed in, if one of them."
    )
    created_at: datetime
    paid_at: datetime | None = Field(description="null: not paid yet (or never, if cancelled).")
    cancelled_at: datetime | None = Field(description="Set once the whole order is cancelled.")
    payment_due_at: datetime | None = Field(
        description="On invoice: the payment deadline; null otherwise."
    )
    next_reminder_at: datetime | None = Field(
        description="On invoice and unpaid: when the next reminder is mailed; null: none left."
    )
    auto_cancel_at: datetime | None = Field(
        description="On invoice and unpaid: when the order is cancelled automatically if still "
        "unpaid; null once paid or cancelled."
    )
    reminders_sent: int = Field(description="Payment reminders mailed so far.")
    invoice: OrderInvoice | None = Field(
        default=None, description="On invoice: the order's invoice; null otherwise."
    )
    tickets: list[TicketRead] = Field(description="Every ticket, cancelled ones included.")
    insurance: OrderInsurance | None = Field(
        default=None,
        description="With cancellation insurance: the policy and the insurer to claim a refund "
        "from; null: not insured.",
    )


class PlacedTicketOrder(TicketOrderRead):
    carries_credentials: ClassVar[bool] = True

    access_key: str = Field(
        description="The secret of the customer's link to the order (the shop's "
        "/v1/shop/orders/{access_key} routes); shown once, also in the confirmation mail.",
        examples=["3q2Zb7xVf9kLm0PqRsTuVwXyZaBcDeFg"],
    )


class CancellationCreate(Schema):
    ticket_ids: list[uuid.UUID] | None = Field(
        default=None,
        max_length=200,
        description="The tickets to cancel (of a paid order only); omit to cancel the whole order.",
    )
    refund_method: RefundMethod = Field(
        description="How the organizer refunds the customer, by its own means (only recorded); "
        "none: no refund."
    )
    refund_amount_minor: Money = Field(
        default=0,
        description="What the organizer refunds, recorded for its accounting; at most what the "
        "cancelled tickets cost.",
    )
    currency: Currency | None = office_currency("order")
    reason: Annotated[str, Field(min_length=1, max_length=500)] = Field(
        description="Kept for the organizer's accounting and given in the customer's mail.",
        examples=["La représentation est annulée."],
    )
    notify_customer: bool = Field(default=True, description="Mail the customer the cancellation.")
    include_checked_in: bool = Field(
        default=False,
        description="Cancel tickets already checked in too (otherwise refused: 409).",
    )


class CancellationRead(Schema):
    id: uuid.UUID
    order_id: uuid.UUID
    whole_order: bool = Field(description="The whole order was cancelled (else some tickets).")
    automatic: bool = Field(description="Made by the payment-on-invoice deadline, not by a person.")
    refund_method: RefundMethod = Field(description="How the organizer refunds (recorded only).")
    refund_amount_minor: int = Field(description="The refund recorded.")
    currency: OrderCurrency
    reason: str = Field(examples=["La représentation est annulée."])
    by_account_id: uuid.UUID | None = Field(
        description="The member who cancelled; null: automatic, or a platform process."
    )
    customer_notified: bool = Field(description="Whether the customer was mailed.")
    ticket_ids: list[uuid.UUID] = Field(description="The tickets this cancellation cancelled.")
    created_at: datetime
    refund_by: RefundBy = Field(
        default=RefundBy.organizer,
        description="Who refunds the customer: the organizer (as recorded), or the insurer of "
        "an insured paid order (the organizer refunds nothing).",
    )
    insurance_policy_reference: str | None = Field(
        default=None,
        description="Refunded by the insurer: the order's policy.",
        examples=["CI-7KQ2M9XH4P-R3TW"],
    )


class MarkPaid(Schema):
    payment_reference: Annotated[str, Field(max_length=100)] | None = Field(
        default=None,
        description="The payment's reference (bank transfer, receipt…), kept with the payment.",
        examples=["RF18539007547034"],
    )


TicketNumber = Annotated[str, Field(min_length=1, max_length=64)]


class ScanCreate(Schema):
    performance_id: uuid.UUID = Field(description="The performance being controlled.")
    ticket_number: TicketNumber = Field(
        description="As read from the ticket's code (case does not matter).",
        examples=["K7QM3XRP9TWH2NDF"],
    )


class ScanRead(Schema):
    accepted: bool = Field(description="Whether to let the holder in.")
    result: ScanResult = Field(description="valid when accepted; otherwise why it is refused.")
    ticket_number: str = Field(examples=["K7QM3XRP9TWH2NDF"])
    first_scanned_at: datetime | None = Field(
        default=None, description="On already_used: when the ticket was first accepted."
    )
    ticket_id: uuid.UUID | None = Field(
        default=None, description="The ticket scanned; null: a pass, or no such ticket."
    )
    pass_id: uuid.UUID | None = Field(
        default=None, description="The sold pass scanned; null: a ticket, or nothing known."
    )


class ExchangeCreate(Schema):
    performance_id: uuid.UUID = Field(description="The new ticket's performance (same event).")
    price_category_id: uuid.UUID = Field(description="The new ticket's category (same event).")
    card_token: Annotated[str, Field(max_length=100)] | None = Field(
        default=None,
        description="Online, when the new ticket is dearer: the card token from the payment "
        "provider, charged the price difference (422 card_token_required without).",
        examples=["tok_visa"],
    )


class ExchangeRead(Schema):
    old_ticket: TicketRead = Field(description="The ticket given back, now cancelled.")
    new_ticket: TicketRead = Field(description="Its replacement, with a new number.")
    price_difference_minor: int = Field(
        description="New price minus old: positive is due by the customer, negative is owed to "
        "them."
    )
    currency: OrderCurrency
    settlement: ExchangeSettlement = Field(
        default=ExchangeSettlement.none,
        description="How the difference was settled: none (same price), card (charged online), "
        "box_office (collected at the counter) or credit_owed (the customer is owed it).",
    )
    charged_minor: int = Field(default=0, description="Collected from the customer.")
    credit_owed_minor: int = Field(default=0, description="Owed to the customer.")
    payment_reference: str | None = Field(
        default=None,
        description="The card payment's reference at the provider; null: no card payment.",
        examples=["auth_test_5f0c2b7d9e1a4c3b8d6f0a2e"],
    )


class AmountByKey(Schema):
    key: str = Field(
        description="The payment method or sales channel the amount is for.", examples=["card"]
    )
    amount_minor: int = Field(description="Revenue of the valid tickets of paid orders.")
    currency: OfficeCurrency


class PerformanceReport(Schema):
    performance_id: uuid.UUID
    starts_at: datetime
    capacity: int
    sold: int = Field(description="Valid tickets.")
    cancelled: int = Field(description="Tickets cancelled (exchanged ones not counted).")
    checked_in: int = Field(description="Tickets accepted at control.")
    revenue_minor: int = Field(description="Prices of the valid tickets of paid orders.")
    currency: OfficeCurrency


class EventReport(Schema):
    event_id: uuid.UUID
    currency: Currency = Field(description="The ticket office's currency: every amount is in it.")
    sold: int = Field(description="Valid tickets, all performances.")
    cancelled: int = Field(description="Tickets cancelled.")
    checked_in: int = Field(description="Tickets accepted at control.")
    revenue_minor: int = Field(description="Prices of the valid tickets of paid orders.")
    revenue_by_payment_method: list[AmountByKey] = Field(description="The revenue split by method.")
    revenue_by_channel: list[AmountByKey] = Field(description="The revenue split by channel.")
    commissions_due_minor: int = Field(
        description="The platform's commissions on the tickets of paid orders, cancelled included."
    )
    performances: list[PerformanceReport] = Field(description="Per performance, earliest first.")


class PerformanceUpdate(Schema):
    """A partial update: the properties left out are unchanged."""

    starts_at: Omittable[datetime] = Field(
        default=None,
        description="With a time zone offset. Moving a performance with tickets mails their "
        "holders the new date.",
    )
    ends_at: Omittable[datetime] = Field(
        default=None, description="With a time zone offset; after starts_at."
    )
    venue: Omittable[Name] = Field(
        default=None,
        description="The hall or place, as printed on tickets.",
        examples=["Grande salle"],
    )
    capacity: Omittable[Annotated[int, Field(ge=1, le=1_000_000)]] = Field(
        default=None,
        description="Tickets that can be sold; never below the valid tickets held (409 "
        "capacity_below_sold); set by the seat plan when there is one.",
    )

    @model_validator(mode="after")
    def _offsets(self) -> "PerformanceUpdate":
        for moment in (self.starts_at, self.ends_at):
            if moment is not None and moment.tzinfo is None:
                raise ValueError("dates need a time zone offset")
        return self


class PriceCategoryUpdate(Schema):
    """A partial update: the properties left out are unchanged. Tickets already sold keep the
    price they were sold at."""

    name: Omittable[Annotated[str, Field(min_length=1, max_length=100)]] = Field(
        default=None, description="The zone or fare, as printed on tickets.", examples=["Parterre"]
    )
    price_minor: Omittable[Money] = Field(
        default=None, description="A ticket's price, VAT included, for tickets sold from now on."
    )
    currency: Currency | None = office_currency()
