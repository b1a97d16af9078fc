"""A user's secret calendar feed (subscription URL)."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from parley.db import Base, utcnow


class CalendarFeed(Base):
    """The feed of one user. Its token is ``selector + secret``.

    The selector finds the row; only a SHA-256 of the secret is stored, and the
    token is shown once, when the feed is created or replaced.
    """

    __tablename__ = "calendar_feeds"

    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    selector: Mapped[str] = mapped_column(String(32), unique=True)
    secret_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
