"""A real OpenID Connect provider for the tests: a Starlette app served by uvicorn on a loopback
port, with discovery, JWKS, authorize (code flow, PKCE S256 required) and token endpoints, and ID
tokens really signed (RS256 or ES256, keys made per run).

Its users are e-mail → claims; the authorize endpoint "logs in" the ``login_hint`` user, as a
browser session at the provider would. ``tamper`` changes the next ID tokens (another nonce,
audience, e-mail, an expired one, a foreign signing key) so the relying party's checks can be seen
refusing them.
"""

import asyncio
import base64
import hashlib
import secrets
import socket
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

import uvicorn
from joserfc import jwt
from joserfc.jwk import ECKey, RSAKey
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route


@dataclass
class LocalProvider:
    client_id: str = "manager-console"
    client_secret: str = field(default_factory=lambda: secrets.token_urlsafe(24))
    issuer: str = ""
    users: dict[str, dict[str, Any]] = field(default_factory=dict)
    tamper: dict[str, Any] = field(default_factory=dict)
    """Claims to override in the next ID tokens; ``sign_with="foreign"`` signs with a key the
    JWKS does not hold; ``sign_with="ec"`` signs with the ES256 key."""
    codes: dict[str, dict[str, Any]] = field(default_factory=dict)
    rsa: RSAKey = field(
        default_factory=lambda: RSAKey.generate_key(2048, parameters={"kid": "rsa-1"})
    )
    ec: ECKey = field(
        default_factory=lambda: ECKey.generate_key("P-256", parameters={"kid": "ec-1"})
    )
    foreign: RSAKey = field(
        default_factory=lambda: RSAKey.generate_key(2048, parameters={"kid": "rsa-1"})
    )

    def add_user(self, email: str, **claims: Any) -> None:
        self.users[email.lower()] = {
            "sub": secrets.token_hex(8),
            "email": email,
            "email_verified": True,
            "given_name": "Grace",
            "family_name": "Hopper",
        } | claims

    # --- endpoints ---

    async def discovery(self, request: Request) -> Response:
        return JSONResponse(
            {
                "issuer": self.issuer,
                "authorization_endpoint": f"{self.issuer}/authorize",
                "token_endpoint": f"{self.issuer}/token",
                "jwks_uri": f"{self.issuer}/jwks",
                "response_types_supported": ["code"],
                "subject_types_supported": ["public"],
                "id_token_signing_alg_values_supported": ["RS256", "ES256"],
                "scopes_supported": ["openid", "email", "profile"],
                "token_endpoint_auth_methods_supported": ["client_secret_basic"],
                "code_challenge_methods_supported": ["S256"],
                "grant_types_supported": ["authorization_code"],
            }
        )

    async def jwks(self, request: Request) -> Response:
        return JSONResponse(
            {"keys": [self.rsa.as_dict(private=False), self.ec.as_dict(private=False)]}
        )

    async def authorize(self, request: Request) -> Response:
        query = request.query_params
        required = ("client_id", "redirect_uri", "state", "nonce", "code_challenge")
        if any(not query.get(name) for name in required):
            return JSONResponse({"error": "invalid_request"}, status_code=400)
        if (
            query["client_id"] != self.client_id
            or query.get("response_type") != "code"
            or query.get("code_challenge_method") != "S256"
            or "openid" not in query.get("scope", "").split()
        ):
            return JSONResponse({"error": "invalid_request"}, status_code=400)
        user = self.users.get(query.get("login_hint", "").lower())
        if user is None:
            return JSONResponse({"error": "access_denied"}, status_code=403)
        code = secrets.token_urlsafe(24)
        self.codes[code] = {
            "redirect_uri": query["redirect_uri"],
            "nonce": query["nonce"],
            "challenge": query["code_challenge"],
            "user": user,
        }
        target = f"{query['redirect_uri']}?{urlencode({'code': code, 'state': query['state']})}"
        return RedirectResponse(target, status_code=302)

    async def token(self, request: Request) -> Response:
        expected = base64.b64encode(f"{self.client_id}:{self.client_secret}".encode()).decode()
        if request.headers.get("authorization") != f"Basic {expected}":
            return JSONResponse({"error": "invalid_client"}, status_code=401)
        form = await request.form()
        grant = self.codes.pop(str(form.get("code")), None)
        if grant is None or form.get("grant_type") != "authorization_code":
            return JSONResponse({"error": "invalid_grant"}, status_code=400)
        verifier = str(form.get("code_verifier") or "")
        challenge = (
            base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest())
            .rstrip(b"=")
            .decode()
        )
        if challenge != grant["challenge"] or form.get("redirect_uri") != grant["redirect_uri"]:
            return JSONResponse({"error": "invalid_grant"}, status_code=400)
        now = int(time.time())
        claims = {
            "iss": self.issuer,
            "aud": self.client_id,
            "iat": now,
            "exp": now + 300,
            "nonce": grant["nonce"],
            **grant["user"],
        }
        tamper = dict(self.tamper)
        sign_with = tamper.pop("sign_with", "rsa")
        claims.update(tamper)
        key = {"rsa": self.rsa, "ec": self.ec, "foreign": self.foreign}[sign_with]
        alg = "ES256" if sign_with == "ec" else "RS256"
        id_token = jwt.encode({"alg": alg, "kid": key.kid}, claims, key)
        return JSONResponse(
            {
                "access_token": secrets.token_urlsafe(24),
                "token_type": "Bearer",
                "expires_in": 300,
                "id_token": id_token,
            }
        )

    def app(self) -> Starlette:
        return Starlette(
            routes=[
                Route("/.well-known/openid-configuration", self.discovery),
                Route("/jwks", self.jwks),
                Route("/authorize", self.authorize),
                Route("/token", self.token, methods=["POST"]),
            ]
        )


class ServedProvider:
    """Serves a ``LocalProvider`` on 127.0.0.1 (a free port) in the running event loop."""

    def __init__(self, provider: LocalProvider) -> None:
        self.provider = provider
        self.socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.socket.bind(("127.0.0.1", 0))
        port = self.socket.getsockname()[1]
        provider.issuer = f"http://127.0.0.1:{port}"
        config = uvicorn.Config(provider.app(), log_level="warning", lifespan="off")
        self.server = uvicorn.Server(config)
        self.task: asyncio.Task[None] | None = None

    async def __aenter__(self) -> LocalProvider:
        self.task = asyncio.create_task(self.server.serve(sockets=[self.socket]))
        while not self.server.started:  # noqa: ASYNC110 - uvicorn offers no event to wait on
            await asyncio.sleep(0.01)
        return self.provider

    async def __aexit__(self, *exc: object) -> None:
        self.server.should_exit = True
        if self.task is not None:
            await self.task
        self.socket.close()
