"""Logging in through an organization's provider: an e-mail of a proven domain starts the code
flow (PKCE, ``state``, ``nonce``); the callback's ``state`` serves once, the ID token is verified,
its e-mail must be in one of the organization's proven domains, and the account (created and made
a member just in time when the organization allows it) gets the service's own tokens."""

import uuid
from datetime import timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts import service as accounts
from app.accounts.service import Client, IssuedTokens
from app.core import clock
from app.core.security.encryption import decrypt, encrypt
from app.core.security.jwt import KeyRing
from app.core.security.tokens import digest, new_token
from app.core.settings import Settings
from app.organizations import service as organizations
from app.organizations.types import Role
from app.sso import connections, oidc
from app.sso.errors import SingleSignOnFailed, SingleSignOnUnavailable
from app.sso.models import SsoConnection, SsoLogin

LOGIN_MINUTES = 10
_VERIFIER_PURPOSE = "sso-code-verifier"


def _domain_of(email: str) -> str:
    return email.strip().rsplit("@", 1)[-1].lower()


async def start(session: AsyncSession, *, email: str, settings: Settings) -> str:
    """The provider's authorization URL for ``email``, whose domain an organization proved."""
    claim = await connections.proven_domain(session, _domain_of(email))
    connection = (
        await connections.find_connection(session, claim.organization_id) if claim else None
    )
    if connection is None or not connection.enabled:
        raise SingleSignOnUnavailable("No organization offers single sign-on for this address.")
    provider = await oidc.discover(connection.issuer)
    state, nonce, verifier = new_token(), new_token(), new_token(nbytes=48)
    now = clock.now()
    session.add(
        SsoLogin(
            id=uuid.uuid4(),
            connection_id=connection.id,
            state_digest=digest(state),
            nonce=nonce,
            code_verifier_encrypted=encrypt(verifier, purpose=_VERIFIER_PURPOSE),
            email=email.strip(),
            created_at=now,
            expires_at=now + timedelta(minutes=LOGIN_MINUTES),
        )
    )
    await session.flush()
    return oidc.authorization_url(
        provider,
        client_id=connection.client_id,
        redirect_uri=connections.redirect_uri(settings),
        state=state,
        nonce=nonce,
        code_verifier=verifier,
        login_hint=email.strip(),
    )


async def _pending(session: AsyncSession, state: str) -> SsoLogin:
    """The unused, unexpired login of ``state``, now used up (a replay finds it used)."""
    login = await session.scalar(
        select(SsoLogin).where(SsoLogin.state_digest == digest(state)).with_for_update()
    )
    if login is None or login.used_at is not None or login.expires_at <= clock.now():
        raise SingleSignOnFailed("This login is unknown, expired or already used: start again.")
    login.used_at = clock.now()
    await session.flush()
    return login


async def _account_for(
    session: AsyncSession, connection: SsoConnection, claims: dict[str, Any]
) -> uuid.UUID:
    """The account the ID token vouches for, created and made a member when allowed."""
    email = claims.get("email")
    if not isinstance(email, str) or "@" not in email:
        raise SingleSignOnFailed("The ID token carries no e-mail address.")
    if claims.get("email_verified") is False:
        raise SingleSignOnFailed("The provider has not verified this e-mail address.")
    claim = await connections.proven_domain(session, _domain_of(email))
    if claim is None or claim.organization_id != connection.organization_id:
        raise SingleSignOnFailed("The e-mail is not in a domain the organization proved.")
    account_id = await accounts.account_id_for_email(session, email)
    if account_id is None:
        if not connection.jit_enabled:
            raise SingleSignOnFailed("No account uses this address; ask an administrator.")
        account = await accounts.create_federated_account(
            session,
            email=email,
            first_name=str(claims.get("given_name") or ""),
            last_name=str(claims.get("family_name") or ""),
            language=str(claims.get("locale") or "en")[:2],
        )
        account_id = account.id
    if connection.jit_enabled:
        await organizations.join_through_identity_provider(
            session, connection.organization_id, account_id, role=Role(connection.jit_role)
        )
    return account_id


async def complete(
    session: AsyncSession,
    *,
    state: str,
    code: str,
    client: Client,
    keyring: KeyRing,
    settings: Settings,
) -> IssuedTokens:
    """Exchanges the provider's code and verifies its ID token; then signs the account in."""
    login = await _pending(session, state)
    connection = await session.get(SsoConnection, login.connection_id)
    if connection is None or not connection.enabled:
        raise SingleSignOnFailed("The organization no longer offers single sign-on.")
    provider = await oidc.discover(connection.issuer)
    id_token = await oidc.exchange_code(
        provider,
        client_id=connection.client_id,
        client_secret=connections.client_secret(connection),
        redirect_uri=connections.redirect_uri(settings),
        code=code,
        code_verifier=decrypt(login.code_verifier_encrypted, purpose=_VERIFIER_PURPOSE),
    )
    claims = await oidc.verify_id_token(
        provider,
        id_token,
        client_id=connection.client_id,
        nonce=login.nonce,
        now=int(clock.now().timestamp()),
    )
    account_id = await _account_for(session, connection, claims)
    return await accounts.federated_sign_in(
        session,
        account_id=account_id,
        provider=connection.issuer,
        client=client,
        keyring=keyring,
        settings=settings,
    )


async def password_login_refusal(
    session: AsyncSession, account_id: uuid.UUID, email: str
) -> str | None:
    """Why a member whose login is in a domain of an organization requiring single sign-on may
    not use its password (None for others, and for the break-glass legal representative)."""
    claim = await connections.proven_domain(session, _domain_of(email))
    if claim is None:
        return None
    connection = await connections.find_connection(session, claim.organization_id)
    if (
        connection is None
        or not connection.enabled
        or not connection.require_sso
        or connection.break_glass_account_id == account_id
        or not await organizations.is_member(session, claim.organization_id, account_id)
    ):
        return None
    return "Your organization requires single sign-on: log in through its provider."
