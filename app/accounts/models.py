import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    ForeignKey,
    Index,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    false,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, INET, JSONB
from sqlalchemy.orm import Mapped, mapped_column

from app.accounts.types import (
    Language,
    TokenPurpose,
)
from app.core import clock
from app.core.db import Base, IdMixin, TimestampMixin


class Account(IdMixin, TimestampMixin, Base):
    __tablename__ = "accounts"
    __table_args__ = (Index("uq_accounts_email_lower", text("lower(email)"), unique=True),)

    email: Mapped[str] = mapped_column(String(320))
    email_confirmed_at: Mapped[datetime | None]
    password_hash: Mapped[str] = mapped_column(String(255))
    password_changed_at: Mapped[datetime] = mapped_column(default=clock.now)
    first_name: Mapped[str] = mapped_column(String(100))
    last_name: Mapped[str] = mapped_column(String(100))
    phone: Mapped[str | None] = mapped_column(String(32))
    address: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    language: Mapped[str] = mapped_column(String(2), default=Language.en)
    time_zone: Mapped[str] = mapped_column(String(64), default="Europe/Zurich")
    newsletter_topics: Mapped[list[str]] = mapped_column(ARRAY(String(50)), default=list)
    support_code: Mapped[str] = mapped_column(String(12), unique=True)
    recovery_email: Mapped[str | None] = mapped_column(String(320))
    recovery_email_confirmed_at: Mapped[datetime | None]
    recovery_phone: Mapped[str | None] = mapped_column(String(32))
    recovery_phone_confirmed_at: Mapped[datetime | None]
    totp_secret_encrypted: Mapped[str | None] = mapped_column(String(255))
    totp_pending_secret_encrypted: Mapped[str | None] = mapped_column(String(255))
    totp_enabled_at: Mapped[datetime | None]
    totp_last_step: Mapped[int | None]
    failed_login_count: Mapped[int] = mapped_column(default=0)
    lockout_threshold: Mapped[int] = mapped_column(default=10)
    locked_at: Mapped[datetime | None]
    notify_login_success: Mapped[bool] = mapped_column(default=False)
    notify_login_failure: Mapped[bool] = mapped_column(default=True)
    is_platform_staff: Mapped[bool] = mapped_column(default=False)
    deleted_at: Mapped[datetime | None]
    phone_confirmed_at: Mapped[datetime | None]
    terms_version: Mapped[str | None] = mapped_column(String(20))
    terms_accepted_at: Mapped[datetime | None]
    activation_required: Mapped[bool] = mapped_column(default=False, server_default=false())
    """Opened by a partner: the e-mail and the phone must both be confirmed before first use."""
    password_change_required: Mapped[bool] = mapped_column(default=False, server_default=false())
    """The password was set by someone else: the first login replaces it."""
    two_factor_enrollment_required: Mapped[bool] = mapped_column(
        default=False, server_default=false()
    )
    """2FA on by default: the first login leads straight to enrolment."""

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()

    @property
    def two_factor_enabled(self) -> bool:
        return self.totp_enabled_at is not None


class AccountAvatar(Base):
    __tablename__ = "accounts_avatars"

    account_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("accounts.id", ondelete="CASCADE"), primary_key=True
    )
    content_type: Mapped[str] = mapped_column(String(50))
    data: Mapped[bytes] = mapped_column(LargeBinary)
    updated_at: Mapped[datetime] = mapped_column(default=clock.now)


class AuthSession(IdMixin, Base):
    """A signed-in device: the account sees it and can end it."""

    __tablename__ = "accounts_auth_sessions"
    __table_args__ = (Index("ix_accounts_auth_sessions_account", "account_id", "created_at", "id"),)

    account_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    ip: Mapped[str | None] = mapped_column(INET)
    user_agent: Mapped[str | None] = mapped_column(String(500))
    device: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(default=clock.now)
    last_used_at: Mapped[datetime] = mapped_column(default=clock.now)
    authenticated_at: Mapped[datetime] = mapped_column(default=clock.now)
    expires_at: Mapped[datetime]
    ended_at: Mapped[datetime | None]
    end_reason: Mapped[str | None] = mapped_column(String(50))


class RefreshToken(IdMixin, Base):
    """One link of a session's refresh chain; a used one presented again ends the session."""

    __tablename__ = "accounts_refresh_tokens"

    session_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("accounts_auth_sessions.id", ondelete="CASCADE"), index=True
    )
    token_digest: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=clock.now)
    used_at: Mapped[datetime | None]


class LoginAttempt(IdMixin, Base):
    __tablename__ = "accounts_login_attempts"
    __table_args__ = (
        Index("ix_accounts_login_attempts_account", "account_id", "created_at", "id"),
    )

    account_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    succeeded: Mapped[bool]
    reason: Mapped[str | None] = mapped_column(String(50))
    ip: Mapped[str | None] = mapped_column(INET)
    user_agent: Mapped[str | None] = mapped_column(String(500))
    device: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(default=clock.now)


class EmergencyCode(IdMixin, Base):
    __tablename__ = "accounts_emergency_codes"
    __table_args__ = (UniqueConstraint("account_id", "code_digest"),)

    account_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    code_digest: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=clock.now)
    used_at: Mapped[datetime | None]


class AccountToken(IdMixin, Base):
    """A single-use secret sent by e-mail (confirmation, reset, unlock…)."""

    __tablename__ = "accounts_tokens"

    account_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("accounts.id", ondelete="CASCADE"), index=True
    )
    purpose: Mapped[TokenPurpose] = mapped_column(String(30))
    token_digest: Mapped[str] = mapped_column(String(64), unique=True)
    data: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict)
    created_at: Mapped[datetime] = mapped_column(default=clock.now)
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]


class ConsumedToken(Base):
    """Ids (``jti``) of single-use JWTs already used, kept until they expire."""

    __tablename__ = "accounts_consumed_tokens"

    jti: Mapped[str] = mapped_column(String(64), primary_key=True)
    expires_at: Mapped[datetime] = mapped_column(index=True)


class PersonalAccessToken(IdMixin, Base):
    """An application password for integrators and sync tools, with scopes."""

    __tablename__ = "accounts_personal_access_tokens"
    __table_args__ = (
        Index("ix_accounts_personal_access_tokens_account", "account_id", "created_at", "id"),
    )

    account_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(100))
    scopes: Mapped[list[str]] = mapped_column(ARRAY(String(50)))
    token_digest: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(20))
    created_at: Mapped[datetime] = mapped_column(default=clock.now)
    expires_at: Mapped[datetime | None]
    last_used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]


class Passkey(IdMixin, Base):
    """A WebAuthn credential of the account: a second factor, or the whole login."""

    __tablename__ = "accounts_passkeys"
    __table_args__ = (Index("ix_accounts_passkeys_account", "account_id", "created_at", "id"),)

    account_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(100))
    credential_id: Mapped[bytes] = mapped_column(LargeBinary, unique=True)
    public_key: Mapped[bytes] = mapped_column(LargeBinary)
    sign_count: Mapped[int] = mapped_column(BigInteger, default=0)
    transports: Mapped[list[str]] = mapped_column(ARRAY(String(20)), default=list)
    aaguid: Mapped[str] = mapped_column(String(36))
    backed_up: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(default=clock.now)
    last_used_at: Mapped[datetime | None]


class NewsletterSubscription(IdMixin, Base):
    """An account's consent to one newsletter topic: when, and the wording it agreed to. A
    withdrawn consent is kept (``withdrawn_at``); subscribing again records a new one."""

    __tablename__ = "accounts_newsletter_subscriptions"
    __table_args__ = (
        Index(
            "uq_accounts_newsletter_subscriptions_active",
            "account_id",
            "topic",
            unique=True,
            postgresql_where=text("withdrawn_at IS NULL"),
        ),
        Index("ix_accounts_newsletter_subscriptions_topic", "topic", "consented_at", "id"),
    )

    account_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    topic: Mapped[str] = mapped_column(String(50))
    consented_at: Mapped[datetime] = mapped_column(default=clock.now)
    consent_wording: Mapped[str] = mapped_column(Text)
    """The text the account agreed to, in ``consent_language``; empty for consents given
    before the wording was kept."""
    consent_language: Mapped[str] = mapped_column(String(2))
    withdrawn_at: Mapped[datetime | None]
