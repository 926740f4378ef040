"""/v1/admin/…: platform staff edit the catalog and promo codes, give free products, import and
assign bank transfers, correct invoices, record the registry's answer to domain transfers."""

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, status

from app.accounts.deps import require_scope
from app.accounts.errors import InsufficientScope
from app.billing import catalog, domain_transfers, invoices, transfers
from app.billing.catalog_router import PlanCode
from app.billing.deps import Staff
from app.billing.errors import (
    AlreadyPosted,
    DomainTransferNotFailed,
    DomainTransferNotFound,
    DuplicatePrice,
    DuplicateTier,
    InvalidProductType,
    InvalidPromoCode,
    InvoiceNotCorrectable,
    InvoiceNotFound,
    PlanExists,
    PlanNotFound,
    PromoCodeExists,
    TransferAlreadyAssigned,
    TransferNotFound,
)
from app.billing.models import DomainTransferStatus, TransferOutcome
from app.billing.schemas import (
    BankTransferRead,
    DomainTransferOutcome,
    DomainTransferRead,
    FreeGrantCreate,
    FreeGrantRead,
    InvoiceCorrected,
    InvoiceCorrection,
    PlanCreate,
    PlanRead,
    PlanUpdate,
    PromoCodeCreate,
    PromoCodeRead,
    TransferAssignment,
    VatRateRead,
    VatRateWrite,
)
from app.core.db import Session
from app.core.errors import CurrencyMismatch
from app.core.pagination import Page, Pagination, page_of, paginate
from app.core.routing import AppRoute, declares
from app.organizations.errors import OrganizationNotFound

staff_router = APIRouter(prefix="/admin", tags=["billing_admin"], route_class=AppRoute)

read_scope = require_scope("billing:read")
write_scope = require_scope("billing:write")
CREATED = status.HTTP_201_CREATED
STAFF_ERRORS = (401, 403, InsufficientScope)
"""What the staff dependency answers: no session (401), not staff or a token (403)."""


@staff_router.post("/catalog/plans", status_code=CREATED)
@declares(
    write_scope, *STAFF_ERRORS, PlanExists, InvalidProductType, DuplicatePrice, DuplicateTier, 422
)
async def create_plan(body: PlanCreate, by: Staff, session: Session) -> PlanRead:
    """Adds a plan to the catalog with its prices (excluding VAT, one per currency and period) and
    volume tiers; it is on sale at once. For platform staff in an interactive session (scope
    `billing:write`)."""
    return await catalog.plan_read(session, await catalog.create_plan(session, body, by=by))


@staff_router.patch("/catalog/plans/{code}")
@declares(
    write_scope, *STAFF_ERRORS, PlanNotFound, InvalidProductType, DuplicatePrice, DuplicateTier, 422
)
async def update_plan(code: PlanCode, body: PlanUpdate, by: Staff, session: Session) -> PlanRead:
    """Renames a plan, takes it off sale or puts it back, or replaces its prices or volume tiers;
    products already sold renew at the new prices. For platform staff in an interactive session
    (scope `billing:write`)."""
    plan = await catalog.get_plan(session, code, for_update=True)
    return await catalog.plan_read(session, await catalog.update_plan(session, plan, body, by=by))


@staff_router.put("/catalog/vat-rates/{country}")
@declares(write_scope, *STAFF_ERRORS, 422)
async def set_vat_rate(
    country: Annotated[
        str,
        Path(
            pattern=r"^[A-Za-z]{2}$",
            description="ISO 3166-1 alpha-2 code of the country (any case).",
            examples=["CH"],
        ),
    ],
    body: VatRateWrite,
    by: Staff,
    session: Session,
) -> VatRateRead:
    """Sets the VAT rate of a country (ISO 3166-1 alpha-2 code in the path); invoices issued from
    now on apply it. For platform staff in an interactive session (scope `billing:write`)."""
    rate = await catalog.set_vat_rate(session, country=country.upper(), rate_bp=body.rate_bp, by=by)
    return VatRateRead.model_validate(rate)


@staff_router.post("/promo-codes", status_code=CREATED)
@declares(write_scope, *STAFF_ERRORS, PromoCodeExists, InvalidPromoCode, 422)
async def create_promo_code(body: PromoCodeCreate, by: Staff, session: Session) -> PromoCodeRead:
    """Creates a promo code: a percentage or a fixed amount in one currency off the eligible lines
    of an order, optionally limited to product types, a validity window and a number of uses; each
    organization uses it once. For platform staff in an interactive session (scope
    `billing:write`)."""
    return PromoCodeRead.model_validate(await catalog.create_promo_code(session, body, by=by))


@staff_router.get("/promo-codes", response_model=Page[PromoCodeRead])
@declares(read_scope, 400, *STAFF_ERRORS)
async def list_promo_codes(by: Staff, session: Session, page: Pagination) -> dict[str, Any]:
    """Every promo code, newest first, with how many times it has been used. For platform staff in
    an interactive session (scope `billing:read`)."""
    rows, cursor = await paginate(session, catalog.promo_codes(), page)
    return page_of(list(rows), cursor)


@staff_router.post("/organizations/{organization_id}/free-grants", status_code=CREATED)
@declares(write_scope, *STAFF_ERRORS, OrganizationNotFound, PlanNotFound, 422)
async def grant_free_product(
    organization_id: uuid.UUID, body: FreeGrantCreate, by: Staff, session: Session
) -> FreeGrantRead:
    """Gives an organization one product of a plan for free: the grant is used at a checkout naming
    it in `free_grant_ids`, and makes one unit of that plan's first period free. For platform staff
    in an interactive session (scope `billing:write`)."""
    grant = await catalog.grant_free_product(
        session, organization_id=organization_id, body=body, by=by
    )
    return FreeGrantRead.model_validate(grant)


@staff_router.get("/bank-transfers", response_model=Page[BankTransferRead])
@declares(read_scope, 400, *STAFF_ERRORS)
async def list_bank_transfers(
    by: Staff,
    session: Session,
    page: Pagination,
    outcome: Annotated[
        TransferOutcome | None,
        Query(description="Only the transfers with this outcome (`unassigned`: to assign)."),
    ] = None,
) -> dict[str, Any]:
    """The imported bank credits, newest first, optionally only those with one outcome
    (`unassigned`: waiting for staff to assign them). For platform staff in an interactive session
    (scope `billing:read`)."""
    rows, cursor = await paginate(
        session,
        transfers.transfers_of(outcome),
        page,
    )
    return page_of(list(rows), cursor)


@staff_router.post("/bank-transfers/{transfer_id}/assign")
@declares(
    write_scope, *STAFF_ERRORS, OrganizationNotFound, TransferNotFound, TransferAlreadyAssigned
)
async def assign_bank_transfer(
    transfer_id: uuid.UUID, body: TransferAssignment, by: Staff, session: Session
) -> BankTransferRead:
    """Credits a transfer whose reference named no one to the prepaid account of the organization it
    came from, and mails that organization's legal representatives (event `prepaid.credited`). A
    transfer already booked is `bank_transfer_already_assigned`. For platform staff in an
    interactive session (scope `billing:write`)."""
    transfer = await transfers.assign(
        session, transfer_id=transfer_id, organization_id=body.organization_id, by=by
    )
    return BankTransferRead.model_validate(transfer)


@staff_router.post("/invoices/{invoice_id}/corrections", status_code=CREATED)
@declares(
    write_scope,
    *STAFF_ERRORS,
    InvoiceNotFound,
    InvoiceNotCorrectable,
    AlreadyPosted,
    CurrencyMismatch,
    422,
)
async def correct_invoice(
    invoice_id: uuid.UUID, body: InvoiceCorrection, by: Staff, session: Session
) -> InvoiceCorrected:
    """Issued invoices never change: a credit note cancels this one and, if lines are given, a new
    invoice replaces it (events `invoice.refunded` or `invoice.voided`, `invoice.issued`). What was
    paid on it is credited to the payer's prepaid account, where it can pay the new invoice. A
    line's `currency` other than the invoice's is `currency_mismatch`. For platform staff in an
    interactive session (scope `billing:write`)."""
    credit_note, replacement = await invoices.correct_invoice(
        session, invoice_id=invoice_id, body=body, by=by
    )
    return InvoiceCorrected(
        credit_note=await invoices.invoice_read(session, credit_note),
        replacement=await invoices.invoice_read(session, replacement) if replacement else None,
    )


@staff_router.get("/domain-transfers", response_model=Page[DomainTransferRead])
@declares(read_scope, 400, *STAFF_ERRORS)
async def list_domain_transfers(
    by: Staff,
    session: Session,
    page: Pagination,
    status: Annotated[
        DomainTransferStatus | None,
        Query(description="Only the transfers in this status (`pending`: awaiting the registry)."),
    ] = None,
) -> dict[str, Any]:
    """Every organization's domain transfers, newest first, optionally in one status. For platform
    staff in an interactive session (scope `billing:read`)."""
    rows, cursor = await paginate(session, domain_transfers.transfers_in(status), page)
    return page_of([domain_transfers.transfer_read(row) for row in rows], cursor)


@staff_router.post("/domain-transfers/{transfer_id}/outcome")
@declares(write_scope, *STAFF_ERRORS, DomainTransferNotFound, DomainTransferNotFailed, 422)
async def record_domain_transfer_outcome(
    transfer_id: uuid.UUID, body: DomainTransferOutcome, by: Staff, session: Session
) -> DomainTransferRead:
    """Records the registry's answer to a pending domain transfer: completed, the domain product
    appears in the organization with its first year paid (event `product.created`); failed, with
    the reason shown to the customer, who may relaunch it without paying again. A transfer that
    is not pending is `domain_transfer_not_failed`. For platform staff in an interactive session
    (scope `billing:write`)."""
    transfer = await domain_transfers.record_outcome(
        session, transfer_id=transfer_id, body=body, by=by
    )
    return domain_transfers.transfer_read(transfer)
