"""The recorder receives every stream; tariffs and a missing Janus switch media off."""

from __future__ import annotations

from pathlib import Path

from tests.janus_server import JanusServer
from tests.media.conftest import janus_handles_of, until, wait_for_janus
from tests.media.participants import Participant
from tests.media.test_media_signaling import meeting
from tests.oidc_issuer import TestIssuer
from tests.ws.conftest import StartServer
from tests.ws.live import Api, LiveServer

RECORDER = {"realm_access": {"roles": ["opentalk-recorder"]}}

TARIFFS = """
[[tariffs]]
name = "NoRecording"
disabled_modules = ["recording"]

[[tariffs]]
name = "NoMedia"
disabled_modules = ["media"]
"""


async def test_the_recorder_receives_every_stream_unseen(
    api: Api, media_server: LiveServer, janus: JanusServer, oidc_issuer: TestIssuer
) -> None:
    room, _, host, guest = await meeting(api)
    recorder: Participant | None = None
    try:
        await host.publish("video")
        await guest.publish("video")
        await host.update_of(guest, video={"video": True, "audio": True})

        service = oidc_issuer.headers("recorder@example.com", **RECORDER)
        started = await api.http.post(
            "/v1/services/recording/start", json={"room_id": room}, headers=service
        )
        assert started.status_code == 200, started.text
        recorder = await Participant.join(
            await api.connect(started.json()["ticket"]), "Recorder"
        )
        listed = {p["id"]: p["media"] for p in recorder.join_success["participants"]}
        assert listed[host.id]["video"] == {"video": True, "audio": True}
        assert listed[guest.id]["video"] == {"video": True, "audio": True}

        for participant in (host, guest):
            receiver = await recorder.subscribe(participant)
            frames = await receiver.wait_for_frames(audio=10, video=10)
            assert frames["video"] >= 10
        await recorder.media(
            "publish", sdp="v=0", target=recorder.id, media_session_type="video"
        )
        await recorder.media_error("permission_denied")

        await recorder.close()
        assert not host.has("control", "joined", id=recorder.id)
        assert not host.has("control", "left", id=recorder.id)

        async def only_the_two_publishers() -> bool:
            return len(await janus_handles_of(media_server, janus)) == 2

        await until(only_the_two_publishers)
    finally:
        for participant in (host, guest, recorder):
            if participant is not None:
                await participant.close()


async def test_tariffs_can_switch_recording_and_media_off(
    start_server: StartServer,
    janus: JanusServer,
    oidc_issuer: TestIssuer,
    tmp_path: Path,
) -> None:
    tariffs = tmp_path / "tariffs.toml"
    tariffs.write_text(TARIFFS)
    for default, enabled in (("NoRecording", True), ("NoMedia", False)):
        server = await start_server(
            janus_urls=[janus.url], tariffs_file=tariffs, default_tariff=default
        )
        await wait_for_janus(server)
        api = Api(server, oidc_issuer)
        try:
            owner = api.user()
            room = await api.room(owner)
            service = oidc_issuer.headers("recorder@example.com", **RECORDER)
            refused = await api.http.post(
                "/v1/services/recording/start", json={"room_id": room}, headers=service
            )
            assert refused.status_code == 403
            assert refused.json()["code"] == "feature_disabled_by_tariff"

            host = await Participant.join(
                await api.connect((await api.start(owner, room))["ticket"]), "Host"
            )
            assert (
                "media" in host.join_success["tariff"]["enabled_modules"]
            ) is enabled
            assert ("media" in host.join_success) is enabled
            await host.media("update_speaking_state", is_speaking=True)
            if enabled:
                await host.next("media", "speaker_updated", participant=host.id)
            else:
                error = await host.next("control", "error")
                assert error["error"] == "invalid_namespace"
            await host.close()
        finally:
            await api.aclose()


async def test_without_a_janus_media_is_off_and_everything_else_works(
    start_server: StartServer, oidc_issuer: TestIssuer
) -> None:
    server = await start_server()  # no PARLEY_JANUS_URLS
    assert server.app.state.signaling.services.media is None
    api = Api(server, oidc_issuer)
    try:
        owner = api.user()
        tariff = await api.http.get("/v1/users/me/tariff", headers=owner)
        assert "media" not in tariff.json()["enabled_modules"]
        room = await api.room(owner)
        host = await Participant.join(
            await api.connect((await api.start(owner, room))["ticket"]), "Host"
        )
        assert "media" not in host.join_success
        assert "media" not in host.join_success["tariff"]["enabled_modules"]
        await host.media(
            "publish", sdp="v=0", target=host.id, media_session_type="video"
        )
        assert (await host.next("control", "error"))["error"] == "invalid_namespace"
        await host.send("chat", action="send_message", scope="global", content="hi")
        await host.next("chat", "message_sent", content="hi")
        await host.close()
    finally:
        await api.aclose()
