"""What publishing and subscribing share: a stream, its Janus events, errors, state.

A :class:`Stream` is one Janus handle of a connection: its publisher (source =
the participant itself) or a subscription (source = the publisher). Janus
calls the handle's listener in the connection's reader task; :func:`listen`
hands each event into the participant's loop, where it is handled in turn
with the participant's commands.

The participant state fields below are written only by the participant's
own connection; every view is built from them (:func:`peer_data`).
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Final

from pydantic import BaseModel, JsonValue, ValidationError

from parley.janus import (
    Candidate,
    EventListener,
    HandleEvent,
    MediaReceiving,
    Publisher,
    SlowLink,
    Subscriber,
    TrickleCandidate,
    WebRtcUp,
)
from parley.signaling.context import Context
from parley.signaling.messages import (
    MediaPeerData,
    MediaSessionState,
    MediaSessionType,
)
from parley.signaling.messages import media as msg
from parley.signaling.messages.media import MediaErrorCode
from parley.signaling.state import JsonObject

SESSIONS: Final = "media_sessions"
"""``{"video"?: {video, audio}, "screen"?: {...}}``: the completed publications."""
PRESENTER: Final = "media_presenter"
SPEAKER: Final = "media_speaker"
"""``{is_speaking, updated_at}`` of the last ``update_speaking_state``."""


@dataclass(eq=False)
class Stream:
    """One Janus handle of this connection."""

    source: uuid.UUID
    kind: MediaSessionType
    publisher: Publisher | None = None
    subscriber: Subscriber | None = None

    async def close(self) -> None:
        """Destroy the publisher's room or detach the subscription (never raises)."""
        if self.publisher is not None:
            await self.publisher.destroy()
        if self.subscriber is not None:
            await self.subscriber.detach()


EventHandler = Callable[[Stream, HandleEvent], Awaitable[None]]


def listen(ctx: Context, stream: Stream, handler: EventHandler) -> EventListener:
    """A handle listener that runs ``handler`` in the participant's loop."""

    def listener(event: HandleEvent) -> None:
        ctx.schedule(lambda: handler(stream, event))

    return listener


def wire_event(stream: Stream, event: HandleEvent) -> BaseModel | None:
    """The client event a Janus event becomes as it is (``None``: none, or more to do)."""
    source, kind = stream.source, stream.kind
    match event:
        case WebRtcUp():
            return msg.WebrtcUp(source=source, media_session_type=kind)
        case MediaReceiving(kind=medium, receiving=receiving) if stream.publisher:
            # Janus sends none for subscribers; the web app would log one as an error.
            return msg.MediaStatus(
                source=source,
                media_session_type=kind,
                kind="audio" if medium == "audio" else "video",
                receiving=receiving,
            )
        case SlowLink(uplink=uplink):
            direction = (
                msg.LinkDirection.UPSTREAM if uplink else msg.LinkDirection.DOWNSTREAM
            )
            return msg.WebrtcSlow(
                source=source, media_session_type=kind, direction=direction
            )
        case TrickleCandidate(candidate=None):
            return msg.SdpEndOfCandidatesEvent(source=source, media_session_type=kind)
        case TrickleCandidate(candidate=Candidate() as candidate):
            return msg.SdpCandidateEvent(
                source=source,
                media_session_type=kind,
                candidate=msg.TrickleCandidate(
                    candidate=candidate.candidate,
                    sdp_mline_index=candidate.sdp_mline_index or 0,
                    sdp_mid=candidate.sdp_mid,
                ),
            )
    return None


async def send_error(
    ctx: Context,
    code: MediaErrorCode,
    source: uuid.UUID | None = None,
    kind: MediaSessionType | None = None,
) -> None:
    await ctx.send(msg.MediaError(error=code, source=source, media_session_type=kind))


async def store(ctx: Context, field: str, value: JsonValue) -> None:
    """Write one of the participant's media fields."""
    await ctx.state.update_participant(ctx.room_id, ctx.participant_id, {field: value})


def sessions_of(state: JsonObject) -> dict[MediaSessionType, MediaSessionState]:
    """A participant's completed publications, as stored."""
    raw = state.get(SESSIONS)
    if not isinstance(raw, dict):
        return {}
    sessions: dict[MediaSessionType, MediaSessionState] = {}
    for kind in MediaSessionType:
        try:
            sessions[kind] = MediaSessionState.model_validate(raw[kind.value])
        except (KeyError, ValidationError):
            continue
    return sessions


def sessions_value(
    sessions: dict[MediaSessionType, MediaSessionState],
) -> dict[str, JsonValue]:
    return {
        kind.value: state.model_dump(mode="json") for kind, state in sessions.items()
    }


def peer_data(state: JsonObject) -> MediaPeerData:
    """The flat ``media`` key of a participant's view."""
    sessions = sessions_of(state)
    return MediaPeerData(
        video=sessions.get(MediaSessionType.VIDEO),
        screen=sessions.get(MediaSessionType.SCREEN),
        is_presenter=state.get(PRESENTER) is True,
    )


def speaker_of(participant_id: uuid.UUID, state: JsonObject) -> msg.SpeakerState | None:
    raw = state.get(SPEAKER)
    if not isinstance(raw, dict):
        return None
    try:
        return msg.SpeakerState.model_validate({"participant": participant_id, **raw})
    except ValidationError:
        return None
