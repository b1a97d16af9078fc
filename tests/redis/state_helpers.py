"""Helpers shared by the signaling state suites."""

from __future__ import annotations

import asyncio

import pytest
from redis.asyncio import Redis

from parley.signaling.state import LivenessTimings, RoomMessage, Subscription

# Fast liveness so crash detection is tested in about a second.
FAST_TIMINGS = LivenessTimings(
    heartbeat_interval=0.2, heartbeat_ttl=0.6, sweep_interval=0.2
)


async def receive(subscription: Subscription, within: float = 2.0) -> RoomMessage:
    """The next message, failing the test if none arrives ``within`` seconds."""
    return await asyncio.wait_for(anext(subscription), within)


async def receive_none(subscription: Subscription, wait: float = 0.2) -> None:
    """Assert that nothing arrives within ``wait`` seconds."""
    try:
        message = await asyncio.wait_for(anext(subscription), wait)
    except TimeoutError:
        return
    pytest.fail(f"unexpected message {message!r}")


async def list_keys(client: Redis, prefix: str) -> set[str]:
    return {key async for key in client.scan_iter(match=f"{prefix}*", count=500)}


async def delete_keys(url: str, prefix: str) -> None:
    """Delete exactly this run's keys; the server is shared (never FLUSHDB)."""
    client = Redis.from_url(url, decode_responses=True)
    try:
        keys = [key async for key in client.scan_iter(match=f"{prefix}*", count=500)]
        if keys:
            await client.delete(*keys)
    finally:
        await client.aclose()
