"""Event endpoints.

POST   /v1/events                                   create an event (and its room)
GET    /v1/events                                   the caller's events (cursor paged)
GET    /v1/events/{event_id}                        one event (creator or invitee)
PATCH  /v1/events/{event_id}                        change it (creator)
DELETE /v1/events/{event_id}                        delete it and its room (creator)
GET    /v1/events/{event_id}/instances              occurrences (cursor paged)
GET    /v1/events/{event_id}/instances/{instance_id}   one occurrence
PATCH  /v1/events/{event_id}/instances/{instance_id}   change or cancel it (creator)
PUT    /v1/users/me/event_favorites/{event_id}      favorite an event
DELETE /v1/users/me/event_favorites/{event_id}      unfavorite it
GET    /v1/rooms/{room_id}/event                    the room's event (id, title, adhoc)
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response, status
from pydantic import TypeAdapter

from parley.auth.deps import CurrentPrincipal
from parley.db import SessionDep
from parley.errors import BadRequest, ErrorBody
from parley.events import favorites as favorites_service
from parley.events import instances, reads, room_access, service
from parley.events.cursor import (
    decode_event_cursor,
    decode_instance_cursor,
    encode_event_cursor,
    encode_instance_cursor,
)
from parley.events.deps import (
    EventDep,
    EventIdPath,
    InviteesMax,
    ReadableEvent,
    SuppressEmail,
)
from parley.events.listing import Filters, Window
from parley.events.room_access import RoomEventReader
from parley.events.schemas import (
    EventExceptionRead,
    EventInfo,
    EventInstanceRead,
    EventRead,
    PatchEvent,
    PatchEventInstance,
    PostEventsBody,
)
from parley.instants import Instant
from parley.invites.deps import INVITE_CODE_SECURITY

router = APIRouter(tags=["events"])

_ERRORS: dict[int | str, dict[str, object]] = {
    400: {"model": ErrorBody},
    403: {"model": ErrorBody},
    404: {"model": ErrorBody},
    422: {"model": ErrorBody},
}
_EVENT_LIST = TypeAdapter(list[EventRead | EventExceptionRead])
_INVITE_STATUSES = frozenset({"pending", "accepted", "tentative", "declined"})

TimeMin = Annotated[
    Instant | None,
    Query(description="Lower bound of the time range (RFC 3339)"),
]
TimeMax = Annotated[
    Instant | None,
    Query(description="Upper bound of the time range (RFC 3339)"),
]
PerPage = Annotated[
    int, Query(description="Results per page; clamped to 1..100 (notes 5.2)")
]


def _clamp(per_page: int) -> int:
    return min(max(per_page, 1), 100)


def _set_cursor_link(request: Request, response: Response, cursor: str) -> None:
    """Link: <url with after=cursor>; rel="after" (the controller's relation, notes 5.2)."""
    url = request.url.remove_query_params(["page", "before", "after", "cursor"])
    response.headers["Link"] = (
        f'<{url.include_query_params(after=cursor)}>; rel="after"'
    )


def _invite_statuses(text: str | None) -> frozenset[str]:
    if text is None:
        return frozenset()
    wanted = frozenset(part.strip() for part in text.split(",") if part.strip())
    unknown = sorted(wanted - _INVITE_STATUSES)
    if unknown:
        raise BadRequest(
            f"invite_status: unknown status {unknown[0]!r}; "
            "use pending, accepted, tentative or declined"
        )
    return wanted


@router.post(
    "/events",
    response_model=EventRead,
    response_model_exclude_none=True,
    status_code=status.HTTP_201_CREATED,
    responses=_ERRORS,
)
async def new_event(
    body: PostEventsBody,
    principal: CurrentPrincipal,
    session: SessionDep,
    suppress_email_notification: SuppressEmail = False,
) -> EventRead:
    """Create a new event and its room."""
    event = await service.create_event(session, creator_id=principal.user_id, data=body)
    return await reads.read_event(
        session, event, user_id=principal.user_id, invitees_max=0
    )


@router.get(
    "/events",
    response_model=list[EventRead | EventExceptionRead],
    response_model_exclude_none=True,
    responses=_ERRORS,
)
async def get_events(
    request: Request,
    principal: CurrentPrincipal,
    session: SessionDep,
    time_min: TimeMin = None,
    time_max: TimeMax = None,
    invitees_max: InviteesMax = 0,
    per_page: PerPage = 30,
    after: Annotated[str | None, Query(description="Opaque page cursor")] = None,
    favorites: Annotated[bool, Query(description="Only favorite events")] = False,
    adhoc: Annotated[bool | None, Query(description="Only (non-)adhoc events")] = None,
    time_independent: Annotated[
        bool | None, Query(description="Only time-(in)dependent events")
    ] = None,
    invite_status: Annotated[
        str | None,
        Query(description="Comma-separated invite statuses of the caller"),
    ] = None,
) -> Response:
    """Get the caller's events in a time range, recurring ones followed by their exceptions."""
    items, last = await reads.list_events(
        session,
        principal.user_id,
        window=Window(time_min, time_max),
        filters=Filters(
            favorites=favorites,
            adhoc=adhoc,
            time_independent=time_independent,
            invite_status=_invite_statuses(invite_status),
        ),
        after=decode_event_cursor(after) if after else None,
        per_page=_clamp(per_page),
        invitees_max=invitees_max,
    )
    # Serialized here: the items are built and checked already, and a page of 100
    # events is the hot path (bench/events_listing.py).
    listing = Response(
        content=_EVENT_LIST.dump_json(items, exclude_none=True),
        media_type="application/json",
    )
    if last is not None:
        _set_cursor_link(request, listing, encode_event_cursor(last))
    return listing


@router.get(
    "/events/{event_id}",
    response_model=EventRead,
    response_model_exclude_none=True,
    responses=_ERRORS,
)
async def get_event(
    event: ReadableEvent,
    principal: CurrentPrincipal,
    session: SessionDep,
    invitees_max: InviteesMax = 0,
) -> EventRead:
    """Get an event by id."""
    return await reads.read_event(
        session, event, user_id=principal.user_id, invitees_max=invitees_max
    )


@router.patch(
    "/events/{event_id}",
    response_model=EventRead,
    response_model_exclude_none=True,
    responses={**_ERRORS, 204: {"description": "Empty patch: nothing changed"}},
)
async def patch_event(
    body: PatchEvent,
    event: EventDep,
    principal: CurrentPrincipal,
    session: SessionDep,
    invitees_max: InviteesMax = 0,
    suppress_email_notification: SuppressEmail = False,
) -> EventRead | Response:
    """Change an event; a new recurrence pattern or start removes its exceptions."""
    updated = await service.update_event(
        session,
        event,
        body,
        actor_id=principal.user_id,
        notify=not suppress_email_notification,
    )
    if updated is None:
        return Response(status_code=status.HTTP_204_NO_CONTENT)
    return await reads.read_event(
        session, event, user_id=principal.user_id, invitees_max=invitees_max
    )


@router.delete(
    "/events/{event_id}", status_code=status.HTTP_204_NO_CONTENT, responses=_ERRORS
)
async def delete_event(
    event: EventDep,
    principal: CurrentPrincipal,
    session: SessionDep,
    suppress_email_notification: SuppressEmail = False,
) -> None:
    """Delete an event and its room."""
    await service.delete_event(
        session,
        event,
        actor_id=principal.user_id,
        notify=not suppress_email_notification,
    )


@router.get(
    "/events/{event_id}/instances",
    response_model=list[EventInstanceRead],
    response_model_exclude_none=True,
    responses=_ERRORS,
)
async def get_event_instances(
    request: Request,
    response: Response,
    event: ReadableEvent,
    principal: CurrentPrincipal,
    session: SessionDep,
    time_min: TimeMin = None,
    time_max: TimeMax = None,
    per_page: PerPage = 30,
    after: Annotated[str | None, Query(description="Opaque page cursor")] = None,
    cursor: Annotated[
        str | None, Query(description="The spec's name for `after`")
    ] = None,
    invitees_max: InviteesMax = 0,
) -> list[EventInstanceRead]:
    """Get the occurrences of an event (a single event has one)."""
    token = after or cursor
    page = await instances.list_instances(
        session,
        event,
        time_min=time_min,
        time_max=time_max,
        after=decode_instance_cursor(token) if token else None,
        per_page=_clamp(per_page),
    )
    next_start = instances.next_cursor_start(page)
    if next_start is not None:
        _set_cursor_link(request, response, encode_instance_cursor(next_start))
    return await reads.read_instances(
        session, event, page, user_id=principal.user_id, invitees_max=invitees_max
    )


@router.get(
    "/events/{event_id}/instances/{instance_id}",
    response_model=EventInstanceRead,
    response_model_exclude_none=True,
    responses=_ERRORS,
)
async def get_event_instance(
    event: ReadableEvent,
    instance_id: str,
    principal: CurrentPrincipal,
    session: SessionDep,
    invitees_max: InviteesMax = 0,
) -> EventInstanceRead:
    """Get one occurrence by its instance id (original start, YYYYMMDDTHHMMSSZ)."""
    occurrence = await instances.get_instance(session, event, instance_id)
    return await reads.read_instance(
        session, event, occurrence, user_id=principal.user_id, invitees_max=invitees_max
    )


@router.patch(
    "/events/{event_id}/instances/{instance_id}",
    response_model=EventInstanceRead,
    response_model_exclude_none=True,
    responses={**_ERRORS, 204: {"description": "Empty patch: nothing changed"}},
)
async def patch_event_instance(
    body: PatchEventInstance,
    event: EventDep,
    instance_id: str,
    principal: CurrentPrincipal,
    session: SessionDep,
    invitees_max: InviteesMax = 0,
    suppress_email_notification: SuppressEmail = False,
) -> EventInstanceRead | Response:
    """Change or cancel one occurrence (creates or updates its exception)."""
    occurrence = await instances.patch_instance(
        session,
        event,
        instance_id,
        body,
        actor_id=principal.user_id,
        notify=not suppress_email_notification,
    )
    if occurrence is None:
        return Response(status_code=status.HTTP_204_NO_CONTENT)
    return await reads.read_instance(
        session, event, occurrence, user_id=principal.user_id, invitees_max=invitees_max
    )


@router.put(
    "/users/me/event_favorites/{event_id}",
    status_code=status.HTTP_201_CREATED,
    responses={**_ERRORS, 204: {"description": "Already a favorite"}},
    tags=["users"],
)
async def add_event_favorite(
    event: ReadableEvent, principal: CurrentPrincipal, session: SessionDep
) -> Response:
    """Add the event to the caller's favorites."""
    added = await favorites_service.add_favorite(session, event, principal.user_id)
    return Response(status_code=201 if added else 204)


@router.delete(
    "/users/me/event_favorites/{event_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=_ERRORS,
    tags=["users"],
)
async def delete_event_favorite(
    event_id: EventIdPath, principal: CurrentPrincipal, session: SessionDep
) -> None:
    """Remove the event from the caller's favorites."""
    await favorites_service.remove_favorite(session, event_id, principal.user_id)


@router.get(
    "/rooms/{room_id}/event",
    response_model=EventInfo,
    response_model_exclude_none=True,
    responses={**_ERRORS, 401: {"model": ErrorBody}},
    tags=["rooms"],
    openapi_extra=INVITE_CODE_SECURITY,
)
async def get_room_event(event: RoomEventReader, session: SessionDep) -> EventInfo:
    """Get the event of a room (for its users and invite-code guests)."""
    return await room_access.room_event_info(session, event)
