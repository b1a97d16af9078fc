"""A user's secret calendar feed (subscription URL)."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from parley.db import Base, IdMixin, utcnow


class CalendarFeed(IdMixin, Base):
    """The feed token of one user: the id selects the row, the secret proves it.

    Only a SHA-256 of the secret is stored; the token (id + secret) is shown
    once, when the feed is created or replaced.
    """

    __tablename__ = "calendar_feeds"

    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), unique=True
    )
    secret_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
