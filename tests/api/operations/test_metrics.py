"""GET /metrics: protected by PARLEY_METRICS_TOKEN, labelled by route template."""

from __future__ import annotations

import re
import uuid
from collections.abc import AsyncIterator, Callable

import httpx
import pytest
from fastapi import FastAPI
from prometheus_client.parser import text_string_to_metric_families
from pydantic import SecretStr

from tests.api.rooms.test_rooms import create_room
from tests.api.signaling.test_start import new_invite, start_invited

TOKEN = "metrics-token-for-tests-0123"
SCRAPER = {"Authorization": f"Bearer {TOKEN}"}

UUID_TEXT = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-")

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


@pytest.fixture
async def http(make_app: Callable[..., FastAPI]) -> AsyncIterator[httpx.AsyncClient]:
    app = make_app(metrics_token=SecretStr(TOKEN), dial_in_max_failures_per_source=1)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(
            transport=transport, base_url="http://test"
        ) as client:
            yield client


async def scrape(http: httpx.AsyncClient) -> Samples:
    response = await http.get("/metrics", headers=SCRAPER)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain")
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(response.text)
        for sample in family.samples
    }


def value(samples: Samples, name: str, **labels: str) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


async def test_metrics_are_not_served_without_a_token_setting(
    client: httpx.AsyncClient,
) -> None:
    response = await client.get("/metrics", headers=SCRAPER)
    assert response.status_code == 404
    assert response.json() == {
        "code": "not_found",
        "message": "Metrics are not served on this port",
    }


@pytest.mark.parametrize(
    "headers",
    [{}, {"Authorization": "Bearer wrong-token-0123456789"}, {"Authorization": TOKEN}],
)
async def test_a_wrong_or_missing_token_is_401(
    http: httpx.AsyncClient, headers: dict[str, str]
) -> None:
    response = await http.get("/metrics", headers=headers)
    assert response.status_code == 401
    assert response.json()["code"] == "unauthorized"
    assert response.headers["www-authenticate"] == 'Bearer realm="metrics"'


async def test_requests_are_counted_by_route_template_and_status(
    http: httpx.AsyncClient, alice: dict[str, str]
) -> None:
    room = "/v1/rooms/{room_id}"
    before = await scrape(http)
    for _ in range(3):
        missing = await http.get(f"/v1/rooms/{uuid.uuid4()}", headers=alice)
        assert missing.status_code == 404
    await http.get("/no/such/path")
    after = await scrape(http)

    labels = {"method": "GET", "route": room, "status": "404"}
    assert (
        value(after, "parley_http_requests_total", **labels)
        - value(before, "parley_http_requests_total", **labels)
        == 3
    )
    assert (
        value(after, "parley_http_request_duration_seconds_count", **labels)
        - value(before, "parley_http_request_duration_seconds_count", **labels)
        == 3
    )
    unmatched = {"method": "GET", "route": "unmatched", "status": "404"}
    assert value(after, "parley_http_requests_total", **unmatched) > value(
        before, "parley_http_requests_total", **unmatched
    )
    # No label carries an id from a path.
    assert not [
        label for _, labels_ in after for label in labels_ if UUID_TEXT.search(label[1])
    ]


async def test_rate_limit_refusals_and_login_failures_are_counted(
    http: httpx.AsyncClient, alice: dict[str, str]
) -> None:
    mapper = "/jitsi/conferenceMapper"
    before = await scrape(http)
    await http.get(mapper, params={"id": "9100000001"})  # a miss: the budget is 1
    refused = await http.get(mapper, params={"id": "9100000002"})
    assert refused.status_code == 429
    forged = await http.get("/v1/users/me", headers={"Authorization": "Bearer x.y.z"})
    assert forged.status_code == 401
    room = await create_room(http, alice, password="right")
    code = await new_invite(http, alice, room["id"])
    wrong = await start_invited(http, room["id"], invite_code=code, password="wrong")
    assert wrong.status_code == 401
    unknown = await http.post(
        "/v1/invite/verify", json={"invite_code": str(uuid.uuid4())}
    )
    assert unknown.status_code == 404
    after = await scrape(http)

    def grew(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    assert grew("parley_rate_limit_refusals_total", route=mapper) == 1
    assert grew("parley_login_failures_total", kind="access_token") == 1
    assert grew("parley_login_failures_total", kind="room_password") == 1
    assert grew("parley_login_failures_total", kind="invite_code") == 1


async def test_gauges_are_exposed_and_the_pool_gauge_counts_checkouts(
    http: httpx.AsyncClient,
) -> None:
    samples = await scrape(http)
    assert {
        "parley_db_pool_connections_in_use",
        "parley_db_pool_connections_waiting",
        "parley_signaling_rooms",
        "parley_mail_outbox_pending",
    } <= {name for name, _ in samples}
    # The test's own transaction holds a pooled connection while it runs.
    assert value(samples, "parley_db_pool_connections_in_use") >= 1
    assert value(samples, "parley_db_pool_connections_waiting") >= 0
