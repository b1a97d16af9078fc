"""Failed-attempt limiting: count failures per key, refuse once a key has too many.

A key's window opens with its first failure and lasts ``window`` seconds; once
``max_failures`` failures fall into it, the key is blocked until the window
ends. Successes do not count; :meth:`FailureLimiter.clear` forgets a key (a
caller who got it right). In memory for one process, in Redis when several
instances must share the counts (a guesser could otherwise spread attempts).
"""

from __future__ import annotations

import math
import time
from abc import ABC, abstractmethod
from collections.abc import Callable
from typing import Final

from redis.asyncio import Redis

from parley.signaling.state.errors import StateUnavailable
from parley.signaling.state.redis_pubsub import UNAVAILABLE_ERRORS

_PRUNE_ABOVE: Final = 10_000
"""Memory limiter: expired keys are pruned once this many are tracked."""


class FailureLimiter(ABC):
    """Counts failures per key; see the module docstring."""

    @abstractmethod
    async def blocked_for(self, key: str, max_failures: int) -> int | None:
        """Seconds until ``key`` may try again, or ``None`` if it may now."""

    @abstractmethod
    async def record_failure(self, key: str, window: float) -> int:
        """Count one failure; returns the failures in the current window."""

    @abstractmethod
    async def clear(self, key: str) -> None:
        """Forget the key's failures."""

    async def aclose(self) -> None:  # noqa: B027 - only Redis has something to close
        """Release connections (Redis)."""


def _seconds(remaining: float) -> int:
    # Retry-After is whole seconds; never 0 while still blocked.
    return max(1, math.ceil(remaining))


class MemoryFailureLimiter(FailureLimiter):
    def __init__(self, *, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._counts: dict[str, tuple[int, float]] = {}

    def _current(self, key: str) -> tuple[int, float] | None:
        entry = self._counts.get(key)
        if entry is not None and entry[1] <= self._clock():
            del self._counts[key]
            return None
        return entry

    async def blocked_for(self, key: str, max_failures: int) -> int | None:
        entry = self._current(key)
        if entry is None or entry[0] < max_failures:
            return None
        return _seconds(entry[1] - self._clock())

    async def record_failure(self, key: str, window: float) -> int:
        if len(self._counts) > _PRUNE_ABOVE:
            now = self._clock()
            self._counts = {k: v for k, v in self._counts.items() if v[1] > now}
        entry = self._current(key)
        count, expires_at = entry or (0, self._clock() + window)
        self._counts[key] = (count + 1, expires_at)
        return count + 1

    async def clear(self, key: str) -> None:
        self._counts.pop(key, None)


# INCR and set the expiry with the first failure, atomically (a crash between the
# two would leave a counter that never expires).
_RECORD_FAILURE: Final = r"""
local count = redis.call('INCR', KEYS[1])
if count == 1 then
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
end
return count
"""


class RedisFailureLimiter(FailureLimiter):
    """Counters at ``<prefix>attempts:<key>`` with the window as their expiry."""

    def __init__(self, url: str, *, key_prefix: str = "parley:") -> None:
        self._prefix = f"{key_prefix}attempts:"
        self._client = Redis.from_url(
            url,
            decode_responses=True,
            socket_connect_timeout=1.0,
            socket_timeout=2.0,
            max_connections=16,
        )
        self._record = self._client.register_script(_RECORD_FAILURE)

    async def blocked_for(self, key: str, max_failures: int) -> int | None:
        try:
            async with self._client.pipeline(transaction=True) as pipe:
                pipe.get(self._prefix + key)
                pipe.pttl(self._prefix + key)
                raw, ttl_ms = await pipe.execute()
        except UNAVAILABLE_ERRORS as exc:
            raise StateUnavailable(f"redis unavailable: {exc}") from exc
        if raw is None or int(raw) < max_failures or ttl_ms < 0:
            return None
        return _seconds(ttl_ms / 1000)

    async def record_failure(self, key: str, window: float) -> int:
        try:
            count = await self._record(
                keys=[self._prefix + key], args=[max(1, round(window * 1000))]
            )
        except UNAVAILABLE_ERRORS as exc:
            raise StateUnavailable(f"redis unavailable: {exc}") from exc
        return int(count)

    async def clear(self, key: str) -> None:
        try:
            await self._client.delete(self._prefix + key)
        except UNAVAILABLE_ERRORS as exc:
            raise StateUnavailable(f"redis unavailable: {exc}") from exc

    async def aclose(self) -> None:
        await self._client.aclose()


def create_failure_limiter(
    redis_url: str | None, *, key_prefix: str = "parley:"
) -> FailureLimiter:
    """In memory without Redis, else shared through the same Redis as the state."""
    if redis_url is None:
        return MemoryFailureLimiter()
    return RedisFailureLimiter(redis_url, key_prefix=key_prefix)
