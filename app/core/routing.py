"""How a route is declared: one line for its path and status, one for its scope and errors.

Every router uses ``AppRoute``. A route's operation id is ``<first tag>-<function name>``
unless it names one; ``@declares(scope, *errors)`` above the function states the token scope
the route needs (a route-table test holds that each route has exactly one) and the errors it
raises. The OpenAPI document lists those errors, the ones its dependencies declare
(``core.errors.raises``), those its parameters and body can fail with (422 ``validation_error``,
400 ``malformed_json``), a database outage (503 ``database_unavailable``) and, on POST, those of
the ``Idempotency-Key`` (whose claim is a dependency after the scope: the key is the
authenticated caller's; a POST whose response schema carries credentials never stores its
response for replay).
"""

from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

from fastapi import Request, Response, params
from fastapi.dependencies.utils import get_flat_params
from fastapi.routing import APIRoute

from app.core import idempotency
from app.core.errors import (
    AppError,
    DatabaseUnavailable,
    MalformedJson,
    RequestInvalid,
    ValueNotStorable,
    dependency_problems,
    with_problems,
)
from app.core.schemas import carries_credentials

_Endpoint = TypeVar("_Endpoint", bound=Callable[..., Any])

_DECLARATIONS: dict[
    Callable[..., Any], tuple[params.Depends, tuple[int | type[AppError], ...]]
] = {}


def declares(
    scope: params.Depends, *errors: int | type[AppError]
) -> Callable[[_Endpoint], _Endpoint]:
    """The token scope a route needs (``require_scope(…)`` or ``PUBLIC``) and what it raises
    (error classes, or bare statuses such as 422)."""

    def declare(endpoint: _Endpoint) -> _Endpoint:
        _DECLARATIONS[endpoint] = (scope, errors)
        return endpoint

    return declare


class AppRoute(APIRoute):
    """The route class of every router: declared scope and errors, derived operation id,
    ``Idempotency-Key`` handling on POST."""

    def __init__(self, path: str, endpoint: Callable[..., Any], **kwargs: Any) -> None:
        declared = _DECLARATIONS.get(endpoint)
        errors: tuple[int | type[AppError], ...] = ()
        dependencies = list(kwargs.get("dependencies") or [])
        if declared is not None:
            scope, errors = declared
            if scope not in dependencies:  # routers nest: each include builds the route again
                dependencies.insert(0, scope)  # the caller first: a 401 before a 429
        if "POST" in (kwargs.get("methods") or ()):
            # The key is claimed once the caller is known: after the scope check.
            dependencies = [d for d in dependencies if d is not idempotency.CLAIM]
            dependencies.append(idempotency.CLAIM)
        kwargs["dependencies"] = dependencies
        if kwargs.get("operation_id") is None and kwargs.get("tags"):
            kwargs["operation_id"] = f"{kwargs['tags'][0]}-{endpoint.__name__}"
        super().__init__(path, endpoint, **kwargs)
        problems: list[int | type[AppError]] = [
            *errors,
            *dependency_problems(self.dependant),
            *self.input_problems,
            DatabaseUnavailable,
        ]
        if self.posts:
            problems += idempotency.IDEMPOTENCY_ERRORS
            self.openapi_extra = idempotency.document_header(self.openapi_extra)
        self.responses = with_problems(self.responses, problems)

    @property
    def input_problems(self) -> list[type[AppError]]:
        """What the request's parameters and body can fail with before the route runs."""
        problems: list[type[AppError]] = []
        if get_flat_params(self.dependant) or self.body_field is not None:
            problems += [RequestInvalid, ValueNotStorable]
        if self.body_field is not None and not isinstance(self.body_field.field_info, params.Form):
            problems.append(MalformedJson)
        return problems

    @property
    def posts(self) -> bool:
        return "POST" in (self.methods or ())

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()
        if not self.posts:
            return handler
        return idempotency.idempotent(handler, withhold=carries_credentials(self.response_model))
