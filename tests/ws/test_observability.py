"""Websocket sessions in the metrics and the logs: one line per session."""

from __future__ import annotations

import uuid

from prometheus_client import REGISTRY

from tests.conftest import CapturedLogs
from tests.ws.live import Api

SIGNALING = "/signaling"


def sample(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


async def test_a_session_is_counted_and_logged_once(
    api: Api, captured_logs: CapturedLogs
) -> None:
    before = {
        "in": sample(
            "parley_websocket_messages_total", route=SIGNALING, direction="in"
        ),
        "out": sample(
            "parley_websocket_messages_total", route=SIGNALING, direction="out"
        ),
        "closes": sample("parley_websocket_closes_total", route=SIGNALING, code="1000"),
        "open": sample("parley_websocket_connections", route=SIGNALING),
        "rooms": sample("parley_signaling_rooms"),
    }
    owner = api.user("owner")
    me = uuid.UUID((await api.http.get("/v1/users/me", headers=owner)).json()["id"])
    room = await api.room(owner)
    peer = await api.joined_user(owner, room, "Owner")  # join → join_success
    assert sample("parley_websocket_connections", route=SIGNALING) == before["open"] + 1
    assert sample("parley_signaling_rooms") == before["rooms"] + 1
    for text in ("one", "two"):
        await peer.send("echo", content=text)
        await peer.receive()
    await peer.close()
    assert await peer.closed() is not None
    await api.server.stop()  # the session's line is written when it has ended

    assert sample("parley_websocket_connections", route=SIGNALING) == before["open"]
    assert sample("parley_signaling_rooms") == before["rooms"]
    received = sample(
        "parley_websocket_messages_total", route=SIGNALING, direction="in"
    )
    sent = sample("parley_websocket_messages_total", route=SIGNALING, direction="out")
    assert received - before["in"] == 3
    assert sent - before["out"] == 3
    assert (
        sample("parley_websocket_closes_total", route=SIGNALING, code="1000")
        == before["closes"] + 1
    )
    (line,) = [line for line in captured_logs.access() if line["method"] == "WEBSOCKET"]
    assert {key: line[key] for key in line if key not in {"time", "duration_ms"}} == {
        "level": "INFO",
        "logger": "parley.access",
        "message": line["message"],
        "method": "WEBSOCKET",
        "route": SIGNALING,
        "status": 101,
        "close_code": 1000,
        "messages_in": 3,
        "messages_out": 3,
        "client": "127.0.0.1",
        "request_id": line["request_id"],
        "user_id": str(me),
    }
    assert line["message"].startswith("WEBSOCKET /signaling 101 closed 1000 ")


async def test_a_refused_ticket_is_a_login_failure_and_a_403_line(
    api: Api, captured_logs: CapturedLogs
) -> None:
    failures = sample("parley_login_failures_total", kind="signaling_ticket")
    handshake = await api.http.get(
        "/signaling",
        headers={
            "Connection": "Upgrade",
            "Upgrade": "websocket",
            "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ==",
            "Sec-WebSocket-Version": "13",
            "Sec-WebSocket-Protocol": "opentalk-signaling-json-v1.0, ticket#"
            + "x" * 64,
        },
    )
    assert handshake.status_code == 401
    assert (
        sample("parley_login_failures_total", kind="signaling_ticket") == failures + 1
    )
    await api.server.stop()
    lines = [line for line in captured_logs.access() if line["route"] == SIGNALING]
    assert [(line["method"], line["status"]) for line in lines] == [("WEBSOCKET", 401)]
