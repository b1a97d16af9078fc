"""Choose the signaling state implementation from the settings."""

from __future__ import annotations

from parley.signaling.state.base import SignalingState
from parley.signaling.state.memory import MemorySignalingState
from parley.signaling.state.redis import RedisSignalingState


def create_state(
    redis_url: str | None,
    *,
    key_prefix: str = "parley:",
    instance_id: str | None = None,
) -> SignalingState:
    """In memory without a Redis URL (one process), else Redis (many instances).

    Nothing connects yet; call ``await state.start()`` in the app's lifespan.
    """
    if redis_url is None:
        return MemorySignalingState(instance_id=instance_id)
    return RedisSignalingState(
        redis_url, key_prefix=key_prefix, instance_id=instance_id
    )
