"""Access tokens: only our EdDSA tokens of type `access`, for a live session, are accepted."""

import base64
import json
from datetime import timedelta

import httpx
import jwt
import time_machine
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from app.core import clock
from app.core.db import Database
from app.core.security.jwt import keyring
from app.core.settings import Settings
from tests.factories import signed_in_user


def _b64(data: dict) -> str:  # type: ignore[type-arg]
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


async def test_jwks_serves_the_signing_key(client: httpx.AsyncClient, settings: Settings) -> None:
    keys = (await client.get("/.well-known/jwks.json")).json()["keys"]
    assert [key["kid"] for key in keys] == [keyring(settings).signing_kid]
    assert keys[0] | {"x": None} == {
        "kty": "OKP",
        "crv": "Ed25519",
        "x": None,
        "kid": keys[0]["kid"],
        "alg": "EdDSA",
        "use": "sig",
    }


async def test_access_token_verifies_with_the_published_key(
    client: httpx.AsyncClient, db: Database
) -> None:
    user = await signed_in_user(client, db)
    jwk = (await client.get("/.well-known/jwks.json")).json()["keys"][0]
    key = jwt.PyJWK(jwk).key
    header = jwt.get_unverified_header(user.access_token)
    claims = jwt.decode(user.access_token, key, algorithms=["EdDSA"], audience="manager-api")
    assert header["kid"] == jwk["kid"]
    assert set(claims) >= {"iss", "aud", "sub", "sid", "jti", "iat", "exp", "typ"}
    assert claims["typ"] == "access"
    assert claims["sub"] == str(user.account_id)
    assert (await client.get("/v1/account", headers=user.headers)).status_code == 200


async def test_alg_none_is_refused(client: httpx.AsyncClient, db: Database) -> None:
    user = await signed_in_user(client, db)
    claims = jwt.decode(user.access_token, options={"verify_signature": False})
    header = jwt.get_unverified_header(user.access_token) | {"alg": "none"}
    forged = f"{_b64(header)}.{_b64(claims)}."
    response = await client.get("/v1/account", headers={"Authorization": f"Bearer {forged}"})
    assert response.status_code == 401
    assert response.json()["code"] == "invalid_token"


async def test_hs256_signed_with_the_public_key_is_refused(
    client: httpx.AsyncClient, db: Database, settings: Settings
) -> None:
    user = await signed_in_user(client, db)
    ring = keyring(settings)
    public_pem = ring.signing_key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    claims = jwt.decode(user.access_token, options={"verify_signature": False})
    header = {"alg": "HS256", "typ": "JWT", "kid": ring.signing_kid}
    signing_input = f"{_b64(header)}.{_b64(claims)}".encode()
    import hashlib
    import hmac

    signature = base64.urlsafe_b64encode(
        hmac.new(public_pem, signing_input, hashlib.sha256).digest()
    ).rstrip(b"=")
    forged = signing_input.decode() + "." + signature.decode()
    response = await client.get("/v1/account", headers={"Authorization": f"Bearer {forged}"})
    assert response.status_code == 401


async def test_token_signed_by_another_key_is_refused(
    client: httpx.AsyncClient, db: Database, settings: Settings
) -> None:
    user = await signed_in_user(client, db)
    claims = jwt.decode(user.access_token, options={"verify_signature": False})
    kid = keyring(settings).signing_kid
    forged = jwt.encode(
        claims, Ed25519PrivateKey.generate(), algorithm="EdDSA", headers={"kid": kid}
    )
    assert (
        await client.get("/v1/account", headers={"Authorization": f"Bearer {forged}"})
    ).status_code == 401


async def test_expired_token_is_refused(client: httpx.AsyncClient, db: Database) -> None:
    user = await signed_in_user(client, db)
    with time_machine.travel(clock.now() + timedelta(minutes=11), tick=False):
        response = await client.get("/v1/account", headers=user.headers)
    assert response.status_code == 401
    assert response.json()["code"] == "invalid_token"


async def test_wrong_audience_or_issuer_is_refused(
    client: httpx.AsyncClient, db: Database, settings: Settings
) -> None:
    user = await signed_in_user(client, db)
    ring = keyring(settings)
    claims = jwt.decode(user.access_token, options={"verify_signature": False})
    for changed in ({"aud": "another-service"}, {"iss": "https://evil.example"}):
        forged = jwt.encode(
            claims | changed, ring.signing_key, algorithm="EdDSA", headers={"kid": ring.signing_kid}
        )
        assert (
            await client.get("/v1/account", headers={"Authorization": f"Bearer {forged}"})
        ).status_code == 401


async def test_mfa_token_is_not_an_access_token(
    client: httpx.AsyncClient, db: Database, settings: Settings
) -> None:
    user = await signed_in_user(client, db)
    mfa_token = keyring(settings).issue("mfa", user.account_id, timedelta(minutes=5))
    response = await client.get("/v1/account", headers={"Authorization": f"Bearer {mfa_token}"})
    assert response.status_code == 401


async def test_missing_token_is_401_with_challenge(client: httpx.AsyncClient) -> None:
    response = await client.get("/v1/account")
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"
    assert response.json()["code"] == "not_authenticated"


async def test_logout_refuses_the_access_token_at_once(
    client: httpx.AsyncClient, db: Database
) -> None:
    user = await signed_in_user(client, db)
    assert (await client.post("/v1/auth/logout", headers=user.headers)).status_code == 204
    response = await client.get("/v1/account", headers=user.headers)
    assert response.status_code == 401
    assert response.json()["code"] == "session_ended"
    refreshed = await client.post("/v1/auth/refresh", json={"refresh_token": user.refresh_token})
    assert refreshed.status_code == 401


async def test_refresh_rotates_and_reuse_ends_the_session(
    client: httpx.AsyncClient, db: Database
) -> None:
    user = await signed_in_user(client, db)
    first = await client.post("/v1/auth/refresh", json={"refresh_token": user.refresh_token})
    assert first.status_code == 200
    rotated = first.json()
    assert rotated["refresh_token"] != user.refresh_token
    new_headers = {"Authorization": f"Bearer {rotated['access_token']}"}
    assert (await client.get("/v1/account", headers=new_headers)).status_code == 200

    reused = await client.post("/v1/auth/refresh", json={"refresh_token": user.refresh_token})
    assert reused.status_code == 401
    assert reused.json()["code"] == "invalid_refresh_token"
    # The whole session is over: the newest tokens stop working too.
    assert (await client.get("/v1/account", headers=new_headers)).status_code == 401
    assert (
        await client.post("/v1/auth/refresh", json={"refresh_token": rotated["refresh_token"]})
    ).status_code == 401
