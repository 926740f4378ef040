"""/v1/catalog (public), /v1/organizations/{organization_id}/… (billing of an organization) and
/v1/admin/… (platform staff: catalog edits, promo codes, free grants, bank transfers)."""

import uuid
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request, Response, status
from sqlalchemy import select

from app.accounts.deps import require_scope
from app.activity import service as activity
from app.billing import (
    catalog,
    invoices,
    ledger,
    orders,
    payments,
    pdf,
    subscriptions,
    transfers,
)
from app.billing.fulfilment import subscription_read
from app.billing.models import (
    BankTransfer,
    CartItem,
    EntryKind,
    FreeGrant,
    Invoice,
    InvoiceStatus,
    LineKind,
    Order,
    Payment,
    PaymentProfile,
    Plan,
    PrepaidAccount,
    PrepaidEntry,
    PromoCode,
    Subscription,
    TransferOutcome,
    VatRate,
    Withdrawal,
)
from app.billing.schemas import (
    BankTransferRead,
    CartItemCreate,
    CartItemRead,
    Checkout,
    Currency,
    FreeGrantCreate,
    FreeGrantRead,
    InvoiceCorrected,
    InvoiceCorrection,
    InvoicePaid,
    InvoicePaymentCreate,
    InvoiceRead,
    InvoiceSummary,
    OrderPlaced,
    OrderRead,
    PaymentProfileCreate,
    PaymentProfileRead,
    PaymentRead,
    PlanChange,
    PlanCreate,
    PlanRead,
    PlanUpdate,
    PrepaidAccountRead,
    PrepaidEntryRead,
    Proforma,
    ProformaRequest,
    PromoCodeCreate,
    PromoCodeRead,
    SubscriptionRead,
    SubscriptionUpdate,
    TopUpCreate,
    TransferAssignment,
    TransferImport,
    VatRateRead,
    VatRateWrite,
    WithdrawalCreate,
    WithdrawalRead,
)
from app.core import clock
from app.core.db import Session
from app.core.errors import Conflict, NotFound, Unprocessable, problem_responses
from app.core.idempotency import AppRoute
from app.core.pagination import Page, Pagination, page_of, paginate
from app.events.service import emit
from app.organizations import service as organizations
from app.organizations.permissions import BillingManager, PlatformStaff

catalog_router = APIRouter(prefix="/catalog", tags=["catalog"], route_class=AppRoute)
router = APIRouter(
    prefix="/organizations/{organization_id}", tags=["billing"], route_class=AppRoute
)
admin_router = APIRouter(prefix="/admin", tags=["billing_admin"], route_class=AppRoute)

read_scope = require_scope("billing:read")
write_scope = require_scope("billing:write")
CREATED = status.HTTP_201_CREATED
NO_CONTENT = status.HTTP_204_NO_CONTENT


Staff = PlatformStaff


# Catalog (public)


@catalog_router.get(
    "/plans",
    operation_id="catalog-list_plans",
    response_model=Page[PlanRead],
    responses=problem_responses(400),
)
async def list_plans(
    session: Session,
    page: Pagination,
    product_type: Annotated[str | None, Query(max_length=30)] = None,
) -> dict[str, Any]:
    """The plans on sale with their prices (excluding VAT) and volume tiers."""
    statement = select(Plan).where(Plan.active)
    if product_type:
        statement = statement.where(Plan.product_type == product_type)
    rows, cursor = await paginate(session, statement, page, created_at=Plan.created_at, id=Plan.id)
    return page_of([await catalog.plan_read(session, plan) for plan in rows], cursor)


@catalog_router.get(
    "/plans/{code}", operation_id="catalog-read_plan", responses=problem_responses(404)
)
async def read_plan(code: str, session: Session) -> PlanRead:
    return await catalog.plan_read(session, await catalog.plan_by_code(session, code))


@catalog_router.get(
    "/vat-rates",
    operation_id="catalog-list_vat_rates",
    response_model=Page[VatRateRead],
    responses=problem_responses(400),
)
async def list_vat_rates(session: Session, page: Pagination) -> dict[str, Any]:
    rows, cursor = await paginate(
        session, select(VatRate), page, created_at=VatRate.created_at, id=VatRate.id
    )
    return page_of(list(rows), cursor)


# Catalog edits (staff)


@admin_router.post(
    "/catalog/plans",
    operation_id="billing_admin-create_plan",
    status_code=CREATED,
    responses=problem_responses(401, 403, 409, 422),
)
async def create_plan(body: PlanCreate, staff: Staff, session: Session) -> PlanRead:
    plan = await catalog.create_plan(session, body)
    await activity.record_entry(
        session,
        "billing.plan_created",
        actor_account_id=staff.account.id,
        details={"code": plan.code},
    )
    return await catalog.plan_read(session, plan)


@admin_router.patch(
    "/catalog/plans/{code}",
    operation_id="billing_admin-update_plan",
    responses=problem_responses(401, 403, 404, 422),
)
async def update_plan(code: str, body: PlanUpdate, staff: Staff, session: Session) -> PlanRead:
    plan = await catalog.update_plan(session, await catalog.plan_by_code(session, code), body)
    await activity.record_entry(
        session, "billing.plan_updated", actor_account_id=staff.account.id, details={"code": code}
    )
    return await catalog.plan_read(session, plan)


@admin_router.put(
    "/catalog/vat-rates/{country}",
    operation_id="billing_admin-set_vat_rate",
    responses=problem_responses(401, 403, 422),
)
async def set_vat_rate(
    country: Annotated[str, Path(pattern=r"^[A-Za-z]{2}$")],
    body: VatRateWrite,
    staff: Staff,
    session: Session,
) -> VatRateRead:
    rate = await catalog.set_vat_rate(session, country.upper(), body.rate_bp)
    await activity.record_entry(
        session,
        "billing.vat_rate_set",
        actor_account_id=staff.account.id,
        details={"country": rate.country, "rate_bp": rate.rate_bp},
    )
    return VatRateRead.model_validate(rate)


@admin_router.post(
    "/promo-codes",
    operation_id="billing_admin-create_promo_code",
    status_code=CREATED,
    responses=problem_responses(401, 403, 409, 422),
)
async def create_promo_code(body: PromoCodeCreate, staff: Staff, session: Session) -> PromoCodeRead:
    code = body.code.upper()
    if await session.scalar(select(PromoCode.id).where(PromoCode.code == code)):
        raise Conflict("This promo code exists already.", code="promo_code_exists")
    if (body.kind == "percent") != (body.percent_bp is not None) or (
        body.kind == "amount" and (body.amount_minor is None or body.currency is None)
    ):
        raise Unprocessable(
            "A percent code needs percent_bp; an amount code needs amount_minor and currency.",
            code="invalid_promo_code",
        )
    now = clock.now()
    promo = PromoCode(
        id=uuid.uuid4(),
        code=code,
        kind=body.kind,
        percent_bp=body.percent_bp,
        amount_minor=body.amount_minor if body.kind == "amount" else None,
        currency=body.currency if body.kind == "amount" else None,
        product_types=body.product_types,
        valid_from=body.valid_from,
        valid_until=body.valid_until,
        max_uses=body.max_uses,
        uses=0,
        created_at=now,
        updated_at=now,
    )
    session.add(promo)
    await session.flush()
    await activity.record_entry(
        session,
        "billing.promo_code_created",
        actor_account_id=staff.account.id,
        details={"code": code},
    )
    return PromoCodeRead.model_validate(promo)


@admin_router.get(
    "/promo-codes",
    operation_id="billing_admin-list_promo_codes",
    response_model=Page[PromoCodeRead],
    responses=problem_responses(400, 401, 403),
)
async def list_promo_codes(staff: Staff, session: Session, page: Pagination) -> dict[str, Any]:
    rows, cursor = await paginate(
        session, select(PromoCode), page, created_at=PromoCode.created_at, id=PromoCode.id
    )
    return page_of(list(rows), cursor)


@admin_router.post(
    "/organizations/{organization_id}/free-grants",
    operation_id="billing_admin-grant_free_product",
    status_code=CREATED,
    responses=problem_responses(401, 403, 404, 422),
)
async def grant_free_product(
    organization_id: uuid.UUID, body: FreeGrantCreate, staff: Staff, session: Session
) -> FreeGrantRead:
    if not await organizations.organization_exists(session, organization_id):
        raise NotFound("No such organization.", code="organization_not_found")
    plan = await catalog.plan_by_code(session, body.plan_code, for_sale=True)
    grant = FreeGrant(
        id=uuid.uuid4(),
        organization_id=organization_id,
        plan_id=plan.id,
        reason=body.reason,
        granted_by=staff.account.id,
        created_at=clock.now(),
    )
    session.add(grant)
    await session.flush()
    await activity.record_entry(
        session,
        "billing.free_grant_created",
        organization_id=organization_id,
        actor_account_id=staff.account.id,
        details={"plan": plan.code, "reason": body.reason},
    )
    return FreeGrantRead.model_validate(grant)


@admin_router.post(
    "/bank-transfers",
    operation_id="billing_admin-import_bank_transfers",
    responses=problem_responses(400, 401, 403, 413, 415, 422),
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"application/xml": {"schema": {"type": "string"}}},
        }
    },
)
async def import_bank_transfers(request: Request, staff: Staff, session: Session) -> TransferImport:
    """Imports an ISO 20022 camt.054 or camt.053 file (the raw XML as the request body)."""
    content_type = request.headers.get("content-type", "").split(";")[0].strip()
    if content_type not in ("application/xml", "text/xml"):
        raise Unprocessable(
            "Send the camt file as application/xml.", code="unsupported_media_type", status=415
        )
    entries, imported, duplicates = await transfers.import_document(session, await request.body())
    await activity.record_entry(
        session,
        "billing.bank_transfers_imported",
        actor_account_id=staff.account.id,
        details={"entries": entries, "imported": len(imported), "duplicates": duplicates},
    )
    outcomes = [transfer.outcome for transfer in imported]
    return TransferImport(
        entries=entries,
        imported=len(imported),
        duplicates=duplicates,
        invoice_paid=outcomes.count(TransferOutcome.invoice_paid),
        credited_to_prepaid=outcomes.count(TransferOutcome.credited_to_prepaid),
        prepaid_top_up=outcomes.count(TransferOutcome.prepaid_top_up),
        unassigned=outcomes.count(TransferOutcome.unassigned),
        transfers=[BankTransferRead.model_validate(transfer) for transfer in imported],
    )


@admin_router.get(
    "/bank-transfers",
    operation_id="billing_admin-list_bank_transfers",
    response_model=Page[BankTransferRead],
    responses=problem_responses(400, 401, 403),
)
async def list_bank_transfers(
    staff: Staff,
    session: Session,
    page: Pagination,
    outcome: Annotated[str | None, Query(max_length=30)] = None,
) -> dict[str, Any]:
    statement = select(BankTransfer)
    if outcome:
        statement = statement.where(BankTransfer.outcome == outcome)
    rows, cursor = await paginate(
        session, statement, page, created_at=BankTransfer.created_at, id=BankTransfer.id
    )
    return page_of(list(rows), cursor)


@admin_router.post(
    "/bank-transfers/{transfer_id}/assign",
    operation_id="billing_admin-assign_bank_transfer",
    responses=problem_responses(401, 403, 404, 409),
)
async def assign_bank_transfer(
    transfer_id: uuid.UUID, body: TransferAssignment, staff: Staff, session: Session
) -> BankTransferRead:
    """Credits a transfer whose reference named no one to the prepaid account of an organization."""
    if not await organizations.organization_exists(session, body.organization_id):
        raise NotFound("No such organization.", code="organization_not_found")
    transfer = await transfers.assign(session, transfer_id, body.organization_id)
    await activity.record_entry(
        session,
        "billing.bank_transfer_assigned",
        organization_id=body.organization_id,
        actor_account_id=staff.account.id,
        details={"transfer": transfer.entry_reference},
    )
    return BankTransferRead.model_validate(transfer)


@admin_router.post(
    "/invoices/{invoice_id}/corrections",
    operation_id="billing_admin-correct_invoice",
    status_code=CREATED,
    responses=problem_responses(401, 403, 404, 409, 422),
)
async def correct_invoice(
    invoice_id: uuid.UUID, body: InvoiceCorrection, staff: Staff, session: Session
) -> InvoiceCorrected:
    """Issued invoices never change: a credit note cancels this one and, if lines are given, a new
    invoice replaces it. What was paid goes to the prepaid account."""
    invoice = await invoices.get(session, invoice_id, lock=True)
    credit_note, replacement = await invoices.correct(
        session,
        invoice,
        reason=body.reason,
        replacement_lines=[
            invoices.DraftLine(
                kind=LineKind.correction,
                description=line.description,
                unit_price_minor=line.unit_price_minor,
                quantity=line.quantity,
            )
            for line in body.lines
        ],
        by=staff.account.id,
    )
    return InvoiceCorrected(
        credit_note=await invoices.invoice_read(session, credit_note),
        replacement=await invoices.invoice_read(session, replacement) if replacement else None,
    )


# An organization's cart and orders


@router.get(
    "/cart",
    operation_id="billing-list_cart",
    response_model=Page[CartItemRead],
    dependencies=[read_scope],
    responses=problem_responses(400, 401, 403, 404),
)
async def list_cart(access: BillingManager, session: Session, page: Pagination) -> dict[str, Any]:
    rows, cursor = await paginate(
        session,
        select(CartItem).where(CartItem.organization_id == access.organization.id),
        page,
        created_at=CartItem.created_at,
        id=CartItem.id,
    )
    return page_of(list(rows), cursor)


@router.post(
    "/cart/items",
    operation_id="billing-add_to_cart",
    status_code=CREATED,
    dependencies=[write_scope],
    responses=problem_responses(401, 403, 404, 422),
)
async def add_to_cart(
    body: CartItemCreate, access: BillingManager, session: Session
) -> CartItemRead:
    item = await orders.add_to_cart(session, access.organization.id, body)
    return CartItemRead.model_validate(item)


@router.delete(
    "/cart/items/{item_id}",
    operation_id="billing-remove_from_cart",
    status_code=NO_CONTENT,
    dependencies=[write_scope],
    responses=problem_responses(401, 403, 404),
)
async def remove_from_cart(item_id: uuid.UUID, access: BillingManager, session: Session) -> None:
    await orders.remove_from_cart(session, access.organization.id, item_id)


@router.post(
    "/cart/checkout",
    operation_id="billing-checkout",
    status_code=CREATED,
    dependencies=[write_scope],
    responses=problem_responses(401, 403, 404, 409, 422),
)
async def checkout(body: Checkout, access: BillingManager, session: Session) -> OrderPlaced:
    """Turns the cart into an order and its invoice; promo codes and free grants apply at the end.
    The products appear once the invoice is paid."""
    order, invoice = await orders.checkout(session, access.organization, body, by=access.account_id)
    return OrderPlaced.model_validate(
        {
            **OrderRead.model_validate(order).model_dump(),
            "invoice": await invoices.invoice_read(session, invoice),
        }
    )


@router.get(
    "/orders",
    operation_id="billing-list_orders",
    response_model=Page[OrderRead],
    dependencies=[read_scope],
    responses=problem_responses(400, 401, 403, 404),
)
async def list_orders(access: BillingManager, session: Session, page: Pagination) -> dict[str, Any]:
    rows, cursor = await paginate(
        session,
        select(Order).where(Order.organization_id == access.organization.id),
        page,
        created_at=Order.created_at,
        id=Order.id,
    )
    return page_of(list(rows), cursor)


@router.get(
    "/orders/{order_id}",
    operation_id="billing-read_order",
    dependencies=[read_scope],
    responses=problem_responses(401, 403, 404),
)
async def read_order(order_id: uuid.UUID, access: BillingManager, session: Session) -> OrderRead:
    return OrderRead.model_validate(
        await orders.get_order(session, access.organization.id, order_id)
    )


@router.post(
    "/orders/{order_id}/cancel",
    operation_id="billing-cancel_order",
    dependencies=[write_scope],
    responses=problem_responses(401, 403, 404, 409),
)
async def cancel_order(order_id: uuid.UUID, access: BillingManager, session: Session) -> OrderRead:
    """Cancels an unpaid order; anything already paid on it goes to the prepaid account."""
    order = await orders.get_order(session, access.organization.id, order_id, lock=True)
    return OrderRead.model_validate(await orders.cancel(session, order, by=access.account_id))


# Invoices


@router.get(
    "/invoices",
    operation_id="billing-list_invoices",
    response_model=Page[InvoiceSummary],
    dependencies=[read_scope],
    responses=problem_responses(400, 401, 403, 404),
)
async def list_invoices(
    access: BillingManager,
    session: Session,
    page: Pagination,
    status_: Annotated[list[InvoiceStatus] | None, Query(alias="status")] = None,
    issued_from: datetime | None = None,
    issued_until: datetime | None = None,
) -> dict[str, Any]:
    """Invoice history, newest first, filtered by status and issue period."""
    rows, cursor = await paginate(
        session,
        invoices.history_query(
            access.organization.id,
            statuses=status_ or (),
            issued_from=issued_from,
            issued_until=issued_until,
        ),
        page,
        created_at=Invoice.created_at,
        id=Invoice.id,
    )
    return page_of([InvoiceSummary.model_validate(row) for row in rows], cursor)


@router.get(
    "/invoices/export.csv",
    operation_id="billing-export_invoices",
    dependencies=[read_scope],
    response_class=Response,
    responses={
        200: {"content": {"text/csv": {"schema": {"type": "string"}}}},
        **problem_responses(401, 403, 404),
    },
)
async def export_invoices(
    access: BillingManager,
    session: Session,
    status_: Annotated[list[InvoiceStatus] | None, Query(alias="status")] = None,
    issued_from: datetime | None = None,
    issued_until: datetime | None = None,
) -> Response:
    """The filtered history as CSV (amounts in major units)."""
    rows = await session.scalars(
        invoices.history_query(
            access.organization.id,
            statuses=status_ or (),
            issued_from=issued_from,
            issued_until=issued_until,
        ).order_by(Invoice.issued_at, Invoice.id)
    )
    return Response(
        invoices.to_csv(list(rows)),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="invoices.csv"'},
    )


@router.get(
    "/invoices/{invoice_id}",
    operation_id="billing-read_invoice",
    dependencies=[read_scope],
    responses=problem_responses(401, 403, 404),
)
async def read_invoice(
    invoice_id: uuid.UUID, access: BillingManager, session: Session
) -> InvoiceRead:
    invoice = await invoices.get(session, invoice_id, organization_id=access.organization.id)
    return await invoices.invoice_read(session, invoice)


@router.get(
    "/invoices/{invoice_id}/pdf",
    operation_id="billing-download_invoice",
    dependencies=[read_scope],
    response_class=Response,
    responses={
        200: {"content": {"application/pdf": {"schema": {"type": "string", "format": "binary"}}}},
        **problem_responses(401, 403, 404, 409),
    },
)
async def download_invoice(
    invoice_id: uuid.UUID, access: BillingManager, session: Session
) -> Response:
    """The final invoice (paid invoices and credit notes), with the Swiss QR-bill for CHF."""
    invoice = await invoices.get(session, invoice_id, organization_id=access.organization.id)
    if invoice.status not in (InvoiceStatus.paid, InvoiceStatus.refunded):
        raise Conflict(
            "Final invoices can be downloaded once paid; pay it with its reference first.",
            code="invoice_not_paid",
        )
    document = pdf.invoice_pdf(invoice, await invoices.lines_of(session, invoice.id))
    return Response(
        document,
        media_type="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="invoice-{invoice.number}.pdf"'},
    )


@router.post(
    "/invoices/{invoice_id}/payments",
    operation_id="billing-pay_invoice",
    status_code=CREATED,
    dependencies=[write_scope],
    responses=problem_responses(401, 402, 403, 404, 409, 422),
)
async def pay_invoice(
    invoice_id: uuid.UUID, body: InvoicePaymentCreate, access: BillingManager, session: Session
) -> InvoicePaid:
    """Pays the invoice, fully or partly, from the prepaid account or by card."""
    invoice = await invoices.get(
        session, invoice_id, organization_id=access.organization.id, lock=True
    )
    if body.method == "prepaid":
        payment = await payments.pay_from_prepaid(
            session, invoice, amount_minor=body.amount_minor, by=access.account_id
        )
    else:
        payment = await payments.pay_by_card(
            session,
            invoice,
            profile_id=body.payment_profile_id,
            amount_minor=body.amount_minor,
            by=access.account_id,
        )
    return InvoicePaid(
        payment=PaymentRead.model_validate(payment),
        invoice=await invoices.invoice_read(session, invoice),
    )


@router.post(
    "/proforma",
    operation_id="billing-proforma",
    dependencies=[read_scope],
    responses=problem_responses(401, 403, 404, 422),
)
async def proforma(body: ProformaRequest, access: BillingManager, session: Session) -> Proforma:
    """What renewing the selected products would cost; no invoice is created."""
    rows, address = await subscriptions.proforma(session, access.organization, body.product_ids)
    subtotal = sum(row.net_minor for row in rows)
    vat = sum(row.vat_minor for row in rows)
    return Proforma.model_validate(
        {
            "currency": access.organization.currency,
            "vat_country": address["country"],
            "billing_address": address,
            "subtotal_minor": subtotal,
            "vat_minor": vat,
            "total_minor": subtotal + vat,
            "lines": rows,
        }
    )


@router.get(
    "/payments",
    operation_id="billing-list_payments",
    response_model=Page[PaymentRead],
    dependencies=[read_scope],
    responses=problem_responses(400, 401, 403, 404),
)
async def list_payments(
    access: BillingManager, session: Session, page: Pagination
) -> dict[str, Any]:
    rows, cursor = await paginate(
        session,
        select(Payment).where(Payment.organization_id == access.organization.id),
        page,
        created_at=Payment.created_at,
        id=Payment.id,
    )
    return page_of(list(rows), cursor)


# Prepaid account


@router.get(
    "/prepaid",
    operation_id="billing-list_prepaid_accounts",
    response_model=Page[PrepaidAccountRead],
    dependencies=[read_scope],
    responses=problem_responses(400, 401, 403, 404),
)
async def list_prepaid_accounts(
    access: BillingManager, session: Session, page: Pagination
) -> dict[str, Any]:
    """The organization's prepaid accounts (one per currency; its own currency's always listed)."""
    await ledger.account_for(session, access.organization.id, access.organization.currency)
    rows, cursor = await paginate(
        session,
        select(PrepaidAccount).where(PrepaidAccount.organization_id == access.organization.id),
        page,
        created_at=PrepaidAccount.created_at,
        id=PrepaidAccount.id,
    )
    return page_of(list(rows), cursor)


@router.get(
    "/prepaid/{currency}/entries",
    operation_id="billing-list_prepaid_entries",
    response_model=Page[PrepaidEntryRead],
    dependencies=[read_scope],
    responses=problem_responses(400, 401, 403, 404),
)
async def list_prepaid_entries(
    currency: Currency, access: BillingManager, session: Session, page: Pagination
) -> dict[str, Any]:
    rows, cursor = await paginate(
        session,
        ledger.entries_query(access.organization.id, currency),
        page,
        created_at=PrepaidEntry.created_at,
        id=PrepaidEntry.id,
    )
    return page_of(list(rows), cursor)


@router.post(
    "/prepaid/{currency}/top-ups",
    operation_id="billing-top_up_prepaid",
    status_code=CREATED,
    dependencies=[write_scope],
    responses=problem_responses(401, 402, 403, 404, 422),
)
async def top_up_prepaid(
    currency: Currency, body: TopUpCreate, access: BillingManager, session: Session
) -> PrepaidAccountRead:
    """Credits the account by charging a saved card. (A bank transfer bearing the account's
    payment reference tops it up too.)"""
    await payments.top_up_by_card(
        session,
        organization_id=access.organization.id,
        currency=currency,
        amount_minor=body.amount_minor,
        profile_id=body.payment_profile_id,
        by=access.account_id,
    )
    account = await ledger.account_for(session, access.organization.id, currency)
    return PrepaidAccountRead.model_validate(account)


@router.post(
    "/prepaid/{currency}/withdrawals",
    operation_id="billing-withdraw_prepaid",
    status_code=CREATED,
    dependencies=[write_scope],
    responses=problem_responses(401, 403, 404, 409, 422),
)
async def withdraw_prepaid(
    currency: Currency, body: WithdrawalCreate, access: BillingManager, session: Session
) -> WithdrawalRead:
    """Pays the balance (or part of it) out to a bank account."""
    account = await ledger.account_for(session, access.organization.id, currency)
    amount = body.amount_minor or account.balance_minor
    if amount <= 0:
        raise ledger.InsufficientBalance("The prepaid balance is empty.")
    withdrawal_id = uuid.uuid4()
    entry = await ledger.post(
        session,
        organization_id=access.organization.id,
        currency=currency,
        kind=EntryKind.withdrawal,
        amount_minor=-amount,
        reference=f"withdrawal:{withdrawal_id}",
        description=f"Withdrawal to {body.iban[:4]}…{body.iban[-4:]}",
    )
    withdrawal = Withdrawal(
        id=withdrawal_id,
        organization_id=access.organization.id,
        entry_id=entry.id,
        amount_minor=amount,
        currency=currency,
        iban="".join(body.iban.split()),
        account_holder=body.account_holder,
        requested_by=access.account_id,
        created_at=clock.now(),
    )
    session.add(withdrawal)
    await session.flush()
    await emit(
        session,
        "prepaid.withdrawal_requested",
        WithdrawalRead.model_validate(withdrawal),
        organization_id=access.organization.id,
    )
    await activity.record_entry(
        session,
        "billing.prepaid_withdrawn",
        organization_id=access.organization.id,
        actor_account_id=access.account_id,
        details={"amount_minor": amount, "currency": currency},
    )
    return WithdrawalRead.model_validate(withdrawal)


# Payment profiles


@router.get(
    "/payment-profiles",
    operation_id="billing-list_payment_profiles",
    response_model=Page[PaymentProfileRead],
    dependencies=[read_scope],
    responses=problem_responses(400, 401, 403, 404),
)
async def list_payment_profiles(
    access: BillingManager, session: Session, page: Pagination
) -> dict[str, Any]:
    rows, cursor = await paginate(
        session,
        select(PaymentProfile).where(
            PaymentProfile.organization_id == access.organization.id,
            PaymentProfile.deleted_at.is_(None),
        ),
        page,
        created_at=PaymentProfile.created_at,
        id=PaymentProfile.id,
    )
    return page_of(list(rows), cursor)


@router.post(
    "/payment-profiles",
    operation_id="billing-add_payment_profile",
    status_code=CREATED,
    dependencies=[write_scope],
    responses=problem_responses(401, 403, 404, 422),
)
async def add_payment_profile(
    body: PaymentProfileCreate, access: BillingManager, session: Session
) -> PaymentProfileRead:
    """Saves a card (tokenized by the payment provider) or the prepaid account as a profile; the
    first profile becomes the default."""
    profile = await payments.add_profile(session, access.organization.id, body)
    await activity.record_entry(
        session,
        "billing.payment_profile_added",
        organization_id=access.organization.id,
        actor_account_id=access.account_id,
        details={"kind": profile.kind, "last4": profile.last4},
    )
    return PaymentProfileRead.model_validate(profile)


@router.post(
    "/payment-profiles/{profile_id}/default",
    operation_id="billing-make_default_payment_profile",
    dependencies=[write_scope],
    responses=problem_responses(401, 403, 404),
)
async def make_default_payment_profile(
    profile_id: uuid.UUID, access: BillingManager, session: Session
) -> PaymentProfileRead:
    profile = await payments.profile_of(session, access.organization.id, profile_id)
    await payments.make_default(session, profile)
    return PaymentProfileRead.model_validate(profile)


@router.delete(
    "/payment-profiles/{profile_id}",
    operation_id="billing-remove_payment_profile",
    status_code=NO_CONTENT,
    dependencies=[write_scope],
    responses=problem_responses(401, 403, 404),
)
async def remove_payment_profile(
    profile_id: uuid.UUID, access: BillingManager, session: Session
) -> None:
    profile = await payments.profile_of(session, access.organization.id, profile_id)
    await payments.remove_profile(session, profile)


# Subscriptions (renewal state of the organization's products)


@router.get(
    "/subscriptions",
    operation_id="billing-list_subscriptions",
    response_model=Page[SubscriptionRead],
    dependencies=[read_scope],
    responses=problem_responses(400, 401, 403, 404),
)
async def list_subscriptions(
    access: BillingManager, session: Session, page: Pagination
) -> dict[str, Any]:
    rows, cursor = await paginate(
        session,
        select(Subscription).where(Subscription.organization_id == access.organization.id),
        page,
        created_at=Subscription.created_at,
        id=Subscription.product_id,
    )
    return page_of([subscription_read(row) for row in rows], cursor)


@router.get(
    "/subscriptions/{product_id}",
    operation_id="billing-read_subscription",
    dependencies=[read_scope],
    responses=problem_responses(401, 403, 404),
)
async def read_subscription(
    product_id: uuid.UUID, access: BillingManager, session: Session
) -> SubscriptionRead:
    return subscription_read(await subscriptions.get(session, access.organization.id, product_id))


@router.patch(
    "/subscriptions/{product_id}",
    operation_id="billing-update_subscription",
    dependencies=[write_scope],
    responses=problem_responses(401, 403, 404, 422),
)
async def update_subscription(
    product_id: uuid.UUID, body: SubscriptionUpdate, access: BillingManager, session: Session
) -> SubscriptionRead:
    """Auto-renewal, Renewal Warranty, billing frequency (from the last month of the running
    period) and the billing address of renewals."""
    subscription = await subscriptions.get(session, access.organization.id, product_id, lock=True)
    await subscriptions.update(session, subscription, body, by=access.account_id)
    return subscription_read(subscription)


@router.post(
    "/subscriptions/{product_id}/renewals",
    operation_id="billing-renew_subscription",
    status_code=CREATED,
    dependencies=[write_scope],
    responses=problem_responses(401, 403, 404, 409, 422),
)
async def renew_subscription(
    product_id: uuid.UUID, access: BillingManager, session: Session
) -> InvoiceRead:
    """The invoice of the product's next period (the same one if asked again); paying it renews."""
    subscription = await subscriptions.get(session, access.organization.id, product_id, lock=True)
    _, invoice = await subscriptions.invoice_renewal(session, subscription, access.organization)
    return await invoices.invoice_read(session, invoice)


@router.post(
    "/subscriptions/{product_id}/restore",
    operation_id="billing-restore_subscription",
    status_code=CREATED,
    dependencies=[write_scope],
    responses=problem_responses(401, 403, 404, 409, 422),
)
async def restore_subscription(
    product_id: uuid.UUID, access: BillingManager, session: Session
) -> InvoiceRead:
    """A domain in redemption: the invoice of its restore fee and next period."""
    subscription = await subscriptions.get(session, access.organization.id, product_id, lock=True)
    invoice = await subscriptions.restore(
        session, subscription, access.organization, by=access.account_id
    )
    return await invoices.invoice_read(session, invoice)


@router.post(
    "/subscriptions/{product_id}/plan",
    operation_id="billing-change_plan",
    status_code=CREATED,
    dependencies=[write_scope],
    responses=problem_responses(401, 403, 404, 409, 422),
)
async def change_plan(
    product_id: uuid.UUID, body: PlanChange, access: BillingManager, session: Session
) -> InvoiceRead:
    """Moves a product (a suite…) to a higher plan; never down. The invoice covers the rest of
    the running period; the plan changes once it is paid."""
    subscription = await subscriptions.get(session, access.organization.id, product_id, lock=True)
    invoice = await subscriptions.change_plan(
        session, subscription, access.organization, body.plan_code, by=access.account_id
    )
    return await invoices.invoice_read(session, invoice)
