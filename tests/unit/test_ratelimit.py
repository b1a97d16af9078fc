"""The in-memory failure limiter: fixed windows, Retry-After, bounded memory."""

from __future__ import annotations

import pytest

from parley.ratelimit import InMemoryFailureLimiter, TooManyAttempts, ensure_allowed


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def limiter(clock: Clock, **overrides: float) -> InMemoryFailureLimiter:
    options = {"max_failures": 3, "window_seconds": 60.0, **overrides}
    return InMemoryFailureLimiter(
        max_failures=int(options["max_failures"]),
        window_seconds=options["window_seconds"],
        clock=clock,
    )


async def test_blocks_after_max_failures_until_the_window_closes() -> None:
    clock = Clock()
    failures = limiter(clock)
    assert await failures.record_failure("k") is None
    clock.now += 10
    assert await failures.record_failure("k") is None
    assert await failures.retry_after("k") is None
    clock.now += 10
    # The third failure (20 s into the 60 s window) blocks for the remaining 40 s.
    assert await failures.record_failure("k") == 40
    assert await failures.retry_after("k") == 40
    clock.now += 39.5
    assert await failures.retry_after("k") == 1
    clock.now += 0.5
    assert await failures.retry_after("k") is None
    assert await failures.record_failure("k") is None


async def test_keys_are_independent_and_reset_unblocks() -> None:
    clock = Clock()
    failures = limiter(clock, max_failures=1)
    assert await failures.record_failure("a") == 60
    assert await failures.retry_after("b") is None
    await failures.reset("a")
    assert await failures.retry_after("a") is None


async def test_ensure_allowed_raises_429_with_retry_after() -> None:
    clock = Clock()
    failures = limiter(clock, max_failures=1)
    await ensure_allowed(failures, "k")
    await failures.record_failure("k")
    clock.now += 0.2
    with pytest.raises(TooManyAttempts) as raised:
        await ensure_allowed(failures, "k")
    assert raised.value.status_code == 429
    assert raised.value.headers == {"Retry-After": "60"}
    assert raised.value.body() == {
        "code": "too_many_attempts",
        "message": "Too many failed attempts, try again later",
    }


async def test_memory_stays_bounded() -> None:
    clock = Clock()
    failures = InMemoryFailureLimiter(
        max_failures=1, window_seconds=60, max_keys=100, clock=clock
    )
    for number in range(1000):
        await failures.record_failure(f"key-{number}")
    assert len(failures._windows) <= 100
    # The newest keys are the ones kept.
    assert await failures.retry_after("key-999") == 60
    assert await failures.retry_after("key-0") is None


async def test_expired_windows_are_dropped_when_new_ones_open() -> None:
    clock = Clock()
    failures = limiter(clock)
    for number in range(50):
        await failures.record_failure(f"old-{number}")
    clock.now += 61
    await failures.record_failure("new")
    assert list(failures._windows) == ["new"]


@pytest.mark.parametrize(("max_failures", "window"), [(0, 60.0), (3, 0.0), (3, -1.0)])
def test_rejects_nonsense_limits(max_failures: int, window: float) -> None:
    with pytest.raises(ValueError, match="max_failures"):
        InMemoryFailureLimiter(max_failures=max_failures, window_seconds=window)
