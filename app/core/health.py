"""Liveness, readiness and metrics: outside /v1, for orchestrators and scrapers.

``/metrics`` asks for ``Authorization: Bearer <MANAGER_METRICS_TOKEN>`` when that is set; in
production without it, ``/metrics`` is not served at all.
"""

import asyncio
import hmac

from fastapi import APIRouter, Request, Response
from pydantic import BaseModel

from app.core.db import database_of
from app.core.errors import AppError, problem_response, problem_responses
from app.core.metrics import render_metrics

router = APIRouter(tags=["system"])
metrics_router = APIRouter(tags=["system"])


class DatabaseUnavailable(AppError):
    status = 503
    code = "database_unavailable"


class Health(BaseModel):
    status: str


@router.get("/healthz", operation_id="system-health", response_model=Health)
async def healthz() -> Health:
    """The process is alive."""
    return Health(status="ok")


@router.get(
    "/readyz",
    operation_id="system-ready",
    response_model=Health,
    responses=problem_responses(DatabaseUnavailable),
)
async def readyz(request: Request) -> Health | Response:
    """The database answers: 503 when it does not."""
    try:
        await asyncio.wait_for(database_of(request).ping(), timeout=2)
    except Exception:
        error = DatabaseUnavailable("The database does not answer.")
        return problem_response(error.status, error.code, error.detail)
    return Health(status="ok")


@metrics_router.get(
    "/metrics",
    operation_id="system-metrics",
    response_class=Response,
    responses={
        200: {
            "content": {"text/plain": {}},
            "description": "Prometheus exposition format.",
        },
        **problem_responses(401),
    },
)
async def metrics(request: Request) -> Response:
    """Prometheus metrics; with `MANAGER_METRICS_TOKEN` set, only for that bearer token."""
    token = request.app.state.settings.metrics_token
    if token is not None:
        given = request.headers.get("authorization", "")
        expected = f"Bearer {token.get_secret_value()}"
        if not hmac.compare_digest(given.encode(), expected.encode()):
            return problem_response(401, "unauthorized", "The metrics token is missing or wrong.")
    body, content_type = render_metrics()
    return Response(body, media_type=content_type)
