"""The OpenID Connect relying party: discovery, the authorization request (code flow with PKCE,
``state`` and ``nonce``), the code exchange and the ID token's verification against the
provider's published keys (signature, issuer, audience, expiry, nonce).

Authlib's client builds the request and exchanges the code; joserfc (Authlib's JOSE library)
verifies the ID token. Nothing here touches the database.
"""

import time
from dataclasses import dataclass
from typing import Any

import httpx
from authlib.integrations.base_client import OAuthError
from authlib.integrations.httpx_client import AsyncOAuth2Client
from authlib.oidc.discovery import OpenIDProviderMetadata
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

from app.sso.errors import ProviderUnreachable, SingleSignOnFailed

TIMEOUT_SECONDS = 10.0
ALGORITHMS = ("RS256", "ES256", "PS256", "EdDSA")
"""Asymmetric algorithms only: an ID token signed with the client secret (HS256) is refused."""
SCOPE = "openid email profile"
LEEWAY_SECONDS = 60


@dataclass(frozen=True)
class Provider:
    """What a provider's discovery document says, once checked."""

    issuer: str
    authorization_endpoint: str
    token_endpoint: str
    jwks_uri: str
    algorithms: tuple[str, ...]


def _http() -> httpx.AsyncClient:
    return httpx.AsyncClient(timeout=TIMEOUT_SECONDS, follow_redirects=False)


async def discover(issuer: str) -> Provider:
    """The provider at ``issuer`` (its ``/.well-known/openid-configuration``), validated: the
    document must name the same issuer and the endpoints the code flow needs."""
    url = issuer.rstrip("/") + "/.well-known/openid-configuration"
    try:
        async with _http() as http:
            response = await http.get(url)
            response.raise_for_status()
            document = response.json()
        if not isinstance(document, dict):
            raise ValueError("the document is not a JSON object")
        metadata = OpenIDProviderMetadata(document)
        metadata.validate()
    except (httpx.HTTPError, httpx.InvalidURL, ValueError, TypeError, KeyError) as error:
        raise ProviderUnreachable(f"The provider's discovery document failed: {error}") from None
    if document.get("issuer") != issuer:
        raise ProviderUnreachable("The provider's discovery document names another issuer.")
    offered = tuple(document.get("id_token_signing_alg_values_supported") or ("RS256",))
    algorithms = tuple(alg for alg in offered if alg in ALGORITHMS)
    if not algorithms:
        raise ProviderUnreachable("The provider signs ID tokens with no supported algorithm.")
    return Provider(
        issuer=issuer,
        authorization_endpoint=document["authorization_endpoint"],
        token_endpoint=document["token_endpoint"],
        jwks_uri=document["jwks_uri"],
        algorithms=algorithms,
    )


def _client(client_id: str, client_secret: str | None, redirect_uri: str) -> AsyncOAuth2Client:
    return AsyncOAuth2Client(
        client_id=client_id,
        client_secret=client_secret,
        scope=SCOPE,
        redirect_uri=redirect_uri,
        code_challenge_method="S256",
        token_endpoint_auth_method="client_secret_basic",  # noqa: S106 - a method name
        timeout=TIMEOUT_SECONDS,
    )


def authorization_url(
    provider: Provider,
    *,
    client_id: str,
    redirect_uri: str,
    state: str,
    nonce: str,
    code_verifier: str,
    login_hint: str,
) -> str:
    """Where to send the browser: the code flow with PKCE (S256), ``state`` and ``nonce``."""
    client = _client(client_id, None, redirect_uri)
    url, _ = client.create_authorization_url(
        provider.authorization_endpoint,
        state=state,
        code_verifier=code_verifier,
        nonce=nonce,
        login_hint=login_hint,
    )
    return str(url)


async def exchange_code(
    provider: Provider,
    *,
    client_id: str,
    client_secret: str,
    redirect_uri: str,
    code: str,
    code_verifier: str,
) -> str:
    """The ID token the token endpoint returns for ``code`` (with the PKCE verifier)."""
    try:
        async with _client(client_id, client_secret, redirect_uri) as client:
            token = await client.fetch_token(
                provider.token_endpoint,
                grant_type="authorization_code",
                code=code,
                code_verifier=code_verifier,
            )
    except OAuthError as error:
        raise SingleSignOnFailed(f"The provider refused the code: {error.error}") from None
    except (httpx.HTTPError, httpx.InvalidURL) as error:
        raise ProviderUnreachable(f"The provider's token endpoint failed: {error}") from None
    id_token = token.get("id_token")
    if not isinstance(id_token, str):
        raise SingleSignOnFailed("The provider returned no ID token.")
    return id_token


async def _keys(provider: Provider) -> KeySet:
    try:
        async with _http() as http:
            response = await http.get(provider.jwks_uri)
            response.raise_for_status()
            return KeySet.import_key_set(response.json())
    except (httpx.HTTPError, httpx.InvalidURL, ValueError, JoseError) as error:
        raise ProviderUnreachable(f"The provider's keys could not be read: {error}") from None


async def verify_id_token(
    provider: Provider, id_token: str, *, client_id: str, nonce: str, now: int | None = None
) -> dict[str, Any]:
    """The claims of ``id_token`` once its signature (the provider's JWKS), issuer, audience
    (and authorized party), expiry, issue time and nonce are checked."""
    keys = await _keys(provider)
    try:
        token = jwt.decode(id_token, keys, algorithms=list(provider.algorithms))
        registry = jwt.JWTClaimsRegistry(
            now=now if now is not None else int(time.time()),
            leeway=LEEWAY_SECONDS,
            iss={"essential": True, "value": provider.issuer},
            sub={"essential": True},
            exp={"essential": True},
            iat={"essential": True},
            nonce={"essential": True, "value": nonce},
        )
        registry.validate(token.claims)
    except (JoseError, ValueError) as error:
        raise SingleSignOnFailed(f"The ID token is not valid: {error}") from None
    claims: dict[str, Any] = dict(token.claims)
    audience = claims.get("aud")
    audiences = [audience] if isinstance(audience, str) else list(audience or [])
    if client_id not in audiences:
        raise SingleSignOnFailed("The ID token was issued for another audience.")
    if len(audiences) > 1 and claims.get("azp") != client_id:
        raise SingleSignOnFailed("The ID token's authorized party is another client.")
    return claims
