"""EasyCalendar's REST API (credentials: an `easycalendar` API key, see access.py).

POST   /api/v1/meetings/new                    create a meeting (an event of the key's owner)
PATCH  /api/v1/meetings/update/{meeting_id}    change it; attendees replace the old ones
GET    /api/v1/meetings/list                   the owner's meetings (query string or JSON body)
GET    /api/v1/meetings/get/{meeting_id}       one meeting
DELETE /api/v1/meetings/delete/{meeting_id}    delete it
GET    /api/v1/application/rate_limit_status   each endpoint's limit, remaining, reset

Bodies are JSON whatever their Content-Type says (curl --data labels them as a
form). Errors are `{"status": "error", "message"}` with 400, 401, 404 or 429
(503 when the database or Redis is down); every response carries the
`X-Rate-Limit-*` headers of the budget it spent.
"""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request, Response

from parley.compat.easycalendar import access, service
from parley.compat.easycalendar.schemas import (
    EasyCalendarError,
    EndpointLimit,
    ListFilter,
    MeetingCreate,
    MeetingCreated,
    MeetingDeleted,
    MeetingDetails,
    MeetingFound,
    MeetingList,
    MeetingListItem,
    MeetingUpdate,
    MeetingUpdated,
    Pagination,
    RateLimitStatus,
)
from parley.compat.easycalendar.service import ListQuery, Meeting
from parley.compat.easycalendar.times import (
    ensure_order,
    parse_utc,
    utc_text,
    wall_text,
)
from parley.compat.json_body import InvalidBody, parse_model, read_json
from parley.compat.routing import add_catch_all, dialect_route, json_request_body
from parley.config import Settings
from parley.db import SessionDep
from parley.request_budgets import BudgetLimiter

DEFAULT_LIMIT = 10
MAX_LIMIT = 100


class EasyCalendarErrors:
    """`{"status": "error", "message"}`; 422/409/413/415 become the table's 400."""

    def render(self, status: int, message: str, code: str) -> dict[str, Any]:
        return EasyCalendarError(message=message).model_dump()

    def status(self, status: int) -> int:
        return 400 if status in (409, 413, 415, 422) else status

    def decorate(self, request: Request, response: Response) -> None:
        response.headers.update(access.rate_limit_headers(request))


ERRORS = EasyCalendarErrors()
router = APIRouter(
    prefix="/api/v1",
    tags=["easycalendar"],
    route_class=dialect_route(ERRORS),
    responses={
        status: {"model": EasyCalendarError, "description": description}
        for status, description in (
            (400, "Invalid/missing data"),
            (401, "Invalid/missing credentials"),
            (429, "The endpoint's rate limit is used up (Retry-After)"),
        )
    },
)
_NOT_FOUND: dict[int | str, dict[str, Any]] = {
    404: {"model": EasyCalendarError, "description": "No such meeting"}
}
_SECURITY: dict[str, Any] = {
    "security": [{"EasyCalendarKey": []}, {"EasyCalendarBasic": []}]
}
MeetingIdPath = Annotated[str, Path(description="The meeting's number", max_length=40)]


def _owner(endpoint: str) -> Any:
    return Depends(access.caller(endpoint))


def _details(meeting: Meeting) -> dict[str, Any]:
    event, number = meeting.event, meeting.number
    zone = event.starts_at_tz
    return {
        "meeting_title": event.title,
        "client_fname": number.client_firstname,
        "client_lname": number.client_lastname,
        "description": event.description,
        "attendees": meeting.attendees,
        "created_at": wall_text(event.created_at),
        "meeting_type": 0,
        "client_starttime": utc_text(event.starts_at),
        "client_endtime": utc_text(event.ends_at),
        "user_startime": wall_text(event.starts_at, zone),
        "user_endtime": wall_text(event.ends_at, zone),
        "meeting_timezone": zone,
        "google_calendar": number.google_calendar,
        "google_calendar_log": number.google_calendar_log,
    }


@router.post(
    "/meetings/new",
    response_model=MeetingCreated,
    openapi_extra={**json_request_body(MeetingCreate), **_SECURITY},
)
async def create_meeting(
    request: Request,
    session: SessionDep,
    owner: Annotated[uuid.UUID, _owner("meetings/new")],
) -> MeetingCreated:
    """Create a meeting: an event whose invitee and attendees are invited by e-mail."""
    data = parse_model(MeetingCreate, await read_json(request, forgiving=True))
    meeting = await service.create_meeting(session, owner, data)
    return MeetingCreated(
        meeting_id=str(meeting.number.id),
        created_at=utc_text(meeting.event.created_at) or "",
    )


@router.patch(
    "/meetings/update/{meeting_id}",
    response_model=MeetingUpdated,
    responses=_NOT_FOUND,
    openapi_extra={**json_request_body(MeetingUpdate), **_SECURITY},
)
async def update_meeting(
    request: Request,
    meeting_id: MeetingIdPath,
    session: SessionDep,
    owner: Annotated[uuid.UUID, _owner("meetings/update")],
) -> MeetingUpdated:
    """Change a meeting; at least one field; attendees replace the previous ones."""
    number = service.parse_meeting_id(meeting_id)
    data = parse_model(MeetingUpdate, await read_json(request, forgiving=True) or {})
    meeting, updated_at = await service.update_meeting(session, owner, number, data)
    return MeetingUpdated(
        meeting_id=str(meeting.number.id), updated_at=utc_text(updated_at) or ""
    )


_LIST_FIELDS = ("start", "limit", "starttime", "endtime")


def _whole_number(value: Any, field: str) -> int:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().isascii() and value.strip().isdigit():
        return int(value.strip())
    raise InvalidBody(f"{field} must be a whole number")


async def _list_query(request: Request) -> ListQuery:
    """start/limit/starttime/endtime from the JSON body (the document sends one on
    this GET) and the query string, which wins where both give a field."""
    body = await read_json(request, forgiving=True)
    if body is not None and not isinstance(body, dict):
        raise InvalidBody("The request body must be a JSON object")
    # Unknown fields are ignored, as in every request body (docs/decisions.md).
    values: dict[str, Any] = {
        k: v for k, v in (body or {}).items() if k in _LIST_FIELDS
    }
    values.update({k: v for k, v in request.query_params.items() if k in _LIST_FIELDS})
    start = _whole_number(values.get("start", 0), "start")
    limit = _whole_number(values.get("limit", DEFAULT_LIMIT), "limit")
    if not 1 <= limit <= MAX_LIMIT:
        raise InvalidBody(f"limit must be between 1 and {MAX_LIMIT}")
    if start > service.MAX_MEETING_ID:
        raise InvalidBody("start is not a meeting id")
    starttime = endtime = None
    if values.get("starttime") is not None:
        starttime = parse_utc(values["starttime"], "starttime")
    if values.get("endtime") is not None:
        endtime = parse_utc(values["endtime"], "endtime")
    if starttime is not None and endtime is not None:
        ensure_order(starttime, endtime)
    return ListQuery(start=start, limit=limit, starttime=starttime, endtime=endtime)


@router.get(
    "/meetings/list",
    response_model=MeetingList,
    openapi_extra={**json_request_body(ListFilter, required=False), **_SECURITY},
)
async def list_meetings(
    request: Request,
    session: SessionDep,
    owner: Annotated[uuid.UUID, _owner("meetings/list")],
    start: Annotated[
        str | None,
        Query(description="The meeting id to start from (a page's next_meeting_id)"),
    ] = None,
    limit: Annotated[
        str | None, Query(description="Results per page, 1 to 100 (default 10)")
    ] = None,
    starttime: Annotated[
        str | None, Query(description="Meetings ending after this UTC time")
    ] = None,
    endtime: Annotated[
        str | None, Query(description="Meetings starting before this UTC time")
    ] = None,
) -> MeetingList:
    """The owner's meetings from meeting `start` on, overlapping starttime..endtime."""
    query = await _list_query(request)
    page, total, next_id = await service.list_meetings(session, owner, query)
    data = []
    for meeting in page:
        details = _details(meeting)
        data.append(
            MeetingListItem(
                meeting_id=str(meeting.number.id),
                clientemail=meeting.number.client_email,
                **{k: v for k, v in details.items() if k != "client_email"},
            )
        )
    return MeetingList(
        total=total, data=data, pagination=Pagination(next_meeting_id=next_id)
    )


@router.get(
    "/meetings/get/{meeting_id}",
    response_model=MeetingFound,
    responses=_NOT_FOUND,
    openapi_extra=_SECURITY,
)
async def get_meeting(
    meeting_id: MeetingIdPath,
    session: SessionDep,
    owner: Annotated[uuid.UUID, _owner("meetings/get")],
) -> MeetingFound:
    """One meeting of the owner."""
    meeting = await service.get_meeting(
        session, owner, service.parse_meeting_id(meeting_id)
    )
    details = MeetingDetails(
        client_email=meeting.number.client_email, **_details(meeting)
    )
    return MeetingFound(meeting_id=str(meeting.number.id), data=details)


@router.delete(
    "/meetings/delete/{meeting_id}",
    response_model=MeetingDeleted,
    responses=_NOT_FOUND,
    openapi_extra=_SECURITY,
)
async def delete_meeting(
    meeting_id: MeetingIdPath,
    session: SessionDep,
    owner: Annotated[uuid.UUID, _owner("meetings/delete")],
) -> MeetingDeleted:
    """Delete a meeting (the event and its room; invitees are told)."""
    number = service.parse_meeting_id(meeting_id)
    await service.delete_meeting(session, owner, number)
    return MeetingDeleted(meeting_id=str(number))


@router.get(
    "/application/rate_limit_status",
    response_model=RateLimitStatus,
    openapi_extra=_SECURITY,
)
async def rate_limit_status(
    request: Request,
    owner: Annotated[uuid.UUID, _owner("application/rate_limit_status")],
) -> RateLimitStatus:
    """Each endpoint's limit, remaining requests and reset time for this credential."""
    settings: Settings = request.app.state.settings
    limiter: BudgetLimiter = request.app.state.budget_limiter
    key_id: uuid.UUID = request.state.easycalendar_key_id
    resources: dict[str, dict[str, EndpointLimit]] = {}
    for endpoint in settings.easycalendar_limits:
        state = await limiter.peek(
            access.endpoint_budget(settings, endpoint), access.key_budget_id(key_id)
        )
        group = endpoint.split("/", 1)[0]
        resources.setdefault(group, {})[f"/{endpoint}"] = EndpointLimit(
            limit=state.limit, remaining=state.remaining, reset=state.reset_at
        )
    return RateLimitStatus(
        rate_limit_context={"api_key": str(key_id)}, resources=resources
    )


add_catch_all(router, "/meetings", ERRORS)
add_catch_all(router, "/application", ERRORS)
