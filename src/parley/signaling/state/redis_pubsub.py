"""Process-wide Redis pub/sub for the signaling fan-out.

One connection per process subscribes each room channel while at least one
local :class:`Subscription` wants it and dispatches incoming messages to
them. Delivery is at most once; when the connection fails, every local
subscription ends with :class:`StateUnavailable` rather than silently
missing messages (see :mod:`.redis` for the reasoning). The next subscription
opens a new connection, also when it is the one to find the old one dead
(a Redis restart the reader has not noticed yet).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from typing import Any, Final

from redis.asyncio import Redis
from redis.asyncio.client import PubSub
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import ReadOnlyError
from redis.exceptions import TimeoutError as RedisTimeoutError

from parley.signaling.state.errors import StateUnavailable
from parley.signaling.state.fanout import RoomMessage, Subscription

logger = logging.getLogger(__name__)

SUBSCRIBE_TIMEOUT: Final = 2.0
PUBSUB_POLL_INTERVAL: Final = 1.0
PUBSUB_PING_INTERVAL: Final = 5.0
"""The pub/sub connection is pinged this often; no pong within the same time
again counts as a lost connection (a half-open TCP connection never errors)."""

UNAVAILABLE_ERRORS: Final = (
    RedisConnectionError,  # includes BusyLoadingError, pool exhaustion
    RedisTimeoutError,
    ReadOnlyError,  # a replica during failover
    OSError,
)


def being_cancelled() -> bool:
    """Whether the current task was asked to stop, even if redis-py masked it."""
    task = asyncio.current_task()
    return task is not None and task.cancelling() > 0


class PubSubHub:
    """One pub/sub connection per process, multiplexing every room channel."""

    def __init__(self, client: Redis, control_channel: str) -> None:
        self._client = client
        self._control_channel = control_channel
        self._pubsub: PubSub | None = None
        self._reader: asyncio.Task[None] | None = None
        self._subscribers: dict[str, set[Subscription]] = {}
        self._confirmations: dict[str, asyncio.Future[None]] = {}
        self._subscribing: Subscription | None = None
        # Serialises (un)subscribe commands so each confirmation is unambiguous.
        self._lock = asyncio.Lock()

    async def add(self, channel: str, subscription: Subscription) -> None:
        async with self._lock:
            reused = self._pubsub is not None
            try:
                await self._add(channel, subscription)
            except (StateUnavailable, *UNAVAILABLE_ERRORS) as exc:
                if not reused or being_cancelled():
                    raise  # a new connection failed: Redis is really away
                # The connection died before the reader noticed (Redis was
                # restarted): its subscriptions lost messages and end; this
                # one gets a new connection.
                logger.warning("pub/sub connection lost, reconnecting: %s", exc)
                self._fail_everything(
                    StateUnavailable(f"pub/sub connection lost: {exc}")
                )
                await self._shut_down()
                await self._add(channel, subscription)

    async def _add(self, channel: str, subscription: Subscription) -> None:
        pubsub = await self._connected()
        subscribers = self._subscribers.get(channel)
        if subscribers is not None:
            subscribers.add(subscription)
            return
        # Registered before SUBSCRIBE: a message right after the
        # confirmation must find its subscriber.
        self._subscribers[channel] = {subscription}
        self._subscribing = subscription
        try:
            await self._subscribe(pubsub, channel)
        except BaseException:
            self._subscribers.pop(channel, None)
            raise
        finally:
            self._subscribing = None

    async def remove(self, channel: str, subscription: Subscription) -> None:
        async with self._lock:
            subscribers = self._subscribers.get(channel)
            if subscribers is None or subscription not in subscribers:
                return
            subscribers.discard(subscription)
            if subscribers:
                return
            del self._subscribers[channel]
            if self._pubsub is not None:
                try:
                    await self._pubsub.unsubscribe(channel)
                except UNAVAILABLE_ERRORS:
                    logger.warning("could not unsubscribe %s", channel, exc_info=True)

    async def aclose(self) -> None:
        for subscribers in list(self._subscribers.values()):
            for subscription in list(subscribers):
                await subscription.aclose()
        await self._shut_down()

    async def _connected(self) -> PubSub:
        if self._pubsub is not None:
            return self._pubsub
        pubsub = self._client.pubsub()
        self._pubsub = pubsub
        try:
            # The first SUBSCRIBE opens the connection the reader then reads.
            confirmation = self._expect_confirmation(self._control_channel)
            await pubsub.subscribe(self._control_channel)
            self._reader = asyncio.create_task(
                self._read(pubsub), name="signaling-pubsub-reader"
            )
            await self._await_confirmation(self._control_channel, confirmation)
        except BaseException:
            await self._shut_down()
            raise
        return pubsub

    async def _subscribe(self, pubsub: PubSub, channel: str) -> None:
        confirmation = self._expect_confirmation(channel)
        try:
            await pubsub.subscribe(channel)
        except BaseException:
            self._confirmations.pop(channel, None)
            raise
        await self._await_confirmation(channel, confirmation)

    def _expect_confirmation(self, channel: str) -> asyncio.Future[None]:
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._confirmations[channel] = future
        return future

    async def _await_confirmation(
        self, channel: str, confirmation: asyncio.Future[None]
    ) -> None:
        try:
            await asyncio.wait_for(confirmation, SUBSCRIBE_TIMEOUT)
        except TimeoutError:
            raise StateUnavailable(
                f"redis did not confirm subscribing {channel}"
            ) from None
        finally:
            self._confirmations.pop(channel, None)

    async def _read(self, pubsub: PubSub) -> None:
        loop = asyncio.get_running_loop()
        last_heard = loop.time()
        ping_sent_at: float | None = None
        try:
            while True:
                message = await pubsub.get_message(timeout=PUBSUB_POLL_INTERVAL)
                now = loop.time()
                if message is not None:
                    last_heard = now
                    self._handle(message)
                if ping_sent_at is not None and last_heard >= ping_sent_at:
                    ping_sent_at = None
                if ping_sent_at is None and now - last_heard >= PUBSUB_PING_INTERVAL:
                    await pubsub.ping()
                    ping_sent_at = now
                elif (
                    ping_sent_at is not None
                    and now - ping_sent_at > PUBSUB_PING_INTERVAL
                ):
                    raise RedisTimeoutError("no answer to PING on pub/sub")
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            if being_cancelled():
                raise
            logger.error("signaling pub/sub connection lost: %s", exc)
            self._fail_everything(StateUnavailable(f"pub/sub connection lost: {exc}"))
            if self._pubsub is pubsub:
                self._pubsub = None
                self._reader = None
            # redis-py 8.1 leaves PubSub.aclose unannotated.
            await pubsub.aclose()  # type: ignore[no-untyped-call]

    def _handle(self, message: Mapping[str, Any]) -> None:
        kind = message["type"]
        channel = message["channel"]
        if kind == "subscribe":
            future = self._confirmations.get(channel)
            if future is not None and not future.done():
                future.set_result(None)
        elif kind == "message":
            subscribers = self._subscribers.get(channel)
            if not subscribers:
                return
            try:
                room_message = RoomMessage.model_validate_json(message["data"])
            except ValueError:
                logger.error("dropping malformed message on %s", channel, exc_info=True)
                return
            for subscription in list(subscribers):
                subscription.deliver(room_message)

    def _fail_everything(self, error: StateUnavailable) -> None:
        for subscribers in self._subscribers.values():
            for subscription in subscribers:
                # The one being subscribed hears of it from its SUBSCRIBE
                # (and is subscribed again on a new connection).
                if subscription is not self._subscribing:
                    subscription.fail(error)
        self._subscribers.clear()
        for future in self._confirmations.values():
            if not future.done():
                future.set_exception(error)

    async def _shut_down(self) -> None:
        reader, pubsub = self._reader, self._pubsub
        self._reader = None
        self._pubsub = None
        if reader is not None:
            reader.cancel()
            await asyncio.gather(reader, return_exceptions=True)
        if pubsub is not None:
            # redis-py 8.1 leaves PubSub.aclose unannotated.
            await pubsub.aclose()  # type: ignore[no-untyped-call]
