"""Booking API shapes, spelled as Aurinko's Booking API spells them (camelCase).

Bodies check JSON types and lengths only (wrong types are 422, as everywhere);
what the values mean (a real zone, an allowed step, ordered intervals) is
checked by the service, which answers 400 naming the field.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Literal

from pydantic import (
    ConfigDict,
    EmailStr,
    Field,
    StrictBool,
    StrictInt,
    StrictStr,
)
from pydantic.alias_generators import to_camel

from parley.booking.availability import Slot
from parley.booking.models import BookingProfile
from parley.booking.template import TemplateField
from parley.instants import Instant
from parley.schemas import RequestBody, Schema

Text255 = Annotated[StrictStr, Field(max_length=255)]


class CamelBody(RequestBody):
    """A request body whose JSON names are camelCase."""

    model_config = ConfigDict(alias_generator=to_camel)


class CamelRead(Schema):
    model_config = ConfigDict(
        alias_generator=to_camel,
        serialize_by_alias=True,
        validate_by_alias=True,
        validate_by_name=True,
    )


class WorkingIntervalBody(CamelBody):
    start: StrictStr = Field(
        max_length=16, description="Local time HH:MM[:SS] in workHours.timezone"
    )
    end: StrictStr = Field(
        max_length=16, description="Local time HH:MM[:SS]; 00:00 or 24:00 is midnight"
    )


class DayScheduleBody(CamelBody):
    day_of_week: StrictStr = Field(max_length=16, examples=["monday"])
    working_intervals: list[WorkingIntervalBody] = Field(max_length=48)


class WorkHoursBody(CamelBody):
    timezone: StrictStr = Field(max_length=64, examples=["Europe/Berlin"])
    day_schedules: list[DayScheduleBody] = Field(max_length=14)


class WorkingIntervalRead(CamelRead):
    start: str
    end: str


class DayScheduleRead(CamelRead):
    day_of_week: str
    working_intervals: list[WorkingIntervalRead]


class WorkHoursRead(CamelRead):
    timezone: str
    day_schedules: list[DayScheduleRead]


class _ProfileFields(CamelBody):
    """Fields shared by create and update; None in an update means "not given"."""

    subject: Text255 | None = None
    description: StrictStr | None = Field(
        default=None,
        max_length=10_000,
        description="Meeting description; {{variable}} and {{variable=default}} "
        "placeholders become the availability endpoint's additionalFields",
    )
    location: Text255 | None = None
    start_time: Instant | None = Field(
        default=None, description="Start of the active period (RFC 3339 with offset)"
    )
    end_time: Instant | None = Field(
        default=None, description="End of the active period (RFC 3339 with offset)"
    )
    context: StrictStr | None = Field(
        default=None,
        max_length=4_096,
        description="Free text for the owner's own use; never shown publicly",
    )


class ProfileCreate(_ProfileFields):
    """Body of POST /v1/book/profiles."""

    id: StrictInt | StrictStr | None = Field(
        default=None,
        description="Ignored (Aurinko's examples send one); the server assigns the id",
    )
    name: StrictStr = Field(
        max_length=64,
        description="URL-safe name, unique per owner: letters, digits, '-' and '_'",
        examples=["intro-call"],
    )
    duration_minutes: StrictInt = Field(examples=[30])
    availability_step: StrictInt = Field(
        default=15, description="Minutes between slot starts: 5, 10, 15, 20, 30 or 60"
    )
    time_available_for: StrictStr = Field(
        default="P30D",
        max_length=40,
        description="How far ahead slots are offered, ISO 8601 (P30D; 30D is accepted)",
    )
    work_hours: WorkHoursBody
    buffer_before_minutes: StrictInt = 0
    buffer_after_minutes: StrictInt = 0
    minimum_notice_minutes: StrictInt = 0
    start_conference: StrictBool = Field(
        default=False,
        description="Give each booked meeting a Parley room and put its link in the event",
    )


class ProfileUpdate(_ProfileFields):
    """Body of PATCH /v1/book/profiles/{id}: only the fields given change.

    null clears subject, description, location, startTime, endTime and context.
    """

    name: StrictStr | None = Field(default=None, max_length=64)
    duration_minutes: StrictInt | None = None
    availability_step: StrictInt | None = None
    time_available_for: StrictStr | None = Field(default=None, max_length=40)
    work_hours: WorkHoursBody | None = None
    buffer_before_minutes: StrictInt | None = None
    buffer_after_minutes: StrictInt | None = None
    minimum_notice_minutes: StrictInt | None = None
    start_conference: StrictBool | None = None


class ProfileRead(CamelRead):
    """A booking profile as its owner sees it."""

    id: uuid.UUID
    name: str
    client_id: uuid.UUID = Field(
        description="The owner's booking namespace (the owner's user id)"
    )
    scheduler_link: str = Field(description="The public booking page of this profile")
    duration_minutes: int
    availability_step: int
    time_available_for: str
    start_time: datetime | None
    end_time: datetime | None
    subject: str | None
    description: str | None
    location: str | None
    work_hours: WorkHoursRead
    buffer_before_minutes: int
    buffer_after_minutes: int
    minimum_notice_minutes: int
    start_conference: bool
    context: str | None
    created_at: datetime
    updated_at: datetime


class ProfilePage(CamelRead):
    """A page of profiles, as Aurinko pages its lists."""

    offset: int
    total_size: int
    done: bool = Field(description="True when no records follow this page")
    records: list[ProfileRead]


class TimeSlot(CamelRead):
    start: datetime
    end: datetime


class AdditionalField(CamelRead):
    name: str
    type: Literal["string"] = "string"
    default: str | None = Field(
        description="Used when the booker leaves the field empty; null: required"
    )


class AvailabilityRead(CamelRead):
    """Bookable slots of a profile (UTC) and what the booking form must ask."""

    items: list[TimeSlot]
    additional_fields: list[AdditionalField]
    name: str
    owner_name: str
    subject: str | None
    description: str | None
    location: str | None
    duration_minutes: int
    availability_step: int
    time_available_for: str
    start_time: datetime | None
    end_time: datetime | None
    work_hours: WorkHoursRead
    start_conference: bool


class MeetingTime(CamelBody):
    start: Instant
    end: Instant


class BookMeetingBody(CamelBody):
    """Body of POST /v1/book/{clientId}/{profileName}/meeting."""

    time: MeetingTime
    name: StrictStr = Field(min_length=1, max_length=255)
    email: EmailStr = Field(max_length=255)
    substitution_data: dict[
        Annotated[StrictStr, Field(max_length=100)],
        Annotated[StrictStr, Field(max_length=2_000)] | None,
    ] = Field(default_factory=dict, max_length=50)


class BookingConfirmation(CamelRead):
    status: Literal["Ok"] = "Ok"
    event_id: uuid.UUID
    booking_id: uuid.UUID


def profile_read(profile: BookingProfile, *, base_url: str) -> ProfileRead:
    """The owner's view of a profile, with its public booking page's address."""
    return ProfileRead.model_validate(
        {
            **{key: getattr(profile, key) for key in _PROFILE_COLUMNS},
            "client_id": profile.owner_id,
            "scheduler_link": f"{base_url}/book/{profile.owner_id}/{profile.name}",
            "work_hours": WorkHoursRead.model_validate(profile.work_hours),
        }
    )


def availability_read(
    profile: BookingProfile,
    *,
    owner_name: str,
    fields: list[TemplateField],
    slots: list[Slot],
) -> AvailabilityRead:
    """The public answer: slots, the fields to ask, and the profile's echo fields."""
    return AvailabilityRead.model_validate(
        {
            **{key: getattr(profile, key) for key in _PUBLIC_COLUMNS},
            "items": [TimeSlot(start=slot.start, end=slot.end) for slot in slots],
            "additional_fields": [
                AdditionalField(name=field.name, default=field.default)
                for field in fields
            ],
            "owner_name": owner_name,
            "work_hours": WorkHoursRead.model_validate(profile.work_hours),
        }
    )


_PUBLIC_COLUMNS = (
    "name",
    "subject",
    "description",
    "location",
    "duration_minutes",
    "availability_step",
    "time_available_for",
    "start_time",
    "end_time",
    "start_conference",
)
_PROFILE_COLUMNS = (
    *_PUBLIC_COLUMNS,
    "id",
    "buffer_before_minutes",
    "buffer_after_minutes",
    "minimum_notice_minutes",
    "context",
    "created_at",
    "updated_at",
)
