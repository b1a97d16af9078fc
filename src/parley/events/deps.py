"""Event dependencies: authenticate, load or 404, then check read access."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import Depends, Path, Query

from parley.auth.deps import CurrentPrincipal
from parley.db import SessionDep
from parley.events import service
from parley.events.models import Event

EventIdPath = Annotated[uuid.UUID, Path(description="The id of the event")]
InviteesMax = Annotated[
    int,
    Query(ge=0, le=1000, description="maximum number of invitees sent with an event"),
]
SuppressEmail = Annotated[
    bool,
    Query(
        description="Suppress notification emails (external calendars may go out of sync)"
    ),
]

# The principal comes first in these: authentication precedes the lookup (401 before 404).


async def get_event(
    principal: CurrentPrincipal, event_id: EventIdPath, session: SessionDep
) -> Event:
    return await service.get_event_or_raise(session, event_id)


async def get_readable_event(
    principal: CurrentPrincipal, event_id: EventIdPath, session: SessionDep
) -> Event:
    event = await service.get_event_or_raise(session, event_id)
    await service.ensure_can_read(session, event, principal.user_id)
    return event


EventDep = Annotated[Event, Depends(get_event)]
ReadableEvent = Annotated[Event, Depends(get_readable_event)]
