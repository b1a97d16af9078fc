"""Several Janus servers: new streams go to the least loaded one.

The load of a server is the number of streams published on it, kept in a
:class:`LoadBook`. With the signaling state as the load book, instances
sharing Redis share the counts, as the controller's sorted set of loads
(notes §1). Subscribers always use the server their publisher is on.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from typing import Protocol

from parley.janus.connection import JanusConnection, JanusTimings
from parley.janus.errors import JanusUnavailable
from parley.janus.events import EventListener
from parley.janus.videoroom import Publisher, Subscriber


class LoadBook(Protocol):
    """Published streams per Janus server (shared by instances when it can be)."""

    async def get_media_server_loads(
        self, servers: Sequence[str]
    ) -> Mapping[str, int]: ...

    async def adjust_media_server_load(self, server: str, delta: int) -> None: ...


class LocalLoadBook:
    """Counts in this process only."""

    def __init__(self) -> None:
        self._loads: dict[str, int] = {}

    async def get_media_server_loads(self, servers: Sequence[str]) -> Mapping[str, int]:
        return {server: self._loads.get(server, 0) for server in servers}

    async def adjust_media_server_load(self, server: str, delta: int) -> None:
        self._loads[server] = max(0, self._loads.get(server, 0) + delta)


class JanusPool:
    """One :class:`JanusConnection` per configured server."""

    def __init__(
        self,
        urls: Sequence[str],
        *,
        timings: JanusTimings | None = None,
        api_secret: str | None = None,
        load_book: LoadBook | None = None,
    ) -> None:
        if not urls:
            raise ValueError("at least one Janus URL is needed")
        self._connections = {
            url: JanusConnection(url, timings=timings, api_secret=api_secret)
            for url in dict.fromkeys(urls)
        }
        self._load_book: LoadBook = load_book or LocalLoadBook()

    @property
    def servers(self) -> list[str]:
        return list(self._connections)

    def connection(self, server: str) -> JanusConnection | None:
        return self._connections.get(server)

    async def start(self) -> None:
        for connection in self._connections.values():
            await connection.start()

    async def wait_connected(self) -> None:
        """Return once every server is connected (wrap in ``asyncio.timeout``)."""
        await asyncio.gather(*(c.wait_connected() for c in self._connections.values()))

    async def aclose(self) -> None:
        await asyncio.gather(*(c.aclose() for c in self._connections.values()))

    async def create_publisher(
        self,
        *,
        description: str,
        feed: int,
        bitrate: int,
        listener: EventListener,
    ) -> Publisher:
        """A room with its publisher on the least loaded connected server."""
        connected = [c for c in self._connections.values() if c.connected]
        if not connected:
            raise JanusUnavailable("no Janus server is reachable")
        loads = await self._load_book.get_media_server_loads([c.url for c in connected])
        chosen = min(connected, key=lambda c: loads.get(c.url, 0))
        # Counted before the requests, so concurrent publishers spread out.
        await self._load_book.adjust_media_server_load(chosen.url, 1)
        try:
            return await Publisher.create(
                chosen,
                description=description,
                feed=feed,
                bitrate=bitrate,
                listener=listener,
                on_destroyed=self._released,
            )
        except BaseException:
            await self._load_book.adjust_media_server_load(chosen.url, -1)
            raise

    async def _released(self, publisher: Publisher) -> None:
        await self._load_book.adjust_media_server_load(publisher.server, -1)

    async def create_subscriber(
        self,
        *,
        server: str,
        room: int,
        feed: int,
        offer_video: bool,
        listener: EventListener,
    ) -> tuple[Subscriber, str]:
        """Subscribe to ``feed`` of ``room`` on ``server``; returns Janus's offer."""
        connection = self._connections.get(server)
        if connection is None or not connection.connected:
            raise JanusUnavailable(f"not connected to {server}")
        return await Subscriber.create(
            connection, room=room, feed=feed, offer_video=offer_video, listener=listener
        )
