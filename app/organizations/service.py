"""Organizations: creation, details, logo, billing addresses, deletion; what other domains ask.

Other domains call this module (never the tables): ``create_organization``, ``memberships_of``,
``account_deletion_blockers``, ``leave_all``, ``create_product``, ``partnership_for_client``,
``billing_address``, ``organization_deletion_blockers``.
"""

import secrets
import uuid
from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts import directory
from app.activity import service as activity
from app.billing import service as billing
from app.core import clock
from app.core.errors import Conflict, NotFound
from app.events import service as events
from app.organizations.models import (
    BillingAddress,
    Grant,
    Invitation,
    Membership,
    Organization,
    OrganizationLogo,
    PartnerInvitation,
    Partnership,
    PartnershipProduct,
    Product,
    SupportAccessGrant,
    Team,
    TeamMember,
)
from app.organizations.schemas import OrganizationRead, ProductRead
from app.organizations.types import (
    OrganizationKind,
    PartnerAccess,
    PaymentMode,
    ProductStatus,
    ProductType,
    Role,
)

CHF_COUNTRIES = frozenset({"CH", "LI"})
HELD_PRODUCT_STATUSES = frozenset(set(ProductStatus) - {ProductStatus.released})


def currency_for(country: str) -> str:
    """The invoicing currency set by the postal address's country."""
    return "CHF" if country.upper() in CHF_COUNTRIES else "EUR"


class BillingAddressNotFound(NotFound):
    code = "billing_address_not_found"


class OrganizationNotDeletable(Conflict):
    code = "organization_not_deletable"


async def create_organization(
    session: AsyncSession,
    *,
    name: str,
    legal_representative_id: uuid.UUID,
    kind: OrganizationKind = OrganizationKind.private,
    address: dict[str, Any] | None = None,
    phone: str | None = None,
) -> Organization:
    """A new organization whose legal representative is ``legal_representative_id``."""
    country = str((address or {}).get("country") or "CH").upper()
    now = clock.now()
    organization = Organization(
        id=uuid.uuid4(),
        name=name,
        kind=kind,
        address=address,
        country=country,
        currency=currency_for(country),
        phone=phone,
        is_partner=False,
        is_affiliate=False,
        require_two_factor=False,
        premium_support=False,
        created_at=now,
        updated_at=now,
    )
    session.add(organization)
    await session.flush()
    session.add(
        Membership(
            id=uuid.uuid4(),
            organization_id=organization.id,
            account_id=legal_representative_id,
            role=Role.legal_representative,
            acts_for_clients=False,
            created_at=now,
        )
    )
    await session.flush()
    await activity.record_entry(
        session,
        "organization.created",
        organization_id=organization.id,
        actor_account_id=legal_representative_id,
        actor_organization_id=organization.id,
        details={"name": name},
    )
    await events.emit(
        session,
        "organization.created",
        OrganizationRead.model_validate(organization),
        organization_id=organization.id,
    )
    return organization


async def lock_organization(session: AsyncSession, organization_id: uuid.UUID) -> None:
    """Serializes changes to the organization's members (the last legal representative rule)."""
    await session.execute(
        select(Organization.id).where(Organization.id == organization_id).with_for_update()
    )


async def update_details(
    session: AsyncSession, organization: Organization, changes: dict[str, Any]
) -> list[str]:
    """Applies ``changes`` (name, kind, address, phone); the address's country sets the
    currency. Returns the fields that changed."""
    changed = []
    for field, value in changes.items():
        if getattr(organization, field) != value:
            setattr(organization, field, value)
            changed.append(field)
    if "address" in changed and organization.address:
        organization.country = str(organization.address["country"]).upper()
        organization.currency = currency_for(organization.country)
    if changed:
        organization.updated_at = clock.now()
        await session.flush()
    return changed


async def set_logo(
    session: AsyncSession, organization: Organization, *, content_type: str, data: bytes
) -> None:
    logo = await session.get(OrganizationLogo, organization.id)
    now = clock.now()
    if logo is None:
        session.add(
            OrganizationLogo(
                organization_id=organization.id,
                content_type=content_type,
                data=data,
                updated_at=now,
            )
        )
    else:
        logo.content_type, logo.data, logo.updated_at = content_type, data, now
    organization.logo_updated_at = now
    await session.flush()


async def remove_logo(session: AsyncSession, organization: Organization) -> bool:
    result = await session.execute(
        delete(OrganizationLogo).where(OrganizationLogo.organization_id == organization.id)
    )
    organization.logo_updated_at = None
    return bool(getattr(result, "rowcount", 0))


async def logo_of(session: AsyncSession, organization_id: uuid.UUID) -> OrganizationLogo | None:
    return await session.get(OrganizationLogo, organization_id)


async def add_billing_address(
    session: AsyncSession, organization_id: uuid.UUID, fields: dict[str, Any]
) -> BillingAddress:
    now = clock.now()
    address = BillingAddress(
        id=uuid.uuid4(), organization_id=organization_id, created_at=now, updated_at=now, **fields
    )
    session.add(address)
    await session.flush()
    return address


async def billing_address(
    session: AsyncSession, organization_id: uuid.UUID, address_id: uuid.UUID
) -> BillingAddress:
    """One of the organization's extra billing addresses (billing uses it per renewal)."""
    address = await session.scalar(
        select(BillingAddress).where(
            BillingAddress.id == address_id, BillingAddress.organization_id == organization_id
        )
    )
    if address is None:
        raise BillingAddressNotFound("No such billing address.")
    return address


async def update_billing_address(
    session: AsyncSession, address: BillingAddress, fields: dict[str, Any]
) -> BillingAddress:
    for field, value in fields.items():
        setattr(address, field, value)
    address.updated_at = clock.now()
    await session.flush()
    return address


async def organization_exists(session: AsyncSession, organization_id: uuid.UUID) -> bool:
    found = await session.scalar(
        select(Organization.id).where(
            Organization.id == organization_id, Organization.deleted_at.is_(None)
        )
    )
    return found is not None


async def memberships_of(session: AsyncSession, account_id: uuid.UUID) -> list[Membership]:
    statement = (
        select(Membership)
        .join(Organization, Organization.id == Membership.organization_id)
        .where(Membership.account_id == account_id, Organization.deleted_at.is_(None))
    )
    return list(await session.scalars(statement))


async def member_ids(session: AsyncSession, organization_id: uuid.UUID) -> list[uuid.UUID]:
    return list(
        await session.scalars(
            select(Membership.account_id).where(Membership.organization_id == organization_id)
        )
    )


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


async def _held_products(session: AsyncSession, organization_id: uuid.UUID) -> int:
    return int(
        await session.scalar(
            select(func.count()).where(
                Product.organization_id == organization_id,
                Product.status.in_(list(HELD_PRODUCT_STATUSES)),
            )
        )
        or 0
    )


async def account_deletion_blockers(session: AsyncSession, account_id: uuid.UUID) -> list[str]:
    """Names of the organizations the account is the only legal representative of while they
    have other members or products."""
    blockers = []
    for membership in await memberships_of(session, account_id):
        if membership.role != Role.legal_representative:
            continue
        representatives, members = (
            await session.execute(
                select(
                    func.count().filter(Membership.role == Role.legal_representative),
                    func.count(),
                ).where(Membership.organization_id == membership.organization_id)
            )
        ).one()
        if representatives > 1:
            continue
        if members > 1 or await _held_products(session, membership.organization_id):
            organization = await session.get(Organization, membership.organization_id)
            if organization is not None:
                blockers.append(organization.name)
    return blockers


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
    teams = select(Team.id).where(Team.organization_id == organization_id)
    await session.execute(
        delete(TeamMember).where(TeamMember.account_id == account_id, TeamMember.team_id.in_(teams))
    )
    await session.execute(
        delete(Membership).where(
            Membership.organization_id == organization_id, Membership.account_id == account_id
        )
    )


async def leave_all(session: AsyncSession, account_id: uuid.UUID) -> None:
    """Removes the account from its organizations; those left without members are deleted."""
    for membership in await memberships_of(session, account_id):
        organization_id = membership.organization_id
        await remove_member_records(session, organization_id, account_id)
        await session.flush()
        remaining = await session.scalar(
            select(func.count()).where(Membership.organization_id == organization_id)
        )
        if not remaining:
            organization = await session.get(Organization, organization_id)
            if organization is not None:
                await _close(session, organization, by_account_id=account_id)


async def organization_deletion_blockers(
    session: AsyncSession, organization: Organization
) -> list[str]:
    """Why the organization cannot be deleted now, as stable codes (empty: it can be).

    An organization can be deleted only when it holds no products, no other users, no unpaid
    invoices and no prepaid balance.
    """
    blockers = []
    if await _held_products(session, organization.id):
        blockers.append("products")
    members = await session.scalar(
        select(func.count()).where(Membership.organization_id == organization.id)
    )
    if (members or 0) > 1:
        blockers.append("other_members")
    if await billing.has_unpaid_invoices(session, organization.id):
        blockers.append("unpaid_invoices")
    if await billing.has_prepaid_balance(session, organization.id):
        blockers.append("prepaid_balance")
    return blockers


async def delete_organization(
    session: AsyncSession, organization: Organization, *, by_account_id: uuid.UUID
) -> None:
    """Deletes the organization when nothing blocks it (409 listing the blockers otherwise)."""
    await lock_organization(session, organization.id)
    blockers = await organization_deletion_blockers(session, organization)
    if blockers:
        raise OrganizationNotDeletable(
            "The organization cannot be deleted yet: " + ", ".join(blockers) + ".",
            blockers=blockers,
        )
    await _close(session, organization, by_account_id=by_account_id)


async def _close(
    session: AsyncSession, organization: Organization, *, by_account_id: uuid.UUID
) -> None:
    now = clock.now()
    organization.deleted_at = now
    await session.execute(
        update(Partnership)
        .where(
            Partnership.ended_at.is_(None),
            (Partnership.client_organization_id == organization.id)
            | (Partnership.partner_organization_id == organization.id),
        )
        .values(ended_at=now, ended_by_account_id=by_account_id, updated_at=now)
    )
    for model in (Invitation, PartnerInvitation):
        column = (
            Invitation.organization_id
            if model is Invitation
            else PartnerInvitation.partner_organization_id
        )
        await session.execute(
            update(model)
            .where(
                column == organization.id, model.accepted_at.is_(None), model.revoked_at.is_(None)
            )
            .values(revoked_at=now)
        )
    await session.execute(
        update(SupportAccessGrant)
        .where(
            SupportAccessGrant.organization_id == organization.id,
            SupportAccessGrant.revoked_at.is_(None),
        )
        .values(revoked_at=now, revoked_by_account_id=by_account_id)
    )
    for account_id in await member_ids(session, organization.id):
        await remove_member_records(session, organization.id, account_id)
    await activity.record_entry(
        session,
        "organization.deleted",
        organization_id=organization.id,
        actor_account_id=by_account_id,
        actor_organization_id=organization.id,
    )
    await events.emit(
        session,
        "organization.deleted",
        OrganizationRead.model_validate(organization),
        organization_id=organization.id,
    )
    await session.flush()


async def create_product(
    session: AsyncSession,
    *,
    organization_id: uuid.UUID,
    type: ProductType,
    name: str,
    actor_account_id: uuid.UUID | None = None,
    actor_organization_id: uuid.UUID | None = None,
) -> Product:
    """Adds a product to the organization (billing calls this when an order is paid)."""
    now = clock.now()
    product = Product(
        id=uuid.uuid4(),
        organization_id=organization_id,
        type=type,
        name=name,
        status=ProductStatus.active,
        management_locked=False,
        created_at=now,
        updated_at=now,
    )
    session.add(product)
    await session.flush()
    await activity.record_entry(
        session,
        "product.created",
        organization_id=organization_id,
        product_id=product.id,
        actor_account_id=actor_account_id,
        actor_organization_id=actor_organization_id,
        details={"type": str(type), "name": name},
    )
    await events.emit(
        session,
        "product.created",
        ProductRead.model_validate(product),
        organization_id=organization_id,
    )
    return product


@dataclass(frozen=True)
class ActivePartnership:
    """A partner managing a client organization, as billing needs it (partner pricing)."""

    id: uuid.UUID
    partner_organization_id: uuid.UUID
    client_organization_id: uuid.UUID
    access_type: PartnerAccess
    includes_billing: bool
    payment_mode: PaymentMode
    product_ids: frozenset[uuid.UUID]


async def partnership_for_client(
    session: AsyncSession, client_organization_id: uuid.UUID
) -> ActivePartnership | None:
    """The partnership managing the client organization now, if any."""
    partnership = await session.scalar(
        select(Partnership).where(
            Partnership.client_organization_id == client_organization_id,
            Partnership.ended_at.is_(None),
        )
    )
    if partnership is None:
        return None
    product_ids = frozenset(
        await session.scalars(
            select(PartnershipProduct.product_id).where(
                PartnershipProduct.partnership_id == partnership.id
            )
        )
    )
    return ActivePartnership(
        id=partnership.id,
        partner_organization_id=partnership.partner_organization_id,
        client_organization_id=partnership.client_organization_id,
        access_type=PartnerAccess(partnership.access_type),
        includes_billing=partnership.includes_billing,
        payment_mode=PaymentMode(partnership.payment_mode),
        product_ids=product_ids,
    )


class AffiliatePartnerConflict(Conflict):
    code = "affiliate_partner_conflict"


async def _new_vip_code(session: AsyncSession) -> str:
    while True:
        code = f"{secrets.randbelow(10**10):010d}"
        if not await session.scalar(select(func.count()).where(Organization.vip_code == code)):
            return code


async def set_platform_flags(
    session: AsyncSession,
    organization: Organization,
    *,
    changes: dict[str, bool],
    by_account_id: uuid.UUID,
) -> Organization:
    """Platform staff flag an organization as partner or affiliate (never both) or give it
    premium support (which gives it a VIP code)."""
    is_partner = changes.get("is_partner", organization.is_partner)
    is_affiliate = changes.get("is_affiliate", organization.is_affiliate)
    if is_partner and is_affiliate:
        raise AffiliatePartnerConflict(
            "An organization cannot be an affiliate and a partner at the same time."
        )
    changed = {
        field: value for field, value in changes.items() if getattr(organization, field) != value
    }
    for field, value in changed.items():
        setattr(organization, field, value)
    if organization.premium_support and organization.vip_code is None:
        organization.vip_code = await _new_vip_code(session)
    if changed:
        organization.updated_at = clock.now()
        await activity.record_entry(
            session,
            "organization.platform_flags_changed",
            organization_id=organization.id,
            actor_account_id=by_account_id,
            details=changed,
        )
    await session.flush()
    return organization


# --- used by webhooks ---


@dataclass(frozen=True)
class Recipient:
    """Someone of an organization to write to."""

    email: str
    name: str
    language: str


async def organization_name(session: AsyncSession, organization_id: uuid.UUID) -> str | None:
    return await session.scalar(select(Organization.name).where(Organization.id == organization_id))


async def recipients(
    session: AsyncSession,
    organization_id: uuid.UUID,
    *,
    roles: Collection[Role] = (Role.legal_representative, Role.administrator),
) -> list[Recipient]:
    """The organization's members with one of ``roles`` (managers by default), not deleted."""
    account_ids = await session.scalars(
        select(Membership.account_id).where(
            Membership.organization_id == organization_id, Membership.role.in_(list(roles))
        )
    )
    found = await directory.summaries(session, account_ids)
    return [
        Recipient(email=account.email, name=account.full_name, language=account.language)
        for account in sorted(found.values(), key=lambda account: account.email)
    ]
