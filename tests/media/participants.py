"""Participants that talk media through Parley's signaling only (never to Janus).

A :class:`Participant` reads its websocket in the background, so a test can
wait for one event while others (``webrtc_up``, ``speaker_updated``, ...)
keep arriving; :meth:`Participant.next` takes the first matching frame and
leaves the rest for later. It publishes and subscribes with aiortc
(:mod:`tests.media.rtc`), carrying every SDP through ``media`` commands.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from typing import Any

import pytest
from websockets.exceptions import ConnectionClosed

from tests.media.rtc import Receiver, Sender, split_candidates
from tests.ws.live import Peer

WITHIN = 20.0


class Participant:
    """A joined participant: its socket, its frames, its WebRTC connections."""

    def __init__(self, peer: Peer, name: str) -> None:
        self.peer = peer
        self.name = name
        self.id = ""
        self.join_success: dict[str, Any] = {}
        self.frames: list[dict[str, Any]] = []
        self.close_code: int | None = None
        self._changed = asyncio.Event()
        self._reader: asyncio.Task[None] | None = None
        self.senders: dict[str, Sender] = {}
        self.receivers: dict[tuple[str, str], Receiver] = {}

    @classmethod
    async def join(cls, peer: Peer, name: str) -> Participant:
        participant = cls(peer, name)
        participant.join_success = await peer.join(name)
        participant.id = participant.join_success["id"]
        participant._reader = asyncio.create_task(participant._read())
        return participant

    async def _read(self) -> None:
        try:
            async for raw in self.peer.connection:
                self.frames.append(json.loads(raw))
                self._changed.set()
        except ConnectionClosed:
            pass
        finally:
            self.close_code = self.peer.connection.close_code
            self._changed.set()

    async def send(self, namespace: str, **payload: Any) -> None:
        await self.peer.send(namespace, **payload)

    async def media(self, action: str, **payload: Any) -> None:
        await self.send("media", action=action, **payload)

    def _take(
        self, namespace: str, message: str, match: dict[str, Any]
    ) -> dict[str, Any] | None:
        for index, frame in enumerate(self.frames):
            payload: dict[str, Any] = frame["payload"]
            if frame["namespace"] != namespace or payload.get("message") != message:
                continue
            if all(payload.get(key) == value for key, value in match.items()):
                del self.frames[index]
                return payload
        return None

    async def next(
        self, namespace: str, message: str, within: float = WITHIN, **match: Any
    ) -> dict[str, Any]:
        """The first (unconsumed) event of this kind whose fields match."""
        async with asyncio.timeout(within):
            while True:
                found = self._take(namespace, message, match)
                if found is not None:
                    return found
                if self.close_code is not None:
                    pytest.fail(
                        f"{self.name}: closed ({self.close_code}) before {message}"
                    )
                self._changed.clear()
                await self._changed.wait()

    async def next_frame(self, namespace: str, within: float = WITHIN) -> Any:
        """The payload of the first (unconsumed) frame of a namespace."""
        async with asyncio.timeout(within):
            while True:
                for index, frame in enumerate(self.frames):
                    if frame["namespace"] == namespace:
                        del self.frames[index]
                        return frame["payload"]
                self._changed.clear()
                await self._changed.wait()

    async def update_of(
        self, other: Participant, within: float = WITHIN, **media: Any
    ) -> dict[str, Any]:
        """The next control ``update`` of ``other`` whose ``media`` key matches."""
        async with asyncio.timeout(within):
            while True:
                update = await self.next("control", "update", id=other.id)
                if all(
                    update["media"].get(key) == value for key, value in media.items()
                ):
                    return update

    def has(self, namespace: str, message: str, **match: Any) -> bool:
        return any(
            frame["namespace"] == namespace
            and frame["payload"].get("message") == message
            and all(frame["payload"].get(k) == v for k, v in match.items())
            for frame in self.frames
        )

    async def media_error(self, code: str, **match: Any) -> dict[str, Any]:
        return await self.next("media", "error", error=code, **match)

    # Publishing and subscribing, through signaling

    async def publish(
        self, kind: str = "video", *, complete: bool = True, trickle: bool = False
    ) -> Sender:
        """Publish synthetic audio and video; wait for Janus to receive it."""
        sender = Sender()
        self.senders[kind] = sender
        offer = await sender.offer()
        candidates = []
        if trickle:  # as a browser: the candidates after the offer
            offer, candidates = split_candidates(offer)
        await self.media("publish", sdp=offer, target=self.id, media_session_type=kind)
        for candidate in candidates:
            await self.media(
                "sdp_candidate",
                target=self.id,
                media_session_type=kind,
                candidate={
                    "candidate": candidate.candidate,
                    "sdpMLineIndex": candidate.sdp_mline_index,
                    "sdpMid": candidate.sdp_mid,
                },
            )
        if trickle:
            await self.media(
                "sdp_end_of_candidates", target=self.id, media_session_type=kind
            )
        answer = await self.next(
            "media", "sdp_answer", source=self.id, media_session_type=kind
        )
        await sender.accept(answer["sdp"])
        await self.next(
            "media",
            "media_status",
            source=self.id,
            media_session_type=kind,
            receiving=True,
        )
        if complete:
            await self.media(
                "publish_complete",
                media_session_type=kind,
                media_session_state={"video": True, "audio": True},
            )
        return sender

    async def subscribe(self, other: Participant, kind: str = "video") -> Receiver:
        """Subscribe to ``other``'s stream and answer Janus's offer."""
        await self.media("subscribe", target=other.id, media_session_type=kind)
        offer = await self.next(
            "media", "sdp_offer", source=other.id, media_session_type=kind
        )
        receiver = Receiver()
        self.receivers[other.id, kind] = receiver
        answer = await receiver.answer(offer["sdp"])
        await self.media(
            "sdp_answer", sdp=answer, target=other.id, media_session_type=kind
        )
        await self.next("media", "webrtc_up", source=other.id, media_session_type=kind)
        return receiver

    async def close(self) -> None:
        """Leave: close the socket and every PeerConnection."""
        await self.peer.close()
        if self._reader is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await self._reader
        await self.close_media()

    async def close_media(self) -> None:
        for sender in self.senders.values():
            await sender.close()
        for receiver in self.receivers.values():
            await receiver.close()
        self.senders.clear()
        self.receivers.clear()
