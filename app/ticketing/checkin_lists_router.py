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
    """A check-in list of the event: an entrance, or the categories it admits."""
    event = await offices.get_event(session, office.office.id, event_id)
    created = await checkin_lists.create_list(
        session, office.office, event, body=body, by=office.actor
    )
    return CheckinListRead.model_validate(created)


@router.get("")
@declares(READ, *OFFICE, EventNotFound)
async def list_checkin_lists(
    event_id: uuid.UUID, office: OfficeController, session: Session
) -> list[CheckinListRead]:
    event = await offices.get_event(session, office.office.id, event_id)
    return [CheckinListRead.model_validate(x) for x in await checkin_lists.lists_of(session, event)]


@router.post("/{checkin_list_id}/devices", status_code=status.HTTP_201_CREATED)
@declares(WRITE, *OFFICE, EventNotFound, CheckinListNotFound, 422)
async def add_device(
    event_id: uuid.UUID,
    checkin_list_id: uuid.UUID,
    body: CheckinDeviceCreate,
    office: OfficeManager,
    session: Session,
) -> CreatedCheckinDevice:
    """A scanning device of the list; its token is shown once."""
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
    tokens are never shown again)."""
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
    """Revokes a device: its token is refused from its very next scan."""
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
    """The list's live count for a performance: inside now, entries and exits."""
    event = await offices.get_event(session, office.office.id, event_id)
    checkin_list = await checkin_lists.get_list(session, event, checkin_list_id)
    return await checkin_lists.count(session, checkin_list, performance_id)


@device_router.post("/scans")
@declares(PUBLIC, PerformanceNotFound, 422)
async def device_scan(body: CheckinScanCreate, device: Device, session: Session) -> CheckinScanRead:
    """An entry or exit scan by a list's device: accepted, or refused with the reason."""
    return await checkin_lists.scan(
        session,
        device.office,
        device.checkin_list,
        device.device,
        performance_id=body.performance_id,
        number=body.ticket_number,
        direction=body.direction,
    )
