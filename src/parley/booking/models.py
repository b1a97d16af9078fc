"""Booking profiles (an owner's bookable meeting types) and the bookings made on them."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from parley.db import Base, IdMixin, utcnow


class BookingProfile(IdMixin, Base):
    """A meeting type an owner offers publicly at /book/{owner_id}/{name}."""

    __tablename__ = "booking_profiles"
    __table_args__ = (
        UniqueConstraint("owner_id", "name", name="uq_booking_profiles_owner_id_name"),
    )

    # Indexed through the unique (owner_id, name) constraint.
    owner_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE")
    )
    name: Mapped[str] = mapped_column(String(64))
    duration_minutes: Mapped[int]
    availability_step: Mapped[int]
    # Canonical ISO 8601 text (P30D); parsed on use.
    time_available_for: Mapped[str] = mapped_column(String(40))
    start_time: Mapped[datetime | None] = mapped_column(default=None)
    end_time: Mapped[datetime | None] = mapped_column(default=None)
    subject: Mapped[str | None] = mapped_column(String(255), default=None)
    description: Mapped[str | None] = mapped_column(Text, default=None)
    location: Mapped[str | None] = mapped_column(String(255), default=None)
    # {"timezone": ..., "daySchedules": [...]} in the API's canonical spelling.
    work_hours: Mapped[dict[str, Any]] = mapped_column(JSON)
    buffer_before_minutes: Mapped[int] = mapped_column(default=0)
    buffer_after_minutes: Mapped[int] = mapped_column(default=0)
    minimum_notice_minutes: Mapped[int] = mapped_column(default=0)
    start_conference: Mapped[bool] = mapped_column(default=False)
    context: Mapped[str | None] = mapped_column(Text, default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class Booking(IdMixin, Base):
    """One meeting booked through a profile: who booked it, when, and its event."""

    __tablename__ = "bookings"
    __table_args__ = (Index("ix_bookings_owner_id_starts_at", "owner_id", "starts_at"),)

    owner_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE")
    )
    # The profile may be deleted later; the booking (and its event) stays.
    profile_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("booking_profiles.id", ondelete="SET NULL"), index=True
    )
    # The meeting on the owner's calendar; deleting the event deletes the booking.
    event_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("events.id", ondelete="CASCADE"), unique=True
    )
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime]
    name: Mapped[str] = mapped_column(String(255))
    email: Mapped[str] = mapped_column(String(255))
    substitution_data: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
