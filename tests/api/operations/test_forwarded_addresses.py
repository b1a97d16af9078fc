"""PARLEY_TRUSTED_PROXIES: whose X-Forwarded-For is believed, and that every
limiter and log line then sees the same client address."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

import httpx
import pytest
from fastapi import FastAPI
from pydantic import ValidationError

from parley.config import Settings
from tests.conftest import CapturedLogs

MAPPER = "/jitsi/conferenceMapper"


@asynccontextmanager
async def client_from(
    make_app: Callable[..., FastAPI], peer: str, **settings: object
) -> AsyncIterator[httpx.AsyncClient]:
    app = make_app(dial_in_max_failures_per_source=2, **settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app, client=(peer, 40000))
        async with httpx.AsyncClient(
            transport=transport, base_url="http://test"
        ) as http:
            yield http


async def guess(http: httpx.AsyncClient, number: int, forwarded_for: str) -> int:
    response = await http.get(
        MAPPER,
        params={"id": str(8_000_000 + number)},
        headers={"X-Forwarded-For": forwarded_for},
    )
    return response.status_code


async def test_forwarded_for_is_ignored_without_trusted_proxies(
    make_app: Callable[..., FastAPI], captured_logs: CapturedLogs
) -> None:
    async with client_from(make_app, "127.0.0.1") as http:
        statuses = [await guess(http, n, f"198.51.100.{n}") for n in range(1, 4)]
    # Three forged addresses, one budget of two failures: the peer's.
    assert statuses == [200, 200, 429]
    assert {line["client"] for line in captured_logs.access()} == {"127.0.0.1"}


async def test_a_trusted_proxy_gives_each_client_its_own_budget(
    make_app: Callable[..., FastAPI], captured_logs: CapturedLogs
) -> None:
    async with client_from(
        make_app, "10.1.2.3", trusted_proxies="127.0.0.1, 10.0.0.0/8"
    ) as http:
        first = [await guess(http, n, "198.51.100.7") for n in range(1, 4)]
        second = await guess(http, 4, "198.51.100.8")
        # A chain: the right-most address no trusted proxy vouches for.
        chained = await guess(http, 5, "203.0.113.9, 198.51.100.9, 10.9.9.9")
    assert first == [200, 200, 429]
    assert second == 200
    assert chained == 200
    clients = [line["client"] for line in captured_logs.access()]
    assert clients == ["198.51.100.7"] * 3 + ["198.51.100.8", "198.51.100.9"]


async def test_an_untrusted_peer_cannot_forward(
    make_app: Callable[..., FastAPI],
) -> None:
    async with client_from(
        make_app, "203.0.113.50", trusted_proxies="10.0.0.0/8"
    ) as http:
        statuses = [await guess(http, n, f"198.51.100.{n}") for n in range(1, 4)]
    assert statuses == [200, 200, 429]


@pytest.mark.parametrize("value", ["proxy.example.com", "10.0.0.0/33", "*"])
def test_trusted_proxies_must_be_addresses_or_networks(value: str) -> None:
    with pytest.raises(ValidationError, match="trusted_proxies"):
        Settings(trusted_proxies=value)
