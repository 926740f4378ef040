"""What earns: a paid invoice of a referred organization becomes a commission, pending for 30
days from the order, then validated (converted into the affiliate's currency at the rate of that
day) — or void if the invoice is refunded or its order cancelled within those 30 days.

Earns nothing (``excluded`` says why): an order outside the 365 days from the referred
organization's creation; the affiliate's own organization; an order placed by a member of the
affiliate's organization, or from an IP address one of them logged in from; an order placed by
an account, or for an organization, that existed before the visit; an organization managed (or
paid for) by a partner; a suspended affiliate; lines of plans flagged ``affiliate_excluded``
(domains, Renewal Warranty…). The rate is the tier in force for the cumulative earnings before
the commission (see ``types``).
"""

import uuid
from datetime import datetime

import structlog
from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts import service as accounts
from app.activity import service as activity
from app.activity.types import Actor
from app.affiliates import rates
from app.affiliates.models import Affiliate, Commission, Referral
from app.affiliates.schemas import CommissionRead
from app.affiliates.types import (
    HOLD,
    AffiliateStatus,
    CommissionKind,
    CommissionState,
    rate_for,
)
from app.billing.service import PaidInvoice
from app.core import clock
from app.core.money import check_currency, share
from app.core.schemas import from_attributes
from app.events.service import emit
from app.organizations import service as organizations

log = structlog.get_logger("app.affiliates")
COUNTED = (CommissionState.pending, CommissionState.validated, CommissionState.paid)


def commissions_of(affiliate_id: uuid.UUID) -> Select[Commission]:
    return select(Commission).where(Commission.affiliate_id == affiliate_id)


def read(commission: Commission, account_currency: str) -> CommissionRead:
    """The commission as the API shows it, with the affiliate account's currency."""
    return from_attributes(CommissionRead, commission, account_currency=account_currency)


async def cumulative_minor(session: AsyncSession, affiliate: Affiliate) -> int:
    """What counts toward the thresholds: every commission not voided, in the affiliate's
    currency (a pending one in another currency at today's rate, 0 while there is none)."""
    rows = await session.execute(
        select(
            Commission.currency,
            func.coalesce(func.sum(Commission.converted_minor), 0),
            func.coalesce(
                func.sum(Commission.amount_minor).filter(Commission.converted_minor.is_(None)), 0
            ),
        )
        .where(Commission.affiliate_id == affiliate.id, Commission.state.in_(list(COUNTED)))
        .group_by(Commission.currency)
    )
    total = 0
    today = clock.now().date()
    for currency, converted, unconverted in rows:
        total += int(converted or 0)
        if unconverted:
            rate = await rates.rate_on(session, currency, affiliate.currency, today)
            total += rates.convert(int(unconverted), rate) if rate is not None else 0
    return total


async def _excluded(
    session: AsyncSession, affiliate: Affiliate, referral: Referral, invoice: PaidInvoice
) -> str | None:
    """Why the invoice earns nothing, or None when it earns."""
    if affiliate.status != AffiliateStatus.active:
        return "affiliate_suspended"
    if not (referral.created_at <= invoice.ordered_at < referral.earns_until):
        return "outside_earning_window"
    if affiliate.organization_id in (invoice.beneficiary_organization_id, invoice.organization_id):
        return "own_organization"
    if invoice.organization_id != invoice.beneficiary_organization_id:
        return "paid_by_partner"
    if await organizations.is_managed_by_partner(session, invoice.beneficiary_organization_id):
        return "managed_by_partner"
    created_at = await organizations.organization_created_at(
        session, invoice.beneficiary_organization_id
    )
    if created_at is None or created_at < referral.visited_at:
        return "existing_organization"
    members = await organizations.member_account_ids(session, affiliate.organization_id)
    customer_members = await organizations.member_account_ids(
        session, invoice.beneficiary_organization_id
    )
    if set(members) & set(customer_members) or invoice.placed_by in members:
        return "affiliate_member"
    if invoice.placed_by is not None and await accounts.created_before(
        session, invoice.placed_by, referral.visited_at
    ):
        return "existing_account"
    if await accounts.logged_in_from(session, members, invoice.placed_from_ip):
        return "affiliate_ip"
    return None


async def earn(session: AsyncSession, invoice: PaidInvoice) -> Commission | None:
    """The commission a paid invoice earns its referred organization's affiliate, if any
    (at most one per invoice)."""
    referral = await session.scalar(
        select(Referral).where(Referral.organization_id == invoice.beneficiary_organization_id)
    )
    if referral is None:
        return None
    affiliate = await session.scalar(
        select(Affiliate).where(Affiliate.id == referral.affiliate_id).with_for_update()
    )
    assert affiliate is not None
    if await session.scalar(select(Commission.id).where(Commission.invoice_id == invoice.id)):
        return None
    reason = await _excluded(session, affiliate, referral, invoice)
    base = invoice.earning_minor
    if reason is None and base <= 0:
        reason = "no_earning_lines"
    if reason is not None:
        log.info("commission_not_earned", invoice_id=str(invoice.id), reason=reason)
        return None
    tier = rate_for(await cumulative_minor(session, affiliate))
    same_currency = invoice.currency == affiliate.currency
    amount = share(base, tier.rate_bp)
    now = clock.now()
    commission = Commission(
        id=uuid.uuid4(),
        affiliate_id=affiliate.id,
        kind=CommissionKind.order,
        referral_id=referral.id,
        invoice_id=invoice.id,
        order_number=invoice.number,
        ordered_at=invoice.ordered_at,
        hold_until=invoice.ordered_at + HOLD,
        base_minor=base,
        currency=invoice.currency,
        rate_bp=tier.rate_bp,
        amount_minor=amount,
        exchange_rate=rates.ONE if same_currency else None,
        converted_minor=amount if same_currency else None,
        state=CommissionState.pending,
        created_at=now,
    )
    session.add(commission)
    await session.flush()
    await _announce(session, affiliate, commission, "affiliate.commission_earned")
    return commission


async def _announce(
    session: AsyncSession, affiliate: Affiliate, commission: Commission, event: str
) -> None:
    """The commission's activity entry and event, in the affiliate organization."""
    payload = read(commission, affiliate.currency)
    await activity.record(
        session,
        Actor.system(),
        event,
        organization_id=affiliate.organization_id,
        details={
            "commission_id": str(commission.id),
            "amount": commission.amount_minor,
            "currency": commission.currency,
        },
    )
    await emit(session, event, payload, organization_id=affiliate.organization_id)


async def void_for_invoice(session: AsyncSession, invoice_id: uuid.UUID, *, at: datetime) -> bool:
    """The invoice was refunded (or its order cancelled) at ``at``: its commission is void if
    that happened within the hold and it is not paid yet."""
    commission = await session.scalar(
        select(Commission).where(Commission.invoice_id == invoice_id).with_for_update()
    )
    if (
        commission is None
        or commission.state not in (CommissionState.pending, CommissionState.validated)
        or at >= commission.hold_until
    ):
        return False
    commission.state = CommissionState.void
    commission.voided_at = clock.now()
    await session.flush()
    affiliate = await session.get(Affiliate, commission.affiliate_id)
    assert affiliate is not None
    await _announce(session, affiliate, commission, "affiliate.commission_voided")
    return True


async def validate(session: AsyncSession, commission: Commission) -> bool:
    """A pending commission past its hold becomes validated, converted at the day's rate
    (kept on it); False while the table has no rate for its currency."""
    affiliate = await session.get(Affiliate, commission.affiliate_id)
    assert affiliate is not None
    if commission.converted_minor is None:
        rate = await rates.rate_on(
            session, commission.currency, affiliate.currency, clock.now().date()
        )
        if rate is None:
            log.warning("exchange_rate_missing", pair=f"{commission.currency}/{affiliate.currency}")
            return False
        commission.exchange_rate = rate
        commission.converted_minor = rates.convert(commission.amount_minor, rate)
    commission.state = CommissionState.validated
    commission.validated_at = clock.now()
    await session.flush()
    await _announce(session, affiliate, commission, "affiliate.commission_validated")
    return True


def due_for_validation(limit: int) -> Select[Commission]:
    return (
        select(Commission)
        .where(Commission.state == CommissionState.pending, Commission.hold_until <= clock.now())
        .order_by(Commission.hold_until, Commission.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )


async def adjust(
    session: AsyncSession,
    affiliate: Affiliate,
    *,
    amount_minor: int,
    currency: str | None = None,
    reason: str,
    by: Actor,
) -> Commission:
    """Staff add (or take back) an amount in the affiliate's currency (``currency``, when
    given, must be it), validated at once, with its reason (audited)."""
    check_currency(currency, affiliate.currency)
    now = clock.now()
    commission = Commission(
        id=uuid.uuid4(),
        affiliate_id=affiliate.id,
        kind=CommissionKind.adjustment,
        ordered_at=now,
        hold_until=now,
        base_minor=0,
        currency=affiliate.currency,
        rate_bp=0,
        amount_minor=amount_minor,
        exchange_rate=rates.ONE,
        converted_minor=amount_minor,
        state=CommissionState.validated,
        reason=reason,
        validated_at=now,
        created_at=now,
    )
    session.add(commission)
    await session.flush()
    await activity.record(
        session,
        by,
        "affiliate.adjusted",
        organization_id=affiliate.organization_id,
        details={
            "commission_id": str(commission.id),
            "amount": amount_minor,
            "currency": affiliate.currency,
            "reason": reason,
        },
    )
    return commission
