"""The refund of the unused part of a product's paid period, when its plan says giving it up
refunds it (``Plan.refunds_unused_period``).

What was paid for the product's periods still running is found on its invoices: the order line
it was bought with (shared by the products of that line), its renewal lines and its upgrade
lines, on invoices paid in full; options (Renewal Warranty) are plans of their own and are not
refunded. Each is refunded pro rata by whole days: the unused days from
now to the end of its period (the day begun counts as used) over the days of its period,
rounded half up on the net amount. One credit note per invoice concerned states the refund
(VAT at the invoice's rate), its total is credited to the payer's prepaid account in the
invoice's currency under a reference unique per product and invoice, so it happens once; a
partner's cashback on the refunded share is taken back likewise.
"""

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.activity import service as activity
from app.activity.types import Actor
from app.billing import cashback, invoices, ledger
from app.billing.fulfilment import period_end
from app.billing.models import (
    EntryKind,
    Invoice,
    InvoiceKind,
    InvoiceLine,
    InvoiceStatus,
    LineKind,
    Renewal,
    Subscription,
)
from app.core.money import format_amount, scale
from app.organizations import service as organizations

DAY = timedelta(days=1)


@dataclass(frozen=True)
class PaidShare:
    """What one invoice line paid for the product over one period."""

    invoice: Invoice
    line: InvoiceLine
    start: datetime
    end: datetime
    products: int
    """How many products the line paid for (an order line of several): the product's share."""

    def unused_days(self, now: datetime) -> int:
        return max((self.end - max(self.start, now)) // DAY, 0)

    def days(self) -> int:
        return max(round((self.end - self.start) / DAY), 1)

    def refund_net(self, now: datetime) -> int:
        """The net amount of the unused days, half up."""
        return scale(self.line.net_minor, self.unused_days(now), self.days() * self.products)

    def cashback_share(self, now: datetime) -> int:
        return scale(self.line.cashback_minor, self.unused_days(now), self.days() * self.products)


async def paid_shares(
    session: AsyncSession, subscription: Subscription, now: datetime
) -> list[PaidShare]:
    """The lines of paid invoices that paid for the product's periods not over at ``now``."""
    found: list[tuple[InvoiceLine, datetime, datetime, int]] = []
    if subscription.invoice_line_id is not None:
        line = await session.get(InvoiceLine, subscription.invoice_line_id)
        if line is not None and line.period is not None:
            start = subscription.created_at
            found.append((line, start, period_end(start, line.period), line.quantity))
    renewal_invoices = select(Renewal.invoice_id).where(
        Renewal.product_id == subscription.product_id, Renewal.applied_at.is_not(None)
    )
    for line in await session.scalars(
        select(InvoiceLine).where(
            InvoiceLine.product_id == subscription.product_id,
            ((InvoiceLine.kind == LineKind.renewal) & InvoiceLine.invoice_id.in_(renewal_invoices))
            | (InvoiceLine.kind == LineKind.upgrade),
        )
    ):
        if line.period_start is not None and line.period_end is not None:
            found.append((line, line.period_start, line.period_end, 1))
    shares = []
    for line, start, end, products in found:
        if end <= now:
            continue
        invoice = await session.get(Invoice, line.invoice_id)
        if (
            invoice is not None
            and invoice.kind == InvoiceKind.invoice
            and invoice.status == InvoiceStatus.paid
        ):
            shares.append(PaidShare(invoice, line, start, end, products))
    return shares


async def refund(
    session: AsyncSession,
    subscription: Subscription,
    shares: list[PaidShare],
    *,
    now: datetime,
    by: Actor,
) -> list[Invoice]:
    """Credits the unused days of ``shares`` (see the module's docstring); returns the credit
    notes issued (none when nothing is left to refund)."""
    by_invoice: dict[uuid.UUID, list[PaidShare]] = {}
    for share in shares:
        if share.refund_net(now) > 0:
            by_invoice.setdefault(share.invoice.id, []).append(share)
    product_name = await organizations.product_name(session, subscription.product_id)
    credit_notes = []
    for group in by_invoice.values():
        invoice = group[0].invoice
        credit_note = await invoices.create(
            session,
            organization_id=invoice.organization_id,
            beneficiary_organization_id=invoice.beneficiary_organization_id,
            currency=invoice.currency,
            billing_address=invoice.billing_address,
            lines=[
                invoices.DraftLine(
                    kind=LineKind.correction,
                    description=f"Unused part of {share.line.description}: "
                    f"{share.unused_days(now)} of {share.days()} days",
                    unit_price_minor=share.refund_net(now),
                    plan_id=share.line.plan_id,
                    product_id=subscription.product_id,
                    period=share.line.period,
                    period_start=max(share.start, now),
                    period_end=share.end,
                )
                for share in group
            ],
            kind=InvoiceKind.credit_note,
            corrects_invoice_id=invoice.id,
            **invoices.same_issuer(invoice, [share.line for share in group]),
        )
        await ledger.post(
            session,
            organization_id=invoice.organization_id,
            currency=invoice.currency,
            kind=EntryKind.invoice_refund,
            amount_minor=credit_note.total_minor,
            reference=f"give_up:{subscription.product_id}:{invoice.id}",
            description=f"Credit note {credit_note.number}: unused part of {product_name}, "
            "given up",
            invoice_id=invoice.id,
        )
        await cashback.take_back(
            session,
            invoice,
            amount_minor=sum(share.cashback_share(now) for share in group),
            reference=f"cashback_reversal:{subscription.product_id}:{invoice.id}",
            reason=f"was credited back in part ({product_name} given up)",
        )
        credit_notes.append(credit_note)
    if credit_notes:
        await activity.record(
            session,
            by,
            "billing.unused_period_refunded",
            organization_id=subscription.organization_id,
            product_id=subscription.product_id,
            details={
                "credit_notes": [note.number for note in credit_notes],
                "refunded": [
                    format_amount(note.total_minor, note.currency) for note in credit_notes
                ],
            },
        )
    return credit_notes
