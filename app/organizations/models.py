import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import (
    CheckConstraint,
    ForeignKey,
    Index,
    LargeBinary,
    String,
    UniqueConstraint,
    false,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.orm import Mapped, mapped_column

from app.core import clock
from app.core.db import Base, IdMixin, TimestampMixin
from app.organizations.types import (
    GrantScope,
    OrganizationKind,
    PartnerAccess,
    PaymentMode,
    ProductStatus,
    ProductType,
    Role,
)


class Organization(IdMixin, TimestampMixin, Base):
    __tablename__ = "organizations"
    # Platform staff page through every organization, newest first.
    __table_args__ = (Index("ix_organizations_created", "created_at", "id"),)

    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[OrganizationKind] = mapped_column(String(20), default=OrganizationKind.private)
    address: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    country: Mapped[str] = mapped_column(String(2), default="CH")
    currency: Mapped[str] = mapped_column(String(3), default="CHF")
    phone: Mapped[str | None] = mapped_column(String(32))
    is_partner: Mapped[bool] = mapped_column(default=False)
    is_affiliate: Mapped[bool] = mapped_column(default=False, server_default=false())
    require_two_factor: Mapped[bool] = mapped_column(default=False)
    premium_support: Mapped[bool] = mapped_column(default=False)
    vip_code: Mapped[str | None] = mapped_column(String(12), unique=True)
    logo_updated_at: Mapped[datetime | None]
    deleted_at: Mapped[datetime | None]

    @property
    def has_logo(self) -> bool:
        return self.logo_updated_at is not None


class OrganizationLogo(Base):
    __tablename__ = "organizations_logos"

    organization_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), primary_key=True
    )
    content_type: Mapped[str] = mapped_column(String(50))
    data: Mapped[bytes] = mapped_column(LargeBinary)
    updated_at: Mapped[datetime] = mapped_column(default=clock.now)


class BillingAddress(IdMixin, TimestampMixin, Base):
    """An extra address invoices can be sent to, chosen per renewal."""

    __tablename__ = "organizations_billing_addresses"
    __table_args__ = (
        Index(
            "ix_organizations_billing_addresses_organization", "organization_id", "created_at", "id"
        ),
    )

    organization_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE")
    )
    label: Mapped[str] = mapped_column(String(100))
    recipient: Mapped[str] = mapped_column(String(200))
    line1: Mapped[str] = mapped_column(String(200))
    line2: Mapped[str | None] = mapped_column(String(200))
    postal_code: Mapped[str] = mapped_column(String(20))
    city: Mapped[str] = mapped_column(String(100))
    country: Mapped[str] = mapped_column(String(2))
    email: Mapped[str | None] = mapped_column(String(320))
    vat_number: Mapped[str | None] = mapped_column(String(40))


class Membership(IdMixin, Base):
    __tablename__ = "organizations_memberships"
    __table_args__ = (
        UniqueConstraint("organization_id", "account_id"),
        Index("ix_organizations_memberships_account", "account_id"),
        Index("ix_organizations_memberships_organization", "organization_id", "created_at", "id"),
    )

    organization_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE")
    )
    account_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    role: Mapped[Role] = mapped_column(String(30))
    acts_for_clients: Mapped[bool] = mapped_column(default=False, server_default=false())
    """In a partner organization: this member acts in its clients' organizations (legal
    representatives and administrators always do)."""
    accounting: Mapped[bool] = mapped_column(default=False, server_default=false())
    """The member (neither administrator nor legal representative) handles the accounting: sees
    the invoices, pays them and manages the payment means, and nothing else of billing."""
    blocked_at: Mapped[datetime | None]
    """While set, the member stays in the organization but reaches nothing in it."""
    blocked_by_account_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("accounts.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(default=clock.now)


class Invitation(IdMixin, Base):
    """An invitation by e-mail to join an organization with a role; accepted through its link."""

    __tablename__ = "organizations_invitations"
    __table_args__ = (
        Index("ix_organizations_invitations_organization", "organization_id", "created_at", "id"),
    )

    organization_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE")
    )
    email: Mapped[str] = mapped_column(String(320))
    role: Mapped[Role] = mapped_column(String(30))
    token_digest: Mapped[str] = mapped_column(String(64), unique=True)
    invited_by_account_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("accounts.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(default=clock.now)
    expires_at: Mapped[datetime]
    accepted_at: Mapped[datetime | None]
    accepted_account_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("accounts.id", ondelete="SET NULL")
    )
    revoked_at: Mapped[datetime | None]


class Product(IdMixin, TimestampMixin, Base):
    """An instance of a product an organization owns (a ticket office, a domain, a drive…)."""

    __tablename__ = "organizations_products"
    __table_args__ = (
        Index("ix_organizations_products_organization", "organization_id", "created_at", "id"),
    )

    organization_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE")
    )
    type: Mapped[ProductType] = mapped_column(String(30))
    name: Mapped[str] = mapped_column(String(200))
    status: Mapped[ProductStatus] = mapped_column(String(20), default=ProductStatus.active)
    management_locked: Mapped[bool] = mapped_column(default=False)


class Team(IdMixin, TimestampMixin, Base):
    """A set of members sharing grants."""

    __tablename__ = "organizations_teams"
    __table_args__ = (
        UniqueConstraint("organization_id", "name"),
        Index("ix_organizations_teams_organization", "organization_id", "created_at", "id"),
    )

    organization_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE")
    )
    name: Mapped[str] = mapped_column(String(100))
    description: Mapped[str | None] = mapped_column(String(500))


class TeamMember(Base):
    __tablename__ = "organizations_team_members"
    __table_args__ = (Index("ix_organizations_team_members_account", "account_id"),)

    team_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organizations_teams.id", ondelete="CASCADE"), primary_key=True
    )
    account_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("accounts.id", ondelete="CASCADE"), primary_key=True
    )
    created_at: Mapped[datetime] = mapped_column(default=clock.now)


class Grant(IdMixin, TimestampMixin, Base):
    """Rights of a member or a team on one product, on a product type, or on every product.

    A type grant without ``include_future`` covers the products of that type that existed when it
    was made; with it, later ones too. An ``all`` grant (full access) covers every product, now and
    later, with each right the product has.
    """

    __tablename__ = "organizations_product_grants"
    __table_args__ = (
        CheckConstraint("(account_id IS NULL) <> (team_id IS NULL)", name="one_subject"),
        CheckConstraint(
            "(scope = 'product' AND product_id IS NOT NULL AND product_type IS NULL)"
            " OR (scope = 'product_type' AND product_id IS NULL AND product_type IS NOT NULL)"
            " OR (scope = 'all' AND product_id IS NULL AND product_type IS NULL)",
            name="scope_target",
        ),
        Index(
            "uq_product_grants_subject_target",
            "organization_id",
            "account_id",
            "team_id",
            "product_id",
            "product_type",
            unique=True,
            postgresql_nulls_not_distinct=True,
        ),
        Index(
            "ix_organizations_product_grants_organization", "organization_id", "created_at", "id"
        ),
        Index("ix_organizations_product_grants_account", "account_id"),
        Index("ix_organizations_product_grants_team", "team_id"),
    )

    organization_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE")
    )
    account_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("accounts.id", ondelete="CASCADE")
    )
    team_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("organizations_teams.id", ondelete="CASCADE")
    )
    scope: Mapped[GrantScope] = mapped_column(String(20))
    product_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("organizations_products.id", ondelete="CASCADE")
    )
    product_type: Mapped[ProductType | None] = mapped_column(String(30))
    include_future: Mapped[bool] = mapped_column(default=False)
    rights: Mapped[list[str]] = mapped_column(ARRAY(String(20)))
    granted_by_account_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("accounts.id", ondelete="SET NULL")
    )


class PartnerInvitation(IdMixin, Base):
    """A partner's request to manage a client organization, mailed to the client."""

    __tablename__ = "organizations_partner_invitations"
    __table_args__ = (
        Index(
            "ix_organizations_partner_invitations_partner",
            "partner_organization_id",
            "created_at",
            "id",
        ),
    )

    partner_organization_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE")
    )
    email: Mapped[str] = mapped_column(String(320))
    client_name: Mapped[str] = mapped_column(String(200))
    access_type: Mapped[PartnerAccess] = mapped_column(String(20))
    includes_billing: Mapped[bool] = mapped_column(default=False)
    payment_mode: Mapped[PaymentMode] = mapped_column(String(20))
    token_digest: Mapped[str] = mapped_column(String(64), unique=True)
    invited_by_account_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("accounts.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(default=clock.now)
    expires_at: Mapped[datetime]
    accepted_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]
    partnership_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("organizations_partnerships.id", ondelete="SET NULL")
    )


class Partnership(IdMixin, TimestampMixin, Base):
    """A partner managing a client organization, within the access the client granted."""

    __tablename__ = "organizations_partnerships"
    __table_args__ = (
        Index(
            "uq_partnerships_active_client",
            "client_organization_id",
            unique=True,
            postgresql_where=text("ended_at IS NULL"),
        ),
        Index(
            "ix_organizations_partnerships_partner", "partner_organization_id", "created_at", "id"
        ),
        Index("ix_organizations_partnerships_client", "client_organization_id", "created_at", "id"),
    )

    partner_organization_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE")
    )
    client_organization_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE")
    )
    access_type: Mapped[PartnerAccess] = mapped_column(String(20))
    includes_billing: Mapped[bool] = mapped_column(default=False)
    payment_mode: Mapped[PaymentMode] = mapped_column(String(20))
    accepted_by_account_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("accounts.id", ondelete="SET NULL")
    )
    ended_at: Mapped[datetime | None]
    ended_by_account_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("accounts.id", ondelete="SET NULL")
    )
    ended_by_organization_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("organizations.id", ondelete="SET NULL")
    )


class PartnershipProduct(Base):
    """With limited access: a product of the client the partner reaches."""

    __tablename__ = "organizations_partnership_products"

    partnership_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organizations_partnerships.id", ondelete="CASCADE"), primary_key=True
    )
    product_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organizations_products.id", ondelete="CASCADE"), primary_key=True
    )


class SupportAccessGrant(IdMixin, Base):
    """The organization lets platform support staff reach its products until ``expires_at``."""

    __tablename__ = "organizations_support_access_grants"
    __table_args__ = (
        Index(
            "ix_organizations_support_access_grants_organization",
            "organization_id",
            "created_at",
            "id",
        ),
    )

    organization_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE")
    )
    reason: Mapped[str | None] = mapped_column(String(500))
    granted_by_account_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("accounts.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(default=clock.now)
    expires_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]
    revoked_by_account_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("accounts.id", ondelete="SET NULL")
    )


class ProductSeat(IdMixin, Base):
    """A seat of a suite product (one of the users its plan includes) assigned to a member."""

    __tablename__ = "organizations_product_seats"
    __table_args__ = (
        UniqueConstraint("product_id", "account_id"),
        Index("ix_organizations_product_seats_member", "organization_id", "account_id"),
        Index("ix_organizations_product_seats_product", "product_id", "created_at", "id"),
    )

    product_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organizations_products.id", ondelete="CASCADE")
    )
    account_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    organization_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE")
    )
    assigned_by_account_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("accounts.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(default=clock.now)
