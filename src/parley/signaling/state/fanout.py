"""Addressed room messages and the subscriptions that receive them.

A :class:`RoomMessage` is an event already in wire form plus its audience:
the whole room, a set of participants, or one participant, optionally minus
some (``joined``/``update`` go to everyone but the subject). Subscriptions
filter on the receiving side, so one publish serves every instance.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Awaitable, Callable, Iterable
from datetime import datetime
from functools import cached_property
from types import TracebackType
from typing import Final, Self
from uuid import UUID

from pydantic import BaseModel, ConfigDict, JsonValue

from parley.signaling.messages.common import UtcDateTime, utc_now
from parley.signaling.messages.envelope import dump_payload, encode_frame
from parley.signaling.state.errors import SubscriptionOverflow

MAX_PENDING_MESSAGES: Final = 1024
"""Undelivered messages a subscriber may accumulate before it is cut off."""


class RoomMessage(BaseModel):
    """An event for (part of) a room; ``recipients=None`` means everyone."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    namespace: str
    payload: JsonValue
    # Stamped once at creation so every recipient sees the same envelope time.
    timestamp: UtcDateTime
    recipients: frozenset[UUID] | None = None
    exclude: frozenset[UUID] = frozenset()

    @classmethod
    def to_room(
        cls,
        event: BaseModel,
        *,
        exclude: Iterable[UUID] = (),
        namespace: str | None = None,
        timestamp: datetime | None = None,
    ) -> RoomMessage:
        return cls._build(event, None, exclude, namespace, timestamp)

    @classmethod
    def to_participants(
        cls,
        recipients: Iterable[UUID],
        event: BaseModel,
        *,
        namespace: str | None = None,
        timestamp: datetime | None = None,
    ) -> RoomMessage:
        return cls._build(event, frozenset(recipients), (), namespace, timestamp)

    @classmethod
    def to_participant(
        cls,
        recipient: UUID,
        event: BaseModel,
        *,
        namespace: str | None = None,
        timestamp: datetime | None = None,
    ) -> RoomMessage:
        return cls._build(event, frozenset((recipient,)), (), namespace, timestamp)

    @classmethod
    def _build(
        cls,
        event: BaseModel,
        recipients: frozenset[UUID] | None,
        exclude: Iterable[UUID],
        namespace: str | None,
        timestamp: datetime | None,
    ) -> RoomMessage:
        if namespace is None:
            namespace = getattr(type(event), "namespace", None)
            if not isinstance(namespace, str):
                raise TypeError(f"{type(event).__name__} has no namespace; pass one")
        return cls(
            namespace=namespace,
            payload=dump_payload(event),
            timestamp=timestamp or utc_now(),
            recipients=recipients,
            exclude=frozenset(exclude),
        )

    @property
    def addressed(self) -> bool:
        """Sent to named participants rather than to the whole room."""
        return self.recipients is not None

    @property
    def kind(self) -> str | None:
        """The event's tag (``payload.message``)."""
        value = self.field("message")
        return value if isinstance(value, str) else None

    def field(self, name: str) -> JsonValue:
        """A top-level field of the payload (``None`` when absent)."""
        return self.payload.get(name) if isinstance(self.payload, dict) else None

    def is_for(self, participant_id: UUID | None) -> bool:
        """Whether a subscriber for ``participant_id`` (``None``: observer) gets it."""
        if participant_id is None:
            return True
        if participant_id in self.exclude:
            return False
        return self.recipients is None or participant_id in self.recipients

    @cached_property
    def frame(self) -> str:
        """The server frame to send on the websocket, encoded once per message.

        One message is delivered to every local subscriber of its room, so the
        frame is built at most once per process, not once per recipient.
        """
        return encode_frame(self.namespace, self.payload, timestamp=self.timestamp)

    def to_frame(self) -> str:
        """The server frame to send on the websocket."""
        return self.frame


class Subscription:
    """An async iterator over one room's messages for one participant.

    Iteration ends after :meth:`aclose`; it raises
    :class:`~.errors.SubscriptionOverflow` when the consumer fell more than
    ``max_pending`` messages behind, or ``StateUnavailable`` when the
    instance lost its connection to the other instances. Messages received
    before the failure are still delivered first.
    """

    def __init__(
        self,
        room_id: UUID,
        participant_id: UUID | None,
        *,
        detach: Callable[[Subscription], Awaitable[None]],
        max_pending: int = MAX_PENDING_MESSAGES,
    ) -> None:
        self.room_id = room_id
        self.participant_id = participant_id
        self._detach = detach
        self._max_pending = max_pending
        self._pending: deque[RoomMessage] = deque()
        self._wakeup = asyncio.Event()
        self._error: BaseException | None = None
        self._closed = False

    @property
    def closed(self) -> bool:
        return self._closed

    def deliver(self, message: RoomMessage) -> None:
        """Queue ``message`` if it is addressed to this subscriber (never blocks)."""
        if self._closed or self._error is not None:
            return
        if not message.is_for(self.participant_id):
            return
        if len(self._pending) >= self._max_pending:
            self.fail(
                SubscriptionOverflow(
                    f"more than {self._max_pending} undelivered messages"
                )
            )
            return
        self._pending.append(message)
        self._wakeup.set()

    def fail(self, error: BaseException) -> None:
        """End the subscription with ``error`` once queued messages are consumed."""
        if self._error is None and not self._closed:
            self._error = error
            self._wakeup.set()

    def __aiter__(self) -> Self:
        return self

    async def __anext__(self) -> RoomMessage:
        while True:
            if self._pending:
                return self._pending.popleft()
            if self._closed:
                raise StopAsyncIteration
            if self._error is not None:
                raise self._error
            self._wakeup.clear()
            await self._wakeup.wait()

    async def aclose(self) -> None:
        """Stop receiving; idempotent."""
        if self._closed:
            return
        self._closed = True
        self._pending.clear()
        self._wakeup.set()
        await self._detach(self)

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()
