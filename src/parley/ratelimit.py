"""Failed-attempt limiting: count failures per key, refuse once a key has too many.

A key's window opens with its first failure and lasts ``window`` seconds; once
``max_failures`` failures fall into it, the key is blocked until the window
ends. Successes do not count; :meth:`FailureLimiter.clear` forgets a key (a
caller who got it right). In memory for one process, in Redis when several
instances must share the counts (a guesser could otherwise spread attempts).

The dial-in surfaces, where a caller can guess numeric secrets, share one
process-wide limiter (``app.state.failure_limiter``) and one budget per client
address (`dial_in_source_key`): the Jitsi conference mapper (``?id=<digits>``)
and call-in start (id + PIN, which also counts per call-in id). Alternating
between them buys no extra guesses.
"""

from __future__ import annotations

import math
import time
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Final

from fastapi import Depends, Request
from redis.asyncio import Redis
from starlette.requests import HTTPConnection

from parley.config import Settings
from parley.errors import AppError
from parley.signaling.state.errors import StateUnavailable
from parley.signaling.state.redis_pubsub import UNAVAILABLE_ERRORS

_MAX_MEMORY_KEYS: Final = 100_000
"""Memory limiter: at most this many keys are tracked (expired ones go first)."""


class TooManyAttempts(AppError):
    """Too many failed attempts for a key; ``Retry-After`` says when to come back."""

    status_code = 429
    code = "too_many_attempts"
    default_message = "Too many failed attempts, try again later"

    def __init__(self, retry_after: int) -> None:
        super().__init__(headers={"Retry-After": str(retry_after)})
        self.retry_after = retry_after


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
    def __init__(
        self,
        *,
        max_keys: int = _MAX_MEMORY_KEYS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._max_keys = max_keys
        self._clock = clock
        # key -> (failures, window end); insertion order = window start order.
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
        if len(self._counts) >= self._max_keys:
            self._make_room()
        entry = self._current(key)
        count, expires_at = entry or (0, self._clock() + window)
        self._counts[key] = (count + 1, expires_at)
        return count + 1

    async def clear(self, key: str) -> None:
        self._counts.pop(key, None)

    def _make_room(self) -> None:
        # Drop expired windows; if every window is live, the oldest half goes (a
        # forgotten key starts again from zero, which only an attacker with that
        # many addresses could use, and they could anyway).
        now = self._clock()
        live = {k: v for k, v in self._counts.items() if v[1] > now}
        if len(live) >= self._max_keys:
            live = dict(list(live.items())[len(live) // 2 :])
        self._counts = live


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


@dataclass(frozen=True)
class DialInLimits:
    """Failed dial-in attempts allowed per client address and per call-in id."""

    max_failures_per_source: int
    max_failures_per_id: int
    window_seconds: float

    @classmethod
    def from_settings(cls, settings: Settings) -> DialInLimits:
        return cls(
            max_failures_per_source=settings.dial_in_max_failures_per_source,
            max_failures_per_id=settings.dial_in_max_failures_per_id,
            window_seconds=settings.dial_in_failure_window_seconds,
        )


def dial_in_source_key(address: str) -> str:
    """The budget every dial-in surface charges a client's failures to."""
    return f"dial-in:source:{address}"


def client_address(request: HTTPConnection) -> str:
    """The client's address: the one notion every limiter and log line uses.

    The peer of the connection, or, when that peer is one of
    PARLEY_TRUSTED_PROXIES, the address it reports in X-Forwarded-For (the app's
    ProxyHeadersMiddleware rewrites the scope; see parley.main). Forwarded
    headers from anyone else are ignored.
    """
    return request.client.host if request.client is not None else "unknown"


async def ensure_allowed(limiter: FailureLimiter, keys: dict[str, int]) -> None:
    """Raise TooManyAttempts (429, Retry-After: the longest wait) if any key is blocked.

    ``keys`` maps each key to the failures it is allowed.
    """
    waits = [await limiter.blocked_for(key, allowed) for key, allowed in keys.items()]
    retry_after = max((seconds for seconds in waits if seconds), default=None)
    if retry_after is not None:
        raise TooManyAttempts(retry_after)


async def get_failure_limiter(request: Request) -> FailureLimiter:
    limiter: FailureLimiter = request.app.state.failure_limiter
    return limiter


async def get_dial_in_limits(request: Request) -> DialInLimits:
    limits: DialInLimits = request.app.state.dial_in_limits
    return limits


FailureLimiterDep = Annotated[FailureLimiter, Depends(get_failure_limiter)]
DialInLimitsDep = Annotated[DialInLimits, Depends(get_dial_in_limits)]
