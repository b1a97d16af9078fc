"""``chat`` namespace: global, group and private messages (notes §11.4)."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, ClassVar, Final, Literal, TypeAlias
from uuid import UUID

from pydantic import Field, ValidationInfo, field_validator

from parley.signaling.messages.common import (
    ALWAYS_PRESENT,
    CommandModel,
    UtcDateTime,
    WireModel,
)

NAMESPACE: Final = "chat"

MAX_CONTENT_BYTES: Final = 4096


class ChatScope(StrEnum):
    GLOBAL = "global"
    GROUP = "group"
    PRIVATE = "private"


def _check_target(scope: ChatScope, target: str | None) -> str | None:
    """``target`` names a group or a participant id, and is absent for global."""
    if scope is ChatScope.GLOBAL:
        if target is not None:
            raise ValueError("target must be absent for the global scope")
        return None
    if target is None:
        raise ValueError(f"target is required for the {scope} scope")
    if scope is ChatScope.PRIVATE:
        return str(UUID(target))  # canonical form; ValueError when not a uuid
    return target


class _Scoped:
    """Validation shared by every model carrying ``scope`` then ``target``.

    ``target`` is declared with ``validate_default=True`` so a missing target
    is still checked against the scope.
    """

    @field_validator("target")
    @classmethod
    def _target_matches_scope(
        cls, target: str | None, info: ValidationInfo
    ) -> str | None:
        scope = info.data.get("scope")
        if scope is None:  # scope itself failed validation and is reported
            return target
        return _check_target(scope, target)


def clip_content(content: str) -> str:
    """Cut to at most :data:`MAX_CONTENT_BYTES` UTF-8 bytes on a character boundary."""
    encoded = content.encode()
    if len(encoded) <= MAX_CONTENT_BYTES:
        return content
    return encoded[:MAX_CONTENT_BYTES].decode(errors="ignore")


# Commands (client → server)


class _ChatCommand(CommandModel):
    namespace: ClassVar[str] = NAMESPACE
    action: str


class SendMessage(_Scoped, _ChatCommand):
    action: Literal["send_message"] = "send_message"
    scope: ChatScope
    target: str | None = Field(default=None, validate_default=True)
    content: str


class EnableChat(_ChatCommand):
    action: Literal["enable_chat"] = "enable_chat"


class DisableChat(_ChatCommand):
    action: Literal["disable_chat"] = "disable_chat"


class ClearHistory(_ChatCommand):
    action: Literal["clear_history"] = "clear_history"


class SetLastSeenTimestamp(_Scoped, _ChatCommand):
    action: Literal["set_last_seen_timestamp"] = "set_last_seen_timestamp"
    scope: ChatScope
    target: str | None = Field(default=None, validate_default=True)
    timestamp: UtcDateTime


ChatCommand: TypeAlias = Annotated[
    SendMessage | EnableChat | DisableChat | ClearHistory | SetLastSeenTimestamp,
    Field(discriminator="action"),
]


# Stored history and join data


class StoredMessage(_Scoped, WireModel):
    """A message as kept in a room's history."""

    id: UUID
    source: UUID
    timestamp: UtcDateTime
    content: str
    scope: ChatScope
    target: str | None = Field(default=None, validate_default=True)


class GroupHistory(WireModel):
    name: str
    history: list[StoredMessage]


class PrivateHistory(WireModel):
    correspondent: UUID
    history: list[StoredMessage]


class ChatJoinData(WireModel):
    """``join_success.chat``; every key is always present."""

    enabled: bool = True
    room_history: list[StoredMessage] = Field(default_factory=list)  # newest first
    groups_history: list[GroupHistory] = Field(default_factory=list)
    private_history: list[PrivateHistory] = Field(default_factory=list)
    last_seen_timestamp_global: Annotated[UtcDateTime | None, ALWAYS_PRESENT] = None
    last_seen_timestamps_private: dict[UUID, UtcDateTime] = Field(default_factory=dict)
    last_seen_timestamps_group: dict[str, UtcDateTime] = Field(default_factory=dict)


# Events (server → client)


class ChatErrorCode(StrEnum):
    CHAT_DISABLED = "chat_disabled"
    INSUFFICIENT_PERMISSIONS = "insufficient_permissions"


class _ChatEvent(WireModel):
    namespace: ClassVar[str] = NAMESPACE
    message: str


class MessageSent(_Scoped, _ChatEvent):
    """No timestamp field: receivers use the envelope's ``timestamp``."""

    message: Literal["message_sent"] = "message_sent"
    id: UUID
    source: UUID
    content: str
    scope: ChatScope
    target: str | None = Field(default=None, validate_default=True)


class ChatEnabled(_ChatEvent):
    message: Literal["chat_enabled"] = "chat_enabled"
    issued_by: UUID


class ChatDisabled(_ChatEvent):
    message: Literal["chat_disabled"] = "chat_disabled"
    issued_by: UUID


class HistoryCleared(_ChatEvent):
    message: Literal["history_cleared"] = "history_cleared"
    issued_by: UUID


class ChatError(_ChatEvent):
    message: Literal["error"] = "error"
    error: ChatErrorCode


ChatEvent: TypeAlias = Annotated[
    MessageSent | ChatEnabled | ChatDisabled | HistoryCleared | ChatError,
    Field(discriminator="message"),
]
