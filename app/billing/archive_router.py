"""/v1/account/archived-invoices: the invoices of the deleted organizations the caller was a legal
representative of, for the retention period (``billing.archive``)."""

import uuid
from typing import Any

from fastapi import APIRouter, Response

from app.accounts.deps import CALLER_ERRORS, CurrentAccount, require_scope
from app.billing import archive, invoices
from app.billing.errors import InvoiceNotFound
from app.billing.schemas import InvoiceSummary
from app.core.db import Session
from app.core.errors import problem_responses
from app.core.pagination import Page, Pagination, page_of, paginate
from app.core.routing import AppRoute, declares

router = APIRouter(prefix="/account/archived-invoices", tags=["billing"], route_class=AppRoute)
read_scope = require_scope("billing:read")


@router.get("", response_model=Page[InvoiceSummary])
@declares(read_scope, *CALLER_ERRORS, 422)
async def list_archived_invoices(
    account: CurrentAccount, session: Session, page: Pagination
) -> dict[str, Any]:
    """Invoices and credit notes of deleted organizations the caller was a legal representative of,
    newest first, kept readable for the legal retention period. For the account itself (scope
    `billing:read`)."""
    rows, cursor = await paginate(session, archive.archived_invoices(account.id), page)
    return page_of([InvoiceSummary.model_validate(row) for row in rows], cursor)


@router.get(
    "/{invoice_id}/pdf",
    response_class=Response,
    responses={
        200: {"content": {"application/pdf": {"schema": {"type": "string", "format": "binary"}}}},
        **problem_responses(*CALLER_ERRORS, InvoiceNotFound),
    },
)
@declares(read_scope)
async def download_archived_invoice(
    invoice_id: uuid.UUID, account: CurrentAccount, session: Session
) -> Response:
    """One archived invoice or credit note as a PDF, as issued. An invoice of an organization the
    caller did not represent, or past the retention period, is `invoice_not_found`. For the account
    itself (scope `billing:read`)."""
    invoice = await archive.archived_invoice(session, account.id, invoice_id)
    return Response(
        await invoices.document_pdf(session, invoice),
        media_type="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="invoice-{invoice.number}.pdf"'},
    )
