"""Events, their exceptions, invites (by user and by e-mail) and favorites.

Every row a user's calendar is listed from carries the event's *listing keys*
(``first_start``, ``last_end``, ``span_class``; see ``events/listing_keys.py``):
the events table for the creator, ``event_invites`` for invitees. Window queries
then run as index range scans per span class instead of scanning a user's whole
history.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import (
    ForeignKey,
    Index,
    PrimaryKeyConstraint,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from parley.db import Base, IdMixin, utcnow
from parley.rooms.models import Room
from parley.users.models import User

ZONE_LENGTH = 64


class Event(IdMixin, Base):
    """A scheduled (or time-independent) meeting; owns its room."""

    __tablename__ = "events"
    __table_args__ = (
        Index(
            "ix_events_listing",
            "created_by_id",
            "span_class",
            "first_start",
            "created_at",
            "id",
        ),
    )

    title: Mapped[str] = mapped_column(String(255))
    description: Mapped[str] = mapped_column(String(4096))
    room_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("rooms.id", ondelete="CASCADE"), unique=True
    )
    created_by_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE")
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_by_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    is_time_independent: Mapped[bool] = mapped_column(default=False)
    is_all_day: Mapped[bool] = mapped_column(default=False)
    # The first occurrence as the API shows it (None for time-independent events).
    starts_at: Mapped[datetime | None] = mapped_column(default=None)
    starts_at_tz: Mapped[str | None] = mapped_column(String(ZONE_LENGTH), default=None)
    ends_at: Mapped[datetime | None] = mapped_column(default=None)
    ends_at_tz: Mapped[str | None] = mapped_column(String(ZONE_LENGTH), default=None)
    # RFC 5545 lines joined by newlines; None for single events.
    recurrence_pattern: Mapped[str | None] = mapped_column(Text, default=None)
    is_adhoc: Mapped[bool] = mapped_column(default=False)
    # Whether participants get the meeting details (guest link, call-in, streams)
    # in the room's EventInfo, as the controller's `show_meeting_details`.
    show_meeting_details: Mapped[bool] = mapped_column(
        default=False, server_default=false()
    )
    # iCalendar SEQUENCE (RFC 5546 2.1.4): grows with every change attendees see.
    sequence: Mapped[int] = mapped_column(default=0, server_default="0")
    # Listing keys: earliest start and latest end of the whole series including
    # moved exceptions (last_end None = open-ended), and the span class.
    first_start: Mapped[datetime | None] = mapped_column(default=None)
    last_end: Mapped[datetime | None] = mapped_column(default=None)
    span_class: Mapped[int] = mapped_column(SmallInteger)

    room: Mapped[Room] = relationship(lazy="raise")
    created_by: Mapped[User] = relationship(foreign_keys=[created_by_id], lazy="raise")
    updated_by: Mapped[User] = relationship(foreign_keys=[updated_by_id], lazy="raise")

    @property
    def is_recurring(self) -> bool:
        return self.recurrence_pattern is not None


class EventException(IdMixin, Base):
    """A changed or cancelled occurrence of a recurring event, keyed by its original start."""

    __tablename__ = "event_exceptions"
    __table_args__ = (
        UniqueConstraint(
            "event_id",
            "original_starts_at",
            name="uq_event_exceptions_event_id_original_starts_at",
        ),
    )

    event_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("events.id", ondelete="CASCADE")
    )
    original_starts_at: Mapped[datetime]
    status: Mapped[str] = mapped_column(String(16), default="ok")
    title: Mapped[str | None] = mapped_column(String(255), default=None)
    description: Mapped[str | None] = mapped_column(String(4096), default=None)
    is_all_day: Mapped[bool | None] = mapped_column(default=None)
    starts_at: Mapped[datetime | None] = mapped_column(default=None)
    starts_at_tz: Mapped[str | None] = mapped_column(String(ZONE_LENGTH), default=None)
    ends_at: Mapped[datetime | None] = mapped_column(default=None)
    ends_at_tz: Mapped[str | None] = mapped_column(String(ZONE_LENGTH), default=None)
    created_by_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_by_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    created_by: Mapped[User] = relationship(foreign_keys=[created_by_id], lazy="raise")
    updated_by: Mapped[User] = relationship(foreign_keys=[updated_by_id], lazy="raise")


class EventInvite(IdMixin, Base):
    """A registered user's invite to an event, with their answer.

    Carries copies of the event's listing keys so an invitee's calendar is read
    with the same index range scans as a creator's.
    """

    __tablename__ = "event_invites"
    __table_args__ = (
        UniqueConstraint(
            "event_id", "invitee_id", name="uq_event_invites_event_id_invitee_id"
        ),
        Index(
            "ix_event_invites_listing",
            "invitee_id",
            "span_class",
            "first_start",
            "event_created_at",
            "event_id",
        ),
    )

    event_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("events.id", ondelete="CASCADE")
    )
    invitee_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE")
    )
    role: Mapped[str] = mapped_column(String(16), default="user")
    status: Mapped[str] = mapped_column(String(16), default="pending")
    created_by_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    first_start: Mapped[datetime | None] = mapped_column(default=None)
    last_end: Mapped[datetime | None] = mapped_column(default=None)
    span_class: Mapped[int] = mapped_column(SmallInteger)
    event_created_at: Mapped[datetime]

    invitee: Mapped[User] = relationship(foreign_keys=[invitee_id], lazy="raise")


class EventEmailInvite(Base):
    """An invite to an address with no registered user yet.

    Converted into an EventInvite when a user with that address signs in.
    """

    __tablename__ = "event_email_invites"
    __table_args__ = (
        PrimaryKeyConstraint("event_id", "email", name="pk_event_email_invites"),
    )

    event_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("events.id", ondelete="CASCADE")
    )
    email: Mapped[str] = mapped_column(String(255), index=True)
    role: Mapped[str] = mapped_column(String(16), default="guest")
    created_by_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    event: Mapped[Event] = relationship(lazy="raise")


class EventFavorite(Base):
    """An event on a user's favorites list."""

    __tablename__ = "event_favorites"
    __table_args__ = (
        PrimaryKeyConstraint("user_id", "event_id", name="pk_event_favorites"),
    )

    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE")
    )
    event_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("events.id", ondelete="CASCADE"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
