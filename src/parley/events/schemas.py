"""Request and response shapes of the events API (spec tags events, event_invites)."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated, Any, Literal

from pydantic import (
    Discriminator,
    EmailStr,
    Field,
    StrictBool,
    StrictStr,
    Tag,
    field_validator,
)

from parley.events.recurrence import MAX_LINE_LENGTH, MAX_PATTERN_LINES
from parley.events.recurrence.content_lines import load_zone
from parley.instants import Instant
from parley.schemas import RequestBody, Schema
from parley.shared_folders.schemas import SharedFolder
from parley.streaming.schemas import RoomStreamingTargetRead, StreamingTargetBody
from parley.users.schemas import PublicUserProfile

InviteStatus = Literal["pending", "accepted", "tentative", "declined"]
UserRole = Literal["user", "moderator"]
EmailRole = Literal["guest", "moderator"]
OccurrenceStatus = Literal["ok", "cancelled"]

# Creating an event is one request; this bounds the rows it can add.
MAX_EVENT_STREAMING_TARGETS = 32

Title = Annotated[StrictStr, Field(max_length=255)]
Description = Annotated[StrictStr, Field(max_length=4096)]
Password = Annotated[StrictStr, Field(min_length=1, max_length=255)]
RecurrenceLine = Annotated[StrictStr, Field(max_length=MAX_LINE_LENGTH)]
RecurrencePattern = Annotated[
    list[RecurrenceLine],
    Field(
        max_length=MAX_PATTERN_LINES,
        description="RFC 5545 RRULE, RDATE, EXRULE or EXDATE lines (no DTSTART/DTEND)",
    ),
]


class DateTimeTZ(RequestBody):
    """A UTC instant and the IANA zone it was created in (notes 4.1)."""

    datetime: Instant = Field(description="UTC datetime (RFC 3339), years 1900 to 8999")
    timezone: StrictStr = Field(
        max_length=64, description="IANA time zone, e.g. Europe/Berlin"
    )

    @field_validator("datetime", mode="before")
    @classmethod
    def _text_only(cls, value: Any) -> Any:
        # Pydantic would read numbers as Unix timestamps; the spec wants RFC 3339 text.
        if not isinstance(value, str | dt.datetime):
            raise ValueError("must be an RFC 3339 date-time string")
        return value

    @field_validator("datetime")
    @classmethod
    def _to_utc(cls, value: dt.datetime) -> dt.datetime:
        return value.astimezone(dt.UTC)

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        load_zone(value, "timezone")  # RecurrenceError is a ValueError: a 422
        return value


class PostEventsBody(RequestBody):
    """Body of POST /events."""

    title: Title
    description: Description
    password: Password | None = None
    is_adhoc: StrictBool = False
    waiting_room: StrictBool = False
    is_time_independent: StrictBool
    is_all_day: StrictBool | None = None
    streaming_targets: list[StreamingTargetBody] = Field(
        default_factory=list, max_length=MAX_EVENT_STREAMING_TARGETS
    )
    has_shared_folder: StrictBool = False
    show_meeting_details: StrictBool = Field(
        default=False,
        description="Show the meeting details (guest link, call-in, live streams) "
        "to the room's participants",
    )
    starts_at: DateTimeTZ | None = None
    ends_at: DateTimeTZ | None = None
    recurrence_pattern: RecurrencePattern | None = None


class PatchEvent(RequestBody):
    """Body of PATCH /events/{event_id}: only the given fields change."""

    title: Title | None = None
    description: Description | None = None
    password: Password | None = Field(
        default=None, description="null removes the room's password"
    )
    is_adhoc: StrictBool | None = None
    waiting_room: StrictBool | None = None
    show_meeting_details: StrictBool | None = None
    is_time_independent: StrictBool | None = None
    is_all_day: StrictBool | None = None
    starts_at: DateTimeTZ | None = None
    ends_at: DateTimeTZ | None = None
    recurrence_pattern: RecurrencePattern | None = Field(
        default=None, description="null or [] makes the event a single event"
    )


class PatchEventInstance(RequestBody):
    """Body of PATCH /events/{event_id}/instances/{instance_id}."""

    title: Title | None = None
    description: Description | None = None
    is_all_day: StrictBool | None = None
    starts_at: DateTimeTZ | None = None
    ends_at: DateTimeTZ | None = None
    status: OccurrenceStatus | None = None


class UserInvite(RequestBody):
    """Invite a registered user by id."""

    invitee: uuid.UUID
    role: UserRole = "user"


class EmailInvite(RequestBody):
    """Invite someone by e-mail address."""

    email: EmailStr = Field(max_length=255)
    role: EmailRole = "guest"


def _invite_kind(value: Any) -> str:
    if isinstance(value, dict) and "email" in value and "invitee" not in value:
        return "email"
    return "user"


EventInviteBody = Annotated[
    Annotated[UserInvite, Tag("user")] | Annotated[EmailInvite, Tag("email")],
    Discriminator(_invite_kind),
]


class PatchInviteBody(RequestBody):
    """Body of PATCH /events/{event_id}/invites/{user_id}."""

    role: UserRole | None = None


class PatchEmailInviteBody(RequestBody):
    """Body of PATCH /events/{event_id}/invites/email."""

    email: EmailStr = Field(max_length=255)
    role: EmailRole | None = None


class DeleteEmailInviteBody(RequestBody):
    """Body of DELETE /events/{event_id}/invites/email."""

    email: EmailStr = Field(max_length=255)


# ---- responses ---------------------------------------------------------------


class DateTimeTZRead(Schema):
    datetime: dt.datetime
    timezone: str


class CallInInfo(Schema):
    tel: str
    uri: str | None = None
    id: str
    password: str


class EventRoomInfo(Schema):
    """The event's room; `password` is absent when the room has none."""

    id: uuid.UUID
    password: str | None = None
    waiting_room: bool
    call_in: CallInInfo | None = None


class EventInviteeProfile(Schema):
    """A registered user (`kind: registered`, with role) or an e-mail invitee."""

    kind: Literal["registered", "email"]
    id: uuid.UUID | None = None
    email: str
    title: str | None = None
    firstname: str | None = None
    lastname: str | None = None
    display_name: str | None = None
    avatar_url: str
    role: UserRole | None = None


class EventInvitee(Schema):
    profile: EventInviteeProfile
    status: InviteStatus


class EventRead(Schema):
    """Event resource (spec Event). Absent optional fields are left out."""

    id: uuid.UUID
    created_by: PublicUserProfile
    created_at: dt.datetime
    updated_by: PublicUserProfile
    updated_at: dt.datetime
    title: str
    description: str
    room: EventRoomInfo
    invitees_truncated: bool
    invitees: list[EventInvitee]
    is_time_independent: bool
    is_all_day: bool | None = None
    streaming_targets: list[RoomStreamingTargetRead] = Field(
        default_factory=list,
        description="The room's targets; keys only for those who may manage it",
    )
    starts_at: DateTimeTZRead | None = None
    ends_at: DateTimeTZRead | None = None
    recurrence_pattern: list[str] | None = None
    is_adhoc: bool
    type: Literal["single", "recurring"]
    status: OccurrenceStatus
    invite_status: InviteStatus
    is_favorite: bool
    can_edit: bool
    shared_folder: SharedFolder | None = None
    show_meeting_details: bool


class _OccurrenceRead(Schema):
    """Fields shared by exceptions and instances: ids and who changed them when."""

    id: str
    recurring_event_id: uuid.UUID
    instance_id: str
    created_by: PublicUserProfile
    created_at: dt.datetime
    updated_by: PublicUserProfile
    updated_at: dt.datetime


class EventExceptionRead(_OccurrenceRead):
    """A changed or cancelled occurrence (spec EventException)."""

    title: str | None = None
    description: str | None = None
    is_all_day: bool | None = None
    starts_at: DateTimeTZRead | None = None
    ends_at: DateTimeTZRead | None = None
    original_starts_at: DateTimeTZRead
    type: Literal["exception"]
    status: OccurrenceStatus
    can_edit: bool


class EventInstanceRead(_OccurrenceRead):
    """One occurrence with its exception applied (spec EventInstance)."""

    title: str
    description: str
    room: EventRoomInfo
    invitees_truncated: bool
    invitees: list[EventInvitee]
    is_all_day: bool
    starts_at: DateTimeTZRead
    ends_at: DateTimeTZRead
    type: Literal["instance"]
    status: OccurrenceStatus
    invite_status: InviteStatus
    is_favorite: bool
    can_edit: bool


class StreamingLink(Schema):
    """A live stream participants may share: the target's name and public URL."""

    name: str
    url: str


class MeetingDetails(Schema):
    """What participants may share when the event shows its meeting details."""

    invite_code_id: uuid.UUID | None = Field(
        default=None, description="An active invite code of the room (guest link)"
    )
    call_in: CallInInfo | None = None
    streaming_links: list[StreamingLink]


class EventInfo(Schema):
    """Basic information about a room's event; `meeting_details` only when shown."""

    id: uuid.UUID
    room_id: uuid.UUID
    title: str
    is_adhoc: bool
    meeting_details: MeetingDetails | None = None


class PendingInvites(Schema):
    total_pending_invites: int
