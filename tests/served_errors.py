"""Every error code the suite sees served must be documented on its operation.

While the suite runs, each ``AppError`` answered by a route is noted with the route's operation
id; at the end, any (operation, status, code) the OpenAPI document does not list among that
operation's responses (``x-problem-codes``) fails the run, naming them. Under pytest-xdist each
worker sends what it saw to the controlling process, which judges the whole run.
"""

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi import Request
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute

from app.core import errors

_served: set[tuple[str, int, str]] = set()


@pytest.fixture(autouse=True, scope="session")
def _note_served_errors() -> Iterator[None]:
    answer = errors._app_error

    async def noting(request: Request, exc: Exception) -> JSONResponse:
        route = request.scope.get("route")
        if isinstance(route, APIRoute) and route.operation_id and isinstance(exc, errors.AppError):
            _served.add((route.operation_id, exc.status, exc.code))
        return await answer(request, exc)

    errors._app_error = noting  # type: ignore[assignment]
    yield
    errors._app_error = answer  # type: ignore[assignment]


def _documented() -> dict[str, dict[int, set[str]]]:
    from app.main import create_app

    documented: dict[str, dict[int, set[str]]] = {}
    for operations in create_app().openapi()["paths"].values():
        for operation in operations.values():
            responses: dict[str, Any] = operation.get("responses", {})
            documented[operation["operationId"]] = {
                int(status): set(response.get("x-problem-codes", []))
                for status, response in responses.items()
                if status.isdigit()
            }
    return documented


def undocumented_served_errors() -> list[tuple[str, int, str]]:
    documented = _documented()
    return sorted(
        (operation, status, code)
        for operation, status, code in _served
        # Routes a test adds to its own app are not the product's: the document is the judge.
        if operation in documented and code not in documented[operation].get(status, set())
    )


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node: Any, error: object) -> None:
    """The controlling process collects what a pytest-xdist worker saw served."""
    _served.update(tuple(seen) for seen in node.workeroutput.get("served_errors", []))


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    workeroutput = getattr(session.config, "workeroutput", None)
    if workeroutput is not None:
        workeroutput["served_errors"] = sorted(_served)
        return
    if not _served:
        return
    missing = undocumented_served_errors()
    if missing:
        lines = "\n".join(f"  {operation}: {status} {code}" for operation, status, code in missing)
        reporter = session.config.pluginmanager.get_plugin("terminalreporter")
        if reporter is not None:
            reporter.write_line(
                f"Error codes served but not documented on their operation:\n{lines}"
            )
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
