"""A small in-process rate limiter for the public (unauthenticated) booking routes.

One token bucket per client address: ``capacity`` requests at once, refilled
at ``capacity`` per ``period`` seconds.  Memory is bounded: past ``max_keys``
addresses the least recently seen bucket is dropped (a dropped address starts
again with a full bucket, which errs on the side of letting people book).
Per process: several instances each allow the full rate.
"""

from __future__ import annotations

import math
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Annotated

from fastapi import Depends, Request

from parley.booking.errors import RateLimited
from parley.ratelimit import client_address


class RateLimiter:
    """Token buckets keyed by client address; not thread-safe (one event loop)."""

    def __init__(
        self,
        *,
        capacity: int,
        period: float = 60.0,
        max_keys: int = 10_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if capacity < 1 or period <= 0:
            raise ValueError("capacity must be >= 1 and period > 0")
        self.capacity = capacity
        self.rate = capacity / period  # tokens per second
        self.max_keys = max_keys
        self.clock = clock
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()

    def hit(self, key: str) -> float | None:
        """Take one token for `key`: None if allowed, else seconds until one is free."""
        now = self.clock()
        tokens, seen = self._buckets.pop(key, (float(self.capacity), now))
        tokens = min(float(self.capacity), tokens + (now - seen) * self.rate)
        retry_after: float | None = None
        if tokens >= 1.0:
            tokens -= 1.0
        else:
            retry_after = (1.0 - tokens) / self.rate
        self._buckets[key] = (tokens, now)
        while len(self._buckets) > self.max_keys:
            self._buckets.popitem(last=False)
        return retry_after


def _limiter(request: Request) -> RateLimiter | None:
    state = request.app.state
    limiter: RateLimiter | None = getattr(state, "booking_rate_limiter", None)
    if limiter is None:
        per_minute = state.settings.booking_rate_limit_per_minute
        if per_minute == 0:
            return None
        limiter = RateLimiter(capacity=per_minute, period=60.0)
        state.booking_rate_limiter = limiter
    return limiter


async def public_rate_limit(request: Request) -> None:
    """429 with Retry-After when this client address has used up its requests."""
    limiter = _limiter(request)
    if limiter is None:
        return
    retry_after = limiter.hit(client_address(request))
    if retry_after is not None:
        raise RateLimited(headers={"Retry-After": str(max(1, math.ceil(retry_after)))})


PublicRateLimit = Annotated[None, Depends(public_rate_limit)]
