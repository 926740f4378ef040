"""Check-in lists: several per event (per entrance, per category…), each scanned by its own
devices, with entry and exit scans and a live count of who is inside.

Rules: a list admits the valid, paid (or, where the office allows, unpaid-on-invoice) tickets of
its event, of its categories when it names some, for the performance scanned, and the valid
passes covering that performance (on a list of all categories). The ticket or pass is judged and
the scan logged by ``control`` as at any control. An entry flips the holder to inside and an exit
back, each by one conditional statement on its presence row, so two devices scanning the same
ticket at once admit it once. A device's token reaches its list's
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
from app.ticketing import control, offices
from app.ticketing.errors import (
    CheckinDeviceNotFound,
    CheckinListInvalid,
    CheckinListNotFound,
    DeviceTokenInvalid,
)
from app.ticketing.models import (
    CheckinDevice,
    CheckinList,
    CheckinPresence,
    Event,
    PassPresence,
    Performance,
    PriceCategory,
    Scan,
    ScanResult,
    TicketOffice,
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


async def _flip(
    session: AsyncSession,
    checkin_list: CheckinList,
    holder: control.Holder,
    performance: Performance,
    *,
    entry: bool,
) -> bool:
    """Entry: not inside → inside; exit: inside → not inside. False if it was already so. A
    ticket's presence row or a pass's, one conditional statement either way."""
    now = clock.now()
    table: type[CheckinPresence] | type[PassPresence]
    if holder.ticket is not None:
        table, key, holder_id = CheckinPresence, "ticket_id", holder.ticket.id
    else:
        assert holder.sold_pass is not None
        table, key, holder_id = PassPresence, "sold_pass_id", holder.sold_pass.id
    holder_column = getattr(table, key)
    if entry:
        statement = insert(table).values(
            checkin_list_id=checkin_list.id,
            performance_id=performance.id,
            inside=True,
            updated_at=now,
            **{key: holder_id},
        )
        flipped = await session.scalar(
            statement.on_conflict_do_update(
                index_elements=["checkin_list_id", key, "performance_id"],
                set_={"inside": True, "updated_at": now},
                where=table.inside.is_(False),
            ).returning(holder_column)
        )
    else:
        flipped = await session.scalar(
            update(table)
            .where(
                table.checkin_list_id == checkin_list.id,
                holder_column == holder_id,
                table.performance_id == performance.id,
                table.inside.is_(True),
            )
            .values(inside=False, updated_at=now)
            .returning(holder_column)
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
    """An entry or exit of a ticket or pass on the list (``control`` judges and logs it)."""
    performance = await control.performance_of(
        session, office, performance_id, event_id=checkin_list.event_id
    )
    holder = await control.find_holder(session, office, number)
    entry = direction == "entry"
    result = control.refusal(office, performance, holder, checkin_list=checkin_list)
    if result is None:
        if await _flip(session, checkin_list, holder, performance, entry=entry):
            result = ScanResult.valid
            if entry:
                await control.admit(session, performance, holder)
        else:
            result = ScanResult.already_inside if entry else ScanResult.not_inside
    details: dict[str, Any] = {
        "checkin_list_id": str(checkin_list.id),
        "device_id": str(device.id),
        "direction": direction,
    }
    await session.flush()
    read = CheckinScanRead(
        accepted=result == ScanResult.valid,
        result=result,
        direction=direction,
        ticket_number=holder.number,
        ticket_id=holder.ticket_id,
        pass_id=holder.pass_id,
        inside=(await count(session, checkin_list, performance.id)).inside,
    )
    await control.record_scan(
        session,
        office,
        performance,
        holder,
        result=result,
        by_account_id=None,
        details=details,
        payload=read.model_dump(mode="json"),
    )
    return read


async def count(
    session: AsyncSession, checkin_list: CheckinList, performance_id: uuid.UUID
) -> CheckinCount:
    """Who is inside now (tickets and passes), who was let in at least once, and the accepted
    entries and exits so far."""
    inside = admitted = 0
    for table in (CheckinPresence, PassPresence):
        here, ever = (
            await session.execute(
                select(func.count().filter(table.inside.is_(True)), func.count()).where(
                    table.checkin_list_id == checkin_list.id,
                    table.performance_id == performance_id,
                )
            )
        ).one()
        inside += int(here)
        admitted += int(ever)
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
        inside=inside,
        entries=int(entries),
        exits=int(exits),
        admitted=admitted,
    )
