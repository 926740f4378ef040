"""/v1/organizations: the organizations themselves; every organization-scoped router is
included here, and the routes that are not organization-scoped in ``public_router``."""

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Query, Response, UploadFile, status

from app.accounts.deps import CurrentAccount
from app.accounts.errors import AccountNotFound, InsufficientScope
from app.activity import service as activity
from app.core.db import Session
from app.core.errors import problem_responses
from app.core.pagination import InvalidCursor, Page, Pagination, page_of, paginate
from app.core.routing import AppRoute, declares
from app.core.schemas import Instant
from app.organizations import (
    details,
    invitations_router,
    members,
    members_router,
    partners_router,
    platform_router,
    products_router,
    rights_router,
    service,
    support_router,
)
from app.organizations.errors import (
    BillingAddressNotFound,
    FieldRequired,
    LogoNotFound,
    LogoTooLarge,
    LogoTypeNotSupported,
    MemberNotFound,
)
from app.organizations.permissions import (
    ACCESS_ERRORS,
    MANAGER_ERRORS,
    READ,
    WRITE,
    BillingManager,
    LegalRepresentative,
    Manager,
    Member,
    OrganizationAccess,
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


def my_organization(access: OrganizationAccess) -> MyOrganization:
    return MyOrganization.model_validate(
        {
            **OrganizationRead.model_validate(access.organization).model_dump(),
            "role": access.role,
            "via": access.via.value,
        }
    )


@organizations_router.get(
    "", operation_id="organizations-list", response_model=Page[MyOrganization]
)
@declares(READ, 401, 403, InsufficientScope, InvalidCursor)
async def list_organizations(
    account: CurrentAccount, session: Session, page: Pagination
) -> dict[str, Any]:
    """The organizations the caller is a member of, newest first, with its role in each (not
    those it reaches as partner or support staff). Any signed-in account."""
    rows, cursor = await paginate(
        session,
        details.organizations_of(account.id),
        page,
    )
    data = [
        MyOrganization.model_validate(
            {**OrganizationRead.model_validate(organization).model_dump(), "role": role}
        )
        for organization, role in rows
    ]
    return page_of(data, cursor)


@organizations_router.post(
    "", operation_id="organizations-create", status_code=status.HTTP_201_CREATED
)
@declares(WRITE, 401, 403, InsufficientScope)
async def create_organization(
    body: OrganizationCreate, account: CurrentAccount, session: Session
) -> MyOrganization:
    """Creates another organization, whose legal representative the caller becomes; its
    currency follows the address's country (CHF in Switzerland and Liechtenstein, EUR
    elsewhere; CHF without an address). Emits `organization.created`."""
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


@organizations_router.get("/{organization_id}", operation_id="organizations-read")
@declares(READ, *ACCESS_ERRORS)
async def read_organization(access: Member) -> MyOrganization:
    """The organization's details, with the caller's role in it and how it reaches it (as a
    member, partner staff or support staff). Anyone with access to it; others get 404."""
    return my_organization(access)


@organizations_router.patch("/{organization_id}", operation_id="organizations-update")
@declares(WRITE, *MANAGER_ERRORS, FieldRequired)
async def update_organization(
    body: OrganizationUpdate, access: LegalRepresentative, session: Session
) -> MyOrganization:
    """Changes the name, type, postal address (its country sets the currency: CHF in CH and LI,
    else EUR) and phone; only the fields sent change. Legal representatives only. Emits
    `organization.updated` when something changed; the name, type and address cannot be
    removed (422 `field_required`)."""
    await details.update_details(
        session, access.organization, body.model_dump(exclude_unset=True), by=access.actor
    )
    return my_organization(access)


@organizations_router.put("/{organization_id}/logo", status_code=NO_CONTENT)
@declares(WRITE, *MANAGER_ERRORS, 400, 413, LogoTooLarge, LogoTypeNotSupported)
async def set_logo(file: UploadFile, access: LegalRepresentative, session: Session) -> None:
    """Uploads or replaces the organization's logo (multipart `file`): a PNG, JPEG or WebP
    image of at most 1 MiB (422 `logo_too_large` or `logo_type_not_supported` otherwise).
    Legal representatives only."""
    data = await file.read(details.LOGO_MAX_BYTES + 1)
    await details.set_logo(session, access.organization, data, by=access.actor)


@organizations_router.get(
    "/{organization_id}/logo",
    response_class=Response,
    responses={
        200: {"content": {"image/png": {}, "image/jpeg": {}, "image/webp": {}}},
        **problem_responses(*ACCESS_ERRORS, LogoNotFound),
    },
)
@declares(READ)
async def read_logo(access: Member, session: Session) -> Response:
    """The logo image, in the type it was uploaded in; any member may read it (cached
    privately for 5 minutes). 404 `logo_not_found` when there is none."""
    logo = await details.get_logo(session, access.organization.id)
    return Response(
        logo.data, media_type=logo.content_type, headers={"Cache-Control": "private, max-age=300"}
    )


@organizations_router.delete("/{organization_id}/logo", status_code=NO_CONTENT)
@declares(WRITE, *MANAGER_ERRORS, LogoNotFound)
async def delete_logo(access: LegalRepresentative, session: Session) -> None:
    """Removes the logo. Legal representatives only."""
    await details.remove_logo(session, access.organization, by=access.actor)


@organizations_router.get(
    "/{organization_id}/billing-addresses", response_model=Page[BillingAddressRead]
)
@declares(READ, *MANAGER_ERRORS, InvalidCursor)
async def list_billing_addresses(
    access: BillingManager, session: Session, page: Pagination
) -> dict[str, Any]:
    """The organization's extra billing addresses, newest first: one may be chosen per
    renewal instead of the postal address. Whoever handles billing (legal representatives,
    administrators, partner staff whose client included billing)."""
    rows, cursor = await paginate(
        session,
        details.billing_addresses_of(access.organization.id),
        page,
    )
    return page_of([BillingAddressRead.model_validate(row) for row in rows], cursor)


@organizations_router.post(
    "/{organization_id}/billing-addresses", status_code=status.HTTP_201_CREATED
)
@declares(WRITE, *MANAGER_ERRORS)
async def add_billing_address(
    body: BillingAddressWrite, access: BillingManager, session: Session
) -> BillingAddressRead:
    """Adds a billing address, which renewals may then be invoiced to (it changes only what is
    printed: VAT follows the organization's seat). Whoever handles billing."""
    address = await details.add_billing_address(
        session, access.organization, body.model_dump(mode="json"), by=access.actor
    )
    return BillingAddressRead.model_validate(address)


@organizations_router.get("/{organization_id}/billing-addresses/{address_id}")
@declares(READ, *MANAGER_ERRORS, BillingAddressNotFound)
async def read_billing_address(
    address_id: uuid.UUID, access: BillingManager, session: Session
) -> BillingAddressRead:
    """One billing address. Whoever handles billing."""
    return BillingAddressRead.model_validate(
        await details.get_billing_address(session, access.organization.id, address_id)
    )


@organizations_router.put("/{organization_id}/billing-addresses/{address_id}")
@declares(WRITE, *MANAGER_ERRORS, BillingAddressNotFound)
async def replace_billing_address(
    address_id: uuid.UUID, body: BillingAddressWrite, access: BillingManager, session: Session
) -> BillingAddressRead:
    """Replaces a billing address as a whole; invoices already issued keep the address they
    were issued with. Whoever handles billing."""
    address = await details.get_billing_address(
        session, access.organization.id, address_id, for_update=True
    )
    await details.update_billing_address(
        session, address, body.model_dump(mode="json"), by=access.actor
    )
    return BillingAddressRead.model_validate(address)


@organizations_router.delete(
    "/{organization_id}/billing-addresses/{address_id}", status_code=NO_CONTENT
)
@declares(WRITE, *MANAGER_ERRORS, BillingAddressNotFound)
async def delete_billing_address(
    address_id: uuid.UUID, access: BillingManager, session: Session
) -> None:
    """Deletes a billing address; invoices already issued keep the address they were issued
    with. Whoever handles billing."""
    address = await details.get_billing_address(
        session, access.organization.id, address_id, for_update=True
    )
    await details.delete_billing_address(session, address, by=access.actor)


@organizations_router.get(
    "/{organization_id}/activity",
    operation_id="organizations-activity",
    response_model=Page[OrganizationActivityRead],
)
@declares(READ, *MANAGER_ERRORS, InvalidCursor)
async def organization_activity(
    access: Manager,
    session: Session,
    page: Pagination,
    action: Annotated[
        str | None, Query(max_length=100, description="Action or prefix, e.g. `member.`")
    ] = None,
    product_id: Annotated[
        uuid.UUID | None, Query(description="Entries about this product.")
    ] = None,
    account_id: Annotated[
        uuid.UUID | None, Query(description="Entries about this account.")
    ] = None,
    actor_account_id: Annotated[uuid.UUID | None, Query(description="Entries by it.")] = None,
    actor_organization_id: Annotated[
        uuid.UUID | None, Query(description="Entries made as this organization (a partner).")
    ] = None,
    since: Annotated[Instant | None, Query(description="Entries made at or after then.")] = None,
    until: Annotated[Instant | None, Query(description="Entries made before then.")] = None,
) -> dict[str, Any]:
    """The organization's activity log: who did what, as whom (the organization or a partner
    acting for it), from which IP, when; newest first, filtered by the parameters given.
    Legal representatives and administrators."""
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


@organizations_router.post("/{organization_id}/members/{account_id}/unlock", status_code=NO_CONTENT)
@declares(WRITE, *MANAGER_ERRORS, MemberNotFound)
async def unlock_member(account_id: uuid.UUID, access: Manager, session: Session) -> None:
    """Unlocks a member's account locked after too many failed logins, so it can log in again.
    Legal representatives and administrators."""
    await members.unlock_member(session, access.organization, account_id, by=access.actor)


@organizations_router.delete(
    "/{organization_id}/members/{account_id}/sessions", status_code=NO_CONTENT
)
@declares(WRITE, *MANAGER_ERRORS, MemberNotFound, AccountNotFound)
async def end_member_sessions(account_id: uuid.UUID, access: Manager, session: Session) -> None:
    """Ends every session of a member (signed in on a lost device, leaving…): administrators
    and legal representatives; only a legal representative ends a legal representative's."""
    await members.end_member_sessions(session, access, account_id, by=access.actor)


router = APIRouter(route_class=AppRoute)
"""Everything under /v1/organizations; each route declares the organizations scope it needs."""
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
