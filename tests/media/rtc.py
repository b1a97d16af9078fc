"""WebRTC peers written with aiortc: synthetic tracks out, counted frames in.

A :class:`Sender` publishes one synthetic audio and one synthetic video track
(``sendonly``, as the web app's publisher connection); a :class:`Receiver`
answers an offer (``recvonly``) and counts the frames of every track it
gets. Neither knows anything about signaling: the tests carry the SDP.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import Counter
from dataclasses import dataclass

from aiortc import (
    MediaStreamTrack,
    RTCPeerConnection,
    RTCSessionDescription,
)
from aiortc.mediastreams import AudioStreamTrack, MediaStreamError, VideoStreamTrack


@dataclass(frozen=True)
class TrickledCandidate:
    candidate: str
    sdp_mid: str
    sdp_mline_index: int


def split_candidates(sdp: str) -> tuple[str, list[TrickledCandidate]]:
    """The SDP without its candidates, and the candidates as a browser trickles them.

    aiortc gathers every candidate before it offers; browsers (the web app)
    trickle them one by one with ``sdpMid`` and ``sdpMLineIndex``.
    """
    kept: list[str] = []
    found: list[tuple[int, str]] = []
    mids: list[str] = []
    for line in sdp.splitlines():
        if line.startswith("m="):
            mids.append(str(len(mids)))
        elif line.startswith("a=mid:") and mids:
            mids[-1] = line.removeprefix("a=mid:")
        if line.startswith("a=candidate:"):
            found.append((len(mids) - 1, line.removeprefix("a=")))
        elif line != "a=end-of-candidates":
            kept.append(line)
    candidates = [TrickledCandidate(text, mids[i], i) for i, text in found]
    return "\r\n".join(kept) + "\r\n", candidates


class Sender:
    """A publishing PeerConnection with a synthetic audio and video track."""

    def __init__(self) -> None:
        self.pc = RTCPeerConnection()
        self.pc.addTransceiver(AudioStreamTrack(), direction="sendonly")
        self.pc.addTransceiver(VideoStreamTrack(), direction="sendonly")

    async def offer(self) -> str:
        await self.pc.setLocalDescription(await self.pc.createOffer())
        return self.pc.localDescription.sdp

    async def accept(self, answer: str) -> None:
        await self.pc.setRemoteDescription(
            RTCSessionDescription(sdp=answer, type="answer")
        )

    async def close(self) -> None:
        await self.pc.close()


class Receiver:
    """A receiving PeerConnection that counts frames per kind."""

    def __init__(self) -> None:
        self.pc = RTCPeerConnection()
        self.frames: Counter[str] = Counter()
        self._tasks: list[asyncio.Task[None]] = []
        self._arrived = asyncio.Event()

        @self.pc.on("track")
        def _on_track(track: MediaStreamTrack) -> None:
            self._tasks.append(asyncio.ensure_future(self._count(track)))

    async def _count(self, track: MediaStreamTrack) -> None:
        with contextlib.suppress(MediaStreamError):
            while True:
                await track.recv()
                self.frames[track.kind] += 1
                self._arrived.set()

    async def answer(self, offer: str) -> str:
        await self.pc.setRemoteDescription(
            RTCSessionDescription(sdp=offer, type="offer")
        )
        await self.pc.setLocalDescription(await self.pc.createAnswer())
        return self.pc.localDescription.sdp

    async def wait_for_frames(
        self, *, audio: int = 10, video: int = 10, within: float = 20.0
    ) -> Counter[str]:
        """Wait until at least this many frames of each kind arrived."""
        async with asyncio.timeout(within):
            while self.frames["audio"] < audio or self.frames["video"] < video:
                self._arrived.clear()
                await self._arrived.wait()
        return Counter(self.frames)

    async def close(self) -> None:
        await self.pc.close()
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
