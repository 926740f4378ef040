"""Building organizations with members, products and grants for the tests."""

import uuid
from dataclasses import dataclass, field

import httpx
from sqlalchemy import update

from app.accounts.models import Account
from app.core import clock
from app.core.db import Database
from app.organizations import service
from app.organizations.models import Membership, Organization, Product
from app.organizations.types import ProductType, Role
from tests.factories import User, signed_in_user

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


async def add_member(db: Database, organization_id: uuid.UUID, user: User, role: Role) -> None:
    async with db.sessionmaker.begin() as session:
        session.add(
            Membership(
                id=uuid.uuid4(),
                organization_id=organization_id,
                account_id=user.account_id,
                role=role,
                acts_for_clients=False,
                created_at=clock.now(),
            )
        )


async def add_product(
    db: Database, organization_id: uuid.UUID, type: ProductType = ProductType.drive, name: str = ""
) -> Product:
    async with db.sessionmaker.begin() as session:
        return await service.create_product(
            session, organization_id=organization_id, type=type, name=name or f"{type.value} 1"
        )


async def set_organization(db: Database, organization_id: uuid.UUID, **values: object) -> None:
    async with db.sessionmaker.begin() as session:
        await session.execute(
            update(Organization).where(Organization.id == organization_id).values(**values)
        )


async def make_platform_staff(db: Database, user: User) -> None:
    async with db.sessionmaker.begin() as session:
        await session.execute(
            update(Account).where(Account.id == user.account_id).values(is_platform_staff=True)
        )


@dataclass
class Roster:
    """An organization (the legal representative's own) with one member of each role."""

    organization_id: uuid.UUID
    legal: User
    admin: User
    collaborator: User
    external: User
    outsider: User = field(repr=False)

    def by_role(self, role: Role) -> User:
        return {
            Role.legal_representative: self.legal,
            Role.administrator: self.admin,
            Role.collaborator: self.collaborator,
            Role.external: self.external,
        }[role]


async def organization_with_roles(client: httpx.AsyncClient, db: Database) -> Roster:
    legal = await signed_in_user(client, db)
    admin = await signed_in_user(client, db)
    collaborator = await signed_in_user(client, db)
    external = await signed_in_user(client, db)
    outsider = await signed_in_user(client, db)
    organization_id = legal.organization_id
    await add_member(db, organization_id, admin, Role.administrator)
    await add_member(db, organization_id, collaborator, Role.collaborator)
    await add_member(db, organization_id, external, Role.external)
    return Roster(organization_id, legal, admin, collaborator, external, outsider)


def url(organization_id: uuid.UUID, path: str = "") -> str:
    return f"/v1/organizations/{organization_id}{path}"
