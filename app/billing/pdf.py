"""Invoice PDFs, with the Swiss QR-bill payment part (Swiss Payment Standards, QR-bill v2) for
invoices in CHF."""

import io
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import segno
from fpdf import FPDF

from app.billing import references
from app.billing.models import Invoice, InvoiceKind, InvoiceLine
from app.core.money import to_decimal_text
from app.core.settings import get_settings

_REPLACEMENTS = {
    "\u2192": "->",
    "\u2026": "...",
    "\u2019": "'",
    "\u2018": "'",
    "\u201c": '"',
    "\u201d": '"',
    "\u2013": "-",
}


def _latin1(text: str) -> str:
    """What the PDF core fonts can draw (Latin-1)."""
    for char, replacement in _REPLACEMENTS.items():
        text = text.replace(char, replacement)
    return text.encode("latin-1", "replace").decode("latin-1")


@dataclass(frozen=True)
class QrAddress:
    """A structured address (type S), the only type the QR-bill accepts since November 2025."""

    name: str
    street: str
    building: str
    postal_code: str
    town: str
    country: str

    def lines(self) -> list[str]:
        return [
            "S",
            self.name[:70],
            self.street[:70],
            self.building[:16],
            self.postal_code[:16],
            self.town[:35],
            self.country[:2],
        ]


def creditor() -> QrAddress:
    settings = get_settings()
    return QrAddress(
        settings.billing_creditor_name,
        settings.billing_creditor_street,
        settings.billing_creditor_building,
        settings.billing_creditor_postal_code,
        settings.billing_creditor_town,
        settings.billing_creditor_country,
    )


def debtor_of(address: dict[str, Any]) -> QrAddress:
    return QrAddress(
        str(address.get("name") or ""),
        str(address.get("line1") or ""),
        "",
        str(address.get("postal_code") or ""),
        str(address.get("city") or ""),
        str(address.get("country") or ""),
    )


def qr_payload(
    *,
    iban: str,
    creditor: QrAddress,
    amount_minor: int | None,
    currency: str,
    debtor: QrAddress | None,
    reference: str,
    message: str,
) -> str:
    """The QR code's content: the ``SPC`` / ``0200`` / ``1`` data lines, ending with ``EPD``."""
    normalized = references.normalize(reference)
    reference_type = (
        "QRR" if normalized.isdigit() else "SCOR" if normalized.startswith("RF") else "NON"
    )
    lines = [
        "SPC",
        "0200",
        "1",
        "".join(iban.split()),
        *creditor.lines(),
        *([""] * 7),  # ultimate creditor: reserved, empty
        to_decimal_text(amount_minor) if amount_minor is not None else "",
        currency,
        *(debtor.lines() if debtor else [""] * 7),
        reference_type,
        normalized if reference_type != "NON" else "",
        message[:140],
        "EPD",
    ]
    return "\n".join(lines)


def invoice_qr_payload(invoice: Invoice) -> str:
    assert invoice.payment_reference is not None
    return qr_payload(
        iban=get_settings().billing_chf_iban,
        creditor=creditor(),
        amount_minor=invoice.total_minor,
        currency=invoice.currency,
        debtor=debtor_of(invoice.billing_address),
        reference=invoice.payment_reference,
        message=f"Invoice {invoice.number}",
    )


def _iban_grouped(iban: str) -> str:
    compact = "".join(iban.split())
    return " ".join(compact[i : i + 4] for i in range(0, len(compact), 4))


def invoice_pdf(invoice: Invoice, lines: Sequence[InvoiceLine]) -> bytes:
    document = FPDF(format="A4", unit="mm")
    document.set_auto_page_break(auto=True, margin=20)
    document.set_title(_latin1(f"Invoice {invoice.number}"))
    document.add_page()
    _header(document, invoice)
    _lines_table(document, invoice, lines)
    if invoice.kind == InvoiceKind.invoice and invoice.currency == "CHF":
        document.add_page()
        _qr_bill(document, invoice)
    return bytes(document.output())


def _text(document: FPDF, text: str, *, size: float = 10, bold: bool = False, h: float = 5) -> None:
    document.set_font("helvetica", "B" if bold else "", size)
    document.cell(0, h, _latin1(text), new_x="LMARGIN", new_y="NEXT")


def _header(document: FPDF, invoice: Invoice) -> None:
    settings = get_settings()
    _text(document, settings.billing_creditor_name, size=12, bold=True)
    _text(
        document,
        f"{settings.billing_creditor_street} {settings.billing_creditor_building}, "
        f"{settings.billing_creditor_postal_code} {settings.billing_creditor_town}",
        size=9,
    )
    document.ln(8)
    address = invoice.billing_address
    for part in (
        address.get("name"),
        address.get("line1"),
        address.get("line2"),
        f"{address.get('postal_code', '')} {address.get('city', '')}".strip(),
        address.get("country"),
    ):
        if part:
            _text(document, str(part))
    document.ln(8)
    title = "Credit note" if invoice.kind == InvoiceKind.credit_note else "Invoice"
    _text(document, f"{title} {invoice.number}", size=16, bold=True, h=9)
    if invoice.issued_at:
        _text(document, f"Date: {invoice.issued_at.date().isoformat()}")
    if invoice.due_at and invoice.kind == InvoiceKind.invoice:
        _text(document, f"Due: {invoice.due_at.date().isoformat()}")
    if invoice.payment_reference:
        _text(document, f"Reference: {references.grouped(invoice.payment_reference)}")
    if invoice.status in ("paid",) and invoice.kind == InvoiceKind.invoice:
        _text(document, "PAID", size=12, bold=True, h=7)
    document.ln(4)


def _lines_table(document: FPDF, invoice: Invoice, lines: Sequence[InvoiceLine]) -> None:
    widths = (90, 12, 26, 22, 30)
    document.set_font("helvetica", "B", 9)
    for width, heading in zip(
        widths, ("Description", "Qty", "Net", "VAT", f"Total {invoice.currency}"), strict=True
    ):
        document.cell(width, 6, heading, border="B")
    document.ln()
    document.set_font("helvetica", "", 9)
    for line in lines:
        document.cell(widths[0], 6, _latin1(line.description)[:60])
        document.cell(widths[1], 6, str(line.quantity), align="R")
        document.cell(widths[2], 6, to_decimal_text(line.net_minor), align="R")
        document.cell(widths[3], 6, f"{line.vat_rate_bp / 100:g} %", align="R")
        document.cell(widths[4], 6, to_decimal_text(line.total_minor), align="R")
        document.ln()
    document.ln(3)
    for label, amount in (
        ("Subtotal (excl. VAT)", invoice.subtotal_minor),
        (f"VAT ({invoice.vat_country})", invoice.vat_minor),
        (f"Total {invoice.currency}", invoice.total_minor),
        ("Paid", invoice.paid_minor),
    ):
        document.cell(sum(widths[:4]), 6, label, align="R")
        document.cell(widths[4], 6, to_decimal_text(amount), align="R")
        document.ln()


def _qr_image(payload: str) -> io.BytesIO:
    buffer = io.BytesIO()
    segno.make(payload, error="m", micro=False).save(buffer, kind="png", scale=10, border=0)
    buffer.seek(0)
    return buffer


def _qr_bill(document: FPDF, invoice: Invoice) -> None:
    """The receipt (62 mm) and payment part (148 mm) on the bottom 105 mm of an A4 page."""
    payload = invoice_qr_payload(invoice)
    top = 297 - 105
    document.set_auto_page_break(auto=False)
    document.set_draw_color(0, 0, 0)
    document.set_dash_pattern(dash=1, gap=1)
    document.line(0, top, 210, top)
    document.line(62, top, 62, 297)
    document.set_dash_pattern()
    settings = get_settings()
    account = [
        _iban_grouped(settings.billing_chf_iban),
        settings.billing_creditor_name,
        f"{settings.billing_creditor_street} {settings.billing_creditor_building}",
        f"{settings.billing_creditor_postal_code} {settings.billing_creditor_town}",
    ]
    address = invoice.billing_address
    payer = [
        str(address.get("name") or ""),
        str(address.get("line1") or ""),
        f"{address.get('postal_code', '')} {address.get('city', '')}".strip(),
    ]
    reference = references.grouped(invoice.payment_reference or "")
    amount = _grouped_amount(invoice.total_minor)

    def block(x: float, y: float, heading: str, values: Sequence[str], size: float) -> float:
        document.set_xy(x, y)
        document.set_font("helvetica", "B", size - 2)
        document.cell(0, 3.5, heading)
        y += 3.5
        document.set_font("helvetica", "", size)
        for value in values:
            document.set_xy(x, y)
            document.cell(0, 3.8, _latin1(value))
            y += 3.8
        return y + 2

    # Receipt
    document.set_xy(5, top + 5)
    document.set_font("helvetica", "B", 11)
    document.cell(0, 5, "Receipt")
    y = block(5, top + 12, "Account / Payable to", account, 8)
    y = block(5, y, "Reference", [reference], 8)
    block(5, y, "Payable by", payer, 8)
    block(5, top + 68, "Currency", [invoice.currency], 8)
    block(20, top + 68, "Amount", [amount], 8)
    document.set_xy(38, top + 82)
    document.set_font("helvetica", "B", 6)
    document.cell(0, 3, "Acceptance point")

    # Payment part
    document.set_xy(67, top + 5)
    document.set_font("helvetica", "B", 11)
    document.cell(0, 5, "Payment part")
    qr_x, qr_y = 67.0, top + 17.0
    document.image(_qr_image(payload), x=qr_x, y=qr_y, w=46, h=46)
    _swiss_cross(document, qr_x + 23 - 3.5, qr_y + 23 - 3.5)
    block(67, top + 68, "Currency", [invoice.currency], 10)
    block(85, top + 68, "Amount", [amount], 10)
    y = block(118, top + 5, "Account / Payable to", account, 10)
    y = block(118, y, "Reference", [reference], 10)
    y = block(118, y, "Additional information", [f"Invoice {invoice.number}"], 10)
    block(118, y, "Payable by", payer, 10)


def _grouped_amount(amount_minor: int) -> str:
    units, cents = to_decimal_text(amount_minor).split(".")
    groups: list[str] = []
    while units:
        groups.insert(0, units[-3:])
        units = units[:-3]
    return f"{' '.join(groups)}.{cents}"


def _swiss_cross(document: FPDF, x: float, y: float) -> None:
    """The 7 mm Swiss cross in the QR code's middle (white border, black square, white cross)."""
    document.set_fill_color(255, 255, 255)
    document.rect(x - 0.5, y - 0.5, 8, 8, style="F")
    document.set_fill_color(0, 0, 0)
    document.rect(x, y, 7, 7, style="F")
    document.set_fill_color(255, 255, 255)
    document.rect(x + 2.9, y + 1.4, 1.2, 4.2, style="F")
    document.rect(x + 1.4, y + 2.9, 4.2, 1.2, style="F")
