"""Brute-force limits: count failed attempts per key and refuse a key that failed too often.

Used wherever a caller can guess numeric secrets: the Jitsi conference mapper
(`?id=<digits>`) and the call-in start endpoint (numeric id + PIN) share one limiter
and one key per client (`dial_in_key`), so alternating between them buys no extra
guesses.

Semantics are a fixed window, chosen so a Redis implementation is two commands
(`INCR key`, `EXPIRE key window NX`, `TTL key` for Retry-After): the first failure
opens a window of `window_seconds`; once `max_failures` failures were counted in it,
the key is refused until the window closes. Successes do not reset the count: a
caller who knows one valid id could otherwise wash its failures away.

Usage in an endpoint::

    limiter: FailureLimiterDep
    key = dial_in_key(request)
    await ensure_allowed(limiter, key)           # 429 + Retry-After while blocked
    if lookup_failed:
        await limiter.record_failure(key)
"""

from __future__ import annotations

import math
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Annotated, Protocol

from fastapi import Depends, Request

from parley.errors import AppError


class TooManyAttempts(AppError):
    status_code = 429
    code = "too_many_attempts"
    default_message = "Too many failed attempts, try again later"

    def __init__(self, retry_after: int) -> None:
        super().__init__(headers={"Retry-After": str(retry_after)})
        self.retry_after = retry_after


class FailureLimiter(Protocol):
    """Counts failed attempts per key; the in-memory and (later) Redis versions agree."""

    async def retry_after(self, key: str) -> int | None:
        """Whole seconds until the key may try again, or None when it may try now."""
        ...

    async def record_failure(self, key: str) -> int | None:
        """Count one failure; returns retry_after when the key is now blocked."""
        ...

    async def reset(self, key: str) -> None:
        """Forget the key's failures (an operator unblocking a client)."""
        ...


class InMemoryFailureLimiter:
    """The FailureLimiter of one process: a bounded dict of (count, window end)."""

    def __init__(
        self,
        *,
        max_failures: int,
        window_seconds: float,
        max_keys: int = 100_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if max_failures < 1 or window_seconds <= 0:
            raise ValueError("max_failures must be >= 1 and window_seconds > 0")
        self.max_failures = max_failures
        self.window_seconds = window_seconds
        self._max_keys = max_keys
        self._clock = clock
        # key -> (failures, window end); insertion order = window start order.
        self._windows: OrderedDict[str, tuple[int, float]] = OrderedDict()

    def _current(self, key: str, now: float) -> tuple[int, float] | None:
        window = self._windows.get(key)
        if window is not None and window[1] <= now:
            del self._windows[key]
            return None
        return window

    def _blocked_for(self, window: tuple[int, float] | None, now: float) -> int | None:
        if window is None or window[0] < self.max_failures:
            return None
        return max(1, math.ceil(window[1] - now))

    async def retry_after(self, key: str) -> int | None:
        now = self._clock()
        return self._blocked_for(self._current(key, now), now)

    async def record_failure(self, key: str) -> int | None:
        now = self._clock()
        window = self._current(key, now)
        if window is None:
            window = (1, now + self.window_seconds)
            self._evict(now)
        else:
            window = (window[0] + 1, window[1])
        self._windows[key] = window
        return self._blocked_for(window, now)

    async def reset(self, key: str) -> None:
        self._windows.pop(key, None)

    def _evict(self, now: float) -> None:
        # Windows open in insertion order and all last equally long, so the oldest
        # entries expire first; a full table drops its oldest window.
        while self._windows:
            oldest_key, (_, ends) = next(iter(self._windows.items()))
            if ends > now and len(self._windows) < self._max_keys:
                break
            del self._windows[oldest_key]


async def ensure_allowed(limiter: FailureLimiter, key: str) -> None:
    """Raise TooManyAttempts (429 with Retry-After) while the key is blocked."""
    retry_after = await limiter.retry_after(key)
    if retry_after is not None:
        raise TooManyAttempts(retry_after)


def client_address(request: Request) -> str:
    """The peer address as uvicorn reports it (it honours --proxy-headers settings)."""
    return request.client.host if request.client is not None else "unknown"


def dial_in_key(request: Request) -> str:
    """The key dial-in lookups (conference mapper, call-in start) share per client."""
    return f"dial-in:{client_address(request)}"


async def get_failure_limiter(request: Request) -> FailureLimiter:
    limiter: FailureLimiter = request.app.state.failure_limiter
    return limiter


FailureLimiterDep = Annotated[FailureLimiter, Depends(get_failure_limiter)]
