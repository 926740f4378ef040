import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from app.core import clock
from app.core.db import Base, IdMixin, TimestampMixin


class Role(StrEnum):
    legal_representative = "legal_representative"
    administrator = "administrator"
    collaborator = "collaborator"
    external = "external"


class OrganizationKind(StrEnum):
    private = "private"
    association = "association"
    company = "company"


class Organization(IdMixin, TimestampMixin, Base):
    __tablename__ = "organizations"

    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[OrganizationKind] = mapped_column(String(20), default=OrganizationKind.private)
    address: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    country: Mapped[str] = mapped_column(String(2), default="CH")
    currency: Mapped[str] = mapped_column(String(3), default="CHF")
    phone: Mapped[str | None] = mapped_column(String(32))
    is_partner: Mapped[bool] = mapped_column(default=False)
    require_two_factor: Mapped[bool] = mapped_column(default=False)
    premium_support: Mapped[bool] = mapped_column(default=False)
    vip_code: Mapped[str | None] = mapped_column(String(12), unique=True)
    deleted_at: Mapped[datetime | None]


class Membership(IdMixin, Base):
    __tablename__ = "memberships"
    __table_args__ = (
        UniqueConstraint("organization_id", "account_id"),
        Index("ix_memberships_account", "account_id"),
    )

    organization_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE")
    )
    account_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    role: Mapped[Role] = mapped_column(String(30))
    created_at: Mapped[datetime] = mapped_column(default=clock.now)


class ProductType(StrEnum):
    ticket_office = "ticket_office"
    mail_service = "mail_service"
    drive = "drive"
    web_hosting = "web_hosting"
    domain = "domain"
    suite = "suite"
    cloud_server = "cloud_server"
    streaming = "streaming"


class ProductStatus(StrEnum):
    active = "active"
    expired = "expired"
    suspended = "suspended"
    redemption = "redemption"
    released = "released"


class ProductRight(StrEnum):
    """What a grant allows on a product; ``sell`` and ``check`` exist for ticket offices."""

    use = "use"
    manage = "manage"
    technical = "technical"
    statistics = "statistics"
    sell = "sell"
    check = "check"


class Product(IdMixin, TimestampMixin, Base):
    """An instance of a product an organization owns (a ticket office, a domain, a drive…)."""

    __tablename__ = "products"
    __table_args__ = (Index("ix_products_organization", "organization_id", "created_at", "id"),)

    organization_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE")
    )
    type: Mapped[ProductType] = mapped_column(String(30))
    name: Mapped[str] = mapped_column(String(200))
    status: Mapped[ProductStatus] = mapped_column(String(20), default=ProductStatus.active)
    management_locked: Mapped[bool] = mapped_column(default=False)
