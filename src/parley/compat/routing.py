"""Routes whose errors leave in a dialect's own shape, and a dialect's catch-all.

Each dialect (EasyCalendar's ``{status, message}``, Videsk's Feathers errors)
gives a :class:`DialectErrors`: how to shape a failure from its status, message
and Parley code. Failures are classified once, by the app's own handlers
(``parley.errors.error_response_for``: AppErrors, validation, database and Redis
outages, anything unexpected); the dialect only reshapes what they answer, so a
client of the dialect never sees Parley's ``{code, message}`` body, and never a
traceback. ``dialect_route`` makes the APIRoute class of a dialect's router;
``add_catch_all`` answers unknown paths (404) and wrong methods (405) under the
dialect's prefix in the same shape.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Coroutine
from typing import Any, Protocol

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from pydantic import BaseModel
from starlette.routing import Match

from parley.errors import error_response_for

Endpoint = Callable[[Request], Coroutine[Any, Any, Response]]


class DialectErrors(Protocol):
    def render(self, status: int, message: str, code: str) -> dict[str, Any]:
        """The dialect's body for a failure."""
        ...

    def status(self, status: int) -> int:
        """The status the dialect answers for Parley's (e.g. 422 → 400)."""
        ...

    def decorate(self, request: Request, response: Response) -> None:
        """Add what every response of the dialect carries (e.g. rate-limit headers)."""
        ...


def _message(body: dict[str, Any]) -> str:
    """Parley's message, with the fields of a 422 named (``title: too long``)."""
    message = str(body.get("message") or "")
    fields = [
        f"{error['field']}: {error.get('message') or error.get('code')}"
        for error in body.get("errors") or []
        if isinstance(error, dict) and error.get("field")
    ]
    return "; ".join(fields) if fields else message


async def dialect_error_response(
    errors: DialectErrors, request: Request, exc: Exception
) -> Response:
    """``exc`` as the app would answer it, reshaped for the dialect."""
    parley = await error_response_for(request, exc)
    body = json.loads(bytes(parley.body))
    status = errors.status(parley.status_code)
    headers = {
        name: value
        for name, value in parley.headers.items()
        if name.lower() not in {"content-length", "content-type"}
    }
    response = JSONResponse(
        errors.render(status, _message(body), str(body.get("code", ""))),
        status_code=status,
        headers=headers,
    )
    errors.decorate(request, response)
    return response


def dialect_route(errors: DialectErrors) -> type[APIRoute]:
    """An APIRoute class rendering every failure of its endpoints in the dialect's shape."""

    class DialectRoute(APIRoute):
        def get_route_handler(self) -> Endpoint:
            handler = super().get_route_handler()

            async def shaped(request: Request) -> Response:
                try:
                    response = await handler(request)
                except Exception as exc:
                    return await dialect_error_response(errors, request, exc)
                errors.decorate(request, response)
                return response

            return shaped

    return DialectRoute


def add_catch_all(router: APIRouter, prefix: str, errors: DialectErrors) -> None:
    """404 (unknown path) or 405 (known path, other method) under ``prefix``.

    Add it last: it matches every path below ``prefix``.
    """
    known = [route for route in router.routes if isinstance(route, APIRoute)]

    async def not_found(request: Request) -> Response:
        partial = any(
            route.matches(request.scope)[0] is Match.PARTIAL for route in known
        )
        status, message = (
            (405, f"Method {request.method} is not allowed here")
            if partial
            else (404, f"Page not found: {request.url.path}")
        )
        code = "method_not_allowed" if partial else "not_found"
        response = JSONResponse(
            errors.render(status, message, code), status_code=status
        )
        errors.decorate(request, response)
        return response

    router.add_api_route(
        prefix + "/{path:path}",
        not_found,
        methods=["GET", "POST", "PUT", "PATCH", "DELETE"],
        include_in_schema=False,
    )


def json_request_body(
    model: type[BaseModel], *, required: bool = True
) -> dict[str, Any]:
    """``openapi_extra`` documenting a body the endpoint reads itself (raw JSON).

    The model's schema is inlined (its ``$defs`` resolved), since it is not one of
    the document's components.
    """
    schema = model.model_json_schema()
    definitions = schema.pop("$defs", {})

    def inline(node: Any) -> Any:
        if isinstance(node, dict):
            reference = node.get("$ref")
            if isinstance(reference, str) and reference.startswith("#/$defs/"):
                return inline(definitions[reference.removeprefix("#/$defs/")])
            return {key: inline(value) for key, value in node.items()}
        if isinstance(node, list):
            return [inline(item) for item in node]
        return node

    return {
        "requestBody": {
            "required": required,
            "content": {"application/json": {"schema": inline(schema)}},
        }
    }
