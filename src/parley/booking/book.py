"""Booking a meeting: re-check the slot under the owner's calendar lock, create the event.

Never double-booked: the check "is this slot still free?" and the writes run
while holding the owner's calendar lock (``parley.events.calendar_lock``), so
two bookings of one owner are serialised and the second sees the first's
event; events written through the events API take the same lock.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from parley.booking.errors import SlotNotOffered, SlotTaken
from parley.booking.models import Booking
from parley.booking.scheduling import (
    PublicProfile,
    busy_around,
    find_public_profile,
    is_offered,
)
from parley.booking.schemas import BookMeetingBody
from parley.booking.template import TemplateField, render_template
from parley.errors import FieldError, ValidationFailed
from parley.events import service as events_service
from parley.events.calendar_lock import lock_calendar
from parley.events.schemas import DateTimeTZ, PostEventsBody
from parley.rooms.links import room_link

_TITLE_LENGTH = 255
_DESCRIPTION_LENGTH = 4096


def substitution_values(
    fields: list[TemplateField], data: BookMeetingBody
) -> dict[str, str]:
    """The values to render with; 422 naming every required field left empty."""
    if not data.name.strip():
        raise ValidationFailed.for_field("name", "value_required", "Name is empty")
    given = {
        name: value.strip()
        for name, value in data.substitution_data.items()
        if value is not None and value.strip()
    }
    missing = [
        field.name for field in fields if field.required and field.name not in given
    ]
    if missing:
        raise ValidationFailed(
            f"Missing required fields: {', '.join(missing)}",
            errors=[
                FieldError(
                    field=f"substitutionData.{name}",
                    code="value_required",
                    message="This field is required",
                )
                for name in missing
            ],
        )
    values = {field.name: given[field.name] for field in fields if field.name in given}
    return {**values, "name": data.name.strip(), "email": str(data.email)}


def _clip(value: str, limit: int) -> str:
    return value if len(value) <= limit else value[: limit - 1] + "…"


def _event_body(
    public: PublicProfile, values: dict[str, str], start: datetime, end: datetime
) -> PostEventsBody:
    """The owner's event: subject and description rendered with the booker's values."""
    profile = public.profile
    title = render_template(profile.subject or "", values).strip()
    if not title:
        title = f"{profile.name} with {values['name']}"
    parts = [render_template(profile.description or "", values).strip()]
    if profile.location:
        parts.append(f"Location: {profile.location}")
    parts.append(f"Booked by {values['name']} <{values['email']}>")
    zone = public.rules.work_hours.timezone
    return PostEventsBody(
        title=_clip(title, _TITLE_LENGTH),
        description=_clip(
            "\n\n".join(part for part in parts if part), _DESCRIPTION_LENGTH
        ),
        is_time_independent=False,
        is_all_day=False,
        starts_at=DateTimeTZ(datetime=start, timezone=zone),
        ends_at=DateTimeTZ(datetime=end, timezone=zone),
    )


def _with_conference_link(description: str, link: str) -> str:
    line = f"Join the meeting: {link}"
    return f"{_clip(description, _DESCRIPTION_LENGTH - len(line) - 2)}\n\n{line}"


async def book_meeting(
    session: AsyncSession,
    *,
    client_id: uuid.UUID,
    profile_name: str,
    data: BookMeetingBody,
    public_url: str,
) -> Booking:
    """Book the slot `data.time`: 422 for a bad request, 409 when it is taken.

    Creates the event on the owner's calendar (with the room link in its
    description when the profile starts a conference) and invites the booker.
    """
    public = await find_public_profile(session, client_id, profile_name)
    rules = public.rules
    start = data.time.start.astimezone(UTC)
    end = data.time.end.astimezone(UTC)
    if end - start != rules.duration:
        raise ValidationFailed.for_field(
            "time.end",
            "invalid_value",
            f"must be time.start plus {public.profile.duration_minutes} minutes",
        )
    values = substitution_values(public.fields, data)
    owner_id = public.profile.owner_id
    await lock_calendar(session, owner_id)
    now = datetime.now(UTC)
    if not is_offered(rules, start, now=now):
        raise SlotNotOffered(errors=[_NOT_OFFERED])
    busy = await busy_around(session, owner_id, rules, start=start, end=end)
    if not is_offered(rules, start, now=now, busy=busy):
        raise SlotTaken()
    event = await events_service.create_event(
        session, creator_id=owner_id, data=_event_body(public, values, start, end)
    )
    if public.profile.start_conference:
        event.description = _with_conference_link(
            event.description, room_link(public_url, event.room_id)
        )
    await events_service.invite_email(
        session, event, email=values["email"], role="guest", inviter_id=owner_id
    )
    booking = Booking(
        owner_id=owner_id,
        profile_id=public.profile.id,
        event_id=event.id,
        starts_at=start,
        ends_at=end,
        name=values["name"],
        email=values["email"],
        substitution_data={
            key: value for key, value in values.items() if key not in ("name", "email")
        },
    )
    session.add(booking)
    await session.flush()
    return booking


_NOT_OFFERED = FieldError(
    field="time.start",
    code="slot_not_offered",
    message="Not a slot of this profile now: off the step grid, outside the work "
    "hours, or outside the booking window",
)
