"""/v1/organizations/{organization_id}/affiliate: joining the programme and what the affiliate
sees (standing, commissions without customers, monthly totals, payouts, CSV); and the public
/v1/affiliate-visits a front-end calls when someone lands with a tag."""

import uuid
from typing import Any

from fastapi import APIRouter, Depends, Response, status

from app.accounts.deps import PUBLIC, RequestClient
from app.affiliates import commissions, payouts, programme, reports
from app.affiliates.deps import READ, WRITE, AffiliateManager
from app.affiliates.errors import (
    AffiliateTagUnknown,
    AlreadyAffiliate,
    InvalidIban,
    PayoutDestinationMissing,
    PayoutNotFound,
)
from app.affiliates.schemas import (
    AffiliateJoin,
    AffiliateRead,
    CommissionRead,
    MonthTotal,
    PayoutDetail,
    PayoutPreferences,
    PayoutRead,
    RateRead,
    VisitCreate,
    VisitRead,
)
from app.core.db import Session
from app.core.errors import TooManyRequests, problem_responses
from app.core.pagination import Page, Pagination, page_of, paginate
from app.core.ratelimit import per_ip
from app.core.routing import AppRoute, declares
from app.organizations.errors import AffiliatePartnerConflict
from app.organizations.permissions import MANAGER_ERRORS, Manager

CREATED = status.HTTP_201_CREATED
router = APIRouter(
    prefix="/organizations/{organization_id}/affiliate", tags=["affiliates"], route_class=AppRoute
)
visits_router = APIRouter(tags=["affiliates"], route_class=AppRoute)
PREFERENCE_ERRORS = (InvalidIban, PayoutDestinationMissing, 422)


@router.post("", status_code=CREATED)
@declares(WRITE, *MANAGER_ERRORS, AlreadyAffiliate, AffiliatePartnerConflict, *PREFERENCE_ERRORS)
async def join(body: AffiliateJoin, access: Manager, session: Session) -> AffiliateRead:
    """Joins the affiliate programme (never while a partner): a unique tag to add to links as
    ``?utm_term=<tag>``, the account's currency (CHF or EUR) and how payouts are made."""
    affiliate = await programme.join(
        session, organization_id=access.organization.id, body=body, by=access.actor
    )
    return AffiliateRead.model_validate(affiliate)


@router.get("")
@declares(READ, *MANAGER_ERRORS)
async def read_affiliate(caller: AffiliateManager) -> AffiliateRead:
    return AffiliateRead.model_validate(caller.affiliate)


@router.put("/payout-preferences")
@declares(WRITE, *MANAGER_ERRORS, *PREFERENCE_ERRORS)
async def set_payout_preferences(
    body: PayoutPreferences, caller: AffiliateManager, session: Session
) -> AffiliateRead:
    """Prepaid account, PayPal (an address) or bank transfer (an IBAN, checked)."""
    affiliate = await programme.set_payout_preferences(
        session, caller.affiliate, body, by=caller.by
    )
    return AffiliateRead.model_validate(affiliate)


@router.get("/standing")
@declares(READ, *MANAGER_ERRORS)
async def read_standing(caller: AffiliateManager, session: Session) -> RateRead:
    """Cumulative earnings, the rate in force, the next threshold and what is due."""
    return await reports.standing(session, caller.affiliate)


@router.get("/commissions", response_model=Page[CommissionRead])
@declares(READ, 400, *MANAGER_ERRORS)
async def list_commissions(
    caller: AffiliateManager, session: Session, page: Pagination
) -> dict[str, Any]:
    """Order number, date, amounts, rate and state of each commission — never the customer."""
    rows, cursor = await paginate(session, commissions.commissions_of(caller.affiliate.id), page)
    return page_of([CommissionRead.model_validate(row) for row in rows], cursor)


@router.get(
    "/commissions/export.csv",
    response_class=Response,
    responses={
        200: {"content": {"text/csv": {"schema": {"type": "string"}}}},
        **problem_responses(*MANAGER_ERRORS),
    },
)
@declares(READ)
async def export_commissions(caller: AffiliateManager, session: Session) -> Response:
    """Every commission as CSV (amounts in major units)."""
    return Response(
        await reports.commissions_csv(session, caller.affiliate),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="affiliate-commissions.csv"'},
    )


@router.get("/monthly-totals")
@declares(READ, *MANAGER_ERRORS)
async def list_monthly_totals(caller: AffiliateManager, session: Session) -> list[MonthTotal]:
    return await reports.monthly_totals(session, caller.affiliate)


@router.get("/payouts", response_model=Page[PayoutRead])
@declares(READ, 400, *MANAGER_ERRORS)
async def list_payouts(
    caller: AffiliateManager, session: Session, page: Pagination
) -> dict[str, Any]:
    rows, cursor = await paginate(session, payouts.payouts_of(caller.affiliate.id), page)
    return page_of([PayoutRead.model_validate(row) for row in rows], cursor)


@router.get("/payouts/{payout_id}")
@declares(READ, *MANAGER_ERRORS, PayoutNotFound)
async def read_payout(
    payout_id: uuid.UUID, caller: AffiliateManager, session: Session
) -> PayoutDetail:
    """A payout with the commissions it paid."""
    payout = await payouts.get_payout(session, payout_id, affiliate_id=caller.affiliate.id)
    return await reports.payout_detail(session, payout)


@visits_router.post(
    "/affiliate-visits",
    status_code=CREATED,
    dependencies=[Depends(per_ip("affiliate_visit", limit=120, per_seconds=60))],
)
@declares(PUBLIC, AffiliateTagUnknown, TooManyRequests, 422)
async def record_visit(body: VisitCreate, client: RequestClient, session: Session) -> VisitRead:
    """Someone landed with ``?utm_term=<tag>``: the visit is kept (IP, time) and an attribution
    token valid 30 days is returned (pass back the one held, if any; the last visit wins).
    Present it at sign-up as ``attribution_token``."""
    token, expires_at = await programme.record_visit(
        session, tag=body.tag, token=body.token, ip=client.ip
    )
    return VisitRead(token=token, expires_at=expires_at)
