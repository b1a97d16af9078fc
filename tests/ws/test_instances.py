"""Two Parley instances sharing Redis serve one room; a dead instance's peers leave."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from uuid import uuid4

import httpx
import pytest

from parley.config import Settings
from tests.conftest import project_root
from tests.oidc_issuer import TestIssuer
from tests.redis.state_helpers import delete_keys
from tests.ws.conftest import StartServer
from tests.ws.live import Api, LiveServer, Peer, guest_peer


@pytest.fixture
async def redis_prefix(redis_url: str) -> AsyncIterator[str]:
    prefix = f"parley-ws-test-{uuid4().hex}:"
    yield prefix
    await delete_keys(redis_url, prefix)


@pytest.fixture
async def pair(
    start_server: StartServer, redis_url: str, redis_prefix: str
) -> tuple[LiveServer, LiveServer]:
    """Instances A and B: same database, same Redis key space."""
    a = await start_server(redis_url=redis_url, redis_key_prefix=redis_prefix)
    b = await start_server(redis_url=redis_url, redis_key_prefix=redis_prefix)
    return a, b


@pytest.fixture
async def api_a(
    pair: tuple[LiveServer, LiveServer], oidc_issuer: TestIssuer
) -> AsyncIterator[Api]:
    client = Api(pair[0], oidc_issuer)
    yield client
    await client.aclose()


async def test_a_ticket_from_one_instance_opens_a_socket_on_the_other(
    pair: tuple[LiveServer, LiveServer], api_a: Api
) -> None:
    _, b = pair
    owner = api_a.user()
    room = await api_a.room(owner)
    ticket = (await api_a.start(owner, room))["ticket"]

    peer = await Peer.connect(b.ws_url, ticket)

    assert (await peer.join("Owner"))["role"] == "moderator"


async def test_join_chat_and_leave_are_seen_across_instances(
    pair: tuple[LiveServer, LiveServer], api_a: Api
) -> None:
    _, b = pair
    owner = api_a.user()
    room = await api_a.room(owner)
    host = await api_a.joined_user(owner, room, "Host on A")
    code = await api_a.invite(owner, room)
    guest = await Peer.connect(
        b.ws_url, (await api_a.start_guest(room, code))["ticket"]
    )
    success = await guest.join("Guest on B")
    assert [p["control"]["display_name"] for p in success["participants"]] == [
        "Host on A"
    ]
    assert (await host.expect("control", "joined"))["id"] == guest.id

    await guest.send("chat", action="send_message", scope="global", content="from B")
    for peer in (guest, host):
        sent = await peer.expect("chat", "message_sent")
        assert (sent["source"], sent["content"]) == (guest.id, "from B")
    await host.send(
        "chat", action="send_message", scope="private", target=guest.id, content="psst"
    )
    for peer in (host, guest):
        assert (await peer.expect("chat", "message_sent"))["target"] == guest.id

    await guest.close()
    assert await host.expect("control", "left") == {"message": "left", "id": guest.id}


async def test_waiting_room_admission_across_instances(
    pair: tuple[LiveServer, LiveServer], api_a: Api
) -> None:
    _, b = pair
    owner = api_a.user()
    room = await api_a.room(owner, waiting_room=True)
    host = await api_a.joined_user(owner, room, "Host on A")
    code = await api_a.invite(owner, room)
    guest = await Peer.connect(
        b.ws_url, (await api_a.start_guest(room, code))["ticket"]
    )
    await guest.send("control", action="join", display_name="Waiting on B")
    await guest.expect("moderation", "in_waiting_room")
    waiting_id = (await host.expect("moderation", "joined_waiting_room"))["id"]

    await host.send("moderation", action="accept", target=waiting_id)
    await guest.expect("moderation", "accepted")
    await guest.send("control", action="enter_room")

    await host.expect("moderation", "left_waiting_room")
    assert (await guest.expect("control", "join_success"))["id"] == waiting_id
    assert (await host.expect("control", "joined"))["id"] == waiting_id


async def test_kick_reaches_a_participant_on_the_other_instance(
    pair: tuple[LiveServer, LiveServer], api_a: Api
) -> None:
    _, b = pair
    owner = api_a.user()
    room = await api_a.room(owner)
    host = await Peer.connect(b.ws_url, (await api_a.start(owner, room))["ticket"])
    await host.join("Host on B")
    guest = await guest_peer(api_a, owner, room)
    await guest.join("Guest on A")
    await host.expect("control", "joined")

    await host.send("moderation", action="kick", target=guest.id)

    await guest.expect("moderation", "kicked")
    assert await guest.closed() == 1000
    assert (await host.expect("control", "left"))["id"] == guest.id


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def doomed_instance(
    settings: Settings,
    redis_url: str,
    redis_prefix: str,
    tmp_path: Path,
) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """`parley serve` in a subprocess on the shared database and Redis."""
    port = _free_port()
    env = {
        **os.environ,
        "PYTHONPATH": str(project_root() / "src"),
        "PARLEY_DATABASE_URL": settings.database_url,
        "PARLEY_OIDC_ISSUER": str(settings.oidc_issuer),
        "PARLEY_REDIS_URL": redis_url,
        "PARLEY_REDIS_KEY_PREFIX": redis_prefix,
        "PARLEY_AUTO_MIGRATE": "false",
        "PARLEY_PORT": str(port),
        "PARLEY_DATA_DIR": str(tmp_path),
        "PARLEY_LOG_LEVEL": "warning",
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "parley.cli", "serve"], env=env, cwd=tmp_path
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(f"{base}/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail("the second instance did not start")
            time.sleep(0.1)
        yield f"ws://127.0.0.1:{port}/signaling", process
    finally:
        if process.poll() is None:
            process.kill()
        process.wait(timeout=10)


@pytest.mark.slow
async def test_participants_of_a_dead_instance_are_reported_left(
    pair: tuple[LiveServer, LiveServer],
    api_a: Api,
    doomed_instance: tuple[str, subprocess.Popen[bytes]],
) -> None:
    ws_url, process = doomed_instance
    owner = api_a.user()
    room = await api_a.room(owner)
    host = await api_a.joined_user(owner, room, "Survivor")
    code = await api_a.invite(owner, room)
    doomed = await Peer.connect(ws_url, (await api_a.start_guest(room, code))["ticket"])
    await doomed.join("Doomed")
    assert (await host.expect("control", "joined"))["id"] == doomed.id

    process.send_signal(signal.SIGKILL)
    started = time.monotonic()

    # Heartbeat TTL 6 s + sweep interval 2 s bound the detection.
    assert await host.expect("control", "left", within=12) == {
        "message": "left",
        "id": doomed.id,
    }
    assert time.monotonic() - started <= 10
