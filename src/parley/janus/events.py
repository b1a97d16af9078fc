"""What Janus tells the owner of a handle, without Janus's JSON.

Janus sends these asynchronously (no transaction) with the handle as
``sender``; :func:`parse_handle_event` turns them into the types below.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, TypeAlias


@dataclass(frozen=True, slots=True)
class Candidate:
    """An ICE candidate as the browser produced it (``RTCIceCandidate``)."""

    candidate: str
    sdp_mline_index: int | None = None
    sdp_mid: str | None = None

    def to_janus(self) -> dict[str, Any]:
        data: dict[str, Any] = {"candidate": self.candidate}
        if self.sdp_mline_index is not None:
            data["sdpMLineIndex"] = self.sdp_mline_index
        if self.sdp_mid is not None:
            data["sdpMid"] = self.sdp_mid
        return data


@dataclass(frozen=True, slots=True)
class WebRtcUp:
    """The PeerConnection of the handle is up (ICE and DTLS done)."""


@dataclass(frozen=True, slots=True)
class MediaReceiving:
    """Janus started or stopped receiving one medium on the handle."""

    kind: str
    """``audio`` or ``video``."""
    receiving: bool


@dataclass(frozen=True, slots=True)
class SlowLink:
    """Janus sees packet loss; ``uplink``: on what the peer sends."""

    uplink: bool


@dataclass(frozen=True, slots=True)
class Hangup:
    """The handle's PeerConnection is closed."""

    reason: str


@dataclass(frozen=True, slots=True)
class TrickleCandidate:
    """Janus trickled a candidate (only with Janus's full trickle); ``None``: done."""

    candidate: Candidate | None


@dataclass(frozen=True, slots=True)
class Gone:
    """The handle is gone: Janus detached it, or the connection to Janus was lost."""

    reason: str


HandleEvent: TypeAlias = (
    WebRtcUp | MediaReceiving | SlowLink | Hangup | TrickleCandidate | Gone
)
EventListener: TypeAlias = Callable[[HandleEvent], None]
"""Called in the connection's reader task: it must not block."""


def parse_handle_event(message: Mapping[str, Any]) -> HandleEvent | None:
    """The event of an asynchronous Janus message, or ``None`` if it is not one."""
    match message.get("janus"):
        case "webrtcup":
            return WebRtcUp()
        case "media":
            kind = message.get("type")
            if kind not in ("audio", "video"):
                return None
            return MediaReceiving(kind=kind, receiving=message.get("receiving") is True)
        case "slowlink":
            return SlowLink(uplink=message.get("uplink") is True)
        case "hangup":
            return Hangup(reason=str(message.get("reason") or ""))
        case "detached":
            return Gone(reason="detached by janus")
        case "trickle":
            return _trickle(message.get("candidate"))
    return None


def _trickle(raw: object) -> TrickleCandidate | None:
    if not isinstance(raw, dict):
        return None
    if raw.get("completed") is True:
        return TrickleCandidate(candidate=None)
    text = raw.get("candidate")
    if not isinstance(text, str):
        return None
    index = raw.get("sdpMLineIndex")
    mid = raw.get("sdpMid")
    return TrickleCandidate(
        candidate=Candidate(
            candidate=text,
            sdp_mline_index=index if isinstance(index, int) else None,
            sdp_mid=mid if isinstance(mid, str) else None,
        )
    )
