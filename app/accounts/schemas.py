import uuid
from datetime import datetime
from typing import Annotated, Any, ClassVar, Literal
from zoneinfo import available_timezones

from pydantic import EmailStr, Field, field_validator, model_validator

from app.accounts.types import Language
from app.core.schemas import IPAddress, Omittable, Schema

Password = Annotated[
    str,
    Field(
        min_length=8,
        max_length=128,
        description="8 to 128 characters; common ones are refused.",
        examples=["correct horse battery staple"],
    ),
]
PhoneNumber = Annotated[
    str,
    Field(
        pattern=r"^\+?[0-9 ().-]{6,32}$",
        max_length=32,
        description="International form preferred: `+`, digits, spaces, dots, dashes, brackets.",
        examples=["+41 22 345 67 89"],
    ),
]
GivenPassword = Annotated[
    str,
    Field(
        min_length=1,
        max_length=1024,
        description="The account's current password; a wrong one counts as a failed login.",
        examples=["correct horse battery staple"],
    ),
]
SmsCode = Annotated[str, Field(pattern=r"^[0-9]{6}$", examples=["583920"])]
LinkToken = Annotated[
    str,
    Field(
        min_length=10,
        max_length=200,
        description="The `token` parameter of the link the service mailed.",
        examples=["pVA4kj39VBtS3nQ8wXr2LmZ5yT7uKd1aHc6eFg0iJoP"],
    ),
]
TotpCode = Annotated[
    str,
    Field(
        pattern=r"^[0-9]{6}$",
        description="The 6 digits the authenticator app shows now; each is accepted once.",
        examples=["492039"],
    ),
]
SignedToken = Annotated[
    str,
    Field(
        min_length=10,
        max_length=2000,
        examples=["eyJhbGciOiJFZERTQSIsImtpZCI6ImsxIn0.eyJ0eXAiOiJtZmEifQ.c2lnbmF0dXJl"],
    ),
]
FirstName = Annotated[str, Field(min_length=1, max_length=100, examples=["Claire"])]
LastName = Annotated[str, Field(min_length=1, max_length=100, examples=["Dubois"])]
TIME_ZONE = "An IANA time zone name; dates in mails and exports are shown in it."
NEWSLETTER_TOPICS_DESCRIPTION = "The newsletter topics the account is mailed about; empty: none."
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
    line1: str = Field(
        min_length=1, max_length=200, description="Street and number.", examples=["Rue du Rhône 1"]
    )
    line2: str | None = Field(
        default=None,
        max_length=200,
        description="Building, floor, post box…; null: none.",
        examples=["Case postale 1234"],
    )
    postal_code: str = Field(min_length=1, max_length=20, examples=["1204"])
    city: str = Field(min_length=1, max_length=100, examples=["Genève"])
    country: str = Field(
        pattern=r"^[A-Z]{2}$", description="ISO 3166-1 alpha-2, e.g. CH.", examples=["CH"]
    )


def _valid_time_zone(value: str) -> str:
    if value not in available_timezones():
        raise ValueError("unknown time zone")
    return value


class SignUp(Schema):
    first_name: FirstName
    last_name: LastName
    email: EmailStr = Field(
        max_length=320, description="The login; a confirmation link is mailed to it."
    )
    password: Password
    phone: PhoneNumber | None = Field(
        default=None,
        description="The account's phone number; when the service is set so, a code is texted "
        "to confirm it. Null: none.",
        examples=["+41 22 345 67 89"],
    )
    address: PostalAddress | None = Field(
        default=None,
        description="The postal address, also the new organization's (its country sets the "
        "invoicing currency: CHF in Switzerland and Liechtenstein, EUR elsewhere).",
    )
    language: Language = Field(
        default=Language.en, description="The language of mails, texts and documents."
    )
    time_zone: str = Field(
        default="Europe/Zurich", description=TIME_ZONE, examples=["Europe/Zurich"]
    )
    attribution_token: str | None = Field(
        default=None,
        max_length=100,
        description="The affiliate attribution token from /v1/affiliate-visits, if any: an "
        "unknown or expired one (older than 30 days) is ignored.",
        examples=["aff_4kQ9xLm2Tn5Wc8Pz"],
    )

    _time_zone = field_validator("time_zone")(_valid_time_zone)


class SignUpAccepted(Schema):
    """The answer to a sign-up, the same whether the address was new or already an account's
    login (its owner is mailed then): the next step is in the mailbox."""

    email: str = Field(description="The address the next step was mailed to.")
    detail: str = Field(
        default="Check your mailbox: we have sent you a message to go on.",
        description="A sentence to show the person.",
        examples=["Check your mailbox: we have sent you a message to go on."],
    )


class AccountRead(Schema):
    id: uuid.UUID
    email: str = Field(description="The login e-mail address.")
    email_confirmed: bool = Field(
        description="The login e-mail was confirmed through the mailed link; until then the "
        "account may only confirm it or ask for a new link."
    )
    first_name: str = Field(examples=["Claire"])
    last_name: str = Field(examples=["Dubois"])
    phone: str | None = Field(description="Null: none given.", examples=["+41 22 345 67 89"])
    phone_confirmed: bool = Field(description="The phone number was confirmed by a texted code.")
    address: PostalAddress | None = Field(description="Null: none given.")
    language: Language = Field(description="The language of mails, texts and documents.")
    time_zone: str = Field(description=TIME_ZONE, examples=["Europe/Zurich"])
    newsletter_topics: list[NewsletterTopic] = Field(description=NEWSLETTER_TOPICS_DESCRIPTION)
    support_code: str = Field(
        description="Digits to give support staff so they can identify the account.",
        examples=["37015167"],
    )
    recovery_email: str | None = Field(
        description="Where password reset links go once confirmed; null: none set."
    )
    recovery_email_confirmed: bool = Field(
        description="The recovery e-mail was confirmed through the link mailed to it."
    )
    recovery_phone: str | None = Field(
        description="The recovery phone number; null: none set.", examples=["+41 79 123 45 67"]
    )
    recovery_phone_confirmed: bool = Field(
        description="The recovery phone was confirmed by the code texted to it."
    )
    two_factor_enabled: bool = Field(
        description="Logins need a second factor (a TOTP code, an emergency code or a passkey)."
    )
    has_avatar: bool = Field(description="An avatar image is set (GET /v1/account/avatar).")
    created_at: datetime


class ProfileUpdate(Schema):
    """A partial update: a property left out is unchanged."""

    first_name: Omittable[str] = Field(
        default=None, min_length=1, max_length=100, examples=["Claire"]
    )
    last_name: Omittable[str] = Field(
        default=None, min_length=1, max_length=100, examples=["Dubois"]
    )
    phone: PhoneNumber | None = Field(
        default=None,
        description="Null removes it; a new number is no longer confirmed until a texted code is "
        "(POST /v1/account/phone/confirmation).",
        examples=["+41 22 345 67 89"],
    )
    address: PostalAddress | None = Field(default=None, description="Null removes it.")
    language: Omittable[Language] = Field(
        default=None, description="The language of mails, texts and documents."
    )
    time_zone: Omittable[str] = Field(
        default=None, description=TIME_ZONE, examples=["Europe/Zurich"]
    )
    newsletter_topics: Omittable[list[NewsletterTopic]] = Field(
        default=None,
        max_length=len(NEWSLETTER_TOPICS),
        description="Replaces the whole list; empty: no newsletter. Subscribing to a topic "
        "records the consent: when, and its wording in the account's language; every newsletter "
        "then carries a one-click unsubscribe link.",
    )

    @field_validator("time_zone")
    @classmethod
    def _time_zone(cls, value: str | None) -> str | None:
        return None if value is None else _valid_time_zone(value)


class TokenBody(Schema):
    token: LinkToken


class Login(Schema):
    email: str = Field(
        min_length=3, max_length=320, description="The login e-mail address (any case)."
    )
    password: str = Field(
        min_length=1,
        max_length=1024,
        description="The account's password.",
        examples=["correct horse battery staple"],
    )


class Tokens(Schema):
    carries_credentials: ClassVar[bool] = True

    access_token: str = Field(
        description="A signed JWT: send it as `Authorization: Bearer <access_token>`; it is "
        "verifiable with the keys at /.well-known/jwks.json.",
        examples=["eyJhbGciOiJFZERTQSIsImtpZCI6ImsxIn0.eyJ0eXAiOiJhY2Nlc3MifQ.c2lnbmF0dXJl"],
    )
    refresh_token: str = Field(
        description="Single-use: exchange it at /v1/auth/refresh for new tokens before the "
        "session expires (30 days without use); presenting a used one again ends the session.",
        examples=["Xq3vR8yLm2Tn5Wc9Pz1Kd4Hs7Bf6Ja0Ge2Nu8Mt5Yw"],
    )
    token_type: Literal["Bearer"] = Field(default="Bearer", description="Always Bearer.")
    expires_in: int = Field(description="Seconds until the access token expires.")
    session_id: uuid.UUID = Field(
        description="The session these tokens belong to (GET /v1/account/sessions)."
    )


class LoginResult(Schema):
    carries_credentials: ClassVar[bool] = True

    status: Literal["authenticated", "mfa_required", "setup_required"] = Field(
        description="authenticated: `tokens` is set; mfa_required: send a second factor with "
        "`mfa_token`; setup_required: a first login with `setup_steps` to do first."
    )
    tokens: Tokens | None = Field(default=None, description="With authenticated only.")
    mfa_token: str | None = Field(
        default=None,
        description="With mfa_required: send it with a code to /v1/auth/mfa, or with a passkey "
        "assertion to /v1/auth/mfa/passkey (valid 5 minutes).",
        examples=["eyJhbGciOiJFZERTQSIsImtpZCI6ImsxIn0.eyJ0eXAiOiJtZmEifQ.c2lnbmF0dXJl"],
    )
    second_factors: list[Literal["totp", "passkey"]] = Field(
        default_factory=list, description="With mfa_required: the second factors the account has."
    )
    setup_token: str | None = Field(
        default=None,
        description="With setup_required (a first login): send it to /v1/auth/setup with what "
        "`setup_steps` asks (valid 15 minutes).",
        examples=["eyJhbGciOiJFZERTQSIsImtpZCI6ImsxIn0.eyJ0eXAiOiJzZXR1cCJ9.c2lnbmF0dXJl"],
    )
    setup_steps: list[Literal["change_password", "enroll_two_factor"]] = Field(
        default_factory=list,
        description="With setup_required: what the first login must do: change_password "
        "(replace the initial password a partner set), enroll_two_factor (turn 2FA on).",
    )


class SecondFactor(Schema):
    """A second factor, when the account has 2FA on: a TOTP code or an unused emergency code."""

    code: TotpCode | None = Field(
        default=None,
        description="The 6 digits the authenticator app shows now; each is accepted once.",
        examples=["492039"],
    )
    emergency_code: str | None = Field(
        default=None,
        min_length=8,
        max_length=20,
        description="One of the emergency codes shown when 2FA was turned on; each works once.",
        examples=["8uh2z-uvhwy"],
    )


class MfaLogin(SecondFactor):
    mfa_token: SignedToken = Field(description="The `mfa_token` of the login's answer.")


class Refresh(Schema):
    refresh_token: str = Field(
        min_length=10,
        max_length=200,
        description="The last refresh token issued for the session.",
        examples=["Xq3vR8yLm2Tn5Wc9Pz1Kd4Hs7Bf6Ja0Ge2Nu8Mt5Yw"],
    )


class Reauthenticate(SecondFactor):
    password: GivenPassword


class SessionRead(Schema):
    id: uuid.UUID
    device: str = Field(
        description="Browser and system, read from the User-Agent at login.",
        examples=["Firefox on Mac OS X"],
    )
    ip: IPAddress | None = Field(
        description="The IP address of the login; null when unknown.", examples=["203.0.113.7"]
    )
    created_at: datetime
    last_used_at: datetime = Field(description="Its last use (updated at most once a minute).")
    current: bool = Field(description="The session making this request.")


class LoginAttemptRead(Schema):
    id: uuid.UUID
    succeeded: bool
    reason: str | None = Field(
        description="Why a failed attempt failed: wrong_password, wrong_code, locked, "
        "sso_required, passkey_refused, passkey_counter (a passkey's signature counter did not "
        "grow: it may be cloned). Null on success.",
        examples=["wrong_password"],
    )
    ip: IPAddress | None = Field(
        description="Where the attempt came from; null when unknown.", examples=["203.0.113.7"]
    )
    device: str = Field(
        description="Browser and system, read from the User-Agent.",
        examples=["Firefox on Mac OS X"],
    )
    created_at: datetime


class ActivityRead(Schema):
    id: uuid.UUID
    action: str = Field(
        description="What happened, `<area>.<event>` (e.g. security.password_changed, "
        "account.profile_updated).",
        examples=["security.password_changed"],
    )
    organization_id: uuid.UUID | None = Field(
        description="The organization it happened in; null for the account's own matters."
    )
    product_id: uuid.UUID | None = Field(description="The product concerned, if any.")
    actor_account_id: uuid.UUID | None = Field(
        description="Who did it; null for the service itself or a customer without account."
    )
    actor_organization_id: uuid.UUID | None = Field(
        description="As which organization the actor acted: its own for a member, the partner "
        "for partner staff; null when the account acted on itself."
    )
    ip: IPAddress | None = Field(
        description="The actor's IP address; null when unknown.", examples=["203.0.113.7"]
    )
    details: dict[str, object] = Field(
        description="What changed, per action (e.g. the updated fields' names)."
    )
    created_at: datetime


class SecuritySettings(Schema):
    lockout_threshold: int = Field(
        ge=3,
        le=100,
        description="Failed logins in a row that lock the account (unlocked by a mailed link "
        "or an administrator of one of its organizations).",
    )
    notify_login_success: bool = Field(description="Mail the account at each successful login.")
    notify_login_failure: bool = Field(description="Mail the account at each failed login.")


class SecuritySettingsUpdate(Schema):
    """A partial update: a property left out is unchanged."""

    lockout_threshold: Omittable[int] = Field(
        default=None, ge=3, le=100, description="Failed logins in a row that lock the account."
    )
    notify_login_success: Omittable[bool] = Field(
        default=None, description="Mail the account at each successful login."
    )
    notify_login_failure: Omittable[bool] = Field(
        default=None, description="Mail the account at each failed login."
    )


class TwoFactorEnrollment(Schema):
    carries_credentials: ClassVar[bool] = True

    secret: str = Field(
        description="Base32 secret, for manual entry.",
        examples=["JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"],
    )
    otpauth_uri: str = Field(
        description="Show as a QR code to the authenticator app.",
        examples=[
            "otpauth://totp/Manager:claire%40theatre-du-lac.ch?"
            "secret=JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP&issuer=Manager"
        ],
    )


class TwoFactorCode(Schema):
    code: TotpCode


class EmergencyCodes(Schema):
    carries_credentials: ClassVar[bool] = True

    emergency_codes: list[str] = Field(
        description="Shown once: each works one time, instead of a TOTP code.",
        examples=[["8uh2z-uvhwy", "k3m9p-x7q2d"]],
    )


class TwoFactorDisable(SecondFactor):
    password: GivenPassword


class PasswordChange(Schema):
    current_password: GivenPassword
    new_password: Password


class PasswordResetRequest(Schema):
    email: str = Field(
        min_length=3,
        max_length=320,
        description="The login e-mail; the link goes to the confirmed recovery e-mail if any, "
        "else to this address.",
        examples=["claire.dubois@example.ch"],
    )
    channel: Literal["email", "sms"] = Field(
        default="email",
        description="email: a reset link is mailed. sms: a 6-digit code is texted to the "
        "account's confirmed recovery phone (exchange it at /v1/password-resets/sms-code); "
        "without one, the link is mailed instead.",
    )


class PasswordResetCode(Schema):
    email: str = Field(
        min_length=3,
        max_length=320,
        description="The login e-mail the code was asked for.",
        examples=["claire.dubois@example.ch"],
    )
    code: SmsCode = Field(description="The code texted to the recovery phone (valid 15 minutes).")


class PasswordResetToken(Schema):
    carries_credentials: ClassVar[bool] = True

    token: LinkToken = Field(
        description="What a mailed reset link carries: send it with the new password (and, with "
        "2FA on, a code) to /v1/password-resets/confirm within 60 minutes."
    )


class PasswordResetConfirm(SecondFactor):
    token: LinkToken
    new_password: Password


class LoginEmailChange(Schema):
    password: GivenPassword
    new_email: EmailStr = Field(
        max_length=320,
        description="The new login; it must differ from the recovery e-mail and from every "
        "other account's login.",
    )
    new_email_confirmation: EmailStr = Field(
        max_length=320, description="The new login again (422 when the two differ)."
    )


class RecoveryEmail(Schema):
    email: EmailStr = Field(
        max_length=320, description="An address other than the login, for password resets."
    )


class RecoveryPhone(Schema):
    phone: PhoneNumber


class RecoveryPhoneConfirm(Schema):
    code: str = Field(
        pattern=r"^[0-9]{6}$",
        description="The 6-digit code texted to the recovery phone (valid 15 minutes).",
        examples=["583920"],
    )


class AccountDeletion(Schema):
    password: GivenPassword


SCOPES_DESCRIPTION = (
    "What the token may do: `<area>:read` reads, `<area>:write` also changes; areas are account, "
    "organizations, ticketing, billing, partner_services, affiliates, and webhooks:manage."
)


class PersonalAccessTokenCreate(Schema):
    name: str = Field(
        min_length=1,
        max_length=100,
        description="What it is for, to recognise it in the list.",
        examples=["Accounting sync"],
    )
    scopes: list[Scope] = Field(min_length=1, description=SCOPES_DESCRIPTION)
    expires_at: datetime | None = Field(
        default=None, description="When it stops working (in the future); null: never."
    )


class PersonalAccessTokenRead(Schema):
    id: uuid.UUID
    name: str = Field(description="What it is for.", examples=["Accounting sync"])
    scopes: list[Scope] = Field(description=SCOPES_DESCRIPTION)
    prefix: str = Field(
        description="The token's first characters, to recognise it (the rest is never shown "
        "again).",
        examples=["mgr_pat_Ab3x"],
    )
    created_at: datetime
    expires_at: datetime | None = Field(description="When it stops working; null: never.")
    last_used_at: datetime | None = Field(description="Its last use; null: never used.")


class PersonalAccessTokenCreated(PersonalAccessTokenRead):
    carries_credentials: ClassVar[bool] = True

    token: str = Field(
        description="Shown once; use it as `Authorization: Bearer <token>`.",
        examples=["mgr_pat_Ab3xR8vLm2Tn5Wc9Pz1Kd4Hs7Bf6Ja0Ge2Nu8Mt5Yw"],
    )


class Jwks(Schema):
    keys: list[dict[str, str]] = Field(
        description="JSON Web Keys (RFC 7517): `kid` matches the access token's header; several "
        "during a key rotation.",
        examples=[
            [
                {
                    "kty": "OKP",
                    "crv": "Ed25519",
                    "x": "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo",
                    "kid": "k1",
                    "alg": "EdDSA",
                    "use": "sig",
                }
            ]
        ],
    )


# --- passkeys ---

PublicKeyCredential = Annotated[
    dict[str, Any],
    Field(
        description="The authenticator's answer (`PublicKeyCredential.toJSON()`): id, rawId, "
        "type and response, binary fields base64url-encoded."
    ),
]
CeremonyToken = Annotated[
    str,
    Field(
        min_length=10,
        max_length=2000,
        description="The `ceremony_token` of the options this answers (valid 5 minutes).",
        examples=["eyJhbGciOiJFZERTQSIsImtpZCI6ImsxIn0.eyJ0eXAiOiJwYXNza2V5In0.c2lnbmF0dXJl"],
    ),
]
PasskeyName = Annotated[
    str,
    Field(
        min_length=1,
        max_length=100,
        description="A name to recognise it by.",
        examples=["YubiKey 5C"],
    ),
]


class Ceremony(Schema):
    options: dict[str, Any] = Field(
        description="For `navigator.credentials.create()` / `.get()` (JSON form, base64url)."
    )
    ceremony_token: str = Field(
        description="Send it back with the authenticator's answer, within 5 minutes.",
        examples=["eyJhbGciOiJFZERTQSIsImtpZCI6ImsxIn0.eyJ0eXAiOiJwYXNza2V5In0.c2lnbmF0dXJl"],
    )


class PasskeyRegistration(Schema):
    name: PasskeyName
    ceremony_token: CeremonyToken
    credential: PublicKeyCredential


class PasskeyRename(Schema):
    name: PasskeyName


class PasskeyRead(Schema):
    id: uuid.UUID
    name: str = Field(examples=["YubiKey 5C"])
    backed_up: bool = Field(description="Synced to other devices by its provider.")
    created_at: datetime
    last_used_at: datetime | None = Field(description="Its last use; null: never used.")


class PasskeyAssertion(Schema):
    ceremony_token: CeremonyToken
    credential: PublicKeyCredential


class MfaToken(Schema):
    mfa_token: SignedToken = Field(description="The `mfa_token` of the login's answer.")


class PasskeyMfaLogin(PasskeyAssertion):
    mfa_token: SignedToken = Field(description="The `mfa_token` of the login's answer.")


# --- accounts opened by a partner; first login; phone confirmation ---


class Activation(Schema):
    token: LinkToken = Field(description="From the mailed activation link.")
    sms_code: SmsCode = Field(description="The code texted to the account's phone.")
    password: Password | None = Field(
        default=None,
        description="Your own password: required unless the partner set an initial one (which "
        "must then be changed at the first login).",
        examples=["correct horse battery staple"],
    )
    accept_terms_version: str = Field(
        min_length=1,
        max_length=20,
        description="The version of the terms you accept: the one in force, else 422 "
        "terms_version_outdated.",
        examples=["2026-01"],
    )


class PhoneConfirmation(Schema):
    code: SmsCode = Field(description="The code texted to the account's phone (valid 15 minutes).")


class SetupToken(Schema):
    setup_token: SignedToken = Field(
        description="The `setup_token` of the login's answer.",
        examples=["eyJhbGciOiJFZERTQSIsImtpZCI6ImsxIn0.eyJ0eXAiOiJzZXR1cCJ9.c2lnbmF0dXJl"],
    )


class FirstLoginSetup(SetupToken):
    new_password: Password | None = Field(
        default=None,
        description="With the step change_password: replaces the initial one.",
        examples=["correct horse battery staple"],
    )
    code: TotpCode | None = Field(
        default=None,
        description="With the step enroll_two_factor: a first code of the secret from "
        "/v1/auth/setup/two-factor.",
        examples=["492039"],
    )


class FirstLoginResult(Schema):
    tokens: Tokens = Field(description="The new session's tokens.")
    emergency_codes: list[str] = Field(
        default_factory=list,
        description="With 2FA enrolled now: shown once, each works once; else empty.",
        examples=[["8uh2z-uvhwy", "k3m9p-x7q2d"]],
    )


SupportCode = Annotated[
    str,
    Field(
        pattern=r"^[0-9]{4,12}$",
        description="The digits the account's owner reads out from their profile.",
        examples=["37015167"],
    ),
]


class StaffAccountRead(Schema):
    """What support staff see of an account they identified."""

    id: uuid.UUID
    email: str = Field(description="The login e-mail.", examples=["claire.dubois@example.ch"])
    email_confirmed: bool
    first_name: str = Field(examples=["Claire"])
    last_name: str = Field(examples=["Dubois"])
    language: Language
    support_code: str = Field(
        description="The code the account was found by.", examples=["37015167"]
    )
    two_factor_enabled: bool
    locked: bool = Field(description="Locked by failed logins.")
    created_at: datetime


class NewsletterVersion(Schema):
    language: Language = Field(description="Sent to the subscribers whose language this is.")
    subject: str = Field(
        min_length=1, max_length=200, examples=["What is new in Manager this winter"]
    )
    text: str = Field(
        min_length=1,
        max_length=50_000,
        description="Plain text; a blank line separates paragraphs.",
        examples=["Hello,\n\nThis winter brings seat plans to the ticket office…"],
    )


class NewsletterSend(Schema):
    topic: NewsletterTopic = Field(description="Sent to the topic's subscribers.")
    versions: list[NewsletterVersion] = Field(
        min_length=1,
        max_length=5,
        description="One per language (at most one each); a subscriber whose language has "
        "none receives the first.",
    )

    @model_validator(mode="after")
    def _one_version_per_language(self) -> "NewsletterSend":
        languages = [version.language for version in self.versions]
        if len(set(languages)) != len(languages):
            raise ValueError("at most one version per language")
        return self


class NewsletterQueued(Schema):
    topic: NewsletterTopic
    recipients: int = Field(
        description="Mails queued: the topic's subscribers with a confirmed login e-mail, each "
        "with their own unsubscribe link."
    )
