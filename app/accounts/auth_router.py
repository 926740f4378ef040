"""/v1/auth: log in, second factor, refresh, log out, re-authenticate; the public keys."""

from fastapi import APIRouter, Depends, status

from app.accounts import auth, credentials
from app.accounts.deps import (
    PUBLIC,
    SECRET_CHECK_LIMITS,
    SESSION_ERRORS,
    AppKeyRing,
    AppSettings,
    CurrentPrincipal,
    InteractiveSession,
    RequestClient,
    require_scope,
)
from app.accounts.errors import (
    AccountNotActivated,
    InvalidCredentials,
    InvalidRefreshToken,
    PasswordLoginRefused,
    SecondFactorRequired,
    WrongPassword,
)
from app.accounts.schemas import Jwks, Login, LoginResult, MfaLogin, Reauthenticate, Refresh, Tokens
from app.core.db import Session
from app.core.errors import TooManyRequests
from app.core.ratelimit import per_ip, per_ip_in_request
from app.core.routing import AppRoute, declares

router = APIRouter(prefix="/auth", tags=["auth"], route_class=AppRoute)
keys_router = APIRouter(tags=["auth"], route_class=AppRoute)

LOGIN_LIMIT = {"limit": 30, "per_seconds": 60}
# A login counts in its own transaction (one connection, one commit); a refresh on its own.
login_limit = Depends(per_ip_in_request("login", **LOGIN_LIMIT))
refresh_limit = Depends(per_ip("login", **LOGIN_LIMIT))
mfa_limit = Depends(per_ip("mfa", limit=30, per_seconds=60))


def issued_tokens(issued: auth.IssuedTokens) -> Tokens:
    return Tokens(
        access_token=issued.access_token,
        refresh_token=issued.refresh_token,
        expires_in=issued.expires_in,
        session_id=issued.session_id,
    )


@router.post("/login", dependencies=[login_limit])
@declares(PUBLIC, InvalidCredentials, PasswordLoginRefused, AccountNotActivated, TooManyRequests)
async def login(
    body: Login, session: Session, client: RequestClient, ring: AppKeyRing, settings: AppSettings
) -> LoginResult:
    """Logs in with the e-mail and password. Public. Answers `authenticated` with the
    tokens; with 2FA on, `mfa_required` and a short-lived token for /v1/auth/mfa; at a first
    login with steps pending (an initial password to replace, 2FA to enrol), `setup_required`
    and a token for /v1/auth/setup. A login from a new location mails a security alert.

    An unknown e-mail, a wrong password and a locked account get the same 401
    `invalid_credentials`; failures in a row reaching the account's threshold lock it (a link to
    unlock is mailed). 403 `single_sign_on_required` when the organization requires its provider.
    """
    outcome = await auth.login(
        session,
        email=body.email,
        password=body.password,
        client=client,
        keyring=ring,
        settings=settings,
    )
    if outcome.setup_token is not None:
        return LoginResult(
            status="setup_required",
            setup_token=outcome.setup_token,
            setup_steps=list(outcome.setup_steps),
        )
    if outcome.tokens is None:
        return LoginResult(
            status="mfa_required",
            mfa_token=outcome.mfa_token,
            second_factors=list(outcome.second_factors),
        )
    return LoginResult(status="authenticated", tokens=issued_tokens(outcome.tokens))


@router.post("/mfa", dependencies=[mfa_limit])
@declares(PUBLIC, InvalidCredentials, TooManyRequests)
async def mfa(
    body: MfaLogin, session: Session, client: RequestClient, ring: AppKeyRing, settings: AppSettings
) -> Tokens:
    """Second step of a login with 2FA: the `mfa_token` with a TOTP code (each accepted once)
    or an emergency code (each usable once). Public. A wrong code counts as a failed login and
    gets 401 `invalid_credentials`, as does an expired `mfa_token` (valid 5 minutes)."""
    issued = await auth.complete_mfa(
        session,
        mfa_token=body.mfa_token,
        code=body.code,
        emergency_code=body.emergency_code,
        client=client,
        keyring=ring,
        settings=settings,
    )
    return issued_tokens(issued)


@router.post("/refresh", dependencies=[refresh_limit])
@declares(PUBLIC, InvalidRefreshToken, TooManyRequests)
async def refresh(
    body: Refresh, session: Session, ring: AppKeyRing, settings: AppSettings
) -> Tokens:
    """New tokens for the session, in exchange for its refresh token (which stops working:
    each is single-use). Public. Presenting a used one again ends the whole session (it may
    have been stolen), 401 `invalid_refresh_token`."""
    return issued_tokens(
        await auth.refresh(
            session, refresh_token=body.refresh_token, keyring=ring, settings=settings
        )
    )


@router.post("/logout", status_code=status.HTTP_204_NO_CONTENT)
@declares(require_scope("account:write"), *SESSION_ERRORS)
async def logout(session: Session, auth_session: InteractiveSession) -> None:
    """Ends the calling session: its access and refresh tokens stop working at once. Signed-in
    sessions only."""
    await auth.end_session(session, auth_session, reason="logout")


@router.post(
    "/reauthenticate", status_code=status.HTTP_204_NO_CONTENT, dependencies=SECRET_CHECK_LIMITS
)
@declares(
    require_scope("account:write"),
    *SESSION_ERRORS,
    WrongPassword,
    SecondFactorRequired,
    TooManyRequests,
)
async def reauthenticate(
    body: Reauthenticate,
    session: Session,
    principal: CurrentPrincipal,
    auth_session: InteractiveSession,
    client: RequestClient,
) -> None:
    """Confirms the password (and a TOTP or emergency code with 2FA on): for 10 minutes the
    session may make sensitive changes (2FA, recovery means, tokens, passkeys), which otherwise
    answer 403 `reauthentication_required`. A wrong password or code counts as a failed login."""
    await credentials.reauthenticate(
        session,
        principal.account,
        auth_session,
        client,
        password=body.password,
        code=body.code,
        emergency_code=body.emergency_code,
    )


@keys_router.get("/.well-known/jwks.json")
@declares(PUBLIC)
async def jwks(ring: AppKeyRing) -> Jwks:
    """The public keys (JWKS, Ed25519) that verify the service's access tokens, for other
    services; the token header's `kid` names the key. Several during a key rotation. Public."""
    return Jwks.model_validate(ring.jwks())
