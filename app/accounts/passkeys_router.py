"""/v1/account/passkeys (register, name, list, remove) and /v1/auth/passkey… (log in with a
passkey, as second factor, or to re-authenticate). Thin routes over ``accounts.passkeys``."""

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, status

from app.accounts import passkeys
from app.accounts.auth_router import issued_tokens
from app.accounts.deps import (
    PUBLIC,
    RECENT_SESSION_ERRORS,
    SESSION_ERRORS,
    AccountActor,
    AppKeyRing,
    AppSettings,
    CurrentAccount,
    InteractiveSession,
    RecentSession,
    RequestClient,
    require_scope,
)
from app.accounts.errors import (
    InvalidCredentials,
    InvalidPasskey,
    PasskeyAlreadyRegistered,
    PasskeyNotFound,
)
from app.accounts.models import Passkey
from app.accounts.schemas import (
    Ceremony,
    MfaToken,
    PasskeyAssertion,
    PasskeyMfaLogin,
    PasskeyRead,
    PasskeyRegistration,
    PasskeyRename,
    Tokens,
)
from app.core.db import Session
from app.core.errors import TooManyRequests
from app.core.pagination import Page, Pagination, page_of, paginate
from app.core.ratelimit import per_ip
from app.core.routing import AppRoute, declares

account_router = APIRouter(prefix="/account/passkeys", tags=["accounts"], route_class=AppRoute)
auth_router = APIRouter(prefix="/auth", tags=["auth"], route_class=AppRoute)

read_scope = require_scope("account:read")
write_scope = require_scope("account:write")
passkey_limit = Depends(per_ip("passkey", limit=30, per_seconds=60))
NO_CONTENT = status.HTTP_204_NO_CONTENT
PasskeyId = Annotated[uuid.UUID, Path(description="A passkey of the caller's.")]


def _ceremony(ceremony: passkeys.Ceremony) -> Ceremony:
    return Ceremony(options=ceremony.options, ceremony_token=ceremony.ceremony_token)


def _read(passkey: Passkey) -> PasskeyRead:
    return PasskeyRead.model_validate(passkey)


@account_router.post("/registration")
@declares(write_scope, *RECENT_SESSION_ERRORS)
async def begin_passkey_registration(
    account: CurrentAccount,
    auth_session: RecentSession,
    session: Session,
    ring: AppKeyRing,
    settings: AppSettings,
) -> Ceremony:
    """Creation options for a new passkey (WebAuthn), to pass to
    `navigator.credentials.create()`; send its answer to POST /v1/account/passkeys within 5
    minutes. Needs a recent re-authentication, as for 2FA."""
    return _ceremony(
        await passkeys.begin_registration(session, account, keyring=ring, settings=settings)
    )


@account_router.post("", status_code=status.HTTP_201_CREATED)
@declares(write_scope, *RECENT_SESSION_ERRORS, InvalidPasskey, PasskeyAlreadyRegistered, 422)
async def register_passkey(
    body: PasskeyRegistration,
    account: CurrentAccount,
    auth_session: RecentSession,
    by: AccountActor,
    session: Session,
    ring: AppKeyRing,
    settings: AppSettings,
) -> PasskeyRead:
    """Registers the new passkey once the authenticator's answer passes the checks
    (challenge, origin, relying party): it can then log in or serve as second factor. Needs a
    recent re-authentication; recorded in the activity log. 409 when the authenticator's
    credential is registered already."""
    passkey = await passkeys.register(
        session,
        account,
        name=body.name,
        ceremony_token=body.ceremony_token,
        credential=body.credential,
        keyring=ring,
        settings=settings,
        by=by,
    )
    return _read(passkey)


@account_router.get("", response_model=Page[PasskeyRead])
@declares(read_scope, *SESSION_ERRORS)
async def list_passkeys(
    account: CurrentAccount, auth_session: InteractiveSession, session: Session, page: Pagination
) -> dict[str, Any]:
    """The caller's passkeys, newest first. Signed-in sessions only."""
    rows, cursor = await paginate(session, passkeys.passkeys_of(account.id), page)
    return page_of([_read(row) for row in rows], cursor)


@account_router.patch("/{passkey_id}")
@declares(write_scope, *SESSION_ERRORS, PasskeyNotFound)
async def rename_passkey(
    passkey_id: PasskeyId,
    body: PasskeyRename,
    account: CurrentAccount,
    auth_session: InteractiveSession,
    by: AccountActor,
    session: Session,
) -> PasskeyRead:
    """Renames one of the caller's passkeys. Signed-in sessions only."""
    passkey = await passkeys.get_passkey(session, account.id, passkey_id, for_update=True)
    return _read(await passkeys.rename(session, passkey, body.name, by=by))


@account_router.delete("/{passkey_id}", status_code=NO_CONTENT)
@declares(write_scope, *RECENT_SESSION_ERRORS, PasskeyNotFound)
async def remove_passkey(
    passkey_id: PasskeyId,
    account: CurrentAccount,
    auth_session: RecentSession,
    by: AccountActor,
    session: Session,
) -> None:
    """Removes one of the caller's passkeys: it can no longer log in. Needs a recent
    re-authentication; recorded in the activity log."""
    passkey = await passkeys.get_passkey(session, account.id, passkey_id, for_update=True)
    await passkeys.remove(session, passkey, by=by)


@auth_router.post("/passkey/options", dependencies=[passkey_limit])
@declares(PUBLIC, TooManyRequests)
async def passkey_login_options(
    session: Session, ring: AppKeyRing, settings: AppSettings
) -> Ceremony:
    """Request options for a login with any discoverable passkey (no e-mail needed), to pass
    to `navigator.credentials.get()`; send its answer to POST /v1/auth/passkey within 5
    minutes. Public."""
    return _ceremony(
        await passkeys.begin_assertion(
            session, account=None, keyring=ring, settings=settings, typ="passkey-login"
        )
    )


@auth_router.post("/passkey", dependencies=[passkey_limit])
@declares(PUBLIC, InvalidCredentials, InvalidPasskey, TooManyRequests)
async def passkey_login(
    body: PasskeyAssertion,
    session: Session,
    client: RequestClient,
    ring: AppKeyRing,
    settings: AppSettings,
) -> Tokens:
    """The whole login with a passkey (user verification required), no password or second
    factor needed: the session's tokens. Public. A wrong origin, a bad signature or a sign
    counter that did not grow (a possibly cloned passkey, noted in the activity log) get 401
    and count as a failed login."""
    return issued_tokens(
        await passkeys.log_in(
            session,
            ceremony_token=body.ceremony_token,
            credential=body.credential,
            client=client,
            keyring=ring,
            settings=settings,
        )
    )


@auth_router.post("/mfa/passkey/options", dependencies=[passkey_limit])
@declares(PUBLIC, InvalidCredentials, TooManyRequests)
async def passkey_mfa_options(
    body: MfaToken, session: Session, ring: AppKeyRing, settings: AppSettings
) -> Ceremony:
    """Request options for the passkeys of the account that passed the password step, with
    its `mfa_token`; send the answer to POST /v1/auth/mfa/passkey. Public."""
    return _ceremony(
        await passkeys.begin_second_factor(
            session, mfa_token=body.mfa_token, keyring=ring, settings=settings
        )
    )


@auth_router.post("/mfa/passkey", dependencies=[passkey_limit])
@declares(PUBLIC, InvalidCredentials, InvalidPasskey, TooManyRequests)
async def passkey_mfa(
    body: PasskeyMfaLogin,
    session: Session,
    client: RequestClient,
    ring: AppKeyRing,
    settings: AppSettings,
) -> Tokens:
    """Second step of a password login with a passkey instead of a TOTP code: the session's
    tokens. Public; a refused answer counts as a failed login (401)."""
    return issued_tokens(
        await passkeys.complete_second_factor(
            session,
            mfa_token=body.mfa_token,
            ceremony_token=body.ceremony_token,
            credential=body.credential,
            client=client,
            keyring=ring,
            settings=settings,
        )
    )


@auth_router.post("/reauthenticate/passkey/options")
@declares(write_scope, *SESSION_ERRORS)
async def passkey_reauthentication_options(
    account: CurrentAccount,
    auth_session: InteractiveSession,
    session: Session,
    ring: AppKeyRing,
    settings: AppSettings,
) -> Ceremony:
    """Request options for the caller's passkeys, to re-authenticate with one instead of the
    password; send the answer to POST /v1/auth/reauthenticate/passkey."""
    return _ceremony(
        await passkeys.begin_assertion(
            session,
            account=account,
            keyring=ring,
            settings=settings,
            typ="passkey-reauthentication",
        )
    )


@auth_router.post("/reauthenticate/passkey", status_code=NO_CONTENT, dependencies=[passkey_limit])
@declares(write_scope, *SESSION_ERRORS, InvalidCredentials, InvalidPasskey, TooManyRequests)
async def passkey_reauthenticate(
    body: PasskeyAssertion,
    account: CurrentAccount,
    auth_session: InteractiveSession,
    session: Session,
    client: RequestClient,
    ring: AppKeyRing,
    settings: AppSettings,
) -> None:
    """Re-authenticates with one of the caller's passkeys: for 10 minutes the session may make
    sensitive changes. A refused answer counts as a failed login (401)."""
    await passkeys.reauthenticate(
        session,
        account,
        auth_session,
        ceremony_token=body.ceremony_token,
        credential=body.credential,
        client=client,
        keyring=ring,
        settings=settings,
    )
