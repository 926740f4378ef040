"""/v1/organizations/{organization_id}/…: an organization's billing (cart and orders, invoices,
payments, the prepaid account, payment profiles, subscriptions), for its managers and for partner
staff whose partnership includes billing."""

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Response, status

from app.accounts.deps import require_scope
from app.accounts.errors import InsufficientScope
from app.billing import domain_transfers, invoices, ledger, orders, payments, seats, subscriptions
from app.billing.deps import Billing
from app.billing.errors import (
    PROMO_CODE_ERRORS,
    AlreadyGivenUp,
    AmountTooHigh,
    CardExpired,
    CartEmpty,
    CartItemNotFound,
    DomainTransferNotFailed,
    DomainTransferNotFound,
    DowngradeRefused,
    FreeGrantInvalid,
    InsufficientBalance,
    InvalidCard,
    InvalidIban,
    InvoiceNotFound,
    InvoiceNotPayable,
    NoCardProfile,
    NotGivenUp,
    NotRenewable,
    OrderNotCancellable,
    OrderNotFound,
    PartnerCannotPay,
    PaymentDeclined,
    PlanNotCompatible,
    PlanNotFound,
    PlanNotOrderable,
    PremiumSupportHeld,
    PriceNotFound,
    ProfileNotFound,
    RenewalAlreadyInvoiced,
    RenewalInProgress,
    SubscriptionNotFound,
)
from app.billing.fulfilment import subscription_read
from app.billing.models import (
    DomainTransfer,
    InvoiceStatus,
    Subscription,
)
from app.billing.schemas import (
    CartItemCreate,
    CartItemRead,
    Checkout,
    DomainTransferRead,
    DomainTransferRelaunch,
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
    RenewalSelection,
    RenewalWarrantyChange,
    RenewalWarrantyChanged,
    SubscriptionRead,
    SubscriptionUpdate,
    TopUpCreate,
    WithdrawalCreate,
    WithdrawalRead,
)
from app.core.db import Session
from app.core.errors import CurrencyMismatch, problem_responses
from app.core.money import Currency
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
StatusFilter = Annotated[
    list[InvoiceStatus] | None,
    Query(alias="status", description="Only invoices in these statuses (repeat the parameter)."),
]
IssuedFrom = Annotated[
    Instant | None, Query(description="Only invoices issued at or after this instant.")
]
IssuedUntil = Annotated[
    Instant | None, Query(description="Only invoices issued before this instant.")
]
AccountCurrency = Annotated[
    Currency, Path(description="The prepaid account's currency (one account per currency).")
]


# An organization's cart and orders


@router.get("/cart", response_model=Page[CartItemRead])
@declares(read_scope, 400, *ACCESS_ERRORS)
async def list_cart(billing: Billing, session: Session, page: Pagination) -> dict[str, Any]:
    """The items in the organization's cart, newest first, waiting for checkout. For the
    organization's administrators and legal representatives, or partner staff whose partnership
    includes billing (scope `billing:read`)."""
    rows, cursor = await paginate(
        session,
        orders.cart_of(billing.organization_id),
        page,
    )
    return page_of(list(rows), cursor)


@router.post("/cart/items", status_code=CREATED)
@declares(write_scope, *ACCESS_ERRORS, PlanNotFound, PlanNotOrderable, PremiumSupportHeld, 422)
async def add_to_cart(body: CartItemCreate, billing: Billing, session: Session) -> CartItemRead:
    """Puts a plan of the catalog in the organization's cart; nothing is invoiced until checkout. A
    plan withdrawn from sale is `plan_not_found`; an option (Renewal Warranty) is chosen on an item,
    not ordered alone (`plan_not_orderable`). A domain held elsewhere is transferred in with
    `transfer_auth_code` (one at a time, else `plan_not_orderable`). Premium support is one
    product per organization (`premium_support_already_held`). For the organization's
    administrators and legal representatives, or partner staff with billing access."""
    item = await orders.add_to_cart(
        session, organization_id=billing.organization_id, body=body, by=billing.by
    )
    return CartItemRead.model_validate(item)


@router.delete("/cart/items/{item_id}", status_code=NO_CONTENT)
@declares(write_scope, *ACCESS_ERRORS, CartItemNotFound)
async def remove_from_cart(item_id: uuid.UUID, billing: Billing, session: Session) -> None:
    """Takes an item out of the organization's cart. For the organization's administrators and legal
    representatives, or partner staff with billing access."""
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
    PremiumSupportHeld,
    *PROMO_CODE_ERRORS,
    409,
    422,
)
async def checkout(body: Checkout, billing: Billing, session: Session) -> OrderPlaced:
    """Turns the whole cart into an order and issues its invoice (mailed to the payer; events
    `billing_order.placed`, `invoice.issued`), promo codes and free grants applied at the end. With
    `paid_by_partner`, partner staff order at the partner price and the partner is invoiced. The
    products are created once the invoice is paid (an invoice of zero is paid at once); a domain
    transfer starts then, and premium support gives the organization its VIP code. For the
    organization's administrators and legal representatives, or partner staff with billing
    access."""
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
    """The organization's orders, newest first, with their status and invoice. For the
    organization's administrators and legal representatives, or partner staff with billing access
    (scope `billing:read`)."""
    rows, cursor = await paginate(
        session,
        orders.orders_of(billing.organization_id),
        page,
    )
    return page_of(list(rows), cursor)


@router.get("/orders/{order_id}")
@declares(read_scope, *ACCESS_ERRORS, OrderNotFound)
async def read_order(order_id: uuid.UUID, billing: Billing, session: Session) -> OrderRead:
    """One order of the organization: its status, payer, currency and invoice. For the
    organization's administrators and legal representatives, or partner staff with billing access
    (scope `billing:read`)."""
    return OrderRead.model_validate(
        await orders.get_order(session, billing.organization_id, order_id)
    )


@router.post("/orders/{order_id}/cancel")
@declares(write_scope, *ACCESS_ERRORS, OrderNotFound, OrderNotCancellable, 409)
async def cancel_order(order_id: uuid.UUID, billing: Billing, session: Session) -> OrderRead:
    """Cancels an order whose invoice is not fully paid: the invoice is voided, what was already
    paid on it is credited to the prepaid account, and its promo codes and free grants become usable
    again (event `billing_order.cancelled`). A paid or cancelled order is `order_not_cancellable`.
    For the organization's administrators and legal representatives, or partner staff with billing
    access."""
    order = await orders.get_order(session, billing.organization_id, order_id, for_update=True)
    return OrderRead.model_validate(await orders.cancel(session, order, by=billing.by))


# Invoices


@router.get("/invoices", response_model=Page[InvoiceSummary])
@declares(read_scope, 400, *ACCESS_ERRORS)
async def list_invoices(
    billing: Billing,
    session: Session,
    page: Pagination,
    status_: StatusFilter = None,
    issued_from: IssuedFrom = None,
    issued_until: IssuedUntil = None,
) -> dict[str, Any]:
    """The organization's invoices and credit notes, newest first, filtered by status and issue
    period. For the organization's administrators and legal representatives, or partner staff with
    billing access (scope `billing:read`)."""
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
    status_: StatusFilter = None,
    issued_from: IssuedFrom = None,
    issued_until: IssuedUntil = None,
) -> Response:
    """The filtered invoice history as a CSV file (amounts in major units, credit notes negative),
    for accounting. For the organization's administrators and legal representatives, or partner
    staff with billing access (scope `billing:read`)."""
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
    """One invoice or credit note of the organization, with its lines, amounts, payment reference
    and creditor. For the organization's administrators and legal representatives, or partner staff
    with billing access (scope `billing:read`)."""
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
    """The invoice or credit note as a PDF: unpaid, with its payment slip for the amount still due
    (the Swiss QR-bill for CHF; IBAN, BIC, RF reference and EPC QR code for EUR); paid, stamped paid
    and without a slip. For the organization's administrators and legal representatives, or partner
    staff with billing access (scope `billing:read`)."""
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
    CurrencyMismatch,
    409,
    422,
)
async def pay_invoice(
    invoice_id: uuid.UUID, body: InvoicePaymentCreate, billing: Billing, session: Session
) -> InvoicePaid:
    """Pays an open invoice, fully or partly, from the prepaid account in the invoice's currency or
    by charging a saved card (events `payment.succeeded`, then `invoice.paid` once paid in full,
    which delivers what it bills). A declined card is `payment_declined` (the failed payment is
    recorded); more than the amount due is `amount_exceeds_amount_due`; a `currency` other than the
    invoice's is `currency_mismatch`. For the organization's administrators and legal
    representatives, or partner staff with billing access."""
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
    """What renewing the selected products would cost now (lines, VAT, totals, in the payer's
    currency); no invoice is created. For the organization's administrators and legal
    representatives, or partner staff with billing access."""
    return await subscriptions.proforma(
        session, organization_id=billing.organization_id, product_ids=body.product_ids
    )


@router.get("/payments", response_model=Page[PaymentRead])
@declares(read_scope, 400, *ACCESS_ERRORS)
async def list_payments(billing: Billing, session: Session, page: Pagination) -> dict[str, Any]:
    """The organization's payments (card, prepaid account, bank transfer), newest first, declined
    card payments included. For the organization's administrators and legal representatives, or
    partner staff with billing access (scope `billing:read`)."""
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
    """The organization's prepaid accounts, one per currency (the account in its own currency is
    always listed), with balance and the payment reference that tops each up by bank transfer. For
    the organization's administrators and legal representatives, or partner staff with billing
    access (scope `billing:read`)."""
    rows, cursor = await paginate(
        session,
        await ledger.accounts_of(session, billing.organization_id, own_currency=billing.currency),
        page,
    )
    return page_of(list(rows), cursor)


@router.get("/prepaid/{currency}/entries", response_model=Page[PrepaidEntryRead])
@declares(read_scope, 400, *ACCESS_ERRORS)
async def list_prepaid_entries(
    currency: AccountCurrency, billing: Billing, session: Session, page: Pagination
) -> dict[str, Any]:
    """The movements of the organization's prepaid account in one currency, newest first, each with
    the balance after it. For the organization's administrators and legal representatives, or
    partner staff with billing access (scope `billing:read`)."""
    rows, cursor = await paginate(
        session,
        ledger.entries_query(billing.organization_id, currency),
        page,
    )
    return page_of(list(rows), cursor)


@router.post("/prepaid/{currency}/top-ups", status_code=CREATED)
@declares(
    write_scope,
    *ACCESS_ERRORS,
    PaymentDeclined,
    ProfileNotFound,
    NoCardProfile,
    CurrencyMismatch,
    422,
)
async def top_up_prepaid(
    currency: AccountCurrency, body: TopUpCreate, billing: Billing, session: Session
) -> PrepaidAccountRead:
    """Credits the prepaid account in the path's currency by charging a saved card (events
    `payment.succeeded`, `prepaid.credited`); a declined card credits nothing (`payment_declined`).
    A `currency` other than the path's is `currency_mismatch`, before any charge. A bank transfer
    bearing the account's payment reference tops it up too. For the organization's administrators
    and legal representatives, or partner staff with billing access."""
    await payments.top_up_by_card(
        session,
        organization_id=billing.organization_id,
        currency=currency,
        amount_minor=body.amount_minor,
        amount_currency=body.currency,
        profile_id=body.payment_profile_id,
        by=billing.by,
    )
    account = await ledger.account_for(session, billing.organization_id, currency)
    return PrepaidAccountRead.model_validate(account)


@router.post("/prepaid/{currency}/withdrawals", status_code=CREATED)
@declares(write_scope, *ACCESS_ERRORS, InsufficientBalance, InvalidIban, CurrencyMismatch, 422)
async def withdraw_prepaid(
    currency: AccountCurrency, body: WithdrawalCreate, billing: Billing, session: Session
) -> WithdrawalRead:
    """Asks for the balance (or part of it) to be paid out to a bank account: the amount is debited
    at once and the finance team pays it (events `prepaid.debited`, `prepaid.withdrawal_requested`).
    More than the balance is `insufficient_prepaid_balance`; a `currency` other than the path's is
    `currency_mismatch`. For the organization's administrators and legal representatives, or partner
    staff with billing access."""
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
    """The organization's saved payment profiles (cards and the prepaid account), newest first; the
    default one pays automatic renewals. For the organization's administrators and legal
    representatives, or partner staff with billing access (scope `billing:read`)."""
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
    """Saves a card (tokenized by the payment provider: its number and CVC are never stored) or the
    prepaid account as a payment profile; the first profile becomes the default. A card missing its
    details is `invalid_card`; an expired one `card_expired`. For the organization's administrators
    and legal representatives, or partner staff with billing access."""
    profile = await payments.add_profile(
        session, organization_id=billing.organization_id, body=body, by=billing.by
    )
    return PaymentProfileRead.model_validate(profile)


@router.post("/payment-profiles/{profile_id}/default")
@declares(write_scope, *ACCESS_ERRORS, ProfileNotFound)
async def make_default_payment_profile(
    profile_id: uuid.UUID, billing: Billing, session: Session
) -> PaymentProfileRead:
    """Makes the profile the organization's default: automatic renewals are charged to it from now
    on. For the organization's administrators and legal representatives, or partner staff with
    billing access."""
    profile = await payments.make_default_profile(
        session, organization_id=billing.organization_id, profile_id=profile_id, by=billing.by
    )
    return PaymentProfileRead.model_validate(profile)


@router.delete("/payment-profiles/{profile_id}", status_code=NO_CONTENT)
@declares(write_scope, *ACCESS_ERRORS, ProfileNotFound)
async def remove_payment_profile(profile_id: uuid.UUID, billing: Billing, session: Session) -> None:
    """Removes a saved payment profile (a card's token is erased). If it was the default, automatic
    renewals are paid from the prepaid balance until another profile is made default. For the
    organization's administrators and legal representatives, or partner staff with billing
    access."""
    await payments.remove_profile(
        session, organization_id=billing.organization_id, profile_id=profile_id, by=billing.by
    )


# Subscriptions (renewal state of the organization's products)


@router.get("/subscriptions", response_model=Page[SubscriptionRead])
@declares(read_scope, 400, *ACCESS_ERRORS)
async def list_subscriptions(
    billing: Billing, session: Session, page: Pagination
) -> dict[str, Any]:
    """The renewal state of each of the organization's products (plan, period, expiry, auto-renewal,
    Renewal Warranty), newest first. For the organization's administrators and legal
    representatives, or partner staff with billing access (scope `billing:read`)."""
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
    """The renewal state of one product of the organization. For the organization's administrators
    and legal representatives, or partner staff with billing access (scope `billing:read`)."""
    return subscription_read(
        await subscriptions.get_subscription(session, billing.organization_id, product_id)
    )


@router.patch("/subscriptions/{product_id}")
@declares(write_scope, *ACCESS_ERRORS, SubscriptionNotFound, BillingAddressNotFound, 422)
async def update_subscription(
    product_id: uuid.UUID, body: SubscriptionUpdate, billing: Billing, session: Session
) -> SubscriptionRead:
    """Changes a product's auto-renewal, Renewal Warranty, billing frequency (in effect from the
    last month of the running period) or the billing address of its renewals (event
    `product.subscription_changed`). For the organization's administrators and legal
    representatives, or partner staff with billing access."""
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
    """Issues the invoice of the product's next period now (asking again returns the same invoice);
    paying it renews the product. A product in redemption is restored instead
    (`subscription_not_renewable`). For the organization's administrators and legal representatives,
    or partner staff with billing access."""
    invoice = await subscriptions.request_renewal(
        session, organization_id=billing.organization_id, product_id=product_id, by=billing.by
    )
    return await invoices.invoice_read(session, invoice)


@router.post("/subscriptions/{product_id}/restore", status_code=CREATED)
@declares(write_scope, *ACCESS_ERRORS, *RENEWAL_ERRORS, 409, 422)
async def restore_subscription(
    product_id: uuid.UUID, billing: Billing, session: Session
) -> InvoiceRead:
    """For a domain in its redemption period: issues the invoice of its restore fee and next period;
    paying it restores the domain. Any other product is `subscription_not_renewable`. For the
    organization's administrators and legal representatives, or partner staff with billing
    access."""
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
    """Moves a product (a suite…) to a higher plan of the same type, never down
    (`plan_downgrade_not_allowed`) nor to another type (`plan_not_compatible`). The invoice covers
    the price difference for the rest of the running period; the plan changes once it is paid. For
    the organization's administrators and legal representatives, or partner staff with billing
    access."""
    invoice = await subscriptions.change_plan(
        session,
        organization_id=billing.organization_id,
        product_id=product_id,
        plan_code=body.plan_code,
        by=billing.by,
    )
    return await invoices.invoice_read(session, invoice)


@router.post("/subscriptions/{product_id}/give-up")
@declares(write_scope, *ACCESS_ERRORS, SubscriptionNotFound, NotRenewable, AlreadyGivenUp, 409)
async def give_up_subscription(
    product_id: uuid.UUID, billing: Billing, session: Session
) -> SubscriptionRead:
    """Gives a product up before its term: it is no longer renewed (not even under Renewal
    Warranty), keeps running until `expires_at`, then ends (status `ended`; the organization can
    then be deleted); nothing is refunded. Unpaid renewal invoices of later periods are voided.
    An expired product, or a domain in redemption, ends at once. When the product's plan
    `refunds_unused_period` and its period is paid, it ends at once (`expires_at` becomes now)
    and the unused whole days of what was paid for it are credited pro rata to the payer's
    prepaid account, with a credit note per invoice (options such as Renewal Warranty are not
    refunded); such a product cannot be taken back. Premium support ends with its product (the
    VIP code stops working). Events `product.subscription_changed`, then `product.released`
    when it ends. For the organization's administrators and legal representatives, or partner
    staff with billing access."""
    subscription = await subscriptions.give_up(
        session, organization_id=billing.organization_id, product_id=product_id, by=billing.by
    )
    return subscription_read(subscription)


@router.delete("/subscriptions/{product_id}/give-up")
@declares(write_scope, *ACCESS_ERRORS, SubscriptionNotFound, NotRenewable, NotGivenUp, 409)
async def take_back_subscription(
    product_id: uuid.UUID, billing: Billing, session: Session
) -> SubscriptionRead:
    """Takes back a product given up, while its paid period still runs: it renews as before
    (`product_not_given_up` if it was not given up; `subscription_not_renewable` once it has
    ended). Event `product.subscription_changed`. For the organization's administrators and legal
    representatives, or partner staff with billing access."""
    subscription = await subscriptions.take_back(
        session, organization_id=billing.organization_id, product_id=product_id, by=billing.by
    )
    return subscription_read(subscription)


@router.post("/renewal-warranty")
@declares(write_scope, *ACCESS_ERRORS, SubscriptionNotFound, 409, 422)
async def set_renewal_warranty(
    body: RenewalWarrantyChange, billing: Billing, session: Session
) -> RenewalWarrantyChanged:
    """Turns Renewal Warranty on or off for several products at once: the ones listed, or every
    product the organization still renews (`product_ids` null). One of them unknown, ended or
    given up is `subscription_not_found` and nothing changes. One product at a time:
    `PATCH …/subscriptions/{product_id}`. Event `product.subscription_changed` per product
    changed. For the organization's administrators and legal representatives, or partner staff
    with billing access."""
    changed = await subscriptions.set_renewal_warranty(
        session, organization_id=billing.organization_id, body=body, by=billing.by
    )
    return RenewalWarrantyChanged(
        renewal_warranty=body.renewal_warranty, changed_product_ids=changed
    )


@router.post("/renewals", status_code=CREATED)
@declares(
    write_scope,
    *ACCESS_ERRORS,
    *RENEWAL_ERRORS,
    RenewalAlreadyInvoiced,
    BillingAddressNotFound,
    409,
    422,
)
async def renew_selection(
    body: RenewalSelection, billing: Billing, session: Session
) -> InvoiceRead:
    """Pays a selection of renewals at once: issues one invoice for the next period of every
    selected product (with their Renewal Warranty); paying it (`POST …/invoices/{id}/payments`,
    by card or from the prepaid account, fully or partly) renews them all. Asking again for the
    same selection returns the same invoice; a product whose next period is already on another
    unpaid invoice is `renewal_already_invoiced`, one given up or in redemption
    `subscription_not_renewable`. For the organization's administrators and legal
    representatives, or partner staff with billing access."""
    invoice = await subscriptions.renew_selection(
        session, organization_id=billing.organization_id, body=body, by=billing.by
    )
    return await invoices.invoice_read(session, invoice)


# Domains transferred in from another registrar


@router.get("/domain-transfers", response_model=Page[DomainTransferRead])
@declares(read_scope, 400, *ACCESS_ERRORS)
async def list_domain_transfers(
    billing: Billing, session: Session, page: Pagination
) -> dict[str, Any]:
    """The organization's domain transfers (paid with an order), newest first: pending with the
    registry, failed (to relaunch), or completed. For the organization's administrators and legal
    representatives, or partner staff with billing access (scope `billing:read`)."""
    rows, cursor = await paginate(
        session,
        domain_transfers.transfers_of(billing.organization_id),
        page,
        created_at=DomainTransfer.created_at,
        id=DomainTransfer.id,
    )
    return page_of([domain_transfers.transfer_read(row) for row in rows], cursor)


@router.get("/domain-transfers/{transfer_id}")
@declares(read_scope, *ACCESS_ERRORS, DomainTransferNotFound)
async def read_domain_transfer(
    transfer_id: uuid.UUID, billing: Billing, session: Session
) -> DomainTransferRead:
    """One of the organization's domain transfers. For the organization's administrators and legal
    representatives, or partner staff with billing access (scope `billing:read`)."""
    return domain_transfers.transfer_read(
        await domain_transfers.get_transfer(
            session, transfer_id, organization_id=billing.organization_id
        )
    )


@router.post("/domain-transfers/{transfer_id}/relaunch")
@declares(write_scope, *ACCESS_ERRORS, DomainTransferNotFound, DomainTransferNotFailed, 409, 422)
async def relaunch_domain_transfer(
    transfer_id: uuid.UUID, body: DomainTransferRelaunch, billing: Billing, session: Session
) -> DomainTransferRead:
    """Launches a failed domain transfer again, with its last authorization code or a new one,
    without paying again: the order's payment covers every attempt. Anything but a failed
    transfer is `domain_transfer_not_failed`. For the organization's administrators and legal
    representatives, or partner staff with billing access."""
    transfer = await domain_transfers.relaunch(
        session,
        organization_id=billing.organization_id,
        transfer_id=transfer_id,
        body=body,
        by=billing.by,
    )
    return domain_transfers.transfer_read(transfer)


router.include_router(seats.router)
