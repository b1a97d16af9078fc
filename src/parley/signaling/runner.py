"""One participant's websocket session: the state machine behind ``/signaling``.

Everything the session reacts to goes through one queue and is handled in
order by one loop (like the reference's ``select!``): client frames, messages
fanned out to the room, and housekeeping ticks. The handlers therefore never
race each other. Producers:

* the socket reader: client frames (a frame over 1 MiB closes with 1009);
* the room subscription, once joined or waiting: other participants' events;
* a ticker: keeps the participant lock (10 s), the resumption token and the
  waiting-room bypass (60 s) alive; a lost lock or a consumed resumption
  token ends the session (1000);
* once joined a room with a time limit, a timer: at the room's ``closes_at``
  the participant gets ``time_limit_quota_elapsed`` and is closed (1000).

Leaving (any way out) detaches the participant from the room state and tells
the others (``left`` / ``left_waiting_room``). The runner holds no database
session; everything it needs was read before the upgrade (:mod:`.admission`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import uuid
from collections.abc import Awaitable
from datetime import datetime
from typing import TYPE_CHECKING, Final, TypeAlias

from pydantic import BaseModel, JsonValue
from starlette.websockets import WebSocket, WebSocketDisconnect

from parley.signaling.admission import Admission, resumption_of
from parley.signaling.context import Status
from parley.signaling.handshake import PROTOCOL
from parley.signaling.messages import (
    NAMESPACES,
    FrameError,
    InvalidJson,
    Participant,
    ParticipationKind,
    Role,
    UnknownNamespace,
    format_timestamp,
    parse_command,
    serialize_event,
    utc_now,
)
from parley.signaling.messages import chat as chat_messages
from parley.signaling.messages import control as control_messages
from parley.signaling.messages import echo as echo_messages
from parley.signaling.messages import moderation as moderation_messages
from parley.signaling.modules import chat, control, moderation
from parley.signaling.state import (
    PARTICIPANT_LOCK_REFRESH_INTERVAL,
    PARTICIPANT_LOCK_TTL,
    RESUMPTION_REFRESH_INTERVAL,
    PresenceStatus,
    RoomMessage,
    SignalingState,
    StateUnavailable,
    Subscription,
    SubscriptionOverflow,
)

if TYPE_CHECKING:
    from parley.signaling.hub import SignalingHub

logger = logging.getLogger(__name__)

MAX_FRAME_BYTES: Final = 1024 * 1024
"""A client frame over 1 MiB closes the connection (notes §1.3)."""
SEND_TIMEOUT: Final = 10.0
"""A client that takes longer to accept one frame is dropped (its lock would lapse)."""
INBOX_SIZE: Final = 64
LEAVE_ATTEMPTS: Final = 3

CLOSE_NORMAL: Final = 1000
CLOSE_GOING_AWAY: Final = 1001
CLOSE_POLICY_VIOLATION: Final = 1008
"""A client that cannot keep up with its room (RFC 6455 7.4.1: a policy close)."""
CLOSE_INTERNAL_ERROR: Final = 1011
CLOSE_TOO_BIG: Final = 1009

# Events after which the addressed participant's socket is closed (notes §11.3).
_CLOSING_EVENTS: Final = frozenset(
    {"kicked", "banned", "sent_to_waiting_room", "session_ended"}
)


class _Tick:
    """Housekeeping is due."""


class _Wake:
    """Look at the close flag (a close was requested from outside)."""


class _TimeUp:
    """The room's time limit (tariff quota) has run out."""


# Namespaces a waiting participant receives (addressed to it) before joining.
_BEFORE_JOINING: Final = frozenset(
    {control_messages.NAMESPACE, moderation_messages.NAMESPACE}
)

_TICK: Final = _Tick()
_WAKE: Final = _Wake()
_TIME_UP: Final = _TimeUp()
Item: TypeAlias = str | bytes | RoomMessage | _Tick | _Wake | _TimeUp


class Runner:
    """The session of one accepted websocket; see the module docstring."""

    def __init__(
        self,
        websocket: WebSocket,
        hub: SignalingHub,
        admission: Admission,
        lock_token: str,
    ) -> None:
        self.websocket = websocket
        self.hub = hub
        self.state: SignalingState = hub.state
        self.admission = admission
        self.role: Role = admission.role
        self.status = Status.NEW
        self.stored: dict[str, JsonValue] = {}
        self._lock_token = lock_token
        self._resumption = resumption_of(admission.ticket)
        self._inbox: asyncio.Queue[Item] = asyncio.Queue(maxsize=INBOX_SIZE)
        self._subscription: Subscription | None = None
        self._tasks: list[asyncio.Task[None]] = []
        self._close_code: int | None = None
        self._disconnected = False
        self._ticks = 0
        # Participants join_success listed, by their joined_at: their `joined`
        # may still be on its way and must not be shown twice.
        self._listed: dict[uuid.UUID, str] = {}
        # Modules the room owner's tariff disables are unknown namespaces here.
        self._namespaces = frozenset(n for n in NAMESPACES if admission.offers(n))
        self.finished = asyncio.Event()

    @property
    def room_id(self) -> uuid.UUID:
        return self.admission.room_id

    @property
    def participant_id(self) -> uuid.UUID:
        return self.admission.participant_id

    # Context (used by the namespace handlers)

    async def send(self, event: BaseModel) -> None:
        await self._send_text(serialize_event(event))

    async def publish(self, message: RoomMessage) -> None:
        await self.state.publish(self.room_id, message)

    async def subscribe(self) -> None:
        if self._subscription is not None:
            return
        self._subscription = await self.state.subscribe(
            self.room_id, participant_id=self.participant_id
        )
        self._start(self._pump(self._subscription), "pump")

    def remember_listed(self, participants: list[Participant]) -> None:
        self._listed = {
            p.id: format_timestamp(p.control.joined_at) for p in participants
        }

    def request_close(self, code: int) -> None:
        if self._close_code is None:
            self._close_code = code
        # A full queue means the loop is busy with it and checks the flag next.
        with contextlib.suppress(asyncio.QueueFull):
            self._inbox.put_nowait(_WAKE)

    def arm_time_limit(self, closes_at: datetime) -> None:
        delay = max(0.0, (closes_at - utc_now()).total_seconds())
        self._start(self._time_limit(delay), "time-limit")

    # Lifecycle

    async def run(self) -> None:
        """Accept the socket and serve it until it closes; always cleans up.

        The caller has acquired the participant lock and stored the
        resumption data; the runner releases the lock when it ends.
        """
        self.hub.register(self)
        try:
            await self._open()
            while self._close_code is None:
                await self._dispatch(await self._inbox.get())
        except StateUnavailable as exc:
            logger.warning("participant %s: state unavailable: %s", self.name, exc)
            self.request_close(CLOSE_INTERNAL_ERROR)
        except (OSError, WebSocketDisconnect):
            logger.info("participant %s: client went away", self.name)
            self._disconnected = True
        except Exception:
            logger.exception("participant %s: runner failed", self.name)
            self.request_close(CLOSE_INTERNAL_ERROR)
        finally:
            await self._finish()

    @property
    def name(self) -> str:
        return f"{self.participant_id} in room {self.room_id}"

    async def _open(self) -> None:
        await self.websocket.accept(subprotocol=PROTOCOL)
        self._start(self._read_socket(), "reader")
        self._start(self._tick(), "ticker")

    def _start(self, coroutine: Awaitable[None], what: str) -> None:
        task = asyncio.ensure_future(coroutine)
        task.set_name(f"signaling-{what}-{self.participant_id}")
        self._tasks.append(task)

    async def _finish(self) -> None:
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        await self._close_socket(self._close_code or CLOSE_NORMAL)
        try:
            await self._leave()
        finally:
            if self._subscription is not None:
                await self._subscription.aclose()
            await self._release_lock()
            self.hub.unregister(self)
            self.finished.set()

    async def _close_socket(self, code: int) -> None:
        if self._disconnected:
            return
        self._disconnected = True
        # Fails when the client is gone; times out when it stopped reading.
        with contextlib.suppress(
            OSError, RuntimeError, WebSocketDisconnect, TimeoutError
        ):
            async with asyncio.timeout(SEND_TIMEOUT):
                await self.websocket.close(code)

    async def _leave(self) -> None:
        """Detach from the room and tell the others, retrying a flaky state store."""
        if not self.status.attached:
            return
        for attempt in range(1, LEAVE_ATTEMPTS + 1):
            try:
                await self._announce_departure()
                return
            except StateUnavailable as exc:
                if attempt == LEAVE_ATTEMPTS:
                    logger.error("participant %s could not leave: %s", self.name, exc)
                    return
                await asyncio.sleep(0.2 * attempt)

    async def _announce_departure(self) -> None:
        departure = await self.state.leave_room(
            self.room_id, self.participant_id, left_at=utc_now()
        )
        me = self.participant_id
        message: RoomMessage | None = None
        if departure.previous is PresenceStatus.WAITING:
            message = RoomMessage.to_room(
                moderation_messages.LeftWaitingRoom(id=me), exclude=(me,)
            )
        elif departure.previous is PresenceStatus.JOINED and self._visible:
            message = RoomMessage.to_room(control_messages.Left(id=me), exclude=(me,))
        if message is not None and not departure.room_closed:
            await self.publish(message)

    @property
    def _visible(self) -> bool:
        return self.admission.kind is not ParticipationKind.RECORDER

    async def _release_lock(self) -> None:
        try:
            await self.state.release_participant_lock(
                self.participant_id, self._lock_token
            )
        except StateUnavailable:
            logger.warning("participant %s: lock not released", self.name)

    # Producers

    async def _read_socket(self) -> None:
        try:
            while True:
                message = await self.websocket.receive()
                if message["type"] == "websocket.disconnect":
                    self._disconnected = True
                    self.request_close(int(message.get("code") or CLOSE_NORMAL))
                    return
                data = message.get("text")
                if data is None:
                    data = message.get("bytes") or b""
                size = len(data) if isinstance(data, bytes) else len(data.encode())
                if size > MAX_FRAME_BYTES:
                    self.request_close(CLOSE_TOO_BIG)
                    return
                await self._inbox.put(data)
        except (OSError, RuntimeError, WebSocketDisconnect):
            self._disconnected = True
            self.request_close(CLOSE_NORMAL)

    async def _tick(self) -> None:
        # A random phase: sessions opened in a burst must not refresh in a burst.
        await asyncio.sleep(random.uniform(0, PARTICIPANT_LOCK_REFRESH_INTERVAL))
        while True:
            await self._inbox.put(_TICK)
            await asyncio.sleep(PARTICIPANT_LOCK_REFRESH_INTERVAL)

    async def _time_limit(self, delay: float) -> None:
        await asyncio.sleep(delay)
        await self._inbox.put(_TIME_UP)

    async def _pump(self, subscription: Subscription) -> None:
        try:
            async for message in subscription:
                await self._inbox.put(message)
        except SubscriptionOverflow as exc:
            # The client's fault, not the server's: it does not read its frames.
            logger.warning(
                "participant %s: too far behind, closing: %s", self.name, exc
            )
            self.request_close(CLOSE_POLICY_VIOLATION)
        except StateUnavailable as exc:
            logger.warning("participant %s: fan-out ended: %s", self.name, exc)
            self.request_close(CLOSE_INTERNAL_ERROR)

    # The loop's work

    async def _dispatch(self, item: Item) -> None:
        if isinstance(item, RoomMessage):
            await self._on_room_message(item)
        elif isinstance(item, str | bytes):
            await self._on_frame(item)
        elif item is _TICK:
            await self._housekeeping()
        elif item is _TIME_UP:
            await self.send(control_messages.TimeLimitQuotaElapsed())
            self.request_close(CLOSE_NORMAL)

    async def _send_text(self, text: str) -> None:
        if self._disconnected:
            return
        try:
            async with asyncio.timeout(SEND_TIMEOUT):
                await self.websocket.send_text(text)
        except TimeoutError:
            logger.info("participant %s: client too slow, closing", self.name)
            self.request_close(CLOSE_POLICY_VIOLATION)
        except (OSError, RuntimeError, WebSocketDisconnect):
            self._disconnected = True
            self.request_close(CLOSE_NORMAL)

    async def _on_frame(self, frame: str | bytes) -> None:
        try:
            namespace, command = parse_command(frame, namespaces=self._namespaces)
        except InvalidJson:
            await control.error(self, control_messages.ControlErrorCode.INVALID_JSON)
            return
        except UnknownNamespace:
            if self.status is Status.JOINED:
                code = control_messages.ControlErrorCode.INVALID_NAMESPACE
                await control.error(self, code)
            return
        except FrameError as exc:
            logger.debug("participant %s: dropped frame: %s", self.name, exc)
            return
        if namespace == echo_messages.NAMESPACE:
            await self.send(command)
        elif namespace == control_messages.NAMESPACE:
            await control.handle(self, command)
        elif self.status is not Status.JOINED:
            return  # only control and echo before joining (notes §2.1)
        elif namespace == moderation_messages.NAMESPACE:
            await moderation.handle(self, command)
        elif namespace == chat_messages.NAMESPACE:
            await chat.handle(self, command)

    async def _on_room_message(self, message: RoomMessage) -> None:
        if self.status is Status.NEW:
            return
        addressed = message.recipients is not None
        payload = message.payload if isinstance(message.payload, dict) else {}
        raw_kind = payload.get("message")
        kind = raw_kind if isinstance(raw_kind, str) else None
        if message.namespace == control_messages.NAMESPACE and kind == "room_deleted":
            # Everyone hears it, waiting participants too, then the room is gone.
            await self._send_text(message.to_frame())
            self.request_close(CLOSE_NORMAL)
            return
        if self.status is not Status.JOINED and not (
            addressed and message.namespace in _BEFORE_JOINING
        ):
            return  # until joined, only what is addressed to the participant
        if message.namespace == control_messages.NAMESPACE:
            if kind == "joined" and self._already_listed(payload):
                return
            if kind == "role_updated":
                self.role = Role(str(payload.get("new_role")))
        elif message.namespace == moderation_messages.NAMESPACE and kind == "accepted":
            if self.status is not Status.WAITING:
                return
            self.status = Status.ACCEPTED
            # Reconnecting with this participant id skips the waiting room.
            await self.state.set_waiting_room_bypass(self.participant_id)
        await self._send_text(message.to_frame())
        closing = kind in _CLOSING_EVENTS and addressed
        if closing and message.namespace == moderation_messages.NAMESPACE:
            self.request_close(CLOSE_NORMAL)

    def _already_listed(self, payload: dict[str, JsonValue]) -> bool:
        try:
            pid = uuid.UUID(str(payload.get("id")))
        except ValueError:
            return False
        listed_at = self._listed.pop(pid, None)
        control_data = payload.get("control")
        joined_at = (
            control_data.get("joined_at") if isinstance(control_data, dict) else None
        )
        return listed_at is not None and listed_at == joined_at

    async def _housekeeping(self) -> None:
        self._ticks += 1
        if not await self.state.refresh_participant_lock(
            self.participant_id, self._lock_token, ttl=PARTICIPANT_LOCK_TTL
        ):
            logger.warning("participant %s: lock lost, closing", self.name)
            self.request_close(CLOSE_NORMAL)
            return
        every = round(RESUMPTION_REFRESH_INTERVAL / PARTICIPANT_LOCK_REFRESH_INTERVAL)
        if self._ticks % every:
            return
        token = self.admission.ticket.resumption
        if not await self.state.refresh_resumption(token, self._resumption):
            logger.info("participant %s: resumption token used, closing", self.name)
            self.request_close(CLOSE_NORMAL)
            return
        await self.state.refresh_waiting_room_bypass(self.participant_id)
