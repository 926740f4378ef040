"""A partner invoice as a PDF, in the partner's name: its lines (date, duration, rate,
surcharge), VAT, the due date, the transfer reference and the late-payment terms."""

from collections.abc import Sequence
from typing import Any

from fpdf import FPDF

from app.core.money import to_decimal_text
from app.partner_services.models import InvoiceLine, PartnerInvoice, RateCard
from app.partner_services.rules import LATE_PAYMENT_POINTS_BP, RECOVERY_INDEMNITY_MINOR


def _drawable(text: str) -> str:
    """What the PDF core fonts draw (Latin-1; anything else becomes ``?``)."""
    text = text.replace("\u2013", "-").replace("\u00d7", "x")
    return text.encode("latin-1", "replace").decode("latin-1")


def _address(details: dict[str, Any] | None) -> list[str]:
    details = details or {}
    city = f"{details.get('postal_code', '')} {details.get('city', '')}".strip()
    return [str(part) for part in (details.get("line1"), city, details.get("country")) if part]


def _duration(minutes: int) -> str:
    return f"{minutes // 60} h {minutes % 60:02d}" if minutes else ""


def invoice_pdf(
    invoice: PartnerInvoice,
    lines: Sequence[InvoiceLine],
    card: RateCard,
    *,
    partner_address: dict[str, Any] | None,
    client_address: dict[str, Any] | None,
) -> bytes:
    document = FPDF(format="A4", unit="mm")
    document.set_auto_page_break(auto=True, margin=20)
    document.set_title(_drawable(f"Invoice {invoice.number}"))
    document.add_page()

    def text(value: str, *, size: float = 10, bold: bool = False, h: float = 5) -> None:
        document.set_font("helvetica", "B" if bold else "", size)
        document.cell(0, h, _drawable(value), new_x="LMARGIN", new_y="NEXT")

    text(invoice.partner_name, size=12, bold=True)
    for part in _address(partner_address):
        text(part, size=9)
    document.ln(6)
    text(invoice.client_name)
    for part in _address(client_address):
        text(part)
    document.ln(6)
    text(f"Invoice {invoice.number}", size=16, bold=True, h=9)
    text(f"Date: {invoice.issued_at.date().isoformat()}")
    text(f"Due: {invoice.due_at.date().isoformat()} (30 days after receipt)")
    text(f"Reference: {invoice.payment_reference}")
    if card.iban:
        text(f"IBAN: {card.iban}")
    if invoice.status == "paid":
        text("PAID", size=12, bold=True, h=7)
    document.ln(4)
    widths = (22, 78, 18, 22, 20, 30)
    document.set_font("helvetica", "B", 9)
    for width, heading in zip(
        widths,
        ("Date", "Description", "Time", "Rate", "+20 %", f"Amount {invoice.currency}"),
        strict=True,
    ):
        document.cell(width, 6, heading, border="B")
    document.ln()
    document.set_font("helvetica", "", 8)
    for line in lines:
        document.cell(widths[0], 6, line.worked_on.isoformat() if line.worked_on else "")
        document.cell(widths[1], 6, _drawable(line.description)[:55])
        document.cell(widths[2], 6, _duration(line.minutes), align="R")
        document.cell(
            widths[3], 6, to_decimal_text(line.rate_minor) if line.rate_minor else "", align="R"
        )
        document.cell(
            widths[4],
            6,
            to_decimal_text(line.surcharge_minor) if line.surcharge_minor else "",
            align="R",
        )
        document.cell(widths[5], 6, to_decimal_text(line.amount_minor), align="R")
        document.ln()
    document.ln(3)
    for label, amount in (
        ("Total excl. VAT", invoice.net_minor),
        (f"VAT {invoice.vat_rate_bp / 100:g} % ({invoice.country})", invoice.vat_minor),
        (f"Total {invoice.currency}", invoice.total_minor),
    ):
        document.cell(sum(widths[:5]), 6, _drawable(label), align="R")
        document.cell(widths[5], 6, to_decimal_text(amount), align="R")
        document.ln()
    document.ln(6)
    points = LATE_PAYMENT_POINTS_BP.get(invoice.country)
    if points is not None:
        indemnity = to_decimal_text(RECOVERY_INDEMNITY_MINOR.get(invoice.country, 0))
        text(
            f"Late payment: interest at the ECB rate + {points // 100} points, and a fixed "
            f"recovery indemnity of {indemnity} {invoice.currency}.",
            size=8,
        )
    return bytes(document.output())
