import uuid
from datetime import datetime
from typing import Annotated, Any, ClassVar, Literal
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
    "partner_services:read",
    "partner_services:write",
    "affiliates:read",
    "affiliates:write",
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
    "partner_services:read",
    "partner_services:write",
    "affiliates:read",
    "affiliates:write",
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
    attribution_token: str | None = Field(
        default=None,
        max_length=100,
        description="The affiliate attribution token from /v1/affiliate-visits, if any.",
    )

    _time_zone = field_validator("time_zone")(_valid_time_zone)


class SignUpAccepted(Schema):
    """The answer to a sign-up, the same whether the address was new or already an account's
    login (its owner is mailed then): the next step is in the mailbox."""

    email: str
    detail: str = "Check your mailbox: we have sent you a message to go on."


class AccountRead(Schema):
    id: uuid.UUID
    email: str
    email_confirmed: bool
    first_name: str
    last_name: str
    phone: str | None
    phone_confirmed: bool = Field(description="The phone number was confirmed by a texted code.")
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
    carries_credentials: ClassVar[bool] = True

    access_token: str
    refresh_token: str
    token_type: Literal["Bearer"] = "Bearer"
    expires_in: int = Field(description="Seconds until the access token expires.")
    session_id: uuid.UUID


class LoginResult(Schema):
    carries_credentials: ClassVar[bool] = True

    status: Literal["authenticated", "mfa_required", "setup_required"]
    tokens: Tokens | None = None
    mfa_token: str | None = Field(
        default=None,
        description="With mfa_required: send it with a code to /v1/auth/mfa, or with a passkey "
        "assertion to /v1/auth/mfa/passkey.",
    )
    second_factors: list[Literal["totp", "passkey"]] = Field(
        default_factory=list, description="With mfa_required: the second factors the account has."
    )
    setup_token: str | None = Field(
        default=None,
        description="With setup_required (a first login): send it to /v1/auth/setup with what "
        "`setup_steps` asks.",
    )
    setup_steps: list[Literal["change_password", "enroll_two_factor"]] = Field(
        default_factory=list, description="With setup_required: what the first login must do."
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
    carries_credentials: ClassVar[bool] = True

    secret: str = Field(description="Base32 secret, for manual entry.")
    otpauth_uri: str = Field(description="Show as a QR code to the authenticator app.")


class TwoFactorCode(Schema):
    code: str = Field(pattern=r"^[0-9]{6}$")


class EmergencyCodes(Schema):
    carries_credentials: ClassVar[bool] = True

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
    carries_credentials: ClassVar[bool] = True

    token: str = Field(description="Shown once; use it as `Authorization: Bearer <token>`.")


class Jwks(Schema):
    keys: list[dict[str, str]]


# --- passkeys ---

PublicKeyCredential = Annotated[
    dict[str, Any],
    Field(
        description="The authenticator's answer (`PublicKeyCredential.toJSON()`): id, rawId, "
        "type and response, binary fields base64url-encoded."
    ),
]


class Ceremony(Schema):
    options: dict[str, Any] = Field(
        description="For `navigator.credentials.create()` / `.get()` (JSON form, base64url)."
    )
    ceremony_token: str = Field(description="Send it back with the authenticator's answer.")


class PasskeyRegistration(Schema):
    name: str = Field(min_length=1, max_length=100)
    ceremony_token: str = Field(min_length=10, max_length=2000)
    credential: PublicKeyCredential


class PasskeyRename(Schema):
    name: str = Field(min_length=1, max_length=100)


class PasskeyRead(Schema):
    id: uuid.UUID
    name: str
    backed_up: bool = Field(description="Synced to other devices by its provider.")
    created_at: datetime
    last_used_at: datetime | None


class PasskeyAssertion(Schema):
    ceremony_token: str = Field(min_length=10, max_length=2000)
    credential: PublicKeyCredential


class MfaToken(Schema):
    mfa_token: str = Field(min_length=10, max_length=2000)


class PasskeyMfaLogin(PasskeyAssertion):
    mfa_token: str = Field(min_length=10, max_length=2000)


# --- accounts opened by a partner; first login; phone confirmation ---

SmsCode = Annotated[str, Field(pattern=r"^[0-9]{6}$")]


class Activation(Schema):
    token: str = Field(min_length=10, max_length=200, description="From the mailed link.")
    sms_code: SmsCode = Field(description="The code texted to the account's phone.")
    password: Password | None = Field(
        default=None,
        description="Your own password: required unless the partner set an initial one (which "
        "must then be changed at the first login).",
    )
    accept_terms_version: str = Field(
        min_length=1, max_length=20, description="The version of the terms you accept."
    )


class PhoneConfirmation(Schema):
    code: SmsCode


class SetupToken(Schema):
    setup_token: str = Field(min_length=10, max_length=2000)


class FirstLoginSetup(SetupToken):
    new_password: Password | None = Field(
        default=None, description="With the step change_password: replaces the initial one."
    )
    code: str | None = Field(
        default=None,
        pattern=r"^[0-9]{6}$",
        description="With the step enroll_two_factor: a first code of the secret from "
        "/v1/auth/setup/two-factor.",
    )


class FirstLoginResult(Schema):
    tokens: Tokens
    emergency_codes: list[str] = Field(
        default_factory=list, description="With 2FA enrolled now: shown once, each works once."
    )
