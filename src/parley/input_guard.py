"""Text no database column can hold is refused at the edge, once for every route.

PostgreSQL's text types cannot store U+0000 (it answers
CharacterNotInRepertoire, which would be a 500); SQLite would store it and make the
two databases disagree. So a NUL anywhere in a request's text, in a path or query
parameter, a JSON string or object key, or a form field, is refused before any
handler runs: 400 `bad_request` for path, query and form values, 422
`validation_failed` for JSON body fields, each naming the field, in the error shape
of the surface (ErrorBody for every API dialect; surfaces with their own shape
register a renderer in `refusal_renderers`). The guard is the app's dependency
(parley.main), so a new route is covered without doing anything.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping
from typing import Any
from urllib.parse import parse_qsl

from fastapi import FastAPI
from starlette.requests import HTTPConnection, Request
from starlette.responses import Response

from parley.errors import AppError, FieldError, error_response
from parley.hooks import Hooks

NUL = "\x00"
MESSAGE = "must not contain NUL characters (U+0000)"
# A NUL reaches a JSON text only escaped (raw control characters are invalid JSON).
_JSON_NUL = b"\\u0000"
_FORM_NUL = (b"%00", b"\x00")
_FORM_TYPE = "application/x-www-form-urlencoded"
# Larger forms are left to their route, which refuses them unread (Jitsi's and the
# OpenID provider's take at most 16 KiB); JSON bodies are read by FastAPI anyway.
MAX_INSPECTED_FORM_BYTES = 64 * 1024


def _shown(name: str) -> str:
    # The field name itself may carry the NUL (an object key): show it escaped.
    return name.replace(NUL, "\\u0000") or "body"


class NulRefused(AppError):
    """Text with a NUL in a path, query or form value: 400, naming the fields."""

    status_code = 400
    code = "bad_request"

    def __init__(self, fields: list[str]) -> None:
        self.fields = [_shown(name) for name in dict.fromkeys(fields)]
        super().__init__(
            "; ".join(f"{name}: {MESSAGE}" for name in self.fields),
            errors=[
                FieldError(field=name, code="invalid_value", message=MESSAGE)
                for name in self.fields
            ],
        )


class NulRefusedInBody(NulRefused):
    """Text with a NUL in a JSON body: 422, as any invalid body value."""

    status_code = 422
    code = "validation_failed"


# Surfaces whose errors are not ErrorBody answer the refusal in their own shape:
# each renderer returns a response for the requests of its surface, else None.
RefusalRenderer = Callable[[HTTPConnection, NulRefused], Response | None]
refusal_renderers: Hooks[RefusalRenderer] = Hooks(
    "answer a NUL refusal in a surface's own error shape"
)


def _json_paths(value: Any, path: str = "") -> Iterator[str]:
    """Paths (`a.b.0.c`, as body validation errors name fields) of strings with a NUL."""
    if isinstance(value, str):
        if NUL in value:
            yield path
    elif isinstance(value, dict):
        for key, item in value.items():
            child = f"{path}.{key}" if path else str(key)
            if NUL in key:
                yield child
            else:
                yield from _json_paths(item, child)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _json_paths(item, f"{path}.{index}" if path else str(index))


def refuse_nul_in_json(value: Any) -> None:
    """Refuse a parsed JSON body with a NUL anywhere (for bodies read by hand)."""
    _refuse(list(_json_paths(value)), in_json=True)


def _pair_names(pairs: Iterator[tuple[str, str]]) -> list[str]:
    return [name for name, value in pairs if NUL in name or NUL in value]


def _refuse(names: list[str], *, in_json: bool = False) -> None:
    if names:
        raise (NulRefusedInBody if in_json else NulRefused)(names)


def _media_type(connection: HTTPConnection) -> str:
    return connection.headers.get("content-type", "").split(";")[0].strip().lower()


def _is_json(media_type: str) -> bool:
    return media_type == "application/json" or media_type.endswith("+json")


async def _form_pairs(request: Request) -> Iterator[tuple[str, str]]:
    length = request.headers.get("content-length", "")
    if length.isdigit() and int(length) > MAX_INSPECTED_FORM_BYTES:
        return iter(())
    try:
        raw = await request.body()
    except RuntimeError:
        # FastAPI already parsed the form of a route with Form fields.
        form = await request.form()
        return ((name, value) for name, value in form.items() if isinstance(value, str))
    if not any(marker in raw for marker in _FORM_NUL):
        return iter(())
    return iter(
        parse_qsl(raw.decode("utf-8", errors="replace"), keep_blank_values=True)
    )


async def _json_nul_paths(request: Request) -> list[str]:
    raw = await request.body()
    if _JSON_NUL not in raw:
        return []
    try:
        data = json.loads(raw)
    except ValueError:
        return []  # malformed JSON: the body parser answers 400 invalid_json
    return list(_json_paths(data))


async def refuse_nul_characters(connection: HTTPConnection) -> None:
    """App-wide dependency: refuse every field whose text holds a NUL, naming it."""
    params: Mapping[str, Any] = connection.path_params
    _refuse(
        [
            name
            for name, value in params.items()
            if isinstance(value, str) and NUL in value
        ]
        + _pair_names(iter(connection.query_params.multi_items()))
    )
    if not isinstance(connection, Request):
        return  # a websocket: its messages are not stored as they come
    media_type = _media_type(connection)
    if _is_json(media_type) or not media_type:
        _refuse(await _json_nul_paths(connection), in_json=True)
    if media_type == _FORM_TYPE or not media_type:
        # A body without a type is read as a form by the Jitsi surface (Prosody).
        _refuse(_pair_names(await _form_pairs(connection)))


async def _refusal_handler(connection: HTTPConnection, exc: Exception) -> Response:
    assert isinstance(exc, NulRefused)
    for renderer in refusal_renderers:
        response = renderer(connection, exc)
        if response is not None:
            return response
    return error_response(exc.status_code, exc.body())


def install(app: FastAPI) -> None:
    """How a refusal is answered (the guard itself is the app's dependency)."""
    app.add_exception_handler(NulRefused, _refusal_handler)
