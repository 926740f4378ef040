"""Ticket offices, their events, performances and price categories."""

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.activity import service as activity
from app.activity.types import Actor
from app.core import clock
from app.core.db import one_or_raise
from app.core.money import check_currency
from app.core.schemas import from_attributes
from app.organizations import service as organizations
from app.organizations.types import ProductType
from app.ticketing.errors import EventIncomplete, EventNotFound, TicketOfficeNotFound
from app.ticketing.models import Event, Performance, PriceCategory, TicketOffice
from app.ticketing.schemas import (
    EventCreate,
    EventRead,
    PerformanceCreate,
    PerformanceRead,
    PriceCategoryCreate,
    PriceCategoryRead,
)

DEFAULT_PAYMENT_METHODS = ["card", "invoice", "cash", "voucher"]


async def record(
    session: AsyncSession,
    by: Actor,
    action: str,
    office: TicketOffice,
    details: dict[str, Any],
) -> None:
    """The activity entry of a change in ``office``."""
    await activity.record(
        session,
        by,
        action,
        organization_id=office.organization_id,
        product_id=office.id,
        details=details,
    )


async def create_office(
    session: AsyncSession,
    *,
    organization_id: uuid.UUID,
    name: str,
    currency: str | None,
    time_zone: str,
    by: Actor,
) -> TicketOffice:
    product = await organizations.create_product(
        session, organization_id=organization_id, type=ProductType.ticket_office, name=name
    )
    office = TicketOffice(
        id=product.id,
        organization_id=organization_id,
        name=name,
        currency=currency or await organizations.currency_of(session, organization_id),
        time_zone=time_zone,
        payment_methods=list(DEFAULT_PAYMENT_METHODS),
        commission_per_ticket_minor=0,
        commission_basis_points={},
        unpaid_invoice_tickets_valid=False,
        online_exchange_allowed=False,
        exchange_cutoff_hours=24,
        invoice_first_reminder_days=10,
        invoice_reminder_count=2,
    )
    session.add(office)
    await session.flush()
    await record(session, by, "ticketing.office_created", office, {"name": name})
    return office


async def update_settings(
    session: AsyncSession, office: TicketOffice, *, changes: dict[str, Any], by: Actor
) -> TicketOffice:
    """Payment methods, commissions, control and exchange rules, the invoice policy (d, n)."""
    changes = dict(changes)
    check_currency(changes.pop("currency", None), office.currency)
    if "commission_basis_points" in changes:
        changes["commission_basis_points"] = {
            str(k): v for k, v in changes["commission_basis_points"].items()
        }
    for field, value in changes.items():
        setattr(office, field, value)
    office.updated_at = clock.now()
    await session.flush()
    await record(session, by, "ticketing.settings_updated", office, {"fields": sorted(changes)})
    return office


async def create_event(
    session: AsyncSession, office: TicketOffice, *, body: EventCreate, by: Actor
) -> Event:
    """An event with its performances and price categories, unpublished."""
    for category in body.price_categories:
        check_currency(category.currency, office.currency)
    event = Event(
        ticket_office_id=office.id,
        name=body.name,
        description=body.description,
        published=False,
    )
    session.add(event)
    await session.flush()
    for performance in body.performances:
        await _add_performance(session, event, performance)
    for category in body.price_categories:
        await _add_price_category(session, event, category)
    await record(
        session,
        by,
        "ticketing.event_created",
        office,
        {
            "event_id": str(event.id),
            "name": event.name,
            "performances": len(body.performances),
            "price_categories": len(body.price_categories),
        },
    )
    return event


async def update_event(
    session: AsyncSession,
    office: TicketOffice,
    event: Event,
    *,
    changes: dict[str, Any],
    by: Actor,
) -> Event:
    """Changes the event's name or description."""
    for field, value in changes.items():
        setattr(event, field, value)
    event.updated_at = clock.now()
    await session.flush()
    await record(
        session,
        by,
        "ticketing.event_updated",
        office,
        {"event_id": str(event.id), "fields": sorted(changes)},
    )
    return event


async def _add_performance(
    session: AsyncSession, event: Event, body: PerformanceCreate
) -> Performance:
    performance = Performance(
        event_id=event.id,
        starts_at=body.starts_at,
        ends_at=body.ends_at,
        venue=body.venue,
        capacity=body.capacity,
        sold=0,
    )
    session.add(performance)
    await session.flush()
    return performance


async def add_performance(
    session: AsyncSession,
    office: TicketOffice,
    event: Event,
    *,
    body: PerformanceCreate,
    by: Actor,
) -> Performance:
    performance = await _add_performance(session, event, body)
    await record(
        session,
        by,
        "ticketing.performance_added",
        office,
        {
            "event_id": str(event.id),
            "performance_id": str(performance.id),
            "starts_at": performance.starts_at.isoformat(),
            "capacity": performance.capacity,
        },
    )
    return performance


async def _add_price_category(
    session: AsyncSession, event: Event, body: PriceCategoryCreate
) -> PriceCategory:
    category = PriceCategory(
        event_id=event.id,
        name=body.name,
        price_minor=body.price_minor,
    )
    session.add(category)
    await session.flush()
    return category


async def add_price_category(
    session: AsyncSession,
    office: TicketOffice,
    event: Event,
    *,
    body: PriceCategoryCreate,
    by: Actor,
) -> PriceCategory:
    check_currency(body.currency, office.currency)
    category = await _add_price_category(session, event, body)
    await record(
        session,
        by,
        "ticketing.price_category_added",
        office,
        {
            "event_id": str(event.id),
            "price_category_id": str(category.id),
            "name": category.name,
            "price_minor": category.price_minor,
        },
    )
    return category


async def set_published(
    session: AsyncSession, office: TicketOffice, event: Event, *, published: bool, by: Actor
) -> Event:
    """Shows the event in the online shop, or takes it out; publishing needs a performance and
    a price category."""
    if published:
        has_performance = await session.scalar(
            select(Performance.id).where(Performance.event_id == event.id).limit(1)
        )
        has_category = await session.scalar(
            select(PriceCategory.id).where(PriceCategory.event_id == event.id).limit(1)
        )
        if has_performance is None or has_category is None:
            raise EventIncomplete(
                "An event needs a performance and a price category to be published."
            )
    event.published = published
    event.updated_at = clock.now()
    await session.flush()
    await record(
        session,
        by,
        "ticketing.event_published" if published else "ticketing.event_unpublished",
        office,
        {"event_id": str(event.id)},
    )
    return event


async def get_office(
    session: AsyncSession, office_id: uuid.UUID, *, for_update: bool = False
) -> TicketOffice:
    statement = select(TicketOffice).where(TicketOffice.id == office_id)
    return await one_or_raise(
        session, statement, TicketOfficeNotFound("No such ticket office."), for_update=for_update
    )


async def get_event(
    session: AsyncSession, office_id: uuid.UUID, event_id: uuid.UUID, *, for_update: bool = False
) -> Event:
    """The office's event (published or not)."""
    statement = select(Event).where(Event.id == event_id, Event.ticket_office_id == office_id)
    return await one_or_raise(
        session, statement, EventNotFound("No such event."), for_update=for_update
    )


async def get_published_event(
    session: AsyncSession, event_id: uuid.UUID
) -> tuple[Event, TicketOffice]:
    """A published event with its office, as the shop shows it; 404 for any other."""
    row = (
        await session.execute(
            select(Event, TicketOffice)
            .join(TicketOffice, TicketOffice.id == Event.ticket_office_id)
            .where(Event.id == event_id, Event.published.is_(True))
        )
    ).one_or_none()
    if row is None:
        raise EventNotFound("No such event.")
    return row[0], row[1]


def offices_of(
    organization_id: uuid.UUID, visible_ids: Select[tuple[uuid.UUID]]
) -> Select[TicketOffice]:
    """The organization's ticket offices among ``visible_ids`` (those the caller may see)."""
    return select(TicketOffice).where(
        TicketOffice.organization_id == organization_id, TicketOffice.id.in_(visible_ids)
    )


def events_of(office_id: uuid.UUID, *, published_only: bool = False) -> Select[Event]:
    statement = select(Event).where(Event.ticket_office_id == office_id)
    if published_only:
        statement = statement.where(Event.published.is_(True))
    return statement


def performance_read(performance: Performance) -> PerformanceRead:
    return from_attributes(
        PerformanceRead, performance, available=performance.capacity - performance.sold
    )


def price_category_read(category: PriceCategory, currency: str) -> PriceCategoryRead:
    return from_attributes(PriceCategoryRead, category, currency=currency)


async def event_reads(
    session: AsyncSession, events: Sequence[Event], currency_by_office: dict[uuid.UUID, str]
) -> list[EventRead]:
    """Events with their performances and categories, in two queries whatever their number."""
    ids = [event.id for event in events]
    event_office = {event.id: event.ticket_office_id for event in events}
    performances: dict[uuid.UUID, list[PerformanceRead]] = {event_id: [] for event_id in ids}
    categories: dict[uuid.UUID, list[PriceCategoryRead]] = {event_id: [] for event_id in ids}
    if ids:
        for performance in await session.scalars(
            select(Performance)
            .where(Performance.event_id.in_(ids))
            .order_by(Performance.starts_at, Performance.id)
        ):
            performances[performance.event_id].append(performance_read(performance))
        for category in await session.scalars(
            select(PriceCategory)
            .where(PriceCategory.event_id.in_(ids))
            .order_by(PriceCategory.price_minor.desc(), PriceCategory.id)
        ):
            categories[category.event_id].append(
                price_category_read(category, currency_by_office[event_office[category.event_id]])
            )
    return [
        EventRead(
            id=event.id,
            ticket_office_id=event.ticket_office_id,
            name=event.name,
            description=event.description,
            published=event.published,
            currency=currency_by_office[event.ticket_office_id],
            performances=performances[event.id],
            price_categories=categories[event.id],
            created_at=event.created_at,
        )
        for event in events
    ]


async def event_read(session: AsyncSession, event: Event, office: TicketOffice) -> EventRead:
    return (await event_reads(session, [event], {office.id: office.currency}))[0]
