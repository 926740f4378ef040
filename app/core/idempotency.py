"""``Idempotency-Key`` on POST: the first response is stored and replayed for 24 hours.

A key belongs to its caller, known only once authenticated: the claim is a dependency that
runs after the route's scope check (``claim``), so the key of an authenticated caller is its
account's (``set_principal``), whatever the credential; an anonymous caller's key is scoped to
its exact request (method, path, body), so no two anonymous requests ever share one.
A response that carries credentials (a login's tokens, a new personal access token…; its
schema says ``carries_credentials``) is never stored: the key is kept as used, and a retry
answers 409 ``idempotency_response_withheld`` instead of running again or replaying secrets.

The key is claimed in its own short transaction (so a concurrent retry sees it and gets 409),
and the response is stored in the request's own transaction, so the domain change and the stored
response commit together: a retry never repeats a change whose response was lost. A claim whose
request died is taken over once its lock expires; its transaction was rolled back, so re-running
it is safe.
An error response is not stored: the request's transaction was rolled back, so a retry runs anew.
"""

import hashlib
import uuid
from collections.abc import Callable, Coroutine
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlencode

from fastapi import Request, Response, params
from sqlalchemy import LargeBinary, String, UniqueConstraint, delete, select, update
from sqlalchemy.dialects.postgresql import JSONB, insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import Mapped, mapped_column

from app.core import clock
from app.core.db import Base, IdMixin, database_of
from app.core.errors import AppError
from app.core.settings import get_settings

HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
LOCK_SECONDS = 60
_STORED_HEADERS = ("content-type", "location")


class IdempotencyKey(IdMixin, Base):
    __tablename__ = "core_idempotency_keys"
    __table_args__ = (UniqueConstraint("principal", "key"),)

    principal: Mapped[str] = mapped_column(String(64))
    key: Mapped[str] = mapped_column(String(255))
    fingerprint: Mapped[str] = mapped_column(String(64))
    locked_until: Mapped[datetime | None]
    response_status: Mapped[int | None]
    response_headers: Mapped[dict[str, str] | None] = mapped_column(JSONB)
    response_body: Mapped[bytes | None] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(default=clock.now)
    expires_at: Mapped[datetime] = mapped_column(index=True)


class IdempotencyKeyInvalid(AppError):
    status = 400
    code = "idempotency_key_invalid"


class IdempotencyKeyReused(AppError):
    status = 422
    code = "idempotency_key_reused"


class IdempotencyKeyInProgress(AppError):
    status = 409
    code = "idempotency_key_in_progress"


class IdempotencyResponseWithheld(AppError):
    status = 409
    code = "idempotency_response_withheld"


class _Replay(Exception):
    def __init__(self, response: Response) -> None:
        self.response = response


_WITHHELD = -1
"""``response_status`` of a completed request whose response carried credentials."""


def set_principal(request: Request, principal: str) -> None:
    """Called by authentication: the caller whose keys these are (e.g. ``account:<id>``)."""
    request.state.idempotency_principal = principal


def _principal(request: Request, fingerprint: str) -> str:
    """Keys are per caller: the same key from two callers names two requests."""
    known: str | None = getattr(request.state, "idempotency_principal", None)
    scope = f"caller:{known}" if known else f"anonymous:{fingerprint}"
    return hashlib.sha256(scope.encode()).hexdigest()


async def _body(request: Request) -> bytes:
    """The request's body; a form body the route already parsed (its stream is spent) is given
    by its fields, in order."""
    try:
        return await request.body()
    except RuntimeError:  # Starlette: "Stream consumed" by the route's form parsing
        form = await request.form()  # parsed once, cached on the request
        return urlencode([(name, str(value)) for name, value in form.multi_items()]).encode()


def _fingerprint(request: Request, body: bytes) -> str:
    digest = hashlib.sha256()
    for part in (
        request.method.encode(),
        request.url.path.encode(),
        request.url.query.encode(),
        body,
    ):
        digest.update(len(part).to_bytes(8, "big") + part)
    return digest.hexdigest()


async def _claim(
    session: AsyncSession, *, principal: str, key: str, fingerprint: str
) -> IdempotencyKey | None:
    """Claims the key for this request; returns the stored record when it was already completed."""
    now = clock.now()
    ttl = timedelta(hours=get_settings().idempotency_ttl_hours)
    await session.execute(
        delete(IdempotencyKey).where(
            IdempotencyKey.principal == principal,
            IdempotencyKey.key == key,
            IdempotencyKey.expires_at <= now,
        )
    )
    claimed = await session.scalar(
        insert(IdempotencyKey)
        .values(
            id=uuid.uuid4(),
            principal=principal,
            key=key,
            fingerprint=fingerprint,
            locked_until=now + timedelta(seconds=LOCK_SECONDS),
            created_at=now,
            expires_at=now + ttl,
        )
        .on_conflict_do_nothing(index_elements=["principal", "key"])
        .returning(IdempotencyKey.id)
    )
    if claimed is not None:
        return None
    existing = await session.scalar(
        select(IdempotencyKey).where(
            IdempotencyKey.principal == principal, IdempotencyKey.key == key
        )
    )
    if existing is None:  # expired and removed by a concurrent request between our two statements
        raise IdempotencyKeyInProgress("A request with this Idempotency-Key is being processed.")
    if existing.fingerprint != fingerprint:
        raise IdempotencyKeyReused("This Idempotency-Key was used with another request.")
    if existing.response_status is not None:
        return existing
    taken_over = await session.scalar(
        update(IdempotencyKey)
        .where(
            IdempotencyKey.id == existing.id,
            IdempotencyKey.response_status.is_(None),
            IdempotencyKey.locked_until < now,
        )
        .values(locked_until=now + timedelta(seconds=LOCK_SECONDS))
        .returning(IdempotencyKey.id)
    )
    if taken_over is None:
        raise IdempotencyKeyInProgress(
            "A request with this Idempotency-Key is being processed.",
            headers={"Retry-After": "1"},
        )
    return None


def _replay(record: IdempotencyKey) -> Response:
    if record.response_status == _WITHHELD:
        raise IdempotencyResponseWithheld(
            "The first response to this Idempotency-Key carried credentials and is not kept; "
            "the request was done. Send it again without the key to run it anew."
        )
    headers = dict(record.response_headers or {})
    headers[REPLAYED_HEADER] = "true"
    return Response(
        content=record.response_body,
        status_code=record.response_status or 200,
        headers=headers,
    )


async def _release(request: Request, principal: str, key: str) -> None:
    async with database_of(request).sessionmaker.begin() as session:
        await session.execute(
            delete(IdempotencyKey).where(
                IdempotencyKey.principal == principal,
                IdempotencyKey.key == key,
                IdempotencyKey.response_status.is_(None),
            )
        )


async def _store(
    session: AsyncSession, principal: str, key: str, response: Response, *, withhold: bool
) -> None:
    """Completes the key with the response, or only marks it done when ``withhold``."""
    headers = {name: response.headers[name] for name in _STORED_HEADERS if name in response.headers}
    await session.execute(
        update(IdempotencyKey)
        .where(IdempotencyKey.principal == principal, IdempotencyKey.key == key)
        .values(
            response_status=_WITHHELD if withhold else response.status_code,
            response_headers={} if withhold else headers,
            response_body=None if withhold else bytes(response.body),
            locked_until=None,
        )
    )


_DOCUMENTED_HEADER = {
    "name": HEADER,
    "in": "header",
    "required": False,
    "schema": {"type": "string", "minLength": 1, "maxLength": 255},
    "description": "Makes the request safe to retry: its first response is replayed for 24 hours.",
}


IDEMPOTENCY_ERRORS: tuple[type[AppError], ...] = (
    IdempotencyKeyInvalid,
    IdempotencyKeyInProgress,
    IdempotencyKeyReused,
    IdempotencyResponseWithheld,
)
"""What a POST operation can answer because of its ``Idempotency-Key``."""


def document_header(openapi_extra: dict[str, Any] | None) -> dict[str, Any]:
    """``openapi_extra`` with the ``Idempotency-Key`` header parameter listed once."""
    extra = dict(openapi_extra or {})
    # Routers nest (domain router, /v1, app): each include copies the route again.
    parameters = [p for p in extra.get("parameters", []) if p != _DOCUMENTED_HEADER]
    extra["parameters"] = [*parameters, _DOCUMENTED_HEADER]
    return extra


async def claim(request: Request) -> None:
    """The dependency claiming the request's key, after its caller is authenticated: a POST
    route lists it after its scope. A completed key's response is replayed from here."""
    key = request.headers.get(HEADER)
    if key is None:
        return
    if not 1 <= len(key) <= 255 or not key.isprintable():
        raise IdempotencyKeyInvalid("Idempotency-Key must be 1 to 255 printable characters.")
    fingerprint = _fingerprint(request, await _body(request))
    principal = _principal(request, fingerprint)
    async with database_of(request).sessionmaker.begin() as session:
        stored = await _claim(session, principal=principal, key=key, fingerprint=fingerprint)
    if stored is not None:
        raise _Replay(_replay(stored))
    request.state.idempotency_claim = (principal, key)


CLAIM = params.Depends(claim)


def idempotent(
    handler: Callable[[Request], Coroutine[Any, Any, Response]], *, withhold: bool
) -> Callable[[Request], Coroutine[Any, Any, Response]]:
    """``handler`` storing the response of a request whose key ``claim`` took (only marking
    the key done when ``withhold``: its responses carry credentials)."""

    async def idempotent_handler(request: Request) -> Response:
        if HEADER not in request.headers:
            return await handler(request)
        try:
            response = await handler(request)
        except _Replay as replay:
            return replay.response
        except BaseException:
            claimed = getattr(request.state, "idempotency_claim", None)
            if claimed is not None:
                await _release(request, *claimed)
            raise
        claimed = getattr(request.state, "idempotency_claim", None)
        if claimed is None:
            return response
        principal, key = claimed
        request_session: AsyncSession | None = getattr(request.state, "db_session", None)
        storable = response.status_code < 400 and hasattr(response, "body")
        if request_session is None or not storable:
            await _release(request, principal, key)
        else:
            await _store(request_session, principal, key, response, withhold=withhold)
        return response

    return idempotent_handler


async def purge_expired(sessionmaker: async_sessionmaker[AsyncSession]) -> int:
    """Deletes stored responses older than their time to live."""
    async with sessionmaker.begin() as session:
        result = await session.execute(
            delete(IdempotencyKey).where(IdempotencyKey.expires_at <= clock.now())
        )
    return int(getattr(result, "rowcount", 0) or 0)
