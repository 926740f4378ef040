"""Seat plans: set by the office's managers per performance
(/v1/organizations/…/events/{event_id}/performances/{performance_id}/seat-plan), shown in the shop
with each seat's availability (/v1/shop/events/{event_id}/performances/{performance_id}/seats)."""

import uuid

from fastapi import APIRouter

from app.accounts.deps import PUBLIC
from app.core.db import Session
from app.core.routing import AppRoute, declares
from app.ticketing import offices, seat_plans
from app.ticketing.deps import READ, WRITE, OfficeManager, OfficeUser
from app.ticketing.errors import (
    EventNotFound,
    PerformanceNotFound,
    SeatPlanInvalid,
    SeatPlanLocked,
)
from app.ticketing.router import OFFICE
from app.ticketing.sales_schemas import SeatPlanCreate, SeatPlanRead

router = APIRouter(
    prefix="/organizations/{organization_id}/ticket-offices/{ticket_office_id}/events/{event_id}"
    "/performances/{performance_id}/seat-plan",
    tags=["seat_plans"],
    route_class=AppRoute,
)
shop_router = APIRouter(prefix="/shop", tags=["shop"], route_class=AppRoute)


@router.put("")
@declares(WRITE, *OFFICE, EventNotFound, PerformanceNotFound, SeatPlanLocked, SeatPlanInvalid, 422)
async def set_seat_plan(
    event_id: uuid.UUID,
    performance_id: uuid.UUID,
    body: SeatPlanCreate,
    office: OfficeManager,
    session: Session,
) -> SeatPlanRead:
    """Sets (or replaces) the performance's numbered seats, rows in order of preference (the
    best available seats are given in this order); its capacity becomes their number. Needs the
    `manage` right; once a ticket is sold for the performance the plan is locked (409
    `seat_plan_locked`), and a category of another event or a seat listed twice is refused (422
    `seat_plan_invalid`)."""
    event = await offices.get_event(session, office.office.id, event_id)
    performance = await seat_plans.get_performance(session, event, performance_id, for_update=True)
    await seat_plans.set_plan(
        session, office.office, event, performance, body=body, by=office.actor
    )
    return await seat_plans.plan_read(session, performance)


@router.get("")
@declares(READ, *OFFICE, EventNotFound, PerformanceNotFound)
async def read_seat_plan(
    event_id: uuid.UUID, performance_id: uuid.UUID, office: OfficeUser, session: Session
) -> SeatPlanRead:
    """The performance's seat plan with each seat's availability (no seats without a plan).
    Needs the `use` right."""
    event = await offices.get_event(session, office.office.id, event_id)
    performance = await seat_plans.get_performance(session, event, performance_id)
    return await seat_plans.plan_read(session, performance)


@shop_router.get("/events/{event_id}/performances/{performance_id}/seats")
@declares(PUBLIC, EventNotFound, PerformanceNotFound)
async def read_seats(
    event_id: uuid.UUID, performance_id: uuid.UUID, session: Session
) -> SeatPlanRead:
    """A published event's performance: its seats and which are free, to pick `seat_ids` when
    ordering (empty without a seat plan). Public."""
    event, _ = await offices.get_published_event(session, event_id)
    performance = await seat_plans.get_performance(session, event, performance_id)
    return await seat_plans.plan_read(session, performance)
