"""Organizations and memberships."""

import uuid
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.core import clock
from app.organizations.models import (
    Membership,
    Organization,
    OrganizationKind,
    Product,
    ProductStatus,
    ProductType,
    Role,
)

CHF_COUNTRIES = frozenset({"CH", "LI"})


def currency_for(country: str) -> str:
    """The invoicing currency set by the postal address's country."""
    return "CHF" if country.upper() in CHF_COUNTRIES else "EUR"


async def create_organization(
    session: AsyncSession,
    *,
    name: str,
    legal_representative_id: uuid.UUID,
    kind: OrganizationKind = OrganizationKind.private,
    address: dict[str, Any] | None = None,
    phone: str | None = None,
) -> Organization:
    country = str((address or {}).get("country") or "CH").upper()
    organization = Organization(
        id=uuid.uuid4(),
        name=name,
        kind=kind,
        address=address,
        country=country,
        currency=currency_for(country),
        phone=phone,
        created_at=clock.now(),
        updated_at=clock.now(),
    )
    session.add(organization)
    await session.flush()
    session.add(
        Membership(
            id=uuid.uuid4(),
            organization_id=organization.id,
            account_id=legal_representative_id,
            role=Role.legal_representative,
            created_at=clock.now(),
        )
    )
    await session.flush()
    return organization


async def memberships_of(session: AsyncSession, account_id: uuid.UUID) -> list[Membership]:
    statement = (
        select(Membership)
        .join(Organization, Organization.id == Membership.organization_id)
        .where(Membership.account_id == account_id, Organization.deleted_at.is_(None))
    )
    return list(await session.scalars(statement))


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


async def account_deletion_blockers(session: AsyncSession, account_id: uuid.UUID) -> list[str]:
    """Names of organizations the account is the only legal representative of, with others in it."""
    blockers = []
    for membership in await memberships_of(session, account_id):
        if membership.role != Role.legal_representative:
            continue
        counts = (
            await session.execute(
                select(
                    func.count().filter(Membership.role == Role.legal_representative),
                    func.count(),
                ).where(Membership.organization_id == membership.organization_id)
            )
        ).one()
        representatives, members = counts
        if representatives == 1 and members > 1:
            organization = await session.get(Organization, membership.organization_id)
            if organization is not None:
                blockers.append(organization.name)
    return blockers


async def leave_all(session: AsyncSession, account_id: uuid.UUID) -> None:
    """Removes the account from its organizations; those left without members are deleted."""
    for membership in await memberships_of(session, account_id):
        organization_id = membership.organization_id
        await session.delete(membership)
        await session.flush()
        remaining = await session.scalar(
            select(func.count()).where(Membership.organization_id == organization_id)
        )
        if not remaining:
            organization = await session.get(Organization, organization_id)
            if organization is not None:
                organization.deleted_at = clock.now()


async def create_product(
    session: AsyncSession, *, organization_id: uuid.UUID, type: ProductType, name: str
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
    return product
