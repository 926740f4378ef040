"""The monthly payout: at the start of each month every affiliate whose validated, unpaid
commissions reach 50 (in its account's currency) is paid once — into its prepaid account, or as
a PayPal or bank instruction that staff mark paid out. Below 50 nothing is paid and the balance
carries over to the next month.

Paid once: the affiliate row is locked (``SKIP LOCKED``: a second worker takes another one), a
payout is unique per affiliate and month, and its commissions become ``paid`` in the same
transaction; the prepaid credit's ledger reference is the payout's id.
"""

import uuid
from datetime import UTC, date, datetime, time
from typing import Any

from sqlalchemy import ColumnElement, Select, exists, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.activity import service as activity
from app.activity.types import Actor
from app.affiliates.errors import PayoutNotFound, PayoutNotInstructed
from app.affiliates.models import Affiliate, Commission, Payout
from app.affiliates.schemas import PayoutRead
from app.affiliates.types import (
    PAYOUT_MINIMUM_MINOR,
    CommissionState,
    PayoutMethod,
    PayoutStatus,
)
from app.billing import service as billing
from app.core import clock
from app.core.db import one_or_raise
from app.core.money import format_minor
from app.events.service import emit
from app.notifications.service import queue_mail
from app.organizations import service as organizations
from app.organizations.types import Role


def month_of(day: date) -> date:
    return day.replace(day=1)


def payouts_of(affiliate_id: uuid.UUID) -> Select[Payout]:
    return select(Payout).where(Payout.affiliate_id == affiliate_id)


def instructed_payouts() -> Select[Payout]:
    return select(Payout).where(Payout.status == PayoutStatus.instructed)


async def get_payout(
    session: AsyncSession,
    payout_id: uuid.UUID,
    *,
    affiliate_id: uuid.UUID | None = None,
    for_update: bool = False,
) -> Payout:
    statement = select(Payout).where(Payout.id == payout_id)
    if affiliate_id is not None:
        statement = statement.where(Payout.affiliate_id == affiliate_id)
    return await one_or_raise(
        session, statement, PayoutNotFound("No such payout."), for_update=for_update
    )


def month_start(month: date) -> datetime:
    return datetime.combine(month, time(), tzinfo=UTC)


def _payable(affiliate_id: Any, month: date) -> list[ColumnElement[bool]]:
    """Validated, unpaid, and validated before the month began (what the month pays)."""
    return [
        Commission.affiliate_id == affiliate_id,
        Commission.state == CommissionState.validated,
        Commission.payout_id.is_(None),
        Commission.validated_at < month_start(month),
    ]


async def validated_unpaid_minor(session: AsyncSession, affiliate_id: uuid.UUID) -> int:
    total = await session.scalar(
        select(func.coalesce(func.sum(Commission.converted_minor), 0)).where(
            Commission.affiliate_id == affiliate_id,
            Commission.state == CommissionState.validated,
            Commission.payout_id.is_(None),
        )
    )
    return int(total or 0)


def due_affiliates(month: date, limit: int) -> Select[Affiliate]:
    """Affiliates owed at least 50 for ``month`` and not paid yet this month, locked."""
    owed = (
        select(func.coalesce(func.sum(Commission.converted_minor), 0))
        .where(*_payable(Affiliate.id, month))
        .scalar_subquery()
    )
    return (
        select(Affiliate)
        .where(
            owed >= PAYOUT_MINIMUM_MINOR,
            ~exists().where(Payout.affiliate_id == Affiliate.id, Payout.month == month),
        )
        .order_by(Affiliate.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )


async def pay(session: AsyncSession, affiliate: Affiliate, month: date) -> Payout | None:
    """Pays the affiliate (locked by the caller) for ``month`` if at least 50 is due."""
    if await session.scalar(
        select(Payout.id).where(Payout.affiliate_id == affiliate.id, Payout.month == month)
    ):
        return None
    lines = list(
        await session.scalars(
            select(Commission)
            .where(*_payable(affiliate.id, month))
            .order_by(Commission.created_at, Commission.id)
            .with_for_update()
        )
    )
    amount = sum(line.converted_minor or 0 for line in lines)
    if amount < PAYOUT_MINIMUM_MINOR:
        return None
    now = clock.now()
    prepaid = affiliate.payout_method == PayoutMethod.prepaid
    payout = Payout(
        id=uuid.uuid4(),
        affiliate_id=affiliate.id,
        month=month,
        currency=affiliate.currency,
        amount_minor=amount,
        method=affiliate.payout_method,
        destination=affiliate.paypal_email or affiliate.iban,
        status=PayoutStatus.paid if prepaid else PayoutStatus.instructed,
        paid_out_at=now if prepaid else None,
        created_at=now,
    )
    session.add(payout)
    await session.flush()
    for line in lines:
        line.state = CommissionState.paid
        line.payout_id = payout.id
    if prepaid:
        await billing.credit_affiliate_payout(
            session,
            organization_id=affiliate.organization_id,
            currency=affiliate.currency,
            amount_minor=amount,
            reference=f"affiliate_payout:{payout.id}",
            description=f"Affiliate commissions {month:%Y-%m}",
        )
    await session.flush()
    await activity.record(
        session,
        Actor.system(),
        "affiliate.payout_made",
        organization_id=affiliate.organization_id,
        details={"payout_id": str(payout.id), "amount": amount, "currency": payout.currency},
    )
    await emit(
        session,
        "affiliate.payout_made",
        PayoutRead.model_validate(payout),
        organization_id=affiliate.organization_id,
    )
    await _mail(session, affiliate, payout, len(lines))
    return payout


def _shown(payout: Payout) -> str:
    """Where the money went, for the mail: the PayPal address, the IBAN's last four
    characters, or "" for the prepaid account."""
    if payout.method == PayoutMethod.bank_transfer and payout.destination:
        return f"IBAN …{payout.destination[-4:]}"
    return payout.destination or ""


async def _mail(session: AsyncSession, affiliate: Affiliate, payout: Payout, lines: int) -> None:
    """The payout notice, to the legal representatives, each in their language."""
    recipients = await organizations.recipients(
        session, affiliate.organization_id, roles=[Role.legal_representative]
    )
    for recipient in recipients:
        await queue_mail(
            session,
            to=recipient.email,
            template="affiliate_payout",
            language=recipient.language,
            context={
                "recipient_name": recipient.name,
                "amount": format_minor(payout.amount_minor, payout.currency),
                "month": f"{payout.month:%Y-%m}",
                "commission_count": lines,
                "destination": _shown(payout),
            },
        )


async def mark_paid_out(session: AsyncSession, payout: Payout, *, by: Actor) -> Payout:
    """Staff confirm a PayPal or bank payout (locked by the caller) was sent."""
    if payout.status != PayoutStatus.instructed:
        raise PayoutNotInstructed("This payout is not waiting to be paid out.")
    payout.status = PayoutStatus.paid
    payout.paid_out_at = clock.now()
    payout.paid_out_by = by.account_id
    await session.flush()
    affiliate = await session.get(Affiliate, payout.affiliate_id)
    assert affiliate is not None
    await activity.record(
        session,
        by,
        "affiliate.payout_paid_out",
        organization_id=affiliate.organization_id,
        details={"payout_id": str(payout.id)},
    )
    return payout
