"""Invoices and credit notes: built from priced lines, numbered and referenced when issued, then
immutable except for their payment state."""

import csv
import io
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Select, exists, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.activity import service as activity
from app.activity.types import Actor
from app.billing import cashback, catalog, counters, creditors, ledger, pdf
from app.billing.creditors import Creditor
from app.billing.errors import (
    InvoiceNotCorrectable,
    InvoiceNotFound,
    InvoiceNotPayable,
)
from app.billing.models import (
    PAYABLE,
    EntryKind,
    Invoice,
    InvoiceKind,
    InvoiceLine,
    InvoiceStatus,
    LineKind,
    Order,
    OrderStatus,
)
from app.billing.notify import link, mail_organization
from app.billing.pricing import vat
from app.billing.schemas import InvoiceCorrection, InvoiceLineRead, InvoiceRead
from app.core import clock
from app.core.money import check_currency, format_amount, to_decimal_text
from app.core.schemas import from_attributes
from app.core.settings import get_settings
from app.events.service import emit
from app.organizations import service as organizations
from app.organizations.service import BillingDetails

FIRST_REMINDER_AFTER_DUE = timedelta(days=3)
REMINDER_INTERVAL = timedelta(days=10)
MAX_REMINDERS = 3


@dataclass
class DraftLine:
    kind: LineKind
    description: str
    unit_price_minor: int
    quantity: int = 1
    gross_minor: int | None = None
    partner_discount_minor: int = 0
    volume_discount_minor: int = 0
    promo_discount_minor: int = 0
    cashback_minor: int = 0
    plan_id: uuid.UUID | None = None
    product_id: uuid.UUID | None = None
    period: str | None = None
    period_start: datetime | None = None
    period_end: datetime | None = None
    fulfilment: dict[str, Any] = field(default_factory=dict)

    @property
    def gross(self) -> int:
        return (
            self.gross_minor
            if self.gross_minor is not None
            else self.unit_price_minor * self.quantity
        )

    @property
    def net_minor(self) -> int:
        return (
            self.gross
            - self.partner_discount_minor
            - self.volume_discount_minor
            - self.promo_discount_minor
        )


def address_of(organization: BillingDetails) -> dict[str, Any]:
    """The organization's own postal address as a billing address snapshot."""
    address = dict(organization.address or {})
    return {
        "name": organization.name,
        "line1": address.get("line1") or "",
        "line2": address.get("line2"),
        "postal_code": address.get("postal_code") or "",
        "city": address.get("city") or "",
        "country": str(address.get("country") or organization.country).upper(),
    }


async def chosen_address(
    session: AsyncSession,
    organization: BillingDetails,
    *,
    address: dict[str, Any] | None = None,
    address_id: uuid.UUID | None = None,
) -> dict[str, Any]:
    """The billing address of one invoice: given in full, one of the organization's extra
    billing addresses, or its postal address."""
    if address is not None:
        return address
    if address_id is not None:
        extra = await organizations.billing_address(session, organization.id, address_id)
        return {
            "name": extra.recipient,
            "line1": extra.line1,
            "line2": extra.line2,
            "postal_code": extra.postal_code,
            "city": extra.city,
            "country": extra.country.upper(),
            "vat_number": extra.vat_number,
        }
    return address_of(organization)


async def priced_lines(
    session: AsyncSession, lines: Sequence[DraftLine], country: str, rate_bp: int | None = None
) -> tuple[list[InvoiceLine], int]:
    """Invoice line rows (not yet attached) with the VAT of ``country`` (or ``rate_bp``), and the
    rate used."""
    rate = rate_bp if rate_bp is not None else await catalog.vat_rate_bp(session, country)
    rows = []
    for position, line in enumerate(lines, start=1):
        net = line.net_minor
        line_vat = vat(net, rate)
        rows.append(
            InvoiceLine(
                position=position,
                kind=line.kind,
                description=line.description,
                plan_id=line.plan_id,
                product_id=line.product_id,
                period=line.period,
                period_start=line.period_start,
                period_end=line.period_end,
                quantity=line.quantity,
                unit_price_minor=line.unit_price_minor,
                gross_minor=line.gross,
                partner_discount_minor=line.partner_discount_minor,
                volume_discount_minor=line.volume_discount_minor,
                promo_discount_minor=line.promo_discount_minor,
                net_minor=net,
                vat_rate_bp=rate,
                vat_minor=line_vat,
                total_minor=net + line_vat,
                cashback_minor=line.cashback_minor,
                fulfilment=line.fulfilment,
            )
        )
    return rows, rate


async def create(
    session: AsyncSession,
    *,
    organization_id: uuid.UUID,
    currency: str,
    billing_address: dict[str, Any],
    lines: Sequence[DraftLine],
    beneficiary_organization_id: uuid.UUID | None = None,
    partner_organization_id: uuid.UUID | None = None,
    order_id: uuid.UUID | None = None,
    kind: InvoiceKind = InvoiceKind.invoice,
    corrects_invoice_id: uuid.UUID | None = None,
    issue_now: bool = True,
    creditor: Creditor | None = None,
    vat_rate_bp: int | None = None,
    ticket_office_id: uuid.UUID | None = None,
    ticket_order_id: uuid.UUID | None = None,
    supplied_at: datetime | None = None,
    due_at: datetime | None = None,
    vat_country: str | None = None,
) -> Invoice:
    """A draft invoice with its lines, issued at once unless ``issue_now`` is false. VAT follows
    the payer's seat (the organization's country), whatever billing address is printed, unless
    ``vat_country`` or ``vat_rate_bp`` is given. The creditor is the platform unless given (a
    ticket office's payee)."""
    country = (vat_country or await seat_of(session, organization_id, billing_address)).upper()
    rows, _ = await priced_lines(session, lines, country, vat_rate_bp)
    invoice = Invoice(
        organization_id=organization_id,
        beneficiary_organization_id=beneficiary_organization_id or organization_id,
        partner_organization_id=partner_organization_id,
        kind=kind,
        status=InvoiceStatus.draft,
        currency=currency,
        subtotal_minor=sum(row.net_minor for row in rows),
        vat_minor=sum(row.vat_minor for row in rows),
        total_minor=sum(row.total_minor for row in rows),
        paid_minor=0,
        cashback_minor=sum(row.cashback_minor for row in rows),
        vat_country=country,
        billing_address=billing_address,
        order_id=order_id,
        corrects_invoice_id=corrects_invoice_id,
        reminder_count=0,
        creditor=(creditor or creditors.platform(currency)).snapshot(),
        supplied_at=supplied_at,
        ticket_office_id=ticket_office_id,
        ticket_order_id=ticket_order_id,
        due_at=due_at,
    )
    session.add(invoice)
    await session.flush()
    for row in rows:
        row.invoice_id = invoice.id
        session.add(row)
    await session.flush()
    if issue_now:
        await issue(session, invoice)
    return invoice


async def seat_of(
    session: AsyncSession, organization_id: uuid.UUID, billing_address: dict[str, Any]
) -> str:
    """The country whose VAT an organization pays: where it has its seat."""
    organization = await organizations.billing_details(session, organization_id)
    if organization is None:
        return str(billing_address["country"])
    return organization.country


async def issue(session: AsyncSession, invoice: Invoice) -> None:
    """Numbers the draft, gives it its payment reference and due date, and announces it.
    An invoice of zero is paid as it is issued (a product entirely covered by a free grant)."""
    now = clock.now()
    year = now.year
    if invoice.kind == InvoiceKind.credit_note:
        sequence = await counters.next_value(session, f"credit_note-{year}")
        invoice.number = f"CN-{year}-{sequence:06d}"
        invoice.status = InvoiceStatus.paid
    else:
        sequence = await counters.next_value(session, f"invoice-{year}")
        invoice.number = f"{year}-{sequence:06d}"
        # 14 digits: year and sequence. Prepaid accounts' references have 17 (see ledger).
        invoice.payment_reference = creditors.reference(
            creditors.of_invoice(invoice.creditor, invoice.currency),
            invoice.currency,
            year * 10**10 + sequence,
        )
        invoice.status = InvoiceStatus.open
        if invoice.due_at is None:
            invoice.due_at = now + timedelta(days=get_settings().billing_payment_terms_days)
        # A ticket order's reminders are the ticket office's (its own policy), not dunning's.
        if not invoice.is_ticket_invoice:
            invoice.next_reminder_at = invoice.due_at + FIRST_REMINDER_AFTER_DUE
    invoice.issued_at = now
    invoice.updated_at = now
    await session.flush()
    await emit(
        session,
        "invoice.issued",
        await invoice_read(session, invoice),
        organization_id=invoice.organization_id,
    )
    if (
        invoice.kind == InvoiceKind.invoice
        and invoice.total_minor > 0
        and not invoice.is_ticket_invoice
    ):
        await mail_organization(
            session,
            invoice.organization_id,
            "invoice_issued",
            {
                "invoice_number": invoice.number,
                "total": format_amount(invoice.total_minor, invoice.currency),
                "due_date": invoice.due_at.date().isoformat() if invoice.due_at else "",
                "invoice_url": invoice_url(invoice),
            },
        )


def invoice_url(invoice: Invoice) -> str:
    return link(f"/organizations/{invoice.organization_id}/invoices/{invoice.id}")


async def lines_of(session: AsyncSession, invoice_id: uuid.UUID) -> list[InvoiceLine]:
    return list(
        await session.scalars(
            select(InvoiceLine)
            .where(InvoiceLine.invoice_id == invoice_id)
            .order_by(InvoiceLine.position)
        )
    )


async def invoice_read(session: AsyncSession, invoice: Invoice) -> InvoiceRead:
    lines = await lines_of(session, invoice.id)
    return InvoiceRead.model_validate(
        {
            **{
                name: getattr(invoice, name)
                for name in InvoiceRead.model_fields
                if name != "lines" and hasattr(invoice, name)
            },
            "lines": lines_read(lines, invoice.currency),
        }
    )


def lines_read(lines: Sequence[InvoiceLine], currency: str) -> list[InvoiceLineRead]:
    """Invoice lines as served: each carries its invoice's currency."""
    return [from_attributes(InvoiceLineRead, line, currency=currency) for line in lines]


async def get_invoice(
    session: AsyncSession,
    invoice_id: uuid.UUID,
    *,
    organization_id: uuid.UUID | None = None,
    for_update: bool = False,
) -> Invoice:
    statement = select(Invoice).where(Invoice.id == invoice_id)
    if organization_id is not None:  # the organization's own invoices, not its customers'
        statement = statement.where(
            Invoice.organization_id == organization_id, Invoice.ticket_office_id.is_(None)
        )
    if for_update:
        statement = statement.with_for_update().execution_options(populate_existing=True)
    invoice = await session.scalar(statement)
    if invoice is None:
        raise InvoiceNotFound("No such invoice.")
    return invoice


def history_query(
    organization_id: uuid.UUID,
    *,
    statuses: Sequence[InvoiceStatus] = (),
    issued_from: datetime | None = None,
    issued_until: datetime | None = None,
) -> Select[Invoice]:
    """The organization's invoices and credit notes (drafts excluded), filtered."""
    statement = select(Invoice).where(
        Invoice.organization_id == organization_id,
        Invoice.status != InvoiceStatus.draft,
        Invoice.ticket_office_id.is_(None),
    )
    if statuses:
        statement = statement.where(Invoice.status.in_(list(statuses)))
    if issued_from is not None:
        statement = statement.where(Invoice.issued_at >= issued_from)
    if issued_until is not None:
        statement = statement.where(Invoice.issued_at < issued_until)
    return statement


CSV_COLUMNS = (
    "number",
    "kind",
    "status",
    "issued_at",
    "due_at",
    "paid_at",
    "currency",
    "subtotal",
    "vat",
    "total",
    "paid",
    "payment_reference",
    "corrects",
)


def signed(invoice: Invoice, amount_minor: int) -> int:
    """How an amount is exported: negative on a credit note, so a month's columns add up."""
    return -amount_minor if invoice.kind == InvoiceKind.credit_note else amount_minor


def to_csv(invoices: Sequence[Invoice], corrected: Mapping[uuid.UUID, str]) -> str:
    """Amounts in major units with two decimals (what accounting tools import); a credit note's
    are negative and it names the invoice it corrects (``corrected``: number by id)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for invoice in invoices:
        writer.writerow(
            [
                invoice.number,
                invoice.kind.value if hasattr(invoice.kind, "value") else invoice.kind,
                invoice.status,
                invoice.issued_at.isoformat() if invoice.issued_at else "",
                invoice.due_at.isoformat() if invoice.due_at else "",
                invoice.paid_at.isoformat() if invoice.paid_at else "",
                invoice.currency,
                to_decimal_text(signed(invoice, invoice.subtotal_minor)),
                to_decimal_text(signed(invoice, invoice.vat_minor)),
                to_decimal_text(signed(invoice, invoice.total_minor)),
                to_decimal_text(signed(invoice, invoice.paid_minor)),
                invoice.payment_reference or "",
                corrected.get(invoice.corrects_invoice_id, "")
                if invoice.corrects_invoice_id
                else "",
            ]
        )
    return buffer.getvalue()


async def close_unpaid(
    session: AsyncSession, invoice: Invoice, *, reason: str, refund_kind: EntryKind
) -> None:
    """Voids an unpaid or partly paid invoice (locked by the caller); what was paid goes to the
    prepaid account."""
    if invoice.status not in PAYABLE:
        raise InvoiceNotPayable("Only an unpaid invoice can be voided.")
    if invoice.paid_minor:
        await ledger.post(
            session,
            organization_id=invoice.organization_id,
            currency=invoice.currency,
            kind=refund_kind,
            amount_minor=invoice.paid_minor,
            reference=f"void:{invoice.id}",
            description=f"Invoice {invoice.number}: {reason}",
            invoice_id=invoice.id,
        )
    invoice.status = InvoiceStatus.void
    invoice.closed_at = clock.now()
    invoice.next_reminder_at = None
    await session.flush()
    await emit(
        session,
        "invoice.voided",
        await invoice_read(session, invoice),
        organization_id=invoice.organization_id,
    )


async def correct(
    session: AsyncSession,
    invoice: Invoice,
    *,
    reason: str,
    replacement_lines: Sequence[DraftLine],
    by: Actor,
) -> tuple[Invoice, Invoice | None]:
    """A credit note for the whole invoice (locked by the caller), then, if lines are given, a new
    invoice with them. What was paid on the original is credited to the prepaid account, where it
    can pay the new invoice."""
    if invoice.kind != InvoiceKind.invoice or invoice.status not in (
        *PAYABLE,
        InvoiceStatus.paid,
    ):
        raise InvoiceNotCorrectable("Only an issued, not yet corrected invoice can be corrected.")
    if invoice.is_ticket_invoice and replacement_lines:
        raise InvoiceNotCorrectable("A ticket order's invoice is replaced by a new order.")
    if await _credited_in_part(session, invoice):
        # Crediting it whole would refund again what a credit note already refunded.
        raise InvoiceNotCorrectable(
            "Part of this invoice was credited back already (a product given up and refunded)."
        )
    original_lines = await lines_of(session, invoice.id)
    credit_lines = [
        DraftLine(
            kind=LineKind.correction,
            description=f"Credit for {line.description}",
            unit_price_minor=line.unit_price_minor,
            quantity=line.quantity,
            gross_minor=line.gross_minor,
            partner_discount_minor=line.partner_discount_minor,
            volume_discount_minor=line.volume_discount_minor,
            promo_discount_minor=line.promo_discount_minor,
            plan_id=line.plan_id,
            product_id=line.product_id,
            period=line.period,
            period_start=line.period_start,
            period_end=line.period_end,
        )
        for line in original_lines
    ]
    credit_note = await create(
        session,
        organization_id=invoice.organization_id,
        beneficiary_organization_id=invoice.beneficiary_organization_id,
        currency=invoice.currency,
        billing_address=invoice.billing_address,
        lines=credit_lines,
        kind=InvoiceKind.credit_note,
        corrects_invoice_id=invoice.id,
        **same_issuer(invoice, original_lines),
    )
    paid = invoice.paid_minor
    # A ticket customer's money is the organizer's to refund: nothing goes to a prepaid account.
    if paid and not invoice.is_ticket_invoice:
        await ledger.post(
            session,
            organization_id=invoice.organization_id,
            currency=invoice.currency,
            kind=EntryKind.invoice_refund,
            amount_minor=paid,
            reference=f"credit_note:{credit_note.id}",
            description=f"Credit note {credit_note.number} for invoice {invoice.number}",
            invoice_id=invoice.id,
        )
    was_paid = invoice.status == InvoiceStatus.paid
    if was_paid:
        await cashback.reverse(session, invoice)
    invoice.status = InvoiceStatus.refunded if was_paid else InvoiceStatus.void
    invoice.closed_at = clock.now()
    invoice.next_reminder_at = None
    await session.flush()
    await emit(
        session,
        "invoice.refunded" if was_paid else "invoice.voided",
        await invoice_read(session, invoice),
        organization_id=invoice.organization_id,
    )
    replacement = None
    if replacement_lines:
        replacement = await create(
            session,
            organization_id=invoice.organization_id,
            beneficiary_organization_id=invoice.beneficiary_organization_id,
            currency=invoice.currency,
            billing_address=invoice.billing_address,
            lines=replacement_lines,
            corrects_invoice_id=invoice.id,
            vat_country=invoice.vat_country,
        )
    await activity.record(
        session,
        by,
        "billing.invoice_corrected",
        organization_id=invoice.organization_id,
        details={
            "invoice": invoice.number,
            "credit_note": credit_note.number,
            "replacement": replacement.number if replacement else None,
            "reason": reason,
        },
    )
    return credit_note, replacement


async def _credited_in_part(session: AsyncSession, invoice: Invoice) -> bool:
    return bool(
        await session.scalar(
            select(
                exists().where(
                    Invoice.corrects_invoice_id == invoice.id,
                    Invoice.kind == InvoiceKind.credit_note,
                )
            )
        )
    )


def same_issuer(invoice: Invoice, lines: Sequence[InvoiceLine]) -> dict[str, Any]:
    """What a credit note takes from the invoice it corrects: its creditor, its ticket office,
    its VAT rate and its date of supply."""
    return {
        "creditor": creditors.of_invoice(invoice.creditor, invoice.currency),
        "vat_country": invoice.vat_country,
        "ticket_office_id": invoice.ticket_office_id,
        "supplied_at": invoice.supplied_at,
        "vat_rate_bp": lines[0].vat_rate_bp if lines else None,
    }


async def order_of(session: AsyncSession, invoice: Invoice) -> Order | None:
    if invoice.order_id is None:
        return None
    return await session.get(Order, invoice.order_id)


async def is_for_cancelled_order(session: AsyncSession, invoice: Invoice) -> bool:
    order = await order_of(session, invoice)
    return order is not None and order.status == OrderStatus.cancelled


async def document_pdf(session: AsyncSession, invoice: Invoice) -> bytes:
    """The issued invoice or credit note as a PDF: an unpaid invoice carries its payment slip for
    the amount due, a paid one is stamped paid."""
    if invoice.status == InvoiceStatus.draft:
        raise InvoiceNotFound("No such invoice.")
    corrects = await numbers_of(session, {invoice.corrects_invoice_id})
    return pdf.invoice_pdf(
        invoice,
        await lines_of(session, invoice.id),
        corrects_number=corrects.get(invoice.corrects_invoice_id)
        if invoice.corrects_invoice_id
        else None,
    )


async def export_csv(
    session: AsyncSession,
    organization_id: uuid.UUID,
    *,
    statuses: Sequence[InvoiceStatus] = (),
    issued_from: datetime | None = None,
    issued_until: datetime | None = None,
) -> str:
    """The filtered history as CSV, oldest first."""
    rows = await session.scalars(
        history_query(
            organization_id, statuses=statuses, issued_from=issued_from, issued_until=issued_until
        ).order_by(Invoice.issued_at, Invoice.id)
    )
    found = list(rows)
    return to_csv(found, await numbers_of(session, {row.corrects_invoice_id for row in found}))


async def numbers_of(
    session: AsyncSession, invoice_ids: set[uuid.UUID | None]
) -> dict[uuid.UUID, str]:
    wanted = [invoice_id for invoice_id in invoice_ids if invoice_id is not None]
    if not wanted:
        return {}
    rows = await session.execute(select(Invoice.id, Invoice.number).where(Invoice.id.in_(wanted)))
    return {row.id: row.number or "" for row in rows}


async def correct_invoice(
    session: AsyncSession, *, invoice_id: uuid.UUID, body: InvoiceCorrection, by: Actor
) -> tuple[Invoice, Invoice | None]:
    """Staff correct an issued invoice: see ``correct``. Replacement lines given with a currency
    must be in the invoice's (``CurrencyMismatch``)."""
    invoice = await get_invoice(session, invoice_id, for_update=True)
    for line in body.lines:
        check_currency(line.currency, invoice.currency)
    return await correct(
        session,
        invoice,
        reason=body.reason,
        replacement_lines=[
            DraftLine(
                kind=LineKind.correction,
                description=line.description,
                unit_price_minor=line.unit_price_minor,
                quantity=line.quantity,
            )
            for line in body.lines
        ],
        by=by,
    )
