"""Before and at an account's first use: the activation of an account a partner opened (the
mailed link and the texted code both, the client's own password, the terms accepted), the
first-login steps (replacing a password someone else set, enrolling 2FA) and confirming the phone
number by a texted code (the optional sign-up check).

A first login with steps pending gets a short ``setup`` token instead of a session; the steps
done with it, the account gets its session as any login does.
"""

import secrets
import uuid
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts import auth, credentials, tokens, totp, two_factor
from app.accounts.auth import Client, IssuedTokens
from app.accounts.errors import (
    InvalidLinkToken,
    InvalidSetupToken,
    PasswordRequired,
    PhoneAlreadyConfirmed,
    PhoneNotSet,
    TermsVersionOutdated,
)
from app.accounts.mail import mail_account
from app.accounts.models import Account, ConsumedToken
from app.accounts.types import TokenPurpose
from app.activity import service as activity
from app.activity.types import Actor
from app.core import clock
from app.core.security.jwt import InvalidToken, KeyRing
from app.core.settings import Settings
from app.notifications.service import queue_sms

CHANGE_PASSWORD = auth.CHANGE_PASSWORD
ENROLL_TWO_FACTOR = auth.ENROLL_TWO_FACTOR


# --- the phone number, by a texted code ---


async def send_phone_code(session: AsyncSession, account: Account) -> None:
    """Texts a 6-digit code to the account's phone (earlier codes stop working)."""
    if not account.phone:
        raise PhoneNotSet("The account has no phone number.")
    code = f"{secrets.randbelow(10**6):06d}"
    await tokens.issue(
        session,
        account.id,
        TokenPurpose.phone_confirmation,
        {"phone": account.phone},
        raw=credentials.phone_code_key(account, code),
    )
    await queue_sms(
        session, to=account.phone, text="recovery_phone_code", language=account.language, code=code
    )


async def _take_phone_code(session: AsyncSession, account: Account, code: str) -> None:
    token = await tokens.consume(
        session,
        credentials.phone_code_key(account, code),
        TokenPurpose.phone_confirmation,
        account_id=account.id,
    )
    if token.data.get("phone") != account.phone:
        raise InvalidLinkToken("This code is no longer valid.")
    account.phone_confirmed_at = clock.now()


async def request_phone_confirmation(session: AsyncSession, account: Account) -> None:
    if account.phone_confirmed_at is not None:
        raise PhoneAlreadyConfirmed("The phone number is already confirmed.")
    await send_phone_code(session, account)


async def confirm_phone(session: AsyncSession, account: Account, code: str, *, by: Actor) -> None:
    """Confirms the account's phone number with the texted code."""
    await _take_phone_code(session, account, code)
    await activity.record(session, by, "account.phone_confirmed", account_id=account.id)


# --- activation of an account opened by a partner ---


async def send_activation(
    session: AsyncSession,
    account: Account,
    *,
    partner_name: str,
    organization_name: str,
    password_set: bool,
) -> None:
    """Mails the activation link and texts the code: both are needed before first use."""
    raw = await tokens.issue(
        session, account.id, TokenPurpose.account_activation, {"password_set": password_set}
    )
    await mail_account(
        session,
        account,
        "account_opened_by_partner",
        {
            "partner_name": partner_name,
            "organization_name": organization_name,
            "activation_url": tokens.link(TokenPurpose.account_activation, raw),
        },
    )
    await send_phone_code(session, account)


async def _activation_account(session: AsyncSession, raw: str) -> tuple[Account, bool]:
    token = await tokens.peek(session, raw, TokenPurpose.account_activation)
    account = await auth.find_account(session, token.account_id, for_update=True)
    if account is None or account.deleted_at is not None:
        raise InvalidLinkToken("This link is no longer valid.")
    return account, bool(token.data.get("password_set"))


async def resend_activation_code(session: AsyncSession, raw: str) -> None:
    """Texts a new code to the phone of the account of a (still valid) activation link."""
    account, _ = await _activation_account(session, raw)
    await send_phone_code(session, account)


async def accept_terms(session: AsyncSession, account: Account, version: str, *, by: Actor) -> None:
    account.terms_version = version
    account.terms_accepted_at = clock.now()
    await activity.record(
        session, by, "account.terms_accepted", account_id=account.id, details={"version": version}
    )


async def activate(
    session: AsyncSession,
    *,
    raw: str,
    sms_code: str,
    password: str | None,
    terms_version: str,
    settings: Settings,
    ip: str | None,
) -> Account:
    """The client confirms its e-mail (the link) and phone (the code) together, sets its own
    password (unless the partner set one, to be changed at the first login) and accepts the
    terms in force. Whoever holds both acts as the account."""
    account, password_set = await _activation_account(session, raw)
    by = Actor(account.id, ip=ip)
    if terms_version != settings.terms_version:
        raise TermsVersionOutdated(
            f"The terms in force are version {settings.terms_version}: accept those."
        )
    if password is None and not password_set:
        raise PasswordRequired("Choose your password.")
    await _take_phone_code(session, account, sms_code)
    await tokens.consume(session, raw, TokenPurpose.account_activation)
    if password is not None:
        await credentials.replace_password(session, account, password, by=by)
    now = clock.now()
    account.email_confirmed_at = now
    account.activation_required = False
    await accept_terms(session, account, terms_version, by=by)
    await activity.record(session, by, "account.activated", account_id=account.id)
    return account


# --- first login ---


async def _setup_account(
    session: AsyncSession, raw: str, keyring: KeyRing
) -> tuple[Account, dict[str, object]]:
    try:
        claims = keyring.decode(raw, "setup")
    except InvalidToken:
        raise InvalidSetupToken("The setup token is not valid: log in again.") from None
    account = await session.scalar(
        select(Account).where(Account.id == uuid.UUID(claims["sub"])).with_for_update()
    )
    if (
        account is None
        or account.deleted_at is not None
        or account.locked_at is not None
        or await session.get(ConsumedToken, claims["jti"]) is not None
    ):
        raise InvalidSetupToken("The setup token is not valid: log in again.")
    return account, claims


async def begin_two_factor(
    session: AsyncSession, raw_setup_token: str, keyring: KeyRing
) -> tuple[str, str]:
    """A TOTP secret (and its URI) for the first login's enrolment."""
    account, _ = await _setup_account(session, raw_setup_token, keyring)
    return totp.begin_enrollment(account)


@dataclass(frozen=True)
class FirstLogin:
    tokens: IssuedTokens
    emergency_codes: list[str]


async def complete_first_login(
    session: AsyncSession,
    *,
    raw_setup_token: str,
    new_password: str | None,
    code: str | None,
    client: Client,
    keyring: KeyRing,
    settings: Settings,
) -> FirstLogin:
    """Does every pending step (a new password, 2FA enrolled with a first code), then signs in."""
    account, claims = await _setup_account(session, raw_setup_token, keyring)
    by = Actor(account.id, ip=client.ip)
    steps = auth.setup_steps(account)
    codes: list[str] = []
    if CHANGE_PASSWORD in steps:
        if new_password is None:
            raise PasswordRequired("Replace the initial password: give a new one.")
        await credentials.replace_password(session, account, new_password, by=by)
    if ENROLL_TWO_FACTOR in steps:
        codes = await two_factor.enable(session, account, code or "", by=by)
    account.two_factor_enrollment_required = False
    auth.consume_token(session, claims)
    issued = await auth.sign_in(session, account, client, keyring, settings)
    return FirstLogin(issued, codes)
