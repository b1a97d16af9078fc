"""The VideoRoom requests Parley needs: one room per published stream.

A :class:`Publisher` owns a handle that created a room for exactly one
publisher and joined it with a fixed feed id; :class:`Subscriber` handles
join such a room to receive that feed. The requests follow the controller
(notes §3, §9.2): ``configure`` with the offer to publish (also for a
renegotiation), the legacy ``audio``/``video`` switches to mute, the
deprecated-but-accepted ``feed``/``offer_video``/``substream`` keys for
subscribers.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Awaitable, Callable
from typing import Any, Final

from parley.janus.connection import (
    NO_SUCH_ROOM,
    Handle,
    JanusConnection,
    Jsep,
    Reply,
)
from parley.janus.errors import JanusError, JanusRequestFailed
from parley.janus.events import Candidate, EventListener

logger = logging.getLogger(__name__)

MAX_SUBSTREAM: Final = 2


def _answer_of(reply: Reply, expected: str) -> str:
    if reply.jsep is None or reply.jsep.type != expected:
        raise JanusRequestFailed(0, f"janus sent no {expected}")
    return reply.jsep.sdp


class Publisher:
    """A published stream: its own VideoRoom room and the publisher handle in it."""

    def __init__(
        self,
        handle: Handle,
        room: int,
        *,
        on_destroyed: Callable[[Publisher], Awaitable[None]] | None = None,
    ) -> None:
        self._handle = handle
        self.room = room
        self._on_destroyed = on_destroyed
        self._destroyed = False

    @property
    def server(self) -> str:
        """The Janus server's URL (subscribers must use the same one)."""
        return self._handle.connection.url

    @property
    def alive(self) -> bool:
        return not self._destroyed and self._handle.alive

    @classmethod
    async def create(
        cls,
        connection: JanusConnection,
        *,
        description: str,
        feed: int,
        bitrate: int,
        listener: EventListener,
        on_destroyed: Callable[[Publisher], Awaitable[None]] | None = None,
    ) -> Publisher:
        """Attach, create a one-publisher room and join it as ``feed``."""
        handle = await connection.attach(listener)
        room: int | None = None
        try:
            created = await handle.message(
                {
                    "request": "create",
                    "description": description,
                    "publishers": 1,
                    "bitrate": bitrate,
                    "bitrate_cap": True,
                    "videoorient_ext": False,
                    "audiolevel_event": False,
                    "audiolevel_ext": True,
                }
            )
            raw_room = created.data.get("room")
            if not isinstance(raw_room, int):
                raise JanusRequestFailed(0, "janus created no room")
            room = raw_room
            connection.track_room(room)
            await handle.message(
                {"request": "join", "ptype": "publisher", "room": room, "id": feed}
            )
        except BaseException:
            await _undo(handle, room)
            raise
        return cls(handle, room, on_destroyed=on_destroyed)

    async def publish(self, offer: str) -> str:
        """Send the client's offer (first publish or renegotiation); the answer."""
        reply = await self._handle.message(
            {"request": "configure"}, Jsep(type="offer", sdp=offer)
        )
        return _answer_of(reply, "answer")

    async def configure(self, *, audio: bool, video: bool) -> None:
        """Relay the medium to subscribers or not (the participant muted it)."""
        await self._handle.message(
            {"request": "configure", "audio": audio, "video": video}
        )

    async def trickle(self, candidate: Candidate | None) -> None:
        await self._handle.trickle(candidate)

    async def destroy(self) -> None:
        """Destroy the room and detach; idempotent, also after the handle is gone."""
        if self._destroyed:
            return
        self._destroyed = True
        self._handle.silence()
        try:
            if self._handle.alive:
                await _undo(self._handle, self.room)
            elif self._handle.connection.connected:
                # Janus dropped the handle, not the room: remove it all the same.
                await self._handle.connection.destroy_room(self.room)
        except JanusError as exc:
            logger.info("publisher room %s not destroyed: %s", self.room, exc)
        finally:
            if self._on_destroyed is not None:
                await self._on_destroyed(self)


class Subscriber:
    """One received stream: a handle joined to a publisher's room as subscriber."""

    def __init__(self, handle: Handle) -> None:
        self._handle = handle

    @property
    def alive(self) -> bool:
        return self._handle.alive

    @classmethod
    async def create(
        cls,
        connection: JanusConnection,
        *,
        room: int,
        feed: int,
        offer_video: bool,
        listener: EventListener,
    ) -> tuple[Subscriber, str]:
        """Attach and join ``feed`` of ``room``; returns Janus's offer."""
        handle = await connection.attach(listener)
        body: dict[str, Any] = {
            "request": "join",
            "ptype": "subscriber",
            "room": room,
            "feed": feed,
        }
        if not offer_video:
            body["offer_video"] = False
        try:
            offer = _answer_of(await handle.message(body), "offer")
        except BaseException:
            await _undo(handle, None)
            raise
        return cls(handle), offer

    async def start(self, answer: str) -> None:
        """The client's answer to Janus's offer: media starts flowing."""
        await self._handle.message(
            {"request": "start"}, Jsep(type="answer", sdp=answer)
        )

    async def configure(
        self, *, video: bool | None = None, substream: int | None = None
    ) -> None:
        """Choose the simulcast layer (0-2) or stop the video."""
        body: dict[str, Any] = {"request": "configure"}
        if video is not None:
            body["video"] = video
        if substream is not None:
            body["substream"] = min(substream, MAX_SUBSTREAM)
        await self._handle.message(body)

    async def restart(self) -> str:
        """An ICE restart: Janus's new offer."""
        reply = await self._handle.message({"request": "configure", "restart": True})
        return _answer_of(reply, "offer")

    async def trickle(self, candidate: Candidate | None) -> None:
        await self._handle.trickle(candidate)

    async def detach(self) -> None:
        with contextlib.suppress(JanusError):
            await self._handle.detach()


async def _undo(handle: Handle, room: int | None) -> None:
    """Best effort: destroy the room (if any) and detach the handle."""
    handle.silence()
    if room is not None:
        try:
            await handle.message({"request": "destroy", "room": room})
            handle.connection.untrack_room(room)
        except JanusRequestFailed as exc:
            if exc.code == NO_SUCH_ROOM:
                handle.connection.untrack_room(room)
            else:
                logger.info("room %s not destroyed: %s", room, exc)
        except JanusError as exc:
            # Still tracked: destroyed once the connection is back.
            logger.info("room %s not destroyed: %s", room, exc)
    with contextlib.suppress(JanusError):
        await handle.detach()
