"""Members: invitations and their acceptance, roles, removal, leaving, legal representation,
and the organization-wide 2FA requirement."""

import uuid
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from sqlalchemy import Select, delete, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts import auth, directory
from app.accounts import service as accounts
from app.activity import service as activity
from app.activity.types import Actor, Via
from app.core import clock
from app.core.db import one_or_raise
from app.core.security.tokens import digest, new_token
from app.core.settings import get_settings
from app.events import service as events
from app.notifications.service import queue_mail
from app.organizations.errors import (
    AccountingNeedsMember,
    AlreadyMember,
    BlockingSelf,
    HandoverToSelf,
    InvalidInvitation,
    InvitationForAnotherAddress,
    InvitationNotFound,
    InvitationNotPending,
    LastLegalRepresentative,
    MemberAlreadyBlocked,
    MemberNotBlocked,
    MemberNotFound,
    NotAMember,
    PartnerStaffNeedsPartner,
    RoleForbidden,
    SeatHeld,
    TwoFactorNotEnabled,
)
from app.organizations.models import (
    Grant,
    Invitation,
    Membership,
    Organization,
    PartnerInvitation,
    Product,
    ProductSeat,
    Team,
    TeamMember,
)
from app.organizations.permissions import OrganizationAccess, can_assign_role, granted_rights
from app.organizations.schemas import DirectoryEntry, InvitationRead, MemberRead, OrganizationRead
from app.organizations.types import Role

INVITATION_LIFETIME = timedelta(days=7)


def invitation_status(invitation: Invitation | PartnerInvitation) -> str:
    if invitation.accepted_at is not None:
        return "accepted"
    if invitation.revoked_at is not None:
        return "revoked"
    if invitation.expires_at <= clock.now():
        return "expired"
    return "pending"


def invitations_of(organization_id: uuid.UUID) -> Select[Invitation]:
    return select(Invitation).where(Invitation.organization_id == organization_id)


def invitation_read(invitation: Invitation) -> InvitationRead:
    return InvitationRead.model_validate(
        {
            **{
                field: getattr(invitation, field)
                for field in InvitationRead.model_fields
                if field != "status"
            },
            "status": invitation_status(invitation),
        }
    )


def _role_label(role: Role) -> str:
    return role.value.replace("_", " ")


async def lock_organization(session: AsyncSession, organization_id: uuid.UUID) -> None:
    """Serializes changes to the organization's members (the last legal representative rule)."""
    await session.execute(
        select(Organization.id).where(Organization.id == organization_id).with_for_update()
    )


def directory_of(organization_id: uuid.UUID) -> Select[Membership]:
    """The organization's address book as its members see it: everyone but the externals
    (who are not part of organization-wide shares) and blocked members."""
    return select(Membership).where(
        Membership.organization_id == organization_id,
        Membership.role != Role.external,
        Membership.blocked_at.is_(None),
    )


async def directory_reads(
    session: AsyncSession, memberships: Sequence[Membership]
) -> list[DirectoryEntry]:
    people = await directory.summaries(session, [item.account_id for item in memberships])
    return [
        DirectoryEntry(
            account_id=item.account_id,
            first_name=person.first_name,
            last_name=person.last_name,
            email=person.email,
            role=Role(item.role),
        )
        for item in memberships
        if (person := people.get(item.account_id)) is not None
    ]


async def notice_recipient_ids(
    session: AsyncSession, organization_id: uuid.UUID, *, product_id: uuid.UUID | None = None
) -> list[uuid.UUID]:
    """Who receives an organization-wide notice: the members who are not externals (externals
    only see what they are granted: with ``product_id``, those holding a grant covering it)."""
    statement = select(Membership.account_id).where(
        Membership.organization_id == organization_id, Membership.role != Role.external
    )
    ids = list(await session.scalars(statement))
    if product_id is not None:
        product = await session.get(Product, product_id)
        if product is not None:
            externals = await session.scalars(
                select(Membership.account_id).where(
                    Membership.organization_id == organization_id,
                    Membership.role == Role.external,
                )
            )
            for account_id in externals:
                if await granted_rights(session, organization_id, account_id, product):
                    ids.append(account_id)
    return ids


def members_of(
    organization_id: uuid.UUID, *, role: Role | None = None, without_two_factor: bool = False
) -> Select[Membership]:
    """The organization's memberships, optionally of one role or of members without 2FA."""
    statement = select(Membership).where(Membership.organization_id == organization_id)
    if role is not None:
        statement = statement.where(Membership.role == role)
    if without_two_factor:
        statement = statement.where(directory.without_two_factor(Membership.account_id))
    return statement


async def member_ids(session: AsyncSession, organization_id: uuid.UUID) -> list[uuid.UUID]:
    return list(
        await session.scalars(
            select(Membership.account_id).where(Membership.organization_id == organization_id)
        )
    )


async def get_membership(
    session: AsyncSession,
    organization_id: uuid.UUID,
    account_id: uuid.UUID,
    *,
    for_update: bool = False,
) -> Membership:
    statement = select(Membership).where(
        Membership.organization_id == organization_id, Membership.account_id == account_id
    )
    return await one_or_raise(
        session, statement, MemberNotFound("No such member."), for_update=for_update
    )


async def get_member(
    session: AsyncSession, organization_id: uuid.UUID, account_id: uuid.UUID
) -> MemberRead:
    """One member as the API shows it."""
    return await _member_read(session, await get_membership(session, organization_id, account_id))


async def is_administrator_of_any_organization_of(
    session: AsyncSession, administrator_id: uuid.UUID, account_id: uuid.UUID
) -> bool:
    """True when ``administrator_id`` administers an organization that ``account_id`` belongs to."""
    admin = Membership.__table__.alias("admin")
    statement = (
        select(func.count())
        .select_from(Membership)
        .join(admin, admin.c.organization_id == Membership.organization_id)
        .where(
            Membership.account_id == account_id,
            admin.c.account_id == administrator_id,
            admin.c.role.in_([Role.administrator, Role.legal_representative]),
        )
    )
    return bool(await session.scalar(statement))


async def remove_member_records(
    session: AsyncSession, organization_id: uuid.UUID, account_id: uuid.UUID
) -> None:
    """Deletes the membership and everything that hangs on it in the organization: its own
    grants and its team memberships."""
    await session.execute(
        delete(Grant).where(
            Grant.organization_id == organization_id, Grant.account_id == account_id
        )
    )
    await session.execute(
        delete(ProductSeat).where(
            ProductSeat.organization_id == organization_id, ProductSeat.account_id == account_id
        )
    )
    teams = select(Team.id).where(Team.organization_id == organization_id)
    await session.execute(
        delete(TeamMember).where(TeamMember.account_id == account_id, TeamMember.team_id.in_(teams))
    )
    await session.execute(
        delete(Membership).where(
            Membership.organization_id == organization_id, Membership.account_id == account_id
        )
    )


async def unlock_member(
    session: AsyncSession, organization: Organization, account_id: uuid.UUID, *, by: Actor
) -> None:
    """Unlocks a member's account locked after too many failed logins."""
    if account_id not in await member_ids(session, organization.id):
        raise MemberNotFound("No such member.")
    administrator = by.account_id
    assert administrator is not None, "an administrator unlocks members"
    await auth.unlock_account(session, account_id, by=administrator)
    await activity.record(
        session, by, "member.unlocked", organization_id=organization.id, account_id=account_id
    )


async def end_member_sessions(
    session: AsyncSession, access: OrganizationAccess, account_id: uuid.UUID, *, by: Actor
) -> None:
    """Ends every session of a member (a lost laptop, a departure); only a legal
    representative ends a legal representative's sessions."""
    item = await get_membership(session, access.organization.id, account_id)
    if item.role == Role.legal_representative and not can_assign_role(
        access, current=Role.legal_representative, new=Role.legal_representative
    ):
        raise RoleForbidden("Only a legal representative ends a legal representative's sessions.")
    await accounts.end_account_sessions(session, account_id, by=by)
    await activity.record(
        session,
        by,
        "member.sessions_ended",
        organization_id=access.organization.id,
        account_id=account_id,
    )


async def member_reads(
    session: AsyncSession, memberships: Sequence[Membership]
) -> list[MemberRead]:
    ids = [item.account_id for item in memberships]
    people = await directory.summaries(session, ids)
    logins = await directory.last_logins(session, ids)
    reads = []
    for item in memberships:
        person = people.get(item.account_id)
        if person is None:
            continue
        reads.append(
            MemberRead(
                account_id=item.account_id,
                email=person.email,
                first_name=person.first_name,
                last_name=person.last_name,
                role=Role(item.role),
                acts_for_clients=item.acts_for_clients,
                accounting=item.accounting,
                blocked=item.blocked_at is not None,
                two_factor_enabled=person.two_factor_enabled,
                locked=person.locked,
                last_login_at=logins.get(item.account_id),
                joined_at=item.created_at,
            )
        )
    return reads


async def _member_read(session: AsyncSession, item: Membership) -> MemberRead:
    reads = await member_reads(session, [item])
    return reads[0]


async def _legal_representatives(session: AsyncSession, organization_id: uuid.UUID) -> int:
    """How many legal representatives can act (are not blocked)."""
    return int(
        await session.scalar(
            select(func.count()).where(
                Membership.organization_id == organization_id,
                Membership.role == Role.legal_representative,
                Membership.blocked_at.is_(None),
            )
        )
        or 0
    )


async def _ensure_not_last_representative(session: AsyncSession, item: Membership) -> None:
    """The last legal representative who can act cannot leave, be removed, change role or be
    blocked (a blocked one can: another one acts)."""
    if (
        item.role == Role.legal_representative
        and item.blocked_at is None
        and await _legal_representatives(session, item.organization_id) <= 1
    ):
        raise LastLegalRepresentative(
            "The organization's last legal representative cannot leave, be removed or change "
            "role: hand over legal representation first."
        )


# Invitations


async def invite(
    session: AsyncSession, access: OrganizationAccess, *, email: str, role: Role, by: Actor
) -> Invitation:
    """Mails an invitation to join with ``role``; an earlier pending one to the address lapses."""
    if not can_assign_role(access, current=None, new=role):
        raise RoleForbidden("Only a legal representative can make someone a legal representative.")
    organization = access.organization
    existing = await directory.by_email(session, email)
    if existing is not None and await session.scalar(
        select(func.count()).where(
            Membership.organization_id == organization.id, Membership.account_id == existing.id
        )
    ):
        raise AlreadyMember("This person is already a member of the organization.")
    now = clock.now()
    await session.execute(
        update(Invitation)
        .where(
            Invitation.organization_id == organization.id,
            func.lower(Invitation.email) == email.lower(),
            Invitation.accepted_at.is_(None),
            Invitation.revoked_at.is_(None),
        )
        .values(revoked_at=now)
    )
    raw = new_token()
    invitation = Invitation(
        organization_id=organization.id,
        email=email,
        role=role,
        token_digest=digest(raw),
        invited_by_account_id=access.account_id,
        expires_at=now + INVITATION_LIFETIME,
    )
    session.add(invitation)
    await session.flush()
    inviter = access.principal.account
    await queue_mail(
        session,
        to=email,
        template="organization_invitation",
        language=existing.language if existing else inviter.language,
        context={
            "recipient_name": existing.first_name if existing else "",
            "organization_name": organization.name,
            "inviter_name": inviter.full_name,
            "role": _role_label(role),
            "accept_url": f"{get_settings().links_base}/invitations/accept?token={raw}",
        },
    )
    read = invitation_read(invitation)
    await activity.record(
        session,
        by,
        "member.invited",
        organization_id=access.organization.id,
        account_id=existing.id if existing else None,
        details={"invitation_id": str(invitation.id), "email": email, "role": role.value},
    )
    await events.emit(session, "member.invited", read, organization_id=organization.id)
    return invitation


async def revoke_invitation(
    session: AsyncSession, organization: Organization, invitation_id: uuid.UUID, *, by: Actor
) -> Invitation:
    invitation = await session.scalar(
        select(Invitation)
        .where(Invitation.id == invitation_id, Invitation.organization_id == organization.id)
        .with_for_update()
    )
    if invitation is None:
        raise InvitationNotFound("No such invitation.")
    if invitation_status(invitation) != "pending":
        raise InvitationNotPending("The invitation is no longer pending.")
    invitation.revoked_at = clock.now()
    await activity.record(
        session,
        by,
        "member.invitation_revoked",
        organization_id=organization.id,
        details={"invitation_id": str(invitation.id), "email": invitation.email},
    )
    return invitation


async def get_pending_invitation(
    session: AsyncSession, raw: str, *, for_update: bool = False
) -> tuple[Invitation, Organization]:
    statement = (
        select(Invitation, Organization)
        .join(Organization, Organization.id == Invitation.organization_id)
        .where(Invitation.token_digest == digest(raw), Organization.deleted_at.is_(None))
    )
    if for_update:
        statement = statement.with_for_update(of=Invitation)
    row = (await session.execute(statement)).one_or_none()
    if row is None or invitation_status(row[0]) != "pending":
        raise InvalidInvitation("This invitation is invalid, expired or already used.")
    return row[0], row[1]


async def _join(
    session: AsyncSession, invitation: Invitation, organization: Organization, account_id: uuid.UUID
) -> Membership:
    now = clock.now()
    item = Membership(
        organization_id=organization.id,
        account_id=account_id,
        role=Role(invitation.role),
        acts_for_clients=False,
    )
    try:
        async with session.begin_nested():
            session.add(item)
    except IntegrityError:
        raise AlreadyMember("You are already a member of this organization.") from None
    invitation.accepted_at = now
    invitation.accepted_account_id = account_id
    await activity.record(
        session,
        Actor(account_id, organization.id, Via.member),
        "member.joined",
        organization_id=organization.id,
        account_id=account_id,
        details={"invitation_id": str(invitation.id), "role": invitation.role},
    )
    await events.emit(
        session,
        "member.added",
        await _member_read(session, item),
        organization_id=organization.id,
        account_id=account_id,
    )
    return item


async def accept(
    session: AsyncSession, raw: str, *, account_id: uuid.UUID, email: str
) -> Membership:
    """An existing account, signed in with the invited address, joins."""
    invitation, organization = await get_pending_invitation(session, raw, for_update=True)
    if invitation.email.lower() != email.lower():
        raise InvitationForAnotherAddress(
            "This invitation was sent to another address: sign in with that account."
        )
    return await _join(session, invitation, organization, account_id)


async def accept_with_sign_up(
    session: AsyncSession, raw: str, *, profile: dict[str, Any]
) -> Membership:
    """A new account is created for the invited address (confirmed: the link proves it) and
    joins; it gets no organization of its own."""
    invitation, organization = await get_pending_invitation(session, raw, for_update=True)
    account = await accounts.sign_up(
        session,
        email=invitation.email,
        address=None,
        email_confirmed=True,
        **profile,
    )
    return await _join(session, invitation, organization, account.id)


async def join_through_identity_provider(
    session: AsyncSession, organization_id: uuid.UUID, account_id: uuid.UUID, *, role: Role
) -> bool:
    """Just-in-time membership: the organization's identity provider vouched for an account of
    one of its domains, which joins with the configured ``role`` (never legal representative).
    False when it is a member already."""
    if role == Role.legal_representative:
        raise ValueError("a legal representative is never made just in time")
    if await session.scalar(
        select(Membership.id).where(
            Membership.organization_id == organization_id, Membership.account_id == account_id
        )
    ):
        return False
    item = Membership(
        id=uuid.uuid4(),
        organization_id=organization_id,
        account_id=account_id,
        role=role,
        acts_for_clients=False,
        created_at=clock.now(),
    )
    try:
        async with session.begin_nested():
            session.add(item)
    except IntegrityError:
        return False
    await activity.record(
        session,
        Actor(account_id, organization_id, Via.member),
        "member.joined",
        organization_id=organization_id,
        account_id=account_id,
        details={"via": "single_sign_on", "role": str(role)},
    )
    await events.emit(
        session,
        "member.added",
        await _member_read(session, item),
        organization_id=organization_id,
        account_id=account_id,
    )
    return True


# Roles, removal, leaving


async def change_member(
    session: AsyncSession,
    access: OrganizationAccess,
    account_id: uuid.UUID,
    *,
    role: Role | None,
    acts_for_clients: bool | None,
    accounting: bool | None = None,
    by: Actor,
) -> Membership:
    """Changes a member's role (the legal representative rules apply: ``access`` is whose
    role decides), in a partner organization whether it acts for clients, and whether it holds
    the accounting right (collaborators and externals only)."""
    organization = access.organization
    await lock_organization(session, organization.id)
    item = await get_membership(session, organization.id, account_id)
    current = Role(item.role)
    if role is not None and role != current:
        if not can_assign_role(access, current=current, new=role):
            raise RoleForbidden(
                "Only a legal representative can make someone, or stop someone being, "
                "a legal representative."
            )
        await _ensure_not_last_representative(session, item)
        item.role = role
        await activity.record(
            session,
            by,
            "member.role_changed",
            organization_id=organization.id,
            account_id=account_id,
            details={"from": current.value, "to": role.value},
        )
        await events.emit(
            session,
            "member.role_changed",
            await _member_read(session, item),
            organization_id=organization.id,
            account_id=account_id,
        )
    if acts_for_clients is not None and acts_for_clients != item.acts_for_clients:
        if acts_for_clients and not organization.is_partner:
            raise PartnerStaffNeedsPartner("This organization is not a partner.")
        item.acts_for_clients = acts_for_clients
        await activity.record(
            session,
            by,
            "member.partner_staff_changed",
            organization_id=organization.id,
            account_id=account_id,
            details={"acts_for_clients": acts_for_clients},
        )
    if accounting is not None and accounting != item.accounting:
        if accounting and Role(item.role) in (Role.legal_representative, Role.administrator):
            raise AccountingNeedsMember(
                "Administrators and legal representatives handle billing already."
            )
        item.accounting = accounting
        await activity.record(
            session,
            by,
            "member.accounting_granted" if accounting else "member.accounting_revoked",
            organization_id=organization.id,
            account_id=account_id,
        )
    await session.flush()
    return item


async def set_blocked(
    session: AsyncSession,
    access: OrganizationAccess,
    account_id: uuid.UUID,
    *,
    blocked: bool,
    by: Actor,
) -> Membership:
    """Blocks a member (it stays a member, with its grants, teams and seats, but reaches nothing
    in the organization from its next request) or unblocks it. Only a legal representative
    blocks or unblocks a legal representative, never the last one who can act; nobody blocks
    itself."""
    organization = access.organization
    await lock_organization(session, organization.id)
    item = await get_membership(session, organization.id, account_id, for_update=True)
    if not can_assign_role(access, current=Role(item.role), new=Role(item.role)):
        raise RoleForbidden("Only a legal representative blocks or unblocks another one.")
    if blocked:
        if item.blocked_at is not None:
            raise MemberAlreadyBlocked("This member is already blocked.")
        if account_id == access.account_id:
            raise BlockingSelf("You cannot block yourself.")
        await _ensure_not_last_representative(session, item)
        item.blocked_at = clock.now()
        item.blocked_by_account_id = access.account_id
    else:
        if item.blocked_at is None:
            raise MemberNotBlocked("This member is not blocked.")
        item.blocked_at = None
        item.blocked_by_account_id = None
    await session.flush()
    await activity.record(
        session,
        by,
        "member.blocked" if blocked else "member.unblocked",
        organization_id=organization.id,
        account_id=account_id,
    )
    return item


async def _remove(session: AsyncSession, item: Membership, *, action: str, by: Actor) -> None:
    read = await _member_read(session, item)
    await remove_member_records(session, item.organization_id, item.account_id)
    await activity.record(
        session,
        by,
        action,
        organization_id=item.organization_id,
        account_id=item.account_id,
        details={"role": str(item.role)},
    )
    await events.emit(
        session,
        "member.removed",
        read,
        organization_id=item.organization_id,
        account_id=item.account_id,
    )


async def remove_member(
    session: AsyncSession,
    access: OrganizationAccess,
    account_id: uuid.UUID,
    *,
    password: str,
    by: Actor,
) -> None:
    """Removes a member; the caller confirms with its password. Only a legal representative
    removes a legal representative, and never the last one."""
    await accounts.require_password(access.principal.account, password)
    await lock_organization(session, access.organization.id)
    item = await get_membership(session, access.organization.id, account_id)
    if not can_assign_role(access, current=Role(item.role), new=Role(item.role)):
        raise RoleForbidden("Only a legal representative can remove a legal representative.")
    await _ensure_not_last_representative(session, item)
    await _remove(session, item, action="member.removed", by=by)


async def leave(session: AsyncSession, access: OrganizationAccess, *, by: Actor) -> None:
    if not access.is_member:
        raise NotAMember("You are not a member of this organization.")
    await lock_organization(session, access.organization.id)
    item = await get_membership(session, access.organization.id, access.account_id)
    await _ensure_not_last_representative(session, item)
    if await session.scalar(
        select(ProductSeat.product_id).where(
            ProductSeat.organization_id == item.organization_id,
            ProductSeat.account_id == item.account_id,
        )
    ):
        raise SeatHeld(
            "You hold a seat of the organization's suite: an administrator frees it first."
        )
    await _remove(session, item, action="member.left", by=by)


async def hand_over_legal_representation(
    session: AsyncSession,
    access: OrganizationAccess,
    *,
    account_id: uuid.UUID,
    password: str,
    new_role: Role,
    by: Actor,
) -> Membership:
    """Makes another member legal representative; the caller takes ``new_role``."""
    await accounts.require_password(access.principal.account, password)
    if account_id == access.account_id:
        raise HandoverToSelf("Hand legal representation over to another member.")
    await lock_organization(session, access.organization.id)
    target = await get_membership(session, access.organization.id, account_id)
    me = await get_membership(session, access.organization.id, access.account_id)
    previous = Role(target.role)
    target.role = Role.legal_representative
    me.role = new_role
    await session.flush()
    await activity.record(
        session,
        by,
        "member.legal_representation_handed_over",
        organization_id=access.organization.id,
        account_id=account_id,
        details={
            "to": str(account_id),
            "previous_role": previous.value,
            "new_role": new_role.value,
        },
    )
    for item in (target, me):
        await events.emit(
            session,
            "member.role_changed",
            await _member_read(session, item),
            organization_id=access.organization.id,
            account_id=item.account_id,
        )
    return target


# Organization-wide 2FA


async def set_two_factor_requirement(
    session: AsyncSession, access: OrganizationAccess, *, required: bool, by: Actor
) -> Organization:
    organization = access.organization
    if required == organization.require_two_factor:
        return organization
    if required and not access.principal.account.two_factor_enabled:
        raise TwoFactorNotEnabled("Turn on two-factor authentication on your own account first.")
    organization.require_two_factor = required
    organization.updated_at = clock.now()
    await session.flush()
    await activity.record(
        session,
        by,
        "security.two_factor_required" if required else "security.two_factor_requirement_lifted",
        organization_id=access.organization.id,
    )
    await events.emit(
        session,
        "security.two_factor_required" if required else "security.two_factor_requirement_lifted",
        OrganizationRead.model_validate(organization),
        organization_id=organization.id,
    )
    return organization


async def send_two_factor_alerts(
    session: AsyncSession, organization: Organization, *, by: Actor
) -> int:
    """E-mails every member without 2FA a security alert; returns how many."""
    organization = organization
    ids = list(
        await session.scalars(
            select(Membership.account_id).where(
                Membership.organization_id == organization.id,
                directory.without_two_factor(Membership.account_id),
            )
        )
    )
    people = await directory.summaries(session, ids)
    enroll_url = f"{get_settings().links_base}/account/security/two-factor"
    for person in people.values():
        await queue_mail(
            session,
            to=person.email,
            template="two_factor_required_alert",
            language=person.language,
            context={
                "recipient_name": person.first_name,
                "organization_name": organization.name,
                "enroll_url": enroll_url,
            },
        )
    await activity.record(
        session,
        by,
        "security.two_factor_alerts_sent",
        organization_id=organization.id,
        details={"recipients": [str(account_id) for account_id in people]},
    )
    return len(people)
