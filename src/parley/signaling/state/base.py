"""The signaling state interface and the data it stores.

One interface, two implementations: :class:`~.memory.MemorySignalingState`
for a single process and :class:`~.redis.RedisSignalingState` for several
instances sharing Redis. Both pass the same behavioural test suite.

Lifecycle: ``await state.start()`` before use (the Redis implementation
starts its heartbeat and sweeper there), ``await state.aclose()`` at
shutdown. Every operation of the Redis implementation raises
:class:`StateUnavailable` when Redis cannot be reached.
"""

from __future__ import annotations

import os
import re
import secrets
import socket
from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from types import TracebackType
from typing import Final, Self, TypeAlias
from uuid import UUID

from pydantic import BaseModel, ConfigDict, JsonValue, model_validator

from parley.signaling.messages.chat import StoredMessage
from parley.signaling.messages.common import (
    MediaSessionType,
    ParticipationKind,
    WaitingRoomState,
)
from parley.signaling.state.errors import (
    StateError,
    StateUnavailable,
    SubscriptionOverflow,
)
from parley.signaling.state.fanout import RoomMessage, Subscription

TICKET_TTL: Final = 30.0
"""Seconds a ticket stays valid (reference: ``SET EX 30``)."""
RESUMPTION_TTL: Final = 120.0
RESUMPTION_REFRESH_INTERVAL: Final = 60.0
"""While connected, the runner refreshes its resumption token this often."""
PARTICIPANT_LOCK_TTL: Final = 30.0
PARTICIPANT_LOCK_REFRESH_INTERVAL: Final = 10.0
WAITING_ROOM_BYPASS_TTL: Final = 120.0
CHAT_HISTORY_LIMIT: Final = 100
PRIVATE_CHAT_HISTORY_LIMIT: Final = 1000
"""Private messages kept per room (all pairs together), newest first."""

JsonObject: TypeAlias = dict[str, JsonValue]

_INSTANCE_ID: Final = re.compile(r"[A-Za-z0-9._-]{1,128}")


def validate_instance_id(instance_id: str) -> str:
    """Instance ids end up inside key names and lock values: no ``:`` or ``/``."""
    if not _INSTANCE_ID.fullmatch(instance_id):
        raise ValueError(
            f"instance id must match {_INSTANCE_ID.pattern}: {instance_id!r}"
        )
    return instance_id


def default_instance_id() -> str:
    """``<host>-<pid>-<random>``: readable in Redis, unique across restarts."""
    host = re.sub(r"[^A-Za-z0-9.-]", "-", socket.gethostname())[:64] or "host"
    return f"{host}-{os.getpid()}-{secrets.token_hex(4)}"


class Participation(BaseModel):
    """Who is behind a participant id: a registered user (with id) or a service/guest."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: ParticipationKind
    user_id: UUID | None = None

    @model_validator(mode="after")
    def _user_id_only_for_users(self) -> Self:
        if (self.kind is ParticipationKind.USER) != (self.user_id is not None):
            raise ValueError("user_id is required for kind 'user' and only for it")
        return self

    @classmethod
    def user(cls, user_id: UUID) -> Participation:
        return cls(kind=ParticipationKind.USER, user_id=user_id)

    @classmethod
    def guest(cls) -> Participation:
        return cls(kind=ParticipationKind.GUEST)

    @classmethod
    def sip(cls) -> Participation:
        return cls(kind=ParticipationKind.SIP)

    @classmethod
    def recorder(cls) -> Participation:
        return cls(kind=ParticipationKind.RECORDER)


class TicketData(BaseModel):
    """What a start endpoint hands to the websocket through a ticket (notes §1.2)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    participant_id: UUID
    resuming: bool
    participation: Participation
    room_id: UUID
    breakout_room: UUID | None = None
    resumption: str


class ResumptionData(BaseModel):
    """Stored under a resumption token while (and shortly after) a runner is connected."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    participant_id: UUID
    participation: Participation
    room_id: UUID
    breakout_room: UUID | None = None


class MediaPublisher(BaseModel):
    """Where a participant's published stream lives: a Janus server and room.

    Any instance subscribes to it through its own connection to that server.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    server: str
    room: int


class RoomFlag(StrEnum):
    """Per-room switches, forgotten when the room is torn down."""

    WAITING_ROOM_ENABLED = "waiting_room_enabled"
    RAISE_HANDS_ENABLED = "raise_hands_enabled"
    CHAT_ENABLED = "chat_enabled"


class PresenceStatus(StrEnum):
    JOINED = "joined"
    WAITING = "waiting"
    ABSENT = "absent"


@dataclass(frozen=True, slots=True)
class Departure:
    """Result of leaving: where the participant was, and whether the room closed."""

    previous: PresenceStatus
    participation_kind: ParticipationKind | None
    room_closed: bool


@dataclass(frozen=True, slots=True)
class ParticipantLimit:
    """The room's capacity as it applies to one arriving participant (tariff quota).

    The arrival is refused when ``limit`` participants other than it are
    already attached (joined or waiting); recorders are not counted. With
    ``waived_without_moderator`` (a moderator arriving) it gets in anyway while
    no other moderator is joined, so a full room never locks out its host.
    """

    limit: int
    waived_without_moderator: bool = False


@dataclass(frozen=True, slots=True)
class JoinOutcome:
    """Whether a join got in, and when the room's session ends (``None``: never)."""

    admitted: bool
    closes_at: datetime | None


@dataclass(frozen=True, slots=True)
class WaitingParticipant:
    participant_id: UUID
    state: WaitingRoomState
    control: JsonObject


@dataclass(frozen=True, slots=True)
class LivenessTimings:
    """How fast a crashed instance's participants are reported ``left``.

    An instance is dead once its heartbeat key expires (``heartbeat_ttl``);
    some sweeper notices within ``sweep_interval``. The worst case is
    therefore ``heartbeat_ttl + sweep_interval`` (8 s by default).
    """

    heartbeat_interval: float = 2.0
    heartbeat_ttl: float = 6.0
    sweep_interval: float = 2.0

    def __post_init__(self) -> None:
        if not 0 < self.heartbeat_interval < self.heartbeat_ttl:
            raise ValueError(
                "heartbeat_interval must be positive and below heartbeat_ttl"
            )
        if self.sweep_interval <= 0:
            raise ValueError("sweep_interval must be positive")

    @property
    def detection_bound(self) -> float:
        return self.heartbeat_ttl + self.sweep_interval


class SignalingState(ABC):
    """Tickets, resumption, presence, waiting room, flags, chat and fan-out.

    Presence model: a participant is *attached* to a room from
    :meth:`join_room` or :meth:`enter_waiting_room` until :meth:`leave_room`
    (or until a sweeper finds its instance dead). The room's keys are deleted
    when the last attached participant leaves. Joined participants stay in
    :meth:`list_participants` after leaving, with ``left_at`` set, until then.
    """

    @property
    @abstractmethod
    def instance_id(self) -> str:
        """This process's id; participants are registered under it."""

    @abstractmethod
    async def start(self) -> None:
        """Start background work (heartbeat, sweeper). Idempotent."""

    @abstractmethod
    async def aclose(self) -> None:
        """Stop background work, end subscriptions, close connections."""

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def ping(self) -> None:  # noqa: B027 - only a shared store can be away
        """Raise StateUnavailable unless the store answers (readiness checks)."""

    # Tickets

    @abstractmethod
    async def put_ticket(
        self, ticket: str, data: TicketData, *, ttl: float = TICKET_TTL
    ) -> None:
        """Store a ticket for ``ttl`` seconds."""

    @abstractmethod
    async def take_ticket(self, ticket: str) -> TicketData | None:
        """Return and delete a ticket; ``None`` if unknown, expired or already taken."""

    # Resumption

    @abstractmethod
    async def put_resumption(
        self, token: str, data: ResumptionData, *, ttl: float = RESUMPTION_TTL
    ) -> bool:
        """Store resumption data unless the token exists (``SET NX``)."""

    @abstractmethod
    async def refresh_resumption(
        self, token: str, data: ResumptionData, *, ttl: float = RESUMPTION_TTL
    ) -> bool:
        """Rewrite existing resumption data (``SET XX``).

        ``False`` means the token is gone: a new session consumed it, so the
        current connection must close.
        """

    @abstractmethod
    async def get_resumption(self, token: str) -> ResumptionData | None:
        """Read resumption data without consuming it.

        A start request checks ``session_running`` before consuming: a token
        whose session is still connected must stay valid for that session.
        """

    @abstractmethod
    async def consume_resumption(self, token: str) -> ResumptionData | None:
        """Return and delete resumption data atomically."""

    # Participant runner lock

    @abstractmethod
    async def acquire_participant_lock(
        self,
        participant_id: UUID,
        *,
        ttl: float = PARTICIPANT_LOCK_TTL,
        wait: float = 0.0,
    ) -> str | None:
        """Claim a participant id for one runner (``SET NX``).

        Retries for up to ``wait`` seconds (a previous runner may still be
        shutting down). Returns the lock token for refresh/release, or
        ``None`` when another runner holds it.
        """

    @abstractmethod
    async def refresh_participant_lock(
        self,
        participant_id: UUID,
        lock_token: str,
        *,
        ttl: float = PARTICIPANT_LOCK_TTL,
    ) -> bool:
        """Extend the lock; ``False`` if it is no longer ours (the runner must stop)."""

    @abstractmethod
    async def release_participant_lock(
        self, participant_id: UUID, lock_token: str
    ) -> None:
        """Release the lock if it is still ours."""

    @abstractmethod
    async def is_participant_connected(self, participant_id: UUID) -> bool:
        """Whether some runner holds the participant id (``session_running``)."""

    # Waiting-room bypass (accepted participants skip it when they reconnect)

    @abstractmethod
    async def set_waiting_room_bypass(
        self, participant_id: UUID, *, ttl: float = WAITING_ROOM_BYPASS_TTL
    ) -> None: ...

    @abstractmethod
    async def refresh_waiting_room_bypass(
        self, participant_id: UUID, *, ttl: float = WAITING_ROOM_BYPASS_TTL
    ) -> bool:
        """Extend an existing bypass; ``False`` if there is none."""

    @abstractmethod
    async def clear_waiting_room_bypass(self, participant_id: UUID) -> None: ...

    @abstractmethod
    async def has_waiting_room_bypass(self, participant_id: UUID) -> bool: ...

    # Presence

    @abstractmethod
    async def join_room(
        self,
        room_id: UUID,
        participant_id: UUID,
        control: Mapping[str, JsonValue],
        *,
        limit: ParticipantLimit | None = None,
        closes_at: datetime | None = None,
    ) -> JoinOutcome:
        """Attach as a joined participant with this public state.

        Replaces any earlier state of the participant (a rejoin after
        resumption) and takes it out of the waiting room (``enter_room``).
        With ``limit``, a full room refuses the join and nothing changes; the
        check and the attach are one atomic step (on every instance).
        ``closes_at`` becomes the end of the room's session when this join
        starts it (nobody is listed yet); the outcome carries the room's end.
        """

    @abstractmethod
    async def update_participant(
        self, room_id: UUID, participant_id: UUID, changes: Mapping[str, JsonValue]
    ) -> bool:
        """Merge ``changes`` into the participant's state; ``False`` if unknown."""

    @abstractmethod
    async def get_participant(
        self, room_id: UUID, participant_id: UUID
    ) -> JsonObject | None: ...

    @abstractmethod
    async def list_participants(self, room_id: UUID) -> dict[UUID, JsonObject]:
        """Everyone who joined, in order of first joining, including those who left."""

    @abstractmethod
    async def leave_room(
        self, room_id: UUID, participant_id: UUID, *, left_at: datetime
    ) -> Departure:
        """Detach: set ``left_at`` if joined, drop from the waiting room if waiting.

        Tears the room down when nobody stays attached. Does nothing (returns
        ``ABSENT``) unless this instance holds the participant, so a stale
        runner cannot detach a participant that resumed elsewhere.
        """

    @abstractmethod
    async def remove_participant(
        self, room_id: UUID, participant_id: UUID
    ) -> Departure:
        """Detach and forget the participant's state entirely (not listed as left)."""

    # Waiting room

    @abstractmethod
    async def enter_waiting_room(
        self,
        room_id: UUID,
        participant_id: UUID,
        control: Mapping[str, JsonValue],
        *,
        limit: ParticipantLimit | None = None,
    ) -> bool:
        """Attach as a waiting participant with this public state.

        ``False`` (and nothing changes) when ``limit`` finds the room full.
        """

    @abstractmethod
    async def accept_waiting(self, room_id: UUID, participant_id: UUID) -> bool:
        """Move a waiting participant to the accepted list; ``False`` if not waiting."""

    @abstractmethod
    async def waiting_status(
        self, room_id: UUID, participant_id: UUID
    ) -> WaitingRoomState | None: ...

    @abstractmethod
    async def list_waiting_room(self, room_id: UUID) -> list[WaitingParticipant]:
        """Waiting participants first, then accepted ones, each in arrival order."""

    # Room flags and bans

    @abstractmethod
    async def get_room_flag(self, room_id: UUID, flag: RoomFlag) -> bool | None:
        """The flag's value, ``None`` when never set since the room was torn down."""

    @abstractmethod
    async def set_room_flag(
        self, room_id: UUID, flag: RoomFlag, value: bool
    ) -> None: ...

    @abstractmethod
    async def set_room_flag_if_absent(
        self, room_id: UUID, flag: RoomFlag, value: bool
    ) -> bool:
        """Set the flag unless it exists (``SET NX``); return the effective value."""

    @abstractmethod
    async def ban_user(self, room_id: UUID, user_id: UUID) -> None: ...

    @abstractmethod
    async def is_user_banned(self, room_id: UUID, user_id: UUID) -> bool: ...

    # Chat

    @abstractmethod
    async def add_chat_message(
        self, room_id: UUID, message: StoredMessage, *, limit: int = CHAT_HISTORY_LIMIT
    ) -> None:
        """Prepend to the room's global history, keeping the newest ``limit``."""

    @abstractmethod
    async def get_chat_history(self, room_id: UUID) -> list[StoredMessage]:
        """The room's global history, newest first."""

    @abstractmethod
    async def clear_chat_history(self, room_id: UUID) -> None:
        """Forget the global history; private messages stay (as the reference)."""

    @abstractmethod
    async def add_private_chat_message(
        self,
        room_id: UUID,
        message: StoredMessage,
        *,
        limit: int = PRIVATE_CHAT_HISTORY_LIMIT,
    ) -> None:
        """Keep a private message in the room's private log, newest ``limit`` kept."""

    @abstractmethod
    async def get_private_chat_history(
        self, room_id: UUID, participant_id: UUID
    ) -> list[StoredMessage]:
        """Private messages the participant sent or received, newest first."""

    # Media: the publisher registry (per room) and the load of each Janus

    @abstractmethod
    async def put_media_publisher(
        self,
        room_id: UUID,
        participant_id: UUID,
        kind: MediaSessionType,
        publisher: MediaPublisher,
    ) -> None:
        """Register where a participant publishes a stream of this kind."""

    @abstractmethod
    async def get_media_publisher(
        self, room_id: UUID, participant_id: UUID, kind: MediaSessionType
    ) -> MediaPublisher | None: ...

    @abstractmethod
    async def delete_media_publisher(
        self, room_id: UUID, participant_id: UUID, kind: MediaSessionType
    ) -> None: ...

    @abstractmethod
    async def get_media_server_loads(self, servers: Sequence[str]) -> dict[str, int]:
        """Streams published on each Janus server (0 for unknown ones)."""

    @abstractmethod
    async def adjust_media_server_load(self, server: str, delta: int) -> None:
        """Count a stream more (``+1``) or less (``-1``); never below zero."""

    # Room lifecycle

    @abstractmethod
    async def teardown_room(self, room_id: UUID) -> None:
        """Delete everything stored for the room (e.g. the room was deleted)."""

    # Fan-out

    @abstractmethod
    async def publish(self, room_id: UUID, message: RoomMessage) -> None:
        """Deliver to the room's subscribers on every instance (at most once)."""

    @abstractmethod
    async def subscribe(
        self, room_id: UUID, *, participant_id: UUID | None = None
    ) -> Subscription:
        """Receive the room's messages addressed to ``participant_id``.

        Without a participant id every message of the room is received. The
        subscription is active when this returns: anything published
        afterwards, on any instance, reaches it.
        """


__all__ = [
    "CHAT_HISTORY_LIMIT",
    "PARTICIPANT_LOCK_REFRESH_INTERVAL",
    "PARTICIPANT_LOCK_TTL",
    "PRIVATE_CHAT_HISTORY_LIMIT",
    "RESUMPTION_REFRESH_INTERVAL",
    "RESUMPTION_TTL",
    "TICKET_TTL",
    "WAITING_ROOM_BYPASS_TTL",
    "Departure",
    "JoinOutcome",
    "JsonObject",
    "LivenessTimings",
    "MediaPublisher",
    "ParticipantLimit",
    "Participation",
    "PresenceStatus",
    "ResumptionData",
    "RoomFlag",
    "RoomMessage",
    "SignalingState",
    "StateError",
    "StateUnavailable",
    "Subscription",
    "SubscriptionOverflow",
    "TicketData",
    "WaitingParticipant",
    "default_instance_id",
    "validate_instance_id",
]
