"""parley.request_budgets in memory (Redis: tests/api/easycalendar/test_rate_limits.py)."""

from __future__ import annotations

import time

import pytest

from parley.request_budgets import Budget, BudgetLimiter, Strategy


@pytest.mark.parametrize("strategy", list(Strategy))
async def test_a_budget_allows_its_limit_per_key_then_refuses(
    strategy: Strategy,
) -> None:
    limiter = BudgetLimiter.create(None, strategy=strategy)
    budget = Budget("test", limit=2, window_seconds=60)
    before = time.time()

    states = [await limiter.hit(budget, "a") for _ in range(3)]
    other = await limiter.hit(budget, "b")

    assert [s.allowed for s in states] == [True, True, False]
    assert [s.remaining for s in states] == [1, 0, 0]
    assert other.allowed
    assert before + 59 <= states[0].reset_time <= time.time() + 61
    assert states[2].retry_after() in range(1, 61)
    assert states[0].headers() == {
        "X-Rate-Limit-Limit": "2",
        "X-Rate-Limit-Remaining": "1",
        "X-Rate-Limit-Reset": str(states[0].reset_at),
    }
    await limiter.aclose()


async def test_peek_spends_nothing_and_clear_forgets() -> None:
    limiter = BudgetLimiter.create(None)
    budget = Budget("test", limit=3, window_seconds=60)
    assert (await limiter.peek(budget, "k")).remaining == 3
    await limiter.hit(budget, "k")
    assert (await limiter.peek(budget, "k")).remaining == 2
    assert (await limiter.peek(budget, "k")).remaining == 2
    await limiter.clear(budget, "k")
    assert (await limiter.peek(budget, "k")).remaining == 3


def test_a_budget_needs_a_limit_and_a_window() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        Budget("x", limit=0, window_seconds=60)
