"""One error type, one body: every failure leaves as the spec's ErrorBody.

Error `code` strings are API: snake_case, never renamed. Codes in use:
bad_request, invalid_json, invalid_content_type, unauthorized, invalid_claims,
forbidden, not_found, method_not_allowed, conflict, validation_failed,
query_too_short, service_unavailable, internal_server_error, payload_overflow
(413, parley.middleware), request_timeout (408), uri_too_long (414) and
request_header_fields_too_large (431) (the last three from parley.server),
plus the domain codes declared by AppError subclasses in each package.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any, ClassVar

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError, StatementError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from starlette.exceptions import HTTPException as StarletteHTTPException

from parley import metrics
from parley.middleware import route_template
from parley.signaling.state.errors import StateUnavailable

logger = logging.getLogger(__name__)


class FieldError(BaseModel):
    """One entry of a 422 body's `errors` list."""

    field: str | None = None
    code: str
    message: str | None = None


class ErrorBody(BaseModel):
    """The body of every error response."""

    code: str
    message: str
    errors: list[FieldError] | None = None


class AppError(Exception):
    """Base for errors a client may cause or a dependency may raise."""

    status_code: ClassVar[int] = 500
    code: ClassVar[str] = "internal_server_error"
    default_message: ClassVar[str] = "An internal server error occurred"
    login_failure: ClassVar[str | None] = None
    """Set on errors meaning "the presented credential is wrong": the kind
    counted in the ``parley_login_failures`` metric."""

    def __init__(
        self,
        message: str | None = None,
        *,
        headers: dict[str, str] | None = None,
        errors: list[FieldError] | None = None,
    ) -> None:
        self.message = message or self.default_message
        self.headers = headers
        self.errors = errors
        super().__init__(self.message)

    def body(self) -> dict[str, Any]:
        return ErrorBody(
            code=self.code, message=self.message, errors=self.errors
        ).model_dump(exclude_none=True)


class BadRequest(AppError):
    status_code = 400
    code = "bad_request"
    default_message = "The request is malformed"


class Unauthorized(AppError):
    status_code = 401
    code = "unauthorized"
    default_message = "Authentication is required"


class Forbidden(AppError):
    status_code = 403
    code = "forbidden"
    default_message = "You are not allowed to do this"


class NotFound(AppError):
    status_code = 404
    code = "not_found"
    default_message = "A requested resource could not be found"


class Conflict(AppError):
    status_code = 409
    code = "conflict"
    default_message = "The request conflicts with the current state"


class ValidationFailed(AppError):
    status_code = 422
    code = "validation_failed"
    default_message = "Some provided values are invalid"

    @classmethod
    def for_field(cls, field: str, code: str, message: str) -> ValidationFailed:
        """A 422 naming one field, as body validation would."""
        return cls(errors=[FieldError(field=field, code=code, message=message)])

    @classmethod
    def missing_values(cls) -> ValidationFailed:
        """An empty body where at least one field is required (struct-level: no field)."""
        return cls(
            errors=[
                FieldError(
                    code="missing_values", message="At least one field must be set"
                )
            ]
        )


class ServiceUnavailable(AppError):
    status_code = 503
    code = "service_unavailable"
    default_message = "A service this request needs is unavailable, try again later"


def _where(request: Request) -> str:
    # Websocket routes reach these handlers too (errors before the upgrade): no method.
    method = request.scope.get("method", "WEBSOCKET")
    # The route's template: a path can carry a secret (a feed token, an invite code).
    return f"{method} {route_template(request.scope)}"


def error_response(
    status_code: int, body: dict[str, Any], headers: dict[str, str] | None = None
) -> JSONResponse:
    return JSONResponse(body, status_code=status_code, headers=headers)


# Pydantic error types mapped onto the reference's field error codes (notes, section 3).
_FIELD_CODES = {
    "missing": "value_required",
    "string_too_long": "invalid_length",
    "string_too_short": "invalid_length",
    "too_long": "invalid_length",
    "too_short": "invalid_length",
    "greater_than": "out_of_range",
    "greater_than_equal": "out_of_range",
    "less_than": "out_of_range",
    "less_than_equal": "out_of_range",
    "url_parsing": "invalid_url",
    "url_scheme": "invalid_url",
    "url_type": "invalid_url",
    "url_too_long": "invalid_url",
}


def _field_error(error: dict[str, Any]) -> FieldError:
    location = [str(part) for part in error.get("loc", ())[1:]]
    message = str(error.get("msg", "invalid value"))
    code = _FIELD_CODES.get(str(error.get("type")), "invalid_value")
    if "email" in message.lower() and code == "invalid_value":
        code = "invalid_email"
    return FieldError(field=".".join(location) or None, code=code, message=message)


async def _validation_handler(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = list(exc.errors())
    if any(error.get("type") == "json_invalid" for error in errors):
        return error_response(
            400,
            {"code": "invalid_json", "message": "The request body is not valid JSON"},
        )
    fields = [_field_error(error) for error in errors]
    if any(error.get("loc", ("body",))[0] != "body" for error in errors):
        # Path and query parameters that do not parse are a malformed request (400),
        # like the reference's query deserialisation failure.
        parts = [
            f"{'.'.join(str(p) for p in e.get('loc', ()))}: {e.get('msg')}"
            for e in errors
        ]
        body = ErrorBody(
            code="bad_request", message="; ".join(parts), errors=fields
        ).model_dump(exclude_none=True)
        return error_response(400, body)
    body = ErrorBody(
        code="validation_failed",
        message="Some provided values are invalid",
        errors=fields,
    ).model_dump(exclude_none=True)
    return error_response(422, body)


def count_login_failure(exc: AppError) -> None:
    """Count an error meaning "wrong credential" (``AppError.login_failure``)."""
    if exc.login_failure is not None:
        metrics.LOGIN_FAILURES.labels(exc.login_failure).inc()


async def _app_error_handler(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, AppError)
    count_login_failure(exc)
    if exc.status_code >= 500:
        logger.warning("%s failed: %s", _where(request), exc.message)
    return error_response(exc.status_code, exc.body(), exc.headers)


_HTTP_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    413: "payload_overflow",
    415: "invalid_content_type",
}


async def _http_exception_handler(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    code = _HTTP_CODES.get(exc.status_code, "bad_request")
    message = exc.detail if isinstance(exc.detail, str) else code.replace("_", " ")
    if exc.status_code == 404 and message == "Not Found":
        message = "A requested resource could not be found"
    return error_response(
        exc.status_code, {"code": code, "message": message}, dict(exc.headers or {})
    )


async def _database_unavailable_handler(
    request: Request, exc: Exception
) -> JSONResponse:
    logger.error("database unavailable during %s: %s", _where(request), exc)
    return error_response(503, ServiceUnavailable("The database is unavailable").body())


async def _state_unavailable_handler(request: Request, exc: Exception) -> JSONResponse:
    # Redis (signaling state) is down: sessions cannot start, the rest of the API works.
    logger.error("signaling state unavailable during %s: %s", _where(request), exc)
    return error_response(
        503, ServiceUnavailable("The signaling state store is unavailable").body()
    )


async def _connection_error_handler(request: Request, exc: Exception) -> JSONResponse:
    logger.error("dependency unreachable during %s: %s", _where(request), exc)
    return error_response(503, ServiceUnavailable().body())


# SQLSTATE classes meaning "the database cannot serve now": connection exceptions,
# insufficient resources (too many clients), operator intervention (shutting down).
_UNAVAILABLE_SQLSTATES = ("08", "53", "57P")
# Caused by the values sent, not by the database's state (docs/decisions.md, "No 500
# from any input"): class 22 data exceptions (value out of range, string too long,
# bad text) and the constraint violations a value alone causes.
_DATA_SQLSTATE_CLASS = "22"
_VALUE_CONSTRAINT_SQLSTATES = ("23502", "23514")  # not null, check
_CONFLICT_SQLSTATE_CLASS = "23"  # unique, foreign key, exclusion: the data's state
# SQLite's extended result codes (sqlite3 errors carry them as sqlite_errorname).
_SQLITE_VALUE_ERRORS = (
    "SQLITE_TOOBIG",
    "SQLITE_MISMATCH",
    "SQLITE_RANGE",
    "SQLITE_CONSTRAINT_CHECK",
    "SQLITE_CONSTRAINT_NOTNULL",
)
_SQLITE_CONFLICTS = (
    "SQLITE_CONSTRAINT_UNIQUE",
    "SQLITE_CONSTRAINT_PRIMARYKEY",
    "SQLITE_CONSTRAINT_FOREIGNKEY",
)


def _driver_errors(exc: StatementError) -> tuple[BaseException, ...]:
    """The driver's exception and what it wraps (asyncpg's sit one level down)."""
    found = [exc.orig] if exc.orig is not None else []
    cause = getattr(exc.orig, "__cause__", None)
    if cause is not None:
        found.append(cause)
    return tuple(found)


def _sqlstate(exc: StatementError) -> str:
    for candidate in _driver_errors(exc):
        code = getattr(candidate, "sqlstate", None) or getattr(
            candidate, "pgcode", None
        )
        if isinstance(code, str):
            return code
    return ""


def _data_error_status(exc: StatementError) -> int | None:
    """422 for a value the database cannot take, 409 for one clashing with stored
    data, None when the error is not caused by the data."""
    state = _sqlstate(exc)
    if state.startswith(_DATA_SQLSTATE_CLASS) or state in _VALUE_CONSTRAINT_SQLSTATES:
        return 422
    if state.startswith(_CONFLICT_SQLSTATE_CLASS):
        return 409
    for candidate in _driver_errors(exc):
        name = getattr(candidate, "sqlite_errorname", "")
        if name in _SQLITE_VALUE_ERRORS:
            return 422
        if name in _SQLITE_CONFLICTS:
            return 409
        # Parameters the driver cannot encode (asyncpg's client-side DataError is a
        # ValueError; sqlite3 and SQLAlchemy raise OverflowError for huge numbers
        # and dates).
        if isinstance(candidate, ValueError | OverflowError):
            return 422
    return None


def _data_error_response(request: Request, exc: Exception, status: int) -> JSONResponse:
    logger.warning(
        "%s: the database refused a value (%s)", _where(request), exc, exc_info=exc
    )
    if status == 409:
        error: AppError = Conflict(
            "The request conflicts with data stored meanwhile; reload and try again"
        )
    else:
        error = ValidationFailed(
            "A value cannot be stored: it is out of range, too long or malformed"
        )
    return error_response(error.status_code, error.body())


async def _statement_error_handler(request: Request, exc: Exception) -> JSONResponse:
    """Database errors: the data's fault is 4xx, an outage 503, anything else 500."""
    assert isinstance(exc, StatementError)
    connection_lost = isinstance(exc, DBAPIError) and exc.connection_invalidated
    status = None if connection_lost else _data_error_status(exc)
    if status is not None:
        return _data_error_response(request, exc, status)
    if (
        connection_lost
        or isinstance(exc, OperationalError | InterfaceError)
        or _sqlstate(exc).startswith(_UNAVAILABLE_SQLSTATES)
    ):
        return await _database_unavailable_handler(request, exc)
    return await _unhandled_handler(request, exc)


async def _overflow_handler(request: Request, exc: Exception) -> JSONResponse:
    # A number or date beyond what Python or a driver can represent. Inputs are
    # bounded where they are accepted (parley.instants); this is the net under them.
    return _data_error_response(request, exc, 422)


async def _unhandled_handler(request: Request, exc: Exception) -> JSONResponse:
    logger.exception("unhandled error in %s", _where(request), exc_info=exc)
    return error_response(
        500,
        {
            "code": "internal_server_error",
            "message": "An internal server error occurred",
        },
    )


Handler = Callable[[Request, Exception], Awaitable[JSONResponse]]

_HANDLERS: dict[type[Exception], Handler] = {
    AppError: _app_error_handler,
    RequestValidationError: _validation_handler,
    StarletteHTTPException: _http_exception_handler,
    StatementError: _statement_error_handler,
    PoolTimeoutError: _database_unavailable_handler,
    OverflowError: _overflow_handler,
    StateUnavailable: _state_unavailable_handler,
    ConnectionError: _connection_error_handler,
    OSError: _connection_error_handler,
    Exception: _unhandled_handler,
}


async def error_response_for(request: Request, exc: Exception) -> JSONResponse:
    """The ErrorBody response the app's handlers give ``exc`` (most specific type first).

    Dialects with their own error shapes (parley.compat) start from this, so
    every failure is classified in one place.
    """
    for exc_type in type(exc).__mro__:
        handler = _HANDLERS.get(exc_type)
        if handler is not None:
            return await handler(request, exc)
    return await _unhandled_handler(request, exc)


def install_error_handlers(app: FastAPI) -> None:
    """Render every failure as ErrorBody; dependency outages as 503, never a traceback."""
    for exc_type, handler in _HANDLERS.items():
        app.add_exception_handler(exc_type, handler)
