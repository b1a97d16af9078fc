"""Connection lifecycle: resumption, keep-alive, frame limit, shutdown (1001)."""

from __future__ import annotations

import asyncio
import json

import pytest

from parley.signaling import runner
from parley.signaling.state import MemorySignalingState
from tests.oidc_issuer import TestIssuer
from tests.ws.conftest import StartServer
from tests.ws.live import Api, Peer, RawSocket, host_and_guest

OPCODE_TEXT, OPCODE_CLOSE, OPCODE_PING = 0x1, 0x8, 0x9


async def test_resumption_returns_the_same_participant_to_the_room(api: Api) -> None:
    owner = api.user()
    room = await api.room(owner)
    host = await api.joined_user(owner, room, "Host")
    code = await api.invite(owner, room)
    first = await api.start_guest(room, code)
    guest = await api.connect(first["ticket"])
    guest_id = (await guest.join("Guest"))["id"]
    await host.expect("control", "joined")

    running = await api.http.post(
        f"/v1/rooms/{room}/start_invited",
        json={"invite_code": code, "resumption": first["resumption"]},
    )
    assert (running.status_code, running.json()["code"]) == (400, "session_running")

    await guest.close()
    assert (await host.expect("control", "left"))["id"] == guest_id
    second = await api.start_guest(room, code, resumption=first["resumption"])
    again = await api.connect(second["ticket"])
    assert (await again.join("Guest"))["id"] == guest_id
    assert (await host.expect("control", "joined"))["id"] == guest_id

    # The token was used up; the new one resumes next time.
    assert second["resumption"] != first["resumption"]
    await again.close()
    await host.expect("control", "left")
    third = await api.start_guest(room, code, resumption=first["resumption"])
    other = await api.connect(third["ticket"])
    assert (await other.join("Guest"))["id"] != guest_id


@pytest.fixture
def fast_housekeeping(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(runner, "PARTICIPANT_LOCK_REFRESH_INTERVAL", 0.1)
    monkeypatch.setattr(runner, "RESUMPTION_REFRESH_INTERVAL", 0.1)


@pytest.mark.usefixtures("fast_housekeeping")
async def test_a_consumed_resumption_token_closes_the_old_connection(
    start_server: StartServer, oidc_issuer: TestIssuer
) -> None:
    state = MemorySignalingState()
    server = await start_server(state=state)
    api = Api(server, oidc_issuer)
    owner = api.user()
    room = await api.room(owner)
    host = await api.joined_user(owner, room, "Host")
    started = await api.start(owner, room)
    peer = await api.connect(started["ticket"])
    await peer.join("Second tab")
    await host.expect("control", "joined")

    # Another instance took the token over (e.g. after this one's lock lapsed).
    assert await state.consume_resumption(started["resumption"]) is not None

    assert await peer.closed() == 1000
    assert (await host.expect("control", "left"))["id"] == peer.id
    await api.aclose()


async def test_server_pings_and_drops_a_peer_that_never_pongs(
    start_server: StartServer, oidc_issuer: TestIssuer
) -> None:
    server = await start_server(
        ws_ping_interval_seconds=0.3, ws_ping_timeout_seconds=0.5
    )
    api = Api(server, oidc_issuer)
    owner = api.user()
    room = await api.room(owner)
    host = await api.joined_user(owner, room, "Host")
    code = await api.invite(owner, room)
    raw = await RawSocket.connect(
        server.port, (await api.start_guest(room, code))["ticket"]
    )
    await raw.send_text(
        json.dumps(
            {
                "namespace": "control",
                "payload": {"action": "join", "display_name": "Mute"},
            }
        )
    )
    opcode, _ = await asyncio.wait_for(raw.read_frame(), 2)
    assert opcode == OPCODE_TEXT  # join_success
    joined_id = (await host.expect("control", "joined"))["id"]

    frames = [await asyncio.wait_for(raw.read_frame(), 2) for _ in range(2)]

    assert frames[0][0] == OPCODE_PING
    assert frames[1][0] == OPCODE_CLOSE
    assert int.from_bytes(frames[1][1][:2]) == 1011
    assert (await host.expect("control", "left"))["id"] == joined_id
    # A client that answers pings (the websockets library does) stays connected.
    await asyncio.sleep(1.2)
    await host.send("echo", still="here")
    assert (await host.receive())["payload"] == {"still": "here"}
    raw.close()
    await api.aclose()


async def test_frames_over_one_mebibyte_close_the_connection(api: Api) -> None:
    _, _, host, guest = await host_and_guest(api, "Big")
    big = json.dumps({"namespace": "echo", "payload": "x" * (512 * 1024)})
    await guest.connection.send(big)
    assert len((await guest.receive())["payload"]) == 512 * 1024

    await guest.connection.send("x" * (1024 * 1024 + 1))

    assert await guest.closed() == 1009
    assert (await host.expect("control", "left"))["id"] == guest.id


async def test_shutdown_closes_sockets_with_1001_and_tells_other_instances(
    start_server: StartServer, oidc_issuer: TestIssuer
) -> None:
    # Two instances sharing one in-memory state: the second watches the first stop.
    state = MemorySignalingState()
    stopping = await start_server(state=state)
    staying = await start_server(state=state)
    api = Api(stopping, oidc_issuer)
    owner = api.user()
    room = await api.room(owner)
    watcher = await Peer.connect(
        staying.ws_url, (await api.start(owner, room))["ticket"]
    )
    await watcher.join("Watcher")
    leaving = await api.joined_user(owner, room, "Leaving")
    await watcher.expect("control", "joined")

    await stopping.stop()

    assert await leaving.closed() == 1001
    assert (await watcher.expect("control", "left"))["id"] == leaving.id
    await api.aclose()
