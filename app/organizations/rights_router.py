"""/v1/organizations/{organization_id}: product grants and teams."""

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Query, status

from app.core.db import Session
from app.core.pagination import InvalidCursor, Page, Pagination, page_of, paginate
from app.core.routing import AppRoute, declares
from app.organizations import rights
from app.organizations.errors import (
    GrantConflict,
    GrantNotFound,
    MemberNotFound,
    ProductNotFound,
    RightNotApplicable,
    TeamMemberNotFound,
    TeamNameTaken,
    TeamNotFound,
)
from app.organizations.permissions import (
    ACCESS_ERRORS,
    MANAGER_ERRORS,
    READ,
    WRITE,
    Manager,
    Member,
)
from app.organizations.schemas import (
    EffectiveRights,
    FullAccess,
    GrantCreate,
    GrantRead,
    GrantUpdate,
    TeamMemberAdd,
    TeamRead,
    TeamUpdate,
    TeamWrite,
)

router = APIRouter(tags=["rights"], route_class=AppRoute)
teams_router = APIRouter(tags=["teams"], route_class=AppRoute)
NO_CONTENT = status.HTTP_204_NO_CONTENT
SUBJECT_ERRORS = (MemberNotFound, TeamNotFound)


@router.get("/{organization_id}/grants", response_model=Page[GrantRead])
@declares(READ, *MANAGER_ERRORS, InvalidCursor)
async def list_grants(
    access: Manager,
    session: Session,
    page: Pagination,
    account_id: Annotated[
        uuid.UUID | None, Query(description="Only the grants this member holds itself.")
    ] = None,
    team_id: Annotated[uuid.UUID | None, Query(description="Only this team's grants.")] = None,
    product_id: Annotated[
        uuid.UUID | None, Query(description="Only the grants of scope `product` on this product.")
    ] = None,
) -> dict[str, Any]:
    """The organization's grants (rights given to members and teams on a product, a product
    type or every product), newest first. Legal representatives and administrators."""
    statement = rights.grants_of(
        access.organization.id, account_id=account_id, team_id=team_id, product_id=product_id
    )
    rows, cursor = await paginate(session, statement, page)
    return page_of([GrantRead.model_validate(row) for row in rows], cursor)


@router.post("/{organization_id}/grants", status_code=status.HTTP_201_CREATED)
@declares(
    WRITE, *MANAGER_ERRORS, *SUBJECT_ERRORS, ProductNotFound, GrantConflict, RightNotApplicable, 422
)
async def grant(body: GrantCreate, access: Manager, session: Session) -> GrantRead:
    """Sets a member's or team's rights on a product, a product type (optionally with the
    products of that type added later) or every product; replaces an earlier grant of the
    subject on the same target. `sell` and `check` exist for ticket offices only (422
    `right_not_applicable`). Legal representatives and administrators; applies from the next
    request and emits `rights.changed`."""
    found = await rights.grant(
        session,
        access.organization,
        account_id=body.account_id,
        team_id=body.team_id,
        scope=body.scope,
        product_id=body.product_id,
        product_type=body.product_type,
        include_future=body.include_future,
        rights=body.rights,
        by=access.actor,
    )
    return GrantRead.model_validate(found)


@router.post("/{organization_id}/grants/full-access", status_code=status.HTTP_201_CREATED)
@declares(WRITE, *MANAGER_ERRORS, *SUBJECT_ERRORS, GrantConflict)
async def grant_full_access(body: FullAccess, access: Manager, session: Session) -> GrantRead:
    """Gives a member or team every right on every product, present and future, in one grant
    (scope `all`). Legal representatives and administrators; emits `rights.changed`."""
    found = await rights.full_access(
        session,
        access.organization,
        account_id=body.account_id,
        team_id=body.team_id,
        by=access.actor,
    )
    return GrantRead.model_validate(found)


@router.patch("/{organization_id}/grants/{grant_id:uuid}")
@declares(WRITE, *MANAGER_ERRORS, GrantNotFound, RightNotApplicable, 422)
async def update_grant(
    grant_id: uuid.UUID, body: GrantUpdate, access: Manager, session: Session
) -> GrantRead:
    """Changes a grant's rights or whether it covers products added later; only the fields
    sent change. Legal representatives and administrators; emits `rights.changed`."""
    found = await rights.update_grant(
        session,
        access.organization,
        grant_id,
        rights=body.rights,
        include_future=body.include_future,
        by=access.actor,
    )
    return GrantRead.model_validate(found)


@router.delete("/{organization_id}/grants/{grant_id:uuid}", status_code=NO_CONTENT)
@declares(WRITE, *MANAGER_ERRORS, GrantNotFound)
async def revoke_grant(grant_id: uuid.UUID, access: Manager, session: Session) -> None:
    """Withdraws a grant: its holder keeps only what its role and other grants give, from the
    next request. Legal representatives and administrators; emits `rights.changed`."""
    await rights.revoke_grant(session, access.organization, grant_id, by=access.actor)


@router.get("/{organization_id}/members/{account_id}/rights", response_model=Page[EffectiveRights])
@declares(READ, *MANAGER_ERRORS, MemberNotFound)
async def member_rights(account_id: uuid.UUID, access: Manager, session: Session) -> dict[str, Any]:
    """What the member can do with each product now (its role, its own grants and its teams'
    together, the management lock applied), oldest product first; products it cannot reach
    are left out. Legal representatives and administrators. One page holds every product:
    `next_cursor` is always null and `has_more` false."""
    return page_of(await rights.effective_rights(session, access.organization.id, account_id), None)


@router.get("/{organization_id}/my-rights", response_model=Page[EffectiveRights])
@declares(READ, *ACCESS_ERRORS)
async def my_rights(access: Member, session: Session) -> dict[str, Any]:
    """What the caller can do with each product it reaches, oldest product first, whether
    as a member, partner staff or support staff. Anyone with access to the organization. One
    page holds every product: `next_cursor` is always null and `has_more` false."""
    return page_of(await rights.my_rights(session, access), None)


@teams_router.get(
    "/{organization_id}/teams", operation_id="teams-list", response_model=Page[TeamRead]
)
@declares(READ, *MANAGER_ERRORS, InvalidCursor)
async def list_teams(access: Manager, session: Session, page: Pagination) -> dict[str, Any]:
    """The organization's teams with their members, newest first. Legal representatives and
    administrators."""
    rows, cursor = await paginate(
        session,
        rights.teams_of(access.organization.id),
        page,
    )
    return page_of([await rights.team_read(session, row) for row in rows], cursor)


@teams_router.post(
    "/{organization_id}/teams", operation_id="teams-create", status_code=status.HTTP_201_CREATED
)
@declares(WRITE, *MANAGER_ERRORS, TeamNameTaken)
async def create_team(body: TeamWrite, access: Manager, session: Session) -> TeamRead:
    """Creates an empty team; grants given to it then apply to each of its members. Names
    are unique in the organization (409 `team_name_taken`). Legal representatives and
    administrators; emits `team.created`."""
    found = await rights.create_team(
        session,
        access.organization,
        name=body.name,
        description=body.description,
        by=access.actor,
    )
    return await rights.team_read(session, found)


@teams_router.get("/{organization_id}/teams/{team_id}", operation_id="teams-read")
@declares(READ, *MANAGER_ERRORS, TeamNotFound)
async def read_team(team_id: uuid.UUID, access: Manager, session: Session) -> TeamRead:
    """One team with its members. Legal representatives and administrators."""
    return await rights.team_read(
        session, await rights.get_team(session, access.organization.id, team_id)
    )


@teams_router.patch("/{organization_id}/teams/{team_id}", operation_id="teams-update")
@declares(WRITE, *MANAGER_ERRORS, TeamNotFound, TeamNameTaken)
async def update_team(
    team_id: uuid.UUID, body: TeamUpdate, access: Manager, session: Session
) -> TeamRead:
    """Renames a team or changes its description; only the fields sent change. Legal
    representatives and administrators; emits `team.updated`."""
    found = await rights.get_team(session, access.organization.id, team_id)
    await rights.update_team(
        session, access.organization, found, body.model_dump(exclude_unset=True), by=access.actor
    )
    return await rights.team_read(session, found)


@teams_router.delete(
    "/{organization_id}/teams/{team_id}", operation_id="teams-delete", status_code=NO_CONTENT
)
@declares(WRITE, *MANAGER_ERRORS, TeamNotFound)
async def delete_team(team_id: uuid.UUID, access: Manager, session: Session) -> None:
    """Deletes the team and its grants: its members keep only their own rights, from the next
    request. Legal representatives and administrators; emits `team.deleted`."""
    found = await rights.get_team(session, access.organization.id, team_id)
    await rights.delete_team(session, access.organization, found, by=access.actor)


@teams_router.post("/{organization_id}/teams/{team_id}/members", operation_id="teams-add_member")
@declares(WRITE, *MANAGER_ERRORS, TeamNotFound, MemberNotFound)
async def add_team_member(
    team_id: uuid.UUID, body: TeamMemberAdd, access: Manager, session: Session
) -> TeamRead:
    """Adds a member of the organization to the team: it holds the team's grants from the
    next request. Legal representatives and administrators; emits `team.updated`."""
    found = await rights.get_team(session, access.organization.id, team_id)
    await rights.add_team_member(
        session, access.organization, found, body.account_id, by=access.actor
    )
    return await rights.team_read(session, found)


@teams_router.delete(
    "/{organization_id}/teams/{team_id}/members/{account_id}",
    operation_id="teams-remove_member",
    status_code=NO_CONTENT,
)
@declares(WRITE, *MANAGER_ERRORS, TeamNotFound, TeamMemberNotFound)
async def remove_team_member(
    team_id: uuid.UUID, account_id: uuid.UUID, access: Manager, session: Session
) -> None:
    """Takes a member out of the team: it loses the team's grants from the next request.
    Legal representatives and administrators; emits `team.updated`."""
    found = await rights.get_team(session, access.organization.id, team_id)
    await rights.remove_team_member(
        session, access.organization, found, account_id, by=access.actor
    )
