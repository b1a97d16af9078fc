from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    String,
)
from sqlalchemy.orm import Mapped, mapped_column

from parley.db import Base, utcnow

# BIGINT on PostgreSQL; on SQLite only INTEGER PRIMARY KEY is the auto-numbered rowid.
ReservationId = BigInteger().with_variant(Integer(), "sqlite")


class Reservation(Base):
    """A half-open window [starts_at, ends_at) during which a named room is taken.

    Reservations come from the Sariska scheduler; ad hoc allocations (`is_adhoc`)
    from Jitsi asking to start a conference nobody reserved. Windows of one room
    never overlap (enforced under a per-room lock, see reservations/locking.py).
    Ids are integers, as Jicofo's reservation protocol expects, and never reused
    (AUTOINCREMENT on SQLite), so a late DELETE from Prosody cannot hit a newer row.
    """

    __tablename__ = "reservations"
    __table_args__ = (
        CheckConstraint("ends_at > starts_at", name="window"),
        Index("ix_reservations_room_key_starts_at", "room_key", "starts_at"),
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(ReservationId, primary_key=True)
    room_key: Mapped[str] = mapped_column(String(128))
    name: Mapped[str] = mapped_column(String(128))
    mail_owner: Mapped[str] = mapped_column(String(255), index=True)
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime]
    timezone: Mapped[str] = mapped_column(String(64))
    pin: Mapped[str | None] = mapped_column(String(10), default=None)
    max_occupants: Mapped[int | None] = mapped_column(default=None)
    lobby: Mapped[bool | None] = mapped_column(default=None)
    is_adhoc: Mapped[bool] = mapped_column(default=False)
    room_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("rooms.id", ondelete="SET NULL"), index=True, default=None
    )
    created_by_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True, default=None
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # The conference Jitsi runs in this window: since when, under which name.
    conference_name: Mapped[str | None] = mapped_column(String(128), default=None)
    conference_started_at: Mapped[datetime | None] = mapped_column(default=None)
    conference_ended_at: Mapped[datetime | None] = mapped_column(default=None)
    # Who opened it: Prosody's `mail_owner`, an XMPP JID (or whatever it sent).
    conference_opened_by: Mapped[str | None] = mapped_column(String(255), default=None)

    @property
    def duration(self) -> timedelta:
        return self.ends_at - self.starts_at

    @property
    def is_conference_running(self) -> bool:
        return self.conference_started_at is not None
