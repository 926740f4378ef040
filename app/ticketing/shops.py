"""Online shops: several per ticket office, each with its events on sale, its look and its
payment methods.

Rules: a shop sells only its own events (published ones); its methods are among card and invoice
and must be offered by its office; "on invoice" is offered only until ``invoice_until_days_before``
days before the performance — for an order, before its earliest performance. An order through a
shop is then placed as any online order (``orders.place_order``).
"""

import uuid
from datetime import timedelta
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.activity.types import Actor
from app.core import clock
from app.core.db import one_or_raise
from app.ticketing import offices, orders
from app.ticketing.errors import (
    EventNotFound,
    OnlineShopInvalid,
    OnlineShopNotFound,
    PaymentMethodNotOffered,
)
from app.ticketing.models import (
    Channel,
    Event,
    OnlineShop,
    PaymentMethod,
    Performance,
    TicketOffice,
    TicketOrder,
)
from app.ticketing.sales_schemas import OnlineShopCreate, OnlineShopFront
from app.ticketing.schemas import TicketOrderCreate


async def _check(
    session: AsyncSession, office: TicketOffice, event_ids: list[uuid.UUID], methods: list[str]
) -> None:
    if any(method not in orders.ONLINE_METHODS for method in methods):
        raise OnlineShopInvalid("A shop takes card or invoice payments only.")
    if any(method not in office.payment_methods for method in methods):
        raise OnlineShopInvalid("A payment method is not offered by the ticket office.")
    if event_ids:
        found = await session.scalar(
            select(func.count())
            .select_from(Event)
            .where(Event.id.in_(event_ids), Event.ticket_office_id == office.id)
        )
        if found != len(set(event_ids)):
            raise OnlineShopInvalid("An event is not of this ticket office.")


async def create_shop(
    session: AsyncSession, office: TicketOffice, *, body: OnlineShopCreate, by: Actor
) -> OnlineShop:
    methods = [str(method) for method in dict.fromkeys(body.payment_methods)]
    event_ids = list(dict.fromkeys(body.event_ids))
    await _check(session, office, event_ids, methods)
    shop = OnlineShop(
        id=uuid.uuid4(),
        ticket_office_id=office.id,
        name=body.name,
        event_ids=event_ids,
        payment_methods=methods,
        invoice_until_days_before=body.invoice_until_days_before,
        look=dict(body.look),
        created_at=clock.now(),
    )
    session.add(shop)
    await session.flush()
    await _record(session, by, "ticketing.shop_created", office, shop)
    return shop


async def update_shop(
    session: AsyncSession,
    office: TicketOffice,
    shop: OnlineShop,
    *,
    changes: dict[str, Any],
    by: Actor,
) -> OnlineShop:
    if "payment_methods" in changes:
        changes["payment_methods"] = [str(m) for m in dict.fromkeys(changes["payment_methods"])]
    if "event_ids" in changes:
        changes["event_ids"] = list(dict.fromkeys(changes["event_ids"]))
    await _check(
        session,
        office,
        changes.get("event_ids", shop.event_ids),
        changes.get("payment_methods", shop.payment_methods),
    )
    for field, value in changes.items():
        setattr(shop, field, value)
    await session.flush()
    await _record(session, by, "ticketing.shop_updated", office, shop, fields=sorted(changes))
    return shop


async def _record(
    session: AsyncSession,
    by: Actor,
    action: str,
    office: TicketOffice,
    shop: OnlineShop,
    **details: Any,
) -> None:
    await offices.record(
        session, by, action, office, {"shop_id": str(shop.id), "name": shop.name, **details}
    )


async def get_shop(
    session: AsyncSession, shop_id: uuid.UUID, *, office_id: uuid.UUID | None = None
) -> OnlineShop:
    statement = select(OnlineShop).where(OnlineShop.id == shop_id)
    if office_id is not None:
        statement = statement.where(OnlineShop.ticket_office_id == office_id)
    return await one_or_raise(session, statement, OnlineShopNotFound("No such shop."))


def shops_of(office_id: uuid.UUID) -> Select[OnlineShop]:
    return select(OnlineShop).where(OnlineShop.ticket_office_id == office_id)


async def front(session: AsyncSession, shop: OnlineShop) -> OnlineShopFront:
    office = await offices.get_office(session, shop.ticket_office_id)
    events = list(
        await session.scalars(
            select(Event)
            .where(Event.id.in_(shop.event_ids), Event.published.is_(True))
            .order_by(Event.created_at, Event.id)
        )
    )
    return OnlineShopFront(
        id=shop.id,
        name=shop.name,
        look=shop.look,
        payment_methods=[PaymentMethod(method) for method in shop.payment_methods],
        invoice_until_days_before=shop.invoice_until_days_before,
        events=await offices.event_reads(session, events, {office.id: office.currency}),
    )


async def place_order(
    session: AsyncSession,
    shop: OnlineShop,
    event_id: uuid.UUID,
    *,
    body: TicketOrderCreate,
    by: Actor,
) -> tuple[TicketOrder, str]:
    """An online order through the shop, under its payment-method rules."""
    if event_id not in shop.event_ids:
        raise EventNotFound("No such event in this shop.")
    event, office = await offices.get_published_event(session, event_id)
    if body.payment_method not in shop.payment_methods:
        raise PaymentMethodNotOffered("This payment method is not offered by this shop.")
    if body.payment_method == PaymentMethod.invoice and shop.invoice_until_days_before is not None:
        first = await session.scalar(
            select(func.min(Performance.starts_at)).where(
                Performance.id.in_({item.performance_id for item in body.tickets}),
                Performance.event_id == event.id,
            )
        )
        cutoff = timedelta(days=shop.invoice_until_days_before)
        if first is not None and clock.now() > first - cutoff:
            raise PaymentMethodNotOffered(
                f"Payment on invoice ends {shop.invoice_until_days_before} days before the "
                "performance."
            )
    return await orders.place_order(
        session, office, event, body=body, channel=Channel.online, by=by, shop_id=shop.id
    )
