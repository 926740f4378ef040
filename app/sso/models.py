import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from app.core import clock
from app.core.db import Base, IdMixin, TimestampMixin
from app.sso.types import DomainProof


class SsoConnection(IdMixin, TimestampMixin, Base):
    """An organization's OpenID Connect provider and its policy (one per organization)."""

    __tablename__ = "sso_connections"

    organization_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), unique=True
    )
    issuer: Mapped[str] = mapped_column(String(500))
    client_id: Mapped[str] = mapped_column(String(255))
    client_secret_encrypted: Mapped[str] = mapped_column(String(1000))
    enabled: Mapped[bool] = mapped_column(default=True)
    jit_enabled: Mapped[bool] = mapped_column(default=False)
    """Accounts the provider vouches for join the organization on their first login."""
    jit_role: Mapped[str] = mapped_column(String(30), default="collaborator")
    require_sso: Mapped[bool] = mapped_column(default=False)
    """Members whose login is in a claimed domain may not log in with a password…"""
    break_glass_account_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("accounts.id", ondelete="SET NULL")
    )
    """…except this legal representative, for when the provider is down."""


class SsoDomain(IdMixin, Base):
    """An e-mail domain an organization claims for its provider, once proven."""

    __tablename__ = "sso_domains"
    __table_args__ = (
        UniqueConstraint("organization_id", "domain"),
        Index(
            "uq_sso_domains_verified",
            "domain",
            unique=True,
            postgresql_where=text("verified_at IS NOT NULL"),
        ),
        Index("ix_sso_domains_organization", "organization_id", "created_at", "id"),
    )

    organization_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE")
    )
    domain: Mapped[str] = mapped_column(String(253))
    proof: Mapped[DomainProof] = mapped_column(String(10))
    dns_value: Mapped[str] = mapped_column(String(100))
    """The TXT record's value (not secret: anyone may read DNS)."""
    mailbox: Mapped[str | None] = mapped_column(String(320))
    code_digest: Mapped[str | None] = mapped_column(String(64))
    """For a mailed proof: the code's digest."""
    created_at: Mapped[datetime] = mapped_column(default=clock.now)
    verified_at: Mapped[datetime | None]


class SsoLogin(IdMixin, Base):
    """One authorization request sent to a provider: its ``state`` serves once."""

    __tablename__ = "sso_logins"

    connection_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("sso_connections.id", ondelete="CASCADE"), index=True
    )
    state_digest: Mapped[str] = mapped_column(String(64), unique=True)
    nonce: Mapped[str] = mapped_column(String(100))
    code_verifier_encrypted: Mapped[str] = mapped_column(String(500))
    email: Mapped[str] = mapped_column(String(320))
    created_at: Mapped[datetime] = mapped_column(default=clock.now)
    expires_at: Mapped[datetime] = mapped_column(index=True)
    used_at: Mapped[datetime | None]
