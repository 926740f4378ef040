"""/v1/organizations/{organization_id}/ticket-offices/{ticket_office_id}/promotions: codes
(chosen or generated, exported as CSV) and automatic discounts, set up by the office's managers."""

import uuid
from typing import Any

from fastapi import APIRouter, Response, status

from app.core.db import Session
from app.core.errors import CurrencyMismatch, problem_responses
from app.core.pagination import Page, Pagination, page_of, paginate
from app.core.routing import AppRoute, declares
from app.ticketing import promotions
from app.ticketing.deps import READ, WRITE, OfficeManager
from app.ticketing.errors import PromotionCodeTaken, PromotionNotFound, PromotionScopeInvalid
from app.ticketing.router import OFFICE, csv_response
from app.ticketing.sales_schemas import (
    PromotionCodeRead,
    PromotionCodesCreate,
    PromotionCreate,
    PromotionRead,
    PromotionUpdate,
)

router = APIRouter(
    prefix="/organizations/{organization_id}/ticket-offices/{ticket_office_id}/promotions",
    tags=["promotions"],
    route_class=AppRoute,
)


@router.post("", status_code=status.HTTP_201_CREATED)
@declares(WRITE, *OFFICE, PromotionScopeInvalid, PromotionCodeTaken, CurrencyMismatch, 422)
async def create_promotion(
    body: PromotionCreate, office: OfficeManager, session: Session
) -> PromotionRead:
    """Creates a promotion by code (codes chosen and/or generated) or an automatic discount: a
    percentage or a fixed amount (in the office's currency, else 422 `currency_mismatch`) off
    each ticket it covers, within its event / performance / category and validity window.
    Needs the `manage` right; a scope outside the office answers 422 `promotion_scope_invalid`,
    a code the office already has 409 `promotion_code_taken`."""
    promotion = await promotions.create_promotion(
        session, office.office, body=body, by=office.actor
    )
    return (await promotions.promotion_reads(session, office.office, [promotion]))[0]


@router.get("", response_model=Page[PromotionRead])
@declares(READ, *OFFICE, 422)
async def list_promotions(
    office: OfficeManager, session: Session, page: Pagination
) -> dict[str, Any]:
    """The office's promotions, newest first, with their codes' count and uses. Needs the
    `manage` right."""
    rows, cursor = await paginate(session, promotions.promotions_of(office.office.id), page)
    return page_of(await promotions.promotion_reads(session, office.office, rows), cursor)


@router.get("/{promotion_id}")
@declares(READ, *OFFICE, PromotionNotFound)
async def read_promotion(
    promotion_id: uuid.UUID, office: OfficeManager, session: Session
) -> PromotionRead:
    """A promotion of the office with its codes' count and uses. Needs the `manage` right."""
    promotion = await promotions.get_promotion(session, office.office.id, promotion_id)
    return (await promotions.promotion_reads(session, office.office, [promotion]))[0]


@router.patch("/{promotion_id}")
@declares(WRITE, *OFFICE, PromotionNotFound, 422)
async def update_promotion(
    promotion_id: uuid.UUID, body: PromotionUpdate, office: OfficeManager, session: Session
) -> PromotionRead:
    """Switches the promotion on or off, or moves the end of its validity (null: no end); the
    properties left out are unchanged. Orders already placed keep their discount. Needs the
    `manage` right."""
    promotion = await promotions.get_promotion(
        session, office.office.id, promotion_id, for_update=True
    )
    promotion = await promotions.update_promotion(
        session,
        office.office,
        promotion,
        changes=body.model_dump(exclude_unset=True),
        by=office.actor,
    )
    return (await promotions.promotion_reads(session, office.office, [promotion]))[0]


@router.post(
    "/{promotion_id}/codes",
    status_code=status.HTTP_201_CREATED,
    response_model=Page[PromotionCodeRead],
)
@declares(WRITE, *OFFICE, PromotionNotFound, PromotionScopeInvalid, PromotionCodeTaken, 422)
async def add_codes(
    promotion_id: uuid.UUID, body: PromotionCodesCreate, office: OfficeManager, session: Session
) -> dict[str, Any]:
    """Adds codes to a promotion by code, chosen (up to 1,000) and/or generated in bulk (up to
    10,000), and answers every code added in one page (`next_cursor` null, `has_more` false);
    all of them are also in `codes.csv`. Needs the `manage` right; an automatic promotion
    answers 422 `promotion_scope_invalid`, a code the office already has 409
    `promotion_code_taken` (and none is added)."""
    promotion = await promotions.get_promotion(session, office.office.id, promotion_id)
    added = await promotions.add_codes(
        session, office.office, promotion, body=body, by=office.actor
    )
    return page_of(
        [PromotionCodeRead(code=code, max_uses=promotion.max_uses, uses=0) for code in added],
        None,
    )


@router.get(
    "/{promotion_id}/codes.csv",
    response_class=Response,
    responses={
        200: {"content": {"text/csv": {}}, "description": "The codes, their uses and limit."},
        **problem_responses(*OFFICE, PromotionNotFound),
    },
)
@declares(READ)
async def export_codes(
    promotion_id: uuid.UUID, office: OfficeManager, session: Session
) -> Response:
    """The promotion's codes as CSV, with their uses and limit, oldest first. Needs the
    `manage` right."""
    promotion = await promotions.get_promotion(session, office.office.id, promotion_id)
    codes = await promotions.codes_of(session, promotion)
    return csv_response(promotions.codes_csv(promotion, codes), f"codes-{promotion.id}.csv")
