"""Ticket offices, their events, performances and price categories."""

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.activity import service as activity
from app.core import clock
from app.core.errors import Conflict, NotFound
from app.organizations import service as organizations
from app.organizations.models import Organization
from app.organizations.types import ProductType
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


class EventNotFound(NotFound):
    code = "event_not_found"


async def create_office(
    session: AsyncSession,
    organization: Organization,
    *,
    name: str,
    currency: str | None,
    time_zone: str,
    by: uuid.UUID,
    acting_as: uuid.UUID | None = None,
) -> TicketOffice:
    product = await organizations.create_product(
        session, organization_id=organization.id, type=ProductType.ticket_office, name=name
    )
    now = clock.now()
    office = TicketOffice(
        id=product.id,
        organization_id=organization.id,
        name=name,
        currency=currency or organization.currency,
        time_zone=time_zone,
        payment_methods=list(DEFAULT_PAYMENT_METHODS),
        commission_per_ticket_minor=0,
        commission_basis_points={},
        unpaid_invoice_tickets_valid=False,
        online_exchange_allowed=False,
        exchange_cutoff_hours=24,
        invoice_first_reminder_days=10,
        invoice_reminder_count=2,
        created_at=now,
        updated_at=now,
    )
    session.add(office)
    await session.flush()
    await activity.record_entry(
        session,
        "ticketing.office_created",
        organization_id=organization.id,
        product_id=office.id,
        actor_account_id=by,
        actor_organization_id=acting_as,
        details={"name": name},
    )
    return office


async def update_settings(
    session: AsyncSession,
    office: TicketOffice,
    changes: dict[str, Any],
    *,
    by: uuid.UUID,
    acting_as: uuid.UUID | None = None,
) -> TicketOffice:
    for field, value in changes.items():
        setattr(office, field, value)
    office.updated_at = clock.now()
    await activity.record_entry(
        session,
        "ticketing.settings_updated",
        organization_id=office.organization_id,
        product_id=office.id,
        actor_account_id=by,
        actor_organization_id=acting_as,
        details={"fields": sorted(changes)},
    )
    return office


async def create_event(session: AsyncSession, office: TicketOffice, body: EventCreate) -> Event:
    now = clock.now()
    event = Event(
        id=uuid.uuid4(),
        ticket_office_id=office.id,
        name=body.name,
        description=body.description,
        published=False,
        created_at=now,
        updated_at=now,
    )
    session.add(event)
    await session.flush()
    for performance in body.performances:
        await add_performance(session, event, performance)
    for category in body.price_categories:
        await add_price_category(session, event, category)
    return event


async def add_performance(
    session: AsyncSession, event: Event, body: PerformanceCreate
) -> Performance:
    performance = Performance(
        id=uuid.uuid4(),
        event_id=event.id,
        starts_at=body.starts_at,
        ends_at=body.ends_at,
        venue=body.venue,
        capacity=body.capacity,
        sold=0,
        created_at=clock.now(),
    )
    session.add(performance)
    await session.flush()
    return performance


async def add_price_category(
    session: AsyncSession, event: Event, body: PriceCategoryCreate
) -> PriceCategory:
    category = PriceCategory(
        id=uuid.uuid4(),
        event_id=event.id,
        name=body.name,
        price_minor=body.price_minor,
        created_at=clock.now(),
    )
    session.add(category)
    await session.flush()
    return category


async def set_published(session: AsyncSession, event: Event, published: bool) -> Event:
    if published:
        has_performance = await session.scalar(
            select(Performance.id).where(Performance.event_id == event.id).limit(1)
        )
        has_category = await session.scalar(
            select(PriceCategory.id).where(PriceCategory.event_id == event.id).limit(1)
        )
        if has_performance is None or has_category is None:
            raise Conflict(
                "An event needs a performance and a price category to be published.",
                code="event_incomplete",
            )
    event.published = published
    event.updated_at = clock.now()
    return event


async def event_of_office(
    session: AsyncSession, office_id: uuid.UUID, event_id: uuid.UUID
) -> Event:
    event = await session.scalar(
        select(Event).where(Event.id == event_id, Event.ticket_office_id == office_id)
    )
    if event is None:
        raise EventNotFound("No such event.")
    return event


def performance_read(performance: Performance) -> PerformanceRead:
    return PerformanceRead(
        id=performance.id,
        starts_at=performance.starts_at,
        ends_at=performance.ends_at,
        venue=performance.venue,
        capacity=performance.capacity,
        sold=performance.sold,
        available=performance.capacity - performance.sold,
    )


async def event_reads(
    session: AsyncSession, events: Sequence[Event], currency_by_office: dict[uuid.UUID, str]
) -> list[EventRead]:
    """Events with their performances and categories, in two queries whatever their number."""
    ids = [event.id for event in events]
    performances: dict[uuid.UUID, list[PerformanceRead]] = {event_id: [] for event_id in ids}
    categories: dict[uuid.UUID, list[PriceCategoryRead]] = {event_id: [] for event_id in ids}
    if ids:
        for performance in await session.scalars(
            select(Performance)
            .where(Performance.event_id.in_(ids))
            .order_by(Performance.starts_at, Performance.id)
        ):
            performances[performance.event_id].append(
                PerformanceRead(
                    id=performance.id,
                    starts_at=performance.starts_at,
                    ends_at=performance.ends_at,
                    venue=performance.venue,
                    capacity=performance.capacity,
                    sold=performance.sold,
                    available=performance.capacity - performance.sold,
                )
            )
        for category in await session.scalars(
            select(PriceCategory)
            .where(PriceCategory.event_id.in_(ids))
            .order_by(PriceCategory.price_minor.desc(), PriceCategory.id)
        ):
            categories[category.event_id].append(PriceCategoryRead.model_validate(category))
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
