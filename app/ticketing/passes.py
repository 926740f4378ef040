"""Access passes: one number admitted once at each of several performances (whole events of the
office and/or chosen performances, across its events), sold at the pass's own price in the
office's currency.

A sold pass holds a seat on every performance it covers that is still to come: the seats are
taken by the same conditional UPDATE as tickets' (``orders.reserve``, in a fixed order, all or
none), so passes and tickets together never oversell a performance. Cancelling a sold pass frees
them. Control admits a pass like a ticket (``control.py``), once per performance.
"""

import uuid
from collections.abc import Sequence

from sqlalchemy import Select, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.activity.types import Actor
from app.core import clock
from app.core.db import one_or_raise
from app.core.money import check_currency, format_minor
from app.core.schemas import from_attributes
from app.events import service as events
from app.notifications.service import queue_mail
from app.payments import service as payments
from app.ticketing import offices, orders
from app.ticketing.errors import (
    CardTokenRequired,
    PassAlreadyCancelled,
    PassInvalid,
    PassNotFound,
    PassNotOnSale,
    PaymentMethodNotOffered,
    SoldPassNotFound,
)
from app.ticketing.models import (
    AccessPass,
    Channel,
    Event,
    PaymentMethod,
    Performance,
    Seat,
    SoldPass,
    TicketOffice,
    TicketStatus,
)
from app.ticketing.pass_schemas import (
    AccessPassCreate,
    AccessPassRead,
    AccessPassUpdate,
    PassSaleCreate,
    ShopPassRead,
    SoldPassRead,
)

PASS_METHODS = frozenset({PaymentMethod.cash, PaymentMethod.card, PaymentMethod.voucher})
"""A pass is paid when sold: not on invoice."""
ONLINE_PASS_METHODS = frozenset({PaymentMethod.card})


async def _check_scope(
    session: AsyncSession,
    office: TicketOffice,
    event_ids: Sequence[uuid.UUID],
    performance_ids: Sequence[uuid.UUID],
) -> None:
    if not event_ids and not performance_ids:
        raise PassInvalid("A pass covers at least one event or performance.")
    if event_ids:
        found = set(
            await session.scalars(
                select(Event.id).where(Event.id.in_(event_ids), Event.ticket_office_id == office.id)
            )
        )
        if found != set(event_ids):
            raise PassInvalid("An event is not of this ticket office.")
    if performance_ids:
        found = set(
            await session.scalars(
                select(Performance.id)
                .join(Event, Event.id == Performance.event_id)
                .where(Performance.id.in_(performance_ids), Event.ticket_office_id == office.id)
            )
        )
        if found != set(performance_ids):
            raise PassInvalid("A performance is not of this ticket office.")


async def create_pass(
    session: AsyncSession, office: TicketOffice, *, body: AccessPassCreate, by: Actor
) -> AccessPass:
    check_currency(body.currency, office.currency)
    event_ids = list(dict.fromkeys(body.event_ids))
    performance_ids = list(dict.fromkeys(body.performance_ids))
    await _check_scope(session, office, event_ids, performance_ids)
    access_pass = AccessPass(
        id=uuid.uuid4(),
        ticket_office_id=office.id,
        name=body.name,
        price_minor=body.price_minor,
        currency=office.currency,
        event_ids=event_ids,
        performance_ids=performance_ids,
        on_sale=body.on_sale,
        created_at=clock.now(),
    )
    session.add(access_pass)
    await session.flush()
    await offices.record(
        session, by, "ticketing.pass_created", office, {"pass_id": str(access_pass.id)}
    )
    return access_pass


async def update_pass(
    session: AsyncSession,
    office: TicketOffice,
    access_pass: AccessPass,
    *,
    body: AccessPassUpdate,
    by: Actor,
) -> AccessPass:
    """Renames it, changes its price (for the passes sold from now on) or takes it off sale."""
    check_currency(body.currency, office.currency)
    changes = body.model_dump(exclude_unset=True, exclude={"currency"})
    for name, value in changes.items():
        if value is None:
            raise PassInvalid(f"{name} cannot be null.")
        setattr(access_pass, name, value)
    await session.flush()
    await offices.record(
        session,
        by,
        "ticketing.pass_updated",
        office,
        {"pass_id": str(access_pass.id), "changes": sorted(changes)},
    )
    return access_pass


def passes_of(office_id: uuid.UUID, *, on_sale_only: bool = False) -> Select[AccessPass]:
    statement = select(AccessPass).where(AccessPass.ticket_office_id == office_id)
    if on_sale_only:
        statement = statement.where(AccessPass.on_sale.is_(True))
    return statement


async def get_pass_on_sale(session: AsyncSession, pass_id: uuid.UUID) -> AccessPass:
    """A pass on sale, for the shop: one off sale answers 404 as if it did not exist."""
    statement = select(AccessPass).where(AccessPass.id == pass_id, AccessPass.on_sale.is_(True))
    return await one_or_raise(session, statement, PassNotFound("No such pass."))


async def shop_reads(session: AsyncSession, passes: Sequence[AccessPass]) -> list[ShopPassRead]:
    return [
        from_attributes(
            ShopPassRead,
            access_pass,
            performance_ids=[p.id for p in await performances_to_come(session, access_pass)],
        )
        for access_pass in passes
    ]


async def get_pass(
    session: AsyncSession, office_id: uuid.UUID, pass_id: uuid.UUID, *, for_update: bool = False
) -> AccessPass:
    statement = select(AccessPass).where(
        AccessPass.id == pass_id, AccessPass.ticket_office_id == office_id
    )
    return await one_or_raise(
        session, statement, PassNotFound("No such pass."), for_update=for_update
    )


async def pass_reads(session: AsyncSession, passes: Sequence[AccessPass]) -> list[AccessPassRead]:
    ids = [access_pass.id for access_pass in passes]
    sold: dict[uuid.UUID, int] = {}
    if ids:
        rows = await session.execute(
            select(SoldPass.pass_id, func.count())
            .where(SoldPass.pass_id.in_(ids), SoldPass.status == TicketStatus.valid)
            .group_by(SoldPass.pass_id)
        )
        sold = {pass_id: int(count) for pass_id, count in rows}
    return [
        from_attributes(AccessPassRead, access_pass, sold=sold.get(access_pass.id, 0))
        for access_pass in passes
    ]


async def performances_to_come(session: AsyncSession, access_pass: AccessPass) -> list[Performance]:
    """The performances the pass covers that have not started yet, earliest first."""
    conditions = []
    if access_pass.event_ids:
        conditions.append(Performance.event_id.in_(access_pass.event_ids))
    if access_pass.performance_ids:
        conditions.append(Performance.id.in_(access_pass.performance_ids))
    if not conditions:
        return []
    return list(
        await session.scalars(
            select(Performance)
            .where(or_(*conditions), Performance.starts_at > clock.now())
            .order_by(Performance.starts_at, Performance.id)
        )
    )


async def sell(
    session: AsyncSession,
    office: TicketOffice,
    access_pass: AccessPass,
    *,
    body: PassSaleCreate,
    channel: Channel,
    by: Actor,
) -> SoldPass:
    """Sells the pass (online: by card only; at the box office: cash, card or voucher): a seat
    on each performance it covers still to come (all or none: SoldOut names the full one), paid
    at once, the confirmation mailed."""
    if not access_pass.on_sale:
        raise PassNotOnSale("This pass is not on sale.")
    method = body.payment_method
    offered = ONLINE_PASS_METHODS if channel == Channel.online else PASS_METHODS
    if method not in office.payment_methods or method not in offered:
        raise PaymentMethodNotOffered(
            "A pass is paid at once: by card online; cash, card or voucher at the box office."
        )
    if method == PaymentMethod.card and not body.card_token:
        raise CardTokenRequired("A card payment needs the card token.")
    performances = await performances_to_come(session, access_pass)
    if not performances:
        raise PassNotOnSale("Every performance of this pass has started.")
    seated = await session.scalar(
        select(Seat.performance_id)
        .where(Seat.performance_id.in_([p.id for p in performances]))
        .limit(1)
    )
    if seated is not None:
        raise PassInvalid(
            "A performance of this pass has numbered seats: sell tickets for it instead.",
            performance_id=str(seated),
        )
    sold = SoldPass(
        id=uuid.uuid4(),
        pass_id=access_pass.id,
        ticket_office_id=office.id,
        number=orders.ticket_number(),
        customer_name=body.customer.name,
        customer_email=str(body.customer.email),
        customer_language=body.customer.language,
        price_minor=access_pass.price_minor,
        currency=office.currency,
        payment_method=method,
        channel=channel,
        status=TicketStatus.valid,
        performance_ids=[performance.id for performance in performances],
        sold_by_account_id=by.account_id,
        created_at=clock.now(),
    )
    session.add(sold)
    await session.flush()
    await offices.record(
        session,
        by,
        "ticketing.pass_sold",
        office,
        {"pass_id": str(access_pass.id), "sold_pass_id": str(sold.id), "number": sold.number},
    )
    await queue_mail(
        session,
        to=sold.customer_email,
        template="pass_confirmation",
        language=sold.customer_language,
        context={
            "recipient_name": sold.customer_name,
            "pass_name": access_pass.name,
            "pass_number": sold.number,
            "performances": len(performances),
            "first_date": performances[0].starts_at.strftime("%Y-%m-%d"),
            "last_date": performances[-1].starts_at.strftime("%Y-%m-%d"),
            "total": format_minor(sold.price_minor, sold.currency),
        },
    )
    await events.emit(
        session, "ticket.pass_sold", sold_pass_read(sold), organization_id=office.organization_id
    )
    # Last, as for orders: the performances' rows stay locked until this transaction ends.
    await orders.reserve(session, dict.fromkeys(sold.performance_ids, 1))
    if method == PaymentMethod.card and sold.price_minor > 0:
        authorization = await payments.authorize(
            session,
            key=payments.order_key("ticketing", "pass", sold.id),
            token=body.card_token or "",
            amount_minor=sold.price_minor,
            currency=sold.currency,
            description=f"Pass {sold.number}",
        )
        sold.payment_reference = authorization.provider_reference
    return sold


def sold_passes_of(access_pass: AccessPass) -> Select[SoldPass]:
    return select(SoldPass).where(SoldPass.pass_id == access_pass.id)


async def get_sold_pass(
    session: AsyncSession, access_pass: AccessPass, sold_pass_id: uuid.UUID
) -> SoldPass:
    statement = select(SoldPass).where(
        SoldPass.id == sold_pass_id, SoldPass.pass_id == access_pass.id
    )
    return await one_or_raise(
        session, statement, SoldPassNotFound("No such sold pass."), for_update=True
    )


async def cancel(
    session: AsyncSession, office: TicketOffice, sold: SoldPass, *, reason: str, by: Actor
) -> SoldPass:
    """Cancels a sold pass (whose row the caller holds locked): refused at control from now on,
    its seats on the performances still to come free again. Refunds are the organizer's."""
    if sold.status == TicketStatus.cancelled:
        raise PassAlreadyCancelled("This pass is already cancelled.")
    now = clock.now()
    sold.status = TicketStatus.cancelled
    sold.cancelled_at = now
    to_come = list(
        await session.scalars(
            select(Performance.id).where(
                Performance.id.in_(sold.performance_ids), Performance.starts_at > now
            )
        )
    )
    await orders.release(session, dict.fromkeys(to_come, 1))
    await session.flush()
    await offices.record(
        session,
        by,
        "ticketing.pass_cancelled",
        office,
        {"sold_pass_id": str(sold.id), "number": sold.number, "reason": reason},
    )
    await events.emit(
        session,
        "ticket.pass_cancelled",
        sold_pass_read(sold),
        organization_id=office.organization_id,
    )
    return sold


def sold_pass_read(sold: SoldPass) -> SoldPassRead:
    return SoldPassRead.model_validate(sold)
