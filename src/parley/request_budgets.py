"""Keyed request budgets: at most N hits per window, shared through Redis when set.

A thin layer over the maintained ``limits`` library (its asyncio API): a
:class:`Budget` names a limit (``limit`` hits per ``window_seconds``); a key
(an API key id, a client address, ...) has its own count in each budget. A hit
answers with everything a rate-limited response needs: whether it was allowed,
the limit, what remains and when the window resets (Unix seconds, for
``X-Rate-Limit-Reset`` / ``Retry-After``). :meth:`BudgetLimiter.peek` reads a
budget without spending it (a status endpoint), :meth:`BudgetLimiter.clear`
forgets a key.

Counters live in process memory, or in Redis when ``PARLEY_REDIS_URL`` is set so
that every instance spends from the same budget. The strategy is ``limits``'
fixed window by default (a window opens with the first hit, as the EasyCalendar
and Twitter-style APIs describe it); the moving window is there for budgets that
must not allow a burst at a window's edge. A Redis that cannot be reached is
:class:`StateUnavailable` (503), as for the signaling state.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from enum import StrEnum
from typing import Final

from limits import RateLimitItemPerSecond
from limits.aio.storage import MemoryStorage, RedisStorage, Storage
from limits.aio.strategies import (
    FixedWindowRateLimiter,
    MovingWindowRateLimiter,
    RateLimiter,
)
from limits.errors import StorageError
from redis.asyncio import BlockingConnectionPool, ConnectionPool

from parley.signaling.state.errors import StateUnavailable

_REDIS_NAMESPACE: Final = "budgets"


class Strategy(StrEnum):
    FIXED_WINDOW = "fixed_window"
    MOVING_WINDOW = "moving_window"


@dataclass(frozen=True, slots=True)
class Budget:
    """``limit`` hits per ``window_seconds``, per key; ``name`` separates budgets."""

    name: str
    limit: int
    window_seconds: int

    def __post_init__(self) -> None:
        if self.limit < 1 or self.window_seconds < 1:
            raise ValueError("a budget needs a limit and a window of at least 1")

    def item(self) -> RateLimitItemPerSecond:
        return RateLimitItemPerSecond(
            self.limit, self.window_seconds, namespace=self.name
        )


@dataclass(frozen=True, slots=True)
class BudgetState:
    """A key's standing in a budget after a hit (or a peek)."""

    allowed: bool
    limit: int
    remaining: int
    reset_time: float
    """Unix time at which the window resets."""

    @property
    def reset_at(self) -> int:
        """``reset_time`` in whole seconds, rounded up (``X-Rate-Limit-Reset``)."""
        return math.ceil(self.reset_time)

    def retry_after(self, now: float | None = None) -> int:
        """Whole seconds until the window resets; at least 1 while refused."""
        now = time.time() if now is None else now
        return max(1, math.ceil(self.reset_time - now))

    def headers(self) -> dict[str, str]:
        """``X-Rate-Limit-*`` headers (Twitter's names, also EasyCalendar's)."""
        return {
            "X-Rate-Limit-Limit": str(self.limit),
            "X-Rate-Limit-Remaining": str(self.remaining),
            "X-Rate-Limit-Reset": str(self.reset_at),
        }


class BudgetLimiter:
    """Spends and reads budgets; one per process (see the module docstring)."""

    def __init__(
        self,
        storage: Storage,
        *,
        strategy: Strategy = Strategy.FIXED_WINDOW,
        pool: ConnectionPool | None = None,
    ) -> None:
        self._storage = storage
        self._pool = pool
        self._fixed_window = strategy is Strategy.FIXED_WINDOW
        self._limiter: RateLimiter = (
            MovingWindowRateLimiter(storage)
            if strategy is Strategy.MOVING_WINDOW
            else FixedWindowRateLimiter(storage)
        )

    @classmethod
    def create(
        cls,
        redis_url: str | None,
        *,
        key_prefix: str = "parley:",
        strategy: Strategy = Strategy.FIXED_WINDOW,
    ) -> BudgetLimiter:
        """In memory without Redis, else under ``<key_prefix>budgets`` in Redis."""
        if redis_url is None:
            return cls(MemoryStorage(wrap_exceptions=True), strategy=strategy)
        # Blocking: under load a request waits for a free connection (up to the
        # timeout) instead of failing with "Too many connections".
        pool = BlockingConnectionPool.from_url(
            redis_url,
            socket_connect_timeout=1.0,
            socket_timeout=2.0,
            max_connections=32,
            timeout=5.0,
        )
        storage = RedisStorage(
            f"async+{redis_url}",
            implementation="redispy",
            wrap_exceptions=True,
            key_prefix=f"{key_prefix}{_REDIS_NAMESPACE}",
            # limits types its pass-through options narrowly; redis-py takes a pool.
            connection_pool=pool,  # type: ignore[arg-type]
        )
        return cls(storage, strategy=strategy, pool=pool)

    async def hit(self, budget: Budget, key: str, *, cost: int = 1) -> BudgetState:
        """Spend ``cost`` from the key's budget; ``allowed`` is False once it is spent.

        A refused hit spends nothing that matters: the window's end stays where it was.
        """
        item = budget.item()
        try:
            if self._fixed_window:
                # The fixed window's hit is the storage's INCR (with the expiry set
                # on the first); its count is the standing, so only the reset time
                # is read again: two round trips to Redis instead of three.
                storage_key = item.key_for(key)
                count = await self._storage.incr(
                    storage_key, item.get_expiry(), amount=cost
                )
                reset_time = await self._storage.get_expiry(storage_key)
                return _state(
                    budget, count <= budget.limit, budget.limit - count, reset_time
                )
            allowed = await self._limiter.hit(item, key, cost=cost)
            stats = await self._limiter.get_window_stats(item, key)
        except StorageError as exc:
            raise StateUnavailable(f"rate limit storage unavailable: {exc}") from exc
        return _state(budget, allowed, stats.remaining, stats.reset_time)

    async def peek(self, budget: Budget, key: str) -> BudgetState:
        """The key's standing without spending; ``allowed``: would a hit pass."""
        item = budget.item()
        try:
            stats = await self._limiter.get_window_stats(item, key)
        except StorageError as exc:
            raise StateUnavailable(f"rate limit storage unavailable: {exc}") from exc
        return _state(budget, stats.remaining > 0, stats.remaining, stats.reset_time)

    async def clear(self, budget: Budget, key: str) -> None:
        try:
            await self._limiter.clear(budget.item(), key)
        except StorageError as exc:
            raise StateUnavailable(f"rate limit storage unavailable: {exc}") from exc

    async def aclose(self) -> None:
        """Release Redis connections (nothing to do in memory)."""
        if self._pool is not None:
            await self._pool.aclose()


def _state(
    budget: Budget, allowed: bool, remaining: int, reset_time: float
) -> BudgetState:
    # Before a key's first hit there is no window yet: it would open now.
    now = time.time()
    return BudgetState(
        allowed=allowed,
        limit=budget.limit,
        remaining=max(0, min(budget.limit, remaining)),
        reset_time=reset_time if reset_time > now else now + budget.window_seconds,
    )
