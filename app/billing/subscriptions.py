"""Products' renewal state: manual renewals, automatic ones, Renewal Warranty, frequency changes,
plan upgrades, domain redemption and restore, proformas."""

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from app.activity import service as activity
from app.activity.types import Actor
from app.billing import catalog, invoices, partners, payments, unused_period
from app.billing.errors import (
    AlreadyGivenUp,
    DowngradeRefused,
    InsufficientBalance,
    NotGivenUp,
    NotRenewable,
    PlanNotCompatible,
    RenewalAlreadyInvoiced,
    RenewalInProgress,
    SubscriptionNotFound,
)
from app.billing.fulfilment import (
    add_months,
    apply_renewal,
    period_end,
    subscription_read,
    sync_premium_support,
)
from app.billing.models import (
    PERIOD_MONTHS,
    RESTORE_FEE,
    BillingPeriod,
    EntryKind,
    Invoice,
    InvoiceLine,
    LineKind,
    PaymentMethod,
    Plan,
    ProfileKind,
    Renewal,
    Subscription,
    SubscriptionStatus,
)
from app.billing.notify import link, mail_organization
from app.billing.orders import RENEWAL_WARRANTY_PLAN, active_count
from app.billing.pricing import price_line, tier_discount_bp
from app.billing.schemas import (
    Proforma,
    RenewalSelection,
    RenewalWarrantyChange,
    SubscriptionUpdate,
)
from app.core import clock
from app.core.db import one_or_raise
from app.core.errors import AppError
from app.core.money import format_amount, scale
from app.events.service import emit
from app.organizations import service as organizations
from app.organizations.service import BillingDetails
from app.organizations.types import ProductStatus


def subscriptions_of(organization_id: uuid.UUID) -> Select[Subscription]:
    return select(Subscription).where(Subscription.organization_id == organization_id)


async def _organization(session: AsyncSession, organization_id: uuid.UUID) -> BillingDetails:
    details = await organizations.billing_details(session, organization_id)
    assert details is not None
    return details


async def get_subscription(
    session: AsyncSession,
    organization_id: uuid.UUID,
    product_id: uuid.UUID,
    *,
    for_update: bool = False,
) -> Subscription:
    statement = select(Subscription).where(
        Subscription.product_id == product_id, Subscription.organization_id == organization_id
    )
    return await one_or_raise(
        session,
        statement,
        SubscriptionNotFound("No such product subscription."),
        for_update=for_update,
    )


def _require_renewable(subscription: Subscription) -> None:
    if subscription.status == SubscriptionStatus.redemption:
        raise NotRenewable("The domain is in redemption: restore it instead.")
    if subscription.status not in (SubscriptionStatus.active, SubscriptionStatus.expired):
        raise NotRenewable(f"The product is {subscription.status}.")
    if subscription.given_up_at is not None:
        raise NotRenewable("The product was given up: take it back first to renew it.")


def next_start(subscription: Subscription, now: datetime) -> datetime:
    """Where the next period starts: at the expiry, or now for a product that expired."""
    if subscription.status == SubscriptionStatus.expired:
        return max(subscription.expires_at, now)
    return subscription.expires_at


def next_period(subscription: Subscription, now: datetime) -> BillingPeriod:
    """A pending frequency change counts only from the last month of the running period."""
    if subscription.pending_period and now >= add_months(subscription.expires_at, -1):
        return BillingPeriod(subscription.pending_period)
    return BillingPeriod(subscription.period)


@dataclass
class Payer:
    organization: BillingDetails
    pricing: partners.Pricing
    partner_organization_id: uuid.UUID | None


async def payer_for(
    session: AsyncSession,
    organization: BillingDetails,
    *,
    paid_by_partner: bool | None,
    product_ids: list[uuid.UUID],
) -> Payer:
    """Who pays a renewal; ``paid_by_partner=None`` follows the client's chosen payment mode."""
    terms = await partners.terms_for(session, organization.id)
    if paid_by_partner is None:
        paid_by_partner = bool(terms and terms.full_access and terms.partner_pays)
    pricing = partners.pricing_for(terms, paid_by_partner=paid_by_partner, product_ids=product_ids)
    if pricing == partners.Pricing.partner_price:
        assert terms is not None
        return Payer(await _organization(session, terms.partner_organization_id), pricing, None)
    cashback_to = (
        terms.partner_organization_id
        if terms and pricing == partners.Pricing.public_with_cashback
        else None
    )
    return Payer(organization, pricing, cashback_to)


async def renewal_lines(
    session: AsyncSession,
    subscription: Subscription,
    *,
    period: BillingPeriod,
    start: datetime,
    currency: str,
    pricing: partners.Pricing,
) -> list[invoices.DraftLine]:
    plan = await session.get(Plan, subscription.plan_id)
    assert plan is not None
    assert plan.product_type is not None
    product_name = await organizations.product_name(session, subscription.product_id)
    tier_bp = tier_discount_bp(
        await catalog.tiers_of(session, plan.id),
        max(await active_count(session, subscription.organization_id, plan.product_type), 1),
    )
    as_partner = pricing == partners.Pricing.partner_price
    with_cashback = pricing == partners.Pricing.public_with_cashback
    unit = await catalog.price_of(session, plan, currency, period)
    price = price_line(unit, 1, tier_bp=tier_bp, partner=as_partner)
    end = period_end(start, period)
    lines = [
        invoices.DraftLine(
            kind=LineKind.renewal,
            description=f"{plan.name}: {product_name}, renewal ({period})",
            unit_price_minor=unit,
            partner_discount_minor=price.partner_discount_minor,
            volume_discount_minor=price.volume_discount_minor,
            cashback_minor=price.cashback_minor if with_cashback else 0,
            plan_id=plan.id,
            product_id=subscription.product_id,
            period=period,
            period_start=start,
            period_end=end,
        )
    ]
    if subscription.renewal_warranty:
        warranty = await catalog.get_plan(session, RENEWAL_WARRANTY_PLAN)
        warranty_unit = await catalog.price_of(session, warranty, currency, period)
        warranty_price = price_line(warranty_unit, 1, partner=as_partner)
        lines.append(
            invoices.DraftLine(
                kind=LineKind.renewal_warranty,
                description=f"{warranty.name}: {product_name} ({period})",
                unit_price_minor=warranty_unit,
                partner_discount_minor=warranty_price.partner_discount_minor,
                cashback_minor=warranty_price.cashback_minor if with_cashback else 0,
                plan_id=warranty.id,
                product_id=subscription.product_id,
                period=period,
                period_start=start,
                period_end=end,
            )
        )
    return lines


async def invoice_renewal(
    session: AsyncSession,
    subscription: Subscription,
    organization: BillingDetails,
    *,
    paid_by_partner: bool | None = None,
    billing_address: dict[str, Any] | None = None,
) -> tuple[Renewal, Invoice]:
    """The invoice of the subscription's next period, created once: asking again returns the
    same renewal and invoice."""
    _require_renewable(subscription)
    now = clock.now()
    start = next_start(subscription, now)
    existing = await session.scalar(
        select(Renewal).where(
            Renewal.product_id == subscription.product_id, Renewal.period_start == start
        )
    )
    if existing is not None:
        invoice = await invoices.get_invoice(session, existing.invoice_id)
        if invoice.status in ("void",):
            raise NotRenewable("This period's renewal was cancelled.")
        return existing, invoice
    period = next_period(subscription, now)
    payer = await payer_for(
        session,
        organization,
        paid_by_partner=paid_by_partner,
        product_ids=[subscription.product_id],
    )
    lines = await renewal_lines(
        session,
        subscription,
        period=period,
        start=start,
        currency=payer.organization.currency,
        pricing=payer.pricing,
    )
    address = (
        billing_address
        or (subscription.billing_address if payer.organization.id == organization.id else None)
        or invoices.address_of(payer.organization)
    )
    invoice = await invoices.create(
        session,
        organization_id=payer.organization.id,
        beneficiary_organization_id=organization.id,
        partner_organization_id=payer.partner_organization_id,
        currency=payer.organization.currency,
        billing_address=address,
        lines=lines,
    )
    renewal_id = uuid.uuid4()
    inserted = await session.scalar(
        insert(Renewal)
        .values(
            id=renewal_id,
            product_id=subscription.product_id,
            period=period,
            period_start=start,
            period_end=lines[0].period_end,
            invoice_id=invoice.id,
            created_at=now,
        )
        .on_conflict_do_nothing(index_elements=["product_id", "period_start"])
        .returning(Renewal.id)
    )
    if inserted is None:
        raise RenewalInProgress("This renewal is being invoiced right now.")
    renewal = await session.get(Renewal, renewal_id)
    assert renewal is not None
    return renewal, invoice


async def request_renewal(
    session: AsyncSession, *, organization_id: uuid.UUID, product_id: uuid.UUID, by: Actor
) -> Invoice:
    """The invoice of the product's next period (the same one if asked again); paying it renews."""
    subscription = await get_subscription(session, organization_id, product_id, for_update=True)
    _, invoice = await invoice_renewal(
        session, subscription, await _organization(session, organization_id)
    )
    return invoice


async def update(
    session: AsyncSession,
    *,
    organization_id: uuid.UUID,
    product_id: uuid.UUID,
    body: SubscriptionUpdate,
    by: Actor,
) -> Subscription:
    """Auto-renewal, Renewal Warranty, billing frequency (from the last month of the running
    period) and the billing address of renewals."""
    subscription = await get_subscription(session, organization_id, product_id, for_update=True)
    changes: dict[str, Any] = {}
    if body.auto_renew is not None:
        subscription.auto_renew = body.auto_renew
        changes["auto_renew"] = body.auto_renew
    if body.renewal_warranty is not None:
        subscription.renewal_warranty = body.renewal_warranty
        changes["renewal_warranty"] = body.renewal_warranty
    if body.period is not None:
        subscription.pending_period = None if body.period == subscription.period else body.period
        changes["pending_period"] = subscription.pending_period
    if "billing_address" in body.model_fields_set or body.billing_address_id is not None:
        organization = await _organization(session, subscription.organization_id)
        chosen = body.billing_address.model_dump() if body.billing_address else None
        subscription.billing_address = (
            await invoices.chosen_address(
                session, organization, address=chosen, address_id=body.billing_address_id
            )
            if chosen or body.billing_address_id
            else None
        )
        changes["billing_address"] = True
    subscription.updated_at = clock.now()
    await session.flush()
    await emit(
        session,
        "product.subscription_changed",
        subscription_read(subscription),
        organization_id=subscription.organization_id,
    )
    await activity.record(
        session,
        by,
        "billing.subscription_changed",
        organization_id=subscription.organization_id,
        product_id=subscription.product_id,
        details={key: str(value) for key, value in changes.items()},
    )
    return subscription


async def change_plan(
    session: AsyncSession,
    *,
    organization_id: uuid.UUID,
    product_id: uuid.UUID,
    plan_code: str,
    by: Actor,
) -> Invoice:
    """Moves to a higher plan (more users, more storage): invoices the price difference for the
    rest of the running period; the plan changes when that invoice is paid."""
    subscription = await get_subscription(session, organization_id, product_id, for_update=True)
    organization = await _organization(session, organization_id)
    if subscription.status != SubscriptionStatus.active:
        raise NotRenewable("Only an active product changes plan.")
    current = await session.get(Plan, subscription.plan_id)
    target = await catalog.get_plan(session, plan_code, for_sale=True)
    assert current is not None
    if target.product_type != current.product_type or target.id == current.id:
        raise PlanNotCompatible("Choose another plan of the same product.")
    if (
        target.rank <= current.rank
        or (target.users or 0) < (current.users or 0)
        or (target.storage_gb or 0) < (current.storage_gb or 0)
    ):
        raise DowngradeRefused("A plan can only move up (more users, more storage).")
    currency = organization.currency
    period = BillingPeriod(subscription.period)
    difference = await catalog.price_of(session, target, currency, period) - (
        await catalog.price_of(session, current, currency, period)
    )
    now = clock.now()
    start = add_months(subscription.expires_at, -PERIOD_MONTHS[period])
    total_seconds = (subscription.expires_at - start).total_seconds()
    remaining_seconds = max((subscription.expires_at - now).total_seconds(), 0)
    prorated = max(scale(difference, int(remaining_seconds), int(total_seconds)), 0)
    product_name = await organizations.product_name(session, subscription.product_id)
    invoice = await invoices.create(
        session,
        organization_id=organization.id,
        currency=currency,
        billing_address=subscription.billing_address or invoices.address_of(organization),
        lines=[
            invoices.DraftLine(
                kind=LineKind.upgrade,
                description=f"{current.name} → {target.name}: {product_name}, until "
                f"{subscription.expires_at.date().isoformat()}",
                unit_price_minor=prorated,
                plan_id=target.id,
                product_id=subscription.product_id,
                period=period,
                period_start=now,
                period_end=subscription.expires_at,
                fulfilment={"target_plan_id": str(target.id)},
            )
        ],
    )
    await activity.record(
        session,
        by,
        "billing.plan_change_requested",
        organization_id=organization.id,
        product_id=subscription.product_id,
        details={"from": current.code, "to": target.code, "invoice": invoice.number},
    )
    if invoice.total_minor == 0:
        await payments.mark_paid(session, invoice)
    return invoice


async def restore(
    session: AsyncSession, *, organization_id: uuid.UUID, product_id: uuid.UUID, by: Actor
) -> Invoice:
    """A domain in redemption: the restore fee plus the next period from its old expiry."""
    subscription = await get_subscription(session, organization_id, product_id, for_update=True)
    organization = await _organization(session, organization_id)
    if subscription.status != SubscriptionStatus.redemption:
        raise NotRenewable("Only a domain in its redemption period can be restored.")
    plan = await session.get(Plan, subscription.plan_id)
    assert plan is not None
    payer = await payer_for(
        session, organization, paid_by_partner=None, product_ids=[subscription.product_id]
    )
    currency = payer.organization.currency
    fee = await catalog.price_of(session, plan, currency, RESTORE_FEE)
    period = BillingPeriod(subscription.period)
    start = subscription.expires_at
    existing = await session.scalar(
        select(Renewal).where(
            Renewal.product_id == subscription.product_id, Renewal.period_start == start
        )
    )
    if existing is not None:
        invoice = await invoices.get_invoice(session, existing.invoice_id)
        if invoice.status in ("open", "partially_paid"):
            return invoice
        await session.delete(existing)
        await session.flush()
    renewal = await renewal_lines(
        session, subscription, period=period, start=start, currency=currency, pricing=payer.pricing
    )
    product_name = await organizations.product_name(session, subscription.product_id)
    lines = [
        invoices.DraftLine(
            kind=LineKind.restore,
            description=f"Restore fee: {product_name}",
            unit_price_minor=fee,
            plan_id=plan.id,
            product_id=subscription.product_id,
        ),
        *renewal,
    ]
    invoice = await invoices.create(
        session,
        organization_id=payer.organization.id,
        beneficiary_organization_id=organization.id,
        partner_organization_id=payer.partner_organization_id,
        currency=currency,
        billing_address=subscription.billing_address or invoices.address_of(payer.organization),
        lines=lines,
    )
    session.add(
        Renewal(
            product_id=subscription.product_id,
            period=period,
            period_start=start,
            period_end=renewal[0].period_end,
            invoice_id=invoice.id,
        )
    )
    await session.flush()
    await activity.record(
        session,
        by,
        "billing.restore_requested",
        organization_id=organization.id,
        product_id=subscription.product_id,
        details={"invoice": invoice.number},
    )
    return invoice


async def proforma(
    session: AsyncSession, *, organization_id: uuid.UUID, product_ids: list[uuid.UUID]
) -> Proforma:
    """What renewing the selected products would cost; no invoice is created."""
    organization = await _organization(session, organization_id)
    rows, address, currency = await proforma_lines(session, organization, product_ids)
    subtotal = sum(row.net_minor for row in rows)
    vat = sum(row.vat_minor for row in rows)
    return Proforma.model_validate(
        {
            "currency": currency,
            "vat_country": address["country"],
            "billing_address": address,
            "subtotal_minor": subtotal,
            "vat_minor": vat,
            "total_minor": subtotal + vat,
            "lines": invoices.lines_read(rows, currency),
        }
    )


async def proforma_lines(
    session: AsyncSession, organization: BillingDetails, product_ids: list[uuid.UUID]
) -> tuple[list[InvoiceLine], dict[str, Any], str]:
    """The lines a renewal of the selected products would be invoiced with, the address and the
    currency (the payer's: a partner paying with its own means invoices in its own); nothing is
    stored."""
    drafts: list[invoices.DraftLine] = []
    now = clock.now()
    payer = await payer_for(session, organization, paid_by_partner=None, product_ids=product_ids)
    for product_id in product_ids:
        subscription = await get_subscription(session, organization.id, product_id)
        start = next_start(subscription, now)
        drafts += await renewal_lines(
            session,
            subscription,
            period=next_period(subscription, now),
            start=start,
            currency=payer.organization.currency,
            pricing=payer.pricing,
        )
    address = invoices.address_of(payer.organization)
    rows, _ = await invoices.priced_lines(session, drafts, address["country"])
    return rows, address, payer.organization.currency


# Automatic renewal (run by the worker, see jobs.py)


class _PaymentFailed(Exception):
    pass


async def charge_automatically(
    session: AsyncSession, invoice: Invoice, renewal: Renewal, *, by: Actor
) -> bool:
    """Pays a renewal invoice (locked) with the payer's default profile, or else its prepaid
    balance. True when paid."""
    profile = await payments.default_profile(session, invoice.organization_id)
    if profile is not None and profile.kind == ProfileKind.card:
        succeeded, _, detail = await payments.charge_card(
            session,
            profile,
            organization_id=invoice.organization_id,
            invoice=invoice,
            amount_minor=invoice.amount_due_minor,
            currency=invoice.currency,
            idempotency_key=f"billing-renewal:{renewal.id}",
        )
        if succeeded:
            await payments.settle(
                session,
                invoice,
                amount_minor=invoice.amount_due_minor,
                method=PaymentMethod.card,
                profile_id=profile.id,
                provider_reference=detail,
            )
            return True
        return False
    try:
        await payments.pay_from_prepaid(session, invoice, amount_minor=None, by=by)
    except InsufficientBalance:
        return False
    return True


async def renew_due_one(session: AsyncSession, subscription: Subscription, *, by: Actor) -> str:
    """What happens to one product at its expiry (its subscription locked); returns the outcome."""
    organization = await _organization(session, subscription.organization_id)
    if subscription.given_up_at is not None:
        await end(session, subscription)
        return "ended"
    if not (subscription.auto_renew or subscription.renewal_warranty):
        await expire(session, subscription)
        return "expired"
    try:
        renewal, invoice = await invoice_renewal(session, subscription, organization)
    except AppError:
        await expire(session, subscription)
        return "expired"
    locked = await session.scalar(
        select(Invoice)
        .where(Invoice.id == invoice.id)
        .with_for_update(skip_locked=True)
        .execution_options(populate_existing=True)
    )
    if locked is None:
        return "busy"  # someone is paying it right now; looked at again on the next run
    paid = locked.status == "paid"
    if not paid and subscription.auto_renew and locked.status in ("open", "partially_paid"):
        paid = await charge_automatically(session, locked, renewal, by=by)
        if not paid:
            await _mail_declined(session, subscription, locked)
    if paid:
        await apply_renewal(session, subscription.product_id, renewal.period_start)
        return "renewed"
    if subscription.renewal_warranty:
        await apply_renewal(session, subscription.product_id, renewal.period_start)
        return "renewed_unpaid"
    await expire(session, subscription)
    return "expired"


async def _mail_declined(
    session: AsyncSession, subscription: Subscription, invoice: Invoice
) -> None:
    """The payer is told its renewal charge was declined (before the product expires)."""
    await mail_organization(
        session,
        invoice.organization_id,
        "renewal_charge_declined",
        {
            "product_name_renewed": await organizations.product_name(
                session, subscription.product_id
            ),
            "amount": format_amount(invoice.amount_due_minor, invoice.currency),
            "renew_url": subscription_url(subscription),
        },
    )


def subscription_url(subscription: Subscription) -> str:
    """The customer's page of the product's subscription (where it is renewed)."""
    return link(
        f"/organizations/{subscription.organization_id}/subscriptions/{subscription.product_id}"
    )


async def expire(session: AsyncSession, subscription: Subscription) -> None:
    plan = await session.get(Plan, subscription.plan_id)
    assert plan is not None
    now = clock.now()
    if plan.redemption_days:
        subscription.status = SubscriptionStatus.redemption
        subscription.redemption_ends_at = add_days(subscription.expires_at, plan.redemption_days)
        await organizations.set_product_status(
            session, subscription.product_id, ProductStatus.redemption
        )
        # An unpaid renewal cannot bring a domain back without the restore fee.
        await _void_open_renewals(session, subscription, reason="domain in redemption")
        event = "product.redemption_started"
    else:
        subscription.status = SubscriptionStatus.expired
        await organizations.set_product_status(
            session, subscription.product_id, ProductStatus.expired
        )
        # Its unpaid renewal ends with it: not chased by reminders, and a late payment cannot
        # revive the product from the old date (a renewal asked for later starts from then).
        await _void_open_renewals(session, subscription, reason="product expired unpaid")
        await sync_premium_support(session, subscription, enabled=False)
        event = "product.expired"
    subscription.updated_at = now
    await session.flush()
    await emit(
        session,
        event,
        subscription_read(subscription),
        organization_id=subscription.organization_id,
    )


async def release(session: AsyncSession, subscription: Subscription) -> None:
    subscription.status = SubscriptionStatus.released
    subscription.updated_at = clock.now()
    await organizations.set_product_status(session, subscription.product_id, ProductStatus.released)
    await _void_open_renewals(session, subscription, reason="domain released")
    await session.flush()
    await emit(
        session,
        "product.released",
        subscription_read(subscription),
        organization_id=subscription.organization_id,
    )


async def _void_open_renewals(
    session: AsyncSession, subscription: Subscription, *, reason: str
) -> None:
    invoice_ids = await session.scalars(
        select(Renewal.invoice_id).where(
            Renewal.product_id == subscription.product_id, Renewal.applied_at.is_(None)
        )
    )
    for invoice_id in list(invoice_ids):
        invoice = await session.scalar(
            select(Invoice)
            .where(Invoice.id == invoice_id, Invoice.status.in_(["open", "partially_paid"]))
            .with_for_update(skip_locked=True)
        )
        if invoice is not None:
            await invoices.close_unpaid(
                session, invoice, reason=reason, refund_kind=EntryKind.cancelled_order_refund
            )


def add_days(moment: datetime, days: int) -> datetime:
    return moment + timedelta(days=days)


# Giving a product up before its term


async def give_up(
    session: AsyncSession, *, organization_id: uuid.UUID, product_id: uuid.UUID, by: Actor
) -> Subscription:
    """The product is not renewed again (not even under Renewal Warranty) and ends at the end of
    the period paid for; nothing is refunded. Its unpaid renewal invoices not yet in effect are
    voided. An expired product, or a domain in redemption, ends at once.

    When its plan ``refunds_unused_period`` and its running period is paid, it ends at once
    instead, and the unused days are refunded (``unused_period``). Concurrent calls queue on
    the subscription's lock: the second finds it given up already."""
    subscription = await get_subscription(session, organization_id, product_id, for_update=True)
    if subscription.given_up_at is not None:
        raise AlreadyGivenUp("The product was given up already.")
    if subscription.status in (SubscriptionStatus.released, SubscriptionStatus.ended):
        raise NotRenewable(f"The product is {subscription.status} already.")
    now = clock.now()
    running = subscription.status == SubscriptionStatus.active and subscription.expires_at > now
    shares = await _refundable_shares(session, subscription, now) if running else []
    subscription.given_up_at = now
    subscription.updated_at = now
    await _void_open_renewals(session, subscription, reason="product given up")
    await session.flush()
    ends_at = max(subscription.expires_at, now) if running and not shares else now
    await activity.record(
        session,
        by,
        "billing.product_given_up",
        organization_id=subscription.organization_id,
        product_id=subscription.product_id,
        details={"ends_at": ends_at.isoformat()},
    )
    if shares:
        await unused_period.refund(session, subscription, shares, now=now, by=by)
        subscription.expires_at = now
        await end(session, subscription)
    elif not running:
        await end(session, subscription)
    else:
        await emit(
            session,
            "product.subscription_changed",
            subscription_read(subscription),
            organization_id=subscription.organization_id,
        )
    return subscription


async def _refundable_shares(
    session: AsyncSession, subscription: Subscription, now: datetime
) -> list[unused_period.PaidShare]:
    """What was paid for the running period, if the plan refunds its unused part."""
    plan = await session.get(Plan, subscription.plan_id)
    if plan is None or not plan.refunds_unused_period:
        return []
    return await unused_period.paid_shares(session, subscription, now)


async def take_back(
    session: AsyncSession, *, organization_id: uuid.UUID, product_id: uuid.UUID, by: Actor
) -> Subscription:
    """Undoes giving the product up while its paid period runs: it renews as before. A product
    that ended when given up (refunded, or expired) is not taken back: nothing refunded stays
    paid out for a product that runs on."""
    subscription = await get_subscription(session, organization_id, product_id, for_update=True)
    if subscription.given_up_at is None:
        raise NotGivenUp("The product was not given up.")
    if subscription.status != SubscriptionStatus.active:
        raise NotRenewable(f"The product is {subscription.status}: it cannot be taken back.")
    subscription.given_up_at = None
    subscription.updated_at = clock.now()
    await session.flush()
    await activity.record(
        session,
        by,
        "billing.product_taken_back",
        organization_id=subscription.organization_id,
        product_id=subscription.product_id,
    )
    await emit(
        session,
        "product.subscription_changed",
        subscription_read(subscription),
        organization_id=subscription.organization_id,
    )
    return subscription


async def end(session: AsyncSession, subscription: Subscription) -> None:
    """A given-up product whose paid period is over: gone (it no longer blocks deleting the
    organization), and what it gave (premium support) goes with it."""
    subscription.status = SubscriptionStatus.ended
    subscription.redemption_ends_at = None
    subscription.updated_at = clock.now()
    await organizations.set_product_status(session, subscription.product_id, ProductStatus.released)
    await _void_open_renewals(session, subscription, reason="product given up")
    await sync_premium_support(session, subscription, enabled=False)
    await session.flush()
    await emit(
        session,
        "product.released",
        subscription_read(subscription),
        organization_id=subscription.organization_id,
    )


# Several renewals on one invoice ("select the products to renew, then pay the selection")


async def renew_selection(
    session: AsyncSession, *, organization_id: uuid.UUID, body: RenewalSelection, by: Actor
) -> Invoice:
    """One invoice for the next period of each selected product; paying it renews them all.

    The subscriptions are locked in one order (so concurrent selections never deadlock) and each
    period is invoiced once (unique product + period start): asking again for the same selection
    returns the same invoice; a product whose next period is already on another unpaid invoice
    is refused (``renewal_already_invoiced``)."""
    organization = await _organization(session, organization_id)
    product_ids = sorted(set(body.product_ids))
    now = clock.now()
    selected: list[tuple[Subscription, datetime]] = []
    invoiced: dict[uuid.UUID, Invoice] = {}
    for product_id in product_ids:
        subscription = await get_subscription(session, organization_id, product_id, for_update=True)
        _require_renewable(subscription)
        start = next_start(subscription, now)
        existing = await session.scalar(
            select(Renewal).where(Renewal.product_id == product_id, Renewal.period_start == start)
        )
        if existing is not None:
            invoice = await invoices.get_invoice(session, existing.invoice_id)
            if invoice.status == "void":
                await session.delete(existing)
                await session.flush()
            else:
                invoiced[product_id] = invoice
        selected.append((subscription, start))
    if invoiced:
        return await _same_selection(session, invoiced, product_ids)
    payer = await payer_for(session, organization, paid_by_partner=None, product_ids=product_ids)
    drafts: list[invoices.DraftLine] = []
    for subscription, start in selected:
        drafts += await renewal_lines(
            session,
            subscription,
            period=next_period(subscription, now),
            start=start,
            currency=payer.organization.currency,
            pricing=payer.pricing,
        )
    if body.billing_address is not None or body.billing_address_id is not None:
        address = await invoices.chosen_address(
            session,
            payer.organization,
            address=body.billing_address.model_dump() if body.billing_address else None,
            address_id=body.billing_address_id,
        )
    else:
        address = invoices.address_of(payer.organization)
    invoice = await invoices.create(
        session,
        organization_id=payer.organization.id,
        beneficiary_organization_id=organization.id,
        partner_organization_id=payer.partner_organization_id,
        currency=payer.organization.currency,
        billing_address=address,
        lines=drafts,
    )
    for draft in drafts:
        if draft.kind != LineKind.renewal:
            continue
        inserted = await session.scalar(
            insert(Renewal)
            .values(
                id=uuid.uuid4(),
                product_id=draft.product_id,
                period=draft.period,
                period_start=draft.period_start,
                period_end=draft.period_end,
                invoice_id=invoice.id,
                created_at=now,
            )
            .on_conflict_do_nothing(index_elements=["product_id", "period_start"])
            .returning(Renewal.id)
        )
        if inserted is None:
            raise RenewalInProgress("One of these renewals is being invoiced right now.")
    await activity.record(
        session,
        by,
        "billing.renewals_invoiced",
        organization_id=organization.id,
        details={"invoice": invoice.number, "products": len(product_ids)},
    )
    return invoice


async def _same_selection(
    session: AsyncSession, invoiced: dict[uuid.UUID, Invoice], product_ids: list[uuid.UUID]
) -> Invoice:
    """A selection asked for again: its invoice, if it covers exactly these products."""
    invoice_ids = {invoice.id for invoice in invoiced.values()}
    if len(invoiced) == len(product_ids) and len(invoice_ids) == 1:
        [invoice_id] = invoice_ids
        on_invoice = set(
            await session.scalars(
                select(Renewal.product_id).where(Renewal.invoice_id == invoice_id)
            )
        )
        if on_invoice == set(product_ids):
            return invoiced[product_ids[0]]
    numbers = sorted({invoice.number or "" for invoice in invoiced.values()})
    raise RenewalAlreadyInvoiced(
        f"The next period of {len(invoiced)} of these products is already on invoice "
        f"{', '.join(numbers)}: pay it, or select exactly its products."
    )


# Renewal Warranty on several products at once


async def set_renewal_warranty(
    session: AsyncSession, *, organization_id: uuid.UUID, body: RenewalWarrantyChange, by: Actor
) -> list[uuid.UUID]:
    """Turns Renewal Warranty on or off for the selected products, or for every product the
    organization still renews when none is selected; returns the products that changed."""
    statement = (
        select(Subscription)
        .where(
            Subscription.organization_id == organization_id,
            Subscription.status.in_([SubscriptionStatus.active, SubscriptionStatus.expired]),
            Subscription.given_up_at.is_(None),
        )
        .order_by(Subscription.product_id)
        .with_for_update()
    )
    if body.product_ids is not None:
        statement = statement.where(Subscription.product_id.in_(body.product_ids))
    rows = list(await session.scalars(statement))
    if body.product_ids is not None and len(rows) != len(set(body.product_ids)):
        raise SubscriptionNotFound(
            "Some of these products do not exist, have ended or were given up."
        )
    changed: list[uuid.UUID] = []
    now = clock.now()
    for subscription in rows:
        if subscription.renewal_warranty == body.renewal_warranty:
            continue
        subscription.renewal_warranty = body.renewal_warranty
        subscription.updated_at = now
        changed.append(subscription.product_id)
        await emit(
            session,
            "product.subscription_changed",
            subscription_read(subscription),
            organization_id=organization_id,
        )
    await session.flush()
    if changed:
        await activity.record(
            session,
            by,
            "billing.renewal_warranty_changed",
            organization_id=organization_id,
            details={"renewal_warranty": body.renewal_warranty, "products": len(changed)},
        )
    return changed
