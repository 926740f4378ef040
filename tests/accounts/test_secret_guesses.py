"""Passwords and codes checked behind a session (password change, re-authentication, turning
2FA off) count like login attempts: failure counter, lockout, 429 per account and per IP."""

from datetime import UTC, datetime, timedelta

import httpx
import pytest
import time_machine
from sqlalchemy import select

from app.accounts.models import Account, LoginAttempt
from app.core import clock
from app.core.db import Database
from tests.factories import User, current_code, enable_two_factor, log_in, signed_in_user

WRONG = "certainly not the password"


def _wrong_guess(user: User, route: str) -> dict[str, object]:
    if route == "/v1/account/password":
        return {"current_password": WRONG, "new_password": "a brand new passphrase"}
    if route == "/v1/account/two-factor/disable":
        return {"password": user.password, "code": "000000"}
    return {"password": WRONG}


async def _failures(db: Database, user: User) -> tuple[int, bool]:
    async with db.sessionmaker() as session:
        account = await session.scalar(select(Account).where(Account.id == user.account_id))
    assert account is not None
    return account.failed_login_count, account.locked_at is not None


@pytest.mark.parametrize(
    "route", ["/v1/account/password", "/v1/auth/reauthenticate", "/v1/account/two-factor/disable"]
)
async def test_wrong_guesses_behind_a_session_count_and_lock_the_account(
    client: httpx.AsyncClient, db: Database, route: str
) -> None:
    user = await signed_in_user(client, db)
    with time_machine.travel(clock.now(), tick=False) as traveller:
        if route.endswith("disable"):
            await enable_two_factor(client, user)
            traveller.shift(timedelta(seconds=30))
            assert current_code(user) != "000000"
        await client.patch(
            "/v1/account/security", json={"lockout_threshold": 3}, headers=user.headers
        )
        for attempt in (1, 2):
            wrong = await client.post(route, json=_wrong_guess(user, route), headers=user.headers)
            assert wrong.status_code == 403, wrong.text
            assert await _failures(db, user) == (attempt, False)
        await client.post(route, json=_wrong_guess(user, route), headers=user.headers)
        # The third locks the account as three failed logins would, and ends its sessions.
        assert await _failures(db, user) == (3, True)
        assert (await client.get("/v1/account", headers=user.headers)).status_code == 401
        assert (await log_in(client, user.email)).status_code == 401
    attempts_reason = "wrong_code" if route.endswith("disable") else "wrong_password"
    async with db.sessionmaker() as session:
        reasons = set(
            await session.scalars(
                select(LoginAttempt.reason).where(LoginAttempt.account_id == user.account_id)
            )
        )
    assert attempts_reason in reasons


async def test_guesses_behind_a_session_are_rate_limited_per_account(
    client: httpx.AsyncClient, db: Database
) -> None:
    user = await signed_in_user(client, db)
    await client.patch(
        "/v1/account/security", json={"lockout_threshold": 100}, headers=user.headers
    )
    window_start = datetime.fromtimestamp(clock.now().timestamp() // 60 * 60 + 60, tz=UTC)
    with time_machine.travel(window_start + timedelta(seconds=1), tick=False):
        statuses = [
            (
                await client.post(
                    "/v1/auth/reauthenticate", json={"password": WRONG}, headers=user.headers
                )
            ).status_code
            for _ in range(11)
        ]
    assert statuses == [403] * 10 + [429]
