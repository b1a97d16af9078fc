from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from parley.db import Base, IdMixin, utcnow


class RoomStreamingTarget(IdMixin, Base):
    """A place a room's meeting may be streamed to (kind `custom`: an ingest URL + key)."""

    __tablename__ = "room_streaming_targets"

    room_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("rooms.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(255))
    kind: Mapped[str] = mapped_column(String(32))
    streaming_endpoint: Mapped[str] = mapped_column(String(2048))
    # A secret, stored as given so the streaming service can use it (docs/decisions.md).
    streaming_key: Mapped[str] = mapped_column(String(1024))
    public_url: Mapped[str] = mapped_column(String(2048))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
