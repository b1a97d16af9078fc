from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, String, UniqueConstraint, true
from sqlalchemy.orm import Mapped, mapped_column, relationship

from parley.db import Base, IdMixin, utcnow
from parley.users.models import User


class Room(IdMixin, Base):
    """A conference room. Deleting it deletes everything that hangs off it (FK cascade).

    Besides the OpenTalk fields a room may carry what integrations give it (the
    Videsk VPaaS dialect): a name and an id of the owner's choosing, a window
    ``[not_before, expires_at)`` outside which nobody is admitted, an end after
    which nobody is admitted again, a seat limit on top of the owner's tariff, and
    whether it may be recorded. Rooms made through ``/v1`` leave them unset.
    """

    __tablename__ = "rooms"
    __table_args__ = (
        UniqueConstraint(
            "created_by_id",
            "external_id",
            name="uq_rooms_created_by_id_external_id",
        ),
    )

    created_by_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    password: Mapped[str | None] = mapped_column(String(255), default=None)
    waiting_room: Mapped[bool] = mapped_column(default=False)
    name: Mapped[str | None] = mapped_column(String(255), default=None)
    # Unique per owner (NULLs never collide, on both databases).
    external_id: Mapped[str | None] = mapped_column(String(255), default=None)
    not_before: Mapped[datetime | None] = mapped_column(default=None)
    expires_at: Mapped[datetime | None] = mapped_column(default=None)
    ended_at: Mapped[datetime | None] = mapped_column(default=None)
    max_participants: Mapped[int | None] = mapped_column(default=None)
    recording_enabled: Mapped[bool] = mapped_column(default=True, server_default=true())

    created_by: Mapped[User] = relationship(lazy="raise")


class RoomAuthorization(IdMixin, Base):
    """One room access token issued (its ``jti``), to whom (address) and when.

    A token admits its holder only while its row exists: the row is the record
    the Videsk dialect shows as the room's ``authorizations``.
    """

    __tablename__ = "room_authorizations"

    room_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("rooms.id", ondelete="CASCADE"), index=True
    )
    jti: Mapped[str] = mapped_column(String(64), unique=True)
    ip: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    not_before: Mapped[datetime]
    expires_at: Mapped[datetime]
