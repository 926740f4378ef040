"""Who is calling: the bearer of an access token (a session) or of a personal access token."""

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Annotated, Any, cast

from fastapi import Depends, Request, params
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy import Row, Select

from app.accounts import auth, pats
from app.accounts.auth import Client
from app.accounts.errors import (
    EmailNotConfirmed,
    InsufficientScope,
    InvalidAccessToken,
    NotAuthenticated,
    PlatformStaffOnly,
    ReauthenticationRequired,
    SessionEnded,
    SessionRequired,
)
from app.accounts.models import Account, AuthSession
from app.activity.types import Actor, Via
from app.core import clock, idempotency
from app.core.db import Session, database_of
from app.core.errors import TooManyRequests, raises
from app.core.ratelimit import client_ip, hit, per_ip
from app.core.security.jwt import InvalidToken, KeyRing, keyring
from app.core.settings import Settings

_bearer = HTTPBearer(auto_error=False, description="An access token or a personal access token.")


@dataclass(frozen=True)
class Principal:
    account: Account
    session: AuthSession | None
    scopes: frozenset[str] | None
    """None for an interactive session (every scope); a token's scopes otherwise."""

    def allows(self, scope: str) -> bool:
        return self.scopes is None or scope in self.scopes

    @property
    def actor(self) -> Actor:
        """The account acting on itself (``token`` when it called with a personal access token)."""
        return Actor(self.account.id, via=Via.account, token=self.session is None)


# Dependencies are coroutines even when they never wait: FastAPI runs a plain function in its
# thread pool, two thread switches per request.


async def app_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


async def app_keyring(request: Request) -> KeyRing:
    return keyring(request.app.state.settings)


async def request_client(request: Request) -> Client:
    ip = client_ip(request)
    return Client(ip=None if ip == "unknown" else ip, user_agent=request.headers.get("user-agent"))


AppSettings = Annotated[Settings, Depends(app_settings)]
AppKeyRing = Annotated[KeyRing, Depends(app_keyring)]
RequestClient = Annotated[Client, Depends(request_client)]


CallerExtension = Callable[[Select[Any], Any], Select[Any]]
"""Adds to the caller's statement what a route's dependencies will need, given the caller's
account id column: outer-joined columns, with bound parameters named after the path's
parameters (``extend_caller_statement``)."""
_EXTENSIONS: list[tuple[frozenset[str], CallerExtension]] = []
_PATH_IDS: set[str] = set()
_STATEMENTS: dict[tuple[str, frozenset[str]], Select[Any]] = {}


def extend_caller_statement(parameters: frozenset[str], extension: CallerExtension) -> None:
    """Registers an extension of the statement that authenticates every caller, so that one
    statement resolves the caller, its access and the object the route loads. It applies when
    the path has every one of ``parameters`` (ids, bound under their own names). It adds
    outer-joined columns only: what it adds never filters the caller out."""
    _EXTENSIONS.append((parameters, extension))
    _PATH_IDS.update(parameters)
    _STATEMENTS.clear()


@dataclass(frozen=True)
class CallerRow:
    """The row of the caller's statement: the principal's token or session and account, and
    whatever the extensions added (by entity class, or by column label)."""

    row: Row[Any]

    def has(self, key: Any) -> bool:
        return key in self.row._mapping

    def get(self, key: Any) -> Any:
        """The loaded value (None when the outer join found nothing)."""
        return self.row._mapping[key]


def caller_row(request: Request) -> CallerRow | None:
    """What the caller's statement loaded for this request, if it ran."""
    found: CallerRow | None = getattr(request.state, "caller_row", None)
    return found


def _path_ids(request: Request) -> dict[str, uuid.UUID]:
    """The path's ids that extensions bind (a malformed one is left out: the route answers
    422)."""
    found = {}
    for name, value in request.path_params.items():
        if name in _PATH_IDS:
            try:
                found[name] = uuid.UUID(str(value))
            except ValueError:
                continue
    return found


def _caller_statement(
    kind: str, base: Select[*tuple[Any, ...]], ids: frozenset[str]
) -> Select[Any]:
    """``base`` with the extensions the path's ids allow, built once per shape."""
    key = (kind, ids)
    statement = _STATEMENTS.get(key)
    if statement is None:
        statement = cast(Select[Any], base)
        for parameters, extension in _EXTENSIONS:
            if parameters <= ids:
                statement = extension(statement, Account.id)
        _STATEMENTS[key] = statement
    return statement


@raises(NotAuthenticated, InvalidAccessToken, SessionEnded)
async def authenticate(
    request: Request,
    session: Session,
    ring: AppKeyRing,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal:
    """Any valid caller, even one whose e-mail is not confirmed yet, in one statement with what
    the route's dependencies load (``extend_caller_statement``)."""
    challenge = {"WWW-Authenticate": "Bearer"}
    if credentials is None:
        raise NotAuthenticated("Authentication is required.", headers=challenge)
    raw = credentials.credentials
    ids = _path_ids(request)
    if raw.startswith(pats.PREFIX):
        statement = _caller_statement("token", pats.BEARER, frozenset(ids))
        parameters: dict[str, Any] = {**ids, **pats.bearer_parameters(raw)}
        row = (await session.execute(statement, parameters)).first()
        if row is None or not await pats.accepted(session, row[0]):
            raise InvalidAccessToken("The token is not valid.", headers=challenge)
        principal = Principal(row[1], None, frozenset(row[0].scopes))
    else:
        try:
            claims = ring.decode(raw, "access")
            session_id = uuid.UUID(str(claims.get("sid")))
            account_id = uuid.UUID(claims["sub"])
        except (InvalidToken, ValueError):
            raise InvalidAccessToken("The token is not valid.", headers=challenge) from None
        statement = _caller_statement("session", auth.SESSION, frozenset(ids))
        parameters = {**ids, "caller_session_id": session_id, "caller_account_id": account_id}
        row = (await session.execute(statement, parameters)).first()
        if row is None or not await auth.session_accepted(session, row[0]):
            raise SessionEnded("The session has ended.", headers=challenge)
        principal = Principal(row[1], row[0], None)
    request.state.caller_row = CallerRow(row)
    idempotency.set_principal(request, f"account:{principal.account.id}")
    return principal


AnyPrincipal = Annotated[Principal, Depends(authenticate)]


@raises(EmailNotConfirmed)
async def confirmed_principal(principal: AnyPrincipal) -> Principal:
    """A caller whose login e-mail is confirmed: all others may only confirm or resend."""
    if principal.account.email_confirmed_at is None:
        raise EmailNotConfirmed("Confirm your e-mail address first.")
    return principal


CurrentPrincipal = Annotated[Principal, Depends(confirmed_principal)]


async def current_account(principal: CurrentPrincipal) -> Account:
    return principal.account


CurrentAccount = Annotated[Account, Depends(current_account)]


@raises(InsufficientScope)
class ScopeCheck:
    """A route's declared token scope: a personal access token needs one of ``scopes``;
    interactive sessions have them all. Every route declares exactly one of these (or
    ``PUBLIC``), through ``require_scope``; a route-table test holds it."""

    def __init__(self, *scopes: str) -> None:
        self.scopes = scopes

    async def __call__(self, principal: AnyPrincipal) -> Principal:
        if not any(principal.allows(scope) for scope in self.scopes):
            raise InsufficientScope(f"This token lacks the scope {' or '.join(self.scopes)}.")
        return principal


class PublicRoute:
    """The declaration of a route that anyone may call, with or without credentials."""

    scopes: tuple[str, ...] = ()

    async def __call__(self) -> None:
        return None


def require_scope(*scopes: str) -> params.Depends:
    """The dependency declaring which scope (any of ``scopes``) a personal access token needs."""
    return params.Depends(ScopeCheck(*scopes))


PUBLIC = params.Depends(PublicRoute())
"""Declares a route callable without authentication (sign-up, login, the shop, discovery)."""


@raises(SessionRequired)
async def interactive_session(principal: CurrentPrincipal) -> AuthSession:
    """The caller's signed-in session (personal access tokens cannot do this)."""
    if principal.session is None:
        raise SessionRequired("This needs a signed-in session, not a token.")
    return principal.session


@raises(ReauthenticationRequired)
async def recent_session(
    auth_session: Annotated[AuthSession, Depends(interactive_session)], settings: AppSettings
) -> AuthSession:
    """A session that authenticated within the last minutes: for sensitive changes."""
    if clock.now() - auth_session.authenticated_at > timedelta(
        minutes=settings.reauthentication_minutes
    ):
        raise ReauthenticationRequired(
            "Confirm your password again to do this (POST /v1/auth/reauthenticate)."
        )
    return auth_session


@raises(PlatformStaffOnly, SessionRequired)
async def platform_staff(principal: CurrentPrincipal, client: RequestClient) -> Actor:
    """Platform staff (the provider's support team) in an interactive session, as the actor of
    what they do to accounts (marked ``via`` support in the accounts' logs)."""
    if not principal.account.is_platform_staff:
        raise PlatformStaffOnly("Only platform staff can do this.")
    if principal.session is None:
        raise SessionRequired("This needs a signed-in session, not a token.")
    return Actor(principal.account.id, via=Via.support, ip=client.ip)


StaffActor = Annotated[Actor, Depends(platform_staff)]
"""Platform staff acting on accounts; every other caller is refused (403, 401 anonymous)."""

InteractiveSession = Annotated[AuthSession, Depends(interactive_session)]
RecentSession = Annotated[AuthSession, Depends(recent_session)]


async def account_actor(principal: CurrentPrincipal, client: RequestClient) -> Actor:
    """The confirmed caller acting on its own account, with the request's IP."""
    return principal.actor.with_ip(client.ip)


AccountActor = Annotated[Actor, Depends(account_actor)]


def per_account(name: str, *, limit: int, per_seconds: int) -> params.Depends:
    """A route dependency limiting each calling account to ``limit`` requests per window."""

    @raises(TooManyRequests)
    async def limit_by_account(request: Request, principal: AnyPrincipal) -> None:
        await hit(
            database_of(request).sessionmaker,
            f"{name}:account:{principal.account.id}",
            limit=limit,
            per_seconds=per_seconds,
        )

    return params.Depends(limit_by_account)


SECRET_CHECK_LIMITS = [
    Depends(per_ip("secret_check", limit=30, per_seconds=60)),
    per_account("secret_check", limit=10, per_seconds=60),
]
"""The limits of a route checking a signed-in caller's password or code (each IP, each
account): guesses behind a session are throttled like logins."""

AUTHENTICATION_ERRORS = (NotAuthenticated, InvalidAccessToken, SessionEnded)
"""What any authenticated route can answer (401)."""
CALLER_ERRORS = (*AUTHENTICATION_ERRORS, EmailNotConfirmed, InsufficientScope)
"""What a route of a confirmed caller can answer (401/403) besides its own errors."""
SESSION_ERRORS = (*CALLER_ERRORS, SessionRequired)
STAFF_ERRORS = (*SESSION_ERRORS, PlatformStaffOnly)
"""What a platform-staff route can answer besides its own errors."""
RECENT_SESSION_ERRORS = (*SESSION_ERRORS, ReauthenticationRequired)
