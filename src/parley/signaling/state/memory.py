"""In-process signaling state for a single instance (the embedded default).

Everything lives in dictionaries owned by the event loop; each operation
runs without awaiting in between, which makes it atomic. Public state is
stored JSON-encoded, like in Redis, so both implementations accept and
return the same values and callers never share mutable dictionaries.
"""

from __future__ import annotations

import asyncio
import json
import logging
import secrets
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Final, Generic, TypeVar
from uuid import UUID

from pydantic import JsonValue

from parley.signaling.messages.chat import StoredMessage
from parley.signaling.messages.common import (
    MediaSessionType,
    ParticipationKind,
    Role,
    WaitingRoomState,
    format_timestamp,
)
from parley.signaling.state.base import (
    CHAT_HISTORY_LIMIT,
    PARTICIPANT_LOCK_TTL,
    PRIVATE_CHAT_HISTORY_LIMIT,
    RESUMPTION_TTL,
    TICKET_TTL,
    WAITING_ROOM_BYPASS_TTL,
    Departure,
    JoinOutcome,
    JsonObject,
    MediaPublisher,
    ParticipantLimit,
    PresenceStatus,
    ResumptionData,
    RoomFlag,
    SignalingState,
    TicketData,
    WaitingParticipant,
    default_instance_id,
    validate_instance_id,
)
from parley.signaling.state.fanout import RoomMessage, Subscription

logger = logging.getLogger(__name__)

_PURGE_INTERVAL: Final = 30.0
_LOCK_RETRY_DELAY: Final = 0.1
# Stored state values are JSON-encoded (see _encode_state).
_RECORDER: Final = json.dumps(ParticipationKind.RECORDER.value)
_MODERATOR: Final = json.dumps(Role.MODERATOR.value)

V = TypeVar("V")


class _ExpiringStore(Generic[V]):
    """Keys with a time to live; expired entries vanish on access or purge."""

    def __init__(self, clock: Callable[[], float]) -> None:
        self._clock = clock
        self._entries: dict[str, tuple[V, float]] = {}

    def get(self, key: str) -> V | None:
        entry = self._entries.get(key)
        if entry is None:
            return None
        value, expires_at = entry
        if expires_at <= self._clock():
            del self._entries[key]
            return None
        return value

    def set(
        self, key: str, value: V, ttl: float, *, only_if: bool | None = None
    ) -> bool:
        """``only_if``: ``None`` always sets, ``False`` = NX (absent), ``True`` = XX."""
        exists = self.get(key) is not None
        if only_if is not None and exists != only_if:
            return False
        self._entries[key] = (value, self._clock() + ttl)
        return True

    def expire(self, key: str, ttl: float) -> bool:
        value = self.get(key)
        if value is None:
            return False
        self._entries[key] = (value, self._clock() + ttl)
        return True

    def pop(self, key: str) -> V | None:
        value = self.get(key)
        self._entries.pop(key, None)
        return value

    def purge(self) -> None:
        now = self._clock()
        expired = [
            k for k, (_, expires_at) in self._entries.items() if expires_at <= now
        ]
        for key in expired:
            del self._entries[key]


def _encode_state(state: Mapping[str, JsonValue]) -> dict[str, str]:
    return {key: json.dumps(value) for key, value in state.items()}


def _decode_state(encoded: Mapping[str, str]) -> JsonObject:
    return {key: json.loads(value) for key, value in encoded.items()}


@dataclass
class _Room:
    # Dicts keep insertion order: participants by first join, waiting by arrival.
    participants: dict[UUID, dict[str, str]] = field(default_factory=dict)
    attached: set[UUID] = field(default_factory=set)
    waiting: dict[UUID, str] = field(default_factory=dict)
    accepted: dict[UUID, str] = field(default_factory=dict)
    flags: dict[RoomFlag, bool] = field(default_factory=dict)
    banned: set[UUID] = field(default_factory=set)
    chat: list[StoredMessage] = field(default_factory=list)
    private_chat: list[StoredMessage] = field(default_factory=list)
    media_publishers: dict[tuple[UUID, MediaSessionType], MediaPublisher] = field(
        default_factory=dict
    )
    closes_at: datetime | None = None

    def is_full_for(self, participant_id: UUID, limit: ParticipantLimit) -> bool:
        """Whether ``limit`` refuses this arrival (same rules as the Redis script)."""
        others = 0
        moderator_present = False
        for pid in self.attached:
            if pid == participant_id:
                continue
            if pid in self.waiting or pid in self.accepted:
                others += 1
                continue
            state = self.participants.get(pid, {})
            if state.get("participation_kind") == _RECORDER:
                continue
            others += 1
            moderator_present = moderator_present or state.get("role") == _MODERATOR
        if limit.waived_without_moderator and not moderator_present:
            return False
        return others >= limit.limit


class MemorySignalingState(SignalingState):
    """Signaling state for one process; see :class:`SignalingState`."""

    def __init__(
        self,
        *,
        instance_id: str | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._instance_id = validate_instance_id(
            default_instance_id() if instance_id is None else instance_id
        )
        self._tickets: _ExpiringStore[TicketData] = _ExpiringStore(clock)
        self._resumptions: _ExpiringStore[ResumptionData] = _ExpiringStore(clock)
        self._locks: _ExpiringStore[str] = _ExpiringStore(clock)
        self._bypasses: _ExpiringStore[bool] = _ExpiringStore(clock)
        self._rooms: dict[UUID, _Room] = {}
        self._media_loads: dict[str, int] = {}
        self._subscriptions: dict[UUID, set[Subscription]] = {}
        self._purger: asyncio.Task[None] | None = None

    @property
    def instance_id(self) -> str:
        return self._instance_id

    async def start(self) -> None:
        if self._purger is None:
            self._purger = asyncio.create_task(
                self._purge_expired(), name="signaling-state-purge"
            )

    async def aclose(self) -> None:
        if self._purger is not None:
            self._purger.cancel()
            await asyncio.gather(self._purger, return_exceptions=True)
            self._purger = None
        for subscriptions in list(self._subscriptions.values()):
            for subscription in list(subscriptions):
                await subscription.aclose()

    async def _purge_expired(self) -> None:
        # Tickets nobody redeems would otherwise stay forever.
        while True:
            await asyncio.sleep(_PURGE_INTERVAL)
            for store in (
                self._tickets,
                self._resumptions,
                self._locks,
                self._bypasses,
            ):
                store.purge()

    # Tickets

    async def put_ticket(
        self, ticket: str, data: TicketData, *, ttl: float = TICKET_TTL
    ) -> None:
        self._tickets.set(ticket, data, ttl)

    async def take_ticket(self, ticket: str) -> TicketData | None:
        return self._tickets.pop(ticket)

    # Resumption

    async def put_resumption(
        self, token: str, data: ResumptionData, *, ttl: float = RESUMPTION_TTL
    ) -> bool:
        return self._resumptions.set(token, data, ttl, only_if=False)

    async def refresh_resumption(
        self, token: str, data: ResumptionData, *, ttl: float = RESUMPTION_TTL
    ) -> bool:
        return self._resumptions.set(token, data, ttl, only_if=True)

    async def get_resumption(self, token: str) -> ResumptionData | None:
        return self._resumptions.get(token)

    async def consume_resumption(self, token: str) -> ResumptionData | None:
        return self._resumptions.pop(token)

    # Participant runner lock

    async def acquire_participant_lock(
        self,
        participant_id: UUID,
        *,
        ttl: float = PARTICIPANT_LOCK_TTL,
        wait: float = 0.0,
    ) -> str | None:
        key = str(participant_id)
        lock_token = f"{self._instance_id}:{secrets.token_hex(8)}"
        deadline = time.monotonic() + wait
        while not self._locks.set(key, lock_token, ttl, only_if=False):
            if time.monotonic() >= deadline:
                return None
            await asyncio.sleep(_LOCK_RETRY_DELAY)
        return lock_token

    async def refresh_participant_lock(
        self,
        participant_id: UUID,
        lock_token: str,
        *,
        ttl: float = PARTICIPANT_LOCK_TTL,
    ) -> bool:
        key = str(participant_id)
        if self._locks.get(key) != lock_token:
            return False
        return self._locks.expire(key, ttl)

    async def release_participant_lock(
        self, participant_id: UUID, lock_token: str
    ) -> None:
        key = str(participant_id)
        if self._locks.get(key) == lock_token:
            self._locks.pop(key)

    async def is_participant_connected(self, participant_id: UUID) -> bool:
        return self._locks.get(str(participant_id)) is not None

    # Waiting-room bypass

    async def set_waiting_room_bypass(
        self, participant_id: UUID, *, ttl: float = WAITING_ROOM_BYPASS_TTL
    ) -> None:
        self._bypasses.set(str(participant_id), True, ttl)

    async def refresh_waiting_room_bypass(
        self, participant_id: UUID, *, ttl: float = WAITING_ROOM_BYPASS_TTL
    ) -> bool:
        return self._bypasses.expire(str(participant_id), ttl)

    async def clear_waiting_room_bypass(self, participant_id: UUID) -> None:
        self._bypasses.pop(str(participant_id))

    async def has_waiting_room_bypass(self, participant_id: UUID) -> bool:
        return self._bypasses.get(str(participant_id)) is not None

    # Presence

    def _room(self, room_id: UUID) -> _Room:
        return self._rooms.setdefault(room_id, _Room())

    async def join_room(
        self,
        room_id: UUID,
        participant_id: UUID,
        control: Mapping[str, JsonValue],
        *,
        limit: ParticipantLimit | None = None,
        closes_at: datetime | None = None,
    ) -> JoinOutcome:
        encoded = _encode_state(control)
        room = self._room(room_id)
        # No await from here on: the check and the join are one step.
        if limit is not None and room.is_full_for(participant_id, limit):
            return JoinOutcome(admitted=False, closes_at=room.closes_at)
        if not room.participants and room.closes_at is None:
            room.closes_at = closes_at
        room.waiting.pop(participant_id, None)
        room.accepted.pop(participant_id, None)
        if participant_id in room.participants:
            # Replace in place: the list keeps the order of first joining.
            room.participants[participant_id].clear()
            room.participants[participant_id].update(encoded)
        else:
            room.participants[participant_id] = encoded
        room.attached.add(participant_id)
        return JoinOutcome(admitted=True, closes_at=room.closes_at)

    async def update_participant(
        self, room_id: UUID, participant_id: UUID, changes: Mapping[str, JsonValue]
    ) -> bool:
        encoded = _encode_state(changes)
        room = self._rooms.get(room_id)
        state = room.participants.get(participant_id) if room else None
        if state is None:
            return False
        state.update(encoded)
        return True

    async def get_participant(
        self, room_id: UUID, participant_id: UUID
    ) -> JsonObject | None:
        room = self._rooms.get(room_id)
        state = room.participants.get(participant_id) if room else None
        return None if state is None else _decode_state(state)

    async def list_participants(self, room_id: UUID) -> dict[UUID, JsonObject]:
        room = self._rooms.get(room_id)
        if room is None:
            return {}
        return {pid: _decode_state(state) for pid, state in room.participants.items()}

    async def leave_room(
        self, room_id: UUID, participant_id: UUID, *, left_at: datetime
    ) -> Departure:
        return self._detach(room_id, participant_id, left_at=left_at, forget=False)

    async def remove_participant(
        self, room_id: UUID, participant_id: UUID
    ) -> Departure:
        return self._detach(room_id, participant_id, left_at=None, forget=True)

    def _detach(
        self,
        room_id: UUID,
        participant_id: UUID,
        *,
        left_at: datetime | None,
        forget: bool,
    ) -> Departure:
        room = self._rooms.get(room_id)
        if room is None or (participant_id not in room.attached and not forget):
            return Departure(PresenceStatus.ABSENT, None, room_closed=False)
        previous = PresenceStatus.ABSENT
        kind: ParticipationKind | None = None
        was_attached = participant_id in room.attached
        room.attached.discard(participant_id)
        waiting = room.waiting.pop(participant_id, None)
        accepted = room.accepted.pop(participant_id, None)
        state = room.participants.get(participant_id)
        if waiting is not None or accepted is not None:
            previous = PresenceStatus.WAITING
        elif state is not None and was_attached:
            previous = PresenceStatus.JOINED
            kind = _participation_kind(state)
            if left_at is not None:
                state["left_at"] = json.dumps(format_timestamp(left_at))
        if forget:
            room.participants.pop(participant_id, None)
        room_closed = was_attached and not room.attached
        if room_closed:
            del self._rooms[room_id]
        return Departure(previous, kind, room_closed=room_closed)

    # Waiting room

    async def enter_waiting_room(
        self,
        room_id: UUID,
        participant_id: UUID,
        control: Mapping[str, JsonValue],
        *,
        limit: ParticipantLimit | None = None,
    ) -> bool:
        encoded = json.dumps(dict(control))
        room = self._room(room_id)
        if limit is not None and room.is_full_for(participant_id, limit):
            return False
        room.accepted.pop(participant_id, None)
        room.waiting[participant_id] = encoded
        room.attached.add(participant_id)
        return True

    async def accept_waiting(self, room_id: UUID, participant_id: UUID) -> bool:
        room = self._rooms.get(room_id)
        if room is None or participant_id not in room.waiting:
            return False
        room.accepted[participant_id] = room.waiting.pop(participant_id)
        return True

    async def waiting_status(
        self, room_id: UUID, participant_id: UUID
    ) -> WaitingRoomState | None:
        room = self._rooms.get(room_id)
        if room is None:
            return None
        if participant_id in room.waiting:
            return WaitingRoomState.WAITING
        if participant_id in room.accepted:
            return WaitingRoomState.ACCEPTED
        return None

    async def list_waiting_room(self, room_id: UUID) -> list[WaitingParticipant]:
        room = self._rooms.get(room_id)
        if room is None:
            return []
        return [
            WaitingParticipant(pid, state, json.loads(control))
            for state, entries in (
                (WaitingRoomState.WAITING, room.waiting),
                (WaitingRoomState.ACCEPTED, room.accepted),
            )
            for pid, control in entries.items()
        ]

    # Room flags and bans

    async def get_room_flag(self, room_id: UUID, flag: RoomFlag) -> bool | None:
        room = self._rooms.get(room_id)
        return None if room is None else room.flags.get(flag)

    async def set_room_flag(self, room_id: UUID, flag: RoomFlag, value: bool) -> None:
        self._room(room_id).flags[flag] = value

    async def set_room_flag_if_absent(
        self, room_id: UUID, flag: RoomFlag, value: bool
    ) -> bool:
        return self._room(room_id).flags.setdefault(flag, value)

    async def ban_user(self, room_id: UUID, user_id: UUID) -> None:
        self._room(room_id).banned.add(user_id)

    async def is_user_banned(self, room_id: UUID, user_id: UUID) -> bool:
        room = self._rooms.get(room_id)
        return room is not None and user_id in room.banned

    # Chat

    async def add_chat_message(
        self, room_id: UUID, message: StoredMessage, *, limit: int = CHAT_HISTORY_LIMIT
    ) -> None:
        chat = self._room(room_id).chat
        chat.insert(0, message)
        del chat[limit:]

    async def get_chat_history(self, room_id: UUID) -> list[StoredMessage]:
        room = self._rooms.get(room_id)
        return [] if room is None else list(room.chat)

    async def clear_chat_history(self, room_id: UUID) -> None:
        room = self._rooms.get(room_id)
        if room is not None:
            room.chat.clear()

    async def add_private_chat_message(
        self,
        room_id: UUID,
        message: StoredMessage,
        *,
        limit: int = PRIVATE_CHAT_HISTORY_LIMIT,
    ) -> None:
        log = self._room(room_id).private_chat
        log.insert(0, message)
        del log[limit:]

    async def get_private_chat_history(
        self, room_id: UUID, participant_id: UUID
    ) -> list[StoredMessage]:
        room = self._rooms.get(room_id)
        if room is None:
            return []
        return [m for m in room.private_chat if _involves(m, participant_id)]

    # Media

    async def put_media_publisher(
        self,
        room_id: UUID,
        participant_id: UUID,
        kind: MediaSessionType,
        publisher: MediaPublisher,
    ) -> None:
        self._room(room_id).media_publishers[participant_id, kind] = publisher

    async def get_media_publisher(
        self, room_id: UUID, participant_id: UUID, kind: MediaSessionType
    ) -> MediaPublisher | None:
        room = self._rooms.get(room_id)
        return (
            None if room is None else room.media_publishers.get((participant_id, kind))
        )

    async def delete_media_publisher(
        self, room_id: UUID, participant_id: UUID, kind: MediaSessionType
    ) -> None:
        room = self._rooms.get(room_id)
        if room is not None:
            room.media_publishers.pop((participant_id, kind), None)

    async def get_media_server_loads(self, servers: Sequence[str]) -> dict[str, int]:
        return {server: self._media_loads.get(server, 0) for server in servers}

    async def adjust_media_server_load(self, server: str, delta: int) -> None:
        self._media_loads[server] = max(0, self._media_loads.get(server, 0) + delta)

    # Room lifecycle

    async def teardown_room(self, room_id: UUID) -> None:
        self._rooms.pop(room_id, None)

    # Fan-out

    async def publish(self, room_id: UUID, message: RoomMessage) -> None:
        for subscription in list(self._subscriptions.get(room_id, ())):
            subscription.deliver(message)

    async def subscribe(
        self, room_id: UUID, *, participant_id: UUID | None = None
    ) -> Subscription:
        subscription = Subscription(room_id, participant_id, detach=self._unsubscribe)
        self._subscriptions.setdefault(room_id, set()).add(subscription)
        return subscription

    async def _unsubscribe(self, subscription: Subscription) -> None:
        subscriptions = self._subscriptions.get(subscription.room_id)
        if subscriptions is None:
            return
        subscriptions.discard(subscription)
        if not subscriptions:
            del self._subscriptions[subscription.room_id]


def _involves(message: StoredMessage, participant_id: UUID) -> bool:
    return message.source == participant_id or message.target == str(participant_id)


def _participation_kind(state: Mapping[str, str]) -> ParticipationKind | None:
    raw = state.get("participation_kind")
    if raw is None:
        return None
    try:
        return ParticipationKind(json.loads(raw))
    except ValueError:
        return None
