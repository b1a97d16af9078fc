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

What the participant says and hears is the business of the signaling
modules (:mod:`.modules.registry`): the runner creates one of each per
connection, hands each command to its namespace's module and every room
message to all of them, and asks them for their part of ``join_success`` and
of participant views. Modules' callbacks from other tasks (Janus events)
and timers come back through :meth:`Runner.schedule`, so they run in the
loop too.

Leaving (any way out) detaches the participant from the room state, then
every module reacts (``left`` to the others, media torn down). The runner
holds no database session; everything it needs was read before the upgrade
(:mod:`.admission`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import uuid
from collections import deque
from collections.abc import Awaitable
from datetime import datetime
from typing import TYPE_CHECKING, Final, TypeAlias

from pydantic import BaseModel, JsonValue
from starlette.websockets import WebSocket, WebSocketDisconnect

from parley.signaling import participants
from parley.signaling.admission import Admission, resumption_of
from parley.signaling.context import Status, Work
from parley.signaling.handshake import PROTOCOL
from parley.signaling.messages import (
    FrameError,
    InvalidJson,
    InvalidModulePayload,
    Participant,
    Role,
    UnknownNamespace,
    parse_command,
    serialize_event,
    utc_now,
)
from parley.signaling.messages import control as control_messages
from parley.signaling.modules.base import SignalingModule
from parley.signaling.modules.registry import MODULES
from parley.signaling.state import (
    PARTICIPANT_LOCK_REFRESH_INTERVAL,
    PARTICIPANT_LOCK_TTL,
    RESUMPTION_REFRESH_INTERVAL,
    Departure,
    JsonObject,
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


class _Tick:
    """Housekeeping is due."""


class _Wake:
    """Look at the close flag (a close was requested from outside)."""


_TICK: Final = _Tick()
_WAKE: Final = _Wake()
Item: TypeAlias = str | bytes | RoomMessage | _Tick | _Wake


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
        self.services = hub.services
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
        # Work handed in by other tasks; the loop runs it between items.
        self._scheduled: deque[Work] = deque()
        # Modules the tariff (or the server) leaves out are unknown namespaces.
        self.modules: dict[str, SignalingModule] = {
            module.namespace: module(self)
            for module in MODULES
            if module.available(self)
        }
        self._namespaces = frozenset(self.modules)
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

    def request_close(self, code: int) -> None:
        if self._close_code is None:
            self._close_code = code
        self._wake()

    def schedule(self, work: Work, *, at: datetime | None = None) -> None:
        if at is not None:
            self._start(self._at(at, work), "timer")
            return
        self._scheduled.append(work)
        self._wake()

    def _wake(self) -> None:
        # A full queue means the loop is busy and looks at the flags next.
        with contextlib.suppress(asyncio.QueueFull):
            self._inbox.put_nowait(_WAKE)

    def initial_state(self) -> dict[str, JsonValue]:
        state: dict[str, JsonValue] = {}
        for module in self.modules.values():
            state.update(module.initial_state())
        return state

    async def join_data(self) -> dict[str, BaseModel]:
        modules = list(self.modules.values())
        data = await asyncio.gather(*(module.join_data() for module in modules))
        return {
            module.namespace: item
            for module, item in zip(modules, data, strict=True)
            if item is not None
        }

    def view(self, participant_id: uuid.UUID, state: JsonObject) -> Participant | None:
        module_data = {
            module.namespace: data
            for module in self.modules.values()
            if (data := module.peer_data(participant_id, state)) is not None
        }
        return participants.view(participant_id, state, module_data)

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
                while self._scheduled and self._close_code is None:
                    await self._scheduled.popleft()()
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
            departure = await self._leave()
            for module in self.modules.values():
                try:
                    await module.on_leave(departure)
                except Exception:
                    logger.exception(
                        "participant %s: %s did not clean up",
                        self.name,
                        module.namespace,
                    )
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

    async def _leave(self) -> Departure | None:
        """Detach from the room, retrying a flaky state store; ``None``: never entered."""
        if not self.status.attached:
            return None
        for attempt in range(1, LEAVE_ATTEMPTS + 1):
            try:
                return await self.state.leave_room(
                    self.room_id, self.participant_id, left_at=utc_now()
                )
            except StateUnavailable as exc:
                if attempt == LEAVE_ATTEMPTS:
                    logger.error("participant %s could not leave: %s", self.name, exc)
                    return None
                await asyncio.sleep(0.2 * attempt)
        return None

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

    async def _at(self, when: datetime, work: Work) -> None:
        await asyncio.sleep(max(0.0, (when - utc_now()).total_seconds()))
        self.schedule(work)

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
            await self._error(control_messages.ControlErrorCode.INVALID_JSON)
            return
        except UnknownNamespace:
            if self.status is Status.JOINED:
                await self._error(control_messages.ControlErrorCode.INVALID_NAMESPACE)
            return
        except InvalidModulePayload as exc:
            logger.debug("participant %s: %s", self.name, exc)
            invalid = self.modules.get(exc.namespace or "")
            if invalid is not None and self.status is Status.JOINED:
                await invalid.on_invalid_command(exc.payload)
            return
        except FrameError as exc:
            logger.debug("participant %s: dropped frame: %s", self.name, exc)
            return
        module = self.modules[namespace]
        if self.status is Status.JOINED or module.commands_before_joining:
            await module.handle(command)
        # else: only control and echo before joining (notes §2.1)

    async def _error(self, code: control_messages.ControlErrorCode) -> None:
        """Envelope errors are the protocol's, answered in ``control`` (notes §2.1)."""
        await self.send(control_messages.ControlError(error=code))

    async def _on_room_message(self, message: RoomMessage) -> None:
        if self.status is Status.NEW:
            return
        owner = self.modules.get(message.namespace)
        if owner is None:
            return  # a namespace this participant does not have
        if self.status is not Status.JOINED and not owner.receives_before_joining(
            message
        ):
            return  # until joined, only what is addressed to the participant
        deliver = True
        for module in self.modules.values():
            deliver = await module.on_room_message(message) and deliver
        if deliver:
            await self._send_text(message.to_frame())

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
