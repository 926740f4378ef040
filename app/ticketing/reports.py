"""Sales reports per event and performance: computed by PostgreSQL in two aggregate queries."""

import csv
import io

from sqlalchemy import and_, case, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from app.ticketing.models import Event, Performance, Ticket, TicketOffice, TicketOrder, TicketStatus
from app.ticketing.schemas import AmountByKey, EventReport, PerformanceReport

_replacement = aliased(Ticket)


def _measures() -> list:  # type: ignore[type-arg]
    valid = Ticket.status == TicketStatus.valid
    paid = TicketOrder.paid_at.is_not(None)
    return [
        func.count().filter(valid).label("sold"),
        func.count().filter(Ticket.cancellation_id.is_not(None)).label("cancelled"),
        func.count().filter(Ticket.checked_in_at.is_not(None)).label("checked_in"),
        func.coalesce(func.sum(Ticket.price_minor).filter(and_(valid, paid)), 0).label("revenue"),
    ]


async def event_report(session: AsyncSession, office: TicketOffice, event: Event) -> EventReport:
    not_replaced = (
        ~select(_replacement.id).where(_replacement.exchanged_from_id == Ticket.id).exists()
    )
    base = (
        select(Performance.id, Performance.starts_at, Performance.capacity, *_measures())
        .select_from(Performance)
        .outerjoin(Ticket, and_(Ticket.performance_id == Performance.id, not_replaced))
        .outerjoin(TicketOrder, TicketOrder.id == Ticket.order_id)
        .where(Performance.event_id == event.id)
        .group_by(Performance.id)
        .order_by(Performance.starts_at, Performance.id)
    )
    performances = [
        PerformanceReport(
            performance_id=row.id,
            starts_at=row.starts_at,
            capacity=row.capacity,
            sold=row.sold,
            cancelled=row.cancelled,
            checked_in=row.checked_in,
            revenue_minor=int(row.revenue),
            currency=office.currency,
        )
        for row in await session.execute(base)
    ]
    valid_paid = and_(Ticket.status == TicketStatus.valid, TicketOrder.paid_at.is_not(None))
    split = (
        await session.execute(
            select(
                TicketOrder.payment_method,
                TicketOrder.channel,
                func.coalesce(func.sum(case((valid_paid, Ticket.price_minor), else_=0)), 0),
                func.coalesce(
                    func.sum(
                        case((TicketOrder.paid_at.is_not(None), Ticket.commission_minor), else_=0)
                    ),
                    0,
                ),
            )
            .join(TicketOrder, TicketOrder.id == Ticket.order_id)
            .where(TicketOrder.event_id == event.id, not_replaced)
            .group_by(TicketOrder.payment_method, TicketOrder.channel)
        )
    ).all()
    by_method: dict[str, int] = {}
    by_channel: dict[str, int] = {}
    for method, channel, revenue, _ in split:
        by_method[method] = by_method.get(method, 0) + int(revenue)
        by_channel[channel] = by_channel.get(channel, 0) + int(revenue)
    return EventReport(
        event_id=event.id,
        currency=office.currency,
        sold=sum(p.sold for p in performances),
        cancelled=sum(p.cancelled for p in performances),
        checked_in=sum(p.checked_in for p in performances),
        revenue_minor=sum(p.revenue_minor for p in performances),
        revenue_by_payment_method=[
            AmountByKey(key=k, amount_minor=v, currency=office.currency)
            for k, v in sorted(by_method.items())
        ],
        revenue_by_channel=[
            AmountByKey(key=k, amount_minor=v, currency=office.currency)
            for k, v in sorted(by_channel.items())
        ],
        commissions_due_minor=sum(int(row[3]) for row in split),
        performances=performances,
    )


def report_csv(report: EventReport) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(
        [
            "performance_id",
            "starts_at",
            "capacity",
            "sold",
            "cancelled",
            "checked_in",
            "revenue_minor",
            "currency",
        ]
    )
    for p in report.performances:
        writer.writerow(
            [
                p.performance_id,
                p.starts_at.isoformat(),
                p.capacity,
                p.sold,
                p.cancelled,
                p.checked_in,
                p.revenue_minor,
                report.currency,
            ]
        )
    writer.writerow(
        [
            "total",
            "",
            "",
            report.sold,
            report.cancelled,
            report.checked_in,
            report.revenue_minor,
            report.currency,
        ]
    )
    return out.getvalue()
