"""Logging in: enumeration-safe answers, lockout at the threshold, unlock, alerts, rate limits."""

import uuid
from datetime import UTC, datetime, timedelta

import httpx
import pytest
import time_machine
from argon2 import PasswordHasher
from sqlalchemy import select, update

from app.accounts.models import Account
from app.core import clock
from app.core.db import Database
from app.organizations.models import Membership
from app.organizations.types import Role
from tests.factories import PASSWORD, log_in, sign_up, signed_in_user, unique_email


async def test_unknown_email_wrong_password_and_locked_answer_alike(
    client: httpx.AsyncClient, db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    user = await signed_in_user(client, db)
    locked = await signed_in_user(client, db)
    async with db.sessionmaker.begin() as session:
        await session.execute(
            update(Account)
            .where(Account.id == locked.account_id)
            .values(locked_at=Account.created_at)
        )
    # The time a login takes is the time of one Argon2 verification: count them on each path.
    verifications: list[str] = []
    real_verify = PasswordHasher.verify

    def counting_verify(self: PasswordHasher, hash: str, password: str) -> bool:
        verifications.append(hash)
        return real_verify(self, hash, password)

    monkeypatch.setattr(PasswordHasher, "verify", counting_verify)

    answers = []
    for email, password in [
        (unique_email("nobody"), PASSWORD),
        (user.email, "wrong password!"),
        (locked.email, PASSWORD),
    ]:
        verifications.clear()
        response = await log_in(client, email, password)
        answers.append((response.status_code, response.json(), len(verifications)))
        # The same Argon2 parameters every time, so the same cost.
        assert verifications[0].startswith("$argon2id$v=19$m=19456,t=2,p=1$")
    assert answers[0] == answers[1] == answers[2]
    assert answers[0][0] == 401
    assert answers[0][1]["code"] == "invalid_credentials"
    assert answers[0][2] == 1


async def test_login_is_case_insensitive_on_email(client: httpx.AsyncClient, db: Database) -> None:
    user = await signed_in_user(client, db)
    assert (await log_in(client, user.email.upper())).status_code == 200


async def test_lockout_at_threshold_ends_sessions_then_unlock_by_link(
    client: httpx.AsyncClient, db: Database, mailbox
) -> None:  # type: ignore[no-untyped-def]
    user = await signed_in_user(client, db)
    await client.patch("/v1/account/security", json={"lockout_threshold": 3}, headers=user.headers)
    for _ in range(3):
        assert (await log_in(client, user.email, "not the password")).status_code == 401
    # Locked: even the right password is refused, and the open session has ended.
    assert (await log_in(client, user.email)).status_code == 401
    assert (await client.get("/v1/account", headers=user.headers)).status_code == 401

    await mailbox.deliver(db.sessionmaker)
    message = mailbox.last_to(user.email)
    assert "unlock" in message["Subject"].lower() or "lock" in message["Subject"].lower()
    unlock_link = next(link for link in mailbox.links(message) if "/account/unlock" in link)
    token = unlock_link.split("token=")[1]
    assert (await client.post("/v1/account/unlock", json={"token": token})).status_code == 204
    assert (await log_in(client, user.email)).status_code == 200
    # The link works once.
    assert (await client.post("/v1/account/unlock", json={"token": token})).status_code == 400


async def test_administrator_unlocks_a_member(client: httpx.AsyncClient, db: Database) -> None:
    admin = await signed_in_user(client, db)
    member = await signed_in_user(client, db)
    async with db.sessionmaker.begin() as session:
        session.add(
            Membership(
                id=uuid.uuid4(),
                organization_id=admin.organization_id,
                account_id=member.account_id,
                role=Role.collaborator,
            )
        )
        await session.execute(
            update(Account)
            .where(Account.id == member.account_id)
            .values(locked_at=Account.created_at, failed_login_count=10)
        )
    assert (await log_in(client, member.email)).status_code == 401

    response = await client.post(
        f"/v1/organizations/{admin.organization_id}/members/{member.account_id}/unlock",
        headers=admin.headers,
    )
    assert response.status_code == 204, response.text
    assert (await log_in(client, member.email)).status_code == 200


async def test_failed_then_successful_login_resets_the_count(
    client: httpx.AsyncClient, db: Database
) -> None:
    user = await signed_in_user(client, db)
    for _ in range(4):
        await log_in(client, user.email, "nope nope nope")
    assert (await log_in(client, user.email)).status_code == 200
    async with db.sessionmaker() as session:
        assert (
            await session.scalar(
                select(Account.failed_login_count).where(Account.id == user.account_id)
            )
            == 0
        )


async def test_login_history_lists_successes_and_failures(
    client: httpx.AsyncClient, db: Database
) -> None:
    user = await signed_in_user(client, db)
    await log_in(client, user.email, "wrong wrong wrong")
    history = (await client.get("/v1/account/login-history", headers=user.headers)).json()["data"]
    assert [entry["succeeded"] for entry in history] == [False, True]
    assert history[0]["reason"] == "wrong_password"


async def test_unconfirmed_account_can_only_confirm_or_resend(
    client: httpx.AsyncClient, db: Database
) -> None:
    account = await sign_up(client)
    tokens = (await log_in(client, account["email"])).json()["tokens"]
    headers = {"Authorization": f"Bearer {tokens['access_token']}"}
    response = await client.get("/v1/account", headers=headers)
    assert response.status_code == 403
    assert response.json()["code"] == "email_not_confirmed"
    assert (
        await client.post("/v1/account/email-confirmation/resend", headers=headers)
    ).status_code == 202


async def test_login_is_rate_limited_per_ip(client: httpx.AsyncClient) -> None:
    email = unique_email()
    # Inside one fixed window, whatever the speed of the machine.
    window_start = datetime.fromtimestamp(clock.now().timestamp() // 60 * 60 + 60, tz=UTC)
    with time_machine.travel(window_start + timedelta(seconds=1), tick=False) as traveller:
        statuses = [(await log_in(client, email, "x")).status_code for _ in range(31)]
        assert statuses[:30] == [401] * 30
        assert statuses[30] == 429
        limited = await log_in(client, email, "x")
        assert limited.headers["retry-after"] == "59"
        assert limited.json()["code"] == "rate_limited"
        traveller.shift(timedelta(seconds=59))
        assert (await log_in(client, email, "x")).status_code == 401


@pytest.mark.parametrize("threshold", [2, 101])
async def test_threshold_bounds(client: httpx.AsyncClient, db: Database, threshold: int) -> None:
    user = await signed_in_user(client, db)
    response = await client.patch(
        "/v1/account/security", json={"lockout_threshold": threshold}, headers=user.headers
    )
    assert response.status_code == 422


async def test_confirm_email_through_the_mailed_link(
    client: httpx.AsyncClient, db: Database, mailbox
) -> None:  # type: ignore[no-untyped-def]
    account = await sign_up(client, language="fr")
    await mailbox.deliver(db.sessionmaker)
    message = mailbox.last_to(account["email"])
    link = next(link for link in mailbox.links(message) if "/account/confirm-email" in link)
    response = await client.post(
        "/v1/account/email-confirmation", json={"token": link.split("token=")[1]}
    )
    assert response.status_code == 204
    tokens = (await log_in(client, account["email"])).json()["tokens"]
    me = await client.get(
        "/v1/account", headers={"Authorization": f"Bearer {tokens['access_token']}"}
    )
    assert me.json()["email_confirmed"] is True
