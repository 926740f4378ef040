"""/v1/organizations/{organization_id}: members, invitations, legal representation, 2FA."""

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Query, status

from app.accounts.errors import WrongPassword
from app.core.db import Session
from app.core.pagination import InvalidCursor, Page, Pagination, page_of, paginate
from app.core.routing import AppRoute, declares
from app.organizations import members
from app.organizations.errors import (
    AlreadyMember,
    HandoverToSelf,
    InvitationNotFound,
    InvitationNotPending,
    LastLegalRepresentative,
    MemberNotFound,
    NotAMember,
    PartnerStaffNeedsPartner,
    TwoFactorNotEnabled,
)
from app.organizations.permissions import (
    MANAGER_ERRORS,
    OWN_MEMBER_ERRORS,
    READ,
    WRITE,
    LegalRepresentative,
    Manager,
    OwnMember,
)
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
    "/{organization_id}/members", operation_id="members-list", response_model=Page[MemberRead]
)
@declares(READ, *MANAGER_ERRORS, InvalidCursor)
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
    rows, cursor = await paginate(
        session,
        members.members_of(
            access.organization.id, role=role, without_two_factor=without_two_factor
        ),
        page,
    )
    return page_of(await members.member_reads(session, rows), cursor)


@router.get("/{organization_id}/members/{account_id}", operation_id="members-read")
@declares(READ, *MANAGER_ERRORS, MemberNotFound)
async def read_member(account_id: uuid.UUID, access: Manager, session: Session) -> MemberRead:
    return await members.get_member(session, access.organization.id, account_id)


@router.patch("/{organization_id}/members/{account_id}", operation_id="members-update")
@declares(WRITE, *MANAGER_ERRORS, MemberNotFound, LastLegalRepresentative, PartnerStaffNeedsPartner)
async def update_member(
    account_id: uuid.UUID, body: MemberUpdate, access: Manager, session: Session
) -> MemberRead:
    """Changes a member's role (only a legal representative grants or takes away legal
    representation; never from the last one) or, in a partner, whether it acts for clients."""
    item = await members.change_member(
        session,
        access,
        account_id,
        role=body.role,
        acts_for_clients=body.acts_for_clients,
        by=access.actor,
    )
    return (await members.member_reads(session, [item]))[0]


@router.post(
    "/{organization_id}/members/{account_id}/removal",
    operation_id="members-remove",
    status_code=NO_CONTENT,
)
@declares(WRITE, *MANAGER_ERRORS, WrongPassword, MemberNotFound, LastLegalRepresentative)
async def remove_member(
    account_id: uuid.UUID, body: PasswordConfirmation, access: Manager, session: Session
) -> None:
    """Removes a member; the caller confirms with its password. Never the last legal
    representative."""
    await members.remove_member(
        session, access, account_id, password=body.password, by=access.actor
    )


@router.post("/{organization_id}/leave", status_code=NO_CONTENT)
@declares(WRITE, *OWN_MEMBER_ERRORS, NotAMember, LastLegalRepresentative)
async def leave(access: OwnMember, session: Session) -> None:
    """The caller leaves the organization (not as its last legal representative)."""
    await members.leave(session, access, by=access.actor)


@router.post(
    "/{organization_id}/legal-representation/handover",
    operation_id="members-hand_over_legal_representation",
)
@declares(WRITE, *MANAGER_ERRORS, WrongPassword, HandoverToSelf, MemberNotFound)
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
        by=access.actor,
    )
    return (await members.member_reads(session, [item]))[0]


@router.post("/{organization_id}/invitations", status_code=status.HTTP_201_CREATED)
@declares(WRITE, *MANAGER_ERRORS, AlreadyMember, 422)
async def invite(body: InvitationCreate, access: Manager, session: Session) -> InvitationRead:
    """Mails an invitation to join with a role; an account is created on acceptance if the
    address has none."""
    invitation = await members.invite(
        session, access, email=str(body.email), role=body.role, by=access.actor
    )
    return members.invitation_read(invitation)


@router.get("/{organization_id}/invitations", response_model=Page[InvitationRead])
@declares(READ, *MANAGER_ERRORS, InvalidCursor)
async def list_invitations(access: Manager, session: Session, page: Pagination) -> dict[str, Any]:
    rows, cursor = await paginate(
        session,
        members.invitations_of(access.organization.id),
        page,
    )
    return page_of([members.invitation_read(row) for row in rows], cursor)


@router.delete("/{organization_id}/invitations/{invitation_id}", status_code=NO_CONTENT)
@declares(WRITE, *MANAGER_ERRORS, InvitationNotFound, InvitationNotPending)
async def revoke_invitation(invitation_id: uuid.UUID, access: Manager, session: Session) -> None:
    await members.revoke_invitation(session, access.organization, invitation_id, by=access.actor)


@router.put("/{organization_id}/two-factor-requirement")
@declares(WRITE, *MANAGER_ERRORS, TwoFactorNotEnabled)
async def set_two_factor_requirement(
    body: TwoFactorRequirement, access: Manager, session: Session
) -> TwoFactorRequirement:
    """With 2FA required, members without it can do nothing in the organization but enrol
    (under /v1/account/two-factor)."""
    organization = await members.set_two_factor_requirement(
        session, access, required=body.required, by=access.actor
    )
    return TwoFactorRequirement(required=organization.require_two_factor)


@router.post("/{organization_id}/two-factor-alerts")
@declares(WRITE, *MANAGER_ERRORS)
async def send_two_factor_alerts(access: Manager, session: Session) -> TwoFactorAlertsSent:
    """E-mails a security alert to every member without 2FA."""
    sent = await members.send_two_factor_alerts(session, access.organization, by=access.actor)
    return TwoFactorAlertsSent(sent=sent)
