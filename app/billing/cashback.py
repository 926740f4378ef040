"""The partner's cashback on a client's invoice: credited to the partner's prepaid account once
the client has paid in full, taken back once when that payment is refunded or credited back.

Both movements are ledger entries with a unique reference per invoice, so neither happens twice.
The partner's balance never goes negative: what it has already spent is taken back only as far as
the balance reaches (the entry says how much).
"""

from sqlalchemy.ext.asyncio import AsyncSession

from app.billing import ledger
from app.billing.models import EntryKind, Invoice


def _credit_reference(invoice: Invoice) -> str:
    return f"cashback:{invoice.id}"


async def credit(session: AsyncSession, invoice: Invoice) -> None:
    """The partner's cashback on a paid client invoice, at most once."""
    if invoice.partner_organization_id is None or invoice.cashback_minor <= 0:
        return
    reference = _credit_reference(invoice)
    if await ledger.already_posted(session, reference):
        return
    await ledger.post(
        session,
        organization_id=invoice.partner_organization_id,
        currency=invoice.currency,
        kind=EntryKind.cashback,
        amount_minor=invoice.cashback_minor,
        reference=reference,
        description=f"Cashback on invoice {invoice.number}",
        invoice_id=invoice.id,
    )


async def reverse(session: AsyncSession, invoice: Invoice) -> int:
    """Takes back the cashback credited for the invoice (refunded or credited back); returns how
    much was taken back. Only once, and only if it was credited."""
    return await take_back(
        session,
        invoice,
        amount_minor=invoice.cashback_minor,
        reference=f"cashback_reversal:{invoice.id}",
        reason="was refunded",
    )


async def take_back(
    session: AsyncSession, invoice: Invoice, *, amount_minor: int, reference: str, reason: str
) -> int:
    """Takes back ``amount_minor`` of the cashback credited for the invoice (all of it, or the
    share of a part credited back), once per ``reference``, as far as the partner's balance
    reaches; returns how much was taken back."""
    partner_id = invoice.partner_organization_id
    if partner_id is None or not await ledger.already_posted(session, _credit_reference(invoice)):
        return 0
    if await ledger.already_posted(session, reference):
        return 0
    amount = min(amount_minor, await ledger.balance_of(session, partner_id, invoice.currency))
    if amount <= 0:
        return 0
    short = amount_minor - amount
    await ledger.post(
        session,
        organization_id=partner_id,
        currency=invoice.currency,
        kind=EntryKind.cashback_reversal,
        amount_minor=-amount,
        reference=reference,
        description=f"Cashback taken back: invoice {invoice.number} {reason}"
        + (f" ({short} not covered by the balance)" if short else ""),
        invoice_id=invoice.id,
    )
    return amount
