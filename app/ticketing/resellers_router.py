"""/v1/organizations/{organization_id}/ticket-offices/{ticket_office_id}: resellers' quotas and
the import of tickets sold elsewhere."""

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, File, Query, UploadFile, status

from app.core.db import Session
from app.core.pagination import Page, Pagination, page_of, paginate
from app.core.routing import AppRoute, declares
from app.ticketing import imports, offices, resellers
from app.ticketing.deps import READ, WRITE, OfficeManager
from app.ticketing.errors import (
    ImportConflict,
    ImportFileInvalid,
    ImportRefused,
    NotAReseller,
    PerformanceNotFound,
    ResellerQuotaBelowSold,
    ResellerQuotaOverCapacity,
)
from app.ticketing.reseller_schemas import ImportReport, ResellerQuotaRead, ResellerQuotaSet
from app.ticketing.router import OFFICE

router = APIRouter(
    prefix="/organizations/{organization_id}/ticket-offices/{ticket_office_id}",
    tags=["ticketing"],
    route_class=AppRoute,
)


@router.put("/reseller-quotas")
@declares(
    WRITE,
    *OFFICE,
    PerformanceNotFound,
    NotAReseller,
    ResellerQuotaOverCapacity,
    ResellerQuotaBelowSold,
    422,
)
async def set_reseller_quota(
    body: ResellerQuotaSet, office: OfficeManager, session: Session
) -> ResellerQuotaRead:
    """Sets how many seats of a performance a reseller may sell (creating or changing its
    quota). A reseller is an external member of the organization holding the `sell` right on
    this office (else 422 `not_a_reseller`); it sells through the box office route, always on
    the `reseller` channel and never beyond its quota nor the performance's free seats. The
    quota is at most the performance's capacity (422 `reseller_quota_over_capacity`) and at
    least what the reseller already sold (409 `reseller_quota_below_sold`); 0 stops its sales.
    Needs the `manage` right."""
    quota = await resellers.set_quota(
        session, office.office, access=office.access, body=body, by=office.actor
    )
    return (await resellers.quota_reads(session, [quota]))[0]


@router.get("/reseller-quotas", response_model=Page[ResellerQuotaRead])
@declares(READ, *OFFICE, 422)
async def list_reseller_quotas(
    office: OfficeManager,
    session: Session,
    page: Pagination,
    account_id: Annotated[
        uuid.UUID | None, Query(description="Only this reseller's quotas.")
    ] = None,
) -> dict[str, Any]:
    """The resellers' quotas, newest first: for each reseller and performance, its quota, what
    it sold (valid tickets) and what it may still sell. Needs the `manage` right."""
    rows, cursor = await paginate(session, resellers.quotas_of(office.office.id, account_id), page)
    return page_of(await resellers.quota_reads(session, rows), cursor)


@router.post("/imports", status_code=status.HTTP_201_CREATED)
@declares(WRITE, *OFFICE, ImportFileInvalid, ImportRefused, ImportConflict, 422)
async def import_sales(
    file: Annotated[
        UploadFile,
        File(description="The CSV file (UTF-8, comma or semicolon separated, at most 2 MiB)."),
    ],
    office: OfficeManager,
    session: Session,
) -> ImportReport:
    """Imports tickets sold elsewhere (by a reseller with its own system) from a CSV file sent
    as multipart `file`; they become paid orders on the `reseller` channel (payment method
    `external`), valid at control and counted in the reports. No mail is sent: the buyers got
    their tickets from the reseller. Needs the `manage` right.

    The first line names the columns (in any order, case ignored): `performance_id`,
    `price_category` (its id or its name), `customer_name`, `customer_email`,
    `external_reference` (the sale's reference where it was made, at most 100 characters), and
    optionally `quantity` (1 to 100, default 1), `customer_language` (fr, en, de, it, es;
    default en) and, for a performance with a seat plan, `section`, `row` and `seat` (one ticket
    per line). Each line is one order; its tickets are priced at the category's price.

    All or nothing: every line is checked first (performance of this office, category of its
    event, seat existing, of that category and free, seats left, e-mail address, reference not
    imported before nor repeated in the file). If any line is refused, nothing is imported and
    the answer is 422 `import_refused` with `accepted` (the numbers of the lines that passed)
    and `refused` (for each refused line: `line`, the number in the file with the header as
    line 1, `reason`, a stable code — see RefusedLine — and `detail`). A file that is not such a
    CSV answers 422 `import_file_invalid`; seats sold by someone else during the import, 409
    `import_conflict` (nothing imported, try again). On success (201) each line is listed with
    the order it became."""
    locked = await offices.get_office(session, office.office.id, for_update=True)
    data = await file.read(imports.MAX_BYTES + 1)
    return await imports.import_sales(session, locked, data, by=office.actor)
