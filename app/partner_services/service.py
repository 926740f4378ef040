"""What other packages may call about partner services (never their tables): paying a partner
invoice from a bank transfer (``app.lifecycle`` hands this to billing's camt import)."""

from sqlalchemy.ext.asyncio import AsyncSession

from app.partner_services import invoices


async def settle_transfer(
    session: AsyncSession, *, reference: str, amount_minor: int, currency: str, bank_reference: str
) -> str | None:
    """None when no partner invoice bears ``reference``; else ``"paid"``, or why not
    (``"not_payable"``, ``"amount_mismatch"``)."""
    return await invoices.settle_by_transfer(
        session,
        reference=reference,
        amount_minor=amount_minor,
        currency=currency,
        bank_reference=bank_reference,
    )
