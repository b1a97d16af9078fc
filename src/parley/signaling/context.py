"""What the signaling modules see of a connection (the runner implements it)."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import Enum
from typing import TYPE_CHECKING, Protocol

from pydantic import BaseModel, JsonValue

from parley.signaling.admission import Admission
from parley.signaling.messages import Participant, Role
from parley.signaling.state import JsonObject, RoomMessage, SignalingState
from parley.tariffs.modules import offered_modules

if TYPE_CHECKING:
    from parley.signaling.modules.media.service import MediaService


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


@dataclass(frozen=True, slots=True)
class Services:
    """Process-wide resources the modules use; ``None`` where not configured."""

    offered_modules: Mapping[str, frozenset[str]] = field(
        default_factory=offered_modules
    )
    """What this server offers, as tariffs show it (``join_success.tariff``)."""
    media: MediaService | None = None


Work = Callable[[], Awaitable[None]]


class Context(Protocol):
    """One participant's connection, as the modules use it."""

    state: SignalingState
    services: Services
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

    def request_close(self, code: int) -> None:
        """Close the socket with ``code`` after the current message."""

    def schedule(self, work: Work, *, at: datetime | None = None) -> None:
        """Run ``work`` in this connection's loop, in turn with everything else.

        Without ``at`` it runs after what is already queued (callbacks from
        other tasks use this, so their effects never race the handlers);
        with ``at`` once that time has come.
        """

    def initial_state(self) -> dict[str, JsonValue]:
        """Every module's fields of a participant's stored state at ``join``."""

    async def join_data(self) -> dict[str, BaseModel]:
        """Every module's key of ``join_success``."""

    def view(self, participant_id: uuid.UUID, state: JsonObject) -> Participant | None:
        """A participant as others see it, with every module's key (``None``: invisible)."""
