"""Text no database column can hold is refused at the edge, once for every route.

PostgreSQL's text types cannot store U+0000 (it answers
CharacterNotInRepertoire, which would be a 500); SQLite would store it and make the
two databases disagree. So a NUL anywhere in a request's text, in a path or query
parameter, a JSON string or object key, or a form field, is refused before any
handler runs, with the error shape every dialect already uses (parley.errors):
400 `bad_request` for path, query and form values, 422 `validation_failed` for JSON
body fields, each naming the field. Installed as an app-wide dependency
(parley.main), so a new route is covered without doing anything.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from typing import Any
from urllib.parse import parse_qsl

from starlette.requests import HTTPConnection, Request

from parley.errors import BadRequest, FieldError, ValidationFailed

NUL = "\x00"
_MESSAGE = "must not contain NUL characters (U+0000)"
# A NUL reaches a JSON text only escaped (raw control characters are invalid JSON).
_JSON_NUL = b"\\u0000"
_FORM_NUL = (b"%00", b"\x00")
_JSON_TYPES = ("application/json",)
_FORM_TYPE = "application/x-www-form-urlencoded"


def _shown(name: str) -> str:
    # The field name itself may carry the NUL (an object key): show it escaped.
    return name.replace(NUL, "\\u0000")


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


def _pair_names(pairs: Iterator[tuple[str, str]]) -> list[str]:
    return [name for name, value in pairs if NUL in name or NUL in value]


def _refuse(names: list[str], error: type[BadRequest] | type[ValidationFailed]) -> None:
    if not names:
        return
    shown = [_shown(name) or "body" for name in dict.fromkeys(names)]
    raise error(
        "; ".join(f"{name}: {_MESSAGE}" for name in shown),
        errors=[
            FieldError(field=name, code="invalid_value", message=_MESSAGE)
            for name in shown
        ],
    )


def _media_type(connection: HTTPConnection) -> str:
    return connection.headers.get("content-type", "").split(";")[0].strip().lower()


async def _form_pairs(request: Request) -> Iterator[tuple[str, str]]:
    try:
        raw = await request.body()
    except RuntimeError:
        # FastAPI already parsed the form of a route with Form fields.
        form = await request.form()
        return ((name, value) for name, value in form.items() if isinstance(value, str))
    if not any(marker in raw for marker in _FORM_NUL):
        return iter(())
    text = raw.decode("utf-8", errors="replace")
    return iter(parse_qsl(text, keep_blank_values=True))


async def _json_nul_paths(request: Request) -> list[str]:
    raw = await request.body()
    if _JSON_NUL not in raw:
        return []
    try:
        data = json.loads(raw)
    except ValueError:
        return []  # malformed JSON: the body parser answers 400 invalid_json
    return list(_json_paths(data))


def _is_json(media_type: str) -> bool:
    return media_type in _JSON_TYPES or media_type.endswith("+json")


async def refuse_nul_characters(connection: HTTPConnection) -> None:
    """App-wide dependency: 400/422 naming every field whose text holds a NUL."""
    params: Mapping[str, Any] = connection.path_params
    _refuse(
        [
            name
            for name, value in params.items()
            if isinstance(value, str) and NUL in value
        ]
        + _pair_names(iter(connection.query_params.multi_items())),
        BadRequest,
    )
    if not isinstance(connection, Request):
        return  # a websocket: its messages are checked by their own parsers
    media_type = _media_type(connection)
    if _is_json(media_type) or not media_type:
        _refuse(await _json_nul_paths(connection), ValidationFailed)
    if media_type == _FORM_TYPE or not media_type:
        # A body without a type is read as a form by the Jitsi surface (Prosody).
        _refuse(_pair_names(await _form_pairs(connection)), BadRequest)
