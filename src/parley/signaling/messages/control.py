"""``control`` namespace: join, presence, hands and roles (reference notes §2.2-2.4, §11.2)."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, ClassVar, Final, Literal, TypeAlias
from uuid import UUID

from pydantic import ConfigDict, Field

from parley.signaling.messages.chat import ChatJoinData
from parley.signaling.messages.common import (
    ALWAYS_PRESENT,
    CommandModel,
    EventInfo,
    Participant,
    Role,
    UtcDateTime,
    WireModel,
)
from parley.signaling.messages.media import MediaJoinData
from parley.signaling.messages.moderation import ModerationJoinData

NAMESPACE: Final = "control"


# Commands (client → server)


class _ControlCommand(CommandModel):
    namespace: ClassVar[str] = NAMESPACE
    action: str


class Join(_ControlCommand):
    """Must be the first message; the name is normalised by the runner."""

    action: Literal["join"] = "join"
    display_name: str | None = None


class EnterRoom(_ControlCommand):
    action: Literal["enter_room"] = "enter_room"


class RaiseHand(_ControlCommand):
    action: Literal["raise_hand"] = "raise_hand"


class LowerHand(_ControlCommand):
    action: Literal["lower_hand"] = "lower_hand"


class GrantModeratorRole(_ControlCommand):
    action: Literal["grant_moderator_role"] = "grant_moderator_role"
    target: UUID


class RevokeModeratorRole(_ControlCommand):
    action: Literal["revoke_moderator_role"] = "revoke_moderator_role"
    target: UUID


ControlCommand: TypeAlias = Annotated[
    Join | EnterRoom | RaiseHand | LowerHand | GrantModeratorRole | RevokeModeratorRole,
    Field(discriminator="action"),
]


# Events (server → client)


class ControlErrorCode(StrEnum):
    INVALID_JSON = "invalid_json"
    INVALID_NAMESPACE = "invalid_namespace"
    INVALID_USERNAME = "invalid_username"
    ALREADY_JOINED = "already_joined"
    NOT_YET_JOINED = "not_yet_joined"
    NOT_ACCEPTED_OR_NOT_IN_WAITING_ROOM = "not_accepted_or_not_in_waiting_room"
    RAISE_HANDS_DISABLED = "raise_hands_disabled"
    INSUFFICIENT_PERMISSIONS = "insufficient_permissions"
    TARGET_IS_ROOM_OWNER = "target_is_room_owner"
    NOTHING_TO_DO = "nothing_to_do"


class JoinBlockedReason(StrEnum):
    PARTICIPANT_LIMIT_REACHED = "participant_limit_reached"


class _ControlEvent(WireModel):
    namespace: ClassVar[str] = NAMESPACE
    message: str


class TariffModule(WireModel):
    features: list[str]


class Tariff(WireModel):
    """The room creator's tariff as sent in ``join_success`` (notes §8.5)."""

    id: UUID
    name: str
    quotas: dict[str, int]
    enabled_modules: list[str]
    disabled_features: list[str]
    modules: dict[str, TariffModule]


class JoinSuccess(_ControlEvent):
    """Sent to the joiner; other modules' join data are flattened in as extras."""

    model_config = ConfigDict(frozen=True, extra="allow")

    message: Literal["join_success"] = "join_success"
    id: UUID
    display_name: str
    avatar_url: str | None = None
    role: Role
    closes_at: UtcDateTime | None = None
    tariff: Tariff
    participants: list[Participant]
    event_info: Annotated[EventInfo | None, ALWAYS_PRESENT] = None
    is_room_owner: bool
    moderation: ModerationJoinData | None = None
    chat: ChatJoinData | None = None
    media: MediaJoinData | None = None


class JoinBlocked(_ControlEvent):
    message: Literal["join_blocked"] = "join_blocked"
    reason: JoinBlockedReason


# Participant comes first in the bases so its fields follow `message` on the wire.
class Joined(Participant, _ControlEvent):
    model_config = ConfigDict(frozen=True, extra="allow")

    message: Literal["joined"] = "joined"


class Update(Participant, _ControlEvent):
    model_config = ConfigDict(frozen=True, extra="allow")

    message: Literal["update"] = "update"


class Left(_ControlEvent):
    message: Literal["left"] = "left"
    id: UUID


class TimeLimitQuotaElapsed(_ControlEvent):
    message: Literal["time_limit_quota_elapsed"] = "time_limit_quota_elapsed"


class HandRaised(_ControlEvent):
    message: Literal["hand_raised"] = "hand_raised"


class HandLowered(_ControlEvent):
    message: Literal["hand_lowered"] = "hand_lowered"


class RoleUpdated(_ControlEvent):
    message: Literal["role_updated"] = "role_updated"
    new_role: Role


class RoomDeleted(_ControlEvent):
    message: Literal["room_deleted"] = "room_deleted"


class ControlError(_ControlEvent):
    message: Literal["error"] = "error"
    error: ControlErrorCode


ControlEvent: TypeAlias = Annotated[
    JoinSuccess
    | JoinBlocked
    | Joined
    | Update
    | Left
    | TimeLimitQuotaElapsed
    | HandRaised
    | HandLowered
    | RoleUpdated
    | RoomDeleted
    | ControlError,
    Field(discriminator="message"),
]
