"""Event invite endpoints.

POST   /v1/events/{event_id}/invites            invite a user (by id) or an address (creator)
GET    /v1/events/{event_id}/invites            invitees and their answers (page paged)
PATCH  /v1/events/{event_id}/invites/email      change an e-mail invite's role (creator)
DELETE /v1/events/{event_id}/invites/email      withdraw an e-mail invite (creator)
PATCH  /v1/events/{event_id}/invites/{user_id}  change a user invite's role (creator)
DELETE /v1/events/{event_id}/invites/{user_id}  withdraw a user invite (creator)
PATCH  /v1/events/{event_id}/invite             accept the caller's invite
DELETE /v1/events/{event_id}/invite             decline the caller's invite
GET    /v1/users/me/pending_invites             how many invites await an answer
"""

from __future__ import annotations

import uuid
from typing import Annotated, Literal

from fastapi import APIRouter, Body, Path, Query, Request, Response, status

from parley.auth.deps import CurrentPrincipal
from parley.db import SessionDep
from parley.errors import ErrorBody
from parley.events import invites
from parley.events.deps import EventDep, ReadableEvent, SuppressEmail
from parley.events.schemas import (
    DeleteEmailInviteBody,
    EmailInvite,
    EventInviteBody,
    EventInvitee,
    PatchEmailInviteBody,
    PatchInviteBody,
    PendingInvites,
)
from parley.events.views import invitee_read
from parley.pagination import PageDep, set_page_links

router = APIRouter(tags=["event_invites"])

_ERRORS: dict[int | str, dict[str, object]] = {
    403: {"model": ErrorBody},
    404: {"model": ErrorBody},
    422: {"model": ErrorBody},
}
_CREATED_OR_EXISTING: dict[int | str, dict[str, object]] = {
    **_ERRORS,
    201: {"description": "Invited"},
    204: {"description": "Already invited"},
}
UserIdPath = Annotated[uuid.UUID, Path(description="Id of the invited user")]


@router.post(
    "/events/{event_id}/invites",
    status_code=status.HTTP_201_CREATED,
    responses=_CREATED_OR_EXISTING,
)
async def create_event_invites(
    body: Annotated[EventInviteBody, Body()],
    event: EventDep,
    principal: CurrentPrincipal,
    session: SessionDep,
    suppress_email_notification: SuppressEmail = False,
) -> Response:
    """Invite a registered user by id, or anyone by e-mail address."""
    notify = not suppress_email_notification
    if isinstance(body, EmailInvite):
        outcome = await invites.invite_email(
            session,
            event,
            email=body.email,
            role=body.role,
            inviter_id=principal.user_id,
            notify=notify,
        )
    else:
        outcome = await invites.invite_user(
            session,
            event,
            invitee_id=body.invitee,
            role=body.role,
            inviter_id=principal.user_id,
            notify=notify,
        )
    return Response(status_code=201 if outcome.created else 204)


@router.get(
    "/events/{event_id}/invites",
    response_model=list[EventInvitee],
    response_model_exclude_none=True,
    responses=_ERRORS,
)
async def get_event_invites(
    request: Request,
    response: Response,
    event: ReadableEvent,
    page: PageDep,
    session: SessionDep,
    invite_status: Annotated[
        Literal["pending", "accepted", "tentative", "declined"] | None,
        Query(alias="status", description="Filter by invite status"),
    ] = None,
) -> list[EventInvitee]:
    """Get the invitees of an event and their answers."""
    rows, total = await invites.list_invitees(
        session, event, status=invite_status, page=page
    )
    set_page_links(request, response, page, total)
    return [invitee_read(row) for row in rows]


@router.patch(
    "/events/{event_id}/invites/email",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=_ERRORS,
)
async def update_email_event_invite(
    body: PatchEmailInviteBody,
    event: EventDep,
    principal: CurrentPrincipal,
    session: SessionDep,
) -> None:
    """Change the role of an e-mail invite."""
    await invites.update_email_invite_role(
        session, event, email=body.email, role=body.role, actor_id=principal.user_id
    )


@router.delete(
    "/events/{event_id}/invites/email",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=_ERRORS,
)
async def delete_email_event_invite(
    body: DeleteEmailInviteBody,
    event: EventDep,
    principal: CurrentPrincipal,
    session: SessionDep,
    suppress_email_notification: SuppressEmail = False,
) -> None:
    """Withdraw the invite of an address, and of registered users with that address."""
    await invites.delete_email_invite(
        session,
        event,
        email=body.email,
        actor_id=principal.user_id,
        notify=not suppress_email_notification,
    )


@router.patch(
    "/events/{event_id}/invites/{user_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=_ERRORS,
)
async def update_event_invite(
    body: PatchInviteBody,
    event: EventDep,
    user_id: UserIdPath,
    principal: CurrentPrincipal,
    session: SessionDep,
) -> None:
    """Change the role of a user's invite."""
    await invites.update_invite_role(
        session, event, user_id=user_id, role=body.role, actor_id=principal.user_id
    )


@router.delete(
    "/events/{event_id}/invites/{user_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=_ERRORS,
)
async def delete_event_invite(
    event: EventDep,
    user_id: UserIdPath,
    principal: CurrentPrincipal,
    session: SessionDep,
    suppress_email_notification: SuppressEmail = False,
) -> None:
    """Withdraw a user's invite."""
    await invites.delete_invite(
        session,
        event,
        user_id=user_id,
        actor_id=principal.user_id,
        notify=not suppress_email_notification,
    )


@router.patch(
    "/events/{event_id}/invite",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=_ERRORS,
)
async def accept_event_invite(
    event: EventDep, principal: CurrentPrincipal, session: SessionDep
) -> None:
    """Accept the caller's invite to the event."""
    await invites.answer_invite(
        session, event, user_id=principal.user_id, status="accepted"
    )


@router.delete(
    "/events/{event_id}/invite",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=_ERRORS,
)
async def decline_event_invite(
    event: EventDep, principal: CurrentPrincipal, session: SessionDep
) -> None:
    """Decline the caller's invite to the event."""
    await invites.answer_invite(
        session, event, user_id=principal.user_id, status="declined"
    )


@router.get("/users/me/pending_invites", response_model=PendingInvites, tags=["users"])
async def event_invites_pending(
    principal: CurrentPrincipal, session: SessionDep
) -> PendingInvites:
    """How many event invites the caller has not answered."""
    total = await invites.count_pending(session, principal.user_id)
    return PendingInvites(total_pending_invites=total)
