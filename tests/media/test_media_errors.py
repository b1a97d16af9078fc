"""Bad media input gets the module's error: never a crash, a 1011 or a leftover handle."""

from __future__ import annotations

import json
import uuid

from tests.janus_server import JanusServer
from tests.media.conftest import janus_handles_of, until
from tests.media.participants import Participant
from tests.media.test_media_signaling import meeting
from tests.ws.live import Api, LiveServer

GARBAGE_SDP = "v=0\r\no=- 0 0 IN IP4 127.0.0.1\r\ns=-\r\nm=nonsense\r\n"


async def test_every_bad_command_is_answered_with_the_modules_error(
    api: Api, media_server: LiveServer, janus: JanusServer
) -> None:
    _, _, host, guest = await meeting(api)
    stranger = str(uuid.uuid4())
    try:
        # Publishing: a malformed SDP, someone else's id, an unparseable command.
        for sdp in ("not an sdp", GARBAGE_SDP):
            await host.media(
                "publish", sdp=sdp, target=host.id, media_session_type="video"
            )
            await host.media_error("invalid_sdp_offer")
        await host.media(
            "publish", sdp="v=0", target=guest.id, media_session_type="video"
        )
        await host.media_error("invalid_sdp_offer")
        await host.media("publish", target=host.id, media_session_type="video")
        await host.media_error("invalid_sdp_offer")
        await host.media(
            "publish", sdp="v=0", target=host.id, media_session_type="audio"
        )
        await host.media_error("invalid_sdp_offer")

        # Candidates for handles that do not exist.
        candidate = {
            "candidate": "candidate:1 1 udp 1 192.0.2.1 9 typ host",
            "sdpMLineIndex": 0,
        }
        await guest.media(
            "sdp_candidate",
            target=guest.id,
            media_session_type="video",
            candidate=candidate,
        )
        await guest.media_error("invalid_candidate")
        await guest.media(
            "sdp_candidate",
            target=host.id,
            media_session_type="screen",
            candidate=candidate,
        )
        await guest.media_error("invalid_candidate")
        await guest.media(
            "sdp_candidate",
            target=guest.id,
            media_session_type="video",
            candidate={"candidate": 7, "sdpMLineIndex": -1},
        )
        await guest.media_error("invalid_candidate")
        await guest.media(
            "sdp_end_of_candidates", target=guest.id, media_session_type="video"
        )
        await guest.media_error("invalid_end_of_candidates")

        # Subscriptions to oneself, to nobody, to a stream that does not exist.
        for target in (guest.id, stranger, host.id):
            await guest.media("subscribe", target=target, media_session_type="video")
            assert await guest.media_error("invalid_request_offer", source=target) == {
                "message": "error",
                "error": "invalid_request_offer",
                "source": target,
                "media_session_type": "video",
            }
        await guest.media("resubscribe", target=host.id, media_session_type="video")
        await guest.media_error("invalid_request_offer", source=host.id)
        await guest.media(
            "sdp_answer", sdp="v=0", target=host.id, media_session_type="video"
        )
        await guest.media_error("handle_sdp_answer")
        await guest.media(
            "sdp_answer", sdp="v=0", target=guest.id, media_session_type="video"
        )
        await guest.media_error("handle_sdp_answer")
        await guest.media("subscribe", target="not-a-uuid", media_session_type="video")
        await guest.media_error("invalid_request_offer")

        # Commands without an error code of their own change nothing, silently.
        await guest.media(
            "configure",
            target=host.id,
            media_session_type="video",
            configuration={"video": True, "substream": 1},
        )
        await guest.media("unpublish", media_session_type="screen")
        await guest.media(
            "publish_complete",
            media_session_type="video",
            media_session_state={"video": True, "audio": True},
        )
        await guest.media(
            "update_media_session",
            media_session_type="video",
            media_session_state={"video": True, "audio": True},
        )
        await guest.media("fly")
        await guest.send(
            "media",
            action="publish",
            sdp="\u0000" * 10,
            target=guest.id,
            media_session_type="video",
        )
        await guest.media_error("invalid_sdp_offer")
        await guest.peer.connection.send(
            json.dumps({"namespace": "media", "payload": "x"})
        )

        # Still connected and served; the host never saw a stream of the guest.
        await guest.send("echo", ping=1)
        await until(lambda: _echoed(guest))
        assert not host.has("control", "update", id=guest.id)
        assert guest.close_code is None
        assert host.close_code is None

        async def no_handles() -> bool:
            return await janus_handles_of(media_server, janus) == []

        await until(no_handles)
    finally:
        await host.close()
        await guest.close()


async def _echoed(participant: Participant) -> bool:
    return any(frame["namespace"] == "echo" for frame in participant.frames)
