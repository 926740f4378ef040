"""/v1/catalog: the public catalog (plans on sale with their prices, VAT rates)."""

from typing import Annotated, Any

from fastapi import APIRouter, Query

from app.accounts.deps import PUBLIC
from app.billing import catalog
from app.billing.errors import PlanNotFound
from app.billing.schemas import PlanRead, VatRateRead
from app.core.db import Session
from app.core.pagination import Page, Pagination, page_of, paginate
from app.core.routing import AppRoute, declares

catalog_router = APIRouter(prefix="/catalog", tags=["catalog"], route_class=AppRoute)


@catalog_router.get("/plans", response_model=Page[PlanRead])
@declares(PUBLIC, 400)
async def list_plans(
    session: Session,
    page: Pagination,
    product_type: Annotated[str | None, Query(max_length=30)] = None,
) -> dict[str, Any]:
    """The plans on sale with their prices (excluding VAT) and volume tiers."""
    rows, cursor = await paginate(
        session,
        catalog.plans_on_sale(product_type),
        page,
    )
    return page_of([await catalog.plan_read(session, plan) for plan in rows], cursor)


@catalog_router.get("/plans/{code}")
@declares(PUBLIC, PlanNotFound)
async def read_plan(code: str, session: Session) -> PlanRead:
    return await catalog.plan_read(session, await catalog.get_plan(session, code))


@catalog_router.get("/vat-rates", response_model=Page[VatRateRead])
@declares(PUBLIC, 400)
async def list_vat_rates(session: Session, page: Pagination) -> dict[str, Any]:
    rows, cursor = await paginate(session, catalog.vat_rates(), page)
    return page_of(list(rows), cursor)
