"""Logging in (password, then TOTP when on), sessions and refresh chains, lockout and alerts."""

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from functools import cached_property

from sqlalchemy import (
    Select,
    bindparam,
    delete,
    exists,
    func,
    insert,
    select,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from user_agents import parse as parse_user_agent

from app.accounts import login_policies, tokens, totp
from app.accounts.errors import (
    AccountNotActivated,
    InvalidCredentials,
    InvalidRefreshToken,
    PasswordLoginRefused,
    SessionNotFound,
)
from app.accounts.models import (
    Account,
    AccountToken,
    AuthSession,
    ConsumedToken,
    LoginAttempt,
    Passkey,
    RefreshToken,
)
from app.accounts.types import TokenPurpose
from app.activity import service as activity
from app.activity.types import Actor
from app.core import clock
from app.core.db import one_or_raise
from app.core.security import passwords
from app.core.security.jwt import InvalidToken, KeyRing
from app.core.security.tokens import digest, new_token
from app.core.settings import Settings
from app.notifications.service import queue_mail

REFRESH_PREFIX = "mgr_rt_"


@dataclass(frozen=True)
class Client:
    """Where a request comes from."""

    ip: str | None
    user_agent: str | None

    @cached_property
    def device(self) -> str:
        if not self.user_agent:
            return "Unknown device"
        agent = parse_user_agent(self.user_agent)
        browser = agent.browser.family
        system = agent.os.family
        if browser == "Other" and system == "Other":
            return self.user_agent[:60]
        return f"{browser} on {system}"


@dataclass(frozen=True)
class IssuedTokens:
    access_token: str
    refresh_token: str
    expires_in: int
    session_id: uuid.UUID


@dataclass(frozen=True)
class LoginOutcome:
    tokens: IssuedTokens | None = None
    mfa_token: str | None = None
    second_factors: tuple[str, ...] = ()
    setup_token: str | None = None
    setup_steps: tuple[str, ...] = ()


# The statements of a password login, built once: building one is a good part of its cost.
_ACCOUNT_FOR_LOGIN = (
    select(Account)
    .where(func.lower(Account.email) == bindparam("email"), Account.deleted_at.is_(None))
    .with_for_update()
)
"""The account of a lower-cased e-mail, locked."""

_HAS_PASSKEY = select(exists().where(Passkey.account_id == bindparam("account_id")))

_SUCCEEDED = (LoginAttempt.account_id == bindparam("account_id"), LoginAttempt.succeeded.is_(True))
_SIGN_IN = select(
    exists().where(*_SUCCEEDED),
    exists().where(
        *_SUCCEEDED,
        LoginAttempt.ip.is_not_distinct_from(bindparam("ip")),
        LoginAttempt.device == bindparam("device"),
    ),
).add_cte(
    insert(LoginAttempt)
    .values(
        id=bindparam("attempt_id"),
        account_id=bindparam("account_id"),
        succeeded=True,
        ip=bindparam("ip"),
        user_agent=bindparam("user_agent"),
        device=bindparam("device"),
        created_at=bindparam("now"),
    )
    .cte("login_attempt"),
    insert(AuthSession)
    .values(
        id=bindparam("session_id"),
        account_id=bindparam("account_id"),
        ip=bindparam("ip"),
        user_agent=bindparam("user_agent"),
        device=bindparam("device"),
        created_at=bindparam("now"),
        last_used_at=bindparam("now"),
        authenticated_at=bindparam("now"),
        expires_at=bindparam("expires_at"),
    )
    .cte("auth_session"),
    insert(RefreshToken)
    .values(
        id=bindparam("token_id"),
        session_id=bindparam("session_id"),
        token_digest=bindparam("token_digest"),
        created_at=bindparam("now"),
    )
    .cte("refresh_token"),
)
"""Whether the account logged in before, and from here (this address and device), asked of the
history as it was before this login (every part of a statement sees the same snapshot), while
the login, its session and the session's first refresh token are written: one statement."""


async def account_by_email(
    session: AsyncSession, email: str, *, lock: bool = False
) -> Account | None:
    statement = select(Account).where(
        func.lower(Account.email) == email.strip().lower(), Account.deleted_at.is_(None)
    )
    if lock:
        statement = statement.with_for_update()
    return await session.scalar(statement)


def _stamp() -> str:
    return clock.now().strftime("%Y-%m-%d %H:%M UTC")


async def login(
    session: AsyncSession,
    *,
    email: str,
    password: str,
    client: Client,
    keyring: KeyRing,
    settings: Settings,
) -> LoginOutcome:
    account = await session.scalar(_ACCOUNT_FOR_LOGIN, {"email": email.strip().lower()})
    password_ok = await passwords.verify_password(
        account.password_hash if account else None, password
    )
    if account is None:
        raise InvalidCredentials
    if account.locked_at is not None:
        _record_attempt(session, account, client, succeeded=False, reason="locked")
        raise InvalidCredentials
    if not password_ok:
        await count_failure(session, account, client, reason="wrong_password")
        raise InvalidCredentials
    refusal = await login_policies.password_login_refusal(session, account.id, account.email)
    if refusal is not None:
        _record_attempt(session, account, client, succeeded=False, reason="sso_required")
        raise PasswordLoginRefused(refusal)
    if passwords.needs_rehash(account.password_hash):
        account.password_hash = await passwords.hash_password(password)
    if account.activation_required:
        raise AccountNotActivated(
            "Activate the account first: follow the mailed link and enter the texted code."
        )
    factors = await second_factors(session, account)
    if factors:
        mfa_token = keyring.issue("mfa", account.id, timedelta(minutes=settings.mfa_token_minutes))
        return LoginOutcome(mfa_token=mfa_token, second_factors=factors)
    steps = setup_steps(account)
    if steps:
        setup_token = keyring.issue("setup", account.id, timedelta(minutes=SETUP_MINUTES))
        return LoginOutcome(setup_token=setup_token, setup_steps=tuple(steps))
    return LoginOutcome(tokens=await _signed_in(session, account, client, keyring, settings))


CHANGE_PASSWORD = "change_password"
ENROLL_TWO_FACTOR = "enroll_two_factor"
SETUP_MINUTES = 15


def setup_steps(account: Account) -> list[str]:
    """What a first login must do before the account gets a session (``onboarding``)."""
    steps = []
    if account.password_change_required:
        steps.append(CHANGE_PASSWORD)
    if account.two_factor_enrollment_required and not account.two_factor_enabled:
        steps.append(ENROLL_TWO_FACTOR)
    return steps


async def second_factors(session: AsyncSession, account: Account) -> tuple[str, ...]:
    """The second factors the account has: ``totp`` (with emergency codes), ``passkey``."""
    has_passkey = await session.scalar(_HAS_PASSKEY, {"account_id": account.id})
    return (("totp",) if account.two_factor_enabled else ()) + (("passkey",) if has_passkey else ())


async def mfa_account(session: AsyncSession, mfa_token: str, keyring: KeyRing) -> Account:
    """The account (locked for update) of a valid, unused ``mfa_token`` that may still log in."""
    try:
        claims = keyring.decode(mfa_token, "mfa")
    except InvalidToken:
        raise InvalidCredentials from None
    account = await session.scalar(
        select(Account)
        .where(Account.id == uuid.UUID(claims["sub"]), Account.deleted_at.is_(None))
        .with_for_update()
    )
    if account is None or account.locked_at is not None:
        raise InvalidCredentials
    if await session.get(ConsumedToken, claims["jti"]) is not None:
        raise InvalidCredentials
    return account


def consume_token(session: AsyncSession, claims: Mapping[str, object]) -> None:
    """Marks a single-use JWT used (its ``jti`` is remembered until it expires)."""
    session.add(
        ConsumedToken(
            jti=str(claims["jti"]), expires_at=clock.from_timestamp(int(str(claims["exp"])))
        )
    )


async def complete_mfa(
    session: AsyncSession,
    *,
    mfa_token: str,
    code: str | None,
    emergency_code: str | None,
    client: Client,
    keyring: KeyRing,
    settings: Settings,
) -> IssuedTokens:
    account = await mfa_account(session, mfa_token, keyring)
    if not await totp.verify_second_factor(
        session, account, code=code, emergency_code=emergency_code
    ):
        await count_failure(session, account, client, reason="wrong_code")
        raise InvalidCredentials
    consume_token(session, keyring.decode(mfa_token, "mfa"))
    return await _signed_in(session, account, client, keyring, settings)


async def _signed_in(
    session: AsyncSession, account: Account, client: Client, keyring: KeyRing, settings: Settings
) -> IssuedTokens:
    now = clock.now()
    auth_session_id = uuid.uuid4()
    refresh = new_token(REFRESH_PREFIX)
    has_history, seen_before = (
        await session.execute(
            _SIGN_IN,
            {
                "account_id": account.id,
                "ip": client.ip,
                "user_agent": (client.user_agent or "")[:500] or None,
                "device": client.device,
                "now": now,
                "attempt_id": uuid.uuid4(),
                "session_id": auth_session_id,
                "expires_at": now + timedelta(days=settings.refresh_token_days),
                "token_id": uuid.uuid4(),
                "token_digest": digest(refresh),
            },
        )
    ).one()
    account.failed_login_count = 0
    await activity.record(
        session,
        Actor(account.id, ip=client.ip),
        "security.login",
        account_id=account.id,
        details={"device": client.device},
    )
    details = {"ip": client.ip or "unknown", "device": client.device, "at": _stamp()}
    if has_history and not seen_before:
        await _mail(session, account, "new_location_login", details)
    elif account.notify_login_success:
        await _mail(session, account, "login_succeeded", details)
    return _issued(keyring, settings, account.id, auth_session_id, refresh)


async def sign_in(
    session: AsyncSession, account: Account, client: Client, keyring: KeyRing, settings: Settings
) -> IssuedTokens:
    """Opens a session for an account that proved who it is (password and second factor, a
    passkey, or its organization's single sign-on)."""
    return await _signed_in(session, account, client, keyring, settings)


async def _tokens_for(
    session: AsyncSession, auth_session: AuthSession, keyring: KeyRing, settings: Settings
) -> IssuedTokens:
    refresh = new_token(REFRESH_PREFIX)
    session.add(RefreshToken(session_id=auth_session.id, token_digest=digest(refresh)))
    await session.flush()
    return _issued(keyring, settings, auth_session.account_id, auth_session.id, refresh)


def _issued(
    keyring: KeyRing,
    settings: Settings,
    account_id: uuid.UUID,
    session_id: uuid.UUID,
    refresh: str,
) -> IssuedTokens:
    ttl = timedelta(minutes=settings.access_token_minutes)
    access = keyring.issue("access", account_id, ttl, sid=str(session_id))
    return IssuedTokens(access, refresh, int(ttl.total_seconds()), session_id)


async def refresh(
    session: AsyncSession, *, refresh_token: str, keyring: KeyRing, settings: Settings
) -> IssuedTokens:
    """Rotates the refresh token; presenting a used one again ends the whole session."""
    row = (
        await session.execute(
            select(RefreshToken, AuthSession)
            .join(AuthSession, AuthSession.id == RefreshToken.session_id)
            .where(RefreshToken.token_digest == digest(refresh_token))
            .with_for_update()
        )
    ).one_or_none()
    if row is None:
        raise InvalidRefreshToken("The refresh token is not valid.")
    token, auth_session = row
    now = clock.now()
    if auth_session.ended_at is not None or auth_session.expires_at <= now:
        raise InvalidRefreshToken("The session has ended.")
    if token.used_at is not None:
        await end_session(session, auth_session, reason="refresh_token_reused")
        await activity.record(
            session,
            Actor.system(),
            "security.refresh_token_reused",
            account_id=auth_session.account_id,
            details={"session_id": str(auth_session.id)},
        )
        raise InvalidRefreshToken(
            "This refresh token was already used; the session has been ended."
        )
    token.used_at = now
    auth_session.last_used_at = now
    auth_session.expires_at = now + timedelta(days=settings.refresh_token_days)
    return await _tokens_for(session, auth_session, keyring, settings)


_TOUCH_EVERY = timedelta(minutes=1)


SESSION = (
    select(AuthSession, Account)
    .join(Account, Account.id == AuthSession.account_id)
    .where(
        AuthSession.id == bindparam("caller_session_id"),
        Account.id == bindparam("caller_account_id"),
        Account.deleted_at.is_(None),
        Account.locked_at.is_(None),
    )
)
"""The session ``caller_session_id`` of an access token and its account
``caller_account_id``, unless the account is deleted or locked (``session_accepted`` tells the
rest); a caller's statement may load more beside them."""


async def session_accepted(session: AsyncSession, auth_session: AuthSession) -> bool:
    """Whether the session found by ``SESSION`` has neither ended nor expired; marks
    it used (at most once a minute)."""
    now = clock.now()
    if auth_session.ended_at is not None or auth_session.expires_at <= now:
        return False
    if now - auth_session.last_used_at > _TOUCH_EVERY:
        await session.execute(
            update(AuthSession)
            .where(AuthSession.id == auth_session.id)
            .values(last_used_at=now)
            .execution_options(synchronize_session=False)
        )
        auth_session.last_used_at = now
    return True


async def live_session(
    session: AsyncSession, session_id: uuid.UUID, account_id: uuid.UUID
) -> tuple[AuthSession, Account] | None:
    """The session of an access token and its account, while neither has ended."""
    parameters = {"caller_session_id": session_id, "caller_account_id": account_id}
    row = (await session.execute(SESSION, parameters)).one_or_none()
    if row is None or not await session_accepted(session, row[0]):
        return None
    return row[0], row[1]


async def end_session(session: AsyncSession, auth_session: AuthSession, *, reason: str) -> None:
    if auth_session.ended_at is None:
        auth_session.ended_at = clock.now()
        auth_session.end_reason = reason


def sessions_of(account_id: uuid.UUID) -> Select[AuthSession]:
    """The account's active sessions (devices); paginate the result."""
    return select(AuthSession).where(
        AuthSession.account_id == account_id,
        AuthSession.ended_at.is_(None),
        AuthSession.expires_at > clock.now(),
    )


def login_attempts_of(account_id: uuid.UUID) -> Select[LoginAttempt]:
    """The account's successful and failed logins; paginate the result."""
    return select(LoginAttempt).where(LoginAttempt.account_id == account_id)


async def get_session(
    session: AsyncSession,
    account_id: uuid.UUID,
    session_id: uuid.UUID,
    *,
    for_update: bool = False,
) -> AuthSession:
    """One not ended session of the account."""
    statement = select(AuthSession).where(
        AuthSession.id == session_id,
        AuthSession.account_id == account_id,
        AuthSession.ended_at.is_(None),
    )
    return await one_or_raise(
        session, statement, SessionNotFound("No such active session."), for_update=for_update
    )


async def end_sessions(
    session: AsyncSession, account_id: uuid.UUID, *, reason: str, keep: uuid.UUID | None = None
) -> int:
    """Ends every active session of the account (but ``keep``); returns how many."""
    statement = (
        update(AuthSession)
        .where(AuthSession.account_id == account_id, AuthSession.ended_at.is_(None))
        .values(ended_at=clock.now(), end_reason=reason)
        .execution_options(synchronize_session=False)
    )
    if keep is not None:
        statement = statement.where(AuthSession.id != keep)
    result = await session.execute(statement)
    return int(getattr(result, "rowcount", 0) or 0)


def _record_attempt(
    session: AsyncSession,
    account: Account,
    client: Client,
    *,
    succeeded: bool,
    reason: str | None = None,
) -> None:
    """Adds the attempt to the session (written with the request's other changes)."""
    session.add(
        LoginAttempt(
            account_id=account.id,
            succeeded=succeeded,
            reason=reason,
            ip=client.ip,
            user_agent=(client.user_agent or "")[:500] or None,
            device=client.device,
        )
    )


async def count_failure(
    session: AsyncSession, account: Account, client: Client, *, reason: str
) -> None:
    """Counts a failed attempt (a login, or a password or code checked behind a session),
    alerts when asked, and locks the account at its threshold."""
    account.failed_login_count += 1
    _record_attempt(session, account, client, succeeded=False, reason=reason)
    details = {"ip": client.ip or "unknown", "device": client.device, "at": _stamp()}
    if account.failed_login_count >= account.lockout_threshold:
        await lock(session, account, by=Actor.system().with_ip(client.ip))
    elif account.notify_login_failure:
        await _mail(
            session,
            account,
            "login_failed",
            details | {"failed_attempts": account.failed_login_count},
        )


async def lock(session: AsyncSession, account: Account, *, by: Actor) -> None:
    """Locks ``account`` (``by``: the service, reacting to failed attempts from an IP)."""
    account.locked_at = clock.now()
    await end_sessions(session, account.id, reason="account_locked")
    raw = await tokens.issue(session, account.id, TokenPurpose.unlock)
    await activity.record(
        session,
        by,
        "security.account_locked",
        account_id=account.id,
        details={"failed_attempts": account.failed_login_count},
    )
    await _mail(
        session,
        account,
        "account_locked",
        {
            "unlock_url": tokens.link(TokenPurpose.unlock, raw),
            "failed_attempts": account.failed_login_count,
        },
    )


async def unlock(session: AsyncSession, account: Account, *, by: Actor) -> None:
    account.locked_at = None
    account.failed_login_count = 0
    by_administrator = by.account_id is not None and by.account_id != account.id
    await activity.record(
        session,
        by,
        "security.account_unlocked",
        account_id=account.id,
        details={"by": "administrator" if by_administrator else "link"},
    )


async def unlock_account(session: AsyncSession, account_id: uuid.UUID, *, by: uuid.UUID) -> None:
    """Transitional: organizations' current call; use ``service.unlock_account(by=Actor)``."""
    account = await find_account(session, account_id, for_update=True)
    if account is not None:
        await unlock(session, account, by=Actor(by))


async def unlock_with_token(session: AsyncSession, raw: str, *, ip: str | None = None) -> None:
    """Unlocks the account of a mailed unlock link (whoever follows it acts as the account)."""
    token = await tokens.consume(session, raw, TokenPurpose.unlock)
    account = await find_account(session, token.account_id, for_update=True)
    if account is not None:
        await unlock(session, account, by=Actor(account.id, ip=ip))


async def find_account(
    session: AsyncSession, account_id: uuid.UUID, *, for_update: bool = False
) -> Account | None:
    """The account (deleted ones included: callers check); None when there is none."""
    return await session.get(Account, account_id, with_for_update=for_update)


async def _mail(
    session: AsyncSession, account: Account, template: str, context: Mapping[str, object]
) -> None:
    await queue_mail(
        session,
        to=account.email,
        template=template,
        language=account.language,
        context={"recipient_name": account.first_name, **context},
    )


async def purge_expired_tokens(sessionmaker: async_sessionmaker[AsyncSession]) -> int:
    """Forgets single-use token ids and mailed links once they cannot be used any more."""
    now = clock.now()
    async with sessionmaker.begin() as session:
        consumed = await session.execute(
            delete(ConsumedToken).where(ConsumedToken.expires_at < now)
        )
        links = await session.execute(
            delete(AccountToken).where(AccountToken.expires_at < now - timedelta(days=30))
        )
    return sum(int(getattr(result, "rowcount", 0) or 0) for result in (consumed, links))
