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
    """Joins the affiliate programme: the organization gets a unique tag to add to links as
    `?utm_term=<tag>`, an account in the currency chosen (CHF or EUR, for good) and the payout
    method given. For the organization's legal representatives and administrators; emits
    `affiliate.joined`. A partner organization cannot join (409
    `affiliate_partner_conflict`), nor one already in (409 `already_affiliate`)."""
    affiliate = await programme.join(
        session, organization_id=access.organization.id, body=body, by=access.actor
    )
    return AffiliateRead.model_validate(affiliate)


@router.get("")
@declares(READ, *MANAGER_ERRORS)
async def read_affiliate(caller: AffiliateManager) -> AffiliateRead:
    """The organization's affiliate account: its tag, currency, payout method and status. For
    its legal representatives and administrators; 404 `not_an_affiliate` when it has not
    joined."""
    return AffiliateRead.model_validate(caller.affiliate)


@router.put("/payout-preferences")
@declares(WRITE, *MANAGER_ERRORS, *PREFERENCE_ERRORS)
async def set_payout_preferences(
    body: PayoutPreferences, caller: AffiliateManager, session: Session
) -> AffiliateRead:
    """Changes how the next payouts are made: to the prepaid account, by PayPal (an address)
    or by bank transfer (an IBAN, checked: 422 `invalid_iban`); the currency stays. For the
    organization's legal representatives and administrators; payouts already made keep their
    method."""
    affiliate = await programme.set_payout_preferences(
        session, caller.affiliate, body, by=caller.by
    )
    return AffiliateRead.model_validate(affiliate)


@router.get("/standing")
@declares(READ, *MANAGER_ERRORS)
async def read_standing(caller: AffiliateManager, session: Session) -> RateRead:
    """Where the affiliate stands: cumulative earnings, the rate in force and the next
    threshold, what is validated and unpaid, and what is still in its 30-day hold, all in the
    account's currency. For the organization's legal representatives and administrators."""
    return await reports.standing(session, caller.affiliate)


@router.get("/commissions", response_model=Page[CommissionRead])
@declares(READ, 400, *MANAGER_ERRORS)
async def list_commissions(
    caller: AffiliateManager, session: Session, page: Pagination
) -> dict[str, Any]:
    """The affiliate's commissions, newest first: order number, date, amounts, rate and state
    of each — never the customer. For the organization's legal representatives and
    administrators."""
    rows, cursor = await paginate(session, commissions.commissions_of(caller.affiliate.id), page)
    return page_of([commissions.read(row, caller.affiliate.currency) for row in rows], cursor)


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
    """Every commission as CSV, oldest first, amounts in major units (`17.50`), with the
    order's currency and the converted amount in the account's currency. For the
    organization's legal representatives and administrators."""
    return Response(
        await reports.commissions_csv(session, caller.affiliate),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="affiliate-commissions.csv"'},
    )


@router.get("/monthly-totals", response_model=Page[MonthTotal])
@declares(READ, 400, *MANAGER_ERRORS)
async def list_monthly_totals(
    caller: AffiliateManager, session: Session, page: Pagination
) -> dict[str, Any]:
    """Commissions earned per month (by order date, voided ones left out), newest month first,
    paginated by month; months without commissions are not listed. For the organization's
    legal representatives and administrators."""
    totals, cursor = await reports.monthly_totals(session, caller.affiliate, page)
    return page_of(totals, cursor)


@router.get("/payouts", response_model=Page[PayoutRead])
@declares(READ, 400, *MANAGER_ERRORS)
async def list_payouts(
    caller: AffiliateManager, session: Session, page: Pagination
) -> dict[str, Any]:
    """The affiliate's monthly payouts, newest first. For the organization's legal
    representatives and administrators."""
    rows, cursor = await paginate(session, payouts.payouts_of(caller.affiliate.id), page)
    return page_of([PayoutRead.model_validate(row) for row in rows], cursor)


@router.get("/payouts/{payout_id}")
@declares(READ, *MANAGER_ERRORS, PayoutNotFound)
async def read_payout(
    payout_id: uuid.UUID, caller: AffiliateManager, session: Session
) -> PayoutDetail:
    """A payout with the commissions it paid. For the organization's legal representatives
    and administrators; 404 `affiliate_payout_not_found` for another affiliate's."""
    payout = await payouts.get_payout(session, payout_id, affiliate_id=caller.affiliate.id)
    return await reports.payout_detail(session, payout)


@visits_router.post(
    "/affiliate-visits",
    status_code=CREATED,
    dependencies=[Depends(per_ip("affiliate_visit", limit=120, per_seconds=60))],
)
@declares(PUBLIC, AffiliateTagUnknown, TooManyRequests, 422)
async def record_visit(body: VisitCreate, client: RequestClient, session: Session) -> VisitRead:
    """Someone landed with `?utm_term=<tag>`: the visit is kept (IP, time) and an attribution
    token valid 30 days is returned (pass back the one held, if any; the last visit wins).
    Present it at sign-up as `attribution_token`. Public (no token), limited per IP address;
    404 `affiliate_tag_unknown` when no affiliate has the tag."""
    token, expires_at = await programme.record_visit(
        session, tag=body.tag, token=body.token, ip=client.ip
    )
    return VisitRead(token=token, expires_at=expires_at)
