"""The Redis failed-attempt limiter: shared counts, expiring windows."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from state_helpers import delete_keys

from parley.ratelimit import RedisFailureLimiter
from parley.signaling.state import StateUnavailable


@pytest.fixture
async def limiters(
    redis_url: str, key_prefix: str
) -> AsyncIterator[tuple[RedisFailureLimiter, RedisFailureLimiter]]:
    """Two limiters on one Redis: two instances of the controller."""
    a = RedisFailureLimiter(redis_url, key_prefix=key_prefix)
    b = RedisFailureLimiter(redis_url, key_prefix=key_prefix)
    yield a, b
    await a.aclose()
    await b.aclose()
    await delete_keys(redis_url, key_prefix)


async def test_failures_on_two_instances_add_up(
    limiters: tuple[RedisFailureLimiter, RedisFailureLimiter],
) -> None:
    a, b = limiters
    await a.record_failure("call_in:id:1", window=60)
    await b.record_failure("call_in:id:1", window=60)
    assert await a.record_failure("call_in:id:1", window=60) == 3

    assert await b.blocked_for("call_in:id:1", max_failures=4) is None
    assert 58 <= (await b.blocked_for("call_in:id:1", max_failures=3) or 0) <= 60


async def test_window_expires_and_clear_forgets(
    limiters: tuple[RedisFailureLimiter, RedisFailureLimiter],
) -> None:
    a, b = limiters
    await a.record_failure("short", window=0.3)
    await a.record_failure("long", window=60)
    assert await a.blocked_for("short", max_failures=1) == 1

    await asyncio.sleep(0.4)
    await b.clear("long")

    assert await a.blocked_for("short", max_failures=1) is None
    assert await a.blocked_for("long", max_failures=1) is None


async def test_unreachable_redis_is_state_unavailable() -> None:
    limiter = RedisFailureLimiter("redis://127.0.0.1:1/0")
    try:
        with pytest.raises(StateUnavailable):
            await limiter.blocked_for("k", max_failures=1)
        with pytest.raises(StateUnavailable):
            await limiter.record_failure("k", window=1)
    finally:
        await limiter.aclose()
