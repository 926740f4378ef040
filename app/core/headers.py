"""HTTP hygiene of every response: security headers, CORS, and an honest ``Allow`` on a 405.

Every response gets ``X-Content-Type-Options: nosniff``, ``Referrer-Policy: no-referrer``,
``X-Frame-Options: DENY`` and a Content-Security-Policy that lets nothing load (the API serves
JSON, never a page), except the interactive docs, whose policy lets in the Swagger UI and ReDoc
assets they load. A response that sets no ``Cache-Control`` gets ``no-store``: tokens and secrets
travel in JSON bodies, so nothing is cacheable unless its route says so (the JWKS, avatars and
logos). Production adds HSTS. CORS answers preflights for the configured origins only and never
allows credentials: the API authenticates with bearer tokens, never cookies.
"""

from collections.abc import Iterable

from fastapi import FastAPI, Request
from starlette.middleware.cors import CORSMiddleware
from starlette.routing import Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send

API_POLICY = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
DOCS_POLICY = (
    "default-src 'none'; script-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net; "
    "style-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net https://fonts.googleapis.com; "
    "font-src https://fonts.gstatic.com; img-src 'self' data: https://fastapi.tiangolo.com "
    "https://cdn.redoc.ly; worker-src blob:; connect-src 'self'; frame-ancestors 'none'; "
    "base-uri 'none'; form-action 'none'"
)
HSTS = "max-age=63072000; includeSubDomains"
DOCS_PATHS = frozenset({"/docs", "/docs/oauth2-redirect", "/redoc"})

CORS_HEADERS = ("Authorization", "Content-Type", "Idempotency-Key", "X-Request-ID")
CORS_EXPOSED = ("Idempotent-Replayed", "Location", "Retry-After", "X-Request-ID")
CORS_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")
_METHOD_ORDER = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE")


class SecurityHeadersMiddleware:
    """Adds the security headers to every HTTP response (see the module docstring)."""

    def __init__(self, app: ASGIApp, *, hsts: bool) -> None:
        self.app = app
        self.hsts = hsts

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        policy = DOCS_POLICY if scope["path"] in DOCS_PATHS else API_POLICY

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {name.lower() for name, _ in headers}
                added = [
                    (b"x-content-type-options", b"nosniff"),
                    (b"referrer-policy", b"no-referrer"),
                    (b"x-frame-options", b"DENY"),
                    (b"content-security-policy", policy.encode()),
                    (b"cache-control", b"no-store"),
                ]
                if self.hsts:
                    added.append((b"strict-transport-security", HSTS.encode()))
                headers += [(name, value) for name, value in added if name not in present]
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_headers)


def install_cors(app: FastAPI, origins: Iterable[str]) -> None:
    """Answers preflights (and tags responses) for ``origins``; none configured, none allowed."""
    allowed = list(origins)
    if allowed:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=allowed,
            allow_credentials=False,
            allow_methods=CORS_METHODS,
            allow_headers=CORS_HEADERS,
            expose_headers=CORS_EXPOSED,
            max_age=600,
        )


def allowed_methods(request: Request) -> str:
    """Every method of the request's path, for the ``Allow`` of a 405 (Starlette lists only the
    first route that matched). The path is its most specific template: ``/sessions/end-others``
    is not also ``/sessions/{session_id}``."""
    matching: dict[int, set[str]] = {}
    for route in request.app.router.routes:
        match, child = route.matches({**request.scope, "method": "\x00", "path_params": {}})
        if match != Match.NONE:
            variables = len(child.get("path_params", {}))
            matching.setdefault(variables, set()).update(getattr(route, "methods", None) or ())
    methods = matching[min(matching)] if matching else set()
    return ", ".join(sorted(methods, key=lambda method: (*_METHOD_ORDER, method).index(method)))
