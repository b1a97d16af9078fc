"""Calendar endpoints (not in the OpenTalk spec; docs/decisions.md, "Calendar").

GET    /v1/events/{event_id}/ics            the event as iCalendar (creator, invitees)
GET    /v1/users/me/calendar_feed           whether the caller has a feed, and since when
POST   /v1/users/me/calendar_feed           a new secret feed URL, replacing the old one
DELETE /v1/users/me/calendar_feed           turn the feed off
GET    /v1/calendar/feeds/{token}.ics       the feed; the token is the credential
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Path, Request, Response, status

from parley.assets.files import content_disposition
from parley.auth.deps import CurrentPrincipal
from parley.calendar import feeds
from parley.calendar.ics import MEDIA_TYPE, build_event_ics
from parley.db import SessionDep
from parley.errors import ErrorBody
from parley.events.deps import ReadableEvent
from parley.schemas import Schema

router = APIRouter(tags=["calendar"])

_ICS_CONTENT = {MEDIA_TYPE: {"schema": {"type": "string"}}}
_UNSAFE_IN_FILE_NAMES = re.compile(r'[\x00-\x1f\x7f/\\:*?"<>|]+')


class CalendarFeedRead(Schema):
    """The caller's feed; its URL is only shown when it is created."""

    created_at: datetime


class CalendarFeedCreated(Schema):
    """A new feed: subscribe to ``url`` (keep it secret; it is shown once)."""

    url: str
    created_at: datetime


def _ics_response(ics: bytes, *, filename: str | None = None) -> Response:
    headers = {"Cache-Control": "private, no-cache"}
    if filename is not None:
        headers["Content-Disposition"] = content_disposition(filename)
    return Response(ics, media_type=f"{MEDIA_TYPE}; charset=utf-8", headers=headers)


def _ics_filename(title: str) -> str:
    stem = _UNSAFE_IN_FILE_NAMES.sub("_", title).strip(" ._")[:100]
    return f"{stem or 'event'}.ics"


@router.get(
    "/events/{event_id}/ics",
    response_class=Response,
    responses={
        200: {"description": "The event (METHOD:PUBLISH)", "content": _ICS_CONTENT},
        400: {"model": ErrorBody},
        403: {"model": ErrorBody},
        404: {"model": ErrorBody},
    },
    tags=["events"],
)
async def get_event_ics(event: ReadableEvent, session: SessionDep) -> Response:
    """Download an event as an iCalendar file, with its recurrence and exceptions."""
    ics = await build_event_ics(session, event, method="PUBLISH")
    return _ics_response(ics, filename=_ics_filename(event.title))


@router.get(
    "/users/me/calendar_feed",
    response_model=CalendarFeedRead,
    responses={404: {"model": ErrorBody}},
    tags=["users"],
)
async def get_calendar_feed(
    principal: CurrentPrincipal, session: SessionDep
) -> CalendarFeedRead:
    """Whether the caller has a calendar feed (404 calendar_feed_not_found if not)."""
    feed = await feeds.get_feed(session, principal.user_id)
    return CalendarFeedRead(created_at=feed.created_at)


@router.post(
    "/users/me/calendar_feed",
    response_model=CalendarFeedCreated,
    status_code=status.HTTP_201_CREATED,
    tags=["users"],
)
async def create_calendar_feed(
    request: Request, principal: CurrentPrincipal, session: SessionDep
) -> CalendarFeedCreated:
    """Create the caller's secret feed URL; a previous URL stops working."""
    created = await feeds.create_feed(session, principal.user_id)
    base_url: str = request.app.state.settings.base_url
    return CalendarFeedCreated(
        url=base_url + feeds.feed_path(created.token),
        created_at=created.feed.created_at,
    )


@router.delete(
    "/users/me/calendar_feed",
    status_code=status.HTTP_204_NO_CONTENT,
    responses={404: {"model": ErrorBody}},
    tags=["users"],
)
async def delete_calendar_feed(
    principal: CurrentPrincipal, session: SessionDep
) -> None:
    """Turn the caller's calendar feed off; its URL stops working."""
    await feeds.delete_feed(session, principal.user_id)


@router.get(
    "/calendar/feeds/{token}.ics",
    response_class=Response,
    responses={
        200: {"description": "The user's calendar", "content": _ICS_CONTENT},
        404: {"model": ErrorBody},
    },
)
async def get_calendar_feed_ics(
    token: Annotated[str, Path(description="The secret feed token")],
    request: Request,
    session: SessionDep,
) -> Response:
    """A user's events as a subscribable calendar (no bearer token: the URL is secret)."""
    user = await feeds.feed_owner(session, token)
    settings = request.app.state.settings
    ics = await feeds.render_feed(
        session,
        user,
        base_url=settings.base_url,
        past_days=settings.calendar_feed_past_days,
        max_events=settings.calendar_feed_max_events,
    )
    return _ics_response(ics)
