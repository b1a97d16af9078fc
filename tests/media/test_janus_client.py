"""parley.janus against a real Janus: sessions, VideoRoom flows, failures, reconnects."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

import pytest
from websockets.asyncio.server import ServerConnection, serve

from parley.janus import (
    Gone,
    HandleEvent,
    JanusConnection,
    JanusPool,
    JanusRequestFailed,
    JanusTimeout,
    JanusTimings,
    JanusUnavailable,
    MediaReceiving,
    WebRtcUp,
)
from tests.janus_server import JanusServer
from tests.media.conftest import StartJanus, until
from tests.media.rtc import Receiver, Sender

FAST = JanusTimings(
    request_timeout=3.0,
    keepalive_interval=1.0,
    connect_timeout=2.0,
    backoff_initial=0.1,
    backoff_max=0.5,
)


class Events:
    """A listener that keeps what a handle was told."""

    def __init__(self) -> None:
        self.seen: list[HandleEvent] = []
        self._changed = asyncio.Event()

    def __call__(self, event: HandleEvent) -> None:
        self.seen.append(event)
        self._changed.set()

    async def wait_for(self, kind: type[Any], within: float = 15.0) -> HandleEvent:
        async with asyncio.timeout(within):
            while True:
                for event in self.seen:
                    if isinstance(event, kind):
                        return event
                self._changed.clear()
                await self._changed.wait()


async def connected(url: str, timings: JanusTimings = FAST) -> JanusConnection:
    connection = JanusConnection(url, timings=timings)
    await connection.start()
    async with asyncio.timeout(10):
        await connection.wait_connected()
    return connection


@pytest.fixture
async def pool(janus: JanusServer) -> AsyncIterator[JanusPool]:
    pool = JanusPool([janus.url], timings=FAST)
    await pool.start()
    async with asyncio.timeout(10):
        await pool.wait_connected()
    yield pool
    await pool.aclose()


async def test_a_published_stream_reaches_a_subscriber(
    pool: JanusPool, janus: JanusServer
) -> None:
    publisher_events, subscriber_events = Events(), Events()
    publisher = await pool.create_publisher(
        description="alice|1", feed=1, bitrate=1_500_000, listener=publisher_events
    )
    sender, receiver = Sender(), Receiver()
    try:
        await sender.accept(await publisher.publish(await sender.offer()))
        await publisher_events.wait_for(WebRtcUp)
        receiving = await publisher_events.wait_for(MediaReceiving)
        assert isinstance(receiving, MediaReceiving)
        assert receiving.receiving
        subscriber, offer = await pool.create_subscriber(
            server=publisher.server,
            room=publisher.room,
            feed=1,
            offer_video=True,
            listener=subscriber_events,
        )
        await subscriber.start(await receiver.answer(offer))
        await subscriber.configure(video=True, substream=5)  # capped at 2
        await subscriber_events.wait_for(WebRtcUp)
        frames = await receiver.wait_for_frames(audio=10, video=10)
        assert frames["audio"] >= 10
        assert frames["video"] >= 10
        room = next(r for r in await janus.rooms() if r["room"] == publisher.room)
        assert (room["description"], room["max_publishers"]) == ("alice|1", 1)

        await subscriber.detach()
        await publisher.destroy()
        assert publisher.room not in [r["room"] for r in await janus.rooms()]
        connection = pool.connection(publisher.server)
        assert connection is not None
        assert connection.handle_count == 0
    finally:
        await sender.close()
        await receiver.close()


async def test_janus_refusals_become_request_failures(pool: JanusPool) -> None:
    publisher = await pool.create_publisher(
        description="bob|1", feed=1, bitrate=1_500_000, listener=Events()
    )
    try:
        with pytest.raises(JanusRequestFailed) as bad_sdp:
            await publisher.publish("not an sdp")
        assert bad_sdp.value.code == 465
        with pytest.raises(JanusRequestFailed) as no_feed:
            await pool.create_subscriber(
                server=publisher.server,
                room=publisher.room,
                feed=2,
                offer_video=True,
                listener=Events(),
            )
        assert no_feed.value.code == 428
    finally:
        await publisher.destroy()
    connection = pool.connection(publisher.server)
    assert connection is not None
    assert connection.handle_count == 0


async def test_new_streams_go_to_the_least_loaded_janus(
    start_janus: StartJanus,
) -> None:
    first, second = start_janus(), start_janus()
    pool = JanusPool([first.url, second.url], timings=FAST)
    await pool.start()
    try:
        async with asyncio.timeout(10):
            await pool.wait_connected()
        publishers = [
            await pool.create_publisher(
                description=f"p{i}|1", feed=1, bitrate=1_500_000, listener=Events()
            )
            for i in range(3)
        ]
        assert [p.server for p in publishers] == [first.url, second.url, first.url]
        assert len(await first.rooms()) == 2
        assert len(await second.rooms()) == 1
        await publishers[0].destroy()
        fourth = await pool.create_publisher(
            description="p3|1", feed=1, bitrate=1_500_000, listener=Events()
        )
        assert fourth.server == first.url  # 1 and 1: the first in order
        for publisher in (*publishers[1:], fourth):
            await publisher.destroy()
        assert await first.rooms() == []
        assert await second.rooms() == []
    finally:
        await pool.aclose()


async def test_a_restarted_janus_reports_every_handle_gone_and_is_reconnected(
    start_janus: StartJanus,
) -> None:
    janus = start_janus()
    connection = await connected(janus.url)
    try:
        events = Events()
        handle = await connection.attach(events)
        old_session = connection.session_id
        janus.stop()
        gone = await events.wait_for(Gone)
        assert isinstance(gone, Gone)
        assert not handle.alive
        with pytest.raises(JanusUnavailable):
            await connection.attach(Events())
        janus.start()
        async with asyncio.timeout(10):
            await connection.wait_connected()
        assert connection.session_id not in (None, old_session)
        assert await janus.sessions() == [connection.session_id]
    finally:
        await connection.aclose()
    assert await janus.sessions() == []


async def test_a_frozen_janus_times_requests_out(start_janus: StartJanus) -> None:
    janus = start_janus()
    connection = await connected(janus.url, JanusTimings(request_timeout=1.0))
    try:
        janus.pause()
        with pytest.raises(JanusTimeout):
            await connection.attach(Events())
    finally:
        janus.resume()
        await connection.aclose()


async def test_keepalives_hold_the_session_and_an_expired_one_is_replaced(
    start_janus: StartJanus,
) -> None:
    janus = start_janus(session_timeout=1)
    kept = await connected(janus.url, JanusTimings(keepalive_interval=0.25))
    lapsing = await connected(
        janus.url,
        JanusTimings(keepalive_interval=60.0, backoff_initial=0.1, request_timeout=3),
    )
    try:
        kept_session, lapsing_session = kept.session_id, lapsing.session_id
        events = Events()
        await lapsing.attach(events)
        await events.wait_for(Gone, within=20)

        async def replaced() -> bool:
            return lapsing.connected and lapsing.session_id != lapsing_session

        await until(replaced)
        assert kept.session_id == kept_session
        assert kept_session in await janus.sessions()
    finally:
        await kept.aclose()
        await lapsing.aclose()


class Proxy:
    """A loopback TCP proxy to Janus whose connections can be cut."""

    def __init__(self, target_port: int) -> None:
        self.target_port = target_port
        self.port = 0
        self._writers: list[asyncio.StreamWriter] = []
        self._server: asyncio.Server | None = None

    async def start(self) -> Proxy:
        self._server = await asyncio.start_server(self._accept, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def _accept(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        up_reader, up_writer = await asyncio.open_connection(
            "127.0.0.1", self.target_port
        )
        self._writers += [writer, up_writer]
        await asyncio.gather(
            self._pipe(reader, up_writer),
            self._pipe(up_reader, writer),
            return_exceptions=True,
        )

    async def _pipe(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        try:
            while data := await reader.read(65536):
                writer.write(data)
                await writer.drain()
        finally:
            writer.close()

    def cut(self) -> None:
        for writer in self._writers:
            writer.transport.abort()
        self._writers.clear()

    async def aclose(self) -> None:
        self.cut()
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()


async def test_rooms_of_a_lost_session_are_destroyed_after_reconnecting(
    janus: JanusServer,
) -> None:
    proxy = await Proxy(janus.port).start()
    pool = JanusPool([f"ws://127.0.0.1:{proxy.port}"], timings=FAST)
    await pool.start()
    try:
        async with asyncio.timeout(10):
            await pool.wait_connected()
        events = Events()
        publisher = await pool.create_publisher(
            description="carol|1", feed=1, bitrate=1_500_000, listener=events
        )
        assert publisher.room in [r["room"] for r in await janus.rooms()]
        proxy.cut()  # Janus lives on; only the connection is lost
        await events.wait_for(Gone)

        async def room_gone() -> bool:
            return publisher.room not in [r["room"] for r in await janus.rooms()]

        await until(room_gone)
        await publisher.destroy()  # the owner's clean-up after Gone: no error
    finally:
        await pool.aclose()
        await proxy.aclose()


async def fake_janus(handler: Any) -> tuple[Any, str]:
    server = await serve(handler, "127.0.0.1", 0, subprotocols=["janus-protocol"])  # type: ignore[list-item]
    port = next(iter(server.sockets)).getsockname()[1]
    return server, f"ws://127.0.0.1:{port}"


async def test_an_event_before_its_ack_answers_the_request() -> None:
    """Janus may send a plugin's event before the ack of the same transaction."""

    async def handler(ws: ServerConnection) -> None:
        async for raw in ws:
            request = json.loads(raw)
            tx = request["transaction"]
            match request["janus"]:
                case "create":
                    reply = {"janus": "success", "data": {"id": 7}}
                    await ws.send(json.dumps({**reply, "transaction": tx}))
                case "attach":
                    reply = {"janus": "success", "data": {"id": 8}}
                    await ws.send(json.dumps({**reply, "transaction": tx}))
                case "destroy":
                    await ws.send(json.dumps({"janus": "success", "transaction": tx}))
                case "message":
                    event = {
                        "janus": "event",
                        "sender": 8,
                        "transaction": tx,
                        "plugindata": {"data": {"videoroom": "event", "ok": 1}},
                        "jsep": {"type": "answer", "sdp": "v=0"},
                    }
                    await ws.send(json.dumps(event))
                    await ws.send(json.dumps({"janus": "ack", "transaction": tx}))
                    await ws.send(json.dumps({"janus": "webrtcup", "sender": 8}))

    server, url = await fake_janus(handler)
    connection = await connected(url)
    try:
        events = Events()
        handle = await connection.attach(events)
        reply = await handle.message({"request": "configure"})
        assert reply.data == {"videoroom": "event", "ok": 1}
        assert reply.jsep is not None
        assert reply.jsep.type == "answer"
        await events.wait_for(WebRtcUp)
    finally:
        await connection.aclose()
        server.close()


async def test_an_unanswered_request_times_out_and_the_connection_goes_on() -> None:
    async def handler(ws: ServerConnection) -> None:
        async for raw in ws:
            request = json.loads(raw)
            if request["janus"] == "create":
                reply = {"janus": "success", "data": {"id": 7}, "transaction": ""}
                reply["transaction"] = request["transaction"]
                await ws.send(json.dumps(reply))
            elif request["janus"] == "keepalive":
                ack = {"janus": "ack", "transaction": request["transaction"]}
                await ws.send(json.dumps(ack))
            # attach: never answered

    server, url = await fake_janus(handler)
    connection = await connected(
        url, JanusTimings(request_timeout=0.5, keepalive_interval=0.2)
    )
    try:
        with pytest.raises(JanusTimeout):
            await connection.attach(Events())
        await asyncio.sleep(0.5)  # keepalives keep being answered
        assert connection.connected
        assert connection.session_id == 7
    finally:
        await connection.aclose()
        server.close()
