"""Signaling state shared by several instances through Redis.

Key layout (``P`` = the configured prefix, default ``parley:``; ids are
canonical UUID strings; JSON values are UTF-8 text)::

    P ticket:<ticket>                      string   TicketData JSON, PX 30 s, taken with GETDEL
    P resumption:<token>                   string   ResumptionData JSON, SET NX / XX, PX 120 s
    P participant:<pid>:lock               string   "<instance>:<nonce>" of the runner holding it
    P participant:<pid>:skip_waiting_room  string   "1" while an accepted participant may skip it
    P room:<room>:participants             zset     pid -> join sequence; everyone who joined
    P room:<room>:participant:<pid>        hash     public state: field -> JSON value
    P room:<room>:connected                hash     pid -> instance id, every attached pid
    P room:<room>:waiting                  zset     pid -> arrival sequence, not yet accepted
    P room:<room>:accepted                 zset     pid -> arrival sequence, accepted, not entered
    P room:<room>:waiting_control          hash     pid -> public state JSON of waiting pids
    P room:<room>:flags                    hash     RoomFlag -> "1" / "0"
    P room:<room>:banned                   set      banned user ids
    P room:<room>:chat                     list     StoredMessage JSON, newest first, trimmed
    P room:<room>:private_chat             list     private StoredMessage JSON, newest first
    P room:<room>:sequence                 string   counter ordering joins and arrivals
    P room:<room>:closes_at                string   RFC 3339 end of the session (tariff time limit)
    P room:<room>:media_publishers         hash     "<pid>/<video|screen>" -> MediaPublisher JSON
    P room:<room>:messages                 channel  fan-out of RoomMessage JSON
    P instances                            set      instance ids that may own participants
    P instance:<id>:alive                  string   heartbeat, PX heartbeat_ttl
    P instance:<id>:participants           set      "<room>/<pid>" attached through it
    P instance:<id>:messages               channel  keeps the pub/sub connection subscribed
    P sweeper:lock                         string   held by the instance sweeping dead ones
    P media:load                           hash     Janus server URL -> streams published on it

Every ``room:<room>:*`` key is deleted together when the last attached
participant leaves (inside the same Lua script, so a join cannot interleave).

Fan-out uses Redis pub/sub, not streams: messages are ephemeral (a
participant who is not connected has no use for them) and the room state in
Redis, not the message log, is the source of truth. Each process holds one
pub/sub connection, subscribes a room's channel while at least one local
subscriber wants it, and dispatches received messages to local
:class:`Subscription` queues, which filter by recipient. Delivery is at most
once: if that connection fails, every local subscription ends with
:class:`StateUnavailable`, and runners close their sockets so clients
reconnect (with resumption) and re-read the state, instead of silently
missing messages.

Liveness: each instance refreshes its heartbeat key; a sweeper on any
instance (serialised by a short lock) finds instances whose heartbeat
expired, detaches their participants one at a time with ``SPOP`` inside a
script, and publishes control ``left`` (or moderation ``left_waiting_room``)
for each, within :attr:`LivenessTimings.detection_bound` seconds.
"""

from __future__ import annotations

import asyncio
import functools
import json
import logging
import secrets
import time
from collections.abc import (
    Awaitable,
    Callable,
    Coroutine,
    Iterable,
    Mapping,
    Sequence,
)
from datetime import datetime
from typing import Any, Final, ParamSpec, TypeVar
from uuid import UUID

from pydantic import JsonValue
from redis.asyncio import BlockingConnectionPool, ConnectionPool, Redis
from redis.asyncio.retry import Retry
from redis.backoff import ExponentialBackoff, NoBackoff

from parley.signaling.messages import control, moderation
from parley.signaling.messages.chat import StoredMessage
from parley.signaling.messages.common import (
    MediaSessionType,
    ParticipationKind,
    WaitingRoomState,
    format_timestamp,
    utc_now,
)
from parley.signaling.state import redis_scripts
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
    LivenessTimings,
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
from parley.signaling.state.errors import StateUnavailable
from parley.signaling.state.fanout import RoomMessage, Subscription
from parley.signaling.state.redis_pubsub import (
    UNAVAILABLE_ERRORS,
    PubSubHub,
    being_cancelled,
)

logger = logging.getLogger(__name__)

# Short timeouts: a signaling request should fail fast (503) rather than hang.
CONNECT_TIMEOUT: Final = 1.0
COMMAND_TIMEOUT: Final = 2.0
POOL_TIMEOUT: Final = 2.0
"""Seconds to wait for a free pooled connection before giving up."""
DEFAULT_MAX_CONNECTIONS: Final = 256
_LOCK_RETRY_DELAY: Final = 0.1

_P = ParamSpec("_P")
_R = TypeVar("_R")


def _unavailable_on_failure(
    func: Callable[_P, Awaitable[_R]],
) -> Callable[_P, Coroutine[Any, Any, _R]]:
    """Turn Redis connectivity failures into :class:`StateUnavailable`."""

    @functools.wraps(func)
    async def wrapper(*args: _P.args, **kwargs: _P.kwargs) -> _R:
        try:
            return await func(*args, **kwargs)
        except UNAVAILABLE_ERRORS as exc:
            raise StateUnavailable(f"redis unavailable: {exc}") from exc

    return wrapper


def _ms(seconds: float) -> int:
    return max(1, round(seconds * 1000))


def _flatten(state: Mapping[str, JsonValue]) -> list[str]:
    """Hash field/value arguments; every value is stored JSON-encoded."""
    return [item for key, value in state.items() for item in (key, json.dumps(value))]


def _text(value: object) -> str:
    """A reply value as text.

    redis-py types replies as ``bytes | str``; every client here is created
    with ``decode_responses=True``, so they are always ``str``.
    """
    if not isinstance(value, str):
        raise TypeError(f"undecoded Redis reply: {type(value).__name__}")
    return value


def _texts(values: Iterable[object]) -> list[str]:
    return [_text(value) for value in values]


def _decode_state(encoded: Mapping[bytes | str, bytes | str]) -> JsonObject:
    return {_text(key): json.loads(value) for key, value in encoded.items()}


def _limit_args(limit: ParticipantLimit | None) -> list[str]:
    """The scripts' (limit, waived) arguments; an empty limit means none."""
    if limit is None:
        return ["", "0"]
    return [str(limit.limit), "1" if limit.waived_without_moderator else "0"]


def _flag_value(raw: bytes | str | None) -> bool | None:
    return None if raw is None else _text(raw) == "1"


class _Keys:
    def __init__(self, prefix: str) -> None:
        self.prefix = prefix
        self.instances = f"{prefix}instances"
        self.sweeper_lock = f"{prefix}sweeper:lock"
        self.media_load = f"{prefix}media:load"

    def ticket(self, ticket: str) -> str:
        return f"{self.prefix}ticket:{ticket}"

    def resumption(self, token: str) -> str:
        return f"{self.prefix}resumption:{token}"

    def participant(self, participant_id: UUID, suffix: str) -> str:
        return f"{self.prefix}participant:{participant_id}:{suffix}"

    def room(self, room_id: UUID, suffix: str) -> str:
        return f"{self.prefix}room:{room_id}:{suffix}"

    def instance(self, instance_id: str, suffix: str) -> str:
        return f"{self.prefix}instance:{instance_id}:{suffix}"


class RedisSignalingState(SignalingState):
    """Signaling state in Redis for several instances; see :class:`SignalingState`."""

    def __init__(
        self,
        url: str,
        *,
        key_prefix: str = "parley:",
        instance_id: str | None = None,
        timings: LivenessTimings | None = None,
        max_connections: int = DEFAULT_MAX_CONNECTIONS,
    ) -> None:
        self._instance_id = validate_instance_id(
            default_instance_id() if instance_id is None else instance_id
        )
        self._keys = _Keys(key_prefix)
        self._timings = timings or LivenessTimings()
        self._client = Redis.from_pool(
            BlockingConnectionPool.from_url(
                url,
                max_connections=max_connections,
                timeout=POOL_TIMEOUT,
                socket_connect_timeout=CONNECT_TIMEOUT,
                socket_timeout=COMMAND_TIMEOUT,
                socket_keepalive=True,
                health_check_interval=30,
                # One quick retry rides out a dropped idle connection.
                retry=Retry(ExponentialBackoff(cap=0.2, base=0.05), retries=1),
                decode_responses=True,
                client_name=f"parley-{self._instance_id}",
            )
        )
        # Separate client without retries: a pub/sub reconnect would silently
        # skip messages, so a failure must surface (see module docstring).
        self._pubsub_client = Redis.from_pool(
            ConnectionPool.from_url(
                url,
                max_connections=2,
                socket_connect_timeout=CONNECT_TIMEOUT,
                socket_timeout=COMMAND_TIMEOUT,
                socket_keepalive=True,
                retry=Retry(NoBackoff(), retries=0),
                decode_responses=True,
                client_name=f"parley-pubsub-{self._instance_id}",
            )
        )
        # The heartbeat has its own connection: request traffic that exhausts the
        # main pool must not starve it, or other instances would declare this
        # one dead and report its participants as left.
        self._heartbeat_client = Redis.from_pool(
            ConnectionPool.from_url(
                url,
                max_connections=1,
                socket_connect_timeout=CONNECT_TIMEOUT,
                socket_timeout=COMMAND_TIMEOUT,
                socket_keepalive=True,
                retry=Retry(ExponentialBackoff(cap=0.2, base=0.05), retries=1),
                decode_responses=True,
                client_name=f"parley-heartbeat-{self._instance_id}",
            )
        )
        self._hub = PubSubHub(
            self._pubsub_client, self._keys.instance(self._instance_id, "messages")
        )
        self._scripts = {
            name: self._client.register_script(getattr(redis_scripts, name))
            for name in (
                "JOIN_ROOM",
                "ENTER_WAITING_ROOM",
                "LEAVE_ROOM",
                "UPDATE_PARTICIPANT",
                "ACCEPT_WAITING",
                "TEARDOWN_ROOM",
                "EVICT_ONE",
                "FORGET_INSTANCE",
                "REFRESH_IF_OWNER",
                "DELETE_IF_OWNER",
                "ADJUST_LOAD",
            )
        }
        self._tasks: list[asyncio.Task[None]] = []
        # Loops stop on this event rather than by cancellation: a cancel landing
        # mid-command surfaces from redis-py as a connection error instead.
        self._stopping = asyncio.Event()
        self._closed = False

    @property
    def instance_id(self) -> str:
        return self._instance_id

    @property
    def timings(self) -> LivenessTimings:
        return self._timings

    async def _run(
        self, script: str, args: list[Any], keys: list[str] | None = None
    ) -> Any:
        return await self._scripts[script](keys=keys or [], args=args)

    # Lifecycle

    async def start(self) -> None:
        if self._closed:
            raise RuntimeError("signaling state was closed")
        if self._tasks:
            return
        try:
            await self._beat()
        except StateUnavailable:
            # Keep starting: the loop retries and operations report 503 meanwhile.
            logger.warning("redis unreachable at start; heartbeat will retry")
        self._tasks = [
            asyncio.create_task(
                self._every(self._timings.heartbeat_interval, self._beat, "heartbeat"),
                name="signaling-heartbeat",
            ),
            asyncio.create_task(
                self._every(
                    self._timings.sweep_interval, self.sweep_dead_instances, "sweep"
                ),
                name="signaling-sweeper",
            ),
        ]

    async def aclose(self, *, release_participants: bool = True) -> None:
        """Stop background work and close connections.

        With ``release_participants`` (the default) this instance's remaining
        participants are detached and reported ``left`` at once. Without it
        they are left for another instance's sweeper, as after a crash.
        """
        if self._closed:
            return
        self._closed = True
        self._stopping.set()
        if self._tasks:
            _, stuck = await asyncio.wait(self._tasks, timeout=2 * COMMAND_TIMEOUT)
            for task in stuck:
                task.cancel()
            await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks = []
        if release_participants:
            try:
                await self._evict_instance(self._instance_id)
                await self._client.delete(
                    self._keys.instance(self._instance_id, "alive")
                )
                await self._run(
                    "FORGET_INSTANCE", [self._keys.prefix, self._instance_id]
                )
            except (StateUnavailable, *UNAVAILABLE_ERRORS):
                logger.warning(
                    "could not release participants; sweepers will", exc_info=True
                )
        await self._hub.aclose()
        await self._pubsub_client.aclose()
        await self._heartbeat_client.aclose()
        await self._client.aclose()

    # Liveness

    @_unavailable_on_failure
    async def _beat(self) -> None:
        async with self._heartbeat_client.pipeline(transaction=False) as pipe:
            pipe.sadd(self._keys.instances, self._instance_id)
            pipe.set(
                self._keys.instance(self._instance_id, "alive"),
                "1",
                px=_ms(self._timings.heartbeat_ttl),
            )
            await pipe.execute()

    async def _every(
        self, interval: float, action: Callable[[], Awaitable[object]], what: str
    ) -> None:
        while True:
            try:
                await asyncio.wait_for(self._stopping.wait(), interval)
                return
            except TimeoutError:
                pass
            try:
                await action()
            except Exception as exc:
                if being_cancelled():
                    raise
                if isinstance(exc, StateUnavailable):
                    logger.warning("signaling %s failed: %s", what, exc)
                else:
                    logger.exception("signaling %s failed", what)

    @_unavailable_on_failure
    async def sweep_dead_instances(self) -> int:
        """Detach the participants of instances whose heartbeat expired.

        Runs on one instance at a time (a short lock); returns how many
        participants were detached. Called periodically after :meth:`start`.
        """
        lock_token = f"{self._instance_id}:{secrets.token_hex(8)}"
        lock_ttl = _ms(max(5.0, 3 * self._timings.sweep_interval))
        if not await self._client.set(
            self._keys.sweeper_lock, lock_token, nx=True, px=lock_ttl
        ):
            return 0
        try:
            instances = sorted(
                _texts(await self._client.smembers(self._keys.instances))
            )
            others = [i for i in instances if i != self._instance_id]
            if not others:
                return 0
            async with self._client.pipeline(transaction=False) as pipe:
                for instance in others:
                    pipe.exists(self._keys.instance(instance, "alive"))
                alive = await pipe.execute()
            evicted = 0
            for instance, is_alive in zip(others, alive, strict=True):
                if not is_alive:
                    logger.info(
                        "instance %s is gone; detaching its participants", instance
                    )
                    evicted += await self._evict_instance(instance)
                    await self._run("FORGET_INSTANCE", [self._keys.prefix, instance])
            return evicted
        finally:
            await self._run(
                "DELETE_IF_OWNER", [lock_token], keys=[self._keys.sweeper_lock]
            )

    async def _evict_instance(self, instance: str) -> int:
        evicted = 0
        while True:
            left_at = utc_now()
            result = await self._run(
                "EVICT_ONE",
                [self._keys.prefix, instance, json.dumps(format_timestamp(left_at))],
            )
            if result is None:
                return evicted
            room, pid, previous, raw_kind, _closed = result
            evicted += 1
            await self._announce_departure(
                UUID(room), UUID(pid), PresenceStatus(previous), raw_kind, left_at
            )

    async def _announce_departure(
        self,
        room_id: UUID,
        participant_id: UUID,
        previous: PresenceStatus,
        raw_kind: str,
        left_at: datetime,
    ) -> None:
        """Tell the room what the dead participant's runner would have said."""
        message: RoomMessage | None = None
        if previous is PresenceStatus.WAITING:
            message = RoomMessage.to_room(
                moderation.LeftWaitingRoom(id=participant_id), timestamp=left_at
            )
        elif previous is PresenceStatus.JOINED:
            if _decode_kind(raw_kind) is ParticipationKind.RECORDER:
                return  # recorders are invisible; nobody was told they joined
            message = RoomMessage.to_room(
                control.Left(id=participant_id),
                exclude=(participant_id,),
                timestamp=left_at,
            )
        if message is not None:
            await self.publish(room_id, message)

    @_unavailable_on_failure
    async def ping(self) -> None:
        await self._client.ping()

    # Tickets

    @_unavailable_on_failure
    async def put_ticket(
        self, ticket: str, data: TicketData, *, ttl: float = TICKET_TTL
    ) -> None:
        await self._client.set(
            self._keys.ticket(ticket), data.model_dump_json(), px=_ms(ttl)
        )

    @_unavailable_on_failure
    async def take_ticket(self, ticket: str) -> TicketData | None:
        raw = await self._client.getdel(self._keys.ticket(ticket))
        return None if raw is None else TicketData.model_validate_json(raw)

    # Resumption

    @_unavailable_on_failure
    async def put_resumption(
        self, token: str, data: ResumptionData, *, ttl: float = RESUMPTION_TTL
    ) -> bool:
        stored = await self._client.set(
            self._keys.resumption(token), data.model_dump_json(), nx=True, px=_ms(ttl)
        )
        return bool(stored)

    @_unavailable_on_failure
    async def refresh_resumption(
        self, token: str, data: ResumptionData, *, ttl: float = RESUMPTION_TTL
    ) -> bool:
        stored = await self._client.set(
            self._keys.resumption(token), data.model_dump_json(), xx=True, px=_ms(ttl)
        )
        return bool(stored)

    @_unavailable_on_failure
    async def get_resumption(self, token: str) -> ResumptionData | None:
        raw = await self._client.get(self._keys.resumption(token))
        return None if raw is None else ResumptionData.model_validate_json(raw)

    @_unavailable_on_failure
    async def consume_resumption(self, token: str) -> ResumptionData | None:
        raw = await self._client.getdel(self._keys.resumption(token))
        return None if raw is None else ResumptionData.model_validate_json(raw)

    # Participant runner lock

    @_unavailable_on_failure
    async def acquire_participant_lock(
        self,
        participant_id: UUID,
        *,
        ttl: float = PARTICIPANT_LOCK_TTL,
        wait: float = 0.0,
    ) -> str | None:
        key = self._keys.participant(participant_id, "lock")
        # The instance prefix lets a sweeper release the locks of a dead instance.
        lock_token = f"{self._instance_id}:{secrets.token_hex(8)}"
        deadline = time.monotonic() + wait
        while not await self._client.set(key, lock_token, nx=True, px=_ms(ttl)):
            if time.monotonic() >= deadline:
                return None
            await asyncio.sleep(_LOCK_RETRY_DELAY)
        return lock_token

    @_unavailable_on_failure
    async def refresh_participant_lock(
        self,
        participant_id: UUID,
        lock_token: str,
        *,
        ttl: float = PARTICIPANT_LOCK_TTL,
    ) -> bool:
        key = self._keys.participant(participant_id, "lock")
        return bool(
            await self._run("REFRESH_IF_OWNER", [lock_token, _ms(ttl)], keys=[key])
        )

    @_unavailable_on_failure
    async def release_participant_lock(
        self, participant_id: UUID, lock_token: str
    ) -> None:
        key = self._keys.participant(participant_id, "lock")
        await self._run("DELETE_IF_OWNER", [lock_token], keys=[key])

    @_unavailable_on_failure
    async def is_participant_connected(self, participant_id: UUID) -> bool:
        return bool(
            await self._client.exists(self._keys.participant(participant_id, "lock"))
        )

    # Waiting-room bypass

    @_unavailable_on_failure
    async def set_waiting_room_bypass(
        self, participant_id: UUID, *, ttl: float = WAITING_ROOM_BYPASS_TTL
    ) -> None:
        key = self._keys.participant(participant_id, "skip_waiting_room")
        await self._client.set(key, "1", px=_ms(ttl))

    @_unavailable_on_failure
    async def refresh_waiting_room_bypass(
        self, participant_id: UUID, *, ttl: float = WAITING_ROOM_BYPASS_TTL
    ) -> bool:
        key = self._keys.participant(participant_id, "skip_waiting_room")
        return bool(await self._client.pexpire(key, _ms(ttl)))

    @_unavailable_on_failure
    async def clear_waiting_room_bypass(self, participant_id: UUID) -> None:
        await self._client.delete(
            self._keys.participant(participant_id, "skip_waiting_room")
        )

    @_unavailable_on_failure
    async def has_waiting_room_bypass(self, participant_id: UUID) -> bool:
        key = self._keys.participant(participant_id, "skip_waiting_room")
        return bool(await self._client.exists(key))

    # Presence

    def _attach_args(self, room_id: UUID, participant_id: UUID) -> list[Any]:
        return [
            self._keys.prefix,
            str(room_id),
            str(participant_id),
            self._instance_id,
            _ms(self._timings.heartbeat_ttl),
        ]

    @_unavailable_on_failure
    async def join_room(
        self,
        room_id: UUID,
        participant_id: UUID,
        control: Mapping[str, JsonValue],
        *,
        limit: ParticipantLimit | None = None,
        closes_at: datetime | None = None,
    ) -> JoinOutcome:
        args = [
            *self._attach_args(room_id, participant_id),
            *_limit_args(limit),
            "" if closes_at is None else format_timestamp(closes_at),
            *_flatten(control),
        ]
        admitted, room_closes_at = await self._run("JOIN_ROOM", args)
        return JoinOutcome(
            admitted=bool(admitted),
            closes_at=datetime.fromisoformat(room_closes_at)
            if room_closes_at
            else None,
        )

    @_unavailable_on_failure
    async def update_participant(
        self, room_id: UUID, participant_id: UUID, changes: Mapping[str, JsonValue]
    ) -> bool:
        args = [
            self._keys.prefix,
            str(room_id),
            str(participant_id),
            *_flatten(changes),
        ]
        return bool(await self._run("UPDATE_PARTICIPANT", args))

    @_unavailable_on_failure
    async def get_participant(
        self, room_id: UUID, participant_id: UUID
    ) -> JsonObject | None:
        state = await self._client.hgetall(
            self._keys.room(room_id, f"participant:{participant_id}")
        )
        return _decode_state(state) if state else None

    @_unavailable_on_failure
    async def list_participants(self, room_id: UUID) -> dict[UUID, JsonObject]:
        pids = _texts(
            await self._client.zrange(self._keys.room(room_id, "participants"), 0, -1)
        )
        if not pids:
            return {}
        async with self._client.pipeline(transaction=False) as pipe:
            for pid in pids:
                pipe.hgetall(self._keys.room(room_id, f"participant:{pid}"))
            states = await pipe.execute()
        # A participant removed between the two reads has an empty hash.
        return {
            UUID(pid): _decode_state(s)
            for pid, s in zip(pids, states, strict=True)
            if s
        }

    async def _detach(
        self,
        room_id: UUID,
        participant_id: UUID,
        *,
        owner: str,
        left_at: datetime | None,
        forget: bool,
    ) -> Departure:
        left_at_json = "" if left_at is None else json.dumps(format_timestamp(left_at))
        previous, raw_kind, closed = await self._run(
            "LEAVE_ROOM",
            [
                self._keys.prefix,
                str(room_id),
                str(participant_id),
                owner,
                left_at_json,
                "1" if forget else "0",
            ],
        )
        return Departure(PresenceStatus(previous), _decode_kind(raw_kind), bool(closed))

    @_unavailable_on_failure
    async def leave_room(
        self, room_id: UUID, participant_id: UUID, *, left_at: datetime
    ) -> Departure:
        return await self._detach(
            room_id,
            participant_id,
            owner=self._instance_id,
            left_at=left_at,
            forget=False,
        )

    @_unavailable_on_failure
    async def remove_participant(
        self, room_id: UUID, participant_id: UUID
    ) -> Departure:
        return await self._detach(
            room_id, participant_id, owner="", left_at=None, forget=True
        )

    # Waiting room

    @_unavailable_on_failure
    async def enter_waiting_room(
        self,
        room_id: UUID,
        participant_id: UUID,
        control: Mapping[str, JsonValue],
        *,
        limit: ParticipantLimit | None = None,
    ) -> bool:
        args = [
            *self._attach_args(room_id, participant_id),
            json.dumps(dict(control)),
            *_limit_args(limit),
        ]
        return bool(await self._run("ENTER_WAITING_ROOM", args))

    @_unavailable_on_failure
    async def accept_waiting(self, room_id: UUID, participant_id: UUID) -> bool:
        args = [self._keys.prefix, str(room_id), str(participant_id)]
        return bool(await self._run("ACCEPT_WAITING", args))

    @_unavailable_on_failure
    async def waiting_status(
        self, room_id: UUID, participant_id: UUID
    ) -> WaitingRoomState | None:
        async with self._client.pipeline(transaction=True) as pipe:
            pipe.zscore(self._keys.room(room_id, "waiting"), str(participant_id))
            pipe.zscore(self._keys.room(room_id, "accepted"), str(participant_id))
            waiting, accepted = await pipe.execute()
        if waiting is not None:
            return WaitingRoomState.WAITING
        if accepted is not None:
            return WaitingRoomState.ACCEPTED
        return None

    @_unavailable_on_failure
    async def list_waiting_room(self, room_id: UUID) -> list[WaitingParticipant]:
        async with self._client.pipeline(transaction=True) as pipe:
            pipe.zrange(self._keys.room(room_id, "waiting"), 0, -1)
            pipe.zrange(self._keys.room(room_id, "accepted"), 0, -1)
            pipe.hgetall(self._keys.room(room_id, "waiting_control"))
            waiting, accepted, controls = await pipe.execute()
        return [
            WaitingParticipant(UUID(pid), state, json.loads(controls[pid]))
            for state, pids in (
                (WaitingRoomState.WAITING, waiting),
                (WaitingRoomState.ACCEPTED, accepted),
            )
            for pid in pids
            if pid in controls
        ]

    # Room flags and bans

    @_unavailable_on_failure
    async def get_room_flag(self, room_id: UUID, flag: RoomFlag) -> bool | None:
        return _flag_value(
            await self._client.hget(self._keys.room(room_id, "flags"), flag)
        )

    @_unavailable_on_failure
    async def set_room_flag(self, room_id: UUID, flag: RoomFlag, value: bool) -> None:
        await self._client.hset(
            self._keys.room(room_id, "flags"), flag, "1" if value else "0"
        )

    @_unavailable_on_failure
    async def set_room_flag_if_absent(
        self, room_id: UUID, flag: RoomFlag, value: bool
    ) -> bool:
        key = self._keys.room(room_id, "flags")
        async with self._client.pipeline(transaction=True) as pipe:
            pipe.hsetnx(key, flag, "1" if value else "0")
            pipe.hget(key, flag)
            _, effective = await pipe.execute()
        # Never None: HSETNX has just set the flag if it was absent.
        return _flag_value(effective) is True

    @_unavailable_on_failure
    async def ban_user(self, room_id: UUID, user_id: UUID) -> None:
        await self._client.sadd(self._keys.room(room_id, "banned"), str(user_id))

    @_unavailable_on_failure
    async def is_user_banned(self, room_id: UUID, user_id: UUID) -> bool:
        banned = await self._client.sismember(
            self._keys.room(room_id, "banned"), str(user_id)
        )
        return bool(banned)

    # Chat

    @_unavailable_on_failure
    async def add_chat_message(
        self, room_id: UUID, message: StoredMessage, *, limit: int = CHAT_HISTORY_LIMIT
    ) -> None:
        key = self._keys.room(room_id, "chat")
        async with self._client.pipeline(transaction=True) as pipe:
            pipe.lpush(key, message.model_dump_json())
            pipe.ltrim(key, 0, limit - 1)
            await pipe.execute()

    @_unavailable_on_failure
    async def get_chat_history(self, room_id: UUID) -> list[StoredMessage]:
        raw = await self._client.lrange(self._keys.room(room_id, "chat"), 0, -1)
        return [StoredMessage.model_validate_json(item) for item in raw]

    @_unavailable_on_failure
    async def clear_chat_history(self, room_id: UUID) -> None:
        await self._client.delete(self._keys.room(room_id, "chat"))

    @_unavailable_on_failure
    async def add_private_chat_message(
        self,
        room_id: UUID,
        message: StoredMessage,
        *,
        limit: int = PRIVATE_CHAT_HISTORY_LIMIT,
    ) -> None:
        key = self._keys.room(room_id, "private_chat")
        async with self._client.pipeline(transaction=True) as pipe:
            pipe.lpush(key, message.model_dump_json())
            pipe.ltrim(key, 0, limit - 1)
            await pipe.execute()

    @_unavailable_on_failure
    async def get_private_chat_history(
        self, room_id: UUID, participant_id: UUID
    ) -> list[StoredMessage]:
        raw = await self._client.lrange(self._keys.room(room_id, "private_chat"), 0, -1)
        messages = (StoredMessage.model_validate_json(item) for item in raw)
        pid = str(participant_id)
        return [m for m in messages if m.source == participant_id or m.target == pid]

    # Media

    @_unavailable_on_failure
    async def put_media_publisher(
        self,
        room_id: UUID,
        participant_id: UUID,
        kind: MediaSessionType,
        publisher: MediaPublisher,
    ) -> None:
        await self._client.hset(
            self._keys.room(room_id, "media_publishers"),
            f"{participant_id}/{kind}",
            publisher.model_dump_json(),
        )

    @_unavailable_on_failure
    async def get_media_publisher(
        self, room_id: UUID, participant_id: UUID, kind: MediaSessionType
    ) -> MediaPublisher | None:
        raw = await self._client.hget(
            self._keys.room(room_id, "media_publishers"), f"{participant_id}/{kind}"
        )
        return None if raw is None else MediaPublisher.model_validate_json(raw)

    @_unavailable_on_failure
    async def delete_media_publisher(
        self, room_id: UUID, participant_id: UUID, kind: MediaSessionType
    ) -> None:
        await self._client.hdel(
            self._keys.room(room_id, "media_publishers"), f"{participant_id}/{kind}"
        )

    @_unavailable_on_failure
    async def get_media_server_loads(self, servers: Sequence[str]) -> dict[str, int]:
        if not servers:
            return {}
        values = await self._client.hmget(self._keys.media_load, list(servers))
        return {
            server: max(0, int(value)) if value is not None else 0
            for server, value in zip(servers, values, strict=True)
        }

    @_unavailable_on_failure
    async def adjust_media_server_load(self, server: str, delta: int) -> None:
        await self._run("ADJUST_LOAD", [server, delta], keys=[self._keys.media_load])

    # Room lifecycle

    @_unavailable_on_failure
    async def teardown_room(self, room_id: UUID) -> None:
        await self._run("TEARDOWN_ROOM", [self._keys.prefix, str(room_id)])

    # Fan-out

    @_unavailable_on_failure
    async def publish(self, room_id: UUID, message: RoomMessage) -> None:
        await self._client.publish(
            self._keys.room(room_id, "messages"), message.model_dump_json()
        )

    @_unavailable_on_failure
    async def subscribe(
        self, room_id: UUID, *, participant_id: UUID | None = None
    ) -> Subscription:
        channel = self._keys.room(room_id, "messages")

        async def detach(subscription: Subscription) -> None:
            await self._hub.remove(channel, subscription)

        subscription = Subscription(room_id, participant_id, detach=detach)
        await self._hub.add(channel, subscription)
        return subscription


def _decode_kind(raw: str | None) -> ParticipationKind | None:
    if not raw:
        return None
    try:
        return ParticipationKind(json.loads(raw))
    except ValueError:
        return None
