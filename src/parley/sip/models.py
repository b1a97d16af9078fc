from __future__ import annotations

import uuid

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from parley.db import Base


class SipConfig(Base):
    """A room's call-in credentials: `sip_id` identifies the room, `password` is the PIN."""

    __tablename__ = "sip_configs"

    room_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("rooms.id", ondelete="CASCADE"), primary_key=True
    )
    sip_id: Mapped[str] = mapped_column(String(10), unique=True)
    password: Mapped[str] = mapped_column(String(10))
    lobby: Mapped[bool] = mapped_column(default=False)
