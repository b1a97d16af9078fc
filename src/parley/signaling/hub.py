"""The process's signaling: the shared state and the live sessions.

Created in the app's lifespan (``app.state.signaling``). At shutdown every
session still open is closed with 1001 (Going Away) so clients reconnect,
with their resumption token, to another instance.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections import Counter
from typing import Final, Protocol

from parley import metrics
from parley.config import Settings
from parley.signaling import room_deletion
from parley.signaling.context import Services
from parley.signaling.modules.media import MediaService
from parley.signaling.state import SignalingState, create_state
from parley.tariffs.modules import offered_modules

logger = logging.getLogger(__name__)

SHUTDOWN_TIMEOUT: Final = 5.0
"""Seconds the sessions get to say goodbye (``left``) at shutdown."""
GOING_AWAY: Final = 1001


class Session(Protocol):
    """What the hub needs of a live session (the runner), without importing it."""

    finished: asyncio.Event

    @property
    def room_id(self) -> uuid.UUID: ...

    def request_close(self, code: int) -> None: ...


class SignalingHub:
    """Per-process signaling resources; see the module docstring."""

    def __init__(
        self,
        *,
        state: SignalingState,
        owns_state: bool = True,
        services: Services | None = None,
    ) -> None:
        self.state = state
        self._owns_state = owns_state
        self.services = services or Services()
        self._runners: set[Session] = set()
        # Sessions per room on this process (the parley_signaling_rooms metric).
        self._rooms: Counter[uuid.UUID] = Counter()
        self._closing = False

    @classmethod
    def from_settings(
        cls, settings: Settings, *, state: SignalingState | None = None
    ) -> SignalingHub:
        """In memory without ``PARLEY_REDIS_URL``, else shared through Redis.

        A given ``state`` is used as is: its owner starts and closes it.
        """
        prefix = settings.redis_key_prefix
        shared = state or create_state(settings.redis_url, key_prefix=prefix)
        return cls(
            state=shared,
            owns_state=state is None,
            services=Services(
                offered_modules=offered_modules(settings),
                media=MediaService.from_settings(settings, shared),
            ),
        )

    @property
    def closing(self) -> bool:
        """Shutting down: no new sessions are accepted."""
        return self._closing

    @property
    def session_count(self) -> int:
        return len(self._runners)

    def register(self, runner: Session) -> None:
        self._runners.add(runner)
        self._rooms[runner.room_id] += 1
        if self._rooms[runner.room_id] == 1:
            metrics.SIGNALING_ROOMS.inc()

    def unregister(self, runner: Session) -> None:
        if runner not in self._runners:
            return
        self._runners.discard(runner)
        self._rooms[runner.room_id] -= 1
        if self._rooms[runner.room_id] == 0:
            del self._rooms[runner.room_id]
            metrics.SIGNALING_ROOMS.dec()

    async def start(self) -> None:
        if self._owns_state:
            await self.state.start()
        if self.services.media is not None:
            await self.services.media.start()
        room_deletion.watch(self.state)

    async def close_sessions(
        self, code: int = GOING_AWAY, *, grace: float = SHUTDOWN_TIMEOUT
    ) -> None:
        """Close every open session with ``code`` and wait for them to clean up."""
        self._closing = True
        runners = list(self._runners)
        for runner in runners:
            runner.request_close(code)
        if not runners:
            return
        waits = [asyncio.ensure_future(r.finished.wait()) for r in runners]
        _, pending = await asyncio.wait(waits, timeout=grace)
        for wait in pending:
            wait.cancel()
        if pending:
            logger.warning("%d signaling sessions did not finish in time", len(pending))

    async def aclose(self) -> None:
        """Close the sessions (1001), then Janus, then the state (if created here)."""
        room_deletion.unwatch(self.state)
        await self.close_sessions()
        if self.services.media is not None:
            await self.services.media.aclose()
        if self._owns_state:
            await self.state.aclose()
