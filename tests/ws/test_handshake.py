"""The websocket handshake over real connections: tickets and pre-upgrade errors."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import InvalidStatus

from parley.signaling.handshake import PROTOCOL
from parley.signaling.state import MemorySignalingState
from tests.ws.conftest import StartServer
from tests.ws.live import Api, LiveServer, Peer


async def refused(url: str, subprotocols: list[str] | None) -> tuple[int, Any]:
    """Connect expecting an HTTP error instead of the upgrade."""
    with pytest.raises(InvalidStatus) as raised:
        await connect(url, subprotocols=subprotocols)  # type: ignore[arg-type]
    response = raised.value.response
    assert response.headers["content-type"] == "application/json"
    return response.status_code, json.loads(response.body or b"null")


@pytest.mark.parametrize("path", ["/signaling", "/v1/signaling"])
async def test_a_ticket_opens_the_socket_with_the_protocol_name_selected(
    api: Api, server: LiveServer, path: str
) -> None:
    owner = api.user()
    room = await api.room(owner)
    ticket = (await api.start(owner, room))["ticket"]

    peer = Peer(
        await connect(
            f"ws://127.0.0.1:{server.port}{path}",
            subprotocols=[PROTOCOL, f"ticket#{ticket}"],  # type: ignore[list-item]
        )
    )

    assert peer.connection.subprotocol == PROTOCOL
    await peer.join("Owner")
    await peer.close()


async def test_a_ticket_is_single_use(api: Api, server: LiveServer) -> None:
    owner = api.user()
    room = await api.room(owner)
    ticket = (await api.start(owner, room))["ticket"]
    first = await api.connect(ticket)

    status, body = await refused(server.ws_url, [PROTOCOL, f"ticket#{ticket}"])

    assert (status, body["code"]) == (401, "invalid_ticket")
    await first.close()


async def test_a_ticket_expires_after_30_seconds(
    start_server: StartServer, oidc_issuer: Any
) -> None:
    now = [0.0]
    state = MemorySignalingState(clock=lambda: now[0])
    server = await start_server(state=state)
    api = Api(server, oidc_issuer)
    try:
        owner = api.user()
        room = await api.room(owner)
        fresh = (await api.start(owner, room))["ticket"]
        stale = (await api.start(owner, room))["ticket"]
        now[0] += 29.9
        peer = await api.connect(fresh)
        now[0] += 0.2

        status, body = await refused(server.ws_url, [PROTOCOL, f"ticket#{stale}"])

        assert (status, body["code"]) == (401, "invalid_ticket")
        await peer.close()
    finally:
        await api.aclose()


TICKET = "T" * 64


@pytest.mark.parametrize(
    ("subprotocols", "status", "code", "message"),
    [
        (None, 400, "missing_protocol", "Missing sec-websocket-protocol header"),
        (
            ["k3k-signaling-json-v1.0", f"ticket#{TICKET}"],
            400,
            "invalid_protocol",
            f"Missing valid protocol, expected {PROTOCOL}",
        ),
        (
            [PROTOCOL],
            401,
            "missing_ticket",
            "Missing ticket. Please request a new ticket from /v1/rooms/<room_id>/start",
        ),
        ([PROTOCOL, "ticket#short"], 401, "invalid_ticket", None),
        ([PROTOCOL, f"ticket#{TICKET}"], 401, "invalid_ticket", None),
    ],
)
async def test_handshake_errors_are_http_json_before_the_upgrade(
    server: LiveServer,
    subprotocols: list[str] | None,
    status: int,
    code: str,
    message: str | None,
) -> None:
    got_status, body = await refused(server.ws_url, subprotocols)

    assert got_status == status
    assert body == {
        "code": code,
        "message": message
        or "Invalid or expired ticket. Please request a new ticket from /v1/rooms/<room_id>/start",
    }


async def test_plain_http_gets_the_handshake_errors_then_400(
    server: LiveServer,
) -> None:
    async with httpx.AsyncClient(base_url=server.url) as http:
        no_header = await http.get("/signaling")
        no_upgrade = await http.get(
            "/v1/signaling",
            headers={"Sec-WebSocket-Protocol": f"{PROTOCOL}, ticket#{TICKET}"},
        )

    assert (no_header.status_code, no_header.json()["code"]) == (
        400,
        "missing_protocol",
    )
    assert no_upgrade.status_code == 400
    assert no_upgrade.json() == {
        "code": "bad_request",
        "message": "/signaling only accepts websocket upgrade requests",
    }


async def test_room_deleted_after_start_is_404(api: Api, server: LiveServer) -> None:
    owner = api.user()
    room = await api.room(owner)
    ticket = (await api.start(owner, room))["ticket"]
    deleted = await api.http.delete(f"/v1/rooms/{room}", headers=owner)
    assert deleted.status_code == 204

    status, body = await refused(server.ws_url, [PROTOCOL, f"ticket#{ticket}"])

    assert (status, body["code"]) == (404, "not_found")
