"""Accounts a partner opens for its client: in the client's name with its organization (the
client its legal representative), unusable until the mailed link and the texted code are both
confirmed, the client's own password (a partner-set one changed at the first login), the terms
accepted and logged, 2FA enrolled at the first login, the partner managing with full access
until the client takes management back. Also: sign-up confirming the phone by SMS (a setting)."""

import re
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from urllib.parse import parse_qs, urlparse

import httpx
import pyotp
import pytest
from fastapi import FastAPI

from app.core import clock
from app.core.db import Database
from app.core.settings import Settings
from app.main import create_app
from app.notifications import sms
from tests.factories import (
    User,
    confirm_directly,
    log_in,
    sign_up,
    signed_in_user,
    unique_email,
)
from tests.mail import Mailbox
from tests.organizations.helpers import set_organization, url
from tests.webhooks.receiver import Receiver

PHONE = "+41 79 555 00 11"
INITIAL = "partner chose this one"
OWN = "only the client knows this"


@pytest.fixture
def gateway() -> Iterator[Receiver]:
    receiver = Receiver().start()
    yield receiver
    receiver.stop()


async def texted_code(db: Database, settings: Settings, gateway: Receiver, to: str) -> str:
    """Sends the SMS outbox through the gateway; the last code texted to ``to``."""
    await sms.deliver_due(
        db.sessionmaker, settings.model_copy(update={"sms_gateway_url": gateway.url})
    )
    texts = [item.json["text"] for item in gateway.received if item.json["to"] == to]
    assert texts, gateway.received
    match = re.search(r"\b(\d{6})\b", texts[-1])
    assert match
    return match.group(1)


@dataclass
class Opened:
    partner: User
    email: str
    account_id: str
    organization_id: uuid.UUID
    partnership_id: str
    activation_token: str


async def open_account(
    client: httpx.AsyncClient, db: Database, mailbox: Mailbox, **extra: object
) -> Opened:
    partner = await signed_in_user(client, db)
    await set_organization(db, partner.organization_id, name="Helvetic IT", is_partner=True)
    email = unique_email("chloe")
    response = await client.post(
        url(partner.organization_id, "/clients/accounts"),
        json={
            "first_name": "Chloé",
            "last_name": "Favre",
            "email": email,
            "phone": PHONE,
            "language": "fr",
            "organization_name": "Boulangerie Favre",
            "organization_kind": "company",
        }
        | extra,
        headers=partner.headers,
    )
    assert response.status_code == 201, response.text
    body = response.json()
    await mailbox.deliver(db.sessionmaker)
    mail = mailbox.last_to(email)
    assert "Helvetic IT" in mailbox.text(mail)
    [link] = [link for link in mailbox.links(mail) if "/account/activate" in link]
    return Opened(
        partner=partner,
        email=email,
        account_id=body["account_id"],
        organization_id=uuid.UUID(body["organization_id"]),
        partnership_id=body["partnership_id"],
        activation_token=parse_qs(urlparse(link).query)["token"][0],
    )


async def activate(
    client: httpx.AsyncClient, opened: Opened, code: str, settings: Settings, **extra: object
) -> httpx.Response:
    return await client.post(
        "/v1/account/activation",
        json={
            "token": opened.activation_token,
            "sms_code": code,
            "accept_terms_version": settings.terms_version,
        }
        | extra,
    )


async def first_login(
    client: httpx.AsyncClient, email: str, password: str, **setup: object
) -> dict:  # type: ignore[type-arg]
    """Logs in (steps pending) and enrols 2FA through the setup token; the steps and result."""
    started = (await log_in(client, email, password)).json()
    assert started["status"] == "setup_required", started
    token = started["setup_token"]
    enrollment = await client.post("/v1/auth/setup/two-factor", json={"setup_token": token})
    assert enrollment.status_code == 200, enrollment.text
    secret = enrollment.json()["secret"]
    done = await client.post(
        "/v1/auth/setup",
        json={"setup_token": token, "code": pyotp.TOTP(secret).at(clock.now())} | setup,
    )
    assert done.status_code == 200, done.text
    return {"steps": started["setup_steps"], **done.json()}


async def test_partner_opened_account_first_use_then_hand_back(
    client: httpx.AsyncClient,
    db: Database,
    mailbox: Mailbox,
    gateway: Receiver,
    settings: Settings,
) -> None:
    opened = await open_account(client, db, mailbox, initial_password=INITIAL)

    # Nothing works before both confirmations.
    early = await log_in(client, opened.email, INITIAL)
    assert early.status_code == 403
    assert early.json()["code"] == "account_not_activated"
    code = await texted_code(db, settings, gateway, PHONE)
    outdated = await activate(client, opened, code, settings, accept_terms_version="1999-01")
    assert outdated.json()["code"] == "terms_version_outdated"
    wrong = await activate(client, opened, "000000" if code != "000000" else "111111", settings)
    assert wrong.status_code == 400
    assert (await activate(client, opened, code, settings)).status_code == 204
    assert (await activate(client, opened, code, settings)).status_code == 400  # once

    # First login: the partner's password must go, 2FA is enrolled.
    refused = await client.post(
        "/v1/auth/setup",
        json={
            "setup_token": (await log_in(client, opened.email, INITIAL)).json()["setup_token"],
            "new_password": INITIAL,
        },
    )
    assert refused.json()["code"] == "password_unchanged"
    done = await first_login(client, opened.email, INITIAL, new_password=OWN)
    assert done["steps"] == ["change_password", "enroll_two_factor"]
    assert len(done["emergency_codes"]) == 10
    client_headers = {"Authorization": f"Bearer {done['tokens']['access_token']}"}
    assert (await log_in(client, opened.email, INITIAL)).status_code == 401
    assert (await log_in(client, opened.email, OWN)).json()["status"] == "mfa_required"

    me = (await client.get("/v1/account", headers=client_headers)).json()
    assert (me["email_confirmed"], me["phone"], me["phone_confirmed"]) == (True, PHONE, True)
    assert me["two_factor_enabled"] is True
    log = (
        await client.get(
            "/v1/account/activity", params={"action": "account."}, headers=client_headers
        )
    ).json()["data"]
    [terms] = [entry for entry in log if entry["action"] == "account.terms_accepted"]
    assert terms["details"] == {"version": settings.terms_version}
    assert {"account.opened_by_partner", "account.activated"} <= {e["action"] for e in log}

    # The client is its organization's legal representative; the partner manages it fully.
    members = (
        await client.get(url(opened.organization_id, "/members"), headers=client_headers)
    ).json()["data"]
    assert [(m["email"], m["role"]) for m in members] == [(opened.email, "legal_representative")]
    organization = await client.get(url(opened.organization_id), headers=client_headers)
    assert organization.json()["name"] == "Boulangerie Favre"
    staff = opened.partner.headers
    assert (
        await client.get(url(opened.organization_id, "/members"), headers=staff)
    ).status_code == 200
    [partnership] = (
        await client.get(url(opened.organization_id, "/partnerships"), headers=client_headers)
    ).json()["data"]
    assert (partnership["id"], partnership["access_type"]) == (opened.partnership_id, "full")

    # The client takes management back, for free, at any time.
    ended = await client.post(
        url(opened.organization_id, f"/partnerships/{opened.partnership_id}/end"),
        headers=client_headers,
    )
    assert ended.status_code == 200, ended.text
    assert (
        await client.get(url(opened.organization_id, "/members"), headers=staff)
    ).status_code == 404


async def test_without_an_initial_password_the_client_chooses_its_own_at_activation(
    client: httpx.AsyncClient,
    db: Database,
    mailbox: Mailbox,
    gateway: Receiver,
    settings: Settings,
) -> None:
    opened = await open_account(client, db, mailbox)
    code = await texted_code(db, settings, gateway, PHONE)
    missing = await activate(client, opened, code, settings)
    assert missing.status_code == 422
    assert missing.json()["code"] == "password_required"
    resent = await client.post(
        "/v1/account/activation/code", json={"token": opened.activation_token}
    )
    assert resent.status_code == 202
    code = await texted_code(db, settings, gateway, PHONE)
    assert (await activate(client, opened, code, settings, password=OWN)).status_code == 204
    done = await first_login(client, opened.email, OWN)
    assert done["steps"] == ["enroll_two_factor"]


async def test_only_a_partner_opens_client_accounts(
    client: httpx.AsyncClient, db: Database
) -> None:
    user = await signed_in_user(client, db)
    response = await client.post(
        url(user.organization_id, "/clients/accounts"),
        json={
            "first_name": "A",
            "last_name": "B",
            "email": unique_email(),
            "phone": PHONE,
            "organization_name": "X",
        },
        headers=user.headers,
    )
    assert response.status_code == 403
    assert response.json()["code"] == "not_a_partner"


@pytest.fixture
async def phone_checking_client(
    settings: Settings, db: Database
) -> AsyncIterator[httpx.AsyncClient]:
    app: FastAPI = create_app(
        settings.model_copy(update={"signup_phone_confirmation": True}), database=db
    )
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        yield client


async def test_sign_up_may_confirm_the_phone_by_sms(
    phone_checking_client: httpx.AsyncClient,
    db: Database,
    gateway: Receiver,
    settings: Settings,
) -> None:
    client = phone_checking_client
    phone = "+41 79 444 33 22"
    email = unique_email()
    signed_up = await sign_up(client, email=email, phone=phone)
    code = await texted_code(db, settings, gateway, phone)
    await confirm_directly(db, uuid.UUID(signed_up["id"]))
    tokens = (await log_in(client, email)).json()["tokens"]
    user = {"Authorization": f"Bearer {tokens['access_token']}"}
    assert (await client.get("/v1/account", headers=user)).json()["phone_confirmed"] is False
    confirmed = await client.post("/v1/account/phone/confirm", json={"code": code}, headers=user)
    assert confirmed.status_code == 204, confirmed.text
    me = (await client.get("/v1/account", headers=user)).json()
    assert me["phone_confirmed"] is True
    again = await client.post("/v1/account/phone/confirmation", headers=user)
    assert again.json()["code"] == "phone_already_confirmed"
