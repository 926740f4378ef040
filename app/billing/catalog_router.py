"""/v1/catalog: the public catalog (plans on sale with their prices, VAT rates)."""

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query

from app.accounts.deps import PUBLIC
from app.billing import catalog
from app.billing.errors import PlanNotFound
from app.billing.schemas import PlanRead, VatRateRead
from app.core.db import Session
from app.core.pagination import Page, Pagination, page_of, paginate
from app.core.routing import AppRoute, declares

PlanCode = Annotated[str, Path(description="The plan's code.", examples=["web_hosting.starter"])]
catalog_router = APIRouter(prefix="/catalog", tags=["catalog"], route_class=AppRoute)


@catalog_router.get("/plans", response_model=Page[PlanRead])
@declares(PUBLIC, 400)
async def list_plans(
    session: Session,
    page: Pagination,
    product_type: Annotated[
        str | None,
        Query(
            max_length=30,
            description="Only the plans of this product type (web_hosting, domain, suite…).",
            examples=["web_hosting"],
        ),
    ] = None,
) -> dict[str, Any]:
    """The plans on sale, newest first, with their prices (excluding VAT) in CHF and EUR and their
    volume tiers, optionally of one product type. Public: no authentication."""
    rows, cursor = await paginate(
        session,
        catalog.plans_on_sale(product_type),
        page,
    )
    return page_of([await catalog.plan_read(session, plan) for plan in rows], cursor)


@catalog_router.get("/plans/{code}")
@declares(PUBLIC, PlanNotFound)
async def read_plan(code: PlanCode, session: Session) -> PlanRead:
    """One plan of the catalog by its code, with its prices (excluding VAT) and volume tiers; a plan
    withdrawn from sale is still found here. Public: no authentication."""
    return await catalog.plan_read(session, await catalog.get_plan(session, code))


@catalog_router.get("/vat-rates", response_model=Page[VatRateRead])
@declares(PUBLIC, 400)
async def list_vat_rates(session: Session, page: Pagination) -> dict[str, Any]:
    """The VAT rate set for each country, newest first, in basis points (810 = 8.1 %); an invoice
    applies the rate of the payer's country. Public: no authentication."""
    rows, cursor = await paginate(session, catalog.vat_rates(), page)
    return page_of(list(rows), cursor)
