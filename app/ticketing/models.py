import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.dialects.postgresql import UUID as PG_UUID
from sqlalchemy.orm import Mapped, mapped_column

from app.core import clock
from app.core.db import Base, IdMixin, TimestampMixin


class PaymentMethod(StrEnum):
    card = "card"
    invoice = "invoice"
    cash = "cash"
    voucher = "voucher"
    external = "external"
    """Paid to a reseller outside the platform: the tickets of an imported sale."""


class Channel(StrEnum):
    online = "online"
    box_office = "box_office"
    reseller = "reseller"


class TicketOrderStatus(StrEnum):
    pending_payment = "pending_payment"
    paid = "paid"
    cancelled = "cancelled"


class TicketStatus(StrEnum):
    valid = "valid"
    cancelled = "cancelled"


class RefundMethod(StrEnum):
    cash = "cash"
    bank_transfer = "bank_transfer"
    card = "card"
    voucher = "voucher"
    exchange = "exchange"
    none = "none"


class RefundBy(StrEnum):
    organizer = "organizer"
    insurer = "insurer"


class ExchangeSettlement(StrEnum):
    none = "none"
    card = "card"
    box_office = "box_office"
    credit_owed = "credit_owed"


class ScanResult(StrEnum):
    valid = "valid"
    already_used = "already_used"
    cancelled = "cancelled"
    unknown = "unknown"
    wrong_performance = "wrong_performance"
    unpaid = "unpaid"
    not_on_list = "not_on_list"
    already_inside = "already_inside"
    not_inside = "not_inside"


class TicketOffice(TimestampMixin, Base):
    """The ticketing settings of a product of type ticket office (same id as the product)."""

    __tablename__ = "ticketing_offices"

    id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organizations_products.id", ondelete="CASCADE"), primary_key=True
    )
    organization_id: Mapped[uuid.UUID] = mapped_column(index=True)
    name: Mapped[str] = mapped_column(String(200))
    currency: Mapped[str] = mapped_column(String(3))
    time_zone: Mapped[str] = mapped_column(String(64), default="Europe/Zurich")
    payment_methods: Mapped[list[str]] = mapped_column(ARRAY(String(20)))
    commission_per_ticket_minor: Mapped[int] = mapped_column(default=0)
    commission_basis_points: Mapped[dict[str, int]] = mapped_column(JSONB, default=dict)
    """Per payment method, a share of the ticket price in 1/100 %, on top of the fixed part."""
    insurance_fee_minor: Mapped[int | None]
    unpaid_invoice_tickets_valid: Mapped[bool] = mapped_column(default=False)
    online_exchange_allowed: Mapped[bool] = mapped_column(default=False)
    exchange_cutoff_hours: Mapped[int] = mapped_column(default=24)
    invoice_first_reminder_days: Mapped[int] = mapped_column(default=10)
    invoice_reminder_count: Mapped[int] = mapped_column(default=2)
    payee: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    """Who the customers of orders on invoice pay: name, address, IBAN, QR-IBAN, BIC, VAT
    number (``schemas.Payee``). Unset: the platform collects for the organizer."""


class Event(IdMixin, TimestampMixin, Base):
    __tablename__ = "ticketing_events"
    __table_args__ = (Index("ix_ticketing_events_office", "ticket_office_id", "created_at", "id"),)

    ticket_office_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("ticketing_offices.id", ondelete="CASCADE")
    )
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(Text)
    published: Mapped[bool] = mapped_column(default=False)


class PriceCategory(IdMixin, Base):
    __tablename__ = "ticketing_price_categories"

    event_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("ticketing_events.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(100))
    price_minor: Mapped[int] = mapped_column(CheckConstraint("price_minor >= 0", name="price"))
    created_at: Mapped[datetime] = mapped_column(default=clock.now)


class Performance(IdMixin, Base):
    """A date of an event. ``sold`` counts valid tickets and never exceeds ``capacity``."""

    __tablename__ = "ticketing_performances"
    __table_args__ = (CheckConstraint("sold >= 0 AND sold <= capacity", name="within_capacity"),)

    event_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("ticketing_events.id", ondelete="CASCADE"), index=True
    )
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime]
    venue: Mapped[str] = mapped_column(String(200))
    capacity: Mapped[int]
    sold: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(default=clock.now)


class TicketOrder(IdMixin, Base):
    __tablename__ = "ticketing_orders"
    __table_args__ = (
        Index("ix_ticketing_orders_office", "ticket_office_id", "created_at", "id"),
        Index(
            "ix_ticketing_orders_deadline_due",
            "next_deadline_at",
            postgresql_where=text("status = 'pending_payment' AND next_deadline_at IS NOT NULL"),
        ),
    )

    ticket_office_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("ticketing_offices.id", ondelete="CASCADE")
    )
    organization_id: Mapped[uuid.UUID]
    event_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("ticketing_events.id"), index=True)
    number: Mapped[str] = mapped_column(String(20), unique=True)
    channel: Mapped[Channel] = mapped_column(String(20))
    status: Mapped[TicketOrderStatus] = mapped_column(String(20))
    payment_method: Mapped[PaymentMethod] = mapped_column(String(20))
    customer_name: Mapped[str] = mapped_column(String(200))
    customer_email: Mapped[str] = mapped_column(String(320))
    customer_language: Mapped[str] = mapped_column(String(2))
    currency: Mapped[str] = mapped_column(String(3))
    tickets_total_minor: Mapped[int]
    insurance_fee_minor: Mapped[int] = mapped_column(default=0)
    total_minor: Mapped[int]
    access_key_digest: Mapped[str] = mapped_column(String(64), unique=True)
    access_key_encrypted: Mapped[str] = mapped_column(String(200))
    payment_reference: Mapped[str | None] = mapped_column(String(100))
    sold_by_account_id: Mapped[uuid.UUID | None]
    created_at: Mapped[datetime] = mapped_column(default=clock.now)
    paid_at: Mapped[datetime | None]
    cancelled_at: Mapped[datetime | None]
    # Payment on invoice: the policy in force when the order was placed, and where it stands.
    reminder_interval_days: Mapped[int | None]
    reminders_planned: Mapped[int | None]
    reminders_sent: Mapped[int] = mapped_column(default=0)
    payment_due_at: Mapped[datetime | None]
    next_reminder_at: Mapped[datetime | None]
    auto_cancel_at: Mapped[datetime | None]
    next_deadline_at: Mapped[datetime | None]
    """The earlier of next_reminder_at and auto_cancel_at: what the deadline sweep looks at."""
    invoice: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    """The invoice of an order on invoice, as billing issued it (``schemas.OrderInvoice``)."""
    # Sales tools (app/ticketing/checkout.py): the promotion applied, what a gift card paid.
    discount_minor: Mapped[int] = mapped_column(default=0, server_default=text("0"))
    promotion_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("ticketing_promotions.id"))
    promotion_code: Mapped[str | None] = mapped_column(String(40))
    gift_card_minor: Mapped[int] = mapped_column(default=0, server_default=text("0"))
    """Paid by a gift card: the rest (total_minor - gift_card_minor) by the payment method."""
    answers: Mapped[list[dict[str, Any]]] = mapped_column(
        JSONB, default=list, server_default=text("'[]'::jsonb")
    )
    """The customer form's answers, validated at order time (app/ticketing/forms.py)."""
    shop_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("ticketing_shops.id", ondelete="SET NULL"), index=True
    )
    """The online shop the order was placed in (None: the office's own shop, the box office or
    a reseller)."""
    insurance_policy_reference: Mapped[str | None] = mapped_column(String(40), unique=True)
    """Set on an order placed with cancellation insurance: the reference its customer gives the
    insurer (``insurance.INSURER``) with a ticket number to claim a refund."""


class Cancellation(IdMixin, Base):
    __tablename__ = "ticketing_cancellations"

    order_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("ticketing_orders.id", ondelete="CASCADE"), index=True
    )
    whole_order: Mapped[bool]
    automatic: Mapped[bool] = mapped_column(default=False)
    refund_method: Mapped[RefundMethod] = mapped_column(String(20))
    refund_amount_minor: Mapped[int] = mapped_column(default=0)
    reason: Mapped[str] = mapped_column(String(500))
    by_account_id: Mapped[uuid.UUID | None]
    customer_notified: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(default=clock.now)
    refund_by: Mapped[RefundBy] = mapped_column(
        String(20), default="organizer", server_default=text("'organizer'")
    )
    """Who refunds the customer: the organizer, or the insurer of an insured paid order
    (``RefundBy``)."""
    insurance_policy_reference: Mapped[str | None] = mapped_column(String(40))
    """The insured order's policy, under which the insurer refunds."""


class Ticket(IdMixin, Base):
    __tablename__ = "ticketing_tickets"
    __table_args__ = (Index("ix_ticketing_tickets_performance_status", "performance_id", "status"),)

    order_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("ticketing_orders.id", ondelete="CASCADE"), index=True
    )
    performance_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("ticketing_performances.id"))
    price_category_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("ticketing_price_categories.id")
    )
    number: Mapped[str] = mapped_column(String(32), unique=True)
    price_minor: Mapped[int]
    commission_minor: Mapped[int]
    status: Mapped[TicketStatus] = mapped_column(String(20), default=TicketStatus.valid)
    cancellation_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("ticketing_cancellations.id")
    )
    checked_in_at: Mapped[datetime | None]
    exchanged_from_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("ticketing_tickets.id"))
    created_at: Mapped[datetime] = mapped_column(default=clock.now)
    discount_minor: Mapped[int] = mapped_column(default=0, server_default=text("0"))
    """Taken off the category's price by a promotion: price_minor is what is paid."""
    seat_label: Mapped[str | None] = mapped_column(String(200))
    """Section, row and seat of a performance with a seat plan, as printed on the ticket."""


class Exchange(IdMixin, Base):
    __tablename__ = "ticketing_exchanges"

    order_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("ticketing_orders.id", ondelete="CASCADE"), index=True
    )
    old_ticket_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("ticketing_tickets.id"))
    new_ticket_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("ticketing_tickets.id"))
    price_difference_minor: Mapped[int]
    channel: Mapped[Channel] = mapped_column(String(20))
    by_account_id: Mapped[uuid.UUID | None]
    created_at: Mapped[datetime] = mapped_column(default=clock.now)
    settlement: Mapped[ExchangeSettlement] = mapped_column(
        String(20), default="none", server_default=text("'none'")
    )
    """How the price difference was settled (``ExchangeSettlement``): none, charged to the
    customer's card, collected at the box office, or a credit owed to the customer."""
    charged_minor: Mapped[int] = mapped_column(default=0, server_default=text("0"))
    """Collected from the customer (card online, or at the box office)."""
    credit_owed_minor: Mapped[int] = mapped_column(default=0, server_default=text("0"))
    """Owed to the customer, the new ticket being cheaper."""
    payment_reference: Mapped[str | None] = mapped_column(String(100))
    """The card authorization's reference at the payment provider."""


class Scan(IdMixin, Base):
    """Every ticket control, accepted or refused."""

    __tablename__ = "ticketing_scans"
    __table_args__ = (Index("ix_ticketing_scans_performance", "performance_id", "created_at"),)

    performance_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("ticketing_performances.id"))
    ticket_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("ticketing_tickets.id"))
    number: Mapped[str] = mapped_column(String(64))
    result: Mapped[ScanResult] = mapped_column(String(20))
    by_account_id: Mapped[uuid.UUID | None]
    created_at: Mapped[datetime] = mapped_column(default=clock.now)
    details: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict)


# --- Sales tools: promotions, gift cards, seat plans ---


class DiscountKind(StrEnum):
    percent = "percent"
    fixed = "fixed"


class Promotion(IdMixin, Base):
    """A discount, by code or automatic, on the tickets it covers (event / performance /
    category). ``max_uses`` bounds each code's uses, or an automatic promotion's."""

    __tablename__ = "ticketing_promotions"
    __table_args__ = (
        CheckConstraint("amount > 0", name="amount_positive"),
        CheckConstraint("max_uses IS NULL OR uses <= max_uses", name="within_max_uses"),
        Index("ix_ticketing_promotions_office", "ticket_office_id", "created_at", "id"),
    )

    ticket_office_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("ticketing_offices.id", ondelete="CASCADE")
    )
    name: Mapped[str] = mapped_column(String(200))
    automatic: Mapped[bool]
    kind: Mapped[DiscountKind] = mapped_column(String(10))
    amount: Mapped[int]
    """Percent: basis points (1500 = 15 %); fixed: minor units off each ticket."""
    event_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("ticketing_events.id", ondelete="CASCADE")
    )
    performance_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("ticketing_performances.id", ondelete="CASCADE")
    )
    price_category_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("ticketing_price_categories.id", ondelete="CASCADE")
    )
    valid_from: Mapped[datetime | None]
    valid_until: Mapped[datetime | None]
    min_quantity: Mapped[int] = mapped_column(default=1)
    max_uses: Mapped[int | None]
    uses: Mapped[int] = mapped_column(default=0)
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=clock.now)


class PromotionCode(IdMixin, Base):
    __tablename__ = "ticketing_promotion_codes"
    __table_args__ = (
        UniqueConstraint("ticket_office_id", "code"),
        CheckConstraint("max_uses IS NULL OR uses <= max_uses", name="within_max_uses"),
    )

    promotion_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("ticketing_promotions.id", ondelete="CASCADE"), index=True
    )
    ticket_office_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("ticketing_offices.id", ondelete="CASCADE")
    )
    code: Mapped[str] = mapped_column(String(40))
    max_uses: Mapped[int | None]
    uses: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(default=clock.now)


class GiftCardEntryKind(StrEnum):
    issued = "issued"
    redeemed = "redeemed"
    credited = "credited"


class GiftCard(IdMixin, Base):
    """A prepaid balance in the office's currency; spent in part or whole at checkout."""

    __tablename__ = "ticketing_gift_cards"
    __table_args__ = (
        CheckConstraint("balance_minor >= 0", name="balance_not_negative"),
        Index("ix_ticketing_gift_cards_office", "ticket_office_id", "created_at", "id"),
    )

    ticket_office_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("ticketing_offices.id", ondelete="CASCADE")
    )
    code: Mapped[str] = mapped_column(String(32), unique=True)
    currency: Mapped[str] = mapped_column(String(3))
    initial_minor: Mapped[int]
    balance_minor: Mapped[int]
    expires_at: Mapped[datetime | None]
    note: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(default=clock.now)


class GiftCardEntry(IdMixin, Base):
    """The gift card's history: issued, redeemed by an order, credited back by a cancellation."""

    __tablename__ = "ticketing_gift_card_entries"

    gift_card_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("ticketing_gift_cards.id", ondelete="CASCADE"), index=True
    )
    order_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("ticketing_orders.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[GiftCardEntryKind] = mapped_column(String(20))
    amount_minor: Mapped[int]
    """Signed: + issued or credited, - redeemed."""
    balance_after_minor: Mapped[int]
    by_account_id: Mapped[uuid.UUID | None]
    created_at: Mapped[datetime] = mapped_column(default=clock.now)


class Seat(IdMixin, Base):
    """A numbered seat of a performance's seat plan; held by at most one valid ticket."""

    __tablename__ = "ticketing_seats"
    __table_args__ = (
        UniqueConstraint("performance_id", "section", "row", "number"),
        Index("ix_ticketing_seats_free", "performance_id", "price_category_id", "rank"),
    )

    performance_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("ticketing_performances.id", ondelete="CASCADE")
    )
    price_category_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("ticketing_price_categories.id", ondelete="CASCADE")
    )
    section: Mapped[str] = mapped_column(String(100))
    row: Mapped[str] = mapped_column(String(20))
    number: Mapped[str] = mapped_column(String(20))
    rank: Mapped[int]
    """Best first: front rows, then the seats nearest the middle."""
    ticket_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("ticketing_tickets.id", ondelete="SET NULL"), unique=True
    )


class QuestionKind(StrEnum):
    text = "text"
    choice = "choice"
    number = "number"
    date = "date"
    yes_no = "yes_no"


class Question(IdMixin, Base):
    """A question of an event's customer form, asked once per order or for each ticket."""

    __tablename__ = "ticketing_questions"

    event_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("ticketing_events.id", ondelete="CASCADE"), index=True
    )
    label: Mapped[str] = mapped_column(String(300))
    kind: Mapped[QuestionKind] = mapped_column(String(10))
    required: Mapped[bool]
    per_ticket: Mapped[bool]
    choices: Mapped[list[str]] = mapped_column(ARRAY(String(200)), default=list)
    position: Mapped[int]
    created_at: Mapped[datetime] = mapped_column(default=clock.now)


class OnlineShop(IdMixin, Base):
    """One of a ticket office's online shops: its events on sale, look and payment methods."""

    __tablename__ = "ticketing_shops"
    __table_args__ = (
        Index("ix_ticketing_shops_office", "ticket_office_id", "created_at", "id"),
        CheckConstraint(
            "invoice_until_days_before IS NULL OR invoice_until_days_before >= 0",
            name="invoice_days",
        ),
    )

    ticket_office_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("ticketing_offices.id", ondelete="CASCADE")
    )
    name: Mapped[str] = mapped_column(String(200))
    event_ids: Mapped[list[uuid.UUID]] = mapped_column(ARRAY(PG_UUID(as_uuid=True)), default=list)
    payment_methods: Mapped[list[str]] = mapped_column(ARRAY(String(20)))
    invoice_until_days_before: Mapped[int | None]
    """"On invoice" is offered only until this many days before the performance."""
    look: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict)
    created_at: Mapped[datetime] = mapped_column(default=clock.now)


class CheckinList(IdMixin, Base):
    """A check-in list of an event (an entrance, a category…), scanned by its own devices."""

    __tablename__ = "ticketing_checkin_lists"

    event_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("ticketing_events.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(200))
    price_category_ids: Mapped[list[uuid.UUID]] = mapped_column(
        ARRAY(PG_UUID(as_uuid=True)), default=list
    )
    """The categories it admits; empty: all of the event's."""
    created_at: Mapped[datetime] = mapped_column(default=clock.now)


class CheckinDevice(IdMixin, Base):
    """A scanning device of one list; its token reaches that list's scans and nothing else."""

    __tablename__ = "ticketing_checkin_devices"

    checkin_list_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("ticketing_checkin_lists.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(200))
    token_digest: Mapped[str] = mapped_column(String(64), unique=True)
    revoked_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=clock.now)


class CheckinPresence(Base):
    """Whether a ticket is inside, per list and performance: entries and exits flip it."""

    __tablename__ = "ticketing_checkin_presences"
    __table_args__ = (
        Index("ix_ticketing_checkin_presences_count", "checkin_list_id", "performance_id"),
    )

    checkin_list_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("ticketing_checkin_lists.id", ondelete="CASCADE"), primary_key=True
    )
    ticket_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("ticketing_tickets.id", ondelete="CASCADE"), primary_key=True
    )
    performance_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("ticketing_performances.id", ondelete="CASCADE"), primary_key=True
    )
    inside: Mapped[bool]
    updated_at: Mapped[datetime] = mapped_column(default=clock.now)


# --- Resellers, imported sales, gift cards sold in the shop ---


class ResellerQuota(IdMixin, Base):
    """The seats of a performance a reseller (an external member with the ``sell`` right) may
    sell. What it sold is counted from its valid tickets on the reseller channel."""

    __tablename__ = "ticketing_reseller_quotas"
    __table_args__ = (
        UniqueConstraint("performance_id", "account_id"),
        CheckConstraint("quota >= 0", name="quota_not_negative"),
        Index("ix_ticketing_reseller_quotas_office", "ticket_office_id", "created_at", "id"),
    )

    ticket_office_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("ticketing_offices.id", ondelete="CASCADE")
    )
    performance_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("ticketing_performances.id", ondelete="CASCADE")
    )
    account_id: Mapped[uuid.UUID]
    quota: Mapped[int]
    created_at: Mapped[datetime] = mapped_column(default=clock.now)
    updated_at: Mapped[datetime] = mapped_column(default=clock.now)


class ImportedSale(IdMixin, Base):
    """A line of a file of tickets sold elsewhere, imported as an order: its external reference
    is imported once per office."""

    __tablename__ = "ticketing_imported_sales"
    __table_args__ = (UniqueConstraint("ticket_office_id", "external_reference"),)

    ticket_office_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("ticketing_offices.id", ondelete="CASCADE")
    )
    order_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("ticketing_orders.id", ondelete="CASCADE"), index=True
    )
    external_reference: Mapped[str] = mapped_column(String(100))
    import_id: Mapped[uuid.UUID]
    line: Mapped[int]
    created_at: Mapped[datetime] = mapped_column(default=clock.now)


class GiftCardOffer(Base):
    """How an office sells gift cards in its shop: fixed values and/or a free amount within
    bounds, valid for a number of days from purchase."""

    __tablename__ = "ticketing_gift_card_offers"
    __table_args__ = (
        CheckConstraint(
            "min_minor IS NULL OR (min_minor >= 1 AND max_minor >= min_minor)", name="bounds"
        ),
    )

    ticket_office_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("ticketing_offices.id", ondelete="CASCADE"), primary_key=True
    )
    on_sale: Mapped[bool]
    values_minor: Mapped[list[int]] = mapped_column(ARRAY(Integer), default=list)
    min_minor: Mapped[int | None]
    max_minor: Mapped[int | None]
    validity_days: Mapped[int | None]
    updated_at: Mapped[datetime] = mapped_column(default=clock.now)


class GiftCardPurchase(IdMixin, Base):
    """A gift card bought in the shop, paid by card: once paid, the card is issued and
    mailed."""

    __tablename__ = "ticketing_gift_card_purchases"
    __table_args__ = (
        Index("ix_ticketing_gift_card_purchases_office", "ticket_office_id", "created_at", "id"),
    )

    ticket_office_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("ticketing_offices.id", ondelete="CASCADE")
    )
    number: Mapped[str] = mapped_column(String(20), unique=True)
    amount_minor: Mapped[int]
    currency: Mapped[str] = mapped_column(String(3))
    buyer_name: Mapped[str] = mapped_column(String(200))
    buyer_email: Mapped[str] = mapped_column(String(320))
    language: Mapped[str] = mapped_column(String(2))
    recipient_name: Mapped[str | None] = mapped_column(String(200))
    recipient_email: Mapped[str | None] = mapped_column(String(320))
    message: Mapped[str | None] = mapped_column(String(500))
    payment_reference: Mapped[str | None] = mapped_column(String(100))
    gift_card_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("ticketing_gift_cards.id", ondelete="SET NULL"), unique=True
    )
    created_at: Mapped[datetime] = mapped_column(default=clock.now)
    paid_at: Mapped[datetime]


# --- Access passes (app/ticketing/passes.py) and scheduled mails (pre_event_mails.py) ---


class AccessPass(IdMixin, Base):
    """A pass for several performances: whole events of the office and/or chosen performances,
    sold at its own price in the office's currency."""

    __tablename__ = "ticketing_passes"
    __table_args__ = (
        CheckConstraint("price_minor >= 0", name="price"),
        Index("ix_ticketing_passes_office", "ticket_office_id", "created_at", "id"),
    )

    ticket_office_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("ticketing_offices.id", ondelete="CASCADE")
    )
    name: Mapped[str] = mapped_column(String(200))
    price_minor: Mapped[int]
    currency: Mapped[str] = mapped_column(String(3))
    event_ids: Mapped[list[uuid.UUID]] = mapped_column(ARRAY(PG_UUID(as_uuid=True)), default=list)
    """Every performance of these events is covered, those added later included."""
    performance_ids: Mapped[list[uuid.UUID]] = mapped_column(
        ARRAY(PG_UUID(as_uuid=True)), default=list
    )
    """Chosen performances (of any event of the office), besides the whole events."""
    on_sale: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=clock.now)


class SoldPass(IdMixin, Base):
    """A pass sold to a customer: one number, admitted once per performance it covers (those
    still to come when it was sold, on each of which it holds a seat)."""

    __tablename__ = "ticketing_sold_passes"
    __table_args__ = (
        Index("ix_ticketing_sold_passes_pass", "pass_id", "created_at", "id"),
        Index(
            "ix_ticketing_sold_passes_performances",
            "performance_ids",
            postgresql_using="gin",
        ),
    )

    pass_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("ticketing_passes.id"))
    ticket_office_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("ticketing_offices.id", ondelete="CASCADE"), index=True
    )
    number: Mapped[str] = mapped_column(String(32), unique=True)
    customer_name: Mapped[str] = mapped_column(String(200))
    customer_email: Mapped[str] = mapped_column(String(320))
    customer_language: Mapped[str] = mapped_column(String(2))
    price_minor: Mapped[int]
    currency: Mapped[str] = mapped_column(String(3))
    payment_method: Mapped[PaymentMethod] = mapped_column(String(20))
    payment_reference: Mapped[str | None] = mapped_column(String(100))
    channel: Mapped[Channel] = mapped_column(String(20))
    status: Mapped[TicketStatus] = mapped_column(String(20), default=TicketStatus.valid)
    performance_ids: Mapped[list[uuid.UUID]] = mapped_column(ARRAY(PG_UUID(as_uuid=True)))
    sold_by_account_id: Mapped[uuid.UUID | None]
    created_at: Mapped[datetime] = mapped_column(default=clock.now)
    cancelled_at: Mapped[datetime | None]


class PassAdmission(Base):
    """A pass's first accepted entry to one performance: at most one row per pair."""

    __tablename__ = "ticketing_pass_admissions"

    sold_pass_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("ticketing_sold_passes.id", ondelete="CASCADE"), primary_key=True
    )
    performance_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("ticketing_performances.id", ondelete="CASCADE"), primary_key=True
    )
    admitted_at: Mapped[datetime] = mapped_column(default=clock.now)


class PassPresence(Base):
    """Whether a pass is inside, per check-in list and performance (as CheckinPresence)."""

    __tablename__ = "ticketing_pass_presences"
    __table_args__ = (
        Index("ix_ticketing_pass_presences_count", "checkin_list_id", "performance_id"),
    )

    checkin_list_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("ticketing_checkin_lists.id", ondelete="CASCADE"), primary_key=True
    )
    sold_pass_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("ticketing_sold_passes.id", ondelete="CASCADE"), primary_key=True
    )
    performance_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("ticketing_performances.id", ondelete="CASCADE"), primary_key=True
    )
    inside: Mapped[bool]
    updated_at: Mapped[datetime] = mapped_column(default=clock.now)


class PreEventMail(IdMixin, Base):
    """A message the organizer schedules to the holders of a performance's valid tickets and
    passes, ``hours_before`` it starts; sent once (``sent_at``) by the worker's sweep."""

    __tablename__ = "ticketing_pre_event_mails"
    __table_args__ = (
        CheckConstraint("hours_before >= 1", name="hours_before"),
        Index("ix_ticketing_pre_event_mails_office", "ticket_office_id", "created_at", "id"),
        Index(
            "ix_ticketing_pre_event_mails_unsent",
            "performance_id",
            postgresql_where=text("sent_at IS NULL"),
        ),
    )

    ticket_office_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("ticketing_offices.id", ondelete="CASCADE")
    )
    performance_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("ticketing_performances.id", ondelete="CASCADE")
    )
    hours_before: Mapped[int]
    subject: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    translations: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict)
    """Per language (fr, de…): {subject, body}; a buyer of another language gets the default."""
    created_at: Mapped[datetime] = mapped_column(default=clock.now)
    updated_at: Mapped[datetime] = mapped_column(default=clock.now)
    sent_at: Mapped[datetime | None]
    recipients: Mapped[int | None]
    """How many addresses it was sent to (once sent)."""
