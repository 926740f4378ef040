import uuid
from datetime import datetime
from typing import Annotated, Literal
from zoneinfo import available_timezones

from pydantic import EmailStr, Field, field_validator

from app.accounts.types import Language
from app.core.schemas import IPAddress, Omittable, Schema

Password = Annotated[
    str,
    Field(
        min_length=8, max_length=128, description="8 to 128 characters; common ones are refused."
    ),
]
PhoneNumber = Annotated[str, Field(pattern=r"^\+?[0-9 ().-]{6,32}$", max_length=32)]
NEWSLETTER_TOPICS = ("product_news", "events", "tips", "offers")
SCOPES = (
    "account:read",
    "account:write",
    "organizations:read",
    "organizations:write",
    "ticketing:read",
    "ticketing:write",
    "billing:read",
    "billing:write",
    "webhooks:manage",
)
Scope = Literal[
    "account:read",
    "account:write",
    "organizations:read",
    "organizations:write",
    "ticketing:read",
    "ticketing:write",
    "billing:read",
    "billing:write",
    "webhooks:manage",
]
NewsletterTopic = Literal["product_news", "events", "tips", "offers"]


class PostalAddress(Schema):
    line1: str = Field(min_length=1, max_length=200)
    line2: str | None = Field(default=None, max_length=200)
    postal_code: str = Field(min_length=1, max_length=20)
    city: str = Field(min_length=1, max_length=100)
    country: str = Field(pattern=r"^[A-Z]{2}$", description="ISO 3166-1 alpha-2, e.g. CH.")


def _valid_time_zone(value: str) -> str:
    if value not in available_timezones():
        raise ValueError("unknown time zone")
    return value


class SignUp(Schema):
    first_name: str = Field(min_length=1, max_length=100)
    last_name: str = Field(min_length=1, max_length=100)
    email: EmailStr = Field(max_length=320)
    password: Password
    phone: PhoneNumber | None = None
    address: PostalAddress | None = None
    language: Language = Language.en
    time_zone: str = "Europe/Zurich"

    _time_zone = field_validator("time_zone")(_valid_time_zone)


class AccountRead(Schema):
    id: uuid.UUID
    email: str
    email_confirmed: bool
    first_name: str
    last_name: str
    phone: str | None
    address: PostalAddress | None
    language: Language
    time_zone: str
    newsletter_topics: list[NewsletterTopic]
    support_code: str = Field(description="Give it to support staff so they can identify you.")
    recovery_email: str | None
    recovery_email_confirmed: bool
    recovery_phone: str | None
    recovery_phone_confirmed: bool
    two_factor_enabled: bool
    has_avatar: bool
    created_at: datetime


class ProfileUpdate(Schema):
    first_name: Omittable[str] = Field(default=None, min_length=1, max_length=100)
    last_name: Omittable[str] = Field(default=None, min_length=1, max_length=100)
    phone: PhoneNumber | None = None
    address: PostalAddress | None = None
    language: Omittable[Language] = None
    time_zone: Omittable[str] = None
    newsletter_topics: Omittable[list[NewsletterTopic]] = Field(
        default=None, max_length=len(NEWSLETTER_TOPICS)
    )

    @field_validator("time_zone")
    @classmethod
    def _time_zone(cls, value: str | None) -> str | None:
        return None if value is None else _valid_time_zone(value)


class TokenBody(Schema):
    token: str = Field(min_length=10, max_length=200)


class Login(Schema):
    email: str = Field(min_length=3, max_length=320)
    password: str = Field(min_length=1, max_length=1024)


class Tokens(Schema):
    access_token: str
    refresh_token: str
    token_type: Literal["Bearer"] = "Bearer"
    expires_in: int = Field(description="Seconds until the access token expires.")
    session_id: uuid.UUID


class LoginResult(Schema):
    status: Literal["authenticated", "mfa_required"]
    tokens: Tokens | None = None
    mfa_token: str | None = Field(
        default=None, description="With mfa_required: send it with a code to /v1/auth/mfa."
    )


class SecondFactor(Schema):
    code: str | None = Field(default=None, pattern=r"^[0-9]{6}$", description="TOTP code.")
    emergency_code: str | None = Field(default=None, min_length=8, max_length=20)


class MfaLogin(SecondFactor):
    mfa_token: str = Field(min_length=10, max_length=2000)


class Refresh(Schema):
    refresh_token: str = Field(min_length=10, max_length=200)


class Reauthenticate(SecondFactor):
    password: str = Field(min_length=1, max_length=1024)


class SessionRead(Schema):
    id: uuid.UUID
    device: str
    ip: IPAddress | None
    created_at: datetime
    last_used_at: datetime
    current: bool


class LoginAttemptRead(Schema):
    id: uuid.UUID
    succeeded: bool
    reason: str | None
    ip: IPAddress | None
    device: str
    created_at: datetime


class ActivityRead(Schema):
    id: uuid.UUID
    action: str
    organization_id: uuid.UUID | None
    product_id: uuid.UUID | None
    actor_account_id: uuid.UUID | None
    actor_organization_id: uuid.UUID | None
    ip: IPAddress | None
    details: dict[str, object]
    created_at: datetime


class SecuritySettings(Schema):
    lockout_threshold: int = Field(
        ge=3, le=100, description="Failed logins in a row that lock the account."
    )
    notify_login_success: bool
    notify_login_failure: bool


class SecuritySettingsUpdate(Schema):
    lockout_threshold: Omittable[int] = Field(default=None, ge=3, le=100)
    notify_login_success: Omittable[bool] = None
    notify_login_failure: Omittable[bool] = None


class TwoFactorEnrollment(Schema):
    secret: str = Field(description="Base32 secret, for manual entry.")
    otpauth_uri: str = Field(description="Show as a QR code to the authenticator app.")


class TwoFactorCode(Schema):
    code: str = Field(pattern=r"^[0-9]{6}$")


class EmergencyCodes(Schema):
    emergency_codes: list[str] = Field(description="Shown once: each works one time.")


class TwoFactorDisable(SecondFactor):
    password: str = Field(min_length=1, max_length=1024)


class PasswordChange(Schema):
    current_password: str = Field(min_length=1, max_length=1024)
    new_password: Password


class PasswordResetRequest(Schema):
    email: str = Field(min_length=3, max_length=320)


class PasswordResetConfirm(SecondFactor):
    token: str = Field(min_length=10, max_length=200)
    new_password: Password


class LoginEmailChange(Schema):
    password: str = Field(min_length=1, max_length=1024)
    new_email: EmailStr = Field(max_length=320)
    new_email_confirmation: EmailStr = Field(max_length=320)


class RecoveryEmail(Schema):
    email: EmailStr = Field(max_length=320)


class RecoveryPhone(Schema):
    phone: PhoneNumber


class RecoveryPhoneConfirm(Schema):
    code: str = Field(pattern=r"^[0-9]{6}$")


class AccountDeletion(Schema):
    password: str = Field(min_length=1, max_length=1024)


class PersonalAccessTokenCreate(Schema):
    name: str = Field(min_length=1, max_length=100)
    scopes: list[Scope] = Field(min_length=1)
    expires_at: datetime | None = None


class PersonalAccessTokenRead(Schema):
    id: uuid.UUID
    name: str
    scopes: list[Scope]
    prefix: str
    created_at: datetime
    expires_at: datetime | None
    last_used_at: datetime | None


class PersonalAccessTokenCreated(PersonalAccessTokenRead):
    token: str = Field(description="Shown once; use it as `Authorization: Bearer <token>`.")


class Jwks(Schema):
    keys: list[dict[str, str]]
