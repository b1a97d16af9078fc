"""Signaling state: tickets, resumption, presence and fan-out, in memory or Redis."""

from parley.signaling.state.base import (
    CHAT_HISTORY_LIMIT,
    PARTICIPANT_LOCK_REFRESH_INTERVAL,
    PARTICIPANT_LOCK_TTL,
    PRIVATE_CHAT_HISTORY_LIMIT,
    RESUMPTION_REFRESH_INTERVAL,
    RESUMPTION_TTL,
    TICKET_TTL,
    WAITING_ROOM_BYPASS_TTL,
    Departure,
    JoinOutcome,
    JsonObject,
    LivenessTimings,
    MediaPublisher,
    ParticipantLimit,
    Participation,
    PresenceStatus,
    ResumptionData,
    RoomFlag,
    SignalingState,
    TicketData,
    WaitingParticipant,
)
from parley.signaling.state.errors import (
    StateError,
    StateUnavailable,
    SubscriptionOverflow,
)
from parley.signaling.state.factory import create_state
from parley.signaling.state.fanout import RoomMessage, Subscription
from parley.signaling.state.memory import MemorySignalingState
from parley.signaling.state.redis import RedisSignalingState

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
    "MemorySignalingState",
    "ParticipantLimit",
    "Participation",
    "PresenceStatus",
    "RedisSignalingState",
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
    "create_state",
]
