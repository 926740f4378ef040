"""/v1/organizations/{organization_id}/…: an organization's billing (cart and orders, invoices,
payments, the prepaid account, payment profiles, subscriptions), for its managers and for partner
staff whose partnership includes billing."""

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Query, Response, status

from app.accounts.deps import require_scope
from app.accounts.errors import InsufficientScope
from app.billing import invoices, ledger, orders, payments, subscriptions
from app.billing.deps import Billing
from app.billing.errors import (
    PROMO_CODE_ERRORS,
    AmountTooHigh,
    CardExpired,
    CartEmpty,
    CartItemNotFound,
    DowngradeRefused,
    FreeGrantInvalid,
    InsufficientBalance,
    InvalidCard,
    InvalidIban,
    InvoiceNotFound,
    InvoiceNotPayable,
    NoCardProfile,
    NotRenewable,
    OrderNotCancellable,
    OrderNotFound,
    PartnerCannotPay,
    PaymentDeclined,
    PlanNotCompatible,
    PlanNotFound,
    PlanNotOrderable,
    PriceNotFound,
    ProfileNotFound,
    RenewalInProgress,
    SubscriptionNotFound,
)
from app.billing.fulfilment import subscription_read
from app.billing.models import (
    InvoiceStatus,
    Subscription,
)
from app.billing.schemas import (
    CartItemCreate,
    CartItemRead,
    Checkout,
    Currency,
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
    PrepaidAccountRead,
    PrepaidEntryRead,
    Proforma,
    ProformaRequest,
    SubscriptionRead,
    SubscriptionUpdate,
    TopUpCreate,
    WithdrawalCreate,
    WithdrawalRead,
)
from app.core.db import Session
from app.core.errors import problem_responses
from app.core.pagination import Page, Pagination, page_of, paginate
from app.core.routing import AppRoute, declares
from app.core.schemas import Instant
from app.organizations.errors import BillingAddressNotFound, OrganizationNotFound, RoleForbidden

router = APIRouter(
    prefix="/organizations/{organization_id}", tags=["billing"], route_class=AppRoute
)

read_scope = require_scope("billing:read")
write_scope = require_scope("billing:write")
CREATED = status.HTTP_201_CREATED
NO_CONTENT = status.HTTP_204_NO_CONTENT
ACCESS_ERRORS = (401, 403, InsufficientScope, RoleForbidden, OrganizationNotFound)
"""What the billing-manager dependency answers."""


# An organization's cart and orders


@router.get("/cart", response_model=Page[CartItemRead])
@declares(read_scope, 400, *ACCESS_ERRORS)
async def list_cart(billing: Billing, session: Session, page: Pagination) -> dict[str, Any]:
    rows, cursor = await paginate(
        session,
        orders.cart_of(billing.organization_id),
        page,
    )
    return page_of(list(rows), cursor)


@router.post("/cart/items", status_code=CREATED)
@declares(write_scope, *ACCESS_ERRORS, PlanNotFound, PlanNotOrderable, 422)
async def add_to_cart(body: CartItemCreate, billing: Billing, session: Session) -> CartItemRead:
    item = await orders.add_to_cart(
        session, organization_id=billing.organization_id, body=body, by=billing.by
    )
    return CartItemRead.model_validate(item)


@router.delete("/cart/items/{item_id}", status_code=NO_CONTENT)
@declares(write_scope, *ACCESS_ERRORS, CartItemNotFound)
async def remove_from_cart(item_id: uuid.UUID, billing: Billing, session: Session) -> None:
    await orders.remove_from_cart(
        session, organization_id=billing.organization_id, item_id=item_id, by=billing.by
    )


@router.post("/cart/checkout", status_code=CREATED)
@declares(
    write_scope,
    *ACCESS_ERRORS,
    BillingAddressNotFound,
    CartEmpty,
    PlanNotFound,
    PriceNotFound,
    PartnerCannotPay,
    FreeGrantInvalid,
    *PROMO_CODE_ERRORS,
    409,
    422,
)
async def checkout(body: Checkout, billing: Billing, session: Session) -> OrderPlaced:
    """Turns the cart into an order and its invoice; promo codes and free grants apply at the end.
    The products appear once the invoice is paid."""
    order, invoice = await orders.checkout(
        session, organization_id=billing.organization_id, body=body, by=billing.by
    )
    return OrderPlaced.model_validate(
        {
            **OrderRead.model_validate(order).model_dump(),
            "invoice": await invoices.invoice_read(session, invoice),
        }
    )


@router.get("/orders", response_model=Page[OrderRead])
@declares(read_scope, 400, *ACCESS_ERRORS)
async def list_orders(billing: Billing, session: Session, page: Pagination) -> dict[str, Any]:
    rows, cursor = await paginate(
        session,
        orders.orders_of(billing.organization_id),
        page,
    )
    return page_of(list(rows), cursor)


@router.get("/orders/{order_id}")
@declares(read_scope, *ACCESS_ERRORS, OrderNotFound)
async def read_order(order_id: uuid.UUID, billing: Billing, session: Session) -> OrderRead:
    return OrderRead.model_validate(
        await orders.get_order(session, billing.organization_id, order_id)
    )


@router.post("/orders/{order_id}/cancel")
@declares(write_scope, *ACCESS_ERRORS, OrderNotFound, OrderNotCancellable, 409)
async def cancel_order(order_id: uuid.UUID, billing: Billing, session: Session) -> OrderRead:
    """Cancels an unpaid order; anything already paid on it goes to the prepaid account."""
    order = await orders.get_order(session, billing.organization_id, order_id, for_update=True)
    return OrderRead.model_validate(await orders.cancel(session, order, by=billing.by))


# Invoices


@router.get("/invoices", response_model=Page[InvoiceSummary])
@declares(read_scope, 400, *ACCESS_ERRORS)
async def list_invoices(
    billing: Billing,
    session: Session,
    page: Pagination,
    status_: Annotated[list[InvoiceStatus] | None, Query(alias="status")] = None,
    issued_from: Instant | None = None,
    issued_until: Instant | None = None,
) -> dict[str, Any]:
    """Invoice history, newest first, filtered by status and issue period."""
    rows, cursor = await paginate(
        session,
        invoices.history_query(
            billing.organization_id,
            statuses=status_ or (),
            issued_from=issued_from,
            issued_until=issued_until,
        ),
        page,
    )
    return page_of([InvoiceSummary.model_validate(row) for row in rows], cursor)


@router.get(
    "/invoices/export.csv",
    response_class=Response,
    responses={
        200: {"content": {"text/csv": {"schema": {"type": "string"}}}},
        **problem_responses(*ACCESS_ERRORS),
    },
)
@declares(read_scope)
async def export_invoices(
    billing: Billing,
    session: Session,
    status_: Annotated[list[InvoiceStatus] | None, Query(alias="status")] = None,
    issued_from: Instant | None = None,
    issued_until: Instant | None = None,
) -> Response:
    """The filtered history as CSV (amounts in major units)."""
    document = await invoices.export_csv(
        session,
        billing.organization_id,
        statuses=status_ or (),
        issued_from=issued_from,
        issued_until=issued_until,
    )
    return Response(
        document,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="invoices.csv"'},
    )


@router.get("/invoices/{invoice_id:uuid}")
@declares(read_scope, *ACCESS_ERRORS, InvoiceNotFound)
async def read_invoice(invoice_id: uuid.UUID, billing: Billing, session: Session) -> InvoiceRead:
    invoice = await invoices.get_invoice(
        session, invoice_id, organization_id=billing.organization_id
    )
    return await invoices.invoice_read(session, invoice)


@router.get(
    "/invoices/{invoice_id}/pdf",
    response_class=Response,
    responses={
        200: {"content": {"application/pdf": {"schema": {"type": "string", "format": "binary"}}}},
        **problem_responses(*ACCESS_ERRORS, InvoiceNotFound),
    },
)
@declares(read_scope)
async def download_invoice(invoice_id: uuid.UUID, billing: Billing, session: Session) -> Response:
    """The invoice or credit note: unpaid, with its payment slip for the amount still due (the
    Swiss QR-bill for CHF; IBAN, BIC, RF reference and EPC QR code for EUR); paid, stamped paid
    and without a slip."""
    invoice = await invoices.get_invoice(
        session, invoice_id, organization_id=billing.organization_id
    )
    document = await invoices.document_pdf(session, invoice)
    return Response(
        document,
        media_type="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="invoice-{invoice.number}.pdf"'},
    )


@router.post("/invoices/{invoice_id}/payments", status_code=CREATED)
@declares(
    write_scope,
    *ACCESS_ERRORS,
    PaymentDeclined,
    InvoiceNotFound,
    ProfileNotFound,
    InvoiceNotPayable,
    InsufficientBalance,
    AmountTooHigh,
    NoCardProfile,
    409,
    422,
)
async def pay_invoice(
    invoice_id: uuid.UUID, body: InvoicePaymentCreate, billing: Billing, session: Session
) -> InvoicePaid:
    """Pays the invoice, fully or partly, from the prepaid account or by card."""
    payment, invoice = await payments.pay_invoice(
        session,
        organization_id=billing.organization_id,
        invoice_id=invoice_id,
        body=body,
        by=billing.by,
    )
    return InvoicePaid(
        payment=PaymentRead.model_validate(payment),
        invoice=await invoices.invoice_read(session, invoice),
    )


@router.post("/proforma")
@declares(write_scope, *ACCESS_ERRORS, SubscriptionNotFound, PlanNotFound, PriceNotFound, 422)
async def proforma(body: ProformaRequest, billing: Billing, session: Session) -> Proforma:
    """What renewing the selected products would cost; no invoice is created."""
    return await subscriptions.proforma(
        session, organization_id=billing.organization_id, product_ids=body.product_ids
    )


@router.get("/payments", response_model=Page[PaymentRead])
@declares(read_scope, 400, *ACCESS_ERRORS)
async def list_payments(billing: Billing, session: Session, page: Pagination) -> dict[str, Any]:
    rows, cursor = await paginate(
        session,
        payments.payments_of(billing.organization_id),
        page,
    )
    return page_of(list(rows), cursor)


# Prepaid account


@router.get("/prepaid", response_model=Page[PrepaidAccountRead])
@declares(read_scope, 400, *ACCESS_ERRORS)
async def list_prepaid_accounts(
    billing: Billing, session: Session, page: Pagination
) -> dict[str, Any]:
    """The organization's prepaid accounts (one per currency; its own currency's always listed)."""
    rows, cursor = await paginate(
        session,
        await ledger.accounts_of(session, billing.organization_id, own_currency=billing.currency),
        page,
    )
    return page_of(list(rows), cursor)


@router.get("/prepaid/{currency}/entries", response_model=Page[PrepaidEntryRead])
@declares(read_scope, 400, *ACCESS_ERRORS)
async def list_prepaid_entries(
    currency: Currency, billing: Billing, session: Session, page: Pagination
) -> dict[str, Any]:
    rows, cursor = await paginate(
        session,
        ledger.entries_query(billing.organization_id, currency),
        page,
    )
    return page_of(list(rows), cursor)


@router.post("/prepaid/{currency}/top-ups", status_code=CREATED)
@declares(write_scope, *ACCESS_ERRORS, PaymentDeclined, ProfileNotFound, NoCardProfile, 422)
async def top_up_prepaid(
    currency: Currency, body: TopUpCreate, billing: Billing, session: Session
) -> PrepaidAccountRead:
    """Credits the account by charging a saved card. (A bank transfer bearing the account's
    payment reference tops it up too.)"""
    await payments.top_up_by_card(
        session,
        organization_id=billing.organization_id,
        currency=currency,
        amount_minor=body.amount_minor,
        profile_id=body.payment_profile_id,
        by=billing.by,
    )
    account = await ledger.account_for(session, billing.organization_id, currency)
    return PrepaidAccountRead.model_validate(account)


@router.post("/prepaid/{currency}/withdrawals", status_code=CREATED)
@declares(write_scope, *ACCESS_ERRORS, InsufficientBalance, InvalidIban, 422)
async def withdraw_prepaid(
    currency: Currency, body: WithdrawalCreate, billing: Billing, session: Session
) -> WithdrawalRead:
    """Pays the balance (or part of it) out to a bank account."""
    withdrawal = await ledger.withdraw(
        session,
        organization_id=billing.organization_id,
        currency=currency,
        body=body,
        by=billing.by,
    )
    return WithdrawalRead.model_validate(withdrawal)


# Payment profiles


@router.get("/payment-profiles", response_model=Page[PaymentProfileRead])
@declares(read_scope, 400, *ACCESS_ERRORS)
async def list_payment_profiles(
    billing: Billing, session: Session, page: Pagination
) -> dict[str, Any]:
    rows, cursor = await paginate(
        session,
        payments.profiles_of(billing.organization_id),
        page,
    )
    return page_of(list(rows), cursor)


@router.post("/payment-profiles", status_code=CREATED)
@declares(write_scope, *ACCESS_ERRORS, InvalidCard, CardExpired, 422)
async def add_payment_profile(
    body: PaymentProfileCreate, billing: Billing, session: Session
) -> PaymentProfileRead:
    """Saves a card (tokenized by the payment provider) or the prepaid account as a profile; the
    first profile becomes the default."""
    profile = await payments.add_profile(
        session, organization_id=billing.organization_id, body=body, by=billing.by
    )
    return PaymentProfileRead.model_validate(profile)


@router.post("/payment-profiles/{profile_id}/default")
@declares(write_scope, *ACCESS_ERRORS, ProfileNotFound)
async def make_default_payment_profile(
    profile_id: uuid.UUID, billing: Billing, session: Session
) -> PaymentProfileRead:
    profile = await payments.make_default_profile(
        session, organization_id=billing.organization_id, profile_id=profile_id, by=billing.by
    )
    return PaymentProfileRead.model_validate(profile)


@router.delete("/payment-profiles/{profile_id}", status_code=NO_CONTENT)
@declares(write_scope, *ACCESS_ERRORS, ProfileNotFound)
async def remove_payment_profile(profile_id: uuid.UUID, billing: Billing, session: Session) -> None:
    await payments.remove_profile(
        session, organization_id=billing.organization_id, profile_id=profile_id, by=billing.by
    )


# Subscriptions (renewal state of the organization's products)


@router.get("/subscriptions", response_model=Page[SubscriptionRead])
@declares(read_scope, 400, *ACCESS_ERRORS)
async def list_subscriptions(
    billing: Billing, session: Session, page: Pagination
) -> dict[str, Any]:
    rows, cursor = await paginate(
        session,
        subscriptions.subscriptions_of(billing.organization_id),
        page,
        created_at=Subscription.created_at,
        id=Subscription.product_id,
    )
    return page_of([subscription_read(row) for row in rows], cursor)


@router.get("/subscriptions/{product_id}")
@declares(read_scope, *ACCESS_ERRORS, SubscriptionNotFound)
async def read_subscription(
    product_id: uuid.UUID, billing: Billing, session: Session
) -> SubscriptionRead:
    return subscription_read(
        await subscriptions.get_subscription(session, billing.organization_id, product_id)
    )


@router.patch("/subscriptions/{product_id}")
@declares(write_scope, *ACCESS_ERRORS, SubscriptionNotFound, BillingAddressNotFound, 422)
async def update_subscription(
    product_id: uuid.UUID, body: SubscriptionUpdate, billing: Billing, session: Session
) -> SubscriptionRead:
    """Auto-renewal, Renewal Warranty, billing frequency (from the last month of the running
    period) and the billing address of renewals."""
    subscription = await subscriptions.update(
        session,
        organization_id=billing.organization_id,
        product_id=product_id,
        body=body,
        by=billing.by,
    )
    return subscription_read(subscription)


RENEWAL_ERRORS = (
    SubscriptionNotFound,
    NotRenewable,
    RenewalInProgress,
    PlanNotFound,
    PriceNotFound,
    PartnerCannotPay,
)


@router.post("/subscriptions/{product_id}/renewals", status_code=CREATED)
@declares(write_scope, *ACCESS_ERRORS, *RENEWAL_ERRORS, 409, 422)
async def renew_subscription(
    product_id: uuid.UUID, billing: Billing, session: Session
) -> InvoiceRead:
    """The invoice of the product's next period (the same one if asked again); paying it renews."""
    invoice = await subscriptions.request_renewal(
        session, organization_id=billing.organization_id, product_id=product_id, by=billing.by
    )
    return await invoices.invoice_read(session, invoice)


@router.post("/subscriptions/{product_id}/restore", status_code=CREATED)
@declares(write_scope, *ACCESS_ERRORS, *RENEWAL_ERRORS, 409, 422)
async def restore_subscription(
    product_id: uuid.UUID, billing: Billing, session: Session
) -> InvoiceRead:
    """A domain in redemption: the invoice of its restore fee and next period."""
    invoice = await subscriptions.restore(
        session, organization_id=billing.organization_id, product_id=product_id, by=billing.by
    )
    return await invoices.invoice_read(session, invoice)


@router.post("/subscriptions/{product_id}/plan", status_code=CREATED)
@declares(
    write_scope,
    *ACCESS_ERRORS,
    SubscriptionNotFound,
    NotRenewable,
    PlanNotFound,
    PlanNotCompatible,
    DowngradeRefused,
    PriceNotFound,
    409,
    422,
)
async def change_plan(
    product_id: uuid.UUID, body: PlanChange, billing: Billing, session: Session
) -> InvoiceRead:
    """Moves a product (a suite…) to a higher plan; never down. The invoice covers the rest of
    the running period; the plan changes once it is paid."""
    invoice = await subscriptions.change_plan(
        session,
        organization_id=billing.organization_id,
        product_id=product_id,
        plan_code=body.plan_code,
        by=billing.by,
    )
    return await invoices.invoice_read(session, invoice)
