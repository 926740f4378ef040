"""/v1/organizations/{organization_id}/products/{product_id}/seats: a suite's users are seats,
as many as its plan includes, each assigned to a member of the organization.

Billing knows the plan (how many users); the organizations package keeps who holds a seat and
refuses a member who holds one when it tries to leave."""

import uuid
from typing import Any

from fastapi import APIRouter, status
from sqlalchemy.ext.asyncio import AsyncSession

from app.billing import subscriptions
from app.billing.errors import SubscriptionNotFound
from app.billing.models import Plan
from app.core.db import Session
from app.core.pagination import InvalidCursor, Page, Pagination, page_of, paginate
from app.core.routing import AppRoute, declares
from app.organizations import service as organizations
from app.organizations.errors import (
    MemberNotFound,
    NoSeatLeft,
    NotASuite,
    ProductNotFound,
    SeatAlreadyAssigned,
    SeatNotFound,
)
from app.organizations.permissions import MANAGER_ERRORS, READ, WRITE, Manager
from app.organizations.schemas import SuiteSeatAssignment, SuiteSeatRead

router = APIRouter(route_class=AppRoute)


async def capacity(session: AsyncSession, organization_id: uuid.UUID, product_id: uuid.UUID) -> int:
    """How many users the product's current plan includes (its seats)."""
    subscription = await subscriptions.get_subscription(session, organization_id, product_id)
    plan = await session.get(Plan, subscription.plan_id)
    return (plan.users or 0) if plan is not None else 0


@router.get("/products/{product_id}/seats", response_model=Page[SuiteSeatRead])
@declares(READ, *MANAGER_ERRORS, ProductNotFound, NotASuite, InvalidCursor)
async def list_seats(
    product_id: uuid.UUID, access: Manager, session: Session, page: Pagination
) -> dict[str, Any]:
    """The suite's assigned seats, newest first. Legal representatives and administrators."""
    await organizations.seated_product(session, access.organization.id, product_id)
    rows, cursor = await paginate(session, organizations.seats_of(product_id), page)
    return page_of([organizations.seat_read(row) for row in rows], cursor)


@router.post("/products/{product_id}/seats", status_code=status.HTTP_201_CREATED)
@declares(
    WRITE,
    *MANAGER_ERRORS,
    ProductNotFound,
    NotASuite,
    SubscriptionNotFound,
    MemberNotFound,
    SeatAlreadyAssigned,
    NoSeatLeft,
)
async def assign_seat(
    product_id: uuid.UUID, body: SuiteSeatAssignment, access: Manager, session: Session
) -> SuiteSeatRead:
    """Gives a member one of the suite's seats: at most as many as its plan's users (409
    `no_seat_left`: free one or move to a larger plan). A member holding a seat cannot leave
    the organization until it is freed. Legal representatives and administrators."""
    await organizations.seated_product(session, access.organization.id, product_id)
    seats = await capacity(session, access.organization.id, product_id)
    seat = await organizations.assign_seat(
        session,
        organization_id=access.organization.id,
        product_id=product_id,
        account_id=body.account_id,
        capacity=seats,
        by=access.actor,
    )
    return organizations.seat_read(seat)


@router.delete("/products/{product_id}/seats/{account_id}", status_code=status.HTTP_204_NO_CONTENT)
@declares(WRITE, *MANAGER_ERRORS, ProductNotFound, NotASuite, SeatNotFound)
async def free_seat(
    product_id: uuid.UUID, account_id: uuid.UUID, access: Manager, session: Session
) -> None:
    """Frees a member's seat of the suite (the member may then leave the organization). Legal
    representatives and administrators."""
    await organizations.free_seat(
        session,
        organization_id=access.organization.id,
        product_id=product_id,
        account_id=account_id,
        by=access.actor,
    )
