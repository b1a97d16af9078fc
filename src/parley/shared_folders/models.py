from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from parley.db import Base, utcnow


class EventSharedFolder(Base):
    """An event's folder on the storage with its two password-protected links.

    Passwords are stored as given: they are handed out again on every read
    (docs/decisions.md, "Shared folders").
    """

    __tablename__ = "event_shared_folders"

    event_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("events.id", ondelete="CASCADE"), primary_key=True
    )
    path: Mapped[str] = mapped_column(String(1024))
    read_share_id: Mapped[str] = mapped_column(String(255))
    read_url: Mapped[str] = mapped_column(String(2048))
    read_password: Mapped[str] = mapped_column(String(255))
    write_share_id: Mapped[str] = mapped_column(String(255))
    write_url: Mapped[str] = mapped_column(String(2048))
    write_password: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
