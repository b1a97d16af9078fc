"""Two Parley instances sharing Redis: streams cross instances, Janus load is shared."""

from __future__ import annotations

from collections.abc import AsyncIterator
from uuid import uuid4

import pytest

from tests.janus_server import JanusServer
from tests.media.conftest import StartJanus, janus_handles_of, until, wait_for_janus
from tests.media.participants import Participant
from tests.oidc_issuer import TestIssuer
from tests.redis.state_helpers import delete_keys
from tests.ws.conftest import StartServer
from tests.ws.live import Api, LiveServer, guest_peer


@pytest.fixture
async def redis_prefix(redis_url: str) -> AsyncIterator[str]:
    prefix = f"parley-media-test-{uuid4().hex}:"
    yield prefix
    await delete_keys(redis_url, prefix)


async def test_streams_cross_instances_and_new_ones_go_to_the_least_loaded_janus(
    start_server: StartServer,
    start_janus: StartJanus,
    redis_url: str,
    redis_prefix: str,
    oidc_issuer: TestIssuer,
) -> None:
    first, second = start_janus(), start_janus()
    settings = {
        "redis_url": redis_url,
        "redis_key_prefix": redis_prefix,
        "janus_urls": [first.url, second.url],
    }
    a, b = await start_server(**settings), await start_server(**settings)
    for server in (a, b):
        await wait_for_janus(server)
    api = Api(a, oidc_issuer)
    owner = api.user()
    room = await api.room(owner)
    host = await Participant.join(
        await api.connect((await api.start(owner, room))["ticket"], a), "Host on A"
    )
    code = await api.invite(owner, room)
    guest = await Participant.join(
        await api.connect((await api.start_guest(room, code))["ticket"], b),
        "Guest on B",
    )
    try:
        await host.next("control", "joined", id=guest.id)
        await host.publish("video")
        await guest.update_of(host, video={"video": True, "audio": True})
        await guest.publish("video")
        await host.update_of(guest, video={"video": True, "audio": True})
        # Load counted in Redis: A's stream on the first Janus, B's on the second.
        assert [r["description"] for r in await first.rooms()] == [f"{host.id}|1"]
        assert [r["description"] for r in await second.rooms()] == [f"{guest.id}|1"]

        # B subscribes to A's stream on the first Janus, A to B's on the second.
        from_host = await guest.subscribe(host)
        from_guest = await host.subscribe(guest)
        for receiver in (from_host, from_guest):
            frames = await receiver.wait_for_frames(audio=10, video=10)
            assert frames["audio"] >= 10
            assert frames["video"] >= 10

        await host.media("unpublish", media_session_type="video")
        await guest.update_of(host)
        await host.close()
        await guest.next("control", "left", id=host.id)

        async def only_the_guest_publishes() -> bool:
            return (
                await janus_handles_of(a, first) == []
                and await janus_handles_of(a, second) == []
                and await janus_handles_of(b, first) == []
                and len(await janus_handles_of(b, second)) == 1
                and await first.rooms() == []
            )

        await until(only_the_guest_publishes)
        await guest.close()
        await until(lambda: _no_rooms(second))
    finally:
        await host.close()
        await guest.close()
        await api.aclose()


async def _no_rooms(janus: JanusServer) -> bool:
    return await janus.rooms() == []


async def test_a_restarted_janus_is_reported_and_streams_come_back(
    start_server: StartServer, start_janus: StartJanus, oidc_issuer: TestIssuer
) -> None:
    janus = start_janus()
    server: LiveServer = await start_server(janus_urls=[janus.url])
    await wait_for_janus(server)
    api = Api(server, oidc_issuer)
    owner = api.user()
    room = await api.room(owner)
    host = await Participant.join(
        await api.connect((await api.start(owner, room))["ticket"]), "Host"
    )
    guest = await Participant.join(await guest_peer(api, owner, room), "Guest")
    try:
        await host.next("control", "joined", id=guest.id)
        await host.publish("video")
        await guest.update_of(host, video={"video": True, "audio": True})
        await (await guest.subscribe(host)).wait_for_frames(audio=1, video=1)

        janus.restart()

        await host.next(
            "media", "webrtc_down", source=host.id, media_session_type="video"
        )
        await guest.next(
            "media", "webrtc_down", source=host.id, media_session_type="video"
        )
        assert "video" not in (await guest.update_of(host))["media"]
        await host.close_media()
        await guest.close_media()

        # Back: the web app re-offers but never repeats publish_complete.
        await wait_for_janus(server)
        await host.publish("video", complete=False)
        await guest.update_of(host, video={"video": True, "audio": True})
        frames = await (await guest.subscribe(host)).wait_for_frames(audio=10, video=10)
        assert frames["video"] >= 10

        await guest.close()
        await host.close()

        async def clean() -> bool:
            return (
                await janus_handles_of(server, janus) == []
                and await janus.rooms() == []
            )

        await until(clean)
    finally:
        await host.close()
        await guest.close()
        await api.aclose()
