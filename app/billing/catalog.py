"""The catalog: plans, prices, volume tiers and VAT rates. Read by everyone, edited by staff."""

import uuid
from collections.abc import Sequence

from sqlalchemy import Select, delete, func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from app.activity import service as activity
from app.activity.types import Actor
from app.billing.errors import (
    DuplicatePrice,
    DuplicateTier,
    InvalidProductType,
    InvalidPromoCode,
    PlanExists,
    PlanNotFound,
    PriceNotFound,
    PromoCodeExists,
)
from app.billing.models import FreeGrant, Plan, PlanPrice, PromoCode, VatRate, VolumeTier
from app.billing.pricing import Tier
from app.billing.schemas import (
    FreeGrantCreate,
    PlanCreate,
    PlanRead,
    PlanUpdate,
    PriceWrite,
    PromoCodeCreate,
    TierWrite,
)
from app.core import clock
from app.organizations import service as organizations
from app.organizations.errors import OrganizationNotFound
from app.organizations.types import ProductType


def plans_on_sale(product_type: str | None = None) -> Select[Plan]:
    statement = select(Plan).where(Plan.active)
    if product_type:
        statement = statement.where(Plan.product_type == product_type)
    return statement


def vat_rates() -> Select[VatRate]:
    return select(VatRate)


def promo_codes() -> Select[PromoCode]:
    return select(PromoCode)


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


async def get_plan(
    session: AsyncSession, code: str, *, for_sale: bool = False, for_update: bool = False
) -> Plan:
    statement = select(Plan).where(Plan.code == code)
    if for_update:
        statement = statement.with_for_update()
    plan = await session.scalar(statement)
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
        raise InvalidProductType(f"Unknown product type {product_type!r}.")
    keys = [(price.currency, price.period) for price in prices]
    if len(set(keys)) != len(keys):
        raise DuplicatePrice("One price per currency and period.")


async def _replace_prices(
    session: AsyncSession, plan_id: uuid.UUID, prices: Sequence[PriceWrite]
) -> None:
    await session.execute(delete(PlanPrice).where(PlanPrice.plan_id == plan_id))
    for price in prices:
        session.add(
            PlanPrice(
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
        raise DuplicateTier("One tier per minimum quantity.")
    await session.execute(delete(VolumeTier).where(VolumeTier.plan_id == plan_id))
    for tier in tiers:
        session.add(
            VolumeTier(
                plan_id=plan_id,
                min_quantity=tier.min_quantity,
                discount_bp=tier.discount_bp,
            )
        )


async def create_plan(session: AsyncSession, body: PlanCreate, *, by: Actor) -> Plan:
    _check_plan(body.product_type, body.prices)
    if await session.scalar(select(func.count()).where(Plan.code == body.code)):
        raise PlanExists(f"A plan {body.code!r} exists already.")
    plan = Plan(
        code=body.code,
        kind=body.kind,
        product_type=body.product_type,
        name=body.name,
        rank=body.rank,
        users=body.users,
        storage_gb=body.storage_gb,
        redemption_days=body.redemption_days,
        active=True,
        affiliate_excluded=body.affiliate_excluded,
        refunds_unused_period=body.refunds_unused_period,
    )
    session.add(plan)
    await session.flush()
    await _replace_prices(session, plan.id, body.prices)
    await _replace_tiers(session, plan.id, body.volume_tiers)
    await session.flush()
    await activity.record(session, by, "billing.plan_created", details={"code": plan.code})
    return plan


async def update_plan(session: AsyncSession, plan: Plan, body: PlanUpdate, *, by: Actor) -> Plan:
    """Price changes apply to new orders and renewals; issued invoices keep their amounts."""
    if body.name is not None:
        plan.name = body.name
    if body.active is not None:
        plan.active = body.active
    if body.affiliate_excluded is not None:
        plan.affiliate_excluded = body.affiliate_excluded
    if body.refunds_unused_period is not None:
        plan.refunds_unused_period = body.refunds_unused_period
    if body.prices is not None:
        _check_plan(plan.product_type, body.prices)
        await _replace_prices(session, plan.id, body.prices)
    if body.volume_tiers is not None:
        await _replace_tiers(session, plan.id, body.volume_tiers)
    plan.updated_at = clock.now()
    await session.flush()
    await activity.record(session, by, "billing.plan_updated", details={"code": plan.code})
    return plan


async def set_vat_rate(session: AsyncSession, *, country: str, rate_bp: int, by: Actor) -> VatRate:
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
    await activity.record(
        session,
        by,
        "billing.vat_rate_set",
        details={"country": rate.country, "rate_bp": rate.rate_bp},
    )
    return rate


async def create_promo_code(
    session: AsyncSession, body: PromoCodeCreate, *, by: Actor
) -> PromoCode:
    code = body.code.upper()
    if await session.scalar(select(PromoCode.id).where(PromoCode.code == code)):
        raise PromoCodeExists("This promo code exists already.")
    if (body.kind == "percent") != (body.percent_bp is not None) or (
        body.kind == "amount" and (body.amount_minor is None or body.currency is None)
    ):
        raise InvalidPromoCode(
            "A percent code needs percent_bp; an amount code needs amount_minor and currency."
        )
    promo = PromoCode(
        code=code,
        kind=body.kind,
        percent_bp=body.percent_bp,
        amount_minor=body.amount_minor if body.kind == "amount" else None,
        currency=body.currency if body.kind == "amount" else None,
        product_types=body.product_types,
        valid_from=body.valid_from,
        valid_until=body.valid_until,
        max_uses=body.max_uses,
        uses=0,
    )
    session.add(promo)
    await session.flush()
    await activity.record(session, by, "billing.promo_code_created", details={"code": code})
    return promo


async def grant_free_product(
    session: AsyncSession, *, organization_id: uuid.UUID, body: FreeGrantCreate, by: Actor
) -> FreeGrant:
    """Staff give an organization one product of a plan for free (used at its next checkout)."""
    if not await organizations.organization_exists(session, organization_id):
        raise OrganizationNotFound("No such organization.")
    plan = await get_plan(session, body.plan_code, for_sale=True)
    grant = FreeGrant(
        organization_id=organization_id,
        plan_id=plan.id,
        reason=body.reason,
        granted_by=by.account_id,
    )
    session.add(grant)
    await session.flush()
    await activity.record(
        session,
        by,
        "billing.free_grant_created",
        organization_id=organization_id,
        details={"plan": plan.code, "reason": body.reason},
    )
    return grant
