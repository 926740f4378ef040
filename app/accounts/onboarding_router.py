"""/v1/account/activation (an account a partner opened), /v1/account/phone (confirming the
phone number by a texted code) and /v1/auth/setup (the first login's steps). Thin routes over
``accounts.onboarding``."""

from fastapi import APIRouter, Depends, Request, status

from app.accounts import onboarding
from app.accounts.auth_router import issued_tokens
from app.accounts.deps import (
    CALLER_ERRORS,
    PUBLIC,
    AccountActor,
    AppKeyRing,
    AppSettings,
    CurrentAccount,
    RequestClient,
    require_scope,
)
from app.accounts.errors import (
    InvalidLinkToken,
    InvalidSetupToken,
    InvalidTwoFactorCode,
    PasswordRequired,
    PasswordUnchanged,
    PhoneAlreadyConfirmed,
    PhoneNotSet,
    TermsVersionOutdated,
    TwoFactorAlreadyEnabled,
    TwoFactorEnrollmentMissing,
)
from app.accounts.password_policy import WeakPassword
from app.accounts.schemas import (
    Activation,
    FirstLoginResult,
    FirstLoginSetup,
    PhoneConfirmation,
    SetupToken,
    TokenBody,
    TwoFactorEnrollment,
)
from app.core import ratelimit
from app.core.db import Session, database_of
from app.core.errors import TooManyRequests
from app.core.ratelimit import per_ip
from app.core.routing import AppRoute, declares

account_router = APIRouter(prefix="/account", tags=["accounts"], route_class=AppRoute)
auth_router = APIRouter(prefix="/auth/setup", tags=["auth"], route_class=AppRoute)

write_scope = require_scope("account:write")
activation_limit = Depends(per_ip("activation", limit=10, per_seconds=900))
setup_limit = Depends(per_ip("setup", limit=30, per_seconds=60))
NO_CONTENT = status.HTTP_204_NO_CONTENT
ACCEPTED = status.HTTP_202_ACCEPTED


@account_router.post("/activation", status_code=NO_CONTENT, dependencies=[activation_limit])
@declares(
    PUBLIC,
    InvalidLinkToken,
    PasswordRequired,
    PasswordUnchanged,
    TermsVersionOutdated,
    WeakPassword,
    422,
    TooManyRequests,
)
async def activate_account(
    body: Activation, session: Session, client: RequestClient, settings: AppSettings
) -> None:
    """Activates an account a partner opened: the mailed link's token and the texted code
    together confirm the e-mail and the phone; the client sets its own password (unless the
    partner set one, changed at the first login) and accepts the terms in force (the version
    and time are kept and shown in the activity log)."""
    await onboarding.activate(
        session,
        raw=body.token,
        sms_code=body.sms_code,
        password=body.password,
        terms_version=body.accept_terms_version,
        settings=settings,
        ip=client.ip,
    )


@account_router.post("/activation/code", status_code=ACCEPTED, dependencies=[activation_limit])
@declares(PUBLIC, InvalidLinkToken, PhoneNotSet, TooManyRequests)
async def resend_activation_code(body: TokenBody, session: Session) -> None:
    """Texts a new activation code to the phone of the account the activation link is for
    (each code is valid 15 minutes). Public, rate-limited per IP."""
    await onboarding.resend_activation_code(session, body.token)


@account_router.post("/phone/confirmation", status_code=ACCEPTED)
@declares(write_scope, *CALLER_ERRORS, PhoneNotSet, PhoneAlreadyConfirmed)
async def request_phone_confirmation(account: CurrentAccount, session: Session) -> None:
    """Texts a 6-digit code (valid 15 minutes) to the caller's phone number, to confirm it.
    422 `phone_not_set` without a number, 409 `phone_already_confirmed` once confirmed."""
    await onboarding.request_phone_confirmation(session, account)


@account_router.post("/phone/confirm", status_code=NO_CONTENT)
@declares(write_scope, *CALLER_ERRORS, InvalidLinkToken, TooManyRequests)
async def confirm_phone(
    body: PhoneConfirmation,
    account: CurrentAccount,
    by: AccountActor,
    session: Session,
    request: Request,
) -> None:
    """Confirms the caller's phone number with the texted code; 5 tries per 15 minutes per
    account, then 429. Recorded in the activity log."""
    await ratelimit.hit(
        database_of(request).sessionmaker, f"phone:{account.id}", limit=5, per_seconds=900
    )
    await onboarding.confirm_phone(session, account, body.code, by=by)


@auth_router.post("/two-factor", dependencies=[setup_limit])
@declares(PUBLIC, InvalidSetupToken, TwoFactorAlreadyEnabled, TooManyRequests)
async def begin_setup_two_factor(
    body: SetupToken, session: Session, ring: AppKeyRing
) -> TwoFactorEnrollment:
    """First login: a TOTP secret to add to an authenticator app, for the setup step
    enroll_two_factor; confirm it with a first code in /v1/auth/setup. Public, with the
    `setup_token` of the login's answer (401 `invalid_setup_token` when expired)."""
    secret, uri = await onboarding.begin_two_factor(session, body.setup_token, ring)
    return TwoFactorEnrollment(secret=secret, otpauth_uri=uri)


@auth_router.post("", dependencies=[setup_limit])
@declares(
    PUBLIC,
    InvalidSetupToken,
    PasswordRequired,
    PasswordUnchanged,
    WeakPassword,
    TwoFactorAlreadyEnabled,
    TwoFactorEnrollmentMissing,
    InvalidTwoFactorCode,
    422,
    TooManyRequests,
)
async def complete_setup(
    body: FirstLoginSetup,
    session: Session,
    client: RequestClient,
    ring: AppKeyRing,
    settings: AppSettings,
) -> FirstLoginResult:
    """First login: replaces the initial password and/or turns 2FA on with a first code, as
    `setup_steps` asked; then the session's tokens (and the emergency codes, shown once).
    Public, with the `setup_token` of the login's answer (valid 15 minutes)."""
    done = await onboarding.complete_first_login(
        session,
        raw_setup_token=body.setup_token,
        new_password=body.new_password,
        code=body.code,
        client=client,
        keyring=ring,
        settings=settings,
    )
    return FirstLoginResult(tokens=issued_tokens(done.tokens), emergency_codes=done.emergency_codes)
