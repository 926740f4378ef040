"""/v1/organizations: the organizations themselves; every organization-scoped router is
included here, and the routes that are not organization-scoped in ``public_router``."""

import uuid
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Response, UploadFile, status
from sqlalchemy import select

from app.accounts import auth
from app.accounts.deps import CurrentAccount
from app.activity import service as activity
from app.core.db import Session
from app.core.errors import NotFound, Unprocessable, problem_responses
from app.core.idempotency import AppRoute
from app.core.pagination import Page, Pagination, page_of, paginate
from app.organizations import (
    audit,
    invitations_router,
    members_router,
    partners_router,
    platform_router,
    products_router,
    rights_router,
    service,
    support_router,
)
from app.organizations.models import BillingAddress, Membership, Organization
from app.organizations.permissions import (
    BillingManager,
    LegalRepresentative,
    Manager,
    Member,
    OrganizationAccess,
    organization_scope,
)
from app.organizations.schemas import (
    BillingAddressRead,
    BillingAddressWrite,
    MyOrganization,
    OrganizationActivityRead,
    OrganizationCreate,
    OrganizationRead,
    OrganizationUpdate,
)

organizations_router = APIRouter(tags=["organizations"], route_class=AppRoute)
NO_CONTENT = status.HTTP_204_NO_CONTENT
LOGO_TYPES = {
    b"\x89PNG\r\n\x1a\n": "image/png",
    b"\xff\xd8\xff": "image/jpeg",
    b"RIFF": "image/webp",
}
LOGO_MAX_BYTES = 1024 * 1024


def my_organization(access: OrganizationAccess) -> MyOrganization:
    return MyOrganization.model_validate(
        {
            **OrganizationRead.model_validate(access.organization).model_dump(),
            "role": access.role,
            "via": access.via.value,
        }
    )


@organizations_router.get(
    "",
    operation_id="organizations-list",
    response_model=Page[MyOrganization],
    responses=problem_responses(400, 401, 403),
)
async def list_organizations(
    account: CurrentAccount, session: Session, page: Pagination
) -> dict[str, Any]:
    """The organizations the caller belongs to, with its role in each."""
    rows, cursor = await paginate(
        session,
        select(Organization)
        .join(Membership, Membership.organization_id == Organization.id)
        .where(Membership.account_id == account.id, Organization.deleted_at.is_(None))
        .add_columns(Membership.role),
        page,
        created_at=Organization.created_at,
        id=Organization.id,
    )
    data = [
        MyOrganization.model_validate(
            {**OrganizationRead.model_validate(organization).model_dump(), "role": role}
        )
        for organization, role in rows
    ]
    return page_of(data, cursor)


@organizations_router.post(
    "",
    operation_id="organizations-create",
    status_code=status.HTTP_201_CREATED,
    responses=problem_responses(401, 403),
)
async def create_organization(
    body: OrganizationCreate, account: CurrentAccount, session: Session
) -> MyOrganization:
    """Another organization, whose legal representative the caller is."""
    organization = await service.create_organization(
        session,
        name=body.name,
        legal_representative_id=account.id,
        kind=body.kind,
        address=body.address.model_dump() if body.address else None,
        phone=body.phone,
    )
    return MyOrganization.model_validate(
        {
            **OrganizationRead.model_validate(organization).model_dump(),
            "role": "legal_representative",
        }
    )


@organizations_router.get(
    "/{organization_id}",
    operation_id="organizations-read",
    responses=problem_responses(401, 403, 404),
)
async def read_organization(access: Member) -> MyOrganization:
    return my_organization(access)


@organizations_router.patch(
    "/{organization_id}",
    operation_id="organizations-update",
    responses=problem_responses(401, 403, 404),
)
async def update_organization(
    body: OrganizationUpdate, access: LegalRepresentative, session: Session
) -> MyOrganization:
    """Name, type, postal address (its country sets the currency: CHF in CH and LI, else EUR)
    and phone; legal representatives only."""
    changes = body.model_dump(exclude_unset=True)
    for field in ("name", "kind", "address"):
        if field in changes and changes[field] is None:
            raise Unprocessable(f"{field} cannot be removed.", code="field_required")
    changed = await service.update_details(session, access.organization, changes)
    if changed:
        await audit.record(session, access, "organization.updated", details={"fields": changed})
        await audit.emit(
            session,
            "organization.updated",
            OrganizationRead.model_validate(access.organization),
            organization_id=access.organization.id,
        )
    return my_organization(access)


@organizations_router.put(
    "/{organization_id}/logo",
    operation_id="organizations-set_logo",
    status_code=NO_CONTENT,
    responses=problem_responses(401, 403, 404, 413, 422),
)
async def set_logo(file: UploadFile, access: LegalRepresentative, session: Session) -> None:
    """A PNG, JPEG or WebP image of at most 1 MiB."""
    data = await file.read(LOGO_MAX_BYTES + 1)
    if len(data) > LOGO_MAX_BYTES:
        raise Unprocessable("The image is larger than 1 MiB.", code="logo_too_large")
    content_type = next(
        (kind for magic, kind in LOGO_TYPES.items() if data.startswith(magic)), None
    )
    if content_type == "image/webp" and data[8:12] != b"WEBP":
        content_type = None
    if content_type is None:
        raise Unprocessable(
            "The logo must be a PNG, JPEG or WebP image.", code="logo_type_not_supported"
        )
    await service.set_logo(session, access.organization, content_type=content_type, data=data)
    await audit.record(session, access, "organization.logo_updated", details={"bytes": len(data)})


@organizations_router.get(
    "/{organization_id}/logo",
    operation_id="organizations-read_logo",
    response_class=Response,
    responses={
        200: {"content": {"image/png": {}, "image/jpeg": {}, "image/webp": {}}},
        **problem_responses(401, 403, 404),
    },
)
async def read_logo(access: Member, session: Session) -> Response:
    logo = await service.logo_of(session, access.organization.id)
    if logo is None:
        raise NotFound("No logo.", code="logo_not_found")
    return Response(
        logo.data, media_type=logo.content_type, headers={"Cache-Control": "private, max-age=300"}
    )


@organizations_router.delete(
    "/{organization_id}/logo",
    operation_id="organizations-delete_logo",
    status_code=NO_CONTENT,
    responses=problem_responses(401, 403, 404),
)
async def delete_logo(access: LegalRepresentative, session: Session) -> None:
    if not await service.remove_logo(session, access.organization):
        raise NotFound("No logo.", code="logo_not_found")
    await audit.record(session, access, "organization.logo_removed")


@organizations_router.get(
    "/{organization_id}/billing-addresses",
    operation_id="organizations-list_billing_addresses",
    response_model=Page[BillingAddressRead],
    responses=problem_responses(400, 401, 403, 404),
)
async def list_billing_addresses(
    access: BillingManager, session: Session, page: Pagination
) -> dict[str, Any]:
    rows, cursor = await paginate(
        session,
        select(BillingAddress).where(BillingAddress.organization_id == access.organization.id),
        page,
        created_at=BillingAddress.created_at,
        id=BillingAddress.id,
    )
    return page_of([BillingAddressRead.model_validate(row) for row in rows], cursor)


@organizations_router.post(
    "/{organization_id}/billing-addresses",
    operation_id="organizations-add_billing_address",
    status_code=status.HTTP_201_CREATED,
    responses=problem_responses(401, 403, 404),
)
async def add_billing_address(
    body: BillingAddressWrite, access: BillingManager, session: Session
) -> BillingAddressRead:
    address = await service.add_billing_address(
        session, access.organization.id, body.model_dump(mode="json")
    )
    await audit.record(
        session, access, "billing_address.created", details={"billing_address_id": str(address.id)}
    )
    return BillingAddressRead.model_validate(address)


@organizations_router.get(
    "/{organization_id}/billing-addresses/{address_id}",
    operation_id="organizations-read_billing_address",
    responses=problem_responses(401, 403, 404),
)
async def read_billing_address(
    address_id: uuid.UUID, access: BillingManager, session: Session
) -> BillingAddressRead:
    return BillingAddressRead.model_validate(
        await service.billing_address(session, access.organization.id, address_id)
    )


@organizations_router.put(
    "/{organization_id}/billing-addresses/{address_id}",
    operation_id="organizations-replace_billing_address",
    responses=problem_responses(401, 403, 404),
)
async def replace_billing_address(
    address_id: uuid.UUID, body: BillingAddressWrite, access: BillingManager, session: Session
) -> BillingAddressRead:
    address = await service.billing_address(session, access.organization.id, address_id)
    await service.update_billing_address(session, address, body.model_dump(mode="json"))
    await audit.record(
        session, access, "billing_address.updated", details={"billing_address_id": str(address.id)}
    )
    return BillingAddressRead.model_validate(address)


@organizations_router.delete(
    "/{organization_id}/billing-addresses/{address_id}",
    operation_id="organizations-delete_billing_address",
    status_code=NO_CONTENT,
    responses=problem_responses(401, 403, 404),
)
async def delete_billing_address(
    address_id: uuid.UUID, access: BillingManager, session: Session
) -> None:
    address = await service.billing_address(session, access.organization.id, address_id)
    await session.delete(address)
    await audit.record(
        session, access, "billing_address.deleted", details={"billing_address_id": str(address_id)}
    )


@organizations_router.get(
    "/{organization_id}/activity",
    operation_id="organizations-activity",
    response_model=Page[OrganizationActivityRead],
    responses=problem_responses(400, 401, 403, 404),
)
async def organization_activity(
    access: Manager,
    session: Session,
    page: Pagination,
    action: Annotated[
        str | None, Query(max_length=100, description="Action or prefix, e.g. `member.`")
    ] = None,
    product_id: uuid.UUID | None = None,
    account_id: Annotated[
        uuid.UUID | None, Query(description="Entries about this account.")
    ] = None,
    actor_account_id: Annotated[uuid.UUID | None, Query(description="Entries by it.")] = None,
    actor_organization_id: Annotated[
        uuid.UUID | None, Query(description="Entries made as this organization (a partner).")
    ] = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> dict[str, Any]:
    """The organization's activity log: who did what, as whom, when; newest first."""
    statement = activity.query(
        organization_id=access.organization.id,
        action=action,
        product_id=product_id,
        since=since,
        until=until,
    )
    statement = activity.by_actor(
        statement,
        account_id=account_id,
        actor_account_id=actor_account_id,
        actor_organization_id=actor_organization_id,
    )
    rows, cursor = await activity.page(session, statement, page)
    return page_of([OrganizationActivityRead.model_validate(row) for row in rows], cursor)


@organizations_router.post(
    "/{organization_id}/members/{account_id}/unlock",
    operation_id="organizations-unlock_member",
    status_code=NO_CONTENT,
    responses=problem_responses(401, 403, 404),
)
async def unlock_member(account_id: uuid.UUID, access: Manager, session: Session) -> None:
    """Unlocks a member's account locked after too many failed logins."""
    if account_id not in await service.member_ids(session, access.organization.id):
        raise NotFound("No such member.", code="member_not_found")
    await auth.unlock_account(session, account_id, by=access.account_id)
    await audit.record(session, access, "member.unlocked", account_id=account_id)


router = APIRouter(route_class=AppRoute, dependencies=[Depends(organization_scope)])
"""Everything under /v1/organizations; personal access tokens need the organizations scopes."""
for _scoped in (
    organizations_router,
    members_router.router,
    rights_router.router,
    rights_router.teams_router,
    products_router.router,
    partners_router.router,
    support_router.router,
):
    router.include_router(_scoped, prefix="/organizations")

public_router = APIRouter(route_class=AppRoute)
"""Routes that are not organization-scoped: accepting invitations, platform staff."""
public_router.include_router(invitations_router.router)
public_router.include_router(platform_router.router)
