"""Media through Janus: first-frame time, signaling per participant, publishing capacity.

Three measurements against one `parley serve` process (in-memory state, a scratch
PostgreSQL database) and a Janus started from deploy/janus on loopback ports, with
WebRTC peers written with aiortc in this process. Every SDP and candidate goes
through Parley's signaling, as the web app does.

1. publish → first frame: a publisher sends `publish`; the subscriber reacts to the
   `update` as the web app does (subscribe, answer); measured until its first
   video frame and its first audio frame. p50/p99 over `--first-frame` runs.
2. signaling in a 10-person room: everyone publishes audio and video and subscribes
   to everyone else, pings `echo` every 12 s (the web app's keep-alive) and the
   floor passes from one speaker to the next every 6 s (`update_speaking_state`).
   Messages per participant per minute, sent and received, for the first minute
   (joining and connecting) and the one after (steady).
3. capacity: publishers are added in rooms of ten, each holding a published stream;
   at each level 20 probes publish (paced 5/s) and the `publish` → `sdp_answer`
   round trip is measured. Reported: p50/p99 per level and the largest level whose
   p99 stays under 500 ms.

The peers send small video (64x48) and sparse audio so that the client process, on
the same two cores as Parley and Janus, stays the lighter load; timings include
its scheduling delay. Stops by itself.

    python bench/media.py
    python bench/media.py --part capacity --levels 25,50,100,150,200
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import fractions
import json
import resource
import statistics
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
from aiortc import MediaStreamTrack, RTCPeerConnection, RTCSessionDescription
from aiortc.mediastreams import MediaStreamError
from av import AudioFrame, VideoFrame
from websockets.asyncio.client import ClientConnection, connect

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from _server import Server, parley_server, scratch_database
from tests.janus_server import JanusServer, janus_binary

PROTOCOL = "opentalk-signaling-json-v1.0"
P99_TARGET_MS = 500.0
WITHIN = 30.0


class LightVideo(MediaStreamTrack):
    """64x48 black frames at ``fps``."""

    kind = "video"

    def __init__(self, fps: float) -> None:
        super().__init__()
        self._interval = 1 / fps
        self._pts = 0

    async def recv(self) -> VideoFrame:
        if self.readyState != "live":
            raise MediaStreamError
        await asyncio.sleep(self._interval)
        frame = VideoFrame(width=64, height=48)
        for plane in frame.planes:
            plane.update(bytes(plane.buffer_size))
        frame.pts = self._pts
        frame.time_base = fractions.Fraction(1, 90000)
        self._pts += int(90000 * self._interval)
        return frame


class LightAudio(MediaStreamTrack):
    """20 ms of silence every ``interval`` seconds (Janus still sees audio)."""

    kind = "audio"

    def __init__(self, interval: float) -> None:
        super().__init__()
        self._interval = interval
        self._pts = 0

    async def recv(self) -> AudioFrame:
        if self.readyState != "live":
            raise MediaStreamError
        await asyncio.sleep(self._interval)
        frame = AudioFrame(format="s16", layout="mono", samples=960)
        for plane in frame.planes:
            plane.update(bytes(plane.buffer_size))
        frame.sample_rate = 48000
        frame.pts = self._pts
        frame.time_base = fractions.Fraction(1, 48000)
        self._pts += 960
        return frame


class Member:
    """One participant on the signaling websocket, counting what goes each way."""

    def __init__(self, ws: ClientConnection, name: str) -> None:
        self.ws = ws
        self.name = name
        self.id = ""
        self.frames: list[dict[str, Any]] = []
        self.sent: Counter[str] = Counter()
        self.received: Counter[str] = Counter()
        self.changed = asyncio.Event()
        self.reader: asyncio.Task[None] | None = None
        self.pcs: list[RTCPeerConnection] = []
        self.drains: list[asyncio.Future[None]] = []

    async def send(self, namespace: str, **payload: Any) -> None:
        self.sent[f"{namespace}.{payload.get('action', '')}"] += 1
        await self.ws.send(json.dumps({"namespace": namespace, "payload": payload}))

    async def join(self) -> None:
        await self.send("control", action="join", display_name=self.name)
        success = json.loads(await self.ws.recv())
        self.received["control.join_success"] += 1
        self.id = success["payload"]["id"]
        self.reader = asyncio.create_task(self._read())

    async def _read(self) -> None:
        with contextlib.suppress(Exception):
            async for raw in self.ws:
                frame = json.loads(raw)
                payload = frame["payload"]
                tag = payload.get("message") if isinstance(payload, dict) else None
                self.received[f"{frame['namespace']}.{tag or ''}"] += 1
                self.frames.append(frame)
                self.changed.set()

    async def take(
        self, namespace: str, message: str, within: float = WITHIN, **match: Any
    ) -> dict[str, Any]:
        async with asyncio.timeout(within):
            while True:
                for index, frame in enumerate(self.frames):
                    payload = frame["payload"]
                    if (
                        frame["namespace"] == namespace
                        and payload.get("message") == message
                        and all(payload.get(k) == v for k, v in match.items())
                    ):
                        del self.frames[index]
                        return dict(payload)
                self.changed.clear()
                await self.changed.wait()

    def drop_frames(self) -> None:
        self.frames.clear()

    async def publish(
        self, audio: MediaStreamTrack, video: MediaStreamTrack
    ) -> tuple[RTCPeerConnection, float]:
        """Publish; returns the PeerConnection and the publish → sdp_answer time."""
        pc = RTCPeerConnection()
        self.pcs.append(pc)
        pc.addTransceiver(audio, direction="sendonly")
        pc.addTransceiver(video, direction="sendonly")
        await pc.setLocalDescription(await pc.createOffer())
        sent_at = time.perf_counter()
        await self.send(
            "media",
            action="publish",
            sdp=pc.localDescription.sdp,
            target=self.id,
            media_session_type="video",
        )
        answer = await self.take("media", "sdp_answer", source=self.id)
        answered = time.perf_counter() - sent_at
        await pc.setRemoteDescription(RTCSessionDescription(answer["sdp"], "answer"))
        return pc, answered

    async def complete(self) -> None:
        """As the web app: publish_complete at the first media_status receiving."""
        await self.take("media", "media_status", source=self.id, receiving=True)
        await self.send(
            "media",
            action="publish_complete",
            media_session_type="video",
            media_session_state={"audio": True, "video": True, "video_settings": 2},
        )

    async def subscribe(
        self, target: str, on_frame: Callable[[str], None] | None = None
    ) -> RTCPeerConnection:
        await self.send(
            "media", action="subscribe", target=target, media_session_type="video"
        )
        offer = await self.take("media", "sdp_offer", source=target)
        pc = RTCPeerConnection()
        self.pcs.append(pc)

        @pc.on("track")
        def _track(track: MediaStreamTrack) -> None:
            self.drains.append(asyncio.ensure_future(_drain(track, on_frame)))

        await pc.setRemoteDescription(RTCSessionDescription(offer["sdp"], "offer"))
        await pc.setLocalDescription(await pc.createAnswer())
        await self.send(
            "media",
            action="sdp_answer",
            sdp=pc.localDescription.sdp,
            target=target,
            media_session_type="video",
        )
        return pc

    async def aclose(self) -> None:
        await self.ws.close()
        for pc in self.pcs:
            await pc.close()
        for drain in self.drains:
            drain.cancel()
        if self.reader is not None:
            self.reader.cancel()
            await asyncio.gather(self.reader, return_exceptions=True)


async def _drain(
    track: MediaStreamTrack, on_frame: Callable[[str], None] | None
) -> None:
    with contextlib.suppress(MediaStreamError):
        while True:
            await track.recv()
            if on_frame is not None:
                on_frame(track.kind)


class Rooms:
    """Rooms of the bench owner and guests joining them by invite code."""

    def __init__(self, server: Server) -> None:
        self.server = server
        # Idle connections are dropped before uvicorn's 5 s keep-alive closes them.
        self.http = httpx.AsyncClient(
            base_url=server.base_url,
            timeout=30,
            limits=httpx.Limits(keepalive_expiry=2.0),
        )
        token = server.token(f"bench-{uuid.uuid4().hex[:8]}@x.org")
        self.owner = {"Authorization": f"Bearer {token}"}

    async def room(self) -> tuple[str, str]:
        room = (await self.http.post("/v1/rooms", json={}, headers=self.owner)).json()
        invite = await self.http.post(
            f"/v1/rooms/{room['id']}/invites", json={}, headers=self.owner
        )
        return room["id"], invite.json()["invite_code"]

    async def member(self, room: tuple[str, str], name: str) -> Member:
        for attempt in range(3):
            try:
                started = await self.http.post(
                    f"/v1/rooms/{room[0]}/start_invited", json={"invite_code": room[1]}
                )
                break
            except httpx.TransportError:
                # A kept-alive connection the server closed just then: retry.
                if attempt == 2:
                    raise
        started.raise_for_status()
        ws = await connect(
            self.server.base_url.replace("http://", "ws://") + "/signaling",
            subprotocols=[PROTOCOL, f"ticket#{started.json()['ticket']}"],  # type: ignore[list-item]
            open_timeout=30,
            max_size=None,
            proxy=None,
        )
        member = Member(ws, name)
        await member.join()
        return member

    async def aclose(self) -> None:
        await self.http.aclose()


def percentile(samples: list[float], fraction: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(len(ordered) * fraction))] * 1000


def summary(samples: list[float]) -> str:
    return (
        f"p50 {statistics.median(samples) * 1000:7.1f} ms  "
        f"p99 {percentile(samples, 0.99):7.1f} ms  "
        f"max {max(samples) * 1000:7.1f} ms  (n={len(samples)})"
    )


# 1. publish → first frame


async def first_frame(rooms: Rooms, runs: int) -> None:
    from aiortc.mediastreams import AudioStreamTrack, VideoStreamTrack

    room = await rooms.room()
    publisher = await rooms.member(room, "publisher")
    subscriber = await rooms.member(room, "subscriber")
    audio_frame: list[float] = []
    video_frame: list[float] = []
    stages: list[tuple[float, float, float, float]] = []
    try:
        for _ in range(runs):
            got: dict[str, float] = {}
            arrived = asyncio.Event()

            def on_frame(
                kind: str, got: dict[str, float] = got, arrived: asyncio.Event = arrived
            ) -> None:
                got.setdefault(kind, time.perf_counter())
                if len(got) == 2:
                    arrived.set()

            subscriber.drop_frames()
            started = time.perf_counter()
            pc, answered = await publisher.publish(
                AudioStreamTrack(), VideoStreamTrack()
            )
            await publisher.complete()
            completed = time.perf_counter() - started
            await subscriber.take("control", "update", id=publisher.id)
            sub_pc = await subscriber.subscribe(publisher.id, on_frame)
            offered = time.perf_counter() - started
            async with asyncio.timeout(WITHIN):
                await arrived.wait()
            audio_frame.append(got["audio"] - started)
            video_frame.append(got["video"] - started)
            stages.append((video_frame[-1], answered, completed, offered))
            await publisher.send(
                "media", action="unpublish", media_session_type="video"
            )
            await subscriber.take("control", "update", id=publisher.id)
            for connection in (pc, sub_pc):
                await connection.close()
            publisher.pcs.clear()
            subscriber.pcs.clear()
            publisher.drop_frames()
    finally:
        await publisher.aclose()
        await subscriber.aclose()
    print(f"publish → first video frame   {summary(video_frame)}")
    print(f"publish → first audio frame   {summary(audio_frame)}")
    slowest = max(stages)
    print(
        "  slowest run: sdp_answer after {1:.0f} ms, publish_complete sent after"
        " {2:.0f} ms (Janus receiving), sdp_offer to the subscriber after {3:.0f} ms,"
        " first video frame after {0:.0f} ms".format(*(t * 1000 for t in slowest))
    )


# 2. a 10-person room


async def ten_person_room(rooms: Rooms, size: int, minute: float) -> None:
    room = await rooms.room()
    started = time.perf_counter()
    members = [await rooms.member(room, f"member-{i}") for i in range(size)]
    tasks: list[asyncio.Task[None]] = []
    snapshots: list[tuple[Counter[str], Counter[str]]] = []
    stop = asyncio.Event()

    async def behave(member: Member, index: int) -> None:
        """The web app's side: publish, subscribe to each stream once announced."""
        await member.publish(LightAudio(0.2), LightVideo(5))
        await member.complete()
        subscribed: set[str] = set()
        while not stop.is_set():
            with contextlib.suppress(TimeoutError):
                update = await member.take("control", "update", within=1.0)
                video = update.get("media", {}).get("video")
                source = update["id"]
                if video and video.get("audio") and source not in subscribed:
                    subscribed.add(source)
                    await member.subscribe(source)

    async def keep_alive(member: Member) -> None:
        while not stop.is_set():
            await member.send("echo", action="ping")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), 12)

    async def floor() -> None:
        speaker = 0
        while not stop.is_set():
            current = members[speaker % size]
            await current.send(
                "media", action="update_speaking_state", is_speaking=True
            )
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), 6)
            await current.send(
                "media", action="update_speaking_state", is_speaking=False
            )
            speaker += 1

    try:
        for index, member in enumerate(members):
            tasks.append(asyncio.create_task(behave(member, index)))
            tasks.append(asyncio.create_task(keep_alive(member)))
        tasks.append(asyncio.create_task(floor()))
        for _ in range(2):
            await asyncio.sleep(
                max(0.0, started + minute * (len(snapshots) + 1) - time.perf_counter())
            )
            snapshots.append(
                (
                    sum((m.sent for m in members), Counter()),
                    sum((m.received for m in members), Counter()),
                )
            )
    finally:
        stop.set()
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        for member in members:
            await member.aclose()
    scale = 60.0 / minute / size
    previous: tuple[Counter[str], Counter[str]] = (Counter(), Counter())
    for label, (sent, received) in zip(
        ("first minute", "second minute"), snapshots, strict=True
    ):
        sent_now, received_now = sent - previous[0], received - previous[1]
        previous = (sent, received)
        total_sent = sum(sent_now.values()) * scale
        total_received = sum(received_now.values()) * scale
        print(
            f"{size}-person room, {label}: per participant per minute "
            f"{total_sent:6.1f} sent, {total_received:6.1f} received, "
            f"{total_sent + total_received:6.1f} total"
        )
        top = (received_now + sent_now).most_common(8)
        print("   " + ", ".join(f"{tag} {count * scale:.1f}" for tag, count in top))


# 3. capacity


async def capacity(rooms: Rooms, levels: list[int], probes: int) -> None:
    held: list[Member] = []
    room: tuple[str, str] | None = None
    results: list[tuple[int, list[float]]] = []
    gate = asyncio.Semaphore(5)

    async def add_publisher(index: int, target_room: tuple[str, str]) -> Member:
        async with gate:
            member = await rooms.member(target_room, f"publisher-{index}")
            await member.publish(LightAudio(0.5), LightVideo(2))
            await member.complete()
            return member

    try:
        for level in levels:
            try:
                while len(held) < level:
                    batch = []
                    for index in range(len(held), min(level, len(held) + 10)):
                        if index % 10 == 0:
                            room = await rooms.room()
                        assert room is not None
                        batch.append(add_publisher(index, room))
                    held.extend(await asyncio.gather(*batch))
            except Exception as exc:  # a level that cannot even be reached ends it
                print(f"  could not hold {level} publishers (at {len(held)}): {exc!r}")
                break
            await asyncio.sleep(2)  # the ramp's own work settles
            probe_room = await rooms.room()
            samples: list[float] = []
            for i in range(probes):
                probe = await rooms.member(probe_room, f"probe-{level}-{i}")
                _pc, answered = await probe.publish(LightAudio(0.5), LightVideo(2))
                samples.append(answered)
                await probe.aclose()
                await asyncio.sleep(0.2)
            results.append((level, samples))
            print(f"  {level:4d} publishing participants   {summary(samples)}")
            if percentile(samples, 0.99) > P99_TARGET_MS:
                break
    finally:
        for member in held:
            await member.aclose()
    ok = [
        level
        for level, samples in results
        if percentile(samples, 0.99) <= P99_TARGET_MS
    ]
    print(
        f"largest level with sdp_answer p99 under {P99_TARGET_MS:.0f} ms: "
        f"{max(ok, default=0)} publishing participants"
        + ("" if results and results[-1][0] != levels[-1] else " (the largest tried)")
    )


async def run(server: Server, args: argparse.Namespace) -> None:
    rooms = Rooms(server)
    try:
        if args.part in ("all", "first-frame"):
            await first_frame(rooms, args.first_frame)
        if args.part in ("all", "room"):
            await ten_person_room(rooms, args.room, args.minute)
        if args.part in ("all", "capacity"):
            levels = [int(n) for n in args.levels.split(",")]
            await capacity(rooms, levels, args.probes)
    finally:
        await rooms.aclose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--part", choices=["all", "first-frame", "room", "capacity"], default="all"
    )
    parser.add_argument("--first-frame", type=int, default=20, help="runs")
    parser.add_argument("--room", type=int, default=10, help="participants")
    parser.add_argument("--minute", type=float, default=60.0, help="seconds per period")
    parser.add_argument("--levels", default="100,200,300,500")
    parser.add_argument("--probes", type=int, default=20)
    args = parser.parse_args()
    if janus_binary() is None:
        raise SystemExit("janus is not installed: apt-get install janus")
    # Thousands of sockets (signaling, ICE); Janus and Parley inherit the limit.
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    with tempfile.TemporaryDirectory() as tmp:
        janus = JanusServer(Path(tmp) / "janus", admin=False, rtp_ports=4000).start()
        try:
            with (
                scratch_database("parley_bench_media") as database_url,
                parley_server(
                    database_url,
                    Path(tmp),
                    workers=1,
                    janus_urls=janus.url,
                    db_pool_size="3",
                ) as server,
            ):
                asyncio.run(run(server, args))
        finally:
            janus.stop()


if __name__ == "__main__":
    main()
