"""Fixtures for the signaling state suites: both implementations, isolated keys.

Redis tests use the server of the ``redis_url`` fixture (tests/conftest.py),
which others may share: every test gets its own key prefix and deletes
exactly those keys afterwards (never FLUSHDB).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from uuid import uuid4

import pytest
from redis.asyncio import Redis
from state_helpers import delete_keys

from parley.signaling.state import (
    LivenessTimings,
    MemorySignalingState,
    RedisSignalingState,
    SignalingState,
)


@pytest.fixture
async def redis_client(redis_url: str) -> AsyncIterator[Redis]:
    client = Redis.from_url(redis_url, decode_responses=True)
    try:
        yield client
    finally:
        await client.aclose()


@pytest.fixture
def key_prefix() -> str:
    return f"parley-test-{uuid4()}:"


StateFactory = Callable[..., Awaitable[RedisSignalingState]]


@pytest.fixture
async def make_redis_state(
    redis_url: str, key_prefix: str
) -> AsyncIterator[StateFactory]:
    """Start Redis state objects (= instances) that share one key prefix."""
    created: list[RedisSignalingState] = []

    async def make(
        instance_id: str | None = None, timings: LivenessTimings | None = None
    ) -> RedisSignalingState:
        state = RedisSignalingState(
            redis_url, key_prefix=key_prefix, instance_id=instance_id, timings=timings
        )
        created.append(state)
        await state.start()
        return state

    yield make
    for state in created:
        await state.aclose()
    await delete_keys(redis_url, key_prefix)


@pytest.fixture(params=["memory", "redis"])
async def state(
    request: pytest.FixtureRequest, key_prefix: str
) -> AsyncIterator[SignalingState]:
    """The implementation under test; the same suite runs against both."""
    implementation: SignalingState
    if request.param == "memory":
        implementation = MemorySignalingState(instance_id="memory-test")
    else:
        # A sync fixture: async ones cannot be requested from a running loop.
        redis_url: str = request.getfixturevalue("redis_url")
        implementation = RedisSignalingState(
            redis_url, key_prefix=key_prefix, instance_id="instance-a"
        )
    await implementation.start()
    try:
        yield implementation
    finally:
        await implementation.aclose()
        if request.param == "redis":
            await delete_keys(redis_url, key_prefix)
