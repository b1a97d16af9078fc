from __future__ import annotations

import uuid

from sqlalchemy import BigInteger, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from parley.db import Base

# BIGINT on PostgreSQL; on SQLite only INTEGER PRIMARY KEY is the auto-numbered rowid.
MeetingId = BigInteger().with_variant(Integer(), "sqlite")


class EasyCalendarMeeting(Base):
    """An event's EasyCalendar number (``meeting_id``) and the fields only it has.

    Every event gets a row when it is created (whichever API made it), so every
    event has a stable number, one to one. Title, times, description and
    attendees are the event's own; this row keeps what EasyCalendar adds: the
    invitee's name and address ("client") and the Google calendar echo. Numbers
    are never reused (AUTOINCREMENT on SQLite).
    """

    __tablename__ = "easycalendar_meetings"
    __table_args__ = ({"sqlite_autoincrement": True},)

    id: Mapped[int] = mapped_column(MeetingId, primary_key=True)
    event_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("events.id", ondelete="CASCADE"), unique=True
    )
    client_firstname: Mapped[str | None] = mapped_column(String(255), default=None)
    client_lastname: Mapped[str | None] = mapped_column(String(255), default=None)
    client_email: Mapped[str | None] = mapped_column(String(255), default=None)
    google_calendar_log: Mapped[bool] = mapped_column(default=False)
    google_calendar: Mapped[str | None] = mapped_column(String(255), default=None)
