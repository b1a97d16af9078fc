"""What the namespace handlers see of a connection (the runner implements it)."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import Enum
from typing import Protocol

from pydantic import BaseModel, JsonValue

from parley.signaling.admission import Admission
from parley.signaling.messages import Participant, Role
from parley.signaling.state import RoomMessage, SignalingState


class Status(Enum):
    """Participant lifecycle: NEW → (WAITING → ACCEPTED →) JOINED (notes §2.4)."""

    NEW = "new"
    WAITING = "waiting"
    ACCEPTED = "accepted"
    JOINED = "joined"

    @property
    def attached(self) -> bool:
        """In the room or its waiting room, so leaving must be announced."""
        return self is not Status.NEW


class Context(Protocol):
    """One participant's connection, as the namespace handlers use it."""

    state: SignalingState
    admission: Admission
    role: Role
    status: Status
    stored: dict[str, JsonValue]
    """The participant's state as written when it sent ``join``."""

    @property
    def room_id(self) -> uuid.UUID: ...

    @property
    def participant_id(self) -> uuid.UUID: ...

    async def send(self, event: BaseModel) -> None:
        """Send an event to this participant's socket."""

    async def publish(self, message: RoomMessage) -> None:
        """Fan a message out to the room, on every instance."""

    async def subscribe(self) -> None:
        """Start receiving the room's messages (idempotent)."""

    def remember_listed(self, participants: list[Participant]) -> None:
        """Participants ``join_success`` listed; their ``joined`` may arrive late."""

    def request_close(self, code: int) -> None:
        """Close the socket with ``code`` after the current message."""

    def arm_time_limit(self, closes_at: datetime) -> None:
        """At ``closes_at`` send ``time_limit_quota_elapsed`` and close (1000)."""
