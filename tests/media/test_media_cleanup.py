"""Every way out leaves nothing in Janus: leave, kick, room deletion, drop, resumption."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from tests.janus_server import JanusServer
from tests.media.conftest import janus_handles_of, until, wait_for_janus
from tests.media.participants import Participant
from tests.media.test_media_signaling import meeting
from tests.oidc_issuer import TestIssuer
from tests.ws.conftest import StartServer
from tests.ws.live import Api, LiveServer


async def streaming(api: Api) -> tuple[str, dict[str, str], Participant, Participant]:
    """A meeting where the host publishes and the guest receives it."""
    room, owner, host, guest = await meeting(api)
    await host.publish("video")
    await guest.update_of(host, video={"video": True, "audio": True})
    receiver = await guest.subscribe(host)
    await receiver.wait_for_frames(audio=1, video=1)
    return room, owner, host, guest


def janus_is_empty(
    server: LiveServer, janus: JanusServer, *ids: str
) -> Callable[[], Awaitable[bool]]:
    async def check() -> bool:
        if await janus_handles_of(server, janus):
            return False
        descriptions = {r["description"] for r in await janus.rooms()}
        return not any(d.startswith(f"{pid}|") for pid in ids for d in descriptions)

    return check


async def test_a_leaving_publisher_takes_its_subscribers_along(
    api: Api, media_server: LiveServer, janus: JanusServer
) -> None:
    _, _, host, guest = await streaming(api)
    try:
        await host.close()
        await guest.next("control", "left", id=host.id)
        # The guest's subscription went with the host.
        await until(janus_is_empty(media_server, janus, host.id))
    finally:
        await guest.close()


async def test_a_kicked_subscriber_and_a_deleted_room_leave_nothing(
    api: Api, media_server: LiveServer, janus: JanusServer
) -> None:
    room, owner, host, guest = await streaming(api)
    try:
        await host.send("moderation", action="kick", target=guest.id)
        await guest.next("moderation", "kicked")
        await host.next("control", "left", id=guest.id)
        assert len(await janus_handles_of(media_server, janus)) == 1  # the publisher

        deleted = await api.http.delete(f"/v1/rooms/{room}", headers=owner)
        assert deleted.status_code == 204
        await host.next("control", "room_deleted")
        await until(janus_is_empty(media_server, janus, host.id))
    finally:
        await host.close()
        await guest.close()


async def test_a_dropped_socket_then_resumption_publishes_afresh(
    api: Api, media_server: LiveServer, janus: JanusServer
) -> None:
    room, owner, host, guest = await meeting(api)
    started = await api.start(owner, room)
    publisher = await Participant.join(await api.connect(started["ticket"]), "Phone")
    await host.next("control", "joined", id=publisher.id)
    try:
        await publisher.publish("video")
        await host.update_of(publisher, video={"video": True, "audio": True})

        publisher.peer.connection.transport.abort()  # no close frame
        await publisher.close_media()
        await host.next("control", "left", id=publisher.id)
        await until(janus_is_empty(media_server, janus, publisher.id))

        for _ in range(100):  # the old session may still be finishing
            response = await api.http.post(
                f"/v1/rooms/{room}/start",
                json={"resumption": started["resumption"]},
                headers=owner,
            )
            if response.status_code == 200:
                break
            await asyncio.sleep(0.1)
        resumed = await Participant.join(
            await api.connect(response.json()["ticket"]), "Phone again"
        )
        assert resumed.id == publisher.id
        assert resumed.join_success["media"]["is_presenter"] is True
        await resumed.publish("video")
        await host.update_of(resumed, video={"video": True, "audio": True})
        await resumed.close()
        await until(janus_is_empty(media_server, janus, publisher.id))
    finally:
        await host.close()
        await guest.close()


async def test_shutting_an_instance_down_leaves_nothing_in_janus(
    start_server: StartServer, janus: JanusServer, oidc_issuer: TestIssuer
) -> None:
    server = await start_server(janus_urls=[janus.url])
    await wait_for_janus(server)
    api = Api(server, oidc_issuer)
    try:
        _, _, host, guest = await streaming(api)
        media = server.app.state.signaling.services.media
        session = media.pool.connection(janus.url).session_id
        await server.stop()
        assert await host.peer.closed() == 1001
        assert session not in await janus.sessions()
        assert not any(
            r["description"].startswith(host.id) for r in await janus.rooms()
        )
        await host.close_media()
        await guest.close_media()
    finally:
        await api.aclose()
