"""``moderation`` namespace: waiting room, kick/ban, debrief, hand toggles (notes §11.3).

Every command is moderator-only; the reference ignores them silently for
anyone else, so there is no ``insufficient_permissions`` code here.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, ClassVar, Final, Literal, TypeAlias
from uuid import UUID

from pydantic import ConfigDict, Field

from parley.signaling.messages.common import (
    CommandModel,
    Participant,
    WireModel,
)

NAMESPACE: Final = "moderation"


class KickScope(StrEnum):
    """Who ``debrief`` removes: role guest / every non-moderator / everyone."""

    GUESTS = "guests"
    USERS_AND_GUESTS = "users_and_guests"
    ALL = "all"


# Commands (client → server)


class _ModerationCommand(CommandModel):
    namespace: ClassVar[str] = NAMESPACE
    action: str


class Accept(_ModerationCommand):
    action: Literal["accept"] = "accept"
    target: UUID


class EnableWaitingRoom(_ModerationCommand):
    action: Literal["enable_waiting_room"] = "enable_waiting_room"


class DisableWaitingRoom(_ModerationCommand):
    action: Literal["disable_waiting_room"] = "disable_waiting_room"


class Kick(_ModerationCommand):
    action: Literal["kick"] = "kick"
    target: UUID


class Ban(_ModerationCommand):
    action: Literal["ban"] = "ban"
    target: UUID


class SendToWaitingRoom(_ModerationCommand):
    action: Literal["send_to_waiting_room"] = "send_to_waiting_room"
    target: UUID


class Debrief(_ModerationCommand):
    action: Literal["debrief"] = "debrief"
    kick_scope: KickScope


class ChangeDisplayName(_ModerationCommand):
    action: Literal["change_display_name"] = "change_display_name"
    new_name: str
    target: UUID


class EnableRaiseHands(_ModerationCommand):
    action: Literal["enable_raise_hands"] = "enable_raise_hands"


class DisableRaiseHands(_ModerationCommand):
    action: Literal["disable_raise_hands"] = "disable_raise_hands"


class ResetRaisedHands(_ModerationCommand):
    action: Literal["reset_raised_hands"] = "reset_raised_hands"


ModerationCommand: TypeAlias = Annotated[
    Accept
    | EnableWaitingRoom
    | DisableWaitingRoom
    | Kick
    | Ban
    | SendToWaitingRoom
    | Debrief
    | ChangeDisplayName
    | EnableRaiseHands
    | DisableRaiseHands
    | ResetRaisedHands,
    Field(discriminator="action"),
]


# Join data carried in control `join_success`


class ModerationJoinData(WireModel):
    """``join_success.moderation``; the waiting-room keys go to moderators only."""

    raise_hands_enabled: bool = True
    waiting_room_enabled: bool | None = None
    # Waiting participants first, then accepted ones that have not entered yet.
    waiting_room_participants: list[Participant] | None = None


# Events (server → client)


class ModerationErrorCode(StrEnum):
    CANNOT_BAN_GUEST = "cannot_ban_guest"
    CANNOT_SEND_ROOM_OWNER_TO_WAITING_ROOM = "cannot_send_room_owner_to_waiting_room"
    CANNOT_CHANGE_NAME_OF_REGISTERED_USERS = "cannot_change_name_of_registered_users"
    INVALID_DISPLAY_NAME = "invalid_display_name"


class _ModerationEvent(WireModel):
    namespace: ClassVar[str] = NAMESPACE
    message: str


class InWaitingRoom(_ModerationEvent):
    message: Literal["in_waiting_room"] = "in_waiting_room"


# Participant comes first in the bases so its fields follow `message` on the wire.
class JoinedWaitingRoom(Participant, _ModerationEvent):
    """A participant entered the waiting room (``id`` + ``control`` only)."""

    model_config = ConfigDict(frozen=True, extra="allow")

    message: Literal["joined_waiting_room"] = "joined_waiting_room"


class LeftWaitingRoom(_ModerationEvent):
    message: Literal["left_waiting_room"] = "left_waiting_room"
    id: UUID


class Accepted(_ModerationEvent):
    message: Literal["accepted"] = "accepted"


class WaitingRoomEnabled(_ModerationEvent):
    message: Literal["waiting_room_enabled"] = "waiting_room_enabled"


class WaitingRoomDisabled(_ModerationEvent):
    message: Literal["waiting_room_disabled"] = "waiting_room_disabled"


class Kicked(_ModerationEvent):
    message: Literal["kicked"] = "kicked"


class Banned(_ModerationEvent):
    message: Literal["banned"] = "banned"


class SentToWaitingRoom(_ModerationEvent):
    message: Literal["sent_to_waiting_room"] = "sent_to_waiting_room"


class SessionEnded(_ModerationEvent):
    message: Literal["session_ended"] = "session_ended"
    issued_by: UUID


class DebriefingStarted(_ModerationEvent):
    message: Literal["debriefing_started"] = "debriefing_started"
    issued_by: UUID


class RaiseHandsEnabled(_ModerationEvent):
    message: Literal["raise_hands_enabled"] = "raise_hands_enabled"
    issued_by: UUID


class RaiseHandsDisabled(_ModerationEvent):
    message: Literal["raise_hands_disabled"] = "raise_hands_disabled"
    issued_by: UUID


class RaisedHandResetByModerator(_ModerationEvent):
    message: Literal["raised_hand_reset_by_moderator"] = (
        "raised_hand_reset_by_moderator"
    )
    issued_by: UUID


class ModerationError(_ModerationEvent):
    message: Literal["error"] = "error"
    error: ModerationErrorCode


ModerationEvent: TypeAlias = Annotated[
    InWaitingRoom
    | JoinedWaitingRoom
    | LeftWaitingRoom
    | Accepted
    | WaitingRoomEnabled
    | WaitingRoomDisabled
    | Kicked
    | Banned
    | SentToWaitingRoom
    | SessionEnded
    | DebriefingStarted
    | RaiseHandsEnabled
    | RaiseHandsDisabled
    | RaisedHandResetByModerator
    | ModerationError,
    Field(discriminator="message"),
]
