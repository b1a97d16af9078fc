"""The in-memory failed-attempt limiter (the Redis one runs in tests/redis)."""

from __future__ import annotations

import pytest

from parley.ratelimit import MemoryFailureLimiter, TooManyAttempts, ensure_allowed


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


async def test_a_key_is_blocked_after_max_failures_until_its_window_ends() -> None:
    clock = Clock()
    limiter = MemoryFailureLimiter(clock=clock)

    counts = [await limiter.record_failure("k", window=60) for _ in range(3)]
    assert counts == [1, 2, 3]
    assert await limiter.blocked_for("k", max_failures=4) is None
    assert await limiter.blocked_for("k", max_failures=3) == 60
    clock.now += 59.2
    assert await limiter.blocked_for("k", max_failures=3) == 1
    clock.now += 0.8
    assert await limiter.blocked_for("k", max_failures=3) is None
    assert await limiter.record_failure("k", window=60) == 1


async def test_the_window_opens_with_the_first_failure() -> None:
    clock = Clock()
    limiter = MemoryFailureLimiter(clock=clock)
    await limiter.record_failure("k", window=10)
    clock.now += 8
    await limiter.record_failure("k", window=10)

    assert await limiter.blocked_for("k", max_failures=2) == 2


async def test_keys_are_independent_and_clear_forgets_one() -> None:
    limiter = MemoryFailureLimiter(clock=Clock())
    for key in ("a", "a", "b", "b"):
        await limiter.record_failure(key, window=60)

    await limiter.clear("a")

    assert await limiter.blocked_for("a", max_failures=2) is None
    assert await limiter.blocked_for("b", max_failures=2) == 60


async def test_ensure_allowed_waits_for_the_longest_blocked_key() -> None:
    clock = Clock()
    limiter = MemoryFailureLimiter(clock=clock)
    await limiter.record_failure("short", window=10)
    await limiter.record_failure("long", window=90)
    await ensure_allowed(limiter, {"short": 2, "long": 2})

    with pytest.raises(TooManyAttempts) as raised:
        await ensure_allowed(limiter, {"short": 1, "long": 1})

    assert raised.value.status_code == 429
    assert raised.value.headers == {"Retry-After": "90"}
    assert raised.value.body() == {
        "code": "too_many_attempts",
        "message": "Too many failed attempts, try again later",
    }


async def test_memory_stays_bounded_and_expired_windows_go_first() -> None:
    clock = Clock()
    limiter = MemoryFailureLimiter(max_keys=100, clock=clock)
    for number in range(50):
        await limiter.record_failure(f"old-{number}", window=10)
    clock.now += 11
    for number in range(1000):
        await limiter.record_failure(f"key-{number}", window=60)

    assert len(limiter._counts) <= 100
    # The newest keys are the ones kept.
    assert await limiter.blocked_for("key-999", max_failures=1) == 60
    assert await limiter.blocked_for("key-0", max_failures=1) is None
