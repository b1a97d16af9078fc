"""Unit tests for the in-process token-bucket rate limiter."""

from __future__ import annotations

import pytest

from parley.booking.ratelimit import RateLimiter


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_allows_capacity_then_asks_to_wait() -> None:
    clock = FakeClock()
    limiter = RateLimiter(capacity=3, period=60, clock=clock)
    assert [limiter.hit("a") for _ in range(3)] == [None, None, None]
    assert limiter.hit("a") == pytest.approx(20.0)
    clock.now += 10
    assert limiter.hit("a") == pytest.approx(10.0)
    clock.now += 10
    assert limiter.hit("a") is None


def test_refills_up_to_capacity_only() -> None:
    clock = FakeClock()
    limiter = RateLimiter(capacity=2, period=10, clock=clock)
    limiter.hit("a")
    clock.now += 3600
    assert [limiter.hit("a") for _ in range(3)][-1] is not None


def test_addresses_are_independent() -> None:
    limiter = RateLimiter(capacity=1, period=60, clock=FakeClock())
    assert limiter.hit("a") is None
    assert limiter.hit("a") is not None
    assert limiter.hit("b") is None


def test_memory_is_bounded_by_dropping_the_least_recent() -> None:
    limiter = RateLimiter(capacity=1, period=60, max_keys=2, clock=FakeClock())
    for key in ("a", "b", "c"):
        limiter.hit(key)
    assert limiter.hit("b") is not None  # still tracked
    assert limiter.hit("a") is None  # dropped, starts afresh


@pytest.mark.parametrize(("capacity", "period"), [(0, 60), (1, 0)])
def test_rejects_nonsense_settings(capacity: int, period: float) -> None:
    with pytest.raises(ValueError, match="capacity"):
        RateLimiter(capacity=capacity, period=period)
