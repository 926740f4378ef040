"""What the affiliate reads of its programme account (never who its customers are): where it
stands (rate, next threshold), totals per month, a payout with its lines, a CSV of its
commissions; and the staff's list of affiliates with their earnings."""

import csv
import io
import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.affiliates import commissions, payouts
from app.affiliates.models import Affiliate, Commission, Payout
from app.affiliates.schemas import (
    AffiliateRead,
    MonthTotal,
    PayoutDetail,
    PayoutRead,
    RateRead,
    StaffAffiliateRead,
)
from app.affiliates.types import CommissionState, next_tier, rate_for
from app.core.money import to_decimal_text
from app.core.pagination import PageParams, decode_cursor, encode_cursor
from app.organizations import service as organizations

CSV_COLUMNS = (
    "order_number",
    "ordered_at",
    "kind",
    "state",
    "base",
    "currency",
    "rate_percent",
    "commission",
    "exchange_rate",
    "commission_in_account_currency",
    "account_currency",
    "payout_id",
)


async def standing(session: AsyncSession, affiliate: Affiliate) -> RateRead:
    cumulative = await commissions.cumulative_minor(session, affiliate)
    tier = rate_for(cumulative)
    upcoming = next_tier(cumulative)
    pending = await session.scalar(
        select(func.coalesce(func.sum(Commission.amount_minor), 0)).where(
            Commission.affiliate_id == affiliate.id,
            Commission.state == CommissionState.pending,
            Commission.currency == affiliate.currency,
        )
    )
    return RateRead(
        currency=affiliate.currency,
        cumulative_minor=cumulative,
        rate_bp=tier.rate_bp,
        next_rate_bp=upcoming.rate_bp if upcoming else None,
        next_threshold_minor=upcoming.from_minor if upcoming else None,
        validated_unpaid_minor=await payouts.validated_unpaid_minor(session, affiliate.id),
        pending_minor=int(pending or 0),
    )


NO_ID = uuid.UUID(int=0)
"""A month's cursor names no row: only the month's start counts."""


async def monthly_totals(
    session: AsyncSession, affiliate: Affiliate, page: PageParams
) -> tuple[list[MonthTotal], str | None]:
    """Earned per month (by order date, UTC), voided commissions left out, newest month first:
    a page of months, and the cursor of the next (the last month's start: older ones follow).
    """
    month = func.date_trunc("month", Commission.ordered_at).label("month")
    query = select(
        month,
        func.coalesce(func.sum(func.coalesce(Commission.converted_minor, 0)), 0),
        func.count(),
    ).where(
        Commission.affiliate_id == affiliate.id,
        Commission.state != CommissionState.void,
    )
    if page.cursor:
        before, _ = decode_cursor(page.cursor)
        query = query.where(Commission.ordered_at < before)
    rows = (
        await session.execute(query.group_by(month).order_by(month.desc()).limit(page.limit + 1))
    ).all()
    totals = [
        MonthTotal(month=start.date(), currency=affiliate.currency, earned_minor=total, count=count)
        for start, total, count in rows[: page.limit]
    ]
    if len(rows) <= page.limit:
        return totals, None
    return totals, encode_cursor(rows[page.limit - 1][0], NO_ID)


async def payout_detail(session: AsyncSession, payout: Payout) -> PayoutDetail:
    lines = await session.scalars(
        select(Commission)
        .where(Commission.payout_id == payout.id)
        .order_by(Commission.created_at, Commission.id)
    )
    return PayoutDetail.model_validate(
        {
            **PayoutRead.model_validate(payout).model_dump(),
            "lines": [commissions.read(line, payout.currency) for line in lines],
        }
    )


def _money(amount_minor: int | None) -> str:
    return "" if amount_minor is None else to_decimal_text(amount_minor)


async def commissions_csv(session: AsyncSession, affiliate: Affiliate) -> str:
    """Every commission of the affiliate, oldest first, one line each."""
    rows: Sequence[Commission] = list(
        await session.scalars(
            commissions.commissions_of(affiliate.id).order_by(Commission.created_at, Commission.id)
        )
    )
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for row in rows:
        writer.writerow(
            [
                row.order_number or "",
                row.ordered_at.isoformat(),
                row.kind,
                row.state,
                _money(row.base_minor),
                row.currency,
                f"{row.rate_bp / 100:g}",
                _money(row.amount_minor),
                "" if row.exchange_rate is None else str(row.exchange_rate),
                _money(row.converted_minor),
                affiliate.currency,
                str(row.payout_id or ""),
            ]
        )
    return out.getvalue()


async def staff_rows(session: AsyncSession, rows: Sequence[Affiliate]) -> list[dict[str, Any]]:
    """The staff's view of each affiliate: its organization's name and its earnings."""
    ids = [row.id for row in rows]
    totals = await session.execute(
        select(Payout.affiliate_id, func.sum(Payout.amount_minor))
        .where(Payout.affiliate_id.in_(ids))
        .group_by(Payout.affiliate_id)
    )
    paid: dict[uuid.UUID, int] = {affiliate_id: int(total) for affiliate_id, total in totals}
    result = []
    for row in rows:
        result.append(
            StaffAffiliateRead.model_validate(
                {
                    **AffiliateRead.model_validate(row).model_dump(),
                    "organization_name": await organizations.organization_name(
                        session, row.organization_id
                    ),
                    "cumulative_minor": await commissions.cumulative_minor(session, row),
                    "paid_minor": int(paid.get(row.id, 0)),
                    "suspended_at": row.suspended_at,
                    "suspension_reason": row.suspension_reason,
                }
            ).model_dump()
        )
    return result
