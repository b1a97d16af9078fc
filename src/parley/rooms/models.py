from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from parley.db import Base, IdMixin, utcnow
from parley.users.models import User


class Room(IdMixin, Base):
    """A conference room. Deleting it deletes everything that hangs off it (FK cascade)."""

    __tablename__ = "rooms"

    created_by_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    password: Mapped[str | None] = mapped_column(String(255), default=None)
    waiting_room: Mapped[bool] = mapped_column(default=False)

    created_by: Mapped[User] = relationship(lazy="raise")
