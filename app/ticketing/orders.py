"""Placing, paying, cancelling and exchanging orders. Seats are never oversold: every change of a
performance's ``sold`` counter is one conditional UPDATE, checked by a CHECK constraint too."""

import secrets
import uuid
from collections import Counter
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.activity import service as activity
from app.core import clock
from app.core.errors import Conflict, NotFound, Unprocessable
from app.core.money import format_minor, share
from app.core.security.encryption import decrypt, encrypt
from app.core.security.tokens import digest, new_token
from app.core.settings import get_settings
from app.events import service as events
from app.notifications.service import queue_mail
from app.payments import service as payments
from app.ticketing import deadlines
from app.ticketing.models import (
    Cancellation,
    Channel,
    Event,
    Exchange,
    PaymentMethod,
    Performance,
    PriceCategory,
    RefundMethod,
    Ticket,
    TicketOffice,
    TicketOrder,
    TicketOrderStatus,
    TicketStatus,
)
from app.ticketing.schemas import CancellationRead, TicketOrderCreate, TicketOrderRead, TicketRead

ACCESS_KEY_PURPOSE = "order-access-key"
ONLINE_METHODS = frozenset({PaymentMethod.card, PaymentMethod.invoice})
_NUMBER_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"


class SoldOut(Conflict):
    code = "sold_out"


class OrderNotFound(NotFound):
    code = "order_not_found"


class OrderAlreadyCancelled(Conflict):
    code = "order_already_cancelled"


class InvoiceOrderPartialCancel(Conflict):
    code = "invoice_order_partial_cancel"


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
    body: TicketOrderCreate,
    *,
    channel: Channel,
    sold_by: uuid.UUID | None = None,
    acting_as: uuid.UUID | None = None,
) -> tuple[TicketOrder, str]:
    """Places an order; returns it with the secret key of the customer's link."""
    now = clock.now()
    method = body.payment_method
    if method not in office.payment_methods:
        raise Unprocessable(
            "This payment method is not offered.", code="payment_method_not_offered"
        )
    if channel == Channel.online and method not in ONLINE_METHODS:
        raise Unprocessable(
            "Online orders are paid by card or on invoice.", code="payment_method_not_offered"
        )
    if method == PaymentMethod.card and not body.card_token:
        raise Unprocessable("A card payment needs the card token.", code="card_token_required")
    if body.cancellation_insurance and office.insurance_fee_minor is None:
        raise Unprocessable(
            "This ticket office does not offer cancellation insurance.",
            code="insurance_not_offered",
        )

    performance_ids = {item.performance_id for item in body.tickets}
    category_ids = {item.price_category_id for item in body.tickets}
    performances = {
        p.id: p
        for p in await session.scalars(
            select(Performance).where(
                Performance.id.in_(performance_ids), Performance.event_id == event.id
            )
        )
    }
    categories = {
        c.id: c
        for c in await session.scalars(
            select(PriceCategory).where(
                PriceCategory.id.in_(category_ids), PriceCategory.event_id == event.id
            )
        )
    }
    if performance_ids - performances.keys() or category_ids - categories.keys():
        raise Unprocessable(
            "A performance or price category is not of this event.", code="unknown_ticket_choice"
        )
    if channel == Channel.online and any(p.starts_at <= now for p in performances.values()):
        raise Unprocessable("This performance has already started.", code="performance_started")

    access_key = new_token(nbytes=24)
    order = TicketOrder(
        id=uuid.uuid4(),
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
        access_key_digest=digest(access_key),
        access_key_encrypted=encrypt(access_key, purpose=ACCESS_KEY_PURPOSE),
        sold_by_account_id=sold_by,
        created_at=now,
        reminders_sent=0,
    )
    session.add(order)
    await session.flush()
    tickets = []
    for item in body.tickets:
        price = categories[item.price_category_id].price_minor
        commission = office.commission_per_ticket_minor + share(
            price, office.commission_basis_points.get(method, 0)
        )
        for _ in range(item.quantity):
            tickets.append(
                Ticket(
                    id=uuid.uuid4(),
                    order_id=order.id,
                    performance_id=item.performance_id,
                    price_category_id=item.price_category_id,
                    number=ticket_number(),
                    price_minor=price,
                    commission_minor=commission,
                    status=TicketStatus.valid,
                    created_at=now,
                )
            )
    session.add_all(tickets)
    order.tickets_total_minor = sum(ticket.price_minor for ticket in tickets)
    if body.cancellation_insurance and office.insurance_fee_minor is not None:
        order.insurance_fee_minor = office.insurance_fee_minor * len(tickets)
    order.total_minor = order.tickets_total_minor + order.insurance_fee_minor
    await session.flush()

    if method == PaymentMethod.invoice:
        order.reminder_interval_days = office.invoice_first_reminder_days
        order.reminders_planned = office.invoice_reminder_count
        apply_invoice_schedule(order)
    else:  # card: authorized below, once the seats are taken; a refusal rolls all of this back
        _mark_paid(order, now, reference=None)

    read = await order_read(session, order)
    await events.emit(session, "order.created", read, organization_id=order.organization_id)
    if order.status == TicketOrderStatus.paid:
        await events.emit(session, "order.paid", read, organization_id=order.organization_id)
    await activity.record_entry(
        session,
        "ticketing.order_placed",
        organization_id=order.organization_id,
        product_id=office.id,
        actor_account_id=sold_by,
        actor_organization_id=acting_as,
        details={"order_id": str(order.id), "number": order.number, "channel": channel},
    )
    await queue_mail(
        session,
        to=order.customer_email,
        template="order_confirmation",
        language=order.customer_language,
        context={
            "recipient_name": order.customer_name,
            "order_number": order.number,
            "event_name": event.name,
            "order_url": order_link(access_key),
            "total": format_minor(order.total_minor, order.currency),
            "payment_due_at": _date(order.payment_due_at),
        },
    )
    # Last: every sale of a performance waits for the lock on its row until this transaction
    # ends, so the lock is taken when little is left to do.
    quantities: Counter[uuid.UUID] = Counter()
    for item in body.tickets:
        quantities[item.performance_id] += item.quantity
    await reserve(session, dict(quantities))
    if method == PaymentMethod.card:
        # Authorized now (a refusal rolls all of this back), captured once this transaction
        # commits, voided if it does not.
        authorization = await payments.authorize(
            session,
            key=payments.order_key("ticketing", "order", order.id),
            token=body.card_token or "",
            amount_minor=order.total_minor,
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
    by: uuid.UUID,
    acting_as: uuid.UUID | None = None,
) -> TicketOrder:
    if order.status == TicketOrderStatus.cancelled:
        raise Conflict("A cancelled order cannot be paid.", code="order_cancelled")
    if order.status == TicketOrderStatus.paid:
        raise Conflict("The order is already paid.", code="order_already_paid")
    _mark_paid(order, clock.now(), reference=reference)
    await events.emit(
        session,
        "order.paid",
        await order_read(session, order),
        organization_id=order.organization_id,
    )
    await activity.record_entry(
        session,
        "ticketing.order_paid",
        organization_id=order.organization_id,
        product_id=order.ticket_office_id,
        actor_account_id=by,
        actor_organization_id=acting_as,
        details={"order_id": str(order.id), "number": order.number},
    )
    return order


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


def _read(order: TicketOrder, tickets: Sequence[Ticket]) -> TicketOrderRead:
    return TicketOrderRead.model_validate(
        {
            **{
                field: getattr(order, field)
                for field in TicketOrderRead.model_fields
                if field != "tickets"
            },
            "tickets": [TicketRead.model_validate(ticket) for ticket in tickets],
        }
    )


async def order_read(session: AsyncSession, order: TicketOrder) -> TicketOrderRead:
    return _read(order, (await tickets_of(session, [order.id]))[order.id])


async def order_reads(
    session: AsyncSession, orders: Sequence[TicketOrder]
) -> list[TicketOrderRead]:
    tickets = await tickets_of(session, [order.id for order in orders])
    return [_read(order, tickets[order.id]) for order in orders]


async def order_for_update(
    session: AsyncSession, office_id: uuid.UUID, order_id: uuid.UUID
) -> TicketOrder:
    order = await session.scalar(
        select(TicketOrder)
        .where(TicketOrder.id == order_id, TicketOrder.ticket_office_id == office_id)
        .with_for_update()
    )
    if order is None:
        raise OrderNotFound("No such order.")
    return order


async def order_by_access_key(
    session: AsyncSession, access_key: str, *, lock: bool = False
) -> TicketOrder:
    statement = select(TicketOrder).where(TicketOrder.access_key_digest == digest(access_key))
    if lock:
        statement = statement.with_for_update()
    order = await session.scalar(statement)
    if order is None:
        raise OrderNotFound("No such order.")
    return order


async def cancel(
    session: AsyncSession,
    order: TicketOrder,
    *,
    ticket_ids: Sequence[uuid.UUID] | None,
    refund_method: RefundMethod,
    refund_amount_minor: int,
    reason: str,
    notify_customer: bool,
    by: uuid.UUID | None,
    acting_as: uuid.UUID | None = None,
    automatic: bool = False,
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
            raise Unprocessable(
                "Some tickets are not of this order.", code="unknown_ticket", ticket_ids=unknown
            )
        chosen = [by_id[ticket_id] for ticket_id in dict.fromkeys(ticket_ids)]
        if any(ticket.status != TicketStatus.valid for ticket in chosen):
            raise Conflict("A ticket is already cancelled.", code="ticket_already_cancelled")
    else:
        chosen = valid
    whole = len(chosen) == len(valid)
    now = clock.now()
    cancellation = Cancellation(
        id=uuid.uuid4(),
        order_id=order.id,
        whole_order=whole,
        automatic=automatic,
        refund_method=refund_method,
        refund_amount_minor=refund_amount_minor,
        reason=reason,
        by_account_id=by,
        customer_notified=notify_customer,
        created_at=now,
    )
    session.add(cancellation)
    await session.flush()
    _invalidate(order, chosen, cancellation)
    await release(session, dict(Counter(ticket.performance_id for ticket in chosen)))
    await session.flush()
    event_name = ""
    if notify_customer:
        event_name = (
            await session.scalar(select(Event.name).where(Event.id == order.event_id)) or ""
        )
    await _announce(
        session, order, tickets, chosen, cancellation, event_name=event_name, acting_as=acting_as
    )
    return cancellation


async def expire_unpaid(
    session: AsyncSession,
    due: Sequence[TicketOrder],
    *,
    reason: str,
    event_names: Mapping[uuid.UUID, str],
) -> None:
    """Cancels unpaid orders whole, as ``cancel(…, automatic=True)`` does one by one, but in a
    few statements for the whole batch: the deadline sweep's cancellations."""
    if not due:
        return
    now = clock.now()
    tickets = await tickets_of(session, [order.id for order in due])
    cancellations = [
        Cancellation(
            id=uuid.uuid4(),
            order_id=order.id,
            whole_order=True,
            automatic=True,
            refund_method=RefundMethod.none,
            refund_amount_minor=0,
            reason=reason,
            by_account_id=None,
            customer_notified=True,
            created_at=now,
        )
        for order in due
    ]
    session.add_all(cancellations)
    await session.flush()  # the cancellations exist before the tickets refer to them
    chosen = {
        order.id: [ticket for ticket in tickets[order.id] if ticket.status == TicketStatus.valid]
        for order in due
    }
    freed: Counter[uuid.UUID] = Counter()
    for order, cancellation in zip(due, cancellations, strict=True):
        _invalidate(order, chosen[order.id], cancellation)
        freed.update(ticket.performance_id for ticket in chosen[order.id])
    await release(session, dict(freed))
    await session.flush()
    for order, cancellation in zip(due, cancellations, strict=True):
        await _announce(
            session,
            order,
            tickets[order.id],
            chosen[order.id],
            cancellation,
            event_name=event_names.get(order.event_id, ""),
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
    acting_as: uuid.UUID | None = None,
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
    await activity.record_entry(
        session,
        "ticketing.order_auto_cancelled" if automatic else "ticketing.tickets_cancelled",
        organization_id=order.organization_id,
        product_id=order.ticket_office_id,
        actor_account_id=cancellation.by_account_id,
        actor_organization_id=acting_as,
        details={
            "order_id": str(order.id),
            "tickets": [ticket.number for ticket in chosen],
            "refund_method": cancellation.refund_method,
            "reason": cancellation.reason,
        },
    )
    if cancellation.customer_notified:
        template = "order_auto_cancelled" if automatic else "order_cancelled"
        context: dict[str, object] = {"order_number": order.number, "event_name": event_name}
        if automatic:
            context["total"] = format_minor(order.total_minor, order.currency)
        else:
            context |= {
                "ticket_numbers": ", ".join(ticket.number for ticket in chosen),
                "reason": cancellation.reason,
            }
        await queue_mail(
            session,
            to=order.customer_email,
            template=template,
            language=order.customer_language,
            context={"recipient_name": order.customer_name, **context},
        )


def cancellation_read(cancellation: Cancellation, tickets: Sequence[Ticket]) -> CancellationRead:
    return CancellationRead.model_validate(
        {
            **{
                f: getattr(cancellation, f)
                for f in CancellationRead.model_fields
                if f != "ticket_ids"
            },
            "ticket_ids": [
                ticket.id for ticket in tickets if ticket.cancellation_id == cancellation.id
            ],
        }
    )


async def exchange(
    session: AsyncSession,
    office: TicketOffice,
    order: TicketOrder,
    ticket_id: uuid.UUID,
    *,
    performance_id: uuid.UUID,
    price_category_id: uuid.UUID,
    channel: Channel,
    by: uuid.UUID | None,
    acting_as: uuid.UUID | None = None,
) -> Exchange:
    """Replaces a ticket by one for another performance or category of the same event."""
    if order.status == TicketOrderStatus.cancelled:
        raise OrderAlreadyCancelled("The order is cancelled.")
    if order.status == TicketOrderStatus.pending_payment:
        raise Conflict("Tickets of an unpaid order cannot be exchanged.", code="order_not_paid")
    ticket = await session.scalar(
        select(Ticket).where(Ticket.id == ticket_id, Ticket.order_id == order.id).with_for_update()
    )
    if ticket is None:
        raise NotFound("No such ticket in this order.", code="ticket_not_found")
    if ticket.status != TicketStatus.valid or ticket.checked_in_at is not None:
        raise Conflict(
            "Only a valid, unused ticket can be exchanged.", code="ticket_not_exchangeable"
        )
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
        raise Unprocessable(
            "A performance or price category is not of this event.", code="unknown_ticket_choice"
        )
    if (new_performance.id, category.id) == (ticket.performance_id, ticket.price_category_id):
        raise Unprocessable(
            "This is the ticket's current performance and category.", code="exchange_unchanged"
        )
    now = clock.now()
    if channel == Channel.online:
        cutoff = timedelta(hours=office.exchange_cutoff_hours)
        if not office.online_exchange_allowed:
            raise Conflict(
                "This ticket office does not allow online exchanges.",
                code="online_exchange_not_allowed",
            )
        if now > old_performance.starts_at - cutoff or now > new_performance.starts_at - cutoff:
            raise Conflict(
                "Too late to exchange this ticket online.", code="exchange_cutoff_passed"
            )
    if new_performance.id != ticket.performance_id:
        await reserve(session, {new_performance.id: 1})
        await release(session, {ticket.performance_id: 1})
    replacement = Ticket(
        id=uuid.uuid4(),
        order_id=order.id,
        performance_id=new_performance.id,
        price_category_id=category.id,
        number=ticket_number(),
        price_minor=category.price_minor,
        commission_minor=ticket.commission_minor,
        status=TicketStatus.valid,
        exchanged_from_id=ticket.id,
        created_at=now,
    )
    ticket.status = TicketStatus.cancelled
    session.add(replacement)
    await session.flush()
    record = Exchange(
        id=uuid.uuid4(),
        order_id=order.id,
        old_ticket_id=ticket.id,
        new_ticket_id=replacement.id,
        price_difference_minor=replacement.price_minor - ticket.price_minor,
        channel=channel,
        by_account_id=by,
        created_at=now,
    )
    session.add(record)
    await session.flush()
    await events.emit(
        session,
        "ticket.exchanged",
        await order_read(session, order),
        organization_id=order.organization_id,
    )
    await activity.record_entry(
        session,
        "ticketing.ticket_exchanged",
        organization_id=order.organization_id,
        product_id=office.id,
        actor_account_id=by,
        actor_organization_id=acting_as,
        details={
            "order_id": str(order.id),
            "old": ticket.number,
            "new": replacement.number,
            "price_difference_minor": record.price_difference_minor,
        },
    )
    return record
