"""/v1/organizations/{id}/sso (the provider, its policy, the claimed domains: managers only)
and /v1/auth/sso (the login through it). Thin routes over ``sso.connections`` and
``sso.login``."""

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, status

from app.accounts.auth_router import issued_tokens
from app.accounts.deps import PUBLIC, AppKeyRing, AppSettings, RequestClient, require_scope
from app.accounts.errors import InvalidCredentials
from app.accounts.schemas import Tokens
from app.core.db import Session
from app.core.errors import TooManyRequests
from app.core.pagination import Page, Pagination, page_of, paginate
from app.core.ratelimit import per_ip
from app.core.routing import AppRoute, declares
from app.organizations.permissions import MANAGER_ERRORS, Manager
from app.sso import connections, login
from app.sso.deps import Resolver
from app.sso.errors import (
    BreakGlassNotLegalRepresentative,
    ConnectionNotFound,
    DomainAlreadyClaimed,
    DomainNotFound,
    DomainNotProven,
    MailboxNotInDomain,
    ProviderUnreachable,
    SingleSignOnFailed,
    SingleSignOnUnavailable,
    WrongDomainCode,
)
from app.sso.schemas import (
    SsoCallback,
    SsoConnectionRead,
    SsoConnectionWrite,
    SsoDomainClaim,
    SsoDomainRead,
    SsoDomainVerification,
    SsoRedirect,
    SsoStart,
)

router = APIRouter(
    prefix="/organizations/{organization_id}/sso", tags=["sso"], route_class=AppRoute
)
auth_router = APIRouter(prefix="/auth/sso", tags=["sso"], route_class=AppRoute)

read_scope = require_scope("organizations:read")
write_scope = require_scope("organizations:write")
sso_limit = Depends(per_ip("sso", limit=30, per_seconds=60))
domain_code_limit = Depends(per_ip("sso_domain_code", limit=10, per_seconds=900))
NO_CONTENT = status.HTTP_204_NO_CONTENT
DomainId = Annotated[uuid.UUID, Path(description="A domain the organization claims.")]


@router.get("")
@declares(read_scope, *MANAGER_ERRORS, ConnectionNotFound)
async def read_connection(
    access: Manager, session: Session, settings: AppSettings
) -> SsoConnectionRead:
    """The organization's OpenID Connect provider and its policy (the client secret is never
    shown). Administrators and legal representatives only; 404 `sso_connection_not_found`
    when none is configured."""
    connection = await connections.get_connection(session, access.organization.id)
    return connections.connection_read(connection, settings)


@router.put("")
@declares(
    write_scope,
    *MANAGER_ERRORS,
    ConnectionNotFound,
    ProviderUnreachable,
    BreakGlassNotLegalRepresentative,
    422,
)
async def configure_connection(
    body: SsoConnectionWrite, access: Manager, session: Session, settings: AppSettings
) -> SsoConnectionRead:
    """Connects or changes the provider and the policy: just-in-time membership, and SSO
    required with a break-glass legal representative. The provider's discovery document is read
    first (502 when it cannot be). Administrators and legal representatives only; recorded in
    the organization's activity log."""
    connection = await connections.configure(session, access.organization.id, body, by=access.actor)
    return connections.connection_read(connection, settings)


@router.delete("", status_code=NO_CONTENT)
@declares(write_scope, *MANAGER_ERRORS, ConnectionNotFound)
async def remove_connection(access: Manager, session: Session) -> None:
    """Disconnects the provider: nobody logs in through it any more, and members log in with
    their passwords again. The claimed domains stay. Administrators and legal representatives
    only."""
    connection = await connections.get_connection(session, access.organization.id, for_update=True)
    await connections.remove_connection(session, connection, by=access.actor)


@router.get("/domains", response_model=Page[SsoDomainRead])
@declares(read_scope, *MANAGER_ERRORS)
async def list_domains(access: Manager, session: Session, page: Pagination) -> dict[str, Any]:
    """The e-mail domains the organization claims, proven or not, newest first.
    Administrators and legal representatives only."""
    rows, cursor = await paginate(session, connections.domains_of(access.organization.id), page)
    return page_of([connections.domain_read(row) for row in rows], cursor)


@router.post("/domains", status_code=status.HTTP_201_CREATED)
@declares(write_scope, *MANAGER_ERRORS, DomainAlreadyClaimed, MailboxNotInDomain, 422)
async def claim_domain(body: SsoDomainClaim, access: Manager, session: Session) -> SsoDomainRead:
    """Claims an e-mail domain for single sign-on; it counts once proven. With proof `dns`,
    publish the TXT record shown; with proof `email`, an 8-digit code is mailed to the chosen
    mailbox of the domain. 409 when another organization has proven it. Administrators and
    legal representatives only."""
    claim = await connections.claim_domain(
        session,
        access.organization.id,
        domain=body.domain,
        proof=body.proof,
        mailbox=body.mailbox,
        by=access.actor,
    )
    return connections.domain_read(claim)


@router.post("/domains/{domain_id}/verification", dependencies=[domain_code_limit])
@declares(
    write_scope,
    *MANAGER_ERRORS,
    DomainNotFound,
    DomainNotProven,
    WrongDomainCode,
    DomainAlreadyClaimed,
    TooManyRequests,
)
async def verify_domain(
    domain_id: DomainId,
    body: SsoDomainVerification,
    access: Manager,
    session: Session,
    resolver: Resolver,
) -> SsoDomainRead:
    """Proves a claimed domain: looks its TXT record up (409 `sso_domain_not_proven` while it
    is not published), or checks the mailed code (10 tries per 15 minutes per IP). Once proven,
    logins in the domain go through the organization's provider."""
    claim = await connections.get_domain(
        session, access.organization.id, domain_id, for_update=True
    )
    verified = await connections.verify_domain(
        session, claim, code=body.code, resolver=resolver, by=access.actor
    )
    return connections.domain_read(verified)


@router.delete("/domains/{domain_id}", status_code=NO_CONTENT)
@declares(write_scope, *MANAGER_ERRORS, DomainNotFound)
async def remove_domain(domain_id: DomainId, access: Manager, session: Session) -> None:
    """Gives up a claimed domain: its logins no longer go through the organization's
    provider. Administrators and legal representatives only."""
    claim = await connections.get_domain(
        session, access.organization.id, domain_id, for_update=True
    )
    await connections.remove_domain(session, claim, by=access.actor)


@auth_router.post("", dependencies=[sso_limit])
@declares(PUBLIC, SingleSignOnUnavailable, ProviderUnreachable, TooManyRequests)
async def start_sso(body: SsoStart, session: Session, settings: AppSettings) -> SsoRedirect:
    """Starts a login through the provider of the organization that proved the e-mail's domain:
    send the browser to `authorization_url`; the provider comes back to the redirect URI with
    `state` and `code`, for POST /v1/auth/sso/callback. Public. 404 `sso_not_available` when no
    organization offers single sign-on for that domain."""
    url = await login.start(session, email=body.email, settings=settings)
    return SsoRedirect(authorization_url=url)


@auth_router.post("/callback", dependencies=[sso_limit])
@declares(PUBLIC, SingleSignOnFailed, ProviderUnreachable, InvalidCredentials, TooManyRequests)
async def complete_sso(
    body: SsoCallback,
    session: Session,
    client: RequestClient,
    ring: AppKeyRing,
    settings: AppSettings,
) -> Tokens:
    """The provider's `state` and `code`: once the ID token is verified, the service's own
    tokens, as any login gives. A replayed `state`, a wrong `nonce`, a token for another
    audience or an e-mail outside the organization's domains get 401."""
    issued = await login.complete(
        session, state=body.state, code=body.code, client=client, keyring=ring, settings=settings
    )
    return issued_tokens(issued)
