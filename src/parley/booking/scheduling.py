"""Public side of a profile: who offers it, which fields it asks, which slots are free."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from parley.booking.availability import (
    BookingWindow,
    BusyInterval,
    Slot,
    booking_window,
    compute_slots,
    is_slot_available,
)
from parley.booking.errors import BookingProfileNotFound
from parley.booking.models import BookingProfile
from parley.booking.profiles import ProfileRules, get_public_profile, profile_rules
from parley.booking.template import TemplateField, template_fields
from parley.events import service as events_service
from parley.users import service as users_service

# Filled from the booking body itself, so the form does not ask for them twice.
SERVER_FILLED_FIELDS = frozenset({"name", "email"})


@dataclass(frozen=True, slots=True)
class PublicProfile:
    profile: BookingProfile
    owner_name: str
    rules: ProfileRules

    @property
    def fields(self) -> list[TemplateField]:
        return additional_fields_of(self.profile)


def additional_fields_of(profile: BookingProfile) -> list[TemplateField]:
    """The {{variables}} of the subject and description the booker must answer."""
    return template_fields(
        [profile.subject, profile.description], exclude=SERVER_FILLED_FIELDS
    )


async def find_public_profile(
    session: AsyncSession, client_id: uuid.UUID, name: str
) -> PublicProfile:
    """The profile named `name` in the owner's namespace `client_id`, or 404."""
    profile = await get_public_profile(session, client_id, name)
    if profile is None:
        raise BookingProfileNotFound()
    owner = await users_service.get_user(session, profile.owner_id)
    if owner is None:  # deleted between the two reads
        raise BookingProfileNotFound()
    owner_name = (
        owner.display_name or f"{owner.firstname} {owner.lastname}".strip() or "Parley"
    )
    return PublicProfile(profile, owner_name, profile_rules(profile))


def window_now(rules: ProfileRules, now: datetime) -> BookingWindow | None:
    """Where slots may lie at `now`: notice, horizon and active period applied."""
    return booking_window(
        now=now,
        notice=rules.notice,
        horizon=rules.horizon,
        active_start=rules.active_start,
        active_end=rules.active_end,
    )


async def owner_busy(
    session: AsyncSession, owner_id: uuid.UUID, *, start: datetime, end: datetime
) -> list[BusyInterval]:
    """The owner's busy time overlapping [start, end).

    Every event the owner created or accepted, recurring instances and moved
    exceptions included, cancelled instances left out; booked meetings are
    events of the owner too, so they count without a separate query.
    """
    spans = await events_service.busy_intervals(
        session, owner_id, window_start=start, window_end=end
    )
    return [BusyInterval(span_start, span_end) for span_start, span_end in spans]


async def busy_around(
    session: AsyncSession,
    owner_id: uuid.UUID,
    rules: ProfileRules,
    *,
    start: datetime,
    end: datetime,
) -> list[BusyInterval]:
    """Busy time that can block a slot in [start, end), buffers included."""
    return await owner_busy(
        session,
        owner_id,
        start=start - rules.buffer_before,
        end=end + rules.buffer_after,
    )


def _rule_arguments(rules: ProfileRules, window: BookingWindow) -> dict[str, Any]:
    """The profile's rules as compute_slots/is_slot_available take them."""
    return {
        "work_hours": rules.work_hours,
        "duration": rules.duration,
        "step_minutes": rules.step_minutes,
        "window_start": window.start,
        "window_end": window.end,
        "buffer_before": rules.buffer_before,
        "buffer_after": rules.buffer_after,
    }


def is_offered(
    rules: ProfileRules,
    start: datetime,
    *,
    now: datetime,
    busy: list[BusyInterval] | None = None,
) -> bool:
    """Whether the availability endpoint offers `start` at `now` given `busy`."""
    window = window_now(rules, now)
    if window is None:
        return False
    return is_slot_available(
        slot_start=start, busy=busy or [], **_rule_arguments(rules, window)
    )


async def available_slots(
    session: AsyncSession, public: PublicProfile, *, now: datetime
) -> list[Slot]:
    """Every slot the profile offers at `now`, in UTC."""
    rules = public.rules
    window = window_now(rules, now)
    if window is None:
        return []
    busy = await busy_around(
        session, public.profile.owner_id, rules, start=window.start, end=window.end
    )
    return compute_slots(busy=busy, **_rule_arguments(rules, window))
