"""Check-in lists: set up per event by the office's managers
(/v1/organizations/…/events/{event_id}/checkin-lists), scanned by their devices with a device token
(/v1/checkin/scans, header X-Device-Token: the token reaches nothing else)."""

import uuid
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, status

from app.accounts.deps import PUBLIC
from app.core.db import Session
from app.core.errors import raises
from app.core.pagination import Page, Pagination, page_of, paginate
from app.core.routing import AppRoute, declares
from app.ticketing import checkin_lists, offices
from app.ticketing.deps import READ, WRITE, OfficeController, OfficeManager
from app.ticketing.errors import (
    CheckinDeviceNotFound,
    CheckinListInvalid,
    CheckinListNotFound,
    DeviceTokenInvalid,
    EventNotFound,
    PerformanceNotFound,
)
from app.ticketing.models import CheckinDevice, CheckinList, TicketOffice
from app.ticketing.router import OFFICE
from app.ticketing.sales_schemas import (
    CheckinCount,
    CheckinDeviceCreate,
    CheckinDeviceRead,
    CheckinListCreate,
    CheckinListRead,
    CheckinScanCreate,
    CheckinScanRead,
    CreatedCheckinDevice,
)

router = APIRouter(
    prefix="/organizations/{organization_id}/ticket-offices/{ticket_office_id}/events/{event_id}"
    "/checkin-lists",
    tags=["checkin"],
    route_class=AppRoute,
)
device_router = APIRouter(prefix="/checkin", tags=["checkin"], route_class=AppRoute)


@dataclass(frozen=True)
class DeviceAccess:
    device: CheckinDevice
    checkin_list: CheckinList
    office: TicketOffice


@raises(DeviceTokenInvalid)
async def device_access(
    session: Session, x_device_token: Annotated[str, Header(max_length=200)]
) -> DeviceAccess:
    return DeviceAccess(*await checkin_lists.device_by_token(session, x_device_token))


Device = Annotated[DeviceAccess, Depends(device_access)]


@router.post("", status_code=status.HTTP_201_CREATED)
@declares(WRITE, *OFFICE, EventNotFound, CheckinListInvalid, 422)
async def create_checkin_list(
    event_id: uuid.UUID, body: CheckinListCreate, office: OfficeManager, session: Session
) -> CheckinListRead:
    """Creates a check-in list of the event: an entrance, or the price categories it admits (all
    when none is given), scanned by its own devices. Needs the `manage` right; a category of
    another event, or a 51st list, is refused (422 `checkin_list_invalid`)."""
    event = await offices.get_event(session, office.office.id, event_id, for_update=True)
    created = await checkin_lists.create_list(
        session, office.office, event, body=body, by=office.actor
    )
    return CheckinListRead.model_validate(created)


@router.get("", response_model=Page[CheckinListRead])
@declares(READ, *OFFICE, EventNotFound)
async def list_checkin_lists(
    event_id: uuid.UUID, office: OfficeController, session: Session
) -> dict[str, Any]:
    """The event's check-in lists, oldest first, all in one page (an event has at most 50:
    `next_cursor` is null and `has_more` false). Needs the `check` right."""
    event = await offices.get_event(session, office.office.id, event_id)
    found = await checkin_lists.lists_of(session, event)
    return page_of([CheckinListRead.model_validate(row) for row in found], None)


@router.post("/{checkin_list_id}/devices", status_code=status.HTTP_201_CREATED)
@declares(WRITE, *OFFICE, EventNotFound, CheckinListNotFound, 422)
async def add_device(
    event_id: uuid.UUID,
    checkin_list_id: uuid.UUID,
    body: CheckinDeviceCreate,
    office: OfficeManager,
    session: Session,
) -> CreatedCheckinDevice:
    """Registers a scanning device of the list and answers its token, shown this once: the
    device sends it as `X-Device-Token` to `/v1/checkin/scans`, and it reaches nothing else.
    Needs the `manage` right."""
    event = await offices.get_event(session, office.office.id, event_id)
    checkin_list = await checkin_lists.get_list(session, event, checkin_list_id)
    device, token = await checkin_lists.add_device(
        session, office.office, checkin_list, body=body, by=office.actor
    )
    return CreatedCheckinDevice(
        id=device.id,
        checkin_list_id=device.checkin_list_id,
        name=device.name,
        created_at=device.created_at,
        token=token,
    )


@router.get("/{checkin_list_id}/devices", response_model=Page[CheckinDeviceRead])
@declares(READ, *OFFICE, EventNotFound, CheckinListNotFound, 422)
async def list_devices(
    event_id: uuid.UUID,
    checkin_list_id: uuid.UUID,
    office: OfficeManager,
    session: Session,
    page: Pagination,
) -> dict[str, Any]:
    """The list's devices, newest first, revoked ones with the date they were revoked (their
    tokens are never shown again). Needs the `manage` right."""
    event = await offices.get_event(session, office.office.id, event_id)
    checkin_list = await checkin_lists.get_list(session, event, checkin_list_id)
    rows, cursor = await paginate(session, checkin_lists.devices_of(checkin_list), page)
    return page_of([CheckinDeviceRead.model_validate(device) for device in rows], cursor)


@router.post("/{checkin_list_id}/devices/{device_id}/revoke")
@declares(WRITE, *OFFICE, EventNotFound, CheckinListNotFound, CheckinDeviceNotFound)
async def revoke_device(
    event_id: uuid.UUID,
    checkin_list_id: uuid.UUID,
    device_id: uuid.UUID,
    office: OfficeManager,
    session: Session,
) -> CheckinDeviceRead:
    """Revokes a device: its token is refused (401 `device_token_invalid`) from its very next
    scan. Needs the `manage` right."""
    event = await offices.get_event(session, office.office.id, event_id)
    checkin_list = await checkin_lists.get_list(session, event, checkin_list_id)
    device = await checkin_lists.revoke_device(
        session, office.office, checkin_list, device_id, by=office.actor
    )
    return CheckinDeviceRead.model_validate(device)


@router.get("/{checkin_list_id}/count")
@declares(READ, *OFFICE, EventNotFound, CheckinListNotFound, 422)
async def checkin_count(
    event_id: uuid.UUID,
    checkin_list_id: uuid.UUID,
    performance_id: uuid.UUID,
    office: OfficeController,
    session: Session,
) -> CheckinCount:
    """The list's live count for a performance of the event: tickets inside now, accepted
    entries and exits. Needs the `check` right."""
    event = await offices.get_event(session, office.office.id, event_id)
    checkin_list = await checkin_lists.get_list(session, event, checkin_list_id)
    return await checkin_lists.count(session, checkin_list, performance_id)


@device_router.post("/scans")
@declares(PUBLIC, PerformanceNotFound, 422)
async def device_scan(body: CheckinScanCreate, device: Device, session: Session) -> CheckinScanRead:
    """An entry or exit scan by a check-in list's device, authenticated by its
    `X-Device-Token` (no user token): accepted, or refused with the reason (`result`: not on
    this list, already inside, not inside, cancelled, unpaid…). Accepted entries mark the
    ticket checked in; every scan is kept."""
    return await checkin_lists.scan(
        session,
        device.office,
        device.checkin_list,
        device.device,
        performance_id=body.performance_id,
        number=body.ticket_number,
        direction=body.direction,
    )
