"""/v1/organizations/{organization_id}: product grants and teams."""

import uuid
from typing import Any

from fastapi import APIRouter, status
from sqlalchemy import select

from app.core.db import Session
from app.core.errors import problem_responses
from app.core.idempotency import AppRoute
from app.core.pagination import Page, Pagination, page_of, paginate
from app.organizations import rights
from app.organizations.models import Grant, Product, Team
from app.organizations.permissions import (
    Manager,
    Member,
    product_rights,
    visible_products,
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
from app.organizations.types import ProductRight

router = APIRouter(tags=["rights"], route_class=AppRoute)
teams_router = APIRouter(tags=["teams"], route_class=AppRoute)
NO_CONTENT = status.HTTP_204_NO_CONTENT


@router.get(
    "/{organization_id}/grants",
    operation_id="rights-list_grants",
    response_model=Page[GrantRead],
    responses=problem_responses(400, 401, 403, 404),
)
async def list_grants(
    access: Manager,
    session: Session,
    page: Pagination,
    account_id: uuid.UUID | None = None,
    team_id: uuid.UUID | None = None,
    product_id: uuid.UUID | None = None,
) -> dict[str, Any]:
    statement = select(Grant).where(Grant.organization_id == access.organization.id)
    if account_id is not None:
        statement = statement.where(Grant.account_id == account_id)
    if team_id is not None:
        statement = statement.where(Grant.team_id == team_id)
    if product_id is not None:
        statement = statement.where(Grant.product_id == product_id)
    rows, cursor = await paginate(
        session, statement, page, created_at=Grant.created_at, id=Grant.id
    )
    return page_of([GrantRead.model_validate(row) for row in rows], cursor)


@router.post(
    "/{organization_id}/grants",
    operation_id="rights-grant",
    status_code=status.HTTP_201_CREATED,
    responses=problem_responses(401, 403, 404, 409, 422),
)
async def grant(body: GrantCreate, access: Manager, session: Session) -> GrantRead:
    """Sets a member's or team's rights on a product, a product type (optionally with the
    products of that type added later) or every product; replaces an earlier grant on the same
    target. `sell` and `check` exist for ticket offices only."""
    found = await rights.grant(
        session,
        access,
        account_id=body.account_id,
        team_id=body.team_id,
        scope=body.scope,
        product_id=body.product_id,
        product_type=body.product_type,
        include_future=body.include_future,
        rights=body.rights,
    )
    return GrantRead.model_validate(found)


@router.post(
    "/{organization_id}/grants/full-access",
    operation_id="rights-grant_full_access",
    status_code=status.HTTP_201_CREATED,
    responses=problem_responses(401, 403, 404, 409),
)
async def grant_full_access(body: FullAccess, access: Manager, session: Session) -> GrantRead:
    """Every right on every product, present and future, in one call."""
    found = await rights.full_access(
        session, access, account_id=body.account_id, team_id=body.team_id
    )
    return GrantRead.model_validate(found)


@router.patch(
    "/{organization_id}/grants/{grant_id}",
    operation_id="rights-update_grant",
    responses=problem_responses(401, 403, 404, 422),
)
async def update_grant(
    grant_id: uuid.UUID, body: GrantUpdate, access: Manager, session: Session
) -> GrantRead:
    found = await rights.update_grant(
        session, access, grant_id, rights=body.rights, include_future=body.include_future
    )
    return GrantRead.model_validate(found)


@router.delete(
    "/{organization_id}/grants/{grant_id}",
    operation_id="rights-revoke_grant",
    status_code=NO_CONTENT,
    responses=problem_responses(401, 403, 404),
)
async def revoke_grant(grant_id: uuid.UUID, access: Manager, session: Session) -> None:
    await rights.revoke_grant(session, access, grant_id)


@router.get(
    "/{organization_id}/members/{account_id}/rights",
    operation_id="rights-member_rights",
    responses=problem_responses(401, 403, 404),
)
async def member_rights(
    account_id: uuid.UUID, access: Manager, session: Session
) -> list[EffectiveRights]:
    """What the member can do with each product now: its own grants and its teams' together."""
    return await rights.effective_rights(session, access.organization.id, account_id)


@router.get(
    "/{organization_id}/my-rights",
    operation_id="rights-my_rights",
    responses=problem_responses(401, 403, 404),
)
async def my_rights(access: Member, session: Session) -> list[EffectiveRights]:
    """What the caller can do with each product it reaches."""
    products = await session.scalars(
        visible_products(access).order_by(Product.created_at, Product.id)
    )
    result = []
    for product in products:
        held = await product_rights(session, access, product)
        if held:
            result.append(
                EffectiveRights(
                    product_id=product.id,
                    product_name=product.name,
                    product_type=product.type,
                    rights=[right for right in ProductRight if right in held],
                )
            )
    return result


@teams_router.get(
    "/{organization_id}/teams",
    operation_id="teams-list",
    response_model=Page[TeamRead],
    responses=problem_responses(400, 401, 403, 404),
)
async def list_teams(access: Manager, session: Session, page: Pagination) -> dict[str, Any]:
    rows, cursor = await paginate(
        session,
        select(Team).where(Team.organization_id == access.organization.id),
        page,
        created_at=Team.created_at,
        id=Team.id,
    )
    return page_of([await rights.team_read(session, row) for row in rows], cursor)


@teams_router.post(
    "/{organization_id}/teams",
    operation_id="teams-create",
    status_code=status.HTTP_201_CREATED,
    responses=problem_responses(401, 403, 404, 409),
)
async def create_team(body: TeamWrite, access: Manager, session: Session) -> TeamRead:
    found = await rights.create_team(session, access, name=body.name, description=body.description)
    return await rights.team_read(session, found)


@teams_router.get(
    "/{organization_id}/teams/{team_id}",
    operation_id="teams-read",
    responses=problem_responses(401, 403, 404),
)
async def read_team(team_id: uuid.UUID, access: Manager, session: Session) -> TeamRead:
    return await rights.team_read(
        session, await rights.team(session, access.organization.id, team_id)
    )


@teams_router.patch(
    "/{organization_id}/teams/{team_id}",
    operation_id="teams-update",
    responses=problem_responses(401, 403, 404, 409),
)
async def update_team(
    team_id: uuid.UUID, body: TeamUpdate, access: Manager, session: Session
) -> TeamRead:
    found = await rights.team(session, access.organization.id, team_id)
    await rights.update_team(session, access, found, body.model_dump(exclude_unset=True))
    return await rights.team_read(session, found)


@teams_router.delete(
    "/{organization_id}/teams/{team_id}",
    operation_id="teams-delete",
    status_code=NO_CONTENT,
    responses=problem_responses(401, 403, 404),
)
async def delete_team(team_id: uuid.UUID, access: Manager, session: Session) -> None:
    """Deletes the team and its grants: its members keep only their own rights."""
    found = await rights.team(session, access.organization.id, team_id)
    await rights.delete_team(session, access, found)


@teams_router.post(
    "/{organization_id}/teams/{team_id}/members",
    operation_id="teams-add_member",
    responses=problem_responses(401, 403, 404),
)
async def add_team_member(
    team_id: uuid.UUID, body: TeamMemberAdd, access: Manager, session: Session
) -> TeamRead:
    found = await rights.team(session, access.organization.id, team_id)
    await rights.add_team_member(session, access, found, body.account_id)
    return await rights.team_read(session, found)


@teams_router.delete(
    "/{organization_id}/teams/{team_id}/members/{account_id}",
    operation_id="teams-remove_member",
    status_code=NO_CONTENT,
    responses=problem_responses(401, 403, 404),
)
async def remove_team_member(
    team_id: uuid.UUID, account_id: uuid.UUID, access: Manager, session: Session
) -> None:
    found = await rights.team(session, access.organization.id, team_id)
    await rights.remove_team_member(session, access, found, account_id)
