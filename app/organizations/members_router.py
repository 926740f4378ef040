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
    AccountingNeedsMember,
    AlreadyMember,
    BlockingSelf,
    HandoverToSelf,
    InvitationNotFound,
    InvitationNotPending,
    LastLegalRepresentative,
    MemberAlreadyBlocked,
    MemberNotBlocked,
    MemberNotFound,
    NotAMember,
    PartnerStaffNeedsPartner,
    SeatHeld,
    TwoFactorNotEnabled,
)
from app.organizations.permissions import (
    MANAGER_ERRORS,
    OWN_MEMBER_ERRORS,
    READ,
    WRITE,
    InternalMember,
    LegalRepresentative,
    Manager,
    OwnMember,
)
from app.organizations.schemas import (
    DirectoryEntry,
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
    role: Annotated[Role | None, Query(description="Only the members with this role.")] = None,
    without_two_factor: Annotated[
        bool, Query(description="Only members who have not turned 2FA on.")
    ] = False,
) -> dict[str, Any]:
    """The organization's members with their role, 2FA status, lock and last login; newest
    first. Legal representatives and administrators (`without_two_factor=true` lists whom a
    2FA requirement would shut out)."""
    rows, cursor = await paginate(
        session,
        members.members_of(
            access.organization.id, role=role, without_two_factor=without_two_factor
        ),
        page,
    )
    return page_of(await members.member_reads(session, rows), cursor)


@router.get(
    "/{organization_id}/directory",
    operation_id="members-directory",
    response_model=Page[DirectoryEntry],
)
@declares(READ, *MANAGER_ERRORS, InvalidCursor)
async def directory(access: InternalMember, session: Session, page: Pagination) -> dict[str, Any]:
    """The organization's address book: its legal representatives, administrators and
    collaborators (not the externals, who are not part of organization-wide shares, nor blocked
    members), newest first. Every member but the externals, who only see what they are granted
    (403 `role_forbidden`)."""
    rows, cursor = await paginate(session, members.directory_of(access.organization.id), page)
    return page_of(await members.directory_reads(session, rows), cursor)


@router.get("/{organization_id}/members/{account_id}", operation_id="members-read")
@declares(READ, *MANAGER_ERRORS, MemberNotFound)
async def read_member(account_id: uuid.UUID, access: Manager, session: Session) -> MemberRead:
    """One member, by account id. Legal representatives and administrators."""
    return await members.get_member(session, access.organization.id, account_id)


@router.patch("/{organization_id}/members/{account_id}", operation_id="members-update")
@declares(
    WRITE,
    *MANAGER_ERRORS,
    MemberNotFound,
    LastLegalRepresentative,
    PartnerStaffNeedsPartner,
    AccountingNeedsMember,
)
async def update_member(
    account_id: uuid.UUID, body: MemberUpdate, access: Manager, session: Session
) -> MemberRead:
    """Changes a member's role (only a legal representative grants or takes away legal
    representation; never from the last one: 409 `last_legal_representative`), in a partner
    whether it acts for clients, and whether a collaborator or external holds the accounting
    right (invoices, their payment, payment means: 409 `accounting_right_not_applicable` for an
    administrator or legal representative). Legal representatives and administrators; emits
    `member.role_changed` when the role changes."""
    item = await members.change_member(
        session,
        access,
        account_id,
        role=body.role,
        acts_for_clients=body.acts_for_clients,
        accounting=body.accounting,
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
    """Removes a member, who loses every access to the organization at once; the caller
    confirms with its own password. Legal representatives and administrators; only a legal
    representative removes a legal representative, and never the last one. Emits
    `member.removed`."""
    await members.remove_member(
        session, access, account_id, password=body.password, by=access.actor
    )


@router.post(
    "/{organization_id}/members/{account_id}/block",
    operation_id="members-block",
    status_code=NO_CONTENT,
)
@declares(
    WRITE,
    *MANAGER_ERRORS,
    MemberNotFound,
    MemberAlreadyBlocked,
    BlockingSelf,
    LastLegalRepresentative,
)
async def block_member(account_id: uuid.UUID, access: Manager, session: Session) -> None:
    """Blocks a member without removing it: from its very next request it reaches nothing in
    the organization (403 `member_blocked`), keeping its role, grants, teams and seats until
    unblocked. Legal representatives and administrators; only a legal representative blocks a
    legal representative, never the last one who can act (409 `last_legal_representative`);
    nobody blocks itself (409 `cannot_block_self`)."""
    await members.set_blocked(session, access, account_id, blocked=True, by=access.actor)


@router.post(
    "/{organization_id}/members/{account_id}/unblock",
    operation_id="members-unblock",
    status_code=NO_CONTENT,
)
@declares(WRITE, *MANAGER_ERRORS, MemberNotFound, MemberNotBlocked)
async def unblock_member(account_id: uuid.UUID, access: Manager, session: Session) -> None:
    """Gives a blocked member its access back, as it was, from its next request. Legal
    representatives and administrators (only a legal representative unblocks a legal
    representative)."""
    await members.set_blocked(session, access, account_id, blocked=False, by=access.actor)


@router.post("/{organization_id}/leave", status_code=NO_CONTENT)
@declares(WRITE, *OWN_MEMBER_ERRORS, NotAMember, LastLegalRepresentative, SeatHeld)
async def leave(access: OwnMember, session: Session) -> None:
    """The caller leaves the organization and loses its access to it (not as its last legal
    representative: 409 `last_legal_representative`; not while it holds a seat of the
    organization's suite: 409 `suite_seat_held`, an administrator frees it first). Members only,
    not partner or support staff. Emits `member.removed`."""
    await members.leave(session, access, by=access.actor)


@router.post(
    "/{organization_id}/legal-representation/handover",
    operation_id="members-hand_over_legal_representation",
)
@declares(WRITE, *MANAGER_ERRORS, WrongPassword, HandoverToSelf, MemberNotFound)
async def hand_over(
    body: LegalRepresentationHandover, access: LegalRepresentative, session: Session
) -> MemberRead:
    """Makes another member legal representative, confirmed with the caller's password; the
    caller takes `new_role`. Legal representatives only. Answers the new legal
    representative."""
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
    """Mails an invitation to join with a role, valid for 7 days (an earlier pending one to the
    same address lapses); an account is created on acceptance if the address has none. Legal
    representatives and administrators; only a legal representative invites a legal
    representative. Emits `member.invited`."""
    invitation = await members.invite(
        session, access, email=str(body.email), role=body.role, by=access.actor
    )
    return members.invitation_read(invitation)


@router.get("/{organization_id}/invitations", response_model=Page[InvitationRead])
@declares(READ, *MANAGER_ERRORS, InvalidCursor)
async def list_invitations(access: Manager, session: Session, page: Pagination) -> dict[str, Any]:
    """The organization's invitations, newest first, pending, accepted, revoked or expired.
    Legal representatives and administrators."""
    rows, cursor = await paginate(
        session,
        members.invitations_of(access.organization.id),
        page,
    )
    return page_of([members.invitation_read(row) for row in rows], cursor)


@router.delete("/{organization_id}/invitations/{invitation_id}", status_code=NO_CONTENT)
@declares(WRITE, *MANAGER_ERRORS, InvitationNotFound, InvitationNotPending)
async def revoke_invitation(invitation_id: uuid.UUID, access: Manager, session: Session) -> None:
    """Revokes a pending invitation: its link stops working (409 `invitation_not_pending` when
    it was already accepted, revoked or expired). Legal representatives and administrators."""
    await members.revoke_invitation(session, access.organization, invitation_id, by=access.actor)


@router.put("/{organization_id}/two-factor-requirement")
@declares(WRITE, *MANAGER_ERRORS, TwoFactorNotEnabled)
async def set_two_factor_requirement(
    body: TwoFactorRequirement, access: Manager, session: Session
) -> TwoFactorRequirement:
    """Requires 2FA of every member, or lifts the requirement: while required, members without
    2FA can do nothing in the organization but enrol (under /v1/account/two-factor). Legal
    representatives and administrators, who must have 2FA themselves to require it (409
    `two_factor_not_enabled`). Emits `security.two_factor_required` or
    `security.two_factor_requirement_lifted`."""
    organization = await members.set_two_factor_requirement(
        session, access, required=body.required, by=access.actor
    )
    return TwoFactorRequirement(required=organization.require_two_factor)


@router.post("/{organization_id}/two-factor-alerts")
@declares(WRITE, *MANAGER_ERRORS)
async def send_two_factor_alerts(access: Manager, session: Session) -> TwoFactorAlertsSent:
    """E-mails a security alert to every member without 2FA, asking them to turn it on;
    answers how many were sent. Legal representatives and administrators."""
    sent = await members.send_two_factor_alerts(session, access.organization, by=access.actor)
    return TwoFactorAlertsSent(sent=sent)
