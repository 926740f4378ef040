"""The catalog: plans, prices, volume tiers and VAT rates. Read by everyone, edited by staff."""

import uuid
from collections.abc import Sequence

from sqlalchemy import delete, func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from app.billing.models import Plan, PlanPrice, VatRate, VolumeTier
from app.billing.pricing import Tier
from app.billing.schemas import PlanCreate, PlanRead, PlanUpdate, PriceWrite, TierWrite
from app.core import clock
from app.core.errors import Conflict, NotFound, Unprocessable
from app.organizations.types import ProductType


class PlanNotFound(NotFound):
    code = "plan_not_found"


class PriceNotFound(Unprocessable):
    code = "price_not_available"


async def plan_read(session: AsyncSession, plan: Plan) -> PlanRead:
    prices = await session.scalars(
        select(PlanPrice)
        .where(PlanPrice.plan_id == plan.id)
        .order_by(PlanPrice.currency, PlanPrice.period)
    )
    tiers = await session.scalars(
        select(VolumeTier).where(VolumeTier.plan_id == plan.id).order_by(VolumeTier.min_quantity)
    )
    return PlanRead.model_validate(
        {
            **{
                field: getattr(plan, field)
                for field in PlanRead.model_fields
                if hasattr(plan, field)
            },
            "prices": list(prices),
            "volume_tiers": list(tiers),
        }
    )


async def plan_by_code(session: AsyncSession, code: str, *, for_sale: bool = False) -> Plan:
    plan = await session.scalar(select(Plan).where(Plan.code == code))
    if plan is None or (for_sale and not plan.active):
        raise PlanNotFound(f"No plan {code!r} in the catalog.")
    return plan


async def price_of(session: AsyncSession, plan: Plan, currency: str, period: str) -> int:
    amount = await session.scalar(
        select(PlanPrice.amount_minor).where(
            PlanPrice.plan_id == plan.id, PlanPrice.currency == currency, PlanPrice.period == period
        )
    )
    if amount is None:
        raise PriceNotFound(f"{plan.name} has no {period} price in {currency}.")
    return amount


async def tiers_of(session: AsyncSession, plan_id: uuid.UUID) -> list[Tier]:
    rows = await session.scalars(select(VolumeTier).where(VolumeTier.plan_id == plan_id))
    return [Tier(row.min_quantity, row.discount_bp) for row in rows]


async def vat_rate_bp(session: AsyncSession, country: str) -> int:
    """The country's VAT rate; 0 for a country outside the VAT areas the catalog lists (exports)."""
    rate = await session.scalar(select(VatRate.rate_bp).where(VatRate.country == country.upper()))
    return rate or 0


def _check_plan(product_type: str | None, prices: Sequence[PriceWrite]) -> None:
    if product_type is not None and product_type not in set(ProductType):
        raise Unprocessable(f"Unknown product type {product_type!r}.", code="invalid_product_type")
    keys = [(price.currency, price.period) for price in prices]
    if len(set(keys)) != len(keys):
        raise Unprocessable("One price per currency and period.", code="duplicate_price")


async def _replace_prices(
    session: AsyncSession, plan_id: uuid.UUID, prices: Sequence[PriceWrite]
) -> None:
    await session.execute(delete(PlanPrice).where(PlanPrice.plan_id == plan_id))
    for price in prices:
        session.add(
            PlanPrice(
                id=uuid.uuid4(),
                plan_id=plan_id,
                currency=price.currency,
                period=price.period,
                amount_minor=price.amount_minor,
            )
        )


async def _replace_tiers(
    session: AsyncSession, plan_id: uuid.UUID, tiers: Sequence[TierWrite]
) -> None:
    if len({tier.min_quantity for tier in tiers}) != len(tiers):
        raise Unprocessable("One tier per minimum quantity.", code="duplicate_tier")
    await session.execute(delete(VolumeTier).where(VolumeTier.plan_id == plan_id))
    for tier in tiers:
        session.add(
            VolumeTier(
                id=uuid.uuid4(),
                plan_id=plan_id,
                min_quantity=tier.min_quantity,
                discount_bp=tier.discount_bp,
            )
        )


async def create_plan(session: AsyncSession, body: PlanCreate) -> Plan:
    _check_plan(body.product_type, body.prices)
    if await session.scalar(select(func.count()).where(Plan.code == body.code)):
        raise Conflict(f"A plan {body.code!r} exists already.", code="plan_exists")
    now = clock.now()
    plan = Plan(
        id=uuid.uuid4(),
        code=body.code,
        kind=body.kind,
        product_type=body.product_type,
        name=body.name,
        rank=body.rank,
        users=body.users,
        storage_gb=body.storage_gb,
        redemption_days=body.redemption_days,
        active=True,
        created_at=now,
        updated_at=now,
    )
    session.add(plan)
    await session.flush()
    await _replace_prices(session, plan.id, body.prices)
    await _replace_tiers(session, plan.id, body.volume_tiers)
    await session.flush()
    return plan


async def update_plan(session: AsyncSession, plan: Plan, body: PlanUpdate) -> Plan:
    """Price changes apply to new orders and renewals; issued invoices keep their amounts."""
    if body.name is not None:
        plan.name = body.name
    if body.active is not None:
        plan.active = body.active
    if body.prices is not None:
        _check_plan(plan.product_type, body.prices)
        await _replace_prices(session, plan.id, body.prices)
    if body.volume_tiers is not None:
        await _replace_tiers(session, plan.id, body.volume_tiers)
    plan.updated_at = clock.now()
    await session.flush()
    return plan


async def set_vat_rate(session: AsyncSession, country: str, rate_bp: int) -> VatRate:
    now = clock.now()
    await session.execute(
        insert(VatRate)
        .values(id=uuid.uuid4(), country=country, rate_bp=rate_bp, created_at=now, updated_at=now)
        .on_conflict_do_update(
            index_elements=["country"], set_={"rate_bp": rate_bp, "updated_at": now}
        )
    )
    rate = await session.scalar(
        select(VatRate).where(VatRate.country == country).execution_options(populate_existing=True)
    )
    assert rate is not None
    return rate
