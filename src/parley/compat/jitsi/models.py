from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, String
from sqlalchemy.orm import Mapped, mapped_column

from parley.db import Base, utcnow


class ConferenceMapping(Base):
    """A stable numeric dial-in id for a Jitsi conference JID (room@muc-domain)."""

    __tablename__ = "conference_mappings"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    conference: Mapped[str] = mapped_column(String(320), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
