"""RFC 9457 problem details: every error the API returns has this shape and a stable ``code``."""

from collections.abc import Callable, Iterable
from contextlib import suppress
from http import HTTPStatus
from typing import Any, TypeVar

import structlog
from fastapi import FastAPI, Request
from fastapi.dependencies.models import Dependant
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from starlette.exceptions import HTTPException as StarletteHTTPException

from app.core.headers import allowed_methods

PROBLEM_MEDIA_TYPE = "application/problem+json"
NOT_NULL_VIOLATION = "23502"
log = structlog.get_logger("app.errors")


class FieldError(BaseModel):
    loc: list[str | int] = Field(
        description="Where the error is: body, query, path or header, then the field path."
    )
    msg: str = Field(description="What is wrong, in English, for people.")
    type: str = Field(
        description="The kind of error, for programs (`missing`, `string_too_short`, "
        "`null_not_allowed`, `int_type`…)."
    )


class Problem(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "type": "about:blank",
                    "title": "Unprocessable Entity",
                    "status": 422,
                    "detail": "The request is not valid.",
                    "code": "validation_error",
                    "errors": [
                        {
                            "loc": ["body", "name"],
                            "msg": "String should have at least 1 character",
                            "type": "string_too_short",
                        }
                    ],
                },
                {
                    "type": "about:blank",
                    "title": "Conflict",
                    "status": 409,
                    "detail": "Not enough seats left for this performance.",
                    "code": "sold_out",
                    "performance_id": "0b9f6c1e-5d2a-4f0e-9a51-3c8d2f7e4b10",
                },
            ]
        }
    )

    type: str = Field(default="about:blank", description="A URI naming the problem type.")
    title: str = Field(description="The HTTP status's reason phrase (`Conflict`, `Not Found`…).")
    status: int = Field(description="The HTTP status code, repeated in the body.")
    detail: str | None = Field(
        default=None, description="What happened in this occurrence, in English, for people."
    )
    code: str = Field(
        description="Stable machine-readable error code: branch on it, never on `detail`. Each "
        "operation lists the codes it can answer in `x-problem-codes`."
    )
    errors: list[FieldError] | None = Field(default=None, description="Field errors (422 only).")


class AppError(Exception):
    """A failure the caller can act on. Services raise these; handlers turn them into problems."""

    status = 400
    code = "bad_request"
    keep_changes = False
    """When true, the request's transaction commits before the error is answered (a failed
    login still counts, a reused refresh token still ends its session)."""

    def __init__(
        self,
        detail: str | None = None,
        *,
        status: int | None = None,
        headers: dict[str, str] | None = None,
        keep_changes: bool | None = None,
        **extra: Any,
    ) -> None:
        if "code" in extra:
            raise TypeError("an error's code is its class: declare a subclass with that code")
        super().__init__(detail or self.code)
        if keep_changes is not None:
            self.keep_changes = keep_changes
        self.detail = detail
        if status:
            self.status = status
        self.headers = headers
        self.extra = extra


class NotFound(AppError):
    status = 404
    code = "not_found"


class Conflict(AppError):
    status = 409
    code = "conflict"


class Unauthorized(AppError):
    status = 401
    code = "unauthorized"


class Forbidden(AppError):
    status = 403
    code = "forbidden"


class Unprocessable(AppError):
    status = 422
    code = "unprocessable"


class MalformedJson(AppError):
    """The body is not JSON at all (a wrong value in valid JSON is a 422)."""

    status = 400
    code = "malformed_json"


class TooManyRequests(AppError):
    status = 429
    code = "rate_limited"


class DatabaseUnavailable(AppError):
    """The database cannot be reached, refuses connections, or every pooled connection is busy:
    nothing was changed, the same request can be sent again after ``Retry-After`` seconds."""

    status = 503
    code = "database_unavailable"


RETRY_AFTER_SECONDS = "2"
# SQLSTATE classes and codes that mean the server, not the request, failed: connection
# exceptions (08), shutting down or not accepting connections yet (57P0x), too many connections,
# a statement cancelled by the statement timeout (57014).
_UNAVAILABLE_SQLSTATES = ("08", "57P01", "57P02", "57P03", "53300", "57014")


class RequestInvalid(Unprocessable):
    """A parameter or the body does not match the operation's schema; ``errors`` lists them."""

    code = "validation_error"


class ValueNotStorable(Unprocessable):
    """A value PostgreSQL cannot store (a NUL character, a number out of range…)."""

    code = "invalid_value"


class CurrencyMismatch(Unprocessable):
    """An amount given with a ``currency`` other than the one of what it is paid into or priced in
    (the ticket office's, the organization's, the invoice's)."""

    code = "currency_mismatch"


class ValueRequired(Unprocessable):
    """A null where the database needs a value (the schemas refuse it first)."""

    code = "value_required"


STATUS_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    409: "conflict",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "validation_error",
    429: "rate_limited",
    500: "internal_error",
    503: "service_unavailable",
}


def problem_response(
    status: int,
    code: str | None = None,
    detail: str | None = None,
    *,
    headers: dict[str, str] | None = None,
    **extra: Any,
) -> JSONResponse:
    body: dict[str, Any] = {
        "type": "about:blank",
        "title": HTTPStatus(status).phrase,
        "status": status,
        "detail": detail,
        "code": code or STATUS_CODES.get(status, "error"),
    }
    body.update(extra)
    return JSONResponse(body, status_code=status, headers=headers, media_type=PROBLEM_MEDIA_TYPE)


_DEPENDENCY_PROBLEMS: dict[Any, tuple[type["AppError"], ...]] = {}

_T = TypeVar("_T")


def raises(*problems: type[AppError]) -> Callable[[_T], _T]:
    """Declares the errors a dependency (a function, or a class whose instances are dependencies)
    can raise: every route depending on it documents them, so no route has to repeat them."""

    def declare(dependency: _T) -> _T:
        _DEPENDENCY_PROBLEMS[dependency] = (*_DEPENDENCY_PROBLEMS.get(dependency, ()), *problems)
        return dependency

    return declare


def dependency_problems(dependant: Dependant) -> list[type[AppError]]:
    """The errors declared (``raises``) by a route's dependencies, at any depth."""
    found: list[type[AppError]] = []
    for sub in dependant.dependencies:
        call = sub.call
        for key in (call, type(call)):
            with suppress(TypeError):  # an unhashable callable declares nothing
                found.extend(_DEPENDENCY_PROBLEMS.get(key, ()))
        found.extend(dependency_problems(sub))
    return found


def problem_responses(*errors: int | type[AppError]) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses=`` entries for what a route can answer besides success: the error
    classes it raises (each its status and stable ``code``) and bare statuses. Each status lists
    its codes in the description and in ``x-problem-codes``."""
    return with_problems({}, errors)


def with_problems(
    responses: dict[int | str, dict[str, Any]], errors: Iterable[int | type[AppError]]
) -> dict[int | str, dict[str, Any]]:
    """``responses`` with the statuses and codes of ``errors`` added (idempotent)."""
    codes: dict[int, list[str]] = {}
    for status, response in responses.items():
        if str(status).isdigit() and "x-problem-codes" in response:
            codes.setdefault(int(status), []).extend(response["x-problem-codes"])
    for error in errors:
        status, code = (error, None) if isinstance(error, int) else (error.status, error.code)
        listed = codes.setdefault(status, [])
        if code and code not in listed:
            listed.append(code)
    merged = dict(responses)
    for status, listed in sorted(codes.items()):
        listed = listed or [STATUS_CODES.get(status, "error")]  # a bare status: its default code
        description = HTTPStatus(status).phrase + ": " + ", ".join(f"`{c}`" for c in listed)
        entry: dict[str, Any] = {
            "description": description,
            "content": {PROBLEM_MEDIA_TYPE: {"schema": {"$ref": "#/components/schemas/Problem"}}},
            "x-problem-codes": listed,
        }
        merged.pop(str(status), None)
        merged[status] = entry
    return merged


def _field_errors(exc: RequestValidationError) -> list[dict[str, Any]]:
    return [
        {
            "loc": [str(part) if not isinstance(part, int) else part for part in error["loc"]],
            "msg": error["msg"],
            "type": error["type"],
        }
        for error in exc.errors()
    ]


async def _app_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, AppError)
    return problem_response(exc.status, exc.code, exc.detail, headers=exc.headers, **exc.extra)


async def _validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = _field_errors(exc)
    if any(error["type"] == "json_invalid" for error in errors):
        return await _app_error(request, MalformedJson("The request body is not valid JSON."))
    return await _app_error(request, RequestInvalid("The request is not valid.", errors=errors))


async def _http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    detail = exc.detail if isinstance(exc.detail, str) else None
    headers = dict(getattr(exc, "headers", None) or {})
    if exc.status_code == 404 and detail == "Not Found":
        detail = f"No route matches {request.url.path}."
    if exc.status_code == 405:
        headers["Allow"] = allowed_methods(request)
    return problem_response(exc.status_code, None, detail, headers=headers or None)


async def _database_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, DBAPIError)
    sqlstate = getattr(exc.orig, "sqlstate", None) or getattr(
        getattr(exc.orig, "__cause__", None), "sqlstate", None
    )
    # 22xxx are data exceptions: text PostgreSQL cannot store (NUL), numbers out of range…
    if sqlstate and str(sqlstate).startswith("22"):
        return await _app_error(
            request, ValueNotStorable("A value in the request cannot be stored.")
        )
    # A safety net: a null for a field that cannot be null is refused by the schemas first.
    if sqlstate == NOT_NULL_VIOLATION:
        return await _app_error(request, ValueRequired("A required value is missing."))
    if exc.connection_invalidated or (
        sqlstate and str(sqlstate).startswith(_UNAVAILABLE_SQLSTATES)
    ):
        return await _unavailable(request, exc)
    return await _unexpected_error(request, exc)


async def _unavailable(request: Request, exc: Exception) -> JSONResponse:
    """The database is down, restarting or saturated (a refused or lost connection, the pool's
    wait exceeded): 503 at once, so that clients and load balancers retry instead of waiting."""
    log.warning("database_unavailable", error=type(exc).__name__, path=request.url.path)
    error = DatabaseUnavailable(
        "The database is unavailable; retry shortly.",
        headers={"Retry-After": RETRY_AFTER_SECONDS},
    )
    return await _app_error(request, error)


async def _unexpected_error(request: Request, exc: Exception) -> JSONResponse:
    log.error(
        "unhandled_exception",
        exc_info=exc,
        path=request.url.path,
        method=request.method,
    )
    return problem_response(
        500, "internal_error", "An unexpected error occurred; it has been logged."
    )


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(AppError, _app_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(DBAPIError, _database_error)
    # A refused connection reaches the route as the socket's error; a pool that stays exhausted
    # for its timeout, as SQLAlchemy's TimeoutError.
    app.add_exception_handler(OSError, _unavailable)
    app.add_exception_handler(PoolTimeout, _unavailable)
    app.add_exception_handler(Exception, _unexpected_error)
