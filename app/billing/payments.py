"""Paying invoices (prepaid account, card, bank transfer), saved payment profiles, top-ups.

Lock order, everywhere: the invoice row first, then prepaid account rows (``ledger.post``).
"""

import uuid

from sqlalchemy import Select, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.activity import service as activity
from app.activity.types import Actor
from app.billing import cashback, fulfilment, invoices, ledger
from app.billing.errors import (
    AmountTooHigh,
    CardExpired,
    InvoiceNotPayable,
    NoCardProfile,
    PaymentDeclined,
    ProfileNotFound,
)
from app.billing.models import (
    PAYABLE,
    EntryKind,
    Invoice,
    InvoiceStatus,
    Payment,
    PaymentMethod,
    PaymentProfile,
    PaymentStatus,
    ProfileKind,
)
from app.billing.schemas import InvoicePaymentCreate, PaymentProfileCreate, PaymentRead
from app.core import clock
from app.core.db import one_or_raise
from app.core.money import check_currency, format_amount
from app.events.service import emit
from app.payments import service as card_payments
from app.payments.service import InvalidCard


def payments_of(organization_id: uuid.UUID) -> Select[Payment]:
    return select(Payment).where(Payment.organization_id == organization_id)


def profiles_of(organization_id: uuid.UUID) -> Select[PaymentProfile]:
    return select(PaymentProfile).where(
        PaymentProfile.organization_id == organization_id, PaymentProfile.deleted_at.is_(None)
    )


async def _record(
    session: AsyncSession,
    *,
    organization_id: uuid.UUID,
    invoice: Invoice | None,
    method: PaymentMethod,
    amount_minor: int,
    currency: str,
    succeeded: bool,
    profile_id: uuid.UUID | None = None,
    provider_reference: str | None = None,
    failure_code: str | None = None,
) -> Payment:
    payment = Payment(
        organization_id=organization_id,
        invoice_id=invoice.id if invoice else None,
        method=method,
        status=PaymentStatus.succeeded if succeeded else PaymentStatus.failed,
        amount_minor=amount_minor,
        currency=currency,
        payment_profile_id=profile_id,
        provider_reference=provider_reference,
        failure_code=failure_code,
    )
    session.add(payment)
    await session.flush()
    await emit(
        session,
        "payment.succeeded" if succeeded else "payment.failed",
        PaymentRead.model_validate(payment),
        organization_id=organization_id,
    )
    return payment


async def settle(
    session: AsyncSession,
    invoice: Invoice,
    *,
    amount_minor: int,
    method: PaymentMethod,
    profile_id: uuid.UUID | None = None,
    provider_reference: str | None = None,
) -> Payment:
    """Records a received payment on the invoice (locked by the caller). Paid in full, the
    invoice is fulfilled and the partner's cashback credited."""
    if invoice.status not in PAYABLE:
        raise InvoiceNotPayable(f"Invoice {invoice.number} is {invoice.status}.")
    if amount_minor > invoice.amount_due_minor:
        raise AmountTooHigh(
            f"Only {format_amount(invoice.amount_due_minor, invoice.currency)} is due."
        )
    payment = await _record(
        session,
        organization_id=invoice.organization_id,
        invoice=invoice,
        method=method,
        amount_minor=amount_minor,
        currency=invoice.currency,
        succeeded=True,
        profile_id=profile_id,
        provider_reference=provider_reference,
    )
    invoice.paid_minor += amount_minor
    invoice.updated_at = clock.now()
    if invoice.paid_minor < invoice.total_minor:
        invoice.status = InvoiceStatus.partially_paid
        await session.flush()
        return payment
    await mark_paid(session, invoice)
    return payment


async def mark_paid(session: AsyncSession, invoice: Invoice) -> None:
    invoice.status = InvoiceStatus.paid
    invoice.paid_at = clock.now()
    invoice.next_reminder_at = None
    await session.flush()
    await emit(
        session,
        "invoice.paid",
        await invoices.invoice_read(session, invoice),
        organization_id=invoice.organization_id,
    )
    await fulfilment.on_invoice_paid(session, invoice)
    await cashback.credit(session, invoice)


async def pay_from_prepaid(
    session: AsyncSession, invoice: Invoice, *, amount_minor: int | None, by: Actor
) -> Payment:
    """Pays the invoice (locked by the caller) fully or partly from the prepaid account."""
    if invoice.status not in PAYABLE:
        raise InvoiceNotPayable(f"Invoice {invoice.number} is {invoice.status}.")
    amount = amount_minor or invoice.amount_due_minor
    if amount > invoice.amount_due_minor:
        raise AmountTooHigh(
            f"Only {format_amount(invoice.amount_due_minor, invoice.currency)} is due."
        )
    payment_id = uuid.uuid4()
    await ledger.post(
        session,
        organization_id=invoice.organization_id,
        currency=invoice.currency,
        kind=EntryKind.invoice_payment,
        amount_minor=-amount,
        reference=f"payment:{payment_id}",
        description=f"Invoice {invoice.number}",
        invoice_id=invoice.id,
    )
    payment = await settle(session, invoice, amount_minor=amount, method=PaymentMethod.prepaid)
    await activity.record(
        session,
        by,
        "billing.invoice_paid_from_prepaid",
        organization_id=invoice.organization_id,
        details={"invoice": invoice.number, "amount_minor": amount},
    )
    return payment


async def card_profile(
    session: AsyncSession, organization_id: uuid.UUID, profile_id: uuid.UUID | None
) -> PaymentProfile:
    statement = select(PaymentProfile).where(
        PaymentProfile.organization_id == organization_id,
        PaymentProfile.deleted_at.is_(None),
        PaymentProfile.kind == ProfileKind.card,
    )
    if profile_id is not None:
        profile = await session.scalar(statement.where(PaymentProfile.id == profile_id))
        if profile is None:
            raise ProfileNotFound("No such card profile.")
        return profile
    profile = await session.scalar(statement.where(PaymentProfile.is_default))
    if profile is None:
        raise NoCardProfile("Save a card (payment profile) first, or name one.")
    return profile


async def charge_card(
    session: AsyncSession,
    profile: PaymentProfile,
    *,
    organization_id: uuid.UUID,
    invoice: Invoice | None,
    amount_minor: int,
    currency: str,
    idempotency_key: str,
) -> tuple[bool, Payment | None, str | None]:
    """Authorizes the card (captured once the transaction commits, voided if it rolls back);
    a decline is recorded as a failed payment. Returns (succeeded, the failed payment or None,
    the provider's reference, or the decline's failure code)."""
    assert profile.token is not None
    try:
        authorization = await card_payments.authorize(
            session,
            key=idempotency_key,
            token=profile.token,
            amount_minor=amount_minor,
            currency=currency,
            provider_name=profile.provider,
        )
    except PaymentDeclined as declined:
        failed = await _record(
            session,
            organization_id=organization_id,
            invoice=invoice,
            method=PaymentMethod.card,
            amount_minor=amount_minor,
            currency=currency,
            succeeded=False,
            profile_id=profile.id,
            provider_reference=declined.provider_reference,
            failure_code=declined.failure_code,
        )
        return False, failed, declined.failure_code
    return True, None, authorization.provider_reference


def _declined(detail: str | None) -> PaymentDeclined:
    """The failed payment stays recorded: the transaction commits."""
    return PaymentDeclined(f"The card was declined ({detail}).", reason=detail, keep_changes=True)


async def pay_by_card(
    session: AsyncSession,
    invoice: Invoice,
    *,
    profile_id: uuid.UUID | None,
    amount_minor: int | None,
    by: Actor,
) -> Payment:
    if invoice.status not in PAYABLE:
        raise InvoiceNotPayable(f"Invoice {invoice.number} is {invoice.status}.")
    amount = amount_minor or invoice.amount_due_minor
    if amount > invoice.amount_due_minor:
        raise AmountTooHigh(
            f"Only {format_amount(invoice.amount_due_minor, invoice.currency)} is due."
        )
    profile = await card_profile(session, invoice.organization_id, profile_id)
    succeeded, _, detail = await charge_card(
        session,
        profile,
        organization_id=invoice.organization_id,
        invoice=invoice,
        amount_minor=amount,
        currency=invoice.currency,
        idempotency_key=card_payments.order_key("billing", "invoice", invoice.id, uuid.uuid4()),
    )
    if not succeeded:
        raise _declined(detail)
    payment = await settle(
        session,
        invoice,
        amount_minor=amount,
        method=PaymentMethod.card,
        profile_id=profile.id,
        provider_reference=detail,
    )
    await activity.record(
        session,
        by,
        "billing.invoice_paid_by_card",
        organization_id=invoice.organization_id,
        details={"invoice": invoice.number, "amount_minor": amount},
    )
    return payment


async def top_up_by_card(
    session: AsyncSession,
    *,
    organization_id: uuid.UUID,
    currency: str,
    amount_minor: int,
    amount_currency: str | None = None,
    profile_id: uuid.UUID | None,
    by: Actor,
) -> Payment:
    """Charges a saved card and credits the prepaid account in ``currency`` with the amount; an
    ``amount_currency`` other than ``currency`` is refused before anything is charged."""
    check_currency(amount_currency, currency)
    profile = await card_profile(session, organization_id, profile_id)
    payment_id = uuid.uuid4()
    succeeded, _, detail = await charge_card(
        session,
        profile,
        organization_id=organization_id,
        invoice=None,
        amount_minor=amount_minor,
        currency=currency,
        idempotency_key=card_payments.order_key("billing", "top-up", payment_id),
    )
    if not succeeded:
        raise _declined(detail)
    payment = await _record(
        session,
        organization_id=organization_id,
        invoice=None,
        method=PaymentMethod.card,
        amount_minor=amount_minor,
        currency=currency,
        succeeded=True,
        profile_id=profile.id,
        provider_reference=detail,
    )
    await ledger.post(
        session,
        organization_id=organization_id,
        currency=currency,
        kind=EntryKind.top_up,
        amount_minor=amount_minor,
        reference=f"payment:{payment.id}",
        description="Top-up by card",
    )
    await activity.record(
        session,
        by,
        "billing.prepaid_topped_up",
        organization_id=organization_id,
        details={"amount_minor": amount_minor, "currency": currency},
    )
    return payment


# Payment profiles


async def add_profile(
    session: AsyncSession, *, organization_id: uuid.UUID, body: PaymentProfileCreate, by: Actor
) -> PaymentProfile:
    """Saves a card (tokenized by the payment provider) or the prepaid account as a profile; the
    first profile becomes the default."""
    profile = PaymentProfile(
        organization_id=organization_id,
        kind=body.kind,
        is_default=False,
    )
    if body.kind == ProfileKind.card:
        if not (body.card_number and body.expiry_month and body.expiry_year and body.cvc):
            raise InvalidCard("A card needs its number, expiry month and year, and CVC.")
        now = clock.now()
        if (body.expiry_year, body.expiry_month) < (now.year, now.month):
            raise CardExpired("The card has expired.")
        provider_name, token = card_payments.tokenize(
            body.card_number, body.expiry_month, body.expiry_year, body.cvc
        )
        profile.provider = provider_name
        profile.token = token.token
        profile.brand = token.brand
        profile.last4 = token.last4
        profile.expiry_month = body.expiry_month
        profile.expiry_year = body.expiry_year
        profile.holder_name = body.holder_name
    session.add(profile)
    await session.flush()
    has_default = await session.scalar(
        select(PaymentProfile.id).where(
            PaymentProfile.organization_id == organization_id,
            PaymentProfile.is_default,
            PaymentProfile.deleted_at.is_(None),
        )
    )
    if body.make_default or has_default is None:
        await make_default(session, profile)
    await activity.record(
        session,
        by,
        "billing.payment_profile_added",
        organization_id=organization_id,
        details={"kind": profile.kind, "last4": profile.last4},
    )
    return profile


async def get_profile(
    session: AsyncSession,
    organization_id: uuid.UUID,
    profile_id: uuid.UUID,
    *,
    for_update: bool = False,
) -> PaymentProfile:
    statement = select(PaymentProfile).where(
        PaymentProfile.id == profile_id,
        PaymentProfile.organization_id == organization_id,
        PaymentProfile.deleted_at.is_(None),
    )
    return await one_or_raise(
        session, statement, ProfileNotFound("No such payment profile."), for_update=for_update
    )


async def make_default(session: AsyncSession, profile: PaymentProfile) -> None:
    # Clear first: the partial unique index allows one default per organization.
    await session.execute(
        update(PaymentProfile)
        .where(
            PaymentProfile.organization_id == profile.organization_id,
            PaymentProfile.is_default,
            PaymentProfile.id != profile.id,
        )
        .values(is_default=False)
        .execution_options(synchronize_session=False)
    )
    profile.is_default = True
    await session.flush()


async def make_default_profile(
    session: AsyncSession, *, organization_id: uuid.UUID, profile_id: uuid.UUID, by: Actor
) -> PaymentProfile:
    profile = await get_profile(session, organization_id, profile_id, for_update=True)
    await make_default(session, profile)
    return profile


async def remove_profile(
    session: AsyncSession, *, organization_id: uuid.UUID, profile_id: uuid.UUID, by: Actor
) -> None:
    profile = await get_profile(session, organization_id, profile_id, for_update=True)
    profile.deleted_at = clock.now()
    profile.is_default = False
    profile.token = None
    await session.flush()


async def default_profile(
    session: AsyncSession, organization_id: uuid.UUID
) -> PaymentProfile | None:
    profile: PaymentProfile | None = await session.scalar(
        select(PaymentProfile).where(
            PaymentProfile.organization_id == organization_id,
            PaymentProfile.is_default,
            PaymentProfile.deleted_at.is_(None),
        )
    )
    return profile


async def pay_invoice(
    session: AsyncSession,
    *,
    organization_id: uuid.UUID,
    invoice_id: uuid.UUID,
    body: InvoicePaymentCreate,
    by: Actor,
) -> tuple[Payment, Invoice]:
    """Pays the organization's invoice, fully or partly, from the prepaid account or by card.
    An amount given with a currency must be in the invoice's (``CurrencyMismatch``)."""
    invoice = await invoices.get_invoice(
        session, invoice_id, organization_id=organization_id, for_update=True
    )
    check_currency(body.currency, invoice.currency)
    if body.method == "prepaid":
        payment = await pay_from_prepaid(session, invoice, amount_minor=body.amount_minor, by=by)
    else:
        payment = await pay_by_card(
            session,
            invoice,
            profile_id=body.payment_profile_id,
            amount_minor=body.amount_minor,
            by=by,
        )
    return payment, invoice
