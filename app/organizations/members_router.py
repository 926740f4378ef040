"""/v1/organizations/{organization_id}: members, invitations, legal representation, 2FA."""

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Query, status
from sqlalchemy import select

from app.accounts import directory
from app.core.db import Session
from app.core.errors import problem_responses
from app.core.idempotency import AppRoute
from app.core.pagination import Page, Pagination, page_of, paginate
from app.organizations import members
from app.organizations.models import Invitation, Membership
from app.organizations.permissions import LegalRepresentative, Manager, OwnMember
from app.organizations.schemas import (
    InvitationCreate,
    InvitationRead,
    LegalRepresentationHandover,
    MemberRead,
    MemberUpdate,
    PasswordConfirmation,
    TwoFactorAlertsSent,
    TwoFactorRequirement,
)
from app.organizations.types import Role

router = APIRouter(tags=["members"], route_class=AppRoute)
NO_CONTENT = status.HTTP_204_NO_CONTENT


@router.get(
    "/{organization_id}/members",
    operation_id="members-list",
    response_model=Page[MemberRead],
    responses=problem_responses(400, 401, 403, 404),
)
async def list_members(
    access: Manager,
    session: Session,
    page: Pagination,
    role: Role | None = None,
    without_two_factor: Annotated[
        bool, Query(description="Only members who have not turned 2FA on.")
    ] = False,
) -> dict[str, Any]:
    """Members with their role, 2FA status and last login; newest first."""
    statement = select(Membership).where(Membership.organization_id == access.organization.id)
    if role is not None:
        statement = statement.where(Membership.role == role)
    if without_two_factor:
        statement = statement.where(directory.without_two_factor(Membership.account_id))
    rows, cursor = await paginate(
        session, statement, page, created_at=Membership.created_at, id=Membership.id
    )
    return page_of(await members.member_reads(session, rows), cursor)


@router.get(
    "/{organization_id}/members/{account_id}",
    operation_id="members-read",
    responses=problem_responses(401, 403, 404),
)
async def read_member(account_id: uuid.UUID, access: Manager, session: Session) -> MemberRead:
    item = await members.membership(session, access.organization.id, account_id)
    return (await members.member_reads(session, [item]))[0]


@router.patch(
    "/{organization_id}/members/{account_id}",
    operation_id="members-update",
    responses=problem_responses(401, 403, 404, 409),
)
async def update_member(
    account_id: uuid.UUID, body: MemberUpdate, access: Manager, session: Session
) -> MemberRead:
    """Changes a member's role (only a legal representative grants or takes away legal
    representation; never from the last one) or, in a partner, whether it acts for clients."""
    item = await members.change_member(
        session, access, account_id, role=body.role, acts_for_clients=body.acts_for_clients
    )
    return (await members.member_reads(session, [item]))[0]


@router.post(
    "/{organization_id}/members/{account_id}/removal",
    operation_id="members-remove",
    status_code=NO_CONTENT,
    responses=problem_responses(401, 403, 404, 409),
)
async def remove_member(
    account_id: uuid.UUID, body: PasswordConfirmation, access: Manager, session: Session
) -> None:
    """Removes a member; the caller confirms with its password. Never the last legal
    representative."""
    await members.remove_member(session, access, account_id, password=body.password)


@router.post(
    "/{organization_id}/leave",
    operation_id="members-leave",
    status_code=NO_CONTENT,
    responses=problem_responses(401, 403, 404, 409),
)
async def leave(access: OwnMember, session: Session) -> None:
    """The caller leaves the organization (not as its last legal representative)."""
    await members.leave(session, access)


@router.post(
    "/{organization_id}/legal-representation/handover",
    operation_id="members-hand_over_legal_representation",
    responses=problem_responses(401, 403, 404, 409),
)
async def hand_over(
    body: LegalRepresentationHandover, access: LegalRepresentative, session: Session
) -> MemberRead:
    """Makes another member legal representative; the caller takes `new_role`."""
    item = await members.hand_over_legal_representation(
        session,
        access,
        account_id=body.account_id,
        password=body.password,
        new_role=Role(body.new_role),
    )
    return (await members.member_reads(session, [item]))[0]


@router.post(
    "/{organization_id}/invitations",
    operation_id="members-invite",
    status_code=status.HTTP_201_CREATED,
    responses=problem_responses(401, 403, 404, 409),
)
async def invite(body: InvitationCreate, access: Manager, session: Session) -> InvitationRead:
    """Mails an invitation to join with a role; an account is created on acceptance if the
    address has none."""
    invitation = await members.invite(session, access, email=str(body.email), role=body.role)
    return members.invitation_read(invitation)


@router.get(
    "/{organization_id}/invitations",
    operation_id="members-list_invitations",
    response_model=Page[InvitationRead],
    responses=problem_responses(400, 401, 403, 404),
)
async def list_invitations(access: Manager, session: Session, page: Pagination) -> dict[str, Any]:
    rows, cursor = await paginate(
        session,
        select(Invitation).where(Invitation.organization_id == access.organization.id),
        page,
        created_at=Invitation.created_at,
        id=Invitation.id,
    )
    return page_of([members.invitation_read(row) for row in rows], cursor)


@router.delete(
    "/{organization_id}/invitations/{invitation_id}",
    operation_id="members-revoke_invitation",
    status_code=NO_CONTENT,
    responses=problem_responses(401, 403, 404, 409),
)
async def revoke_invitation(invitation_id: uuid.UUID, access: Manager, session: Session) -> None:
    await members.revoke_invitation(session, access, invitation_id)


@router.put(
    "/{organization_id}/two-factor-requirement",
    operation_id="members-set_two_factor_requirement",
    responses=problem_responses(401, 403, 404, 409),
)
async def set_two_factor_requirement(
    body: TwoFactorRequirement, access: Manager, session: Session
) -> TwoFactorRequirement:
    """With 2FA required, members without it can do nothing in the organization but enrol
    (under /v1/account/two-factor)."""
    organization = await members.set_two_factor_requirement(session, access, required=body.required)
    return TwoFactorRequirement(required=organization.require_two_factor)


@router.post(
    "/{organization_id}/two-factor-alerts",
    operation_id="members-send_two_factor_alerts",
    responses=problem_responses(401, 403, 404),
)
async def send_two_factor_alerts(access: Manager, session: Session) -> TwoFactorAlertsSent:
    """E-mails a security alert to every member without 2FA."""
    return TwoFactorAlertsSent(sent=await members.send_two_factor_alerts(session, access))
