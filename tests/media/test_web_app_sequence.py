"""The OpenTalk web app's own message sequence, replayed frame by frame.

The frames below are what the web app (11680d43) puts on the wire: its
``MediaSignaling`` builds camelCase payloads and ``SignalingSocket``
snake-cases them, except the candidate's ``sdpMLineIndex``/``sdpMid``;
browsers trickle every candidate after the offer, then ``null`` (end of
candidates); ``publish_complete`` waits for the first ``media_status`` with
``receiving: true``; a new subscriber asks for the offer at once and its
bandwidth controller lowers the quality (``configure``) before it answers.
"""

from __future__ import annotations

import json
from typing import Any

from tests.media.participants import Participant
from tests.media.rtc import Receiver, Sender, split_candidates
from tests.ws.live import Api, LiveServer


async def send_raw(participant: Participant, payload: dict[str, Any]) -> None:
    await participant.peer.connection.send(
        json.dumps({"namespace": "media", "payload": payload})
    )


def trickled(target: str, kind: str, sdp: str) -> tuple[str, list[dict[str, Any]]]:
    """The SDP without candidates, and the frames the web app trickles them in."""
    stripped, candidates = split_candidates(sdp)
    return stripped, [
        {
            "action": "sdp_candidate",
            "target": target,
            "media_session_type": kind,
            "candidate": {
                "sdpMid": c.sdp_mid,
                "sdpMLineIndex": c.sdp_mline_index,
                "candidate": c.candidate,
            },
        }
        for c in candidates
    ] + [
        {
            "action": "sdp_end_of_candidates",
            "target": target,
            "media_session_type": kind,
        }
    ]


async def test_the_web_apps_publish_and_subscribe_sequence(
    api: Api, media_server: LiveServer
) -> None:
    owner = api.user()
    room = await api.room(owner)
    code = await api.invite(owner, room)
    # Publishing waits for GET /v1/turn; unconfigured it must answer 204.
    turn = await api.http.get("/v1/turn", headers=owner)
    assert turn.status_code == 204
    guest_turn = await api.http.get(
        "/v1/turn", headers={"Authorization": f"Bearer {code}"}
    )
    assert guest_turn.status_code == 204

    host = await Participant.join(
        await api.connect((await api.start(owner, room))["ticket"]), "Web host"
    )
    guest = await Participant.join(
        await api.connect((await api.start_guest(room, code))["ticket"]), "Web guest"
    )
    sender, receiver = Sender(), Receiver()
    try:
        await host.next("control", "joined", id=guest.id)

        # Host: negotiationneeded → publish, then every candidate as it is found.
        offer, candidates = trickled(host.id, "video", await sender.offer())
        await send_raw(
            host,
            {
                "action": "publish",
                "target": host.id,
                "media_session_type": "video",
                "sdp": offer,
            },
        )
        for candidate in candidates:
            await send_raw(host, candidate)
        answer = await host.next("media", "sdp_answer", source=host.id)
        assert answer == {
            "message": "sdp_answer",
            "source": host.id,
            "media_session_type": "video",
            "sdp": answer["sdp"],
        }
        await sender.accept(answer["sdp"])
        status = await host.next(
            "media", "media_status", source=host.id, receiving=True
        )
        assert status["kind"] in ("audio", "video")
        _no_stream_announced(guest, host)
        await send_raw(
            host,
            {
                "action": "publish_complete",
                "media_session_type": "video",
                "media_session_state": {
                    "audio": True,
                    "video": True,
                    "video_settings": 2,
                },
            },
        )

        # Guest: an update with media.video.audio true starts the subscriber.
        update = await guest.update_of(host, video={"video": True, "audio": True})
        assert "video_settings" not in json.dumps(update)
        await send_raw(
            guest,
            {"action": "subscribe", "target": host.id, "media_session_type": "video"},
        )
        await send_raw(
            guest,
            {
                "action": "configure",
                "target": host.id,
                "media_session_type": "video",
                "configuration": {"video": True, "substream": 0},
            },
        )
        offered = await guest.next("media", "sdp_offer", source=host.id)
        answer_sdp, candidates = trickled(
            host.id, "video", await receiver.answer(offered["sdp"])
        )
        await send_raw(
            guest,
            {
                "action": "sdp_answer",
                "target": host.id,
                "media_session_type": "video",
                "sdp": answer_sdp,
            },
        )
        for candidate in candidates:
            await send_raw(guest, candidate)
        await guest.next(
            "media", "webrtc_up", source=host.id, media_session_type="video"
        )
        frames = await receiver.wait_for_frames(audio=10, video=10)
        assert frames["video"] >= 10

        # The keep-alive ping, echoed unchanged.
        await guest.peer.connection.send(
            json.dumps({"namespace": "echo", "payload": {"action": "ping"}})
        )
        assert await guest.next_frame("echo") == {"action": "ping"}

        # Mute (track.enabled = false) and the speaker detection.
        await send_raw(host, {"action": "update_speaking_state", "is_speaking": True})
        await guest.next(
            "media", "speaker_updated", participant=host.id, is_speaking=True
        )
        await send_raw(
            host,
            {
                "action": "update_media_session",
                "media_session_type": "video",
                "media_session_state": {
                    "audio": False,
                    "video": True,
                    "video_settings": 2,
                },
            },
        )
        await guest.update_of(host, video={"video": True, "audio": False})
        await guest.next(
            "media", "speaker_updated", participant=host.id, is_speaking=False
        )

        # Quality off, then an ICE restart: Janus offers again.
        await send_raw(
            guest,
            {
                "action": "configure",
                "target": host.id,
                "media_session_type": "video",
                "configuration": {"video": False},
            },
        )
        await send_raw(
            guest,
            {"action": "resubscribe", "target": host.id, "media_session_type": "video"},
        )
        restarted = await guest.next("media", "sdp_offer", source=host.id)
        assert restarted["sdp"].startswith("v=0")

        # Leaving: PublisherConnection.close() unpublishes, then the socket closes.
        await send_raw(host, {"action": "unpublish", "media_session_type": "video"})
        assert "video" not in (await guest.update_of(host))["media"]
        assert not guest.has("media", "error")
        assert not host.has("media", "error")
    finally:
        await sender.close()
        await receiver.close()
        await host.close()
        await guest.close()


def _no_stream_announced(guest: Participant, host: Participant) -> None:
    """Before publish_complete nobody is told about the stream."""
    assert not any(
        f["payload"].get("message") == "update"
        and f["payload"].get("id") == host.id
        and "video" in f["payload"]["media"]
        for f in guest.frames
    )
