"""What other packages may call about organizations (never their tables), and nothing else:
creating one at sign-up, the account and organization deletion checks, products created by
billing and ticketing, the partnership billing prices by, billing addresses, who to notify.

The organizations package's own use cases live in its topic modules (``details``, ``members``,
``rights``, ``partners``, ``support``, ``products``, ``platform``).
"""

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts import directory
from app.accounts.types import Language
from app.activity import service as activity
from app.activity.types import Actor, Via
from app.core import clock
from app.core.errors import Conflict
from app.events import service as events
from app.organizations import platform
from app.organizations.details import currency_for, get_billing_address
from app.organizations.members import (
    join_through_identity_provider as join_through_identity_provider,
)
from app.organizations.members import lock_organization as lock_organization
from app.organizations.members import (
    member_ids,
    members_of,
    remove_member_records,
)
from app.organizations.models import (
    BillingAddress,
    Invitation,
    Membership,
    Organization,
    PartnerInvitation,
    Partnership,
    PartnershipProduct,
    Product,
    SupportAccessGrant,
)
from app.organizations.partners import (
    start_partnership_for_opened_client as start_partnership_for_opened_client,
)
from app.organizations.schemas import OrganizationRead, ProductRead
from app.organizations.seats import assign_seat as assign_seat
from app.organizations.seats import free_seat as free_seat
from app.organizations.seats import seat_read as seat_read
from app.organizations.seats import seated_product as seated_product
from app.organizations.seats import seats_of as seats_of
from app.organizations.types import (
    OrganizationKind,
    PartnerAccess,
    PaymentMode,
    ProductStatus,
    ProductType,
    Recipient,
    Role,
)

HELD_PRODUCT_STATUSES = frozenset(set(ProductStatus) - {ProductStatus.released})


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
    organization = Organization(
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
    )
    session.add(organization)
    await session.flush()
    session.add(
        Membership(
            organization_id=organization.id,
            account_id=legal_representative_id,
            role=Role.legal_representative,
            acts_for_clients=False,
        )
    )
    await session.flush()
    await activity.record(
        session,
        Actor(legal_representative_id, organization.id, Via.member),
        "organization.created",
        organization_id=organization.id,
        details={"name": name},
    )
    await events.emit(
        session,
        "organization.created",
        OrganizationRead.model_validate(organization),
        organization_id=organization.id,
    )
    return organization


async def memberships_of(session: AsyncSession, account_id: uuid.UUID) -> list[Membership]:
    statement = (
        select(Membership)
        .join(Organization, Organization.id == Membership.organization_id)
        .where(Membership.account_id == account_id, Organization.deleted_at.is_(None))
    )
    return list(await session.scalars(statement))


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
                await close_organization(session, organization, by_account_id=account_id)


async def organization_deletion_blockers(
    session: AsyncSession, organization: Organization
) -> list[str]:
    """What in the organization itself blocks its deletion, as stable codes: products, other
    members (``app.lifecycle.organization_deletion_blockers`` adds billing's)."""
    blockers = []
    if await _held_products(session, organization.id):
        blockers.append("products")
    members = await session.scalar(
        select(func.count()).where(Membership.organization_id == organization.id)
    )
    if (members or 0) > 1:
        blockers.append("other_members")
    return blockers


async def legal_representative_ids(
    session: AsyncSession, organization_id: uuid.UUID
) -> list[uuid.UUID]:
    return list(
        await session.scalars(
            select(Membership.account_id).where(
                Membership.organization_id == organization_id,
                Membership.role == Role.legal_representative,
            )
        )
    )


async def close_organization(
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
    await activity.record(
        session,
        Actor(by_account_id, organization.id, Via.member),
        "organization.deleted",
        organization_id=organization.id,
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
    by: Actor | None = None,
) -> Product:
    """Adds a product to the organization (billing calls this when an order is paid, ticketing
    when an office opens; without ``by`` the service itself creates it)."""
    product = Product(
        organization_id=organization_id,
        type=type,
        name=name,
        status=ProductStatus.active,
        management_locked=False,
    )
    session.add(product)
    await session.flush()
    await activity.record(
        session,
        by or Actor.system(),
        "product.created",
        organization_id=organization_id,
        product_id=product.id,
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


async def organization_exists(session: AsyncSession, organization_id: uuid.UUID) -> bool:
    found = await session.scalar(
        select(Organization.id).where(
            Organization.id == organization_id, Organization.deleted_at.is_(None)
        )
    )
    return found is not None


async def billing_address(
    session: AsyncSession, organization_id: uuid.UUID, address_id: uuid.UUID
) -> BillingAddress:
    """One of the organization's extra billing addresses (billing uses it per renewal)."""
    return await get_billing_address(session, organization_id, address_id)


async def recipients(
    session: AsyncSession, organization_id: uuid.UUID, *, roles: Iterable[Role]
) -> list[Recipient]:
    """The members of the organization with one of ``roles`` to notify (billing's reminders,
    webhooks' disabling notices), oldest member first; deleted accounts are left out."""
    wanted = list(roles)
    memberships = list(
        await session.scalars(
            members_of(organization_id)
            .where(Membership.role.in_(wanted))
            .order_by(Membership.created_at, Membership.id)
        )
    )
    people = await directory.summaries(session, [item.account_id for item in memberships])
    return [
        Recipient(
            account_id=person.id,
            email=person.email,
            name=person.full_name,
            language=Language(person.language),
        )
        for item in memberships
        if (person := people.get(item.account_id)) is not None
    ]


# --- used by ticketing ---


async def currency_of(session: AsyncSession, organization_id: uuid.UUID) -> str:
    """The currency of an existing organization (a new ticket office sells in it unless told
    otherwise); LookupError when there is no such organization."""
    currency = await session.scalar(
        select(Organization.currency).where(Organization.id == organization_id)
    )
    if currency is None:
        raise LookupError(f"no organization {organization_id}")
    return currency


# --- used by billing ---


@dataclass(frozen=True)
class BillingDetails:
    """What billing needs of an organization: who it is, where it is, what currency it pays in."""

    id: uuid.UUID
    name: str
    address: dict[str, Any] | None
    country: str
    currency: str


async def billing_details(
    session: AsyncSession, organization_id: uuid.UUID
) -> BillingDetails | None:
    """The organization's billing details (deleted organizations included: their invoices stay)."""
    organization = await session.get(Organization, organization_id)
    if organization is None:
        return None
    return BillingDetails(
        id=organization.id,
        name=organization.name,
        address=dict(organization.address) if organization.address else None,
        country=organization.country,
        currency=organization.currency,
    )


async def is_member(
    session: AsyncSession, organization_id: uuid.UUID, account_id: uuid.UUID
) -> bool:
    return bool(
        await session.scalar(
            select(func.count()).where(
                Membership.organization_id == organization_id,
                Membership.account_id == account_id,
            )
        )
    )


async def member_account_ids_with_role(
    session: AsyncSession, organization_id: uuid.UUID, *, roles: frozenset[Role]
) -> list[uuid.UUID]:
    """The accounts holding one of ``roles`` in the organization (billing mails its notices)."""
    return list(
        await session.scalars(
            select(Membership.account_id).where(
                Membership.organization_id == organization_id,
                Membership.role.in_([str(role) for role in roles]),
            )
        )
    )


async def set_product_status(
    session: AsyncSession, product_id: uuid.UUID, status: ProductStatus
) -> None:
    """Billing moves a product through its lifecycle (expired, redemption, released, active)."""
    await session.execute(
        update(Product)
        .where(Product.id == product_id)
        .values(status=status, updated_at=clock.now())
        .execution_options(synchronize_session=False)
    )


async def product_name(session: AsyncSession, product_id: uuid.UUID) -> str:
    """The product's name ("" when there is none), for invoice lines."""
    name = await session.scalar(select(Product.name).where(Product.id == product_id))
    return name or ""


async def set_premium_support(
    session: AsyncSession, organization_id: uuid.UUID, *, enabled: bool, by: Actor
) -> None:
    """Billing turns premium support (and so the VIP code) on when its product is paid and off
    when that product ends. The organization row is locked."""
    organization = await platform.get_organization(session, organization_id, for_update=True)
    await platform.set_platform_flags(
        session, organization, changes={"premium_support": enabled}, by=by
    )


# --- used by the affiliate programme ---


async def set_affiliate_flag(
    session: AsyncSession, organization_id: uuid.UUID, *, is_affiliate: bool, by: Actor
) -> None:
    """Marks the organization as an affiliate (or no longer one); a partner cannot be one
    (``AffiliatePartnerConflict``). The organization row is locked."""
    organization = await platform.get_organization(session, organization_id, for_update=True)
    await platform.set_platform_flags(
        session, organization, changes={"is_affiliate": is_affiliate}, by=by
    )


async def member_account_ids(session: AsyncSession, organization_id: uuid.UUID) -> list[uuid.UUID]:
    """Every member account of the organization."""
    return await member_ids(session, organization_id)


async def is_managed_by_partner(session: AsyncSession, organization_id: uuid.UUID) -> bool:
    """Whether a partner manages the organization now."""
    return await partnership_for_client(session, organization_id) is not None


# --- used by webhooks ---


async def organization_name(session: AsyncSession, organization_id: uuid.UUID) -> str | None:
    return await session.scalar(select(Organization.name).where(Organization.id == organization_id))


async def organization_created_at(
    session: AsyncSession, organization_id: uuid.UUID
) -> datetime | None:
    return await session.scalar(
        select(Organization.created_at).where(Organization.id == organization_id)
    )
