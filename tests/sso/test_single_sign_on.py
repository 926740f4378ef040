"""Single sign-on per organization, end to end against a real OpenID Connect provider running on
a loopback port: connecting it (secret encrypted at rest), proving domains (DNS TXT through a
resolver the test answers, or a mailed code), the code flow with PKCE, state and nonce, the ID
token's checks, just-in-time membership, and SSO required with a break-glass representative."""

import re
import uuid
from collections.abc import AsyncIterator
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
import time_machine
from fastapi import FastAPI
from sqlalchemy import select

from app.core import clock
from app.core.db import Database
from app.core.security.encryption import decrypt
from app.core.settings import Settings
from app.sso.connections import SECRET_PURPOSE
from app.sso.jobs import purge_expired_logins
from app.sso.models import SsoConnection
from tests.factories import User, log_in, signed_in_user
from tests.sso.provider import LocalProvider, ServedProvider


class AnsweringResolver:
    """The DNS as the test publishes it."""

    def __init__(self) -> None:
        self.records: dict[str, list[str]] = {}

    async def txt(self, name: str) -> list[str]:
        return self.records.get(name, [])


@pytest.fixture
async def provider() -> AsyncIterator[LocalProvider]:
    async with ServedProvider(LocalProvider()) as served:
        yield served


@pytest.fixture
def resolver(app: FastAPI) -> AnsweringResolver:
    answering = AnsweringResolver()
    app.state.dns_resolver = answering
    return answering


def new_domain() -> str:
    return f"acme-{uuid.uuid4().hex[:8]}.example.org"


async def connect(
    client: httpx.AsyncClient, admin: User, provider: LocalProvider, **policy: object
) -> httpx.Response:
    return await client.put(
        f"/v1/organizations/{admin.organization_id}/sso",
        json={
            "issuer": provider.issuer,
            "client_id": provider.client_id,
            "client_secret": provider.client_secret,
            **policy,
        },
        headers=admin.headers,
    )


async def prove_by_dns(
    client: httpx.AsyncClient, admin: User, resolver: AnsweringResolver, domain: str
) -> None:
    claimed = await client.post(
        f"/v1/organizations/{admin.organization_id}/sso/domains",
        json={"domain": domain, "proof": "dns"},
        headers=admin.headers,
    )
    assert claimed.status_code == 201, claimed.text
    claim = claimed.json()
    verify = f"/v1/organizations/{admin.organization_id}/sso/domains/{claim['id']}/verification"
    early = await client.post(verify, json={}, headers=admin.headers)
    assert early.status_code == 409
    assert early.json()["code"] == "sso_domain_not_proven"
    resolver.records[claim["dns_record_name"]] = ["v=spf1 -all", claim["dns_record_value"]]
    proven = await client.post(verify, json={}, headers=admin.headers)
    assert proven.status_code == 200, proven.text
    assert proven.json()["verified"] is True


async def authorize(client: httpx.AsyncClient, email: str, settings: Settings) -> tuple[str, str]:
    """Starts the login and follows the browser to the provider: its ``state`` and ``code``."""
    started = await client.post("/v1/auth/sso", json={"email": email})
    assert started.status_code == 200, started.text
    url = started.json()["authorization_url"]
    query = parse_qs(urlsplit(url).query)
    assert query["code_challenge_method"] == ["S256"]
    assert query["nonce"]
    assert query["state"]
    async with httpx.AsyncClient() as browser:
        answer = await browser.get(url)
    assert answer.status_code == 302, answer.text
    location = answer.headers["location"]
    assert location.startswith(settings.links_base + "/sso/callback?")
    back = parse_qs(urlsplit(location).query)
    assert back["state"] == query["state"]
    return back["state"][0], back["code"][0]


async def sso_login(client: httpx.AsyncClient, email: str, settings: Settings) -> httpx.Response:
    state, code = await authorize(client, email, settings)
    return await client.post("/v1/auth/sso/callback", json={"state": state, "code": code})


@pytest.fixture
async def organization(
    client: httpx.AsyncClient,
    db: Database,
    provider: LocalProvider,
    resolver: AnsweringResolver,
) -> tuple[User, str]:
    """A legal representative whose organization connected the provider and proved a domain."""
    admin = await signed_in_user(client, db)
    connected = await connect(client, admin, provider, jit_enabled=True, jit_role="collaborator")
    assert connected.status_code == 200, connected.text
    domain = new_domain()
    await prove_by_dns(client, admin, resolver, domain)
    return admin, domain


@pytest.fixture
def grace(provider: LocalProvider, organization: tuple[User, str]) -> str:
    """A person of the organization's domain whom the provider knows (no account yet)."""
    email = f"grace@{organization[1]}"
    provider.add_user(email)
    return email


async def test_new_person_of_the_domain_logs_in_and_joins_just_in_time(
    client: httpx.AsyncClient,
    provider: LocalProvider,
    organization: tuple[User, str],
    settings: Settings,
    grace: str,
) -> None:
    admin, _ = organization
    email = grace
    response = await sso_login(client, email, settings)
    assert response.status_code == 200, response.text
    headers = {"Authorization": f"Bearer {response.json()['access_token']}"}
    me = (await client.get("/v1/account", headers=headers)).json()
    assert me["email"] == email
    assert me["email_confirmed"] is True
    assert me["first_name"] == "Grace"
    members = (
        await client.get(
            f"/v1/organizations/{admin.organization_id}/members", headers=admin.headers
        )
    ).json()["data"]
    assert {(m["email"], m["role"]) for m in members} >= {(email, "collaborator")}


async def test_existing_account_logs_in_through_the_provider(
    client: httpx.AsyncClient,
    db: Database,
    provider: LocalProvider,
    organization: tuple[User, str],
    settings: Settings,
) -> None:
    _, domain = organization
    member = await signed_in_user(client, db, email=f"ada@{domain}")
    provider.add_user(member.email)
    provider.tamper = {"sign_with": "ec"}  # ES256 this time
    response = await sso_login(client, member.email, settings)
    assert response.status_code == 200, response.text
    headers = {"Authorization": f"Bearer {response.json()['access_token']}"}
    assert (await client.get("/v1/account", headers=headers)).json()["id"] == str(member.account_id)


async def test_replayed_state_is_refused(
    client: httpx.AsyncClient,
    provider: LocalProvider,
    organization: tuple[User, str],
    settings: Settings,
    grace: str,
) -> None:
    email = grace
    state, code = await authorize(client, email, settings)
    body = {"state": state, "code": code}
    assert (await client.post("/v1/auth/sso/callback", json=body)).status_code == 200
    replay = await client.post("/v1/auth/sso/callback", json=body)
    assert replay.status_code == 401
    assert replay.json()["code"] == "sso_login_failed"
    forged = await client.post(
        "/v1/auth/sso/callback", json={"state": "made-up-state-value", "code": code}
    )
    assert forged.status_code == 401


@pytest.mark.parametrize(
    ("tamper", "why"),
    [
        ({"nonce": "a-nonce-of-another-login"}, "wrong nonce"),
        ({"aud": "another-client"}, "another audience"),
        ({"aud": ["another-client", "manager-console"], "azp": "another-client"}, "azp"),
        ({"iss": "https://impostor.example"}, "another issuer"),
        ({"exp": 1_000_000_000, "iat": 999_999_000}, "expired"),
        ({"sign_with": "foreign"}, "signed with a key outside the JWKS"),
        ({"email": "grace@unclaimed.example"}, "e-mail outside the domains"),
        ({"email_verified": False}, "unverified e-mail"),
    ],
)
async def test_id_token_failing_a_check_is_refused(
    client: httpx.AsyncClient,
    provider: LocalProvider,
    organization: tuple[User, str],
    settings: Settings,
    tamper: dict[str, object],
    why: str,
    grace: str,
) -> None:
    email = grace
    provider.tamper = tamper
    response = await sso_login(client, email, settings)
    assert response.status_code == 401, (why, response.text)
    assert response.json()["code"] == "sso_login_failed"


async def test_unclaimed_or_unproven_domain_is_refused(
    client: httpx.AsyncClient,
    db: Database,
    provider: LocalProvider,
    resolver: AnsweringResolver,
) -> None:
    admin = await signed_in_user(client, db)
    assert (await connect(client, admin, provider)).status_code == 200
    unclaimed = await client.post("/v1/auth/sso", json={"email": "x@nobody-claims.test"})
    assert unclaimed.status_code == 404
    assert unclaimed.json()["code"] == "sso_not_available"
    domain = new_domain()
    claimed = await client.post(
        f"/v1/organizations/{admin.organization_id}/sso/domains",
        json={"domain": domain, "proof": "dns"},
        headers=admin.headers,
    )
    assert claimed.status_code == 201
    unproven = await client.post("/v1/auth/sso", json={"email": f"x@{domain}"})
    assert unproven.status_code == 404


async def test_unknown_person_without_jit_is_refused(
    client: httpx.AsyncClient,
    db: Database,
    provider: LocalProvider,
    resolver: AnsweringResolver,
    settings: Settings,
) -> None:
    admin = await signed_in_user(client, db)
    assert (await connect(client, admin, provider)).status_code == 200
    domain = new_domain()
    await prove_by_dns(client, admin, resolver, domain)
    provider.add_user(f"nobody@{domain}")
    response = await sso_login(client, f"nobody@{domain}", settings)
    assert response.status_code == 401


async def test_client_secret_is_encrypted_at_rest_and_never_shown(
    client: httpx.AsyncClient,
    db: Database,
    provider: LocalProvider,
    organization: tuple[User, str],
) -> None:
    admin, _ = organization
    read = await client.get(f"/v1/organizations/{admin.organization_id}/sso", headers=admin.headers)
    assert read.status_code == 200
    assert provider.client_secret not in read.text
    assert read.json()["client_secret_set"] is True
    async with db.sessionmaker() as session:
        stored = await session.scalar(
            select(SsoConnection.client_secret_encrypted).where(
                SsoConnection.organization_id == admin.organization_id
            )
        )
    assert stored is not None
    assert provider.client_secret not in stored
    assert decrypt(stored, purpose=SECRET_PURPOSE) == provider.client_secret


async def test_wrong_issuer_is_refused_when_connecting(
    client: httpx.AsyncClient, db: Database, provider: LocalProvider
) -> None:
    admin = await signed_in_user(client, db)
    response = await client.put(
        f"/v1/organizations/{admin.organization_id}/sso",
        json={
            "issuer": provider.issuer + "/other",
            "client_id": "x",
            "client_secret": "y",
        },
        headers=admin.headers,
    )
    assert response.status_code == 502
    assert response.json()["code"] == "sso_provider_unreachable"


async def test_domain_proven_by_a_code_mailed_to_the_domain(
    client: httpx.AsyncClient, db: Database, mailbox, provider: LocalProvider
) -> None:
    admin = await signed_in_user(client, db)
    domain = new_domain()
    claimed = await client.post(
        f"/v1/organizations/{admin.organization_id}/sso/domains",
        json={"domain": domain, "proof": "email", "mailbox": "hostmaster"},
        headers=admin.headers,
    )
    assert claimed.status_code == 201, claimed.text
    assert claimed.json()["mailbox"] == f"hostmaster@{domain}"
    await mailbox.deliver(db.sessionmaker)
    text = mailbox.text(mailbox.last_to(f"hostmaster@{domain}"))
    # The code, not the first eight digits: the domain's random part may be all digits.
    code = re.search(r"code: (\d{8})\b", text)
    assert code is not None
    verify = (
        f"/v1/organizations/{admin.organization_id}/sso/domains/{claimed.json()['id']}/verification"
    )
    wrong = "00000000" if code.group(1) != "00000000" else "11111111"
    refused = await client.post(verify, json={"code": wrong}, headers=admin.headers)
    assert refused.status_code == 409
    assert refused.json()["code"] == "sso_domain_code_invalid"
    proven = await client.post(verify, json={"code": code.group(1)}, headers=admin.headers)
    assert proven.status_code == 200, proven.text
    assert proven.json()["verified"] is True


async def test_domain_proven_by_one_organization_cannot_be_claimed_by_another(
    client: httpx.AsyncClient,
    db: Database,
    organization: tuple[User, str],
) -> None:
    _, domain = organization
    other = await signed_in_user(client, db)
    response = await client.post(
        f"/v1/organizations/{other.organization_id}/sso/domains",
        json={"domain": domain.upper(), "proof": "dns"},
        headers=other.headers,
    )
    assert response.status_code == 409
    assert response.json()["code"] == "sso_domain_already_claimed"


async def test_required_sso_refuses_password_login_but_for_the_break_glass_representative(
    client: httpx.AsyncClient,
    db: Database,
    provider: LocalProvider,
    resolver: AnsweringResolver,
    settings: Settings,
) -> None:
    domain = new_domain()
    owner = await signed_in_user(client, db, email=f"owner@{domain}")
    assert (await connect(client, owner, provider, jit_enabled=True)).status_code == 200
    await prove_by_dns(client, owner, resolver, domain)
    provider.add_user(f"bob@{domain}")
    assert (await sso_login(client, f"bob@{domain}", settings)).status_code == 200  # joins

    no_break_glass = await connect(client, owner, provider, require_sso=True)
    assert no_break_glass.status_code == 422
    assert no_break_glass.json()["code"] == "sso_break_glass_not_legal_representative"
    required = await connect(
        client,
        owner,
        provider,
        jit_enabled=True,
        require_sso=True,
        break_glass_account_id=str(owner.account_id),
    )
    assert required.status_code == 200, required.text

    # Carol has a password of her own; once a member of the organization, she may not use it.
    member = await signed_in_user(client, db, email=f"carol@{domain}")
    await _join(client, owner, member, settings, provider)
    refused = await log_in(client, member.email)
    assert refused.status_code == 403
    assert refused.json()["code"] == "single_sign_on_required"
    assert (await log_in(client, owner.email)).status_code == 200  # break glass
    outsider = await signed_in_user(client, db)  # another domain: not concerned
    assert (await log_in(client, outsider.email)).status_code == 200
    assert (await sso_login(client, member.email, settings)).status_code == 200


async def _join(
    client: httpx.AsyncClient,
    owner: User,
    member: User,
    settings: Settings,
    provider: LocalProvider,
) -> None:
    """``member`` joins ``owner``'s organization through one SSO login (JIT is on)."""
    provider.add_user(member.email)
    assert (await sso_login(client, member.email, settings)).status_code == 200


async def test_expired_login_is_refused(
    client: httpx.AsyncClient,
    provider: LocalProvider,
    organization: tuple[User, str],
    settings: Settings,
    grace: str,
) -> None:
    email = grace
    state, code = await authorize(client, email, settings)
    with time_machine.travel(clock.now() + timedelta(minutes=11), tick=False):
        late = await client.post("/v1/auth/sso/callback", json={"state": state, "code": code})
    assert late.status_code == 401


async def test_old_authorization_requests_are_purged(
    client: httpx.AsyncClient, db: Database, settings: Settings, grace: str
) -> None:
    await authorize(client, grace, settings)
    assert await purge_expired_logins(db.sessionmaker) == 0
    with time_machine.travel(clock.now() + timedelta(days=2), tick=False):
        assert await purge_expired_logins(db.sessionmaker) == 1


async def test_an_issuer_that_is_no_url_is_refused_not_a_server_error(
    client: httpx.AsyncClient, db: Database
) -> None:
    admin = await signed_in_user(client, db)
    response = await client.put(
        f"/v1/organizations/{admin.organization_id}/sso",
        json={"issuer": "https://\u00fe\x94", "client_id": "x", "client_secret": "y"},
        headers=admin.headers,
    )
    assert response.status_code in (422, 502), response.text
