"""/v1/organizations."""

import uuid
from typing import Any

from fastapi import APIRouter, status
from sqlalchemy import select

from app.accounts import auth
from app.accounts.deps import CurrentAccount
from app.accounts.models import Account
from app.core.db import Session
from app.core.errors import NotFound, problem_responses
from app.core.idempotency import AppRoute
from app.core.pagination import Page, Pagination, page_of, paginate
from app.organizations.models import Membership, Organization
from app.organizations.permissions import Manager, Member
from app.organizations.schemas import MyOrganization, OrganizationRead

router = APIRouter(prefix="/organizations", tags=["organizations"], route_class=AppRoute)


@router.get(
    "",
    operation_id="organizations-list",
    response_model=Page[MyOrganization],
    responses=problem_responses(401, 403),
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


@router.get(
    "/{organization_id}",
    operation_id="organizations-read",
    responses=problem_responses(401, 403, 404),
)
async def read_organization(access: Member) -> OrganizationRead:
    return OrganizationRead.model_validate(access.organization)


@router.post(
    "/{organization_id}/members/{account_id}/unlock",
    operation_id="organizations-unlock_member",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=problem_responses(401, 403, 404),
)
async def unlock_member(account_id: uuid.UUID, access: Manager, session: Session) -> None:
    """Unlocks a member's account locked after too many failed logins."""
    member = await session.scalar(
        select(Account)
        .join(Membership, Membership.account_id == Account.id)
        .where(Membership.organization_id == access.organization.id, Account.id == account_id)
        .with_for_update(of=Account)
    )
    if member is None:
        raise NotFound("No such member.", code="member_not_found")
    await auth.unlock(session, member, by=access.account_id)
