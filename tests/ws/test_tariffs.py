"""Tariffs in signaling over real websockets: full rooms, time limits, modules.

Every room here belongs to a fresh user on the server's default tariff, so
each test picks its tariff by starting a server with that default.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

import pytest

from tests.oidc_issuer import TestIssuer
from tests.redis.state_helpers import delete_keys
from tests.ws.conftest import StartServer
from tests.ws.live import Api, LiveServer, Peer, guest_peer

TARIFFS = """
[[tariffs]]
name = "Free"

[[tariffs]]
name = "Pair"
quotas = { room_participant_limit = 2 }

[[tariffs]]
name = "Short"
quotas = { room_time_limit_secs = 2 }

# Long enough for a second instance's guest to join inside it on a loaded machine.
[[tariffs]]
name = "Brief"
quotas = { room_time_limit_secs = 6 }

[[tariffs]]
name = "Quiet"
disabled_modules = ["chat"]
"""

BLOCKED = {"message": "join_blocked", "reason": "participant_limit_reached"}

OpenApi = Callable[..., Awaitable[Api]]


@pytest.fixture
async def api_on(
    start_server: StartServer, oidc_issuer: TestIssuer, tmp_path: Path
) -> AsyncIterator[OpenApi]:
    """``await api_on("Pair")``: a client of a new server whose default tariff is Pair."""
    path = tmp_path / "tariffs.toml"
    path.write_text(TARIFFS)
    clients: list[Api] = []

    async def open_api(default: str, **settings: Any) -> Api:
        server = await start_server(
            tariffs_file=path, default_tariff=default, **settings
        )
        client = Api(server, oidc_issuer)
        clients.append(client)
        return client

    yield open_api
    for client in clients:
        await client.aclose()


async def joined_guest(api: Api, owner: dict[str, str], room: str, name: str) -> Peer:
    guest = await guest_peer(api, owner, room)
    await guest.join(name)
    return guest


async def send_join(peer: Peer, name: str) -> None:
    await peer.send("control", action="join", display_name=name)


def parse_time(value: str) -> datetime:
    return datetime.fromisoformat(value)


# Participant limit


async def test_a_full_room_answers_join_blocked_and_a_freed_seat_lets_in(
    api_on: OpenApi,
) -> None:
    api = await api_on("Pair")
    owner = api.user()
    room = await api.room(owner)
    host = await api.joined_user(owner, room, "Host")
    first = await joined_guest(api, owner, room, "First")
    await host.expect("control", "joined")
    second = await guest_peer(api, owner, room)

    await send_join(second, "Second")

    assert await second.expect("control", "join_blocked") == BLOCKED
    await host.nothing()
    await first.nothing()
    # Still connected: once a seat is free, joining again works.
    await first.close()
    await host.expect("control", "left")
    success = await second.join("Second")
    active = [p for p in success["participants"] if p["control"]["left_at"] is None]
    assert [p["control"]["display_name"] for p in active] == ["Host"]
    assert (await host.expect("control", "joined"))["id"] == second.id


async def test_join_success_carries_the_room_owners_tariff(api_on: OpenApi) -> None:
    api = await api_on("Pair")
    owner = api.user()
    room = await api.room(owner)
    guest = await guest_peer(api, owner, room)

    success = await guest.join("Guest")

    rest = await api.http.get(f"/v1/rooms/{room}/tariff", headers=owner)
    assert success["tariff"] == rest.json()
    assert success["tariff"]["name"] == "Pair"
    assert success["tariff"]["quotas"] == {"room_participant_limit": 2}
    assert "closes_at" not in success


async def test_the_owner_gets_into_a_full_room_a_second_moderator_does_not(
    api_on: OpenApi,
) -> None:
    api = await api_on("Pair")
    owner = api.user()
    room = await api.room(owner)
    await joined_guest(api, owner, room, "First")
    await joined_guest(api, owner, room, "Second")

    # No other moderator is in: the owner is let in beyond the limit.
    await api.joined_user(owner, room, "Host")
    again = await api.connect((await api.start(owner, room))["ticket"])
    await send_join(again, "Host, second tab")

    assert await again.expect("control", "join_blocked") == BLOCKED


async def test_waiting_participants_hold_their_seat(api_on: OpenApi) -> None:
    api = await api_on("Pair")
    owner = api.user()
    room = await api.room(owner, waiting_room=True)
    host = await api.joined_user(owner, room, "Host")
    waiting = await guest_peer(api, owner, room)
    await send_join(waiting, "Waiting")
    await waiting.expect("moderation", "in_waiting_room")
    waiting_id = (await host.expect("moderation", "joined_waiting_room"))["id"]
    late = await guest_peer(api, owner, room)

    await send_join(late, "Late")

    assert await late.expect("control", "join_blocked") == BLOCKED
    await host.send("moderation", action="accept", target=waiting_id)
    await waiting.expect("moderation", "accepted")
    await waiting.send("control", action="enter_room")
    assert (await waiting.expect("control", "join_success"))["id"] == waiting_id


async def test_simultaneous_joins_for_the_last_seat_let_one_in(
    api_on: OpenApi,
) -> None:
    api = await api_on("Pair")
    owner = api.user()
    room = await api.room(owner)
    await api.joined_user(owner, room, "Host")
    contenders = [await guest_peer(api, owner, room) for _ in range(4)]

    await asyncio.gather(*(send_join(peer, "Contender") for peer in contenders))
    answers = await asyncio.gather(*(peer.receive() for peer in contenders))

    messages = sorted(answer["payload"]["message"] for answer in answers)
    assert messages == ["join_blocked"] * 3 + ["join_success"]


# Time limit


async def test_time_limit_sets_closes_at_and_closes_everyone_when_it_passes(
    api_on: OpenApi,
) -> None:
    api = await api_on("Short")
    owner = api.user()
    room = await api.room(owner)
    host = await api.connect((await api.start(owner, room))["ticket"])
    before_join = datetime.now(UTC)
    host_success = await host.join("Host")
    after_join = datetime.now(UTC)
    guest = await guest_peer(api, owner, room)
    guest_success = await guest.join("Guest")
    await host.expect("control", "joined")

    # The first join starts the two-second clock (bounds, not a timing: CI is slow).
    closes_at = parse_time(host_success["closes_at"])
    limit = timedelta(seconds=2)
    wire_precision = timedelta(milliseconds=1)
    assert before_join + limit - wire_precision <= closes_at <= after_join + limit
    assert guest_success["closes_at"] == host_success["closes_at"]
    for peer in (host, guest):
        await expect_time_up(peer)
        assert await peer.closed() == 1000
    assert datetime.now(UTC) >= closes_at

    # Once everyone has left, the next session starts a new time limit.
    await room_torn_down(api.server, room)
    later = await api.connect((await api.start(owner, room))["ticket"])
    assert parse_time((await later.join("Host again"))["closes_at"]) > closes_at


async def room_torn_down(server: LiveServer, room: str, within: float = 5.0) -> None:
    """Wait until the room's signaling state is gone (sockets close before leaving)."""
    state = server.app.state.signaling.state
    deadline = time.monotonic() + within
    while await state.list_participants(UUID(room)):
        assert time.monotonic() < deadline, "the room was not torn down"
        await asyncio.sleep(0.05)


async def expect_time_up(peer: Peer, within: float = 5.0) -> None:
    """``time_limit_quota_elapsed`` arrives (maybe after others' ``left``)."""
    deadline = time.monotonic() + within
    while True:
        frame = await peer.receive(deadline - time.monotonic())
        message = frame["payload"]["message"]
        if message == "time_limit_quota_elapsed":
            assert frame == {
                "namespace": "control",
                "timestamp": frame["timestamp"],
                "payload": {"message": "time_limit_quota_elapsed"},
            }
            return
        assert message == "left", frame


# Disabled modules


async def test_a_module_the_tariff_disables_is_not_offered(api_on: OpenApi) -> None:
    api = await api_on("Quiet")
    owner = api.user()
    room = await api.room(owner)
    host = await api.connect((await api.start(owner, room))["ticket"])

    success = await host.join("Host")
    await host.send("chat", action="send_message", scope="global", content="hi")

    assert "chat" not in success
    assert "moderation" in success
    assert "chat" not in success["tariff"]["enabled_modules"]
    assert (await host.expect("control", "error"))["error"] == "invalid_namespace"


# Several instances sharing Redis


@pytest.fixture
async def redis_settings(redis_url: str) -> AsyncIterator[dict[str, str]]:
    prefix = f"parley-ws-tariff-{uuid4().hex}:"
    yield {"redis_url": redis_url, "redis_key_prefix": prefix}
    await delete_keys(redis_url, prefix)


async def two_instances(
    api_on: OpenApi, tariff: str, redis_settings: dict[str, str]
) -> tuple[Api, LiveServer]:
    """A client of instance A, and instance B (same database and Redis)."""
    api = await api_on(tariff, **redis_settings)
    other = await api_on(tariff, **redis_settings)
    return api, other.server


async def test_seats_are_counted_across_instances(
    api_on: OpenApi, redis_settings: dict[str, str]
) -> None:
    api, b = await two_instances(api_on, "Pair", redis_settings)
    owner = api.user()
    room = await api.room(owner)
    await api.joined_user(owner, room, "Host on A")
    on_a = await guest_peer(api, owner, room)
    code = await api.invite(owner, room)
    on_b = await api.connect((await api.start_guest(room, code))["ticket"], b)

    await asyncio.gather(send_join(on_a, "Guest on A"), send_join(on_b, "Guest on B"))
    answers = await asyncio.gather(on_a.receive(), on_b.receive())

    messages = sorted(answer["payload"]["message"] for answer in answers)
    assert messages == ["join_blocked", "join_success"]


async def test_the_time_limit_is_the_rooms_on_every_instance(
    api_on: OpenApi, redis_settings: dict[str, str]
) -> None:
    api, b = await two_instances(api_on, "Brief", redis_settings)
    owner = api.user()
    room = await api.room(owner)
    host = await api.connect((await api.start(owner, room))["ticket"])
    host_success = await host.join("Host on A")
    code = await api.invite(owner, room)
    guest = await api.connect((await api.start_guest(room, code))["ticket"], b)

    guest_success = await guest.join("Guest on B")
    await host.expect("control", "joined")

    assert guest_success["closes_at"] == host_success["closes_at"]
    for peer in (host, guest):
        await expect_time_up(peer, within=10.0)
        assert await peer.closed() == 1000
