"""The process's media resources: the Janus servers and the media settings.

Created by the hub when ``PARLEY_JANUS_URLS`` is set (otherwise the ``media``
module is off). The signaling state is the pool's load book, so instances
sharing Redis spread new streams over the Janus servers together.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass

from parley.config import Settings
from parley.janus import (
    EventListener,
    JanusPool,
    JanusTimings,
    Publisher,
    Subscriber,
)
from parley.signaling.messages import MediaSessionType
from parley.signaling.state import MediaPublisher, SignalingState

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class MediaSettings:
    video_bitrate: int = 1_500_000
    screen_bitrate: int = 8_000_000
    session_types: frozenset[MediaSessionType] = frozenset(MediaSessionType)
    screen_share_requires_permission: bool = False

    def bitrate(self, kind: MediaSessionType) -> int:
        return (
            self.video_bitrate
            if kind is MediaSessionType.VIDEO
            else self.screen_bitrate
        )


class MediaService:
    """Janus connections and media settings shared by every connection of a process."""

    def __init__(self, pool: JanusPool, settings: MediaSettings) -> None:
        self.pool = pool
        self.settings = settings

    @classmethod
    def from_settings(
        cls, settings: Settings, state: SignalingState
    ) -> MediaService | None:
        """``None`` without ``PARLEY_JANUS_URLS``: media is off."""
        if not settings.media_enabled:
            return None
        secret = settings.janus_api_secret
        pool = JanusPool(
            settings.janus_urls,
            timings=JanusTimings(
                request_timeout=settings.janus_request_timeout_seconds,
                keepalive_interval=settings.janus_keepalive_seconds,
            ),
            api_secret=None if secret is None else secret.get_secret_value(),
            load_book=state,
        )
        return cls(
            pool,
            MediaSettings(
                video_bitrate=settings.media_video_bitrate,
                screen_bitrate=settings.media_screen_bitrate,
                session_types=frozenset(
                    MediaSessionType(kind) for kind in settings.media_session_types
                ),
                screen_share_requires_permission=(
                    settings.media_screen_share_requires_permission
                ),
            ),
        )

    async def start(self) -> None:
        """Connect to every Janus in the background (publishing waits for none)."""
        await self.pool.start()

    async def aclose(self) -> None:
        await self.pool.aclose()

    async def create_publisher(
        self,
        participant_id: uuid.UUID,
        kind: MediaSessionType,
        listener: EventListener,
    ) -> Publisher:
        """A Janus room for this stream on the least loaded server, joined as publisher."""
        return await self.pool.create_publisher(
            # The controller's room description, handy when reading Janus's list.
            description=f"{participant_id}|{kind.number}",
            feed=kind.number,
            bitrate=self.settings.bitrate(kind),
            listener=listener,
        )

    async def create_subscriber(
        self,
        publisher: MediaPublisher,
        kind: MediaSessionType,
        *,
        without_video: bool,
        listener: EventListener,
    ) -> tuple[Subscriber, str]:
        """Subscribe to a registered stream (any instance's); returns Janus's offer."""
        return await self.pool.create_subscriber(
            server=publisher.server,
            room=publisher.room,
            feed=kind.number,
            offer_video=not without_video,
            listener=listener,
        )
