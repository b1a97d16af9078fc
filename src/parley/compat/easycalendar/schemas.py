"""EasyCalendar request and response shapes (field names as its documentation has them)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    EmailStr,
    Field,
    StrictBool,
    StrictStr,
    field_validator,
    model_validator,
)

from parley.compat.easycalendar.times import ensure_order, parse_utc
from parley.errors import BadRequest
from parley.schemas import RequestBody

Name = Annotated[StrictStr, Field(min_length=1, max_length=255)]
Email = Annotated[EmailStr, Field(max_length=255)]
Title = Annotated[StrictStr, Field(min_length=1, max_length=255)]
Description = Annotated[StrictStr, Field(max_length=4096)]
UtcTime = Annotated[StrictStr, Field(max_length=64)]
MAX_ATTENDEES = 200


class GoogleCalendar(RequestBody):
    name: Annotated[StrictStr, Field(min_length=1, max_length=255)]


def _attendee_list(value: Any) -> Any:
    """The document sends `{"0": "a@x", "1": "b@y"}`; a JSON array works too."""
    if isinstance(value, dict):
        return list(value.values())
    return value


def _google_calendar(value: Any) -> Any:
    # The documented form is {"name": ...}; a bare calendar name is taken too.
    return {"name": value} if isinstance(value, str) else value


class _MeetingFields(RequestBody):
    attendees: Annotated[list[Email], Field(max_length=MAX_ATTENDEES)] | None = None
    google_calendar_log: StrictBool | None = None
    google_calendar: GoogleCalendar | None = None

    @field_validator("attendees", mode="before")
    @classmethod
    def _attendees(cls, value: Any) -> Any:
        return _attendee_list(value)

    @field_validator("google_calendar", mode="before")
    @classmethod
    def _calendar(cls, value: Any) -> Any:
        return _google_calendar(value)

    @model_validator(mode="after")
    def _calendar_named(self) -> _MeetingFields:
        if self.google_calendar_log and self.google_calendar is None:
            raise BadRequest(
                "google_calendar.name is required when google_calendar_log is true"
            )
        return self

    def times(self, start: str | None, end: str | None) -> tuple[Any, Any]:
        return (
            None if start is None else parse_utc(start, "starttime"),
            None if end is None else parse_utc(end, "endtime"),
        )


class MeetingCreate(_MeetingFields):
    """Body of POST /api/v1/meetings/new."""

    firstname: Name
    lastname: Annotated[StrictStr, Field(max_length=255)] | None = None
    email: Email
    title: Title
    starttime: UtcTime = Field(examples=["2020-11-18T09:15:00Z"])
    endtime: UtcTime = Field(examples=["2020-11-18T10:16:10Z"])
    description: Description | None = None

    @model_validator(mode="after")
    def _window(self) -> MeetingCreate:
        start, end = self.times(self.starttime, self.endtime)
        ensure_order(start, end)
        return self


class MeetingUpdate(_MeetingFields):
    """Body of PATCH /api/v1/meetings/update/{meeting_id}: at least one field."""

    firstname: Name | None = None
    lastname: Annotated[StrictStr, Field(max_length=255)] | None = None
    email: Email | None = None
    title: Title | None = None
    starttime: UtcTime | None = None
    endtime: UtcTime | None = None
    description: Description | None = None

    @model_validator(mode="after")
    def _something(self) -> MeetingUpdate:
        if not self.model_fields_set:
            raise BadRequest("At least one field must be provided to update a meeting")
        start, end = self.times(self.starttime, self.endtime)
        if start is not None and end is not None:
            ensure_order(start, end)
        return self


class ListFilter(BaseModel):
    """GET /meetings/list's parameters, as a JSON body (the query string works too)."""

    start: int | None = Field(default=None, examples=[2469])
    limit: int | None = Field(default=None, examples=[2])
    starttime: str | None = Field(default=None, examples=["2020-11-19T07:15:00Z"])
    endtime: str | None = Field(default=None, examples=["2020-11-19T23:00:00Z"])


# ---- responses -----------------------------------------------------------------


class MeetingCreated(BaseModel):
    status: Literal["success"] = "success"
    meeting_id: str = Field(examples=["1245"])
    created_at: str = Field(examples=["2020-11-18T15:00:10Z"])
    message: str = "Meeting created"


class MeetingUpdated(BaseModel):
    status: Literal["success"] = "success"
    meeting_id: str
    updated_at: str
    message: str = "Meeting details updated"


class MeetingDeleted(BaseModel):
    status: Literal["success"] = "success"
    meeting_id: str
    message: str = "Meeting deleted"


class MeetingDetails(BaseModel):
    """`data` of GET /meetings/get/{id}."""

    meeting_title: str
    client_fname: str | None
    client_lname: str | None
    client_email: str | None
    description: str
    attendees: list[str]
    created_at: str
    meeting_type: int = 0
    client_starttime: str | None
    client_endtime: str | None
    user_startime: str | None
    user_endtime: str | None
    meeting_timezone: str | None
    google_calendar: str | None
    google_calendar_log: bool


class MeetingFound(BaseModel):
    status: Literal["success"] = "success"
    meeting_id: str
    message: str = "Meeting details found"
    data: MeetingDetails


class MeetingListItem(BaseModel):
    """One meeting of GET /meetings/list (`clientemail`, as the document spells it)."""

    meeting_id: str
    clientemail: str | None
    user_startime: str | None
    user_endtime: str | None
    client_fname: str | None
    client_lname: str | None
    description: str
    meeting_title: str
    attendees: list[str]
    meeting_timezone: str | None
    meeting_type: int = 0
    created_at: str
    client_starttime: str | None
    client_endtime: str | None
    google_calendar: str | None
    google_calendar_log: bool


class Pagination(BaseModel):
    next_meeting_id: int = Field(
        description="`start` of the next page; 0 when there is none"
    )


class MeetingList(BaseModel):
    status: Literal["success"] = "success"
    total: int
    data: list[MeetingListItem]
    pagination: Pagination


class EndpointLimit(BaseModel):
    limit: int
    remaining: int
    reset: int = Field(description="UTC epoch seconds at which the window resets")


class RateLimitStatus(BaseModel):
    status: Literal["success"] = "success"
    rate_limit_context: dict[str, str]
    resources: dict[str, dict[str, EndpointLimit]]


class EasyCalendarError(BaseModel):
    status: Literal["error"] = "error"
    message: str
