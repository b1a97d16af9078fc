"""Two WebRTC peers see and hear each other through Parley's signaling and Janus.

Everything goes through tickets, the websocket and ``media`` commands; only
the assertions ask Janus itself (its admin API) what it holds.
"""

from __future__ import annotations

from tests.janus_server import JanusServer
from tests.media.conftest import janus_handles_of, until
from tests.media.participants import Participant
from tests.ws.live import Api, LiveServer, guest_peer


async def meeting(api: Api) -> tuple[str, dict[str, str], Participant, Participant]:
    """A room whose owner ("Host", moderator) and a guest have joined."""
    owner = api.user()
    room = await api.room(owner)
    host = await Participant.join(
        await api.connect((await api.start(owner, room))["ticket"]), "Host"
    )
    guest = await Participant.join(await guest_peer(api, owner, room), "Guest")
    await host.next("control", "joined", id=guest.id)
    return room, owner, host, guest


async def test_a_guest_sees_and_hears_the_host_then_everything_is_cleaned_up(
    api: Api, media_server: LiveServer, janus: JanusServer
) -> None:
    _, _, host, guest = await meeting(api)
    try:
        assert host.join_success["media"] == {"is_presenter": True, "speakers": []}
        assert "media" in host.join_success["tariff"]["enabled_modules"]
        assert guest.join_success["participants"][0]["media"] == {"is_presenter": True}

        await host.publish("video")
        update = await guest.update_of(host, video={"video": True, "audio": True})
        assert update["media"] == {
            "video": {"video": True, "audio": True},
            "is_presenter": True,
        }
        await host.next(
            "media", "webrtc_up", source=host.id, media_session_type="video"
        )
        rooms = [r for r in await janus.rooms() if r["description"] == f"{host.id}|1"]
        assert len(rooms) == 1

        receiver = await guest.subscribe(host, "video")
        frames = await receiver.wait_for_frames(audio=10, video=10)
        assert frames["audio"] >= 10
        assert frames["video"] >= 10
        assert len(await janus_handles_of(media_server, janus)) == 2

        await host.media("unpublish", media_session_type="video")
        update = await guest.update_of(host)
        assert "video" not in update["media"]

        async def nothing_left() -> bool:
            handles = await janus_handles_of(media_server, janus)
            return not handles and not any(
                r["description"] == f"{host.id}|1" for r in await janus.rooms()
            )

        await until(nothing_left)
        assert not host.has("media", "webrtc_down")  # an unpublish is no failure
    finally:
        await host.close()
        await guest.close()


async def test_moderation_mute_presenter_and_speaking(
    api: Api, media_server: LiveServer
) -> None:
    _, _, host, guest = await meeting(api)
    try:
        await guest.media("moderator_mute", targets=[host.id], force=True)
        await guest.media_error("permission_denied")
        await host.media("moderator_mute", targets=[guest.id, host.id], force=False)
        assert await guest.next("media", "request_mute") == {
            "message": "request_mute",
            "issuer": host.id,
            "force": False,
        }
        await host.next("media", "request_mute", issuer=host.id)

        await host.media("revoke_presenter_role", participant_ids=[guest.id])
        await guest.next("media", "presenter_revoked")
        assert (await host.update_of(guest, is_presenter=False))["media"] == {
            "is_presenter": False
        }
        await guest.media(
            "publish", sdp="v=0", target=guest.id, media_session_type="screen"
        )
        await guest.media_error("permission_denied")
        await host.media(
            "revoke_presenter_role", participant_ids=[guest.id]
        )  # no change
        await host.media("grant_presenter_role", participant_ids=[guest.id])
        await guest.next("media", "presenter_granted")
        await host.update_of(guest, is_presenter=True)
        assert not guest.has("media", "presenter_revoked")

        # A moderator may share a screen whatever the flag says.
        await host.media("revoke_presenter_role", participant_ids=[host.id])
        await host.next("media", "presenter_revoked")
        await host.publish("screen")
        await guest.update_of(
            host, screen={"video": True, "audio": True}, is_presenter=False
        )

        await guest.media("update_speaking_state", is_speaking=True)
        for participant in (host, guest):
            spoken = await participant.next(
                "media", "speaker_updated", participant=guest.id
            )
            assert spoken["is_speaking"] is True
    finally:
        await host.close()
        await guest.close()


async def test_muting_is_an_update_and_stops_the_speaker(
    api: Api, media_server: LiveServer
) -> None:
    room, owner, host, guest = await meeting(api)
    late: Participant | None = None
    try:
        await host.publish("video")
        await guest.update_of(host, video={"video": True, "audio": True})
        await host.media("update_speaking_state", is_speaking=True)
        await guest.next(
            "media", "speaker_updated", participant=host.id, is_speaking=True
        )

        await host.media(
            "update_media_session",
            media_session_type="video",
            media_session_state={"video": True, "audio": False, "video_settings": 1},
        )

        await guest.update_of(host, video={"video": True, "audio": False})
        await guest.next(
            "media", "speaker_updated", participant=host.id, is_speaking=False
        )
        # Every update carries the whole media key, a raised hand's too.
        await host.send("control", action="raise_hand")
        raised = await guest.next("control", "update", id=host.id)
        assert raised["control"]["hand_is_up"] is True
        assert raised["media"] == {
            "video": {"video": True, "audio": False},
            "is_presenter": True,
        }
        # Someone joining now sees the host's stream and who spoke last.
        late = await Participant.join(await guest_peer(api, owner, room), "Late")
        speakers = late.join_success["media"]["speakers"]
        assert [(s["participant"], s["is_speaking"]) for s in speakers] == [
            (host.id, False)
        ]
        listed = {p["id"]: p["media"] for p in late.join_success["participants"]}
        assert listed[host.id] == {
            "video": {"video": True, "audio": False},
            "is_presenter": True,
        }
    finally:
        for participant in (host, guest, late):
            if participant is not None:
                await participant.close()
