"""Liveness, readiness and metrics: outside /v1, for orchestrators and scrapers.

``/metrics`` asks for ``Authorization: Bearer <MANAGER_METRICS_TOKEN>`` when that is set; in
production without it, ``/metrics`` is not served at all.
"""

import asyncio
import hmac
from typing import Literal

from fastapi import APIRouter, Request, Response
from pydantic import BaseModel, Field

from app.core.db import database_of
from app.core.errors import AppError, problem_response, problem_responses
from app.core.metrics import render_metrics

router = APIRouter(tags=["system"])
metrics_router = APIRouter(tags=["system"])


class DatabaseUnavailable(AppError):
    status = 503
    code = "database_unavailable"


class Health(BaseModel):
    status: Literal["ok"] = Field(description="Always `ok`: a failure answers a problem instead.")


@router.get("/healthz", operation_id="system-health", response_model=Health)
async def healthz() -> Health:
    """Liveness: the process is up and answers HTTP; it does not touch the database. Public,
    outside /v1, for orchestrators (restart the process when it stops answering)."""
    return Health(status="ok")


@router.get(
    "/readyz",
    operation_id="system-ready",
    response_model=Health,
    responses=problem_responses(DatabaseUnavailable),
)
async def readyz(request: Request) -> Health | Response:
    """Readiness: the database answers within 2 seconds; 503 `database_unavailable` when it
    does not (take the instance out of the load balancer until it answers again). Public, outside
    /v1."""
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
    """Prometheus metrics (HTTP request counts and latencies by route, process figures) in the
    text exposition format. With `MANAGER_METRICS_TOKEN` set, only for `Authorization: Bearer <that
    token>` (401 otherwise); in production without it, the route is not served at all."""
    token = request.app.state.settings.metrics_token
    if token is not None:
        given = request.headers.get("authorization", "")
        expected = f"Bearer {token.get_secret_value()}"
        if not hmac.compare_digest(given.encode(), expected.encode()):
            return problem_response(401, "unauthorized", "The metrics token is missing or wrong.")
    body, content_type = render_metrics()
    return Response(body, media_type=content_type)
