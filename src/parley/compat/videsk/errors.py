"""Videsk's errors: Feathers' `{name, message, code, className}` throughout."""

from __future__ import annotations

from typing import Any

from fastapi import Request, Response
from pydantic import BaseModel

from parley.errors import AppError

# Feathers' error classes (@feathersjs/errors): status -> (name, className).
FEATHERS = {
    400: ("BadRequest", "bad-request"),
    401: ("NotAuthenticated", "not-authenticated"),
    403: ("Forbidden", "forbidden"),
    404: ("NotFound", "not-found"),
    405: ("MethodNotAllowed", "method-not-allowed"),
    409: ("Conflict", "conflict"),
    429: ("TooManyRequests", "too-many-requests"),
    500: ("GeneralError", "general-error"),
    503: ("Unavailable", "unavailable"),
}


class FeathersError(BaseModel):
    name: str
    message: str
    code: int
    className: str


def feathers_body(status: int, message: str) -> dict[str, Any]:
    name, class_name = FEATHERS.get(status, FEATHERS[500])
    return FeathersError(
        name=name, message=message, code=status, className=class_name
    ).model_dump()


class VideskErrors:
    """Parley's statuses mapped onto Feathers' classes (422 and 413 are BadRequest)."""

    def render(self, status: int, message: str, code: str) -> dict[str, Any]:
        return feathers_body(status, message)

    def status(self, status: int) -> int:
        if status in (413, 415, 422):
            return 400
        return status if status in FEATHERS else 500

    def decorate(self, request: Request, response: Response) -> None:
        return None


class DeletionForbidden(AppError):
    """The document's answer to every DELETE, word for word."""

    status_code = 403
    code = "forbidden"
    default_message = "Not allowed"
