"""/v1/organizations/{organization_id}/ticket-offices/{ticket_office_id}/promotions: codes
(chosen or generated, exported as CSV) and automatic discounts, set up by the office's managers."""

import uuid
from typing import Any

from fastapi import APIRouter, Response, status

from app.core.db import Session
from app.core.errors import problem_responses
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
@declares(WRITE, *OFFICE, PromotionScopeInvalid, PromotionCodeTaken, 422)
async def create_promotion(
    body: PromotionCreate, office: OfficeManager, session: Session
) -> PromotionRead:
    """A promotion by code (codes chosen and/or generated) or an automatic discount."""
    promotion = await promotions.create_promotion(
        session, office.office, body=body, by=office.actor
    )
    return (await promotions.promotion_reads(session, [promotion]))[0]


@router.get("", response_model=Page[PromotionRead])
@declares(READ, *OFFICE, 422)
async def list_promotions(
    office: OfficeManager, session: Session, page: Pagination
) -> dict[str, Any]:
    rows, cursor = await paginate(session, promotions.promotions_of(office.office.id), page)
    return page_of(await promotions.promotion_reads(session, rows), cursor)


@router.get("/{promotion_id}")
@declares(READ, *OFFICE, PromotionNotFound)
async def read_promotion(
    promotion_id: uuid.UUID, office: OfficeManager, session: Session
) -> PromotionRead:
    promotion = await promotions.get_promotion(session, office.office.id, promotion_id)
    return (await promotions.promotion_reads(session, [promotion]))[0]


@router.patch("/{promotion_id}")
@declares(WRITE, *OFFICE, PromotionNotFound, 422)
async def update_promotion(
    promotion_id: uuid.UUID, body: PromotionUpdate, office: OfficeManager, session: Session
) -> PromotionRead:
    """Switches the promotion on or off, or moves the end of its validity."""
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
    return (await promotions.promotion_reads(session, [promotion]))[0]


@router.post("/{promotion_id}/codes", status_code=status.HTTP_201_CREATED)
@declares(WRITE, *OFFICE, PromotionNotFound, PromotionScopeInvalid, PromotionCodeTaken, 422)
async def add_codes(
    promotion_id: uuid.UUID, body: PromotionCodesCreate, office: OfficeManager, session: Session
) -> list[PromotionCodeRead]:
    """More codes, chosen and/or generated in bulk; answers the codes added."""
    promotion = await promotions.get_promotion(session, office.office.id, promotion_id)
    added = await promotions.add_codes(
        session, office.office, promotion, body=body, by=office.actor
    )
    return [PromotionCodeRead(code=code, max_uses=promotion.max_uses, uses=0) for code in added]


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
    promotion = await promotions.get_promotion(session, office.office.id, promotion_id)
    codes = await promotions.codes_of(session, promotion)
    return csv_response(promotions.codes_csv(promotion, codes), f"codes-{promotion.id}.csv")
