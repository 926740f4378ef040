"""Tickets as PDF: one page per ticket with its number as a QR code (drawn as vector squares), in
a Unicode font (``core.fonts``) so every character of the event's name prints."""

from datetime import datetime
from zoneinfo import ZoneInfo

import segno
from fpdf import FPDF

from app.core.fonts import typeface
from app.core.money import format_minor
from app.ticketing import insurance
from app.ticketing.models import (
    Event,
    Performance,
    PriceCategory,
    Ticket,
    TicketOffice,
    TicketOrder,
    TicketOrderStatus,
)

QR_SIZE_MM = 50.0


def _draw_qr(pdf: FPDF, payload: str, x: float, y: float, size: float) -> None:
    qr = segno.make(payload, error="m", micro=False)
    matrix = list(qr.matrix_iter(scale=1, border=0))
    module = size / len(matrix)
    pdf.set_fill_color(0, 0, 0)
    for row, cells in enumerate(matrix):
        for column, dark in enumerate(cells):
            if dark:
                pdf.rect(x + column * module, y + row * module, module, module, style="F")


def _unpaid_notice(office: TicketOffice) -> str:
    """What a ticket of an order whose invoice is unpaid says (control honours the same rule)."""
    if office.unpaid_invoice_tickets_valid:
        return "UNPAID - invoice pending"
    return "UNPAID - not valid until the invoice is paid"


def _local(moment: datetime, time_zone: str) -> str:
    return moment.astimezone(ZoneInfo(time_zone)).strftime("%d.%m.%Y %H:%M")


def tickets_pdf(
    office: TicketOffice,
    event: Event,
    order: TicketOrder,
    tickets: list[tuple[Ticket, Performance, PriceCategory]],
) -> bytes:
    pdf = FPDF(format="A4")
    face = typeface(pdf)
    pdf.set_title(f"{event.name} - {order.number}")
    pdf.set_auto_page_break(auto=False)
    for ticket, performance, category in tickets:
        pdf.add_page()
        pdf.set_font(face.family, "B", 20)
        pdf.cell(0, 12, face.text(event.name), new_x="LMARGIN", new_y="NEXT")
        pdf.set_font(face.family, "", 12)
        lines = [
            f"{_local(performance.starts_at, office.time_zone)} - {performance.venue}",
            f"{category.name}: {format_minor(ticket.price_minor, order.currency)}",
            f"Order {order.number} - {order.customer_name}",
            *([ticket.seat_label] if ticket.seat_label else []),
            f"Ticket {ticket.number}",
            office.name,
            *insurance.document_lines(order),
        ]
        for line in lines:
            pdf.cell(0, 8, face.text(line), new_x="LMARGIN", new_y="NEXT")
        if order.status == TicketOrderStatus.pending_payment:
            pdf.set_font(face.family, "B", 14)
            pdf.cell(0, 10, face.text(_unpaid_notice(office)), new_x="LMARGIN", new_y="NEXT")
        _draw_qr(pdf, ticket.number, x=pdf.l_margin, y=pdf.get_y() + 8, size=QR_SIZE_MM)
    return bytes(pdf.output())
