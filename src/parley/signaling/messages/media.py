"""``media`` namespace: WebRTC publish/subscribe over Janus (media notes §2).

Commands name a *target* (a participant id and a media session type; the own
id means the participant's publisher, another id its subscription to that
participant), events a *source*. Candidates keep the browser's camelCase keys
(``sdpMLineIndex``, ``sdpMid``). The web app adds keys the controller ignores
(``video_settings`` in a media session state): commands ignore unknown keys.
"""

from __future__ import annotations

import re
from enum import StrEnum
from typing import Annotated, ClassVar, Final, Literal, TypeAlias
from uuid import UUID

from pydantic import AfterValidator, ConfigDict, Field

from parley.signaling.messages.common import (
    CommandModel,
    MediaSessionState,
    MediaSessionType,
    UtcDateTime,
    WireModel,
)

NAMESPACE: Final = "media"
MAX_SDP_BYTES: Final = 256 * 1024
"""An SDP is a few KiB; anything near the frame limit is not one."""
MAX_TARGETS: Final = 1000

# Janus drops a request with a NUL in it without a reply: such text never reaches it.
_CONTROL_CHARACTERS: Final = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _sdp(value: str) -> str:
    if not value.startswith("v=") or _CONTROL_CHARACTERS.search(value):
        raise ValueError("not a session description")
    return value


def _text(value: str) -> str:
    if _CONTROL_CHARACTERS.search(value) or "\r" in value or "\n" in value:
        raise ValueError("control characters")
    return value


Sdp = Annotated[
    str, Field(min_length=2, max_length=MAX_SDP_BYTES), AfterValidator(_sdp)
]


class TrickleCandidate(WireModel):
    """``RTCIceCandidateInit`` as the browser sends it (camelCase kept)."""

    model_config = ConfigDict(
        frozen=True, extra="ignore", validate_by_name=True, serialize_by_alias=True
    )

    candidate: Annotated[str, Field(max_length=4096), AfterValidator(_text)]
    sdp_mline_index: Annotated[int, Field(alias="sdpMLineIndex", ge=0, le=1024)]
    sdp_mid: Annotated[
        Annotated[str, Field(max_length=256), AfterValidator(_text)] | None,
        Field(alias="sdpMid"),
    ] = None


class ClientMediaSessionState(CommandModel):
    """A media session state from a client; extra keys (``video_settings``) ignored."""

    video: bool
    audio: bool

    def stored(self) -> MediaSessionState:
        return MediaSessionState(video=self.video, audio=self.audio)


class SubscriberConfiguration(CommandModel):
    """``configure``: the video on or off, and the simulcast layer (0 low - 2 high)."""

    video: bool | None = None
    substream: Annotated[int | None, Field(ge=0, le=1024)] = None


# Commands (client → server)


class _MediaCommand(CommandModel):
    namespace: ClassVar[str] = NAMESPACE
    action: str


class _Targeted(_MediaCommand):
    target: UUID
    media_session_type: MediaSessionType


class Publish(_Targeted):
    action: Literal["publish"] = "publish"
    sdp: Sdp


class SdpAnswer(_Targeted):
    action: Literal["sdp_answer"] = "sdp_answer"
    sdp: Sdp


class SdpCandidate(_Targeted):
    action: Literal["sdp_candidate"] = "sdp_candidate"
    candidate: TrickleCandidate


class SdpEndOfCandidates(_Targeted):
    action: Literal["sdp_end_of_candidates"] = "sdp_end_of_candidates"


class PublishComplete(_MediaCommand):
    action: Literal["publish_complete"] = "publish_complete"
    media_session_type: MediaSessionType
    media_session_state: ClientMediaSessionState


class UpdateMediaSession(_MediaCommand):
    action: Literal["update_media_session"] = "update_media_session"
    media_session_type: MediaSessionType
    media_session_state: ClientMediaSessionState


class Unpublish(_MediaCommand):
    action: Literal["unpublish"] = "unpublish"
    media_session_type: MediaSessionType


class Subscribe(_Targeted):
    action: Literal["subscribe"] = "subscribe"
    without_video: bool = False


class Resubscribe(_Targeted):
    action: Literal["resubscribe"] = "resubscribe"


class Configure(_Targeted):
    action: Literal["configure"] = "configure"
    configuration: SubscriberConfiguration


class ModeratorMute(_MediaCommand):
    action: Literal["moderator_mute"] = "moderator_mute"
    targets: Annotated[list[UUID], Field(max_length=MAX_TARGETS)]
    force: bool


class GrantPresenterRole(_MediaCommand):
    action: Literal["grant_presenter_role"] = "grant_presenter_role"
    participant_ids: Annotated[list[UUID], Field(max_length=MAX_TARGETS)]


class RevokePresenterRole(_MediaCommand):
    action: Literal["revoke_presenter_role"] = "revoke_presenter_role"
    participant_ids: Annotated[list[UUID], Field(max_length=MAX_TARGETS)]


class UpdateSpeakingState(_MediaCommand):
    action: Literal["update_speaking_state"] = "update_speaking_state"
    is_speaking: bool


MediaCommand: TypeAlias = Annotated[
    Publish
    | SdpAnswer
    | SdpCandidate
    | SdpEndOfCandidates
    | PublishComplete
    | UpdateMediaSession
    | Unpublish
    | Subscribe
    | Resubscribe
    | Configure
    | ModeratorMute
    | GrantPresenterRole
    | RevokePresenterRole
    | UpdateSpeakingState,
    Field(discriminator="action"),
]


# Join data


class SpeakerState(WireModel):
    """A participant's last ``update_speaking_state``."""

    participant: UUID
    is_speaking: bool
    updated_at: UtcDateTime


class MediaJoinData(WireModel):
    """``join_success.media``: the own presenter flag and the others' speaking states."""

    is_presenter: bool
    speakers: list[SpeakerState] = Field(default_factory=list)


# Events (server → client)


class MediaErrorCode(StrEnum):
    INVALID_SDP_OFFER = "invalid_sdp_offer"
    HANDLE_SDP_ANSWER = "handle_sdp_answer"
    INVALID_CANDIDATE = "invalid_candidate"
    INVALID_END_OF_CANDIDATES = "invalid_end_of_candidates"
    INVALID_REQUEST_OFFER = "invalid_request_offer"
    INVALID_CONFIGURE_REQUEST = "invalid_configure_request"
    PERMISSION_DENIED = "permission_denied"


class LinkDirection(StrEnum):
    UPSTREAM = "upstream"
    DOWNSTREAM = "downstream"


class _MediaEvent(WireModel):
    namespace: ClassVar[str] = NAMESPACE
    message: str


class _Sourced(_MediaEvent):
    source: UUID
    media_session_type: MediaSessionType


class SdpAnswerEvent(_Sourced):
    """Janus's answer to a ``publish``."""

    message: Literal["sdp_answer"] = "sdp_answer"
    sdp: str


class SdpOffer(_Sourced):
    """Janus's offer for a ``subscribe`` or ``resubscribe``."""

    message: Literal["sdp_offer"] = "sdp_offer"
    sdp: str


class SdpCandidateEvent(_Sourced):
    message: Literal["sdp_candidate"] = "sdp_candidate"
    candidate: TrickleCandidate


class SdpEndOfCandidatesEvent(_Sourced):
    message: Literal["sdp_end_of_candidates"] = "sdp_end_of_candidates"


class WebrtcUp(_Sourced):
    message: Literal["webrtc_up"] = "webrtc_up"


class WebrtcDown(_Sourced):
    message: Literal["webrtc_down"] = "webrtc_down"


class WebrtcSlow(_Sourced):
    message: Literal["webrtc_slow"] = "webrtc_slow"
    direction: LinkDirection


class MediaStatus(_Sourced):
    """Janus started or stopped receiving a medium of a published stream."""

    message: Literal["media_status"] = "media_status"
    kind: Literal["audio", "video"]
    receiving: bool


class RequestMute(_MediaEvent):
    message: Literal["request_mute"] = "request_mute"
    issuer: UUID
    force: bool


class PresenterGranted(_MediaEvent):
    message: Literal["presenter_granted"] = "presenter_granted"


class PresenterRevoked(_MediaEvent):
    message: Literal["presenter_revoked"] = "presenter_revoked"


class SpeakerUpdated(_MediaEvent):
    message: Literal["speaker_updated"] = "speaker_updated"
    participant: UUID
    is_speaking: bool
    updated_at: UtcDateTime


class MediaError(_MediaEvent):
    """``source``/``media_session_type`` only for the two codes about a subscription."""

    message: Literal["error"] = "error"
    error: MediaErrorCode
    source: UUID | None = None
    media_session_type: MediaSessionType | None = None


MediaEvent: TypeAlias = Annotated[
    SdpAnswerEvent
    | SdpOffer
    | SdpCandidateEvent
    | SdpEndOfCandidatesEvent
    | WebrtcUp
    | WebrtcDown
    | WebrtcSlow
    | MediaStatus
    | RequestMute
    | PresenterGranted
    | PresenterRevoked
    | SpeakerUpdated
    | MediaError,
    Field(discriminator="message"),
]
