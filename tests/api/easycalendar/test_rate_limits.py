"""EasyCalendar's rate limits: X-Rate-Limit-* on every response, 429 with Retry-After,
rate_limit_status, and one budget for two instances sharing Redis."""

from __future__ import annotations

import time
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager
from typing import Any

import httpx
import pytest

from parley.db import Database
from tests.api.easycalendar.helpers import API, easycalendar_headers
from tests.redis.state_helpers import delete_keys

AppClient = Callable[..., AbstractAsyncContextManager[httpx.AsyncClient]]
LIMITS = (
    "X-Rate-Limit-Limit",
    "X-Rate-Limit-Remaining",
    "X-Rate-Limit-Reset",
)


def rate_limit(response: httpx.Response) -> tuple[int, int, int]:
    limit, remaining, reset = (int(response.headers[name]) for name in LIMITS)
    return limit, remaining, reset


@pytest.fixture
async def redis_prefix(redis_url: str) -> AsyncIterator[str]:
    prefix = f"parley-easycalendar-test-{uuid.uuid4().hex}:"
    yield prefix
    await delete_keys(redis_url, prefix)


async def test_every_response_carries_the_headers_of_its_endpoint(
    client: httpx.AsyncClient, alice: dict[str, str], database: Database
) -> None:
    headers = await easycalendar_headers(client, database, alice)
    before = time.time()

    responses = [
        await client.get(f"{API}/meetings/list", headers=headers),  # 200
        await client.get(f"{API}/meetings/list", headers=headers),
        await client.get(f"{API}/meetings/list?limit=x", headers=headers),  # 400
        await client.get(f"{API}/meetings/get/1", headers=headers),  # 404
        await client.post(f"{API}/meetings/new", json={}, headers=headers),  # 400
    ]

    statuses = [r.status_code for r in responses]
    assert statuses == [200, 200, 400, 404, 400]
    lists = [rate_limit(r) for r in responses[:3]]
    assert [(limit, remaining) for limit, remaining, _ in lists] == [
        (900, 899),
        (900, 898),
        (900, 897),
    ]
    reset = lists[0][2]
    assert before + 3600 <= reset <= time.time() + 3601
    assert {r for _, _, r in lists} == {reset}  # one window
    assert rate_limit(responses[3])[:2] == (900, 899)  # meetings/get: its own budget
    assert rate_limit(responses[4])[:2] == (300, 299)  # meetings/new


async def test_over_the_limit_is_429_with_retry_after(
    client_with: AppClient,
    alice: dict[str, str],
    bob: dict[str, str],
    database: Database,
) -> None:
    async with client_with(easycalendar_rate_limits={"meetings/list": 2}) as http:
        headers = await easycalendar_headers(http, database, alice)
        other = await easycalendar_headers(http, database, bob)
        ok = [await http.get(f"{API}/meetings/list", headers=headers) for _ in range(2)]
        refused = await http.get(f"{API}/meetings/list", headers=headers)
        elsewhere = await http.get(f"{API}/meetings/get/1", headers=headers)
        someone_else = await http.get(f"{API}/meetings/list", headers=other)

    assert [r.status_code for r in ok] == [200, 200]
    assert refused.status_code == 429
    assert refused.json()["status"] == "error"
    assert (
        "Rate limit exceeded: 2 requests per 3600 seconds" in refused.json()["message"]
    )
    limit, remaining, reset = rate_limit(refused)
    assert (limit, remaining) == (2, 0)
    retry_after = int(refused.headers["Retry-After"])
    assert 1 <= retry_after <= 3600
    assert abs(reset - (time.time() + retry_after)) <= 2
    assert elsewhere.status_code == 404  # another endpoint's budget
    assert someone_else.status_code == 200  # another credential's budget


async def test_requests_without_credentials_spend_their_address_budget(
    client_with: AppClient,
) -> None:
    async with client_with(easycalendar_rate_limits={"meetings/new": 2}) as http:
        answers = [
            await http.post(
                f"{API}/meetings/new", json={}, headers={"Authorization": "x:y"}
            )
            for _ in range(3)
        ]
    assert [r.status_code for r in answers] == [401, 401, 429]
    assert [rate_limit(r)[1] for r in answers] == [1, 0, 0]


async def test_rate_limit_status_reports_every_endpoint(
    client: httpx.AsyncClient, alice: dict[str, str], database: Database
) -> None:
    headers = await easycalendar_headers(client, database, alice)
    await client.get(f"{API}/meetings/list", headers=headers)
    await client.get(f"{API}/meetings/list", headers=headers)

    response = await client.get(f"{API}/application/rate_limit_status", headers=headers)

    assert response.status_code == 200, response.text
    status = response.json()
    assert status["status"] == "success"
    assert status["rate_limit_context"] == {
        "api_key": headers["Authorization"].split(":")[0]
    }
    meetings = status["resources"]["meetings"]
    assert set(meetings) == {
        "/meetings/new",
        "/meetings/update",
        "/meetings/list",
        "/meetings/get",
        "/meetings/delete",
    }
    assert (
        meetings["/meetings/list"]["limit"],
        meetings["/meetings/list"]["remaining"],
    ) == (
        900,
        898,
    )
    assert (
        meetings["/meetings/new"]["limit"],
        meetings["/meetings/new"]["remaining"],
    ) == (
        300,
        300,
    )
    own = status["resources"]["application"]["/application/rate_limit_status"]
    assert (own["limit"], own["remaining"]) == (180, 179)
    assert own["reset"] == rate_limit(response)[2]


async def test_limiting_can_be_switched_off(
    client_with: AppClient, alice: dict[str, str], database: Database
) -> None:
    async with client_with(easycalendar_rate_limiting=False) as http:
        headers = await easycalendar_headers(http, database, alice)
        response = await http.get(f"{API}/meetings/list", headers=headers)
    assert response.status_code == 200
    assert not any(name in response.headers for name in LIMITS)


async def test_two_instances_sharing_redis_spend_one_budget(
    make_app: Callable[..., Any],
    alice: dict[str, str],
    database: Database,
    redis_url: str,
    redis_prefix: str,
) -> None:
    settings = {
        "redis_url": redis_url,
        "redis_key_prefix": redis_prefix,
        "easycalendar_rate_limits": {"meetings/list": 3},
    }
    a, b = make_app(**settings), make_app(**settings)
    async with a.router.lifespan_context(a), b.router.lifespan_context(b):
        http_a = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=a), base_url="http://a"
        )
        http_b = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=b), base_url="http://b"
        )
        async with http_a, http_b:
            headers = await easycalendar_headers(http_a, database, alice)
            answers = [
                await http.get(f"{API}/meetings/list", headers=headers)
                for http in (http_a, http_b, http_a, http_b)
            ]
    assert [r.status_code for r in answers] == [200, 200, 200, 429]
    assert [rate_limit(r)[1] for r in answers] == [2, 1, 0, 0]
    # One window: Redis keeps its expiry in whole seconds, so the reset time read
    # back may differ by one second between responses, never more.
    resets = [rate_limit(r)[2] for r in answers]
    assert max(resets) - min(resets) <= 1


async def test_an_unreachable_redis_is_503_not_a_500(
    client_with: AppClient, alice: dict[str, str], database: Database
) -> None:
    # A port nothing listens on: the limiter cannot count, so it does not guess.
    async with client_with(redis_url="redis://127.0.0.1:9/0") as http:
        headers = await easycalendar_headers(http, database, alice)
        response = await http.get(f"{API}/meetings/list", headers=headers)
    assert response.status_code == 503
    assert response.json()["status"] == "error"
