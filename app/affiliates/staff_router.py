"""/v1/platform/affiliates…: what the provider's staff do with the programme — list affiliates
with their earnings, suspend or reinstate one, adjust with a reason (audited), mark PayPal and
bank payouts paid out, maintain the exchange-rate table."""

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Depends, status

from app.accounts.errors import InsufficientScope
from app.activity.types import Actor
from app.affiliates import commissions, payouts, programme, rates, reports
from app.affiliates.deps import READ, WRITE
from app.affiliates.errors import AffiliateNotFound, PayoutNotFound, PayoutNotInstructed
from app.affiliates.schemas import (
    Adjustment,
    CommissionRead,
    ExchangeRateRead,
    ExchangeRateWrite,
    PayoutRead,
    StaffAffiliateRead,
    Suspension,
)
from app.core.db import Session
from app.core.errors import CurrencyMismatch
from app.core.pagination import Page, Pagination, page_of, paginate
from app.core.routing import AppRoute, declares
from app.organizations.errors import PlatformStaffOnly, SessionRequired
from app.organizations.permissions import PlatformStaff

CREATED = status.HTTP_201_CREATED
staff_router = APIRouter(prefix="/platform", tags=["affiliates_admin"], route_class=AppRoute)
STAFF_ERRORS = (401, InsufficientScope, PlatformStaffOnly, SessionRequired)


async def staff_actor(staff: PlatformStaff) -> Actor:
    return Actor(staff.account.id, token=staff.session is None)


Staff = Annotated[Actor, Depends(staff_actor)]


@staff_router.get("/affiliates", response_model=Page[StaffAffiliateRead])
@declares(READ, 400, *STAFF_ERRORS)
async def list_affiliates(by: Staff, session: Session, page: Pagination) -> dict[str, Any]:
    """Every affiliate, newest first, with its organization's name, cumulative earnings, what
    was paid and its suspension. For the provider's staff only."""
    rows, cursor = await paginate(session, programme.all_affiliates(), page)
    return page_of(await reports.staff_rows(session, list(rows)), cursor)


@staff_router.put("/affiliates/{affiliate_id}/suspension")
@declares(WRITE, *STAFF_ERRORS, AffiliateNotFound, 422)
async def suspend_affiliate(
    affiliate_id: uuid.UUID, body: Suspension, by: Staff, session: Session
) -> StaffAffiliateRead:
    """Suspends the affiliate with a reason (audited): it earns no new commissions, what it
    earned is still validated and paid. Suspending again replaces the reason. For the
    provider's staff only."""
    affiliate = await programme.get_affiliate(session, affiliate_id, for_update=True)
    await programme.suspend(session, affiliate, reason=body.reason, by=by)
    return StaffAffiliateRead.model_validate((await reports.staff_rows(session, [affiliate]))[0])


@staff_router.delete("/affiliates/{affiliate_id}/suspension")
@declares(WRITE, *STAFF_ERRORS, AffiliateNotFound)
async def reinstate_affiliate(
    affiliate_id: uuid.UUID, by: Staff, session: Session
) -> StaffAffiliateRead:
    """Lifts the affiliate's suspension (audited): its referred customers' orders earn again
    from now on (nothing is earned back for the time suspended). For the provider's staff
    only."""
    affiliate = await programme.get_affiliate(session, affiliate_id, for_update=True)
    await programme.suspend(session, affiliate, reason=None, by=by)
    return StaffAffiliateRead.model_validate((await reports.staff_rows(session, [affiliate]))[0])


@staff_router.post("/affiliates/{affiliate_id}/adjustments", status_code=CREATED)
@declares(WRITE, *STAFF_ERRORS, AffiliateNotFound, CurrencyMismatch, 422)
async def adjust_affiliate(
    affiliate_id: uuid.UUID, body: Adjustment, by: Staff, session: Session
) -> CommissionRead:
    """Adds (or, negative, takes back) an amount in the affiliate's currency, validated at once
    and paid with the next payout; the reason is kept and the change audited. For the
    provider's staff only; a `currency` other than the affiliate's is refused (422
    `currency_mismatch`)."""
    affiliate = await programme.get_affiliate(session, affiliate_id, for_update=True)
    commission = await commissions.adjust(
        session,
        affiliate,
        amount_minor=body.amount_minor,
        currency=body.currency,
        reason=body.reason,
        by=by,
    )
    return commissions.read(commission, affiliate.currency)


@staff_router.get("/affiliate-payouts", response_model=Page[PayoutRead])
@declares(READ, 400, *STAFF_ERRORS)
async def list_instructed_payouts(by: Staff, session: Session, page: Pagination) -> dict[str, Any]:
    """PayPal and bank payouts waiting to be sent (`instructed`), newest first. For the
    provider's staff only."""
    rows, cursor = await paginate(session, payouts.instructed_payouts(), page)
    return page_of([PayoutRead.model_validate(row) for row in rows], cursor)


@staff_router.post("/affiliate-payouts/{payout_id}/paid-out")
@declares(WRITE, *STAFF_ERRORS, PayoutNotFound, PayoutNotInstructed)
async def mark_payout_paid_out(payout_id: uuid.UUID, by: Staff, session: Session) -> PayoutRead:
    """Records that a PayPal or bank payout was sent (audited): it becomes `paid`. For the
    provider's staff only; 409 `affiliate_payout_not_instructed` when it is not waiting to
    be sent."""
    payout = await payouts.get_payout(session, payout_id, for_update=True)
    return PayoutRead.model_validate(await payouts.mark_paid_out(session, payout, by=by))


@staff_router.get("/affiliate-exchange-rates", response_model=Page[ExchangeRateRead])
@declares(READ, 400, *STAFF_ERRORS)
async def list_exchange_rates(by: Staff, session: Session, page: Pagination) -> dict[str, Any]:
    """The exchange-rate table that converts commissions into affiliates' currencies, the
    latest `valid_from` first. For the provider's staff only."""
    rows, cursor = await rates.exchange_rate_page(session, page)
    return page_of([ExchangeRateRead.model_validate(row) for row in rows], cursor)


@staff_router.put("/affiliate-exchange-rates")
@declares(WRITE, *STAFF_ERRORS, 422)
async def set_exchange_rate(
    body: ExchangeRateWrite, by: Staff, session: Session
) -> ExchangeRateRead:
    """Sets (or corrects) the rate of a currency pair from a day: in force until the pair's
    next, it converts commissions validated from then on (audited). For the provider's staff
    only."""
    return ExchangeRateRead.model_validate(await rates.set_rate(session, body, by=by))
