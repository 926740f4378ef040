"""Invoice and credit note PDFs. The payment slip is part of an unpaid invoice only, for the amount
still due: the Swiss QR-bill (built by the ``qrbill`` package: SPS 2.x, UTF-8) for CHF, the
creditor's IBAN, BIC and RF reference with an EPC QR code (SEPA credit transfer) for EUR. A paid
invoice is stamped paid and carries no slip; a credit note names the invoice it corrects and shows
negative amounts."""

import io
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

import segno
import segno.helpers
from fpdf import FPDF
from qrbill import QRBill

from app.billing import creditors, references
from app.billing.creditors import Creditor
from app.billing.models import PAYABLE, Invoice, InvoiceKind, InvoiceLine, InvoiceStatus
from app.core.fonts import Typeface, typeface
from app.core.money import to_decimal_text

_REPLACEMENTS = {
    "\u2192": "->",
    "\u2026": "...",
    "\u2019": "'",
    "\u2018": "'",
    "\u201c": '"',
    "\u201d": '"',
    "\u2013": "-",
}

STAMPS = {
    InvoiceStatus.paid: "PAID",
    InvoiceStatus.refunded: "REFUNDED (credit note issued)",
    InvoiceStatus.void: "CANCELLED (credit note issued)",
}


def _latin1(text: str) -> str:
    """What the PDF core fonts can draw (Latin-1)."""
    for char, replacement in _REPLACEMENTS.items():
        text = text.replace(char, replacement)
    return text.encode("latin-1", "replace").decode("latin-1")


@dataclass(frozen=True)
class Document:
    """An issued invoice or credit note with what its PDF prints beside its own columns."""

    invoice: Invoice
    lines: Sequence[InvoiceLine]
    corrects_number: str | None = None

    @property
    def creditor(self) -> Creditor:
        return creditors.of_invoice(self.invoice.creditor, self.invoice.currency)

    @property
    def sign(self) -> int:
        return -1 if self.invoice.kind == InvoiceKind.credit_note else 1

    @property
    def payable(self) -> bool:
        invoice = self.invoice
        return (
            invoice.kind == InvoiceKind.invoice
            and invoice.status in PAYABLE
            and invoice.amount_due_minor > 0
        )


def _debtor(address: dict[str, Any]) -> dict[str, str] | None:
    """The payer for the slip, when its address is complete enough (else the slip leaves it
    blank for the payer to fill in)."""
    fields = {
        "name": str(address.get("name") or "")[:70],
        "street": str(address.get("line1") or "")[:70],
        "pcode": str(address.get("postal_code") or "")[:16],
        "city": str(address.get("city") or "")[:35],
        "country": str(address.get("country") or "")[:2],
    }
    if not all(fields[name] for name in ("name", "pcode", "city", "country")):
        return None
    return {name: value for name, value in fields.items() if value}


def qr_bill(invoice: Invoice) -> QRBill:
    """The Swiss QR-bill of a CHF invoice for the amount still due."""
    creditor = creditors.of_invoice(invoice.creditor, invoice.currency)
    return QRBill(
        account=creditor.account,
        creditor={
            "name": creditor.name[:70],
            "street": creditor.street[:70],
            "house_num": creditor.building[:16],
            "pcode": creditor.postal_code[:16],
            "city": creditor.town[:35],
            "country": creditor.country[:2],
        },
        amount=to_decimal_text(invoice.amount_due_minor),
        currency=invoice.currency,
        debtor=_debtor(invoice.billing_address),
        reference_number=invoice.payment_reference,
        additional_information=f"Invoice {invoice.number}",
    )


def invoice_qr_payload(invoice: Invoice) -> str:
    """The QR-bill's code content (``SPC`` … ``EPD``, CR LF separated, UTF-8)."""
    return str(qr_bill(invoice).qr_data())


def epc_qr(invoice: Invoice) -> segno.QRCode:
    """The EPC QR code (SEPA credit transfer) of a EUR invoice for the amount still due."""
    creditor = creditors.of_invoice(invoice.creditor, invoice.currency)
    return segno.helpers.make_epc_qr(
        name=creditor.name[:70],
        iban=creditor.account,
        amount=Decimal(to_decimal_text(invoice.amount_due_minor)),
        reference=references.normalize(invoice.payment_reference or ""),
        bic=creditor.bic or None,
        encoding="utf-8",
    )


def _iban_grouped(iban: str) -> str:
    compact = "".join(iban.split())
    return " ".join(compact[i : i + 4] for i in range(0, len(compact), 4))


def _date(moment: datetime | None) -> str:
    return moment.date().isoformat() if moment else ""


class InvoicePdf(FPDF):
    """An A4 page in mm with the Unicode typeface for the invoice's text (the payment part of a
    QR-bill keeps Helvetica, as the Swiss Payment Standards require)."""

    def __init__(self) -> None:
        super().__init__(format="A4", unit="mm")
        self.face: Typeface = typeface(self)


def render(document: Document) -> bytes:
    pdf = InvoicePdf()
    pdf.set_auto_page_break(auto=True, margin=20)
    invoice = document.invoice
    title = "Credit note" if invoice.kind == InvoiceKind.credit_note else "Invoice"
    pdf.set_title(f"{title} {invoice.number}")
    pdf.add_page()
    _header(pdf, document)
    _lines_table(pdf, document)
    if document.payable and invoice.currency == "CHF":
        pdf.add_page()
        _qr_bill(pdf, invoice)
    elif document.payable:
        _sepa_details(pdf, invoice)
    return bytes(pdf.output())


def invoice_pdf(
    invoice: Invoice, lines: Sequence[InvoiceLine], *, corrects_number: str | None = None
) -> bytes:
    return render(Document(invoice, lines, corrects_number))


def _text(
    document: InvoicePdf, text: str, *, size: float = 10, bold: bool = False, h: float = 5
) -> None:
    document.set_font(document.face.family, "B" if bold else "", size)
    document.cell(0, h, document.face.text(text), new_x="LMARGIN", new_y="NEXT")


def _header(pdf: InvoicePdf, document: Document) -> None:
    invoice = document.invoice
    creditor = document.creditor
    _text(pdf, creditor.name, size=12, bold=True)
    _text(pdf, creditor.address_line + f", {creditor.country}", size=9)
    if creditor.vat_number:
        _text(pdf, f"VAT No. {creditor.vat_number}", size=9)
    pdf.ln(8)
    address = invoice.billing_address
    for part in (
        address.get("name"),
        address.get("line1"),
        address.get("line2"),
        f"{address.get('postal_code', '')} {address.get('city', '')}".strip(),
        address.get("country") if address.get("line1") else None,
        address.get("email"),
    ):
        if part:
            _text(pdf, str(part))
    if address.get("vat_number"):
        _text(pdf, f"VAT No. {address['vat_number']}", size=9)
    pdf.ln(8)
    is_credit = invoice.kind == InvoiceKind.credit_note
    _text(pdf, f"{'Credit note' if is_credit else 'Invoice'} {invoice.number}", size=16, bold=True)
    if is_credit and document.corrects_number:
        _text(pdf, f"Corrects invoice {document.corrects_number}")
    _text(pdf, f"Date: {_date(invoice.issued_at)}")
    _text(pdf, f"Date of supply: {_date(invoice.supplied_at or invoice.issued_at)}")
    if invoice.due_at and not is_credit:
        _text(pdf, f"Due: {_date(invoice.due_at)}")
    if invoice.payment_reference:
        _text(pdf, f"Reference: {references.grouped(invoice.payment_reference)}")
    stamp = STAMPS.get(InvoiceStatus(invoice.status)) if not is_credit else None
    if stamp:
        _text(pdf, stamp, size=14, bold=True, h=8)
    pdf.ln(4)


def _period(line: InvoiceLine) -> str:
    if line.period_start is None:
        return ""
    if line.period_end is None or line.period_end.date() == line.period_start.date():
        return _date(line.period_start)
    return f"{_date(line.period_start)} - {_date(line.period_end)}"


def _lines_table(pdf: InvoicePdf, document: Document) -> None:
    invoice, sign = document.invoice, document.sign
    face = pdf.face
    widths = (70, 30, 12, 22, 16, 30)
    pdf.set_font(face.family, "B", 9)
    headings = ("Description", "Service period", "Qty", "Net", "VAT", f"Total {invoice.currency}")
    for width, heading in zip(widths, headings, strict=True):
        pdf.cell(width, 6, heading, border="B")
    pdf.ln()
    pdf.set_font(face.family, "", 8)
    for line in document.lines:
        pdf.cell(widths[0], 6, face.text(line.description)[:48])
        pdf.cell(widths[1], 6, _period(line))
        pdf.cell(widths[2], 6, str(line.quantity), align="R")
        pdf.cell(widths[3], 6, to_decimal_text(sign * line.net_minor), align="R")
        pdf.cell(widths[4], 6, f"{line.vat_rate_bp / 100:g} %", align="R")
        pdf.cell(widths[5], 6, to_decimal_text(sign * line.total_minor), align="R")
        pdf.ln()
    pdf.ln(3)
    pdf.set_font(face.family, "", 9)
    totals = [
        ("Subtotal (excl. VAT)", invoice.subtotal_minor),
        (f"VAT ({invoice.vat_country})", invoice.vat_minor),
        (f"Total {invoice.currency}", invoice.total_minor),
    ]
    if invoice.kind == InvoiceKind.invoice:
        totals.append(("Paid", invoice.paid_minor))
    for label, amount in totals:
        pdf.cell(sum(widths[:5]), 6, label, align="R")
        pdf.cell(widths[5], 6, to_decimal_text(sign * amount), align="R")
        pdf.ln()
    if invoice.kind == InvoiceKind.invoice and invoice.status in PAYABLE:
        pdf.set_font(face.family, "B", 10)
        pdf.cell(sum(widths[:5]), 7, f"Amount due {invoice.currency}", align="R")
        pdf.cell(widths[5], 7, to_decimal_text(invoice.amount_due_minor), align="R")
        pdf.ln()


def _qr_image(code: segno.QRCode) -> io.BytesIO:
    buffer = io.BytesIO()
    code.save(buffer, kind="png", scale=10, border=0)
    buffer.seek(0)
    return buffer


def _sepa_details(pdf: InvoicePdf, invoice: Invoice) -> None:
    """IBAN, BIC and RF reference of a EUR invoice, with its EPC QR code."""
    creditor = creditors.of_invoice(invoice.creditor, invoice.currency)
    pdf.ln(6)
    _text(pdf, "Payment by SEPA credit transfer", size=11, bold=True)
    top = pdf.get_y()
    for label, value in (
        ("Payable to", creditor.name),
        ("IBAN", _iban_grouped(creditor.account)),
        ("BIC", creditor.bic or ""),
        ("Reference", references.grouped(invoice.payment_reference or "")),
        ("Amount", f"{invoice.currency} {to_decimal_text(invoice.amount_due_minor)}"),
    ):
        if value:
            _text(pdf, f"{label}: {value}", size=9)
    pdf.image(_qr_image(epc_qr(invoice)), x=150, y=top, w=40, h=40)


def _qr_bill(pdf: FPDF, invoice: Invoice) -> None:
    """The receipt (62 mm) and payment part (148 mm) on the bottom 105 mm of an A4 page."""
    bill = qr_bill(invoice)
    code = segno.make(bill.qr_data(), error="m", micro=False, encoding="utf-8")
    creditor = creditors.of_invoice(invoice.creditor, invoice.currency)
    top = 297 - 105
    pdf.set_auto_page_break(auto=False)
    pdf.set_draw_color(0, 0, 0)
    pdf.set_dash_pattern(dash=1, gap=1)
    pdf.line(0, top, 210, top)
    pdf.line(62, top, 62, 297)
    pdf.set_dash_pattern()
    account = [
        _iban_grouped(creditor.account),
        creditor.name,
        f"{creditor.street} {creditor.building}".strip(),
        f"{creditor.postal_code} {creditor.town}",
    ]
    debtor = _debtor(invoice.billing_address)
    payer = (
        [debtor["name"], debtor.get("street", ""), f"{debtor['pcode']} {debtor['city']}"]
        if debtor
        else []
    )
    reference = references.grouped(invoice.payment_reference or "")
    amount = _grouped_amount(invoice.amount_due_minor)

    def block(x: float, y: float, heading: str, values: Sequence[str], size: float) -> float:
        pdf.set_xy(x, y)
        pdf.set_font("helvetica", "B", size - 2)
        pdf.cell(0, 3.5, heading)
        y += 3.5
        pdf.set_font("helvetica", "", size)
        for value in values:
            pdf.set_xy(x, y)
            pdf.cell(0, 3.8, _latin1(value))
            y += 3.8
        return y + 2

    payer_heading = "Payable by" if payer else "Payable by (name/address)"
    # Receipt
    pdf.set_xy(5, top + 5)
    pdf.set_font("helvetica", "B", 11)
    pdf.cell(0, 5, "Receipt")
    y = block(5, top + 12, "Account / Payable to", account, 8)
    y = block(5, y, "Reference", [reference], 8)
    block(5, y, payer_heading, payer, 8)
    block(5, top + 68, "Currency", [invoice.currency], 8)
    block(20, top + 68, "Amount", [amount], 8)
    pdf.set_xy(38, top + 82)
    pdf.set_font("helvetica", "B", 6)
    pdf.cell(0, 3, "Acceptance point")

    # Payment part
    pdf.set_xy(67, top + 5)
    pdf.set_font("helvetica", "B", 11)
    pdf.cell(0, 5, "Payment part")
    qr_x, qr_y = 67.0, top + 17.0
    pdf.image(_qr_image(code), x=qr_x, y=qr_y, w=46, h=46)
    _swiss_cross(pdf, qr_x + 23 - 3.5, qr_y + 23 - 3.5)
    block(67, top + 68, "Currency", [invoice.currency], 10)
    block(85, top + 68, "Amount", [amount], 10)
    y = block(118, top + 5, "Account / Payable to", account, 10)
    y = block(118, y, "Reference", [reference], 10)
    y = block(118, y, "Additional information", [f"Invoice {invoice.number}"], 10)
    block(118, y, payer_heading, payer, 10)


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
