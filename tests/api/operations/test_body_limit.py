"""PARLEY_MAX_BODY_BYTES: one limit for every route's body, 413 with ErrorBody."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable

import httpx
import pytest
from fastapi import FastAPI

LIMIT = 4096
OVERFLOW = {
    "code": "payload_overflow",
    "message": f"The request body is larger than {LIMIT} bytes",
}


@pytest.fixture
async def http(make_app: Callable[..., FastAPI]) -> AsyncIterator[httpx.AsyncClient]:
    app = make_app(max_body_bytes=LIMIT)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(
            transport=transport, base_url="http://test"
        ) as client:
            yield client


def oversized_room() -> bytes:
    return json.dumps({"password": "x" * LIMIT}).encode()


async def chunks(data: bytes, size: int = 1000) -> AsyncIterator[bytes]:
    for start in range(0, len(data), size):
        yield data[start : start + size]


@pytest.mark.parametrize(
    ("method", "path", "content_type"),
    [
        ("POST", "/v1/rooms", "application/json"),
        ("POST", "/v1/events", "application/json"),
        ("PATCH", "/v1/users/me", "application/json"),
        ("POST", "/api/v1/misc/generate-token", "application/json"),
        ("POST", "/jitsi/conference", "application/x-www-form-urlencoded"),
        ("POST", "/v1/no/such/route", "application/json"),
    ],
)
async def test_every_route_refuses_a_body_over_the_limit(
    http: httpx.AsyncClient,
    alice: dict[str, str],
    method: str,
    path: str,
    content_type: str,
) -> None:
    response = await http.request(
        method,
        path,
        content=oversized_room(),
        headers={**alice, "Content-Type": content_type},
    )
    assert response.status_code == 413
    assert response.json() == OVERFLOW
    assert response.headers["connection"] == "close"


async def test_a_chunked_body_is_refused_once_it_passes_the_limit(
    http: httpx.AsyncClient, alice: dict[str, str]
) -> None:
    response = await http.post(
        "/v1/rooms",
        content=chunks(oversized_room()),
        headers={**alice, "Content-Type": "application/json"},
    )
    assert response.status_code == 413
    assert response.json() == OVERFLOW


async def test_a_refused_body_changes_nothing(
    http: httpx.AsyncClient, alice: dict[str, str]
) -> None:
    before = (await http.get("/v1/rooms", headers=alice)).json()
    await http.post(
        "/v1/rooms",
        content=oversized_room(),
        headers={**alice, "Content-Type": "application/json"},
    )
    assert (await http.get("/v1/rooms", headers=alice)).json() == before


@pytest.mark.parametrize("streamed", [False, True])
async def test_a_body_within_the_limit_goes_through(
    http: httpx.AsyncClient, alice: dict[str, str], streamed: bool
) -> None:
    body = json.dumps({"password": "x" * 200}).encode()
    response = await http.post(
        "/v1/rooms",
        content=chunks(body) if streamed else body,
        headers={**alice, "Content-Type": "application/json"},
    )
    assert response.status_code == 201, response.text
