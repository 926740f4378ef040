"""Placing, paying, cancelling and exchanging orders. Seats are never oversold: every change of a
performance's ``sold`` counter is one conditional UPDATE, checked by a CHECK constraint too."""

import secrets
import uuid
from collections import Counter
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Row, Select, func, or_, select, type_coerce, update
from sqlalchemy.dialects.postgresql import aggregate_order_by
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.sqltypes import NullType

from app.activity import service as activity
from app.activity.types import Actor
from app.core import bulk, clock
from app.core.db import one_or_raise
from app.core.money import format_minor, share
from app.core.schemas import from_attributes, from_database
from app.core.security.encryption import decrypt, encrypt
from app.core.security.tokens import digest, new_token
from app.core.settings import get_settings
from app.events import service as events
from app.notifications.service import Mail, queue_mail, queue_mails
from app.payments import service as payments
from app.ticketing import checkout, deadlines, documents, insurance, seat_plans, trusted
from app.ticketing.errors import (
    CardTokenRequired,
    ExchangeCutoffPassed,
    ExchangeUnchanged,
    InsuranceNotOffered,
    InvoiceOrderPartialCancel,
    OnlineExchangeNotAllowed,
    OrderAlreadyCancelled,
    OrderAlreadyPaid,
    OrderCancelled,
    OrderNotFound,
    OrderNotPaid,
    PaymentMethodNotOffered,
    PerformanceStarted,
    RefundExceedsTickets,
    RefundThroughInsurer,
    SoldOut,
    TicketAlreadyCancelled,
    TicketCheckedIn,
    TicketNotExchangeable,
    TicketNotFound,
    UnknownTicket,
    UnknownTicketChoice,
)
from app.ticketing.models import (
    Cancellation,
    Channel,
    Event,
    Exchange,
    ExchangeSettlement,
    PaymentMethod,
    Performance,
    PriceCategory,
    RefundBy,
    RefundMethod,
    Ticket,
    TicketOffice,
    TicketOrder,
    TicketOrderStatus,
    TicketStatus,
)
from app.ticketing.schemas import (
    AnswerRead,
    CancellationRead,
    ExchangeRead,
    OrderInvoice,
    TicketOrderCreate,
    TicketOrderRead,
    TicketRead,
)

ACCESS_KEY_PURPOSE = "order-access-key"
ONLINE_METHODS = frozenset({PaymentMethod.card, PaymentMethod.invoice})
_NUMBER_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"


def _random_code(length: int) -> str:
    return "".join(secrets.choice(_NUMBER_ALPHABET) for _ in range(length))


def ticket_number() -> str:
    """16 characters of a 32-letter alphabet: 80 random bits, unguessable, easy to type."""
    return _random_code(16)


def order_link(access_key: str) -> str:
    return f"{get_settings().links_base}/shop/orders/{access_key}"


def link_of(order: TicketOrder) -> str:
    """The customer's link to the order, for the mails that follow the confirmation."""
    return order_link(decrypt(order.access_key_encrypted, purpose=ACCESS_KEY_PURPOSE))


def invoice_link(access_key: str) -> str:
    """The customer's link to the invoice PDF of an order on invoice (the API serves it)."""
    return f"{get_settings().public_url.rstrip('/')}/v1/shop/orders/{access_key}/invoice.pdf"


async def reserve(session: AsyncSession, quantities: dict[uuid.UUID, int]) -> None:
    """Takes seats on each performance or none: raises SoldOut, and the transaction rolls back."""
    for performance_id in sorted(quantities):  # a fixed order, so concurrent orders never deadlock
        quantity = quantities[performance_id]
        taken = await session.scalar(
            update(Performance)
            .where(
                Performance.id == performance_id,
                Performance.sold + quantity <= Performance.capacity,
            )
            .values(sold=Performance.sold + quantity)
            .returning(Performance.id)
            .execution_options(synchronize_session=False)
        )
        if taken is None:
            raise SoldOut(
                "Not enough seats left for this performance.", performance_id=str(performance_id)
            )


async def release(session: AsyncSession, quantities: dict[uuid.UUID, int]) -> None:
    for performance_id in sorted(quantities):
        await session.execute(
            update(Performance)
            .where(Performance.id == performance_id)
            .values(sold=Performance.sold - quantities[performance_id])
            .execution_options(synchronize_session=False)
        )


async def place_order(
    session: AsyncSession,
    office: TicketOffice,
    event: Event,
    *,
    body: TicketOrderCreate,
    channel: Channel,
    by: Actor,
    shop_id: uuid.UUID | None = None,
) -> tuple[TicketOrder, str]:
    """Places an order (online by a customer, at the box office by ``by``; ``shop_id``: through
    that online shop); returns it with the secret key of the customer's link."""
    sold_by = by.account_id
    now = clock.now()
    method = body.payment_method
    if method not in office.payment_methods:
        raise PaymentMethodNotOffered("This payment method is not offered.")
    if channel == Channel.online and method not in ONLINE_METHODS:
        raise PaymentMethodNotOffered("Online orders are paid by card or on invoice.")
    if method == PaymentMethod.card and not body.card_token:
        raise CardTokenRequired("A card payment needs the card token.")
    if body.cancellation_insurance and office.insurance_fee_minor is None:
        raise InsuranceNotOffered("This ticket office does not offer cancellation insurance.")

    performance_ids = {item.performance_id for item in body.tickets}
    category_ids = {item.price_category_id for item in body.tickets}
    # One statement for both: every pair of a chosen performance and a chosen category of the
    # event (a handful). One unknown id leaves its side short, and the choice is refused.
    performances: dict[uuid.UUID, Performance] = {}
    categories: dict[uuid.UUID, PriceCategory] = {}
    planned: set[uuid.UUID] = set()
    for performance, category, has_seat_plan in await session.execute(
        select(Performance, PriceCategory, seat_plans.has_seat_plan(Performance.id))
        .join(PriceCategory, PriceCategory.event_id == Performance.event_id)
        .where(
            Performance.event_id == event.id,
            Performance.id.in_(performance_ids),
            PriceCategory.id.in_(category_ids),
        )
    ):
        performances[performance.id] = performance
        categories[category.id] = category
        if has_seat_plan:
            planned.add(performance.id)
    if performance_ids - performances.keys() or category_ids - categories.keys():
        raise UnknownTicketChoice("A performance or price category is not of this event.")
    if channel == Channel.online and any(p.starts_at <= now for p in performances.values()):
        raise PerformanceStarted("This performance has already started.")

    access_key = new_token(nbytes=24)
    order = TicketOrder(
        ticket_office_id=office.id,
        organization_id=office.organization_id,
        event_id=event.id,
        number=_random_code(10),
        channel=channel,
        status=TicketOrderStatus.pending_payment,
        payment_method=method,
        customer_name=body.customer.name,
        customer_email=str(body.customer.email),
        customer_language=body.customer.language,
        currency=office.currency,
        tickets_total_minor=0,
        insurance_fee_minor=0,
        total_minor=0,
        gift_card_minor=0,
        discount_minor=0,
        created_at=now,  # the invoice schedule counts from it, before the insert
        access_key_digest=digest(access_key),
        access_key_encrypted=encrypt(access_key, purpose=ACCESS_KEY_PURPOSE),
        sold_by_account_id=sold_by,
        reminders_sent=0,
        shop_id=shop_id,
    )
    tickets = []
    for item in body.tickets:
        price = categories[item.price_category_id].price_minor
        commission = office.commission_per_ticket_minor + share(
            price, office.commission_basis_points.get(method, 0)
        )
        for _ in range(item.quantity):
            tickets.append(
                Ticket(
                    order_id=order.id,
                    performance_id=item.performance_id,
                    price_category_id=item.price_category_id,
                    number=ticket_number(),
                    price_minor=price,
                    commission_minor=commission,
                    status=TicketStatus.valid,
                )
            )
    await checkout.prepare(session, office, order, tickets, body)  # form answers, promotion
    order.tickets_total_minor = sum(ticket.price_minor for ticket in tickets)
    if body.cancellation_insurance and office.insurance_fee_minor is not None:
        order.insurance_fee_minor = office.insurance_fee_minor * len(tickets)
        order.insurance_policy_reference = insurance.new_policy_reference(order.number)
    order.total_minor = order.tickets_total_minor + order.insurance_fee_minor
    if body.gift_card_code is None:  # what is due is known before the gift card's share
        _schedule_payment(order, office, now)
    # Inserted once it is whole (its totals and status), and before its tickets (no ORM
    # relationship orders the two inserts).
    session.add(order)
    await session.flush()
    session.add_all(tickets)
    await session.flush()
    await checkout.settle(session, office, order, tickets, body, by=by, planned=planned)
    if body.gift_card_code is not None:
        _schedule_payment(order, office, now)
    _PLACED.set(session, order, tickets)

    read = await order_read(session, order)
    await events.emit(session, "order.created", read, organization_id=order.organization_id)
    if order.status == TicketOrderStatus.paid:
        await events.emit(session, "order.paid", read, organization_id=order.organization_id)
    await activity.record(
        session,
        by,
        "ticketing.order_placed",
        organization_id=order.organization_id,
        product_id=office.id,
        details={"order_id": str(order.id), "number": order.number, "channel": channel},
    )
    insured = order.insurance_policy_reference is not None
    await queue_mail(
        session,
        to=order.customer_email,
        template="order_confirmation_insured" if insured else "order_confirmation",
        language=order.customer_language,
        context={
            "recipient_name": order.customer_name,
            "order_number": order.number,
            "event_name": event.name,
            "order_url": order_link(access_key),
            "total": format_minor(order.total_minor, order.currency),
            "payment_due_at": _date(order.payment_due_at),
            "invoice_url": invoice_link(access_key) if method == PaymentMethod.invoice else "",
            **(insurance.mail_context(order) if insured else {}),
        },
    )
    # Last: every sale of a performance waits for the lock on its row until this transaction
    # ends, so the lock is taken when little is left to do.
    quantities: Counter[uuid.UUID] = Counter()
    for item in body.tickets:
        quantities[item.performance_id] += item.quantity
    await reserve(session, dict(quantities))
    if method == PaymentMethod.card and checkout.amount_due(order) > 0:
        # Authorized now (a refusal rolls all of this back), captured once this transaction
        # commits, voided if it does not.
        authorization = await payments.authorize(
            session,
            key=payments.order_key("ticketing", "order", order.id),
            token=body.card_token or "",
            amount_minor=checkout.amount_due(order),
            currency=order.currency,
            description=f"Order {order.number}",
        )
        order.payment_reference = authorization.provider_reference
    return order, access_key


def _date(moment: datetime | None) -> str:
    return moment.strftime("%Y-%m-%d") if moment else ""


def apply_invoice_schedule(order: TicketOrder) -> None:
    assert order.reminder_interval_days is not None
    assert order.reminders_planned is not None
    dates = deadlines.schedule(
        order.created_at,
        interval_days=order.reminder_interval_days,
        reminders=order.reminders_planned,
        sent=order.reminders_sent,
    )
    order.payment_due_at = dates.payment_due_at
    order.next_reminder_at = dates.next_reminder_at
    order.auto_cancel_at = dates.auto_cancel_at
    order.next_deadline_at = dates.next_deadline_at


def _schedule_payment(order: TicketOrder, office: TicketOffice, now: datetime) -> None:
    """On invoice with something due: the payment deadline and its reminders; otherwise paid
    (a card is authorized once the seats are taken; a refusal rolls all of this back)."""
    if order.payment_method == PaymentMethod.invoice and checkout.amount_due(order) > 0:
        order.reminder_interval_days = office.invoice_first_reminder_days
        order.reminders_planned = office.invoice_reminder_count
        apply_invoice_schedule(order)
    else:
        _mark_paid(order, now, reference=None)


def _mark_paid(order: TicketOrder, now: datetime, *, reference: str | None) -> None:
    order.status = TicketOrderStatus.paid
    order.paid_at = now
    order.payment_reference = reference
    order.next_reminder_at = None
    order.next_deadline_at = None


async def mark_paid(
    session: AsyncSession,
    order: TicketOrder,
    *,
    reference: str | None,
    by: Actor,
) -> TicketOrder:
    """Records the payment of an order on invoice: its reminders and cancellation are off."""
    if order.status == TicketOrderStatus.cancelled:
        raise OrderCancelled("A cancelled order cannot be paid.")
    if order.status == TicketOrderStatus.paid:
        raise OrderAlreadyPaid("The order is already paid.")
    _mark_paid(order, clock.now(), reference=reference)
    await events.emit(
        session,
        "order.paid",
        await order_read(session, order),
        organization_id=order.organization_id,
    )
    await session.flush()
    await activity.record(
        session,
        by,
        "ticketing.order_paid",
        organization_id=order.organization_id,
        product_id=order.ticket_office_id,
        details={"order_id": str(order.id), "number": order.number},
    )
    return order


_TICKET_FIELDS = tuple(field for field in TicketRead.model_fields if field != "currency")
_TICKETS = "ticket_records"
_READ_COLUMNS = (
    *(
        getattr(TicketOrder, name)
        for name in TicketOrderRead.model_fields
        if name not in ("tickets", "invoice", "insurance")
    ),
    TicketOrder.invoice,
    TicketOrder.insurance_policy_reference,
    TicketOrder.access_key_encrypted,
    # The order's tickets in the same statement: an array of records of ``_TICKET_FIELDS``, in
    # their order (the driver decodes each record with its columns' types).
    type_coerce(
        select(
            func.array_agg(
                aggregate_order_by(
                    func.row(*(getattr(Ticket, name) for name in _TICKET_FIELDS)),
                    Ticket.created_at,
                    Ticket.number,
                )
            )
        )
        .where(Ticket.order_id == TicketOrder.id)
        .scalar_subquery(),
        NullType(),
    ).label(_TICKETS),
)
"""What an order's read needs, selected as columns with its tickets: a list skips the ORM's
objects and takes one statement."""


def as_reads(statement: Select[TicketOrder]) -> Select[Any]:
    """``statement`` (of orders) selecting only what ``order_reads`` needs."""
    return statement.with_only_columns(*_READ_COLUMNS)


async def tickets_of(
    session: AsyncSession, order_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, list[Ticket]]:
    found: dict[uuid.UUID, list[Ticket]] = {order_id: [] for order_id in order_ids}
    if order_ids:
        for ticket in await session.scalars(
            select(Ticket)
            .where(Ticket.order_id.in_(order_ids))
            .order_by(Ticket.created_at, Ticket.number)
        ):
            found[ticket.order_id].append(ticket)
    return found


_READ_FIELDS = tuple(
    field
    for field in TicketOrderRead.model_fields
    if field not in ("tickets", "invoice", "insurance", "answers")
)


def ticket_read(ticket: Ticket | Row[Any], currency: str) -> TicketRead:
    """A ticket (or a row of its columns) as the API shows it, with its order's currency: stored
    values, built without validating them again (``trusted``)."""
    return trusted.constructed(
        TicketRead,
        {**{field: getattr(ticket, field) for field in _TICKET_FIELDS}, "currency": currency},
    )


def _read(order: TicketOrder | Row[Any], tickets: Sequence[Ticket]) -> TicketOrderRead:
    """An order with its tickets as the API shows it."""
    return _read_with(order, [ticket_read(ticket, order.currency) for ticket in tickets])


def _read_with(order: TicketOrder | Row[Any], tickets: list[TicketRead]) -> TicketOrderRead:
    """An order (or a row of ``as_reads``) with its tickets' reads."""
    return _read_of({name: getattr(order, name) for name in _ORDER_COLUMNS}, tickets)


_ORDER_COLUMNS = (
    *_READ_FIELDS,
    "answers",
    "invoice",
    "insurance_policy_reference",
    "access_key_encrypted",
)
"""The columns an order's read is built from (``_read_of``)."""


def _read_of(columns: dict[str, Any], tickets: list[TicketRead]) -> TicketOrderRead:
    """An order from its ``_ORDER_COLUMNS`` (the dict is taken, not copied), with its tickets'
    reads. The columns are stored values, built without validating them again (``trusted``); the
    JSON documents stored in a column (answers, the invoice) are validated."""
    invoice = columns.pop("invoice")
    access_key_encrypted = columns.pop("access_key_encrypted")
    columns["answers"] = [from_database(AnswerRead, answer) for answer in columns["answers"]]
    columns["insurance"] = insurance.of_policy(columns.pop("insurance_policy_reference"))
    columns["invoice"] = (
        from_database(
            OrderInvoice,
            {
                **invoice,
                "pdf_url": invoice_link(decrypt(access_key_encrypted, purpose=ACCESS_KEY_PURPOSE)),
            },
        )
        if invoice
        else None
    )
    columns["tickets"] = tickets
    return trusted.constructed(TicketOrderRead, columns)


class _PlacedTickets:
    """The tickets of the orders placed in a session's transaction, as placed: reading such an
    order back needs no statement."""

    KEY = "placed_tickets"

    def set(self, session: AsyncSession, order: TicketOrder, tickets: Sequence[Ticket]) -> None:
        ordered = sorted(tickets, key=lambda ticket: (ticket.created_at, ticket.number))
        session.info.setdefault(self.KEY, {})[order.id] = ordered

    def get(self, session: AsyncSession, order: TicketOrder) -> list[Ticket] | None:
        found: list[Ticket] | None = session.info.get(self.KEY, {}).get(order.id)
        return found


_PLACED = _PlacedTickets()


async def order_read(session: AsyncSession, order: TicketOrder) -> TicketOrderRead:
    tickets = _PLACED.get(session, order)
    if tickets is None:
        tickets = (await tickets_of(session, [order.id]))[order.id]
    return _read(order, tickets)


def order_reads(rows: Sequence[Row[Any]]) -> list[TicketOrderRead]:
    """The reads of orders selected with ``as_reads``, with their tickets. Each row is read
    through its tuple (an attribute of a row is a lookup by name: a third of the cost)."""
    if not rows:
        return []
    names = rows[0]._fields
    reads = []
    for row in rows:
        columns = dict(zip(names, row, strict=True))
        currency = columns["currency"]
        tickets = [
            trusted.constructed(
                TicketRead,
                {**dict(zip(_TICKET_FIELDS, record, strict=True)), "currency": currency},
            )
            for record in columns.pop(_TICKETS) or ()
        ]
        reads.append(_read_of(columns, tickets))
    return reads


async def office_order_read(
    session: AsyncSession, office_id: uuid.UUID, order_id: uuid.UUID
) -> TicketOrderRead:
    """The office's order as the API shows it, with its tickets, in one statement."""
    row = (
        await session.execute(
            as_reads(
                select(TicketOrder).where(
                    TicketOrder.id == order_id, TicketOrder.ticket_office_id == office_id
                )
            )
        )
    ).one_or_none()
    if row is None:
        raise OrderNotFound("No such order.")
    return order_reads([row])[0]


async def get_order(
    session: AsyncSession, office_id: uuid.UUID, order_id: uuid.UUID, *, for_update: bool = False
) -> TicketOrder:
    """The office's order (locked for the transaction with ``for_update``)."""
    statement = select(TicketOrder).where(
        TicketOrder.id == order_id, TicketOrder.ticket_office_id == office_id
    )
    return await one_or_raise(
        session, statement, OrderNotFound("No such order."), for_update=for_update
    )


async def get_order_by_access_key(
    session: AsyncSession, access_key: str, *, for_update: bool = False
) -> TicketOrder:
    """The order the customer's secret link leads to."""
    statement = select(TicketOrder).where(TicketOrder.access_key_digest == digest(access_key))
    return await one_or_raise(
        session, statement, OrderNotFound("No such order."), for_update=for_update
    )


async def cancel(
    session: AsyncSession,
    order: TicketOrder,
    *,
    ticket_ids: Sequence[uuid.UUID] | None,
    refund_method: RefundMethod,
    refund_amount_minor: int,
    reason: str,
    notify_customer: bool,
    by: Actor,
    automatic: bool = False,
    include_checked_in: bool = False,
) -> Cancellation:
    """Cancels the whole order or chosen tickets of a paid one. Seats are freed, tickets become
    invalid at control, the commission stays due. Refunds are the organizer's: only recorded."""
    if order.status == TicketOrderStatus.cancelled:
        raise OrderAlreadyCancelled("The order is already cancelled.")
    tickets = (await tickets_of(session, [order.id]))[order.id]
    valid = [ticket for ticket in tickets if ticket.status == TicketStatus.valid]
    if ticket_ids:
        if (
            order.status == TicketOrderStatus.pending_payment
            and order.payment_method == PaymentMethod.invoice
        ):
            raise InvoiceOrderPartialCancel(
                "An unpaid order on invoice can only be cancelled whole (its invoice would "
                "be wrong): cancel it and place a new order."
            )
        by_id = {ticket.id: ticket for ticket in tickets}
        unknown = [str(ticket_id) for ticket_id in ticket_ids if ticket_id not in by_id]
        if unknown:
            raise UnknownTicket("Some tickets are not of this order.", ticket_ids=unknown)
        chosen = [by_id[ticket_id] for ticket_id in dict.fromkeys(ticket_ids)]
        if any(ticket.status != TicketStatus.valid for ticket in chosen):
            raise TicketAlreadyCancelled("A ticket is already cancelled.")
    else:
        chosen = valid
    if not include_checked_in and any(ticket.checked_in_at for ticket in chosen):
        raise TicketCheckedIn(
            "A ticket was already checked in: cancel it with include_checked_in.",
            tickets=[ticket.number for ticket in chosen if ticket.checked_in_at],
        )
    cost = sum(ticket.price_minor for ticket in chosen)
    if refund_amount_minor > cost:
        raise RefundExceedsTickets(
            f"The refund cannot exceed what the cancelled tickets cost ({cost} minor units).",
            maximum_minor=cost,
        )
    whole = len(chosen) == len(valid)
    insured = (
        order.insurance_policy_reference is not None and order.status == TicketOrderStatus.paid
    )
    if insured and (refund_method != RefundMethod.none or refund_amount_minor > 0):
        raise RefundThroughInsurer(
            "This order is insured: its customer is refunded by the insurer "
            f"({insurance.INSURER.name}, policy {order.insurance_policy_reference}), not by the "
            "organizer. Cancel it with refund_method none and no refund amount.",
            policy_reference=order.insurance_policy_reference,
        )
    cancellation = Cancellation(
        order_id=order.id,
        whole_order=whole,
        automatic=automatic,
        refund_method=refund_method,
        refund_amount_minor=refund_amount_minor,
        reason=reason,
        by_account_id=by.account_id,
        customer_notified=notify_customer,
        refund_by=RefundBy.insurer if insured else RefundBy.organizer,
        insurance_policy_reference=order.insurance_policy_reference if insured else None,
    )
    session.add(cancellation)
    await session.flush()
    _invalidate(order, chosen, cancellation)
    await checkout.cancelled(session, [(order, chosen)], by=by)  # gift card back, seats free
    await release(session, dict(Counter(ticket.performance_id for ticket in chosen)))
    await session.flush()
    event_name = ""
    if notify_customer:
        event_name = (
            await session.scalar(select(Event.name).where(Event.id == order.event_id)) or ""
        )
    await _announce(session, order, tickets, chosen, cancellation, event_name=event_name, by=by)
    return cancellation


async def expire_unpaid(
    session: AsyncSession,
    due: Sequence[TicketOrder],
    *,
    reason: str,
    event_names: Mapping[uuid.UUID, str],
    by: Actor,
    tickets: Mapping[uuid.UUID, Sequence[Ticket]] | None = None,
) -> None:
    """Cancels unpaid orders whole, as ``cancel(…, automatic=True)`` does one by one, with the
    same rows, events, activity entries and mails, but in one statement per table for the whole
    batch: the deadline sweep's cancellations. ``tickets``: the orders' tickets, if loaded."""
    if not due:
        return
    if tickets is None:
        tickets = await tickets_of(session, [order.id for order in due])
    now = clock.now()
    cancellation_ids = {order.id: uuid.uuid4() for order in due}
    await bulk.insert_rows(
        session,
        Cancellation,
        [
            {
                "id": cancellation_ids[order.id],
                "order_id": order.id,
                "whole_order": True,
                "automatic": True,
                "refund_method": RefundMethod.none,
                "refund_amount_minor": 0,
                "reason": reason,
                "by_account_id": by.account_id,
                "customer_notified": True,
                "refund_by": RefundBy.organizer,
                "created_at": now,
            }
            for order in due
        ],
    )
    chosen = {
        order.id: [ticket for ticket in tickets[order.id] if ticket.status == TicketStatus.valid]
        for order in due
    }
    cancelled = [ticket for order in due for ticket in chosen[order.id]]
    await bulk.update_rows(
        session,
        Ticket,
        cancelled,
        [
            {"status": TicketStatus.cancelled, "cancellation_id": cancellation_ids[ticket.order_id]}
            for ticket in cancelled
        ],
    )
    ended = {
        "status": TicketOrderStatus.cancelled,
        "cancelled_at": now,
        "next_reminder_at": None,
        "next_deadline_at": None,
    }
    await bulk.update_rows(session, TicketOrder, due, [ended] * len(due))
    await checkout.cancelled(session, [(order, chosen[order.id]) for order in due], by=by)
    await release(session, dict(Counter(ticket.performance_id for ticket in cancelled)))
    await events.emit_many(
        session,
        "order.expired",
        ((_read(order, tickets[order.id]), order.organization_id) for order in due),
        now=now,
    )
    await activity.record_many(
        session,
        by,
        "ticketing.order_auto_cancelled",
        (
            activity.Entry(
                organization_id=order.organization_id,
                product_id=order.ticket_office_id,
                details={
                    "order_id": str(order.id),
                    "tickets": [ticket.number for ticket in chosen[order.id]],
                    "refund_method": RefundMethod.none,
                    "reason": reason,
                },
            )
            for order in due
        ),
        now=now,
    )
    await queue_mails(
        session,
        (
            Mail(
                to=order.customer_email,
                template="order_auto_cancelled",
                language=order.customer_language,
                context={
                    "recipient_name": order.customer_name,
                    "order_number": order.number,
                    "event_name": event_names.get(order.event_id, ""),
                    "total": format_minor(order.total_minor, order.currency),
                },
            )
            for order in due
        ),
    )


async def remind_unpaid(
    session: AsyncSession,
    due: Sequence[tuple[TicketOrder, int | None]],
    *,
    event_names: Mapping[uuid.UUID, str],
    tickets: Mapping[uuid.UUID, Sequence[Ticket]] | None = None,
) -> None:
    """Moves each unpaid order on invoice to its next deadline once the reminder numbered with
    it (None: none; only the date moves) is sent: the reminder's mail and ``order.reminded``
    event, in one statement per table for the whole batch (the deadline sweep's reminders)."""
    if not due:
        return
    changes = []
    for order, number in due:
        assert order.reminder_interval_days is not None
        assert order.reminders_planned is not None
        sent = order.reminders_sent if number is None else number
        dates = deadlines.schedule(
            order.created_at,
            interval_days=order.reminder_interval_days,
            reminders=order.reminders_planned,
            sent=sent,
        )
        changes.append(
            {
                "reminders_sent": sent,
                "payment_due_at": dates.payment_due_at,
                "next_reminder_at": dates.next_reminder_at,
                "auto_cancel_at": dates.auto_cancel_at,
                "next_deadline_at": dates.next_deadline_at,
            }
        )
    await bulk.update_rows(session, TicketOrder, [order for order, _ in due], changes)
    reminded = [(order, number) for order, number in due if number is not None]
    if tickets is None:
        tickets = await tickets_of(session, [order.id for order, _ in reminded])
    mails = []
    for order, number in reminded:
        access_key = decrypt(order.access_key_encrypted, purpose=ACCESS_KEY_PURPOSE)
        mails.append(
            Mail(
                to=order.customer_email,
                template="order_payment_reminder",
                language=order.customer_language,
                context={
                    "recipient_name": order.customer_name,
                    "order_number": order.number,
                    "event_name": event_names.get(order.event_id, ""),
                    "order_url": order_link(access_key),
                    "invoice_url": invoice_link(access_key) if order.invoice else "",
                    "total": format_minor(order.total_minor, order.currency),
                    "reminder_number": number,
                    "cancel_on": _date(order.auto_cancel_at),
                },
            )
        )
    await queue_mails(session, mails)
    await events.emit_many(
        session,
        "order.reminded",
        ((_read(order, tickets[order.id]), order.organization_id) for order, _ in reminded),
    )


def _invalidate(order: TicketOrder, chosen: Sequence[Ticket], cancellation: Cancellation) -> None:
    for ticket in chosen:
        ticket.status = TicketStatus.cancelled
        ticket.cancellation_id = cancellation.id
    if cancellation.whole_order:
        order.status = TicketOrderStatus.cancelled
        order.cancelled_at = cancellation.created_at
        order.next_reminder_at = None
        order.next_deadline_at = None


async def _announce(
    session: AsyncSession,
    order: TicketOrder,
    tickets: Sequence[Ticket],
    chosen: Sequence[Ticket],
    cancellation: Cancellation,
    *,
    event_name: str,
    by: Actor,
) -> None:
    """The cancellation's domain event, activity entry and, if asked, the customer's mail."""
    automatic = cancellation.automatic
    read = _read(order, tickets)
    if cancellation.whole_order:
        await events.emit(
            session,
            "order.expired" if automatic else "order.cancelled",
            read,
            organization_id=order.organization_id,
        )
    else:
        await events.emit(session, "ticket.cancelled", read, organization_id=order.organization_id)
    await activity.record(
        session,
        by,
        "ticketing.order_auto_cancelled" if automatic else "ticketing.tickets_cancelled",
        organization_id=order.organization_id,
        product_id=order.ticket_office_id,
        details={
            "order_id": str(order.id),
            "tickets": [ticket.number for ticket in chosen],
            "refund_method": cancellation.refund_method,
            "reason": cancellation.reason,
        },
    )
    if cancellation.customer_notified:
        template = "order_auto_cancelled" if automatic else "order_cancelled"
        if cancellation.refund_by == RefundBy.insurer:
            template = "order_cancelled_insured"
        context: dict[str, object] = {"order_number": order.number, "event_name": event_name}
        if automatic:
            context["total"] = format_minor(order.total_minor, order.currency)
        else:
            context |= {
                "ticket_numbers": ", ".join(ticket.number for ticket in chosen),
                "reason": cancellation.reason,
            }
            if cancellation.refund_by == RefundBy.insurer:
                context |= insurance.mail_context(order)
        await queue_mail(
            session,
            to=order.customer_email,
            template=template,
            language=order.customer_language,
            context={"recipient_name": order.customer_name, **context},
        )


def cancellation_read(
    cancellation: Cancellation, tickets: Sequence[Ticket], currency: str
) -> CancellationRead:
    """A cancellation with the tickets it cancelled (among ``tickets``, its order's)."""
    return from_attributes(
        CancellationRead,
        cancellation,
        currency=currency,
        ticket_ids=[ticket.id for ticket in tickets if ticket.cancellation_id == cancellation.id],
    )


def cancellations_of(order: TicketOrder) -> Select[Cancellation]:
    """The order's cancellations: what was cancelled, refunded how, why, by whom."""
    return select(Cancellation).where(Cancellation.order_id == order.id)


async def cancellation_reads(
    session: AsyncSession, order: TicketOrder, cancellations: Sequence[Cancellation]
) -> list[CancellationRead]:
    tickets = (await tickets_of(session, [order.id]))[order.id]
    return [
        cancellation_read(cancellation, tickets, order.currency) for cancellation in cancellations
    ]


async def exchange(
    session: AsyncSession,
    office: TicketOffice,
    order: TicketOrder,
    ticket_id: uuid.UUID,
    *,
    performance_id: uuid.UUID,
    price_category_id: uuid.UUID,
    channel: Channel,
    by: Actor,
    card_token: str | None = None,
) -> Exchange:
    """Replaces a ticket by one for another performance or category of the same event. The
    price difference is settled: online, a dearer ticket is charged to the card (authorized
    last, captured once the transaction commits, under a key of the old ticket, which can be
    exchanged once); at the box office it is collected at the counter; a cheaper one records
    the credit owed to the customer."""
    if order.status == TicketOrderStatus.cancelled:
        raise OrderAlreadyCancelled("The order is cancelled.")
    if order.status == TicketOrderStatus.pending_payment:
        raise OrderNotPaid("Tickets of an unpaid order cannot be exchanged.")
    ticket = await session.scalar(
        select(Ticket).where(Ticket.id == ticket_id, Ticket.order_id == order.id).with_for_update()
    )
    if ticket is None:
        raise TicketNotFound("No such ticket in this order.")
    if ticket.status != TicketStatus.valid or ticket.checked_in_at is not None:
        raise TicketNotExchangeable("Only a valid, unused ticket can be exchanged.")
    old_performance = await session.get(Performance, ticket.performance_id)
    new_performance = await session.scalar(
        select(Performance).where(
            Performance.id == performance_id, Performance.event_id == order.event_id
        )
    )
    category = await session.scalar(
        select(PriceCategory).where(
            PriceCategory.id == price_category_id, PriceCategory.event_id == order.event_id
        )
    )
    if new_performance is None or category is None or old_performance is None:
        raise UnknownTicketChoice("A performance or price category is not of this event.")
    if (new_performance.id, category.id) == (ticket.performance_id, ticket.price_category_id):
        raise ExchangeUnchanged("This is the ticket's current performance and category.")
    now = clock.now()
    if channel == Channel.online:
        cutoff = timedelta(hours=office.exchange_cutoff_hours)
        if not office.online_exchange_allowed:
            raise OnlineExchangeNotAllowed("This ticket office does not allow online exchanges.")
        if now > old_performance.starts_at - cutoff or now > new_performance.starts_at - cutoff:
            raise ExchangeCutoffPassed("Too late to exchange this ticket online.")
    difference = category.price_minor - ticket.price_minor
    if channel == Channel.online and difference > 0 and not card_token:
        raise CardTokenRequired(
            "The new ticket is dearer: the price difference is paid by card, send its token.",
            price_difference_minor=difference,
        )
    if new_performance.id != ticket.performance_id:
        await reserve(session, {new_performance.id: 1})
        await release(session, {ticket.performance_id: 1})
    replacement = Ticket(
        order_id=order.id,
        performance_id=new_performance.id,
        price_category_id=category.id,
        number=ticket_number(),
        price_minor=category.price_minor,
        commission_minor=ticket.commission_minor,
        status=TicketStatus.valid,
        exchanged_from_id=ticket.id,
    )
    ticket.status = TicketStatus.cancelled
    session.add(replacement)
    await session.flush()
    await checkout.exchanged(session, ticket, replacement)  # the seat moves
    record = Exchange(
        order_id=order.id,
        old_ticket_id=ticket.id,
        new_ticket_id=replacement.id,
        price_difference_minor=difference,
        channel=channel,
        by_account_id=by.account_id,
        settlement=ExchangeSettlement.none,
        charged_minor=0,
        credit_owed_minor=0,
    )
    if difference < 0:
        record.settlement = ExchangeSettlement.credit_owed
        record.credit_owed_minor = -difference
    elif difference > 0:
        record.charged_minor = difference
        record.settlement = (
            ExchangeSettlement.card if channel == Channel.online else ExchangeSettlement.box_office
        )
    session.add(record)
    await session.flush()
    await events.emit(
        session,
        "ticket.exchanged",
        await order_read(session, order),
        organization_id=order.organization_id,
    )
    await activity.record(
        session,
        by,
        "ticketing.ticket_exchanged",
        organization_id=order.organization_id,
        product_id=office.id,
        details={
            "order_id": str(order.id),
            "old": ticket.number,
            "new": replacement.number,
            "price_difference_minor": record.price_difference_minor,
            "settlement": record.settlement,
        },
    )
    if record.settlement == ExchangeSettlement.card:
        # Last, as for an order: authorized now (a refusal rolls the exchange back), captured
        # once this transaction commits, voided if it does not.
        authorization = await payments.authorize(
            session,
            key=payments.order_key("ticketing", "exchange", ticket.id),
            token=card_token or "",
            amount_minor=difference,
            currency=order.currency,
            description=f"Order {order.number}: exchange of ticket {ticket.number}",
        )
        record.payment_reference = authorization.provider_reference
        await session.flush()
    return record


async def exchange_read(
    session: AsyncSession, record: Exchange, order: TicketOrder
) -> ExchangeRead:
    old = await session.get(Ticket, record.old_ticket_id)
    new = await session.get(Ticket, record.new_ticket_id)
    if old is None or new is None:  # both rows are the exchange's own: never
        raise TicketNotFound("No such ticket in this order.")
    return ExchangeRead(
        old_ticket=ticket_read(old, order.currency),
        new_ticket=ticket_read(new, order.currency),
        price_difference_minor=record.price_difference_minor,
        currency=order.currency,
        settlement=record.settlement,
        charged_minor=record.charged_minor,
        credit_owed_minor=record.credit_owed_minor,
        payment_reference=record.payment_reference,
    )


def orders_of(
    office_id: uuid.UUID,
    *,
    status: TicketOrderStatus | None = None,
    event_id: uuid.UUID | None = None,
    q: str | None = None,
    shop_id: uuid.UUID | None = None,
) -> Select[TicketOrder]:
    """The office's orders, filtered by status, event, online shop and the search field
    (search_condition)."""
    statement = select(TicketOrder).where(TicketOrder.ticket_office_id == office_id)
    if shop_id is not None:
        statement = statement.where(TicketOrder.shop_id == shop_id)
    if status is not None:
        statement = statement.where(TicketOrder.status == status)
    if event_id is not None:
        statement = statement.where(TicketOrder.event_id == event_id)
    if q and q.strip():
        statement = statement.where(search_condition(q))
    return statement


def search_condition(q: str) -> ColumnElement[bool]:
    """The help page's search field: the order's number or one of its tickets' numbers (whole),
    or a part of the customer's name or e-mail address (any case)."""
    term = q.strip()
    return or_(  # autoescape: the term's own ``%``, ``_`` and ``/`` match only themselves
        TicketOrder.number == term.upper(),
        TicketOrder.customer_name.icontains(term, autoescape=True),
        TicketOrder.customer_email.icontains(term, autoescape=True),
        select(Ticket.id)
        .where(Ticket.order_id == TicketOrder.id, Ticket.number == term.upper())
        .exists(),
    )


async def tickets_pdf(
    session: AsyncSession, office: TicketOffice, order: TicketOrder, number: str | None
) -> tuple[bytes, str]:
    """The order's valid tickets (or the one numbered ``number``) as a PDF, with its file name."""
    statement = (
        select(Ticket, Performance, PriceCategory)
        .join(Performance, Performance.id == Ticket.performance_id)
        .join(PriceCategory, PriceCategory.id == Ticket.price_category_id)
        .where(Ticket.order_id == order.id, Ticket.status == "valid")
        .order_by(Performance.starts_at, Ticket.number)
    )
    if number is not None:
        statement = statement.where(Ticket.number == number.upper())
    rows = [tuple(row) for row in await session.execute(statement)]
    if not rows or order.status == TicketOrderStatus.cancelled:
        raise TicketNotFound("No valid ticket to download.")
    event = await session.get(Event, order.event_id)
    assert event is not None
    pdf = documents.tickets_pdf(office, event, order, rows)  # type: ignore[arg-type]
    filename = f"tickets-{order.number}.pdf" if number is None else f"ticket-{number.upper()}.pdf"
    return pdf, filename
