from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from parley.db import Base, IdMixin, utcnow


class Asset(IdMixin, Base):
    """A stored file of a room. Its bytes live in the asset storage under str(id)."""

    __tablename__ = "assets"
    __table_args__ = (Index("ix_assets_owner_id_size", "owner_id", "size"),)

    room_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("rooms.id", ondelete="CASCADE"), index=True
    )
    # The room's creator: whose storage quota the asset counts against.
    owner_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE")
    )
    filename: Mapped[str] = mapped_column(String(255))
    namespace: Mapped[str | None] = mapped_column(String(64), default=None)
    kind: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(BigInteger)
    content_type: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    @property
    def storage_key(self) -> str:
        return str(self.id)
