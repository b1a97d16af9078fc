"""One log line per request: request id, route template, status, duration, user."""

from __future__ import annotations

import logging
import uuid

import httpx
import pytest

from parley.db import Database
from parley.logs import ContextFilter, TextFormatter
from tests.api.signaling.test_call_in import call_in, other_pin, sip_room
from tests.api.signaling.test_start import user_id
from tests.conftest import CapturedLogs
from tests.oidc_issuer import TestIssuer


async def test_each_request_logs_one_line_with_its_context(
    client: httpx.AsyncClient, alice: dict[str, str], captured_logs: CapturedLogs
) -> None:
    me = await user_id(client, alice)
    room = uuid.uuid4()
    response = await client.get(f"/v1/rooms/{room}", headers=alice)

    lines = captured_logs.access()
    assert len(lines) == 2
    line = lines[1]
    assert line.pop("time")
    assert isinstance(line.pop("duration_ms"), float)
    assert line == {
        "level": "INFO",
        "logger": "parley.access",
        "message": line["message"],
        "method": "GET",
        "route": "/v1/rooms/{room_id}",
        "status": 404,
        "client": "127.0.0.1",
        "request_id": response.headers["x-request-id"],
        "user_id": str(me),
    }
    assert line["message"].startswith("GET /v1/rooms/{room_id} 404 ")
    assert str(room) not in captured_logs.text()


async def test_anonymous_requests_have_no_user_id(
    client: httpx.AsyncClient, captured_logs: CapturedLogs
) -> None:
    await client.get("/health/live")
    (line,) = captured_logs.access()
    assert "user_id" not in line


async def test_other_log_lines_of_a_request_carry_its_request_id(
    client: httpx.AsyncClient,
    alice: dict[str, str],
    oidc_issuer: TestIssuer,
    database: Database,
    captured_logs: CapturedLogs,
) -> None:
    config = await sip_room(client, alice, database)
    gateway = oidc_issuer.headers(
        "gateway@services.example",
        email=None,
        realm_access={"roles": ["OpenTalk-Call-In"]},
    )
    response = await call_in(
        client,
        {**gateway, "X-Request-Id": "trace-me-42"},
        id=config.sip_id,
        pin=other_pin(config.password),
    )
    assert response.headers["x-request-id"] == "trace-me-42"
    warnings = [
        line
        for line in captured_logs.records()
        if line["logger"] == "parley.signaling.start"
    ]
    assert [(line["level"], line["request_id"]) for line in warnings] == [
        ("WARNING", "trace-me-42")
    ]


@pytest.mark.parametrize("given", ["x" * 201, "tab\there", "caf\u00e9"])
async def test_an_unusable_request_id_is_replaced(
    client: httpx.AsyncClient, captured_logs: CapturedLogs, given: str
) -> None:
    response = await client.get(
        "/health/live", headers={"X-Request-Id": given.encode()}
    )
    generated = response.headers["x-request-id"]
    assert len(generated) == 32
    assert captured_logs.access()[0]["request_id"] == generated


def test_text_lines_append_the_request_context() -> None:
    record = logging.LogRecord(
        "parley.access", logging.INFO, __file__, 1, "GET /health 200 1.0ms", None, None
    )
    record.client = "192.0.2.1"
    ContextFilter().filter(record)
    record.request_id = "abc"
    line = TextFormatter().format(record)
    assert line.endswith(
        "INFO parley.access: GET /health 200 1.0ms request_id=abc client=192.0.2.1"
    )
