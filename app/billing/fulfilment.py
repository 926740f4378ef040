"""What a paid invoice does: products appear, renewals extend, upgrades and restores apply.

Each effect is applied once: the invoice's ``fulfilled_at`` is set under its row lock, and a
renewal applied in advance (Renewal Warranty) is marked ``applied_at``.
"""

import calendar
import uuid
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.activity.types import Actor
from app.billing.models import (
    PERIOD_MONTHS,
    BillingPeriod,
    DomainTransfer,
    DomainTransferStatus,
    Invoice,
    InvoiceLine,
    LineKind,
    Order,
    OrderStatus,
    Plan,
    Renewal,
    Subscription,
    SubscriptionStatus,
)
from app.billing.schemas import SubscriptionRead
from app.core import clock
from app.events.service import emit
from app.organizations import service as organizations
from app.organizations.types import ProductStatus, ProductType


def add_months(moment: datetime, months: int) -> datetime:
    """The same day and time ``months`` later, clamped to the month's last day."""
    month_index = moment.month - 1 + months
    year, month = moment.year + month_index // 12, month_index % 12 + 1
    day = min(moment.day, calendar.monthrange(year, month)[1])
    return moment.replace(year=year, month=month, day=day)


def period_end(start: datetime, period: BillingPeriod | str) -> datetime:
    return add_months(start, PERIOD_MONTHS[BillingPeriod(period)])


def subscription_read(subscription: Subscription) -> SubscriptionRead:
    effective_at = add_months(subscription.expires_at, -1) if subscription.pending_period else None
    return SubscriptionRead.model_validate(
        {
            **{
                name: getattr(subscription, name)
                for name in SubscriptionRead.model_fields
                if hasattr(subscription, name)
            },
            "pending_period_effective_at": effective_at,
        }
    )


async def emit_renewed(session: AsyncSession, subscription: Subscription) -> None:
    await emit(
        session,
        "product.renewed",
        subscription_read(subscription),
        organization_id=subscription.organization_id,
    )


async def on_invoice_paid(session: AsyncSession, invoice: Invoice) -> None:
    if invoice.fulfilled_at is not None:
        return
    invoice.fulfilled_at = clock.now()
    lines = await session.scalars(
        select(InvoiceLine)
        .where(InvoiceLine.invoice_id == invoice.id)
        .order_by(InvoiceLine.position)
    )
    for line in lines:
        if line.kind == LineKind.new_product:
            await _create_products(session, invoice, line)
        elif line.kind == LineKind.renewal:
            await apply_renewal(session, line.product_id, line.period_start)
        elif line.kind == LineKind.upgrade:
            await _upgrade(session, line)
        elif line.kind == LineKind.domain_transfer:
            await _start_transfer(session, invoice, line)
    if invoice.order_id is not None:
        await session.execute(
            update(Order)
            .where(Order.id == invoice.order_id, Order.status == OrderStatus.pending_payment)
            .values(status=OrderStatus.paid, paid_at=clock.now(), updated_at=clock.now())
            .execution_options(synchronize_session=False)
        )
    await session.flush()


async def _create_products(session: AsyncSession, invoice: Invoice, line: InvoiceLine) -> None:
    plan = await session.get(Plan, line.plan_id)
    assert plan is not None
    assert plan.product_type is not None
    assert line.period is not None
    data = line.fulfilment
    now = clock.now()
    for index in range(line.quantity):
        name = data["product_name"] if line.quantity == 1 else f"{data['product_name']} {index + 1}"
        product = await organizations.create_product(
            session,
            organization_id=invoice.beneficiary_organization_id,
            type=ProductType(plan.product_type),
            name=name,
        )
        subscription = Subscription(
            product_id=product.id,
            organization_id=invoice.beneficiary_organization_id,
            plan_id=plan.id,
            period=BillingPeriod(line.period),
            status=SubscriptionStatus.active,
            expires_at=period_end(now, line.period),
            auto_renew=bool(data.get("auto_renew", True)),
            renewal_warranty=bool(data.get("renewal_warranty", False)),
            invoice_line_id=line.id,
        )
        session.add(subscription)
        await session.flush()
        await sync_premium_support(session, subscription, enabled=True)


async def _start_transfer(session: AsyncSession, invoice: Invoice, line: InvoiceLine) -> None:
    """A paid domain transfer starts; the domain product appears once the registry completes
    it (``domain_transfers.record_outcome``)."""
    assert line.plan_id is not None
    data = line.fulfilment
    session.add(
        DomainTransfer(
            organization_id=invoice.beneficiary_organization_id,
            invoice_id=invoice.id,
            invoice_line_id=line.id,
            plan_id=line.plan_id,
            domain_name=data["product_name"],
            auth_code=data["auth_code"],
            status=DomainTransferStatus.pending,
            attempts=1,
            auto_renew=bool(data.get("auto_renew", True)),
            renewal_warranty=bool(data.get("renewal_warranty", False)),
        )
    )
    await session.flush()


async def sync_premium_support(
    session: AsyncSession, subscription: Subscription, *, enabled: bool
) -> None:
    """A premium support product gives its organization premium support (and a VIP code) while
    it runs, and takes it away when it ends."""
    plan = await session.get(Plan, subscription.plan_id)
    if plan is None or plan.product_type != ProductType.premium_support:
        return
    await organizations.set_premium_support(
        session, subscription.organization_id, enabled=enabled, by=Actor.system()
    )


async def apply_renewal(
    session: AsyncSession, product_id: uuid.UUID | None, period_start: datetime | None
) -> bool:
    """Extends the product to the renewal's end unless that renewal was applied already."""
    renewal = await session.scalar(
        select(Renewal)
        .where(Renewal.product_id == product_id, Renewal.period_start == period_start)
        .with_for_update()
    )
    if renewal is None or renewal.applied_at is not None:
        return False
    subscription = await session.scalar(
        select(Subscription).where(Subscription.product_id == product_id).with_for_update()
    )
    assert subscription is not None
    if subscription.status in (SubscriptionStatus.released, SubscriptionStatus.ended):
        return False
    renewal.applied_at = clock.now()
    subscription.expires_at = max(subscription.expires_at, renewal.period_end)
    subscription.period = renewal.period
    if subscription.pending_period == renewal.period:
        subscription.pending_period = None
    if subscription.status != SubscriptionStatus.active:
        subscription.status = SubscriptionStatus.active
        subscription.redemption_ends_at = None
        await organizations.set_product_status(
            session, subscription.product_id, ProductStatus.active
        )
        await sync_premium_support(session, subscription, enabled=True)
    subscription.updated_at = clock.now()
    await session.flush()
    await emit_renewed(session, subscription)
    return True


async def _upgrade(session: AsyncSession, line: InvoiceLine) -> None:
    subscription = await session.scalar(
        select(Subscription).where(Subscription.product_id == line.product_id).with_for_update()
    )
    assert subscription is not None
    subscription.plan_id = uuid.UUID(line.fulfilment["target_plan_id"])
    subscription.updated_at = clock.now()
    await session.flush()
    await emit(
        session,
        "product.plan_changed",
        subscription_read(subscription),
        organization_id=subscription.organization_id,
    )
