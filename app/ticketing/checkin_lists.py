"""Check-in lists: several per event (per entrance, per category…), each scanned by its own
devices, with entry and exit scans and a live count of who is inside.

Rules: a list admits the valid, paid (or, where the office allows, unpaid-on-invoice) tickets of
its event, of its categories when it names some, for the performance scanned. An entry flips the
ticket to inside and an exit back, each by one conditional statement on the ticket's presence row,
so two devices scanning the same ticket at once admit it once. A device's token reaches its list's
scans and nothing else; every scan is kept in the scans log with its list, device and direction.
"""

import uuid
from typing import Any

from sqlalchemy import Select, func, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from app.activity.types import Actor
from app.core import clock
from app.core.db import one_or_raise
from app.core.security.tokens import digest, new_token
from app.events import service as events
from app.ticketing import offices
from app.ticketing.errors import (
    CheckinDeviceNotFound,
    CheckinListInvalid,
    CheckinListNotFound,
    DeviceTokenInvalid,
    PerformanceNotFound,
)
from app.ticketing.models import (
    CheckinDevice,
    CheckinList,
    CheckinPresence,
    Event,
    Performance,
    PriceCategory,
    Scan,
    ScanResult,
    Ticket,
    TicketOffice,
    TicketOrder,
    TicketOrderStatus,
    TicketStatus,
)
from app.ticketing.sales_schemas import (
    CheckinCount,
    CheckinDeviceCreate,
    CheckinListCreate,
    CheckinScanRead,
)

DEVICE_TOKEN_PREFIX = "dev_"  # noqa: S105 (a prefix, not a secret)
MAX_LISTS = 50
"""Check-in lists an event may have: its list is answered whole, in one page."""


async def create_list(
    session: AsyncSession,
    office: TicketOffice,
    event: Event,
    *,
    body: CheckinListCreate,
    by: Actor,
) -> CheckinList:
    """A list of the event (whose row the caller holds locked, so the limit holds)."""
    held = await session.scalar(
        select(func.count()).select_from(CheckinList).where(CheckinList.event_id == event.id)
    )
    if (held or 0) >= MAX_LISTS:
        raise CheckinListInvalid(f"An event has at most {MAX_LISTS} check-in lists.")
    wanted = set(body.price_category_ids)
    if wanted:
        found = set(
            await session.scalars(
                select(PriceCategory.id).where(
                    PriceCategory.id.in_(wanted), PriceCategory.event_id == event.id
                )
            )
        )
        if found != wanted:
            raise CheckinListInvalid("A price category is not of this event.")
    checkin_list = CheckinList(
        id=uuid.uuid4(),
        event_id=event.id,
        name=body.name,
        price_category_ids=list(dict.fromkeys(body.price_category_ids)),
        created_at=clock.now(),
    )
    session.add(checkin_list)
    await session.flush()
    await offices.record(
        session,
        by,
        "ticketing.checkin_list_created",
        office,
        {"event_id": str(event.id), "checkin_list_id": str(checkin_list.id)},
    )
    return checkin_list


async def lists_of(session: AsyncSession, event: Event) -> list[CheckinList]:
    return list(
        await session.scalars(
            select(CheckinList)
            .where(CheckinList.event_id == event.id)
            .order_by(CheckinList.created_at, CheckinList.id)
        )
    )


async def get_list(session: AsyncSession, event: Event, list_id: uuid.UUID) -> CheckinList:
    statement = select(CheckinList).where(
        CheckinList.id == list_id, CheckinList.event_id == event.id
    )
    return await one_or_raise(session, statement, CheckinListNotFound("No such check-in list."))


async def add_device(
    session: AsyncSession,
    office: TicketOffice,
    checkin_list: CheckinList,
    *,
    body: CheckinDeviceCreate,
    by: Actor,
) -> tuple[CheckinDevice, str]:
    """A device of the list, with its secret token (shown once, kept as a digest)."""
    token = new_token(DEVICE_TOKEN_PREFIX, nbytes=24)
    device = CheckinDevice(
        id=uuid.uuid4(),
        checkin_list_id=checkin_list.id,
        name=body.name,
        token_digest=digest(token),
        created_at=clock.now(),
    )
    session.add(device)
    await session.flush()
    await offices.record(
        session,
        by,
        "ticketing.checkin_device_added",
        office,
        {"checkin_list_id": str(checkin_list.id), "device_id": str(device.id)},
    )
    return device, token


def devices_of(checkin_list: CheckinList) -> Select[CheckinDevice]:
    return select(CheckinDevice).where(CheckinDevice.checkin_list_id == checkin_list.id)


async def revoke_device(
    session: AsyncSession,
    office: TicketOffice,
    checkin_list: CheckinList,
    device_id: uuid.UUID,
    *,
    by: Actor,
) -> CheckinDevice:
    """Revokes a device of the list: its token is refused from the next scan on (every scan
    looks the token up). Revoking again changes nothing."""
    device = await one_or_raise(
        session,
        select(CheckinDevice).where(
            CheckinDevice.id == device_id, CheckinDevice.checkin_list_id == checkin_list.id
        ),
        CheckinDeviceNotFound("No such device on this list."),
        for_update=True,
    )
    if device.revoked_at is None:
        device.revoked_at = clock.now()
        await session.flush()
        await offices.record(
            session,
            by,
            "ticketing.checkin_device_revoked",
            office,
            {"checkin_list_id": str(checkin_list.id), "device_id": str(device.id)},
        )
    return device


async def device_by_token(
    session: AsyncSession, token: str
) -> tuple[CheckinDevice, CheckinList, TicketOffice]:
    row = (
        await session.execute(
            select(CheckinDevice, CheckinList, TicketOffice)
            .join(CheckinList, CheckinList.id == CheckinDevice.checkin_list_id)
            .join(Event, Event.id == CheckinList.event_id)
            .join(TicketOffice, TicketOffice.id == Event.ticket_office_id)
            .where(CheckinDevice.token_digest == digest(token), CheckinDevice.revoked_at.is_(None))
        )
    ).one_or_none()
    if row is None:
        raise DeviceTokenInvalid("No such device, or it was revoked.")
    return row[0], row[1], row[2]


def _verdict(
    office: TicketOffice,
    checkin_list: CheckinList,
    performance: Performance,
    ticket: Ticket | None,
    order: TicketOrder | None,
) -> ScanResult | None:
    """Why the ticket is refused on this list, or None."""
    if ticket is None or order is None or order.event_id != checkin_list.event_id:
        return ScanResult.unknown
    if ticket.status == TicketStatus.cancelled:
        return ScanResult.cancelled
    if ticket.performance_id != performance.id:
        return ScanResult.wrong_performance
    if checkin_list.price_category_ids and (
        ticket.price_category_id not in checkin_list.price_category_ids
    ):
        return ScanResult.not_on_list
    if (
        order.status == TicketOrderStatus.pending_payment
        and not office.unpaid_invoice_tickets_valid
    ):
        return ScanResult.unpaid
    return None


async def _flip(
    session: AsyncSession,
    checkin_list: CheckinList,
    ticket: Ticket,
    performance: Performance,
    *,
    entry: bool,
) -> bool:
    """Entry: not inside → inside; exit: inside → not inside. False if it was already so."""
    now = clock.now()
    if entry:
        statement = insert(CheckinPresence).values(
            checkin_list_id=checkin_list.id,
            ticket_id=ticket.id,
            performance_id=performance.id,
            inside=True,
            updated_at=now,
        )
        flipped = await session.scalar(
            statement.on_conflict_do_update(
                index_elements=["checkin_list_id", "ticket_id", "performance_id"],
                set_={"inside": True, "updated_at": now},
                where=CheckinPresence.inside.is_(False),
            ).returning(CheckinPresence.ticket_id)
        )
    else:
        flipped = await session.scalar(
            update(CheckinPresence)
            .where(
                CheckinPresence.checkin_list_id == checkin_list.id,
                CheckinPresence.ticket_id == ticket.id,
                CheckinPresence.performance_id == performance.id,
                CheckinPresence.inside.is_(True),
            )
            .values(inside=False, updated_at=now)
            .returning(CheckinPresence.ticket_id)
            .execution_options(synchronize_session=False)
        )
    return flipped is not None


async def scan(
    session: AsyncSession,
    office: TicketOffice,
    checkin_list: CheckinList,
    device: CheckinDevice,
    *,
    performance_id: uuid.UUID,
    number: str,
    direction: str,
) -> CheckinScanRead:
    performance = await session.scalar(
        select(Performance).where(
            Performance.id == performance_id, Performance.event_id == checkin_list.event_id
        )
    )
    if performance is None:
        raise PerformanceNotFound("No such performance.")
    normalized = number.strip().upper()
    row = (
        await session.execute(
            select(Ticket, TicketOrder)
            .join(TicketOrder, TicketOrder.id == Ticket.order_id)
            .where(Ticket.number == normalized, TicketOrder.ticket_office_id == office.id)
        )
    ).one_or_none()
    ticket, order = row if row is not None else (None, None)
    entry = direction == "entry"
    result = _verdict(office, checkin_list, performance, ticket, order)
    if result is None and ticket is not None:
        if await _flip(session, checkin_list, ticket, performance, entry=entry):
            result = ScanResult.valid
        else:
            result = ScanResult.already_inside if entry else ScanResult.not_inside
        if result == ScanResult.valid and entry and ticket.checked_in_at is None:
            await session.execute(
                update(Ticket)
                .where(Ticket.id == ticket.id, Ticket.checked_in_at.is_(None))
                .values(checked_in_at=clock.now())
                .execution_options(synchronize_session=False)
            )
    assert result is not None
    details: dict[str, Any] = {
        "checkin_list_id": str(checkin_list.id),
        "device_id": str(device.id),
        "direction": direction,
    }
    session.add(
        Scan(
            id=uuid.uuid4(),
            performance_id=performance.id,
            ticket_id=ticket.id if ticket else None,
            number=normalized[:64],
            result=result,
            by_account_id=None,
            created_at=clock.now(),
            details=details,
        )
    )
    await session.flush()
    read = CheckinScanRead(
        accepted=result == ScanResult.valid,
        result=result,
        direction=direction,
        ticket_number=normalized,
        ticket_id=ticket.id if ticket else None,
        inside=(await count(session, checkin_list, performance.id)).inside,
    )
    await events.emit(
        session,
        "ticket.scanned",
        {**read.model_dump(mode="json"), "performance_id": str(performance.id), **details},
        organization_id=office.organization_id,
    )
    return read


async def count(
    session: AsyncSession, checkin_list: CheckinList, performance_id: uuid.UUID
) -> CheckinCount:
    """Who is inside now, and the accepted entries and exits so far."""
    inside = await session.scalar(
        select(func.count()).where(
            CheckinPresence.checkin_list_id == checkin_list.id,
            CheckinPresence.performance_id == performance_id,
            CheckinPresence.inside.is_(True),
        )
    )
    direction = Scan.details["direction"].astext
    entries, exits = (
        await session.execute(
            select(
                func.count().filter(direction == "entry"), func.count().filter(direction == "exit")
            ).where(
                Scan.performance_id == performance_id,
                Scan.result == ScanResult.valid,
                Scan.details["checkin_list_id"].astext == str(checkin_list.id),
            )
        )
    ).one()
    return CheckinCount(
        checkin_list_id=checkin_list.id,
        performance_id=performance_id,
        inside=int(inside or 0),
        entries=int(entries),
        exits=int(exits),
    )
