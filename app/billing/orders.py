"""The cart, checkout (cart → order → invoice) with promo codes and free grants, cancellation."""

import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import Select, delete, func, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from app.activity import service as activity
from app.activity.types import Actor
from app.billing import catalog, invoices, partners, payments
from app.billing.errors import (
    CartEmpty,
    CartItemNotFound,
    FreeGrantInvalid,
    OrderNotCancellable,
    OrderNotFound,
    PlanNotFound,
    PlanNotOrderable,
    PremiumSupportHeld,
    PromoCodeAlreadyUsed,
    PromoCodeExpired,
    PromoCodeInvalid,
    PromoCodeNotApplicable,
    PromoCodeUsedUp,
)
from app.billing.models import (
    CartItem,
    EntryKind,
    FreeGrant,
    Invoice,
    LineKind,
    Order,
    OrderStatus,
    Plan,
    PlanKind,
    PromoCode,
    PromoKind,
    PromoRedemption,
    Subscription,
    SubscriptionStatus,
)
from app.billing.pricing import allocate_amount, percent_off, price_line, tier_discount_bp
from app.billing.schemas import CartItemCreate, Checkout, OrderRead
from app.core import clock
from app.core.db import one_or_raise
from app.core.money import scale
from app.core.security.encryption import encrypt
from app.events.service import emit
from app.organizations import service as organizations
from app.organizations.types import ProductType

RENEWAL_WARRANTY_PLAN = "renewal_warranty"
TRANSFER_CODE_PURPOSE = "billing.domain-transfer-code"


def cart_of(organization_id: uuid.UUID) -> Select[CartItem]:
    return select(CartItem).where(CartItem.organization_id == organization_id)


def orders_of(organization_id: uuid.UUID) -> Select[Order]:
    return select(Order).where(Order.organization_id == organization_id)


async def add_to_cart(
    session: AsyncSession, *, organization_id: uuid.UUID, body: CartItemCreate, by: Actor
) -> CartItem:
    plan = await catalog.get_plan(session, body.plan_code, for_sale=True)
    if plan.kind != PlanKind.product or plan.product_type is None:
        raise PlanNotOrderable("Options are chosen on a product, not ordered alone.")
    if body.transfer_auth_code is not None and (
        plan.product_type != ProductType.domain or body.quantity != 1
    ):
        raise PlanNotOrderable("Only one domain at a time is transferred in, with its code.")
    if plan.product_type == ProductType.premium_support:
        await _require_no_premium_support(session, organization_id, body.quantity)
    item = CartItem(
        organization_id=organization_id,
        plan_id=plan.id,
        period=body.period,
        quantity=body.quantity,
        product_name=body.product_name,
        auto_renew=body.auto_renew,
        renewal_warranty=body.renewal_warranty,
        transfer_auth_code=(
            encrypt(body.transfer_auth_code, purpose=TRANSFER_CODE_PURPOSE)
            if body.transfer_auth_code is not None
            else None
        ),
    )
    session.add(item)
    await session.flush()
    return item


async def _require_no_premium_support(
    session: AsyncSession, organization_id: uuid.UUID, quantity: int
) -> None:
    """Premium support is one product per organization."""
    held = await session.scalar(
        select(func.count())
        .select_from(Subscription)
        .join(Plan, Plan.id == Subscription.plan_id)
        .where(
            Subscription.organization_id == organization_id,
            Subscription.status.in_([SubscriptionStatus.active, SubscriptionStatus.expired]),
            Plan.product_type == ProductType.premium_support,
        )
    )
    if quantity != 1 or held:
        raise PremiumSupportHeld("An organization holds one premium support product at most.")


async def remove_from_cart(
    session: AsyncSession, *, organization_id: uuid.UUID, item_id: uuid.UUID, by: Actor
) -> None:
    result = await session.execute(
        delete(CartItem).where(CartItem.id == item_id, CartItem.organization_id == organization_id)
    )
    if not getattr(result, "rowcount", 0):
        raise CartItemNotFound("No such cart item.")


async def active_count(session: AsyncSession, organization_id: uuid.UUID, product_type: str) -> int:
    """How many products of this type the organization holds: the volume its tier depends on."""
    count = await session.scalar(
        select(func.count())
        .select_from(Subscription)
        .join(Plan, Plan.id == Subscription.plan_id)
        .where(
            Subscription.organization_id == organization_id,
            Subscription.status == SubscriptionStatus.active,
            Plan.product_type == product_type,
        )
    )
    return int(count or 0)


@dataclass
class _Line:
    draft: invoices.DraftLine
    plan: Plan


async def _priced_cart(
    session: AsyncSession,
    items: Sequence[CartItem],
    *,
    organization_id: uuid.UUID,
    currency: str,
    pricing: partners.Pricing,
) -> list[_Line]:
    ordered_per_type: dict[str, int] = {}
    plans: dict[uuid.UUID, Plan] = {}
    for item in items:
        plan = await session.get(Plan, item.plan_id)
        assert plan is not None
        assert plan.product_type is not None
        if not plan.active:
            raise PlanNotFound(f"{plan.name} is no longer sold.")
        plans[item.id] = plan
        ordered_per_type[plan.product_type] = (
            ordered_per_type.get(plan.product_type, 0) + item.quantity
        )
    if ProductType.premium_support in ordered_per_type:
        await _require_no_premium_support(
            session, organization_id, ordered_per_type[ProductType.premium_support]
        )
    as_partner = pricing == partners.Pricing.partner_price
    with_cashback = pricing == partners.Pricing.public_with_cashback
    lines: list[_Line] = []
    warranty = await session.scalar(select(Plan).where(Plan.code == RENEWAL_WARRANTY_PLAN))
    for item in items:
        plan = plans[item.id]
        assert plan.product_type is not None
        volume = ordered_per_type[plan.product_type] + await active_count(
            session, organization_id, plan.product_type
        )
        tier_bp = tier_discount_bp(await catalog.tiers_of(session, plan.id), volume)
        unit = await catalog.price_of(session, plan, currency, item.period)
        price = price_line(unit, item.quantity, tier_bp=tier_bp, partner=as_partner)
        lines.append(
            _Line(
                invoices.DraftLine(
                    kind=(
                        LineKind.new_product
                        if item.transfer_auth_code is None
                        else LineKind.domain_transfer
                    ),
                    description=(
                        f"{plan.name}: {item.product_name} ({item.period})"
                        if item.transfer_auth_code is None
                        else f"{plan.name}: transfer of {item.product_name} ({item.period})"
                    ),
                    unit_price_minor=unit,
                    quantity=item.quantity,
                    partner_discount_minor=price.partner_discount_minor,
                    volume_discount_minor=price.volume_discount_minor,
                    cashback_minor=price.cashback_minor if with_cashback else 0,
                    plan_id=plan.id,
                    period=item.period,
                    fulfilment={
                        "product_name": item.product_name,
                        "auto_renew": item.auto_renew,
                        "renewal_warranty": item.renewal_warranty,
                        **(
                            {"auth_code": item.transfer_auth_code}
                            if item.transfer_auth_code is not None
                            else {}
                        ),
                    },
                ),
                plan,
            )
        )
        if item.renewal_warranty:
            if warranty is None:
                raise PlanNotFound("Renewal Warranty is not in the catalog.")
            warranty_unit = await catalog.price_of(session, warranty, currency, item.period)
            warranty_price = price_line(warranty_unit, item.quantity, partner=as_partner)
            lines.append(
                _Line(
                    invoices.DraftLine(
                        kind=LineKind.renewal_warranty,
                        description=f"{warranty.name}: {item.product_name} ({item.period})",
                        unit_price_minor=warranty_unit,
                        quantity=item.quantity,
                        partner_discount_minor=warranty_price.partner_discount_minor,
                        cashback_minor=warranty_price.cashback_minor if with_cashback else 0,
                        plan_id=warranty.id,
                        period=item.period,
                    ),
                    warranty,
                )
            )
    return lines


async def _apply_free_grants(
    session: AsyncSession,
    lines: Sequence[_Line],
    grant_ids: Sequence[uuid.UUID],
    *,
    organization_id: uuid.UUID,
    order_id: uuid.UUID,
) -> None:
    """Each grant makes one unit of a line of its plan free (before promo codes)."""
    for grant_id in grant_ids:
        grant = await session.scalar(
            select(FreeGrant)
            .where(FreeGrant.id == grant_id, FreeGrant.organization_id == organization_id)
            .with_for_update()
        )
        if grant is None or grant.used_at is not None:
            raise FreeGrantInvalid("This free grant does not exist or was used already.")
        target = next(
            (
                line
                for line in lines
                if line.plan.id == grant.plan_id
                and line.draft.kind == LineKind.new_product
                and line.draft.fulfilment.get("free_units", 0) < line.draft.quantity
            ),
            None,
        )
        if target is None:
            raise FreeGrantInvalid("The cart holds no product this free grant is for.")
        draft = target.draft
        free_units = draft.fulfilment.get("free_units", 0)
        # One unit's share of what the line still costs (the last unit takes the remainder).
        unit_share = scale(draft.net_minor, 1, draft.quantity - free_units)
        draft.promo_discount_minor += unit_share
        draft.cashback_minor = 0 if draft.net_minor == 0 else draft.cashback_minor
        draft.fulfilment = {**draft.fulfilment, "free_units": free_units + 1}
        grant.used_at = clock.now()
        grant.order_id = order_id


async def _claim_promo(session: AsyncSession, code: str, organization_id: uuid.UUID) -> PromoCode:
    """Takes one use of the code, atomically: concurrent checkouts never exceed ``max_uses``."""
    now = clock.now()
    promo = await session.scalar(
        update(PromoCode)
        .where(
            PromoCode.code == code,
            (PromoCode.valid_from.is_(None)) | (PromoCode.valid_from <= now),
            (PromoCode.valid_until.is_(None)) | (PromoCode.valid_until > now),
            (PromoCode.max_uses.is_(None)) | (PromoCode.uses < PromoCode.max_uses),
        )
        .values(uses=PromoCode.uses + 1, updated_at=now)
        .returning(PromoCode)
        .execution_options(synchronize_session=False, populate_existing=True)
    )
    if promo is not None:
        return promo
    existing = await session.scalar(select(PromoCode).where(PromoCode.code == code))
    if existing is None:
        raise PromoCodeInvalid(f"The promo code {code} does not exist.")
    if existing.max_uses is not None and existing.uses >= existing.max_uses:
        raise PromoCodeUsedUp(f"The promo code {code} has been used up.")
    raise PromoCodeExpired(f"The promo code {code} is not valid now.")


async def _apply_promo_codes(
    session: AsyncSession,
    lines: Sequence[_Line],
    codes: Sequence[str],
    *,
    organization_id: uuid.UUID,
    order_id: uuid.UUID,
    currency: str,
) -> None:
    for code in codes:
        promo = await _claim_promo(session, code, organization_id)
        eligible = [
            line
            for line in lines
            if line.draft.net_minor > 0
            and (not promo.product_types or line.plan.product_type in promo.product_types)
        ]
        if not eligible:
            raise PromoCodeNotApplicable(
                f"The promo code {code} applies to none of the products ordered."
            )
        if promo.kind == PromoKind.percent:
            assert promo.percent_bp is not None
            discounts = [percent_off(line.draft.net_minor, promo.percent_bp) for line in eligible]
        else:
            if promo.currency != currency:
                raise PromoCodeNotApplicable(f"The promo code {code} is in {promo.currency}.")
            assert promo.amount_minor is not None
            discounts = allocate_amount(
                promo.amount_minor, [line.draft.net_minor for line in eligible]
            )
        for line, discount in zip(eligible, discounts, strict=True):
            line.draft.promo_discount_minor += discount
        redeemed = await session.scalar(
            insert(PromoRedemption)
            .values(
                id=uuid.uuid4(),
                promo_code_id=promo.id,
                organization_id=organization_id,
                order_id=order_id,
                discount_minor=sum(discounts),
                created_at=clock.now(),
            )
            .on_conflict_do_nothing(index_elements=["promo_code_id", "organization_id"])
            .returning(PromoRedemption.id)
        )
        if redeemed is None:
            raise PromoCodeAlreadyUsed(f"This organization has used the promo code {code} already.")
    for line in lines:
        # The partner is owed the difference only on what the client still pays.
        line.draft.cashback_minor = min(line.draft.cashback_minor, line.draft.net_minor)


async def checkout(
    session: AsyncSession, *, organization_id: uuid.UUID, body: Checkout, by: Actor
) -> tuple[Order, Invoice]:
    """Turns the cart into an order and its invoice; promo codes and free grants apply at the
    end. The products appear once the invoice is paid."""
    organization = await organizations.billing_details(session, organization_id)
    assert organization is not None
    items = list(
        await session.scalars(
            select(CartItem)
            .where(CartItem.organization_id == organization.id)
            .order_by(CartItem.created_at, CartItem.id)
            .with_for_update()
        )
    )
    if not items:
        raise CartEmpty("The cart is empty.")
    terms = await partners.terms_for(session, organization.id)
    pricing = partners.pricing_for(terms, paid_by_partner=body.paid_by_partner)
    if pricing == partners.Pricing.partner_price:
        assert terms is not None
        partners.require_partner_staff(terms, by)
    payer = organization
    if pricing == partners.Pricing.partner_price:
        assert terms is not None
        partner = await organizations.billing_details(session, terms.partner_organization_id)
        assert partner is not None
        payer = partner
    currency = payer.currency
    order = Order(
        organization_id=organization.id,
        payer_organization_id=payer.id,
        status=OrderStatus.pending_payment,
        currency=currency,
        placed_by=by.account_id,
        placed_from_ip=by.ip,
    )
    session.add(order)
    await session.flush()
    lines = await _priced_cart(
        session, items, organization_id=organization.id, currency=currency, pricing=pricing
    )
    await _apply_free_grants(
        session, lines, body.free_grant_ids, organization_id=organization.id, order_id=order.id
    )
    await _apply_promo_codes(
        session,
        lines,
        body.promo_codes,
        organization_id=organization.id,
        order_id=order.id,
        currency=currency,
    )
    address = await invoices.chosen_address(
        session,
        payer,
        address=body.billing_address.model_dump() if body.billing_address else None,
        address_id=body.billing_address_id,
    )
    invoice = await invoices.create(
        session,
        organization_id=payer.id,
        beneficiary_organization_id=organization.id,
        partner_organization_id=(
            terms.partner_organization_id
            if terms and pricing == partners.Pricing.public_with_cashback
            else None
        ),
        currency=currency,
        billing_address=address,
        lines=[line.draft for line in lines],
        order_id=order.id,
    )
    order.invoice_id = invoice.id
    await session.execute(delete(CartItem).where(CartItem.id.in_([item.id for item in items])))
    await session.flush()
    await emit(
        session,
        "billing_order.placed",
        OrderRead.model_validate(order),
        organization_id=order.organization_id,
    )
    await activity.record(
        session,
        by,
        "billing.order_placed",
        organization_id=organization.id,
        details={"order_id": str(order.id), "invoice": invoice.number},
    )
    if invoice.total_minor == 0:
        await payments.mark_paid(session, invoice)
    return order, invoice


async def get_order(
    session: AsyncSession,
    organization_id: uuid.UUID,
    order_id: uuid.UUID,
    *,
    for_update: bool = False,
) -> Order:
    statement = select(Order).where(Order.id == order_id, Order.organization_id == organization_id)
    return await one_or_raise(
        session, statement, OrderNotFound("No such order."), for_update=for_update
    )


async def cancel(session: AsyncSession, order: Order, *, by: Actor) -> Order:
    """Cancels an unpaid order (locked by the caller): its invoice is voided, what was paid on it
    goes to the prepaid account, promo codes and free grants become usable again."""
    if order.status != OrderStatus.pending_payment:
        raise OrderNotCancellable(f"The order is {order.status}.")
    if order.invoice_id is not None:
        invoice = await invoices.get_invoice(session, order.invoice_id, for_update=True)
        await invoices.close_unpaid(
            session, invoice, reason="order cancelled", refund_kind=EntryKind.cancelled_order_refund
        )
    redemptions = list(
        await session.scalars(select(PromoRedemption).where(PromoRedemption.order_id == order.id))
    )
    for redemption in redemptions:
        await session.execute(
            update(PromoCode)
            .where(PromoCode.id == redemption.promo_code_id)
            .values(uses=PromoCode.uses - 1)
            .execution_options(synchronize_session=False)
        )
        await session.delete(redemption)
    await session.execute(
        update(FreeGrant)
        .where(FreeGrant.order_id == order.id)
        .values(used_at=None, order_id=None)
        .execution_options(synchronize_session=False)
    )
    order.status = OrderStatus.cancelled
    order.cancelled_at = clock.now()
    order.updated_at = clock.now()
    await session.flush()
    await emit(
        session,
        "billing_order.cancelled",
        OrderRead.model_validate(order),
        organization_id=order.organization_id,
    )
    await activity.record(
        session,
        by,
        "billing.order_cancelled",
        organization_id=order.organization_id,
        details={"order_id": str(order.id)},
    )
    return order
