"""Tickets sold elsewhere (by a reseller with its own system), imported from a CSV file so that
they are valid at control and counted in the reports.

All or nothing: every line is checked first; if any is refused, nothing is imported and the
answer lists the refused lines (``ImportRefused``). Otherwise each line becomes a paid order on
the reseller channel (payment method ``external``), its seats taken by the same conditional
updates as any sale, so a seat or the last places are sold once. An external reference is
imported once per office: the office's row is locked for the import, so two imports of one file
never both pass the check.
"""

import contextlib
import csv
import io
import uuid
from collections import Counter
from dataclasses import dataclass

from pydantic import EmailStr, TypeAdapter, ValidationError
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.activity.types import Actor
from app.core import clock
from app.core.money import share
from app.core.security.encryption import encrypt
from app.core.security.tokens import digest, new_token
from app.events import service as events
from app.ticketing import offices, orders
from app.ticketing.errors import ImportConflict, ImportFileInvalid, ImportRefused, SoldOut
from app.ticketing.models import (
    Channel,
    Event,
    ImportedSale,
    PaymentMethod,
    Performance,
    PriceCategory,
    Seat,
    Ticket,
    TicketOffice,
    TicketOrder,
    TicketOrderStatus,
    TicketStatus,
)
from app.ticketing.reseller_schemas import ImportedLine, ImportReport, RefusedLine
from app.ticketing.seat_plans import label

MAX_BYTES = 2 * 1024 * 1024
MAX_LINES = 5000
MAX_QUANTITY = 100
REQUIRED = (
    "performance_id",
    "price_category",
    "customer_name",
    "customer_email",
    "external_reference",
)
OPTIONAL = ("quantity", "section", "row", "seat", "customer_language")
LANGUAGES = frozenset({"fr", "en", "de", "it", "es"})
_EMAIL = TypeAdapter(EmailStr)


@dataclass
class _Line:
    number: int
    reference: str
    performance: Performance
    category: PriceCategory
    quantity: int
    seat: Seat | None
    name: str
    email: str
    language: str


class _Refused(Exception):
    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(detail)
        self.reason = reason
        self.detail = detail


def _rows(data: bytes) -> tuple[list[str], list[tuple[int, dict[str, str]]]]:
    if len(data) > MAX_BYTES:
        raise ImportFileInvalid("The file is larger than 2 MiB.")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ImportFileInvalid("The file is not UTF-8 text.") from None
    first = text.split("\n", 1)[0]
    delimiter = ";" if first.count(";") > first.count(",") else ","
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    try:
        header = [column.strip().lower() for column in next(reader)]
    except StopIteration:
        raise ImportFileInvalid("The file is empty.") from None
    except csv.Error as error:
        raise ImportFileInvalid(f"The file is not CSV: {error}.") from None
    missing = [column for column in REQUIRED if column not in header]
    if missing:
        raise ImportFileInvalid(
            f"Columns missing from the header: {', '.join(missing)}.", missing=missing
        )
    rows: list[tuple[int, dict[str, str]]] = []
    try:
        for values in reader:
            if not any(value.strip() for value in values):
                continue
            if len(rows) == MAX_LINES:
                raise ImportFileInvalid(f"At most {MAX_LINES} lines per file.")
            row = {
                column: (values[i].strip() if i < len(values) else "")
                for i, column in enumerate(header)
            }
            rows.append((reader.line_num, row))
    except csv.Error as error:
        raise ImportFileInvalid(f"Line {reader.line_num} is not valid CSV: {error}.") from None
    if not rows:
        raise ImportFileInvalid("The file has no line to import.")
    return header, rows


async def import_sales(
    session: AsyncSession, office: TicketOffice, data: bytes, *, by: Actor
) -> ImportReport:
    """Imports the file's sales, all or none (``office``'s row is locked by the caller)."""
    _, rows = _rows(data)
    performance_ids: set[uuid.UUID] = set()
    for _, row in rows:
        with contextlib.suppress(ValueError):
            performance_ids.add(uuid.UUID(row["performance_id"]))
    performances = {
        performance.id: performance
        for performance in await session.scalars(
            select(Performance)
            .join(Event, Event.id == Performance.event_id)
            .where(Performance.id.in_(performance_ids), Event.ticket_office_id == office.id)
        )
    }
    event_ids = {performance.event_id for performance in performances.values()}
    categories = list(
        await session.scalars(select(PriceCategory).where(PriceCategory.event_id.in_(event_ids)))
    )
    seats = {
        (seat.performance_id, seat.section.lower(), seat.row.lower(), seat.number.lower()): seat
        for seat in await session.scalars(select(Seat).where(Seat.performance_id.in_(performances)))
    }
    planned = {key[0] for key in seats}
    references = [row["external_reference"] for _, row in rows if row["external_reference"]]
    imported = set(
        await session.scalars(
            select(ImportedSale.external_reference).where(
                ImportedSale.ticket_office_id == office.id,
                ImportedSale.external_reference.in_(references),
            )
        )
    )

    seen_references: set[str] = set()
    seen_seats: set[uuid.UUID] = set()
    free = {p.id: p.capacity - p.sold for p in performances.values()}
    accepted: list[_Line] = []
    refused: list[RefusedLine] = []

    def check(number: int, row: dict[str, str]) -> _Line:
        for column in REQUIRED:
            if not row[column]:
                raise _Refused("missing_field", f"{column} is empty.")
        reference = row["external_reference"]
        if len(reference) > 100:
            raise _Refused("missing_field", "external_reference is longer than 100 characters.")
        if reference in imported:
            raise _Refused("reference_already_imported", f"{reference} was imported already.")
        if reference in seen_references:
            raise _Refused("reference_repeated", f"{reference} is on an earlier line too.")
        seen_references.add(reference)
        try:
            performance = performances[uuid.UUID(row["performance_id"])]
        except (ValueError, KeyError):
            raise _Refused("performance_unknown", "No such performance in this office.") from None
        wanted = row["price_category"].lower()
        category = next(
            (
                c
                for c in categories
                if c.event_id == performance.event_id
                and (str(c.id) == wanted or c.name.lower() == wanted)
            ),
            None,
        )
        if category is None:
            raise _Refused(
                "price_category_unknown", "No such price category (id or name) in this event."
            )
        try:
            email = _EMAIL.validate_python(row["customer_email"])
        except ValidationError:
            raise _Refused("invalid_email", "customer_email is not an e-mail address.") from None
        name = row["customer_name"][:200]
        language = (row.get("customer_language") or "").lower() or "en"
        if language not in LANGUAGES:
            language = "en"
        place = tuple(row.get(column, "").lower() for column in ("section", "row", "seat"))
        seat = None
        if performance.id in planned:
            if not all(place):
                raise _Refused(
                    "seat_required", "This performance has a seat plan: give section, row, seat."
                )
            if row.get("quantity") not in ("", "1", None):
                raise _Refused("invalid_quantity", "A line with a seat holds one ticket.")
            seat = seats.get((performance.id, *place))  # type: ignore[arg-type]
            if seat is None:
                raise _Refused("seat_unknown", "No such seat in this performance's plan.")
            if seat.price_category_id != category.id:
                raise _Refused("seat_not_in_category", "This seat is of another category.")
            if seat.ticket_id is not None or seat.id in seen_seats:
                raise _Refused("seat_taken", "This seat is sold already.")
            quantity = 1
        elif any(place):
            raise _Refused("seat_unknown", "This performance has no seat plan.")
        else:
            try:
                quantity = int(row.get("quantity") or "1")
            except ValueError:
                raise _Refused("invalid_quantity", "quantity is not a whole number.") from None
            if not 1 <= quantity <= MAX_QUANTITY:
                raise _Refused("invalid_quantity", f"quantity is from 1 to {MAX_QUANTITY}.")
        if quantity > free[performance.id]:
            raise _Refused(
                "not_enough_seats",
                f"Only {max(free[performance.id], 0)} seats left for this performance.",
            )
        free[performance.id] -= quantity
        if seat is not None:
            seen_seats.add(seat.id)
        return _Line(
            number, reference, performance, category, quantity, seat, name, email, language
        )

    for number, row in rows:
        try:
            accepted.append(check(number, row))
        except _Refused as refusal:
            refused.append(RefusedLine(line=number, reason=refusal.reason, detail=refusal.detail))
    if refused:
        raise ImportRefused(
            f"{len(refused)} of {len(rows)} lines refused: nothing was imported.",
            accepted=[line.number for line in accepted],
            refused=[line.model_dump() for line in refused],
        )
    return await _apply(session, office, accepted, by=by)


async def _apply(
    session: AsyncSession, office: TicketOffice, lines: list[_Line], *, by: Actor
) -> ImportReport:
    import_id = uuid.uuid4()
    now = clock.now()
    method = PaymentMethod.external
    commission_bp = office.commission_basis_points.get(method, 0)
    created: list[tuple[_Line, TicketOrder, list[Ticket]]] = []
    for line in lines:
        price = line.category.price_minor
        access_key = new_token(nbytes=24)
        order = TicketOrder(
            id=uuid.uuid4(),
            ticket_office_id=office.id,
            organization_id=office.organization_id,
            event_id=line.performance.event_id,
            number=orders.ticket_number()[:10],
            channel=Channel.reseller,
            status=TicketOrderStatus.paid,
            payment_method=method,
            customer_name=line.name,
            customer_email=line.email,
            customer_language=line.language,
            currency=office.currency,
            tickets_total_minor=price * line.quantity,
            insurance_fee_minor=0,
            total_minor=price * line.quantity,
            access_key_digest=digest(access_key),
            access_key_encrypted=encrypt(access_key, purpose=orders.ACCESS_KEY_PURPOSE),
            payment_reference=line.reference,
            sold_by_account_id=by.account_id,
            reminders_sent=0,
            created_at=now,
            paid_at=now,
        )
        tickets = [
            Ticket(
                id=uuid.uuid4(),
                order_id=order.id,
                performance_id=line.performance.id,
                price_category_id=line.category.id,
                number=orders.ticket_number(),
                price_minor=price,
                commission_minor=office.commission_per_ticket_minor + share(price, commission_bp),
                status=TicketStatus.valid,
                seat_label=label(line.seat) if line.seat is not None else None,
                created_at=now,
            )
            for _ in range(line.quantity)
        ]
        session.add(order)
        created.append((line, order, tickets))
    await session.flush()
    for line, order, tickets in created:
        session.add_all(tickets)
        session.add(
            ImportedSale(
                id=uuid.uuid4(),
                ticket_office_id=office.id,
                order_id=order.id,
                external_reference=line.reference,
                import_id=import_id,
                line=line.number,
                created_at=now,
            )
        )
    await session.flush()
    for line, _, tickets in created:
        if line.seat is not None:
            taken = await session.scalar(
                update(Seat)
                .where(Seat.id == line.seat.id, Seat.ticket_id.is_(None))
                .values(ticket_id=tickets[0].id)
                .returning(Seat.id)
                .execution_options(synchronize_session=False)
            )
            if taken is None:
                raise ImportConflict(
                    "A seat was sold meanwhile: nothing was imported, try again.", line=line.number
                )
    quantities: Counter[uuid.UUID] = Counter()
    for line in lines:
        quantities[line.performance.id] += line.quantity
    try:
        await orders.reserve(session, dict(quantities))
    except SoldOut as error:
        raise ImportConflict(
            "Seats were sold meanwhile: nothing was imported, try again.", **error.extra
        ) from None
    for _, order, _ in created:
        read = await orders.order_read(session, order)
        await events.emit(session, "order.created", read, organization_id=order.organization_id)
        await events.emit(session, "order.paid", read, organization_id=order.organization_id)
    await offices.record(
        session,
        by,
        "ticketing.sales_imported",
        office,
        {
            "import_id": str(import_id),
            "orders": len(created),
            "tickets": sum(line.quantity for line in lines),
        },
    )
    return ImportReport(
        import_id=import_id,
        accepted=[
            ImportedLine(
                line=line.number,
                external_reference=line.reference,
                order_id=order.id,
                order_number=order.number,
                tickets=line.quantity,
            )
            for line, order, _ in created
        ],
        tickets=sum(line.quantity for line in lines),
    )
