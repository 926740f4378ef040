"""Partners (resellers) and the client organizations they manage."""

import csv
import io
import uuid
from collections.abc import Sequence
from datetime import timedelta
from typing import Any, Literal

from sqlalchemy import Select, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts import directory
from app.activity import service as activity
from app.activity.types import Actor
from app.core import clock
from app.core.db import one_or_raise
from app.core.security.tokens import digest, new_token
from app.core.settings import get_settings
from app.events import service as events
from app.notifications.service import queue_mail
from app.organizations.errors import (
    BillingNeedsFullAccess,
    InvalidInvitation,
    InvitationNotPending,
    LimitedAccessNeedsProducts,
    PartnerInvitationNotFound,
    PartnerIsClient,
    PartnershipEnded,
    PartnershipExists,
    PartnershipNotFound,
    ProductNotInOrganization,
)
from app.organizations.members import invitation_status, lock_organization
from app.organizations.models import (
    Organization,
    PartnerInvitation,
    Partnership,
    PartnershipProduct,
    Product,
)
from app.organizations.permissions import OrganizationAccess
from app.organizations.schemas import (
    PartnerInvitationPreview,
    PartnerInvitationRead,
    PartnershipRead,
)
from app.organizations.types import PartnerAccess, PaymentMode

Status = Literal["active", "ended", "all"]
CSV_EXPORT_LIMIT = 10_000
PARTNER_INVITATION_LIFETIME = timedelta(days=14)


def partner_invitation_read(invitation: PartnerInvitation) -> PartnerInvitationRead:
    fields = {
        field: getattr(invitation, field)
        for field in PartnerInvitationRead.model_fields
        if field != "status"
    }
    # Same lifecycle as member invitations: pending, accepted, revoked or expired.
    return PartnerInvitationRead.model_validate({**fields, "status": invitation_status(invitation)})


async def invite_client(
    session: AsyncSession,
    access: OrganizationAccess,
    *,
    email: str,
    client_name: str,
    access_type: PartnerAccess,
    includes_billing: bool,
    payment_mode: PaymentMode,
    by: Actor,
) -> PartnerInvitation:
    """Mails a client's legal representative a request to be managed by the partner."""
    if access_type == PartnerAccess.limited and includes_billing:
        raise BillingNeedsFullAccess("Billing can only be included with full access.")
    now = clock.now()
    raw = new_token()
    invitation = PartnerInvitation(
        partner_organization_id=access.organization.id,
        email=email,
        client_name=client_name,
        access_type=access_type,
        includes_billing=includes_billing,
        payment_mode=payment_mode,
        token_digest=digest(raw),
        invited_by_account_id=access.account_id,
        expires_at=now + PARTNER_INVITATION_LIFETIME,
    )
    session.add(invitation)
    await session.flush()
    recipient = await directory.by_email(session, email)
    await queue_mail(
        session,
        to=email,
        template="partner_invitation",
        language=recipient.language if recipient else access.principal.account.language,
        context={
            "recipient_name": recipient.first_name if recipient else "",
            "partner_name": access.organization.name,
            "client_name": client_name,
            "accept_url": f"{get_settings().links_base}/partner-invitations/accept?token={raw}",
        },
    )
    await activity.record(
        session,
        by,
        "partnership.invited",
        organization_id=access.organization.id,
        details={
            "invitation_id": str(invitation.id),
            "email": email,
            "client_name": client_name,
            "access_type": access_type.value,
        },
    )
    return invitation


async def revoke_invitation(
    session: AsyncSession, organization: Organization, invitation_id: uuid.UUID, *, by: Actor
) -> PartnerInvitation:
    invitation = await session.scalar(
        select(PartnerInvitation)
        .where(
            PartnerInvitation.id == invitation_id,
            PartnerInvitation.partner_organization_id == organization.id,
        )
        .with_for_update()
    )
    if invitation is None:
        raise PartnerInvitationNotFound("No such invitation.")
    if invitation_status(invitation) != "pending":
        raise InvitationNotPending("The invitation is no longer pending.")
    invitation.revoked_at = clock.now()
    await activity.record(
        session,
        by,
        "partnership.invitation_revoked",
        organization_id=organization.id,
        details={"invitation_id": str(invitation.id)},
    )
    return invitation


async def get_pending_invitation(
    session: AsyncSession, raw: str, *, for_update: bool = False
) -> tuple[PartnerInvitation, Organization]:
    statement = (
        select(PartnerInvitation, Organization)
        .join(Organization, Organization.id == PartnerInvitation.partner_organization_id)
        .where(
            PartnerInvitation.token_digest == digest(raw),
            Organization.deleted_at.is_(None),
            Organization.is_partner.is_(True),
        )
    )
    if for_update:
        statement = statement.with_for_update(of=PartnerInvitation)
    row = (await session.execute(statement)).one_or_none()
    if row is None or invitation_status(row[0]) != "pending":
        raise InvalidInvitation("This invitation is invalid, expired or already used.")
    return row[0], row[1]


async def preview(session: AsyncSession, raw: str) -> PartnerInvitationPreview:
    invitation, partner = await get_pending_invitation(session, raw)
    return PartnerInvitationPreview(
        partner_organization_id=partner.id,
        partner_name=partner.name,
        client_name=invitation.client_name,
        access_type=PartnerAccess(invitation.access_type),
        includes_billing=invitation.includes_billing,
        payment_mode=PaymentMode(invitation.payment_mode),
        expires_at=invitation.expires_at,
    )


async def _set_products(
    session: AsyncSession,
    partnership: Partnership,
    client_id: uuid.UUID,
    product_ids: Sequence[uuid.UUID],
) -> None:
    wanted = set(product_ids)
    found = set(
        await session.scalars(
            select(Product.id).where(Product.organization_id == client_id, Product.id.in_(wanted))
        )
    )
    if found != wanted:
        raise ProductNotInOrganization("Some products are not the organization's.")
    if partnership.access_type == PartnerAccess.limited and not wanted:
        raise LimitedAccessNeedsProducts("Limited access needs at least one product.")
    current = set(
        await session.scalars(
            select(PartnershipProduct.product_id).where(
                PartnershipProduct.partnership_id == partnership.id
            )
        )
    )
    for product_id in current - wanted:
        link = await session.get(PartnershipProduct, (partnership.id, product_id))
        if link is not None:
            await session.delete(link)
    for product_id in wanted - current:
        session.add(PartnershipProduct(partnership_id=partnership.id, product_id=product_id))
    await session.flush()


async def accept(
    session: AsyncSession,
    organization: Organization,
    raw: str,
    *,
    access_type: PartnerAccess,
    includes_billing: bool,
    product_ids: Sequence[uuid.UUID],
    payment_mode: PaymentMode,
    by: Actor,
) -> Partnership:
    """The client's legal representative accepts, granting full or limited access (which may
    differ from what the partner asked for) and choosing who pays."""
    invitation, partner = await get_pending_invitation(session, raw, for_update=True)
    client = organization
    if partner.id == client.id:
        raise PartnerIsClient("An organization cannot manage itself.")
    await lock_organization(session, client.id)
    if await session.scalar(
        select(func.count()).where(
            Partnership.client_organization_id == client.id, Partnership.ended_at.is_(None)
        )
    ):
        raise PartnershipExists("A partner already manages this organization: end it first.")
    now = clock.now()
    partnership = Partnership(
        partner_organization_id=partner.id,
        client_organization_id=client.id,
        access_type=access_type,
        includes_billing=includes_billing and access_type == PartnerAccess.full,
        payment_mode=payment_mode,
        accepted_by_account_id=by.account_id,
    )
    try:
        async with session.begin_nested():
            session.add(partnership)
    except IntegrityError:
        raise PartnershipExists("A partner already manages this organization.") from None
    await _set_products(
        session, partnership, client.id, product_ids if access_type == PartnerAccess.limited else []
    )
    invitation.accepted_at = now
    invitation.partnership_id = partnership.id
    await _record_both(session, organization, partnership, "partnership.started", by=by)
    return partnership


async def get_client_partnership(
    session: AsyncSession,
    client_id: uuid.UUID,
    partnership_id: uuid.UUID,
    *,
    for_update: bool = False,
) -> Partnership:
    """A partnership managing the client organization (ended ones too)."""
    return await _get_partnership(
        session, Partnership.client_organization_id == client_id, partnership_id, for_update
    )


async def get_partner_partnership(
    session: AsyncSession,
    partner_id: uuid.UUID,
    partnership_id: uuid.UUID,
    *,
    for_update: bool = False,
) -> Partnership:
    """A partnership of the partner organization with one of its clients (ended ones too)."""
    return await _get_partnership(
        session, Partnership.partner_organization_id == partner_id, partnership_id, for_update
    )


async def _get_partnership(
    session: AsyncSession, side: Any, partnership_id: uuid.UUID, for_update: bool
) -> Partnership:
    statement = select(Partnership).where(Partnership.id == partnership_id, side)
    return await one_or_raise(
        session, statement, PartnershipNotFound("No such partnership."), for_update=for_update
    )


def invitations_of(partner_id: uuid.UUID) -> Select[PartnerInvitation]:
    """The invitations a partner sent to prospective clients."""
    return select(PartnerInvitation).where(PartnerInvitation.partner_organization_id == partner_id)


def _with_status(statement: Select[Partnership], wanted: Status) -> Select[Partnership]:
    if wanted == "active":
        return statement.where(Partnership.ended_at.is_(None))
    if wanted == "ended":
        return statement.where(Partnership.ended_at.is_not(None))
    return statement


def clients_of(partner_id: uuid.UUID, status: Status = "active") -> Select[Partnership]:
    """The partnerships of a partner with its clients: active, ended or all."""
    statement = select(Partnership).where(Partnership.partner_organization_id == partner_id)
    return _with_status(statement, status)


def partnerships_of(client_id: uuid.UUID, status: Status = "all") -> Select[Partnership]:
    """The partnerships managing (or that managed) a client organization."""
    statement = select(Partnership).where(Partnership.client_organization_id == client_id)
    return _with_status(statement, status)


async def clients_export(session: AsyncSession, partner_id: uuid.UUID, status: Status) -> str:
    """The partner's clients as CSV, newest first, at most ``CSV_EXPORT_LIMIT`` lines."""
    statement = (
        clients_of(partner_id, status)
        .order_by(Partnership.created_at.desc(), Partnership.id.desc())
        .limit(CSV_EXPORT_LIMIT)
    )
    rows = list(await session.scalars(statement))
    return clients_csv(await partnership_reads(session, rows))


async def change_terms(
    session: AsyncSession,
    organization: Organization,
    partnership: Partnership,
    *,
    access_type: PartnerAccess,
    includes_billing: bool,
    product_ids: Sequence[uuid.UUID],
    payment_mode: PaymentMode,
    by: Actor,
) -> Partnership:
    """The client changes what its partner may do; it applies on the partner's next request."""
    if partnership.ended_at is not None:
        raise PartnershipEnded("This partnership has ended.")
    partnership.access_type = access_type
    partnership.includes_billing = includes_billing and access_type == PartnerAccess.full
    partnership.payment_mode = payment_mode
    partnership.updated_at = clock.now()
    await _set_products(
        session,
        partnership,
        partnership.client_organization_id,
        product_ids if access_type == PartnerAccess.limited else [],
    )
    await _record_both(session, organization, partnership, "partnership.updated", by=by)
    return partnership


async def end(
    session: AsyncSession, organization: Organization, partnership: Partnership, *, by: Actor
) -> Partnership:
    """Ends the partnership (the client, or the partner): the partner's access stops at once."""
    if partnership.ended_at is not None:
        raise PartnershipEnded("This partnership has already ended.")
    now = clock.now()
    partnership.ended_at = now
    partnership.ended_by_account_id = by.account_id
    partnership.ended_by_organization_id = organization.id
    partnership.updated_at = now
    await session.flush()
    await _record_both(session, organization, partnership, "partnership.ended", by=by)
    return partnership


async def _record_both(
    session: AsyncSession,
    organization: Organization,
    partnership: Partnership,
    action: str,
    *,
    by: Actor,
) -> None:
    """Records and emits in the caller's organization and in the other side's."""
    read = await partnership_read(session, partnership)
    details = {
        "partnership_id": str(partnership.id),
        "access_type": str(partnership.access_type),
        "includes_billing": partnership.includes_billing,
        "payment_mode": str(partnership.payment_mode),
        "product_ids": [str(product_id) for product_id in read.product_ids],
    }
    await activity.record(session, by, action, organization_id=organization.id, details=details)
    other = (
        partnership.partner_organization_id
        if organization.id == partnership.client_organization_id
        else partnership.client_organization_id
    )
    await activity.record(session, by, action, organization_id=other, details=details)
    for organization_id in (
        partnership.client_organization_id,
        partnership.partner_organization_id,
    ):
        await events.emit(session, action, read, organization_id=organization_id)


async def partnership_reads(
    session: AsyncSession, partnerships: Sequence[Partnership]
) -> list[PartnershipRead]:
    if not partnerships:
        return []
    organization_ids = {p.partner_organization_id for p in partnerships} | {
        p.client_organization_id for p in partnerships
    }
    rows = await session.execute(
        select(Organization.id, Organization.name).where(Organization.id.in_(organization_ids))
    )
    names = {row[0]: row[1] for row in rows}
    products: dict[uuid.UUID, list[uuid.UUID]] = {p.id: [] for p in partnerships}
    for partnership_id, product_id in await session.execute(
        select(PartnershipProduct.partnership_id, PartnershipProduct.product_id)
        .where(PartnershipProduct.partnership_id.in_(list(products)))
        .order_by(PartnershipProduct.product_id)
    ):
        products[partnership_id].append(product_id)
    return [
        PartnershipRead(
            id=p.id,
            partner_organization_id=p.partner_organization_id,
            partner_name=names.get(p.partner_organization_id, ""),
            client_organization_id=p.client_organization_id,
            client_name=names.get(p.client_organization_id, ""),
            access_type=PartnerAccess(p.access_type),
            includes_billing=p.includes_billing,
            payment_mode=PaymentMode(p.payment_mode),
            product_ids=products[p.id],
            created_at=p.created_at,
            ended_at=p.ended_at,
        )
        for p in partnerships
    ]


async def partnership_read(session: AsyncSession, partnership: Partnership) -> PartnershipRead:
    return (await partnership_reads(session, [partnership]))[0]


CSV_COLUMNS = (
    "client_organization_id",
    "client_name",
    "access_type",
    "includes_billing",
    "payment_mode",
    "products",
    "started_at",
    "ended_at",
)


def _cell(value: object) -> str:
    """A CSV cell a spreadsheet will not run as a formula."""
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def clients_csv(rows: Sequence[PartnershipRead]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(CSV_COLUMNS)
    for row in rows:
        writer.writerow(
            [
                _cell(row.client_organization_id),
                _cell(row.client_name),
                _cell(row.access_type.value),
                _cell("yes" if row.includes_billing else "no"),
                _cell(row.payment_mode.value),
                _cell(len(row.product_ids) if row.access_type == PartnerAccess.limited else "all"),
                _cell(row.created_at.isoformat()),
                _cell(row.ended_at.isoformat() if row.ended_at else ""),
            ]
        )
    return buffer.getvalue()
