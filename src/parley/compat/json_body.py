"""Request bodies of the dialects: read raw, bounded, parsed as JSON whatever the
Content-Type says, NUL characters refused (by parley.input_guard's rule).

EasyCalendar's documentation sends JSON with ``curl --data`` (which labels it
``application/x-www-form-urlencoded``), and two of its samples are not quite
JSON: a comma missing between two members, the final ``}`` missing. With
``forgiving=True`` exactly those two slips are repaired: a ``,`` is inserted
where the parser expected one and a string (the next member's name or the next
element) follows, and containers still open at the end of the body are closed.
Anything else malformed stays an error naming line and column. (A general
"repair anything" library would turn arbitrary text into some JSON value and so
accept bodies that a client never meant; see docs/decisions.md.)
"""

from __future__ import annotations

import json
from typing import Any, Final, TypeVar

from fastapi import Request
from pydantic import BaseModel, ValidationError
from starlette.requests import ClientDisconnect

from parley.errors import BadRequest
from parley.input_guard import refuse_nul_in_json

MAX_BODY_BYTES: Final = 64 * 1024
_MAX_REPAIRS: Final = 16
_MISSING_COMMA: Final = "Expecting ',' delimiter"


class InvalidBody(BadRequest):
    code = "invalid_json"
    default_message = "The request body is not valid JSON"


async def read_body(request: Request, *, max_bytes: int = MAX_BODY_BYTES) -> bytes:
    """The raw body, refusing (400) one larger than ``max_bytes`` without reading it all."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > max_bytes:
        raise InvalidBody(f"The request body is larger than {max_bytes} bytes")
    chunks: list[bytes] = []
    size = 0
    try:
        async for chunk in request.stream():
            size += len(chunk)
            if size > max_bytes:
                raise InvalidBody(f"The request body is larger than {max_bytes} bytes")
            chunks.append(chunk)
    except ClientDisconnect:
        # Nobody is left to answer; not a server error worth a traceback.
        raise InvalidBody("The client went away while sending the body") from None
    return b"".join(chunks)


async def read_json(
    request: Request, *, forgiving: bool = False, max_bytes: int = MAX_BODY_BYTES
) -> Any:
    """The parsed body; ``None`` when it is empty (only whitespace)."""
    raw = await read_body(request, max_bytes=max_bytes)
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InvalidBody("The request body is not UTF-8") from None
    if not text.strip():
        return None
    value = loads_forgiving(text) if forgiving else _loads(text)
    # curl --data labels JSON as a form, which the app-wide guard reads as one.
    refuse_nul_in_json(value)
    return value


def _loads(text: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise _invalid(exc) from None
    except RecursionError:
        raise InvalidBody("The request body is nested too deeply") from None


def _invalid(exc: json.JSONDecodeError) -> InvalidBody:
    return InvalidBody(
        f"The request body is not valid JSON: {exc.msg} "
        f"(line {exc.lineno}, column {exc.colno})"
    )


def loads_forgiving(text: str) -> Any:
    """JSON, with a missing ``,`` before a string and unclosed containers at the end
    repaired (see the module docstring)."""
    original_error: json.JSONDecodeError | None = None
    for _ in range(_MAX_REPAIRS):
        try:
            return json.loads(text)
        except json.JSONDecodeError as exc:
            original_error = original_error or exc
            repaired = _repair(text, exc)
            if repaired is None:
                break
            text = repaired
        except RecursionError:
            raise InvalidBody("The request body is nested too deeply") from None
    assert original_error is not None
    raise _invalid(original_error)


def _repair(text: str, exc: json.JSONDecodeError) -> str | None:
    if exc.msg != _MISSING_COMMA:
        return None
    if exc.pos < len(text) and text[exc.pos] == '"':
        return text[: exc.pos] + "," + text[exc.pos :]
    if exc.pos >= len(text.rstrip()):
        closers = _unclosed(text)
        return text + closers if closers else None
    return None


def _unclosed(text: str) -> str:
    """The brackets that close what is still open at the end of ``text``."""
    stack: list[str] = []
    in_string = escaped = False
    for char in text:
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "{[":
            stack.append("}" if char == "{" else "]")
        elif char in "}]" and stack:
            stack.pop()
    return "" if in_string else "".join(reversed(stack))


M = TypeVar("M", bound=BaseModel)


def parse_model(model: type[M], data: Any) -> M:
    """``data`` as ``model``; a 400 naming each bad field otherwise."""
    if not isinstance(data, dict):
        raise InvalidBody("The request body must be a JSON object")
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise InvalidBody(describe_errors(exc)) from None


def describe_errors(exc: ValidationError) -> str:
    """``title: String should have at most 255 characters; email: ...``"""
    parts = []
    for error in exc.errors(include_url=False):
        location = ".".join(str(part) for part in error.get("loc", ()))
        message = str(error.get("msg", "is invalid")).removeprefix("Value error, ")
        if error.get("type") == "missing":
            message = "is required"
        parts.append(f"{location}: {message}" if location else message)
    return "; ".join(parts)
