"""A NUL character (U+0000) in any text is refused at the edge, on every route.

PostgreSQL cannot store it (a 500 before), SQLite would. The operations and their
text inputs are read from the app's OpenAPI document, so a new route or field is
swept without editing this file: every path and query parameter, every string in
a JSON body (nested objects, list items, map values) and every form field.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlencode

import httpx
from fastapi import FastAPI

from parley.db import Database
from parley.input_guard import NUL
from tests.api.oidc.conftest import provider_settings
from tests.api.snapshots import snapshot

POISON = f"a{NUL}b"
MESSAGE = "must not contain NUL characters (U+0000)"
METHODS = ("get", "put", "post", "delete", "patch")
# Error bodies of the dialects that have their own (by the operation's tag).
DIALECT_SHAPES: dict[str, dict[str, Any]] = {
    "easycalendar": {"status": "error"},
    "videsk": {"name": "BadRequest", "code": 400, "className": "bad-request"},
}
FORM = "application/x-www-form-urlencoded"
JSON = "application/json"


@dataclass(frozen=True)
class Target:
    """One text input of one operation."""

    location: str  # path, query, json or form
    field: tuple[str | int, ...]

    @property
    def name(self) -> str:
        return ".".join(str(part) for part in self.field)


def _resolve(schema: dict[str, Any], document: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        schema = document["components"]["schemas"][name]
    return schema


def string_fields(
    schema: dict[str, Any],
    document: dict[str, Any],
    prefix: tuple[str | int, ...] = (),
    depth: int = 0,
) -> Iterator[tuple[str | int, ...]]:
    """Paths of every string a body of this schema may hold."""
    schema = _resolve(schema, document)
    if depth > 8:
        return
    for key in ("anyOf", "oneOf", "allOf"):
        for branch in schema.get(key, []):
            yield from string_fields(branch, document, prefix, depth + 1)
    kind = schema.get("type")
    if kind == "string" or (
        kind is None and isinstance(schema.get("const", schema.get("enum")), str | list)
    ):
        yield prefix
    if kind == "object" or "properties" in schema:
        for name, child in schema.get("properties", {}).items():
            yield from string_fields(child, document, (*prefix, name), depth + 1)
        extra = schema.get("additionalProperties")
        if isinstance(extra, dict) and extra:
            yield from string_fields(extra, document, (*prefix, "key"), depth + 1)
    if kind == "array" and isinstance(schema.get("items"), dict):
        yield from string_fields(schema["items"], document, (*prefix, 0), depth + 1)


def targets(operation: dict[str, Any], document: dict[str, Any]) -> list[Target]:
    found = [
        Target(parameter["in"], (parameter["name"],))
        for parameter in operation.get("parameters", [])
        if parameter["in"] in ("path", "query")
    ]
    content = operation.get("requestBody", {}).get("content", {})
    for media_type, location in ((JSON, "json"), (FORM, "form")):
        if media_type in content:
            fields = string_fields(content[media_type]["schema"], document)
            found += [Target(location, field) for field in dict.fromkeys(fields)]
    return found


def _placed(field: tuple[str | int, ...], value: str) -> Any:
    """A JSON value holding `value` at the path (lists for int steps)."""
    if not field:
        return value
    head, rest = field[0], field[1:]
    inner = _placed(rest, value)
    return [inner] if isinstance(head, int) else {head: inner}


def _filler(parameter: dict[str, Any], document: dict[str, Any]) -> str:
    schema = _resolve(parameter.get("schema", {}), document)
    kinds = {schema.get("type")} | {
        _resolve(branch, document).get("type") for branch in schema.get("anyOf", [])
    }
    if schema.get("format") == "uuid" or any(
        _resolve(b, document).get("format") == "uuid" for b in schema.get("anyOf", [])
    ):
        return str(uuid.uuid4())
    return "1" if "integer" in kinds else "x"


def request_for(
    path: str, operation: dict[str, Any], document: dict[str, Any], target: Target
) -> dict[str, Any]:
    """The request putting POISON into the target and harmless values elsewhere."""
    url = path
    for parameter in operation.get("parameters", []):
        if parameter["in"] != "path":
            continue
        value = (
            POISON
            if target == Target("path", (parameter["name"],))
            else _filler(parameter, document)
        )
        url = url.replace("{" + parameter["name"] + "}", quote(value, safe=""))
    request: dict[str, Any] = {"url": url}
    if target.location == "query":
        request["params"] = {target.name: POISON}
    elif target.location == "json":
        request["json"] = _placed(target.field, POISON)
    elif target.location == "form":
        request["content"] = urlencode({target.name: POISON}).encode()
        request["headers"] = {"Content-Type": FORM}
    return request


def operations(document: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, by_method in sorted(document["paths"].items()):
        for method, operation in sorted(by_method.items()):
            if method in METHODS:
                yield method, path, operation


def _problem(response: httpx.Response, target: Target, surface: str) -> str | None:
    """What is wrong with the refusal (None: refused as it should be)."""
    body = response.json()
    if surface == "oidc":
        # The OpenID provider's endpoints answer in OAuth's shape (RFC 6749 5.2).
        if (response.status_code, body.get("error")) != (400, "invalid_request"):
            return f"{response.status_code} {response.text[:200]}"
        if f"{target.name}: {MESSAGE}" not in body.get("error_description", ""):
            return f"does not name the field: {response.text[:200]}"
        return None
    if surface in DIALECT_SHAPES:
        # Dialects with their own error bodies: a 400 naming the field.
        shape = DIALECT_SHAPES[surface]
        if response.status_code != 400 or not shape.items() <= body.items():
            return f"{response.status_code} {response.text[:200]}"
        if f"{target.name}: {MESSAGE}" not in body.get("message", ""):
            return f"does not name the field: {response.text[:200]}"
        return None
    expected = (
        (422, "validation_failed")
        if target.location == "json"
        else (400, "bad_request")
    )
    if (response.status_code, body.get("code")) != expected:
        return f"{response.status_code} {response.text[:200]}"
    named = {"field": target.name, "code": "invalid_value", "message": MESSAGE}
    if (
        named not in body["errors"]
        or f"{target.name}: {MESSAGE}" not in body["message"]
    ):
        return f"does not name the field: {response.text[:200]}"
    return None


async def sweep(
    client: httpx.AsyncClient, database: Database, headers: dict[str, str], app: FastAPI
) -> tuple[list[str], int]:
    """Every operation of the app's document, every text input of each: what went
    wrong, and how many inputs were tried."""
    document = app.openapi()
    problems: list[str] = []
    swept = 0
    for method, path, operation in operations(document):
        tags = operation.get("tags", [])
        surface = next((t for t in tags if t in ("oidc", *DIALECT_SHAPES)), "")
        before = await snapshot(database)
        for target in targets(operation, document):
            request = request_for(path, operation, document, target)
            response = await client.request(
                method, headers={**headers, **request.pop("headers", {})}, **request
            )
            problem = _problem(response, target, surface)
            if problem is not None:
                where = f"{method.upper()} {path} {target.location} {target.name}"
                problems.append(f"{where}: {problem}")
            swept += 1
        if await snapshot(database) != before:
            problems.append(f"{method.upper()} {path}: changed stored data")
    return problems, swept


async def test_nul_in_any_text_input_is_refused_naming_it_and_changes_nothing(
    app: FastAPI,
    client: httpx.AsyncClient,
    database: Database,
    alice: dict[str, str],
) -> None:
    """Every operation of the app's document, every text input of each."""
    await client.get("/v1/users/me", headers=alice)  # Alice exists before the snapshot
    problems, swept = await sweep(client, database, alice, app)
    assert problems == []
    assert swept > 200  # the walk found the inputs (the next test checks which)


async def test_the_embedded_provider_refuses_nul_in_its_own_shapes(
    make_app: Callable[..., FastAPI], database: Database
) -> None:
    """With no external issuer the app is an OpenID provider: its OAuth endpoints
    answer RFC 6749 errors, its sign-in page HTML, the rest ErrorBody."""
    app = make_app(**provider_settings())
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(
            transport=transport, base_url="http://test"
        ) as http:
            problems, swept = await sweep(http, database, {}, app)
            assert problems == []
            assert any(
                "oidc" in operation.get("tags", [])
                for _, _, operation in operations(app.openapi())
            )
            page = await http.get("/oidc/auth", params={"client_id": POISON})
            assert page.status_code == 400
            assert page.headers["content-type"].startswith("text/html")
            assert f"client_id: {MESSAGE}" in page.text
    assert swept > 200


def test_the_sweep_reaches_every_kind_of_input(app: FastAPI) -> None:
    """Guards the sweep itself: the document walk finds what the issue lists."""
    document = app.openapi()
    found = {
        (method.upper(), path, target.location, target.name)
        for path, operations in document["paths"].items()
        for method, operation in operations.items()
        if method in METHODS
        for target in targets(operation, document)
    }
    for expected in [
        ("PATCH", "/v1/rooms/{room_id}", "json", "password"),
        ("POST", "/v1/events", "json", "title"),
        ("POST", "/v1/events", "json", "description"),
        ("POST", "/v1/events", "json", "starts_at.timezone"),
        ("POST", "/v1/events", "json", "streaming_targets.0.name"),
        ("POST", "/v1/events", "json", "recurrence_pattern.0"),
        ("PATCH", "/v1/users/me", "json", "display_name"),
        ("POST", "/v1/rooms/{room_id}/streaming_targets", "json", "name"),
        ("POST", "/v1/book/profiles", "json", "subject"),
        ("POST", "/v1/book/profiles", "json", "workHours.daySchedules.0.dayOfWeek"),
        (
            "POST",
            "/v1/book/{client_id}/{profile_name}/meeting",
            "json",
            "substitutionData.key",
        ),
        ("GET", "/v1/users/find", "query", "q"),
        ("POST", "/jitsi/conference", "form", "mail_owner"),
        ("POST", "/api/v1/scheduler/reservation", "json", "name"),
        ("POST", "/api/v1/misc/generate-token", "json", "user.name"),
        ("GET", "/api/v1/scheduler/reservation/room/{name}", "path", "name"),
    ]:
        assert expected in found, expected


async def test_nul_in_an_undeclared_query_parameter_or_a_key_is_refused(
    client: httpx.AsyncClient, alice: dict[str, str]
) -> None:
    undeclared = await client.get(
        "/v1/users/me", params={"debug": POISON}, headers=alice
    )
    assert undeclared.status_code == 400
    assert undeclared.json()["errors"][0]["field"] == "debug"
    key = await client.patch(
        "/v1/users/me", json={"display_name": "Al", f"x{NUL}y": 1}, headers=alice
    )
    assert key.status_code == 422
    assert key.json()["errors"][0]["field"] == "x\\u0000y"
    nested = await client.post(
        "/v1/events",
        json={
            "title": "t",
            "description": "",
            "is_time_independent": False,
            "is_all_day": False,
            "starts_at": {"datetime": "2030-01-07T08:00:00Z", "timezone": POISON},
            "ends_at": {"datetime": "2030-01-07T09:00:00Z", "timezone": "UTC"},
            "streaming_targets": [{"name": "ok"}, {"name": POISON}],
        },
        headers=alice,
    )
    assert nested.status_code == 422
    assert [e["field"] for e in nested.json()["errors"]] == [
        "starts_at.timezone",
        "streaming_targets.1.name",
    ]


async def test_escaped_backslashes_are_not_nul(
    client: httpx.AsyncClient, alice: dict[str, str]
) -> None:
    """`\\\\u0000` in JSON is a backslash and the text u0000, which is fine."""
    response = await client.patch(
        "/v1/users/me", json={"display_name": "back\\u0000slash"}, headers=alice
    )
    assert response.status_code == 200, response.text
    assert response.json()["display_name"] == "back\\u0000slash"
