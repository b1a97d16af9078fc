"""Shapes shared by several namespaces: base models, timestamps, participants.

Wire rules (reference notes §2, §11.1):

* Timestamps are RFC 3339 in UTC with a ``Z`` suffix.
* Optional fields are omitted when unset, except the keys the reference
  always sends (``left_at``, ``event_info``, ``is_room_owner``, chat's
  ``last_seen_*``): those are declared with :data:`ALWAYS_PRESENT` and are
  serialised as ``null``.
* Commands ignore unknown keys (the reference deserialises with serde's
  default); events are strict, except where module data is flattened in.
"""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum
from typing import Annotated, Any, ClassVar, Final
from uuid import UUID

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    ConfigDict,
    SerializerFunctionWrapHandler,
    TypeAdapter,
    model_serializer,
)


def _as_utc(value: datetime) -> datetime:
    return value.astimezone(UTC)


UtcDateTime = Annotated[AwareDatetime, AfterValidator(_as_utc)]
"""An aware instant, normalised to UTC so it serialises with a ``Z`` suffix."""

_UTC_DATETIME: Final = TypeAdapter(UtcDateTime)


def utc_now() -> datetime:
    return datetime.now(UTC)


def format_timestamp(value: datetime) -> str:
    """RFC 3339 UTC form used everywhere on the wire (same as model fields)."""
    formatted: str = _UTC_DATETIME.dump_python(
        _UTC_DATETIME.validate_python(value), mode="json"
    )
    return formatted


class _AlwaysPresent:
    """Field marker: serialise the key even when its value is ``None``."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "ALWAYS_PRESENT"


ALWAYS_PRESENT: Final = _AlwaysPresent()


class WireModel(BaseModel):
    """Base of every payload model: immutable, drops unset optional keys."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    _omitted_when_none: ClassVar[frozenset[str]] = frozenset()

    @classmethod
    def __pydantic_init_subclass__(cls, **kwargs: Any) -> None:
        super().__pydantic_init_subclass__(**kwargs)
        cls._omitted_when_none = frozenset(
            key
            for name, field in cls.model_fields.items()
            if not any(isinstance(meta, _AlwaysPresent) for meta in field.metadata)
            for key in (name, field.serialization_alias or field.alias or name)
        )

    @model_serializer(mode="wrap")
    def _omit_unset_optionals(
        self, handler: SerializerFunctionWrapHandler
    ) -> dict[str, Any]:
        data: dict[str, Any] = handler(self)
        omitted = self._omitted_when_none
        return {k: v for k, v in data.items() if v is not None or k not in omitted}


class CommandModel(WireModel):
    """Base of client → server payloads; unknown keys are ignored."""

    model_config = ConfigDict(frozen=True, extra="ignore")


class Role(StrEnum):
    GUEST = "guest"
    USER = "user"
    MODERATOR = "moderator"


class ParticipationKind(StrEnum):
    """Who is behind a participant id; recorders are never shown to others."""

    USER = "user"
    GUEST = "guest"
    SIP = "sip"
    RECORDER = "recorder"


class WaitingRoomState(StrEnum):
    WAITING = "waiting"
    ACCEPTED = "accepted"


class ControlData(WireModel):
    """A participant's ``control`` key: the presence data every module sees."""

    display_name: str
    role: Role
    avatar_url: str | None = None
    participation_kind: ParticipationKind
    hand_is_up: bool
    joined_at: UtcDateTime
    left_at: Annotated[UtcDateTime | None, ALWAYS_PRESENT] = None
    hand_updated_at: UtcDateTime
    is_room_owner: bool


class ChatPeerData(WireModel):
    """Chat's peer data: group names the participant shares with the receiver."""

    groups: list[str]


class MediaSessionType(StrEnum):
    """What a published stream carries: camera and microphone, or a screen."""

    VIDEO = "video"
    SCREEN = "screen"

    @property
    def number(self) -> int:
        """The controller's number for the type (1, 2): Janus feed ids, room names."""
        return 1 if self is MediaSessionType.VIDEO else 2


class MediaSessionState(WireModel):
    """Whether a published stream's video and audio are on (flat, both required)."""

    video: bool
    audio: bool


class MediaPeerData(WireModel):
    """Media's peer data, flat: published streams (absent when not) and the presenter flag."""

    video: MediaSessionState | None = None
    screen: MediaSessionState | None = None
    is_presenter: bool


class Participant(WireModel):
    """A participant as others see it: ``id`` plus one key per module.

    Modules without a model here (protocol, ...) add their key as an extra
    field, which is kept and serialised as given.
    """

    model_config = ConfigDict(frozen=True, extra="allow")

    id: UUID
    control: ControlData
    chat: ChatPeerData | None = None
    media: MediaPeerData | None = None
    waiting_room_state: WaitingRoomState | None = None


class StreamingLink(WireModel):
    name: str
    url: str


class CallIn(WireModel):
    tel: str
    id: str
    password: str


class MeetingDetails(WireModel):
    """Shown only for events with `show_meeting_details` (controller 0.13+)."""

    invite_code_id: UUID | None = None
    call_in: CallIn | None = None
    streaming_links: list[StreamingLink]


class EventInfo(WireModel):
    id: UUID
    room_id: UUID
    title: str
    is_adhoc: bool
    meeting_details: MeetingDetails | None = None


MAX_DISPLAY_NAME_BYTES: Final = 100
"""Upper bound after normalisation, in UTF-8 bytes as the reference counts."""


class InvalidDisplayName(ValueError):
    """A display name that is empty or too long after normalisation."""


def normalize_display_name(raw: str | None) -> str:
    """Trim and collapse inner whitespace runs to one space.

    Raises :class:`InvalidDisplayName` when the result is empty or longer than
    :data:`MAX_DISPLAY_NAME_BYTES` (the reference checks the byte length, so a
    name in a non-Latin script reaches the limit sooner).
    """
    name = " ".join((raw or "").split())
    if not name:
        raise InvalidDisplayName("display name is empty")
    if len(name.encode()) > MAX_DISPLAY_NAME_BYTES:
        raise InvalidDisplayName(
            f"display name is longer than {MAX_DISPLAY_NAME_BYTES} bytes"
        )
    return name
