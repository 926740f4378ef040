"""Tickets as PDF: one page per ticket with its number as a QR code (drawn as vector squares)."""

from datetime import datetime
from zoneinfo import ZoneInfo

import segno
from fpdf import FPDF

from app.core.money import format_minor
from app.ticketing.models import (
    Event,
    Performance,
    PriceCategory,
    Ticket,
    TicketOffice,
    TicketOrder,
)

QR_SIZE_MM = 50.0


def _latin(text: str) -> str:
    """The core PDF fonts are Latin-1: keep what they can show, replace the rest."""
    return text.replace("\u2019", "'").encode("latin-1", "replace").decode("latin-1")


def _draw_qr(pdf: FPDF, payload: str, x: float, y: float, size: float) -> None:
    qr = segno.make(payload, error="m", micro=False)
    matrix = list(qr.matrix_iter(scale=1, border=0))
    module = size / len(matrix)
    pdf.set_fill_color(0, 0, 0)
    for row, cells in enumerate(matrix):
        for column, dark in enumerate(cells):
            if dark:
                pdf.rect(x + column * module, y + row * module, module, module, style="F")


def _local(moment: datetime, time_zone: str) -> str:
    return moment.astimezone(ZoneInfo(time_zone)).strftime("%d.%m.%Y %H:%M")


def tickets_pdf(
    office: TicketOffice,
    event: Event,
    order: TicketOrder,
    tickets: list[tuple[Ticket, Performance, PriceCategory]],
) -> bytes:
    pdf = FPDF(format="A4")
    pdf.set_title(_latin(f"{event.name} - {order.number}"))
    pdf.set_auto_page_break(auto=False)
    for ticket, performance, category in tickets:
        pdf.add_page()
        pdf.set_font("Helvetica", "B", 20)
        pdf.cell(0, 12, _latin(event.name), new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("Helvetica", "", 12)
        lines = [
            f"{_local(performance.starts_at, office.time_zone)} - {performance.venue}",
            f"{category.name}: {format_minor(ticket.price_minor, order.currency)}",
            f"Order {order.number} - {order.customer_name}",
            *([ticket.seat_label] if ticket.seat_label else []),
            f"Ticket {ticket.number}",
            office.name,
        ]
        for line in lines:
            pdf.cell(0, 8, _latin(line), new_x="LMARGIN", new_y="NEXT")
        _draw_qr(pdf, ticket.number, x=pdf.l_margin, y=pdf.get_y() + 8, size=QR_SIZE_MM)
    return bytes(pdf.output())
