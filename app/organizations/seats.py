"""Suite seats: the users a suite's plan includes are seats, each assigned to a member.

How many seats a suite has is its plan's business (billing passes it in as ``capacity``); this
module keeps who holds them. A member holding a seat cannot leave the organization until the
seat is freed (``members.leave``)."""

import uuid

from sqlalchemy import Select, delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.activity import service as activity
from app.activity.types import Actor
from app.core import clock
from app.organizations.errors import (
    MemberNotFound,
    NoSeatLeft,
    NotASuite,
    ProductNotFound,
    SeatAlreadyAssigned,
    SeatNotFound,
)
from app.organizations.models import Membership, Product, ProductSeat
from app.organizations.schemas import SuiteSeatRead
from app.organizations.types import ProductType

SEATED_TYPES = frozenset({ProductType.suite})


def seats_of(product_id: uuid.UUID) -> Select[ProductSeat]:
    """The seats of a suite, for keyset pages."""
    return select(ProductSeat).where(ProductSeat.product_id == product_id)


def seat_read(seat: ProductSeat) -> SuiteSeatRead:
    return SuiteSeatRead(
        product_id=seat.product_id, account_id=seat.account_id, assigned_at=seat.created_at
    )


async def assigned(session: AsyncSession, product_id: uuid.UUID) -> int:
    """How many of the suite's seats are assigned."""
    return int(
        await session.scalar(select(func.count()).where(ProductSeat.product_id == product_id)) or 0
    )


async def seated_product(
    session: AsyncSession, organization_id: uuid.UUID, product_id: uuid.UUID
) -> Product:
    """The organization's suite, locked for the seat change (seats are counted under it)."""
    product = await session.scalar(
        select(Product)
        .where(Product.id == product_id, Product.organization_id == organization_id)
        .with_for_update()
    )
    if product is None:
        raise ProductNotFound("No such product.")
    if ProductType(product.type) not in SEATED_TYPES:
        raise NotASuite("Only a suite has seats.")
    return product


async def assign_seat(
    session: AsyncSession,
    *,
    organization_id: uuid.UUID,
    product_id: uuid.UUID,
    account_id: uuid.UUID,
    capacity: int,
    by: Actor,
) -> ProductSeat:
    """Gives a member one of the suite's ``capacity`` seats."""
    await seated_product(session, organization_id, product_id)
    is_member = await session.scalar(
        select(Membership.id).where(
            Membership.organization_id == organization_id, Membership.account_id == account_id
        )
    )
    if is_member is None:
        raise MemberNotFound("No such member.")
    if await session.scalar(
        select(ProductSeat.id).where(
            ProductSeat.product_id == product_id, ProductSeat.account_id == account_id
        )
    ):
        raise SeatAlreadyAssigned("This member already holds a seat of this suite.")
    if await assigned(session, product_id) >= capacity:
        raise NoSeatLeft(
            f"Every seat of this suite ({capacity}) is assigned: free one or move to a larger plan."
        )
    seat = ProductSeat(
        id=uuid.uuid4(),
        product_id=product_id,
        account_id=account_id,
        organization_id=organization_id,
        assigned_by_account_id=by.account_id,
        created_at=clock.now(),
    )
    session.add(seat)
    await session.flush()
    await activity.record(
        session,
        by,
        "product.seat_assigned",
        organization_id=organization_id,
        product_id=product_id,
        account_id=account_id,
    )
    return seat


async def free_seat(
    session: AsyncSession,
    *,
    organization_id: uuid.UUID,
    product_id: uuid.UUID,
    account_id: uuid.UUID,
    by: Actor,
) -> None:
    """Frees a member's seat of the suite."""
    await seated_product(session, organization_id, product_id)
    result = await session.execute(
        delete(ProductSeat).where(
            ProductSeat.product_id == product_id, ProductSeat.account_id == account_id
        )
    )
    if not getattr(result, "rowcount", 0):
        raise SeatNotFound("This member holds no seat of this suite.")
    await activity.record(
        session,
        by,
        "product.seat_freed",
        organization_id=organization_id,
        product_id=product_id,
        account_id=account_id,
    )
