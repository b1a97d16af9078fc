"""Shared folder endpoints (spec tag shared_folder).

GET    /v1/events/{event_id}/shared_folder   the folder's links (creator and invitees)
PUT    /v1/events/{event_id}/shared_folder   create it, or return the existing one (creator)
DELETE /v1/events/{event_id}/shared_folder   delete it on the storage and here (creator)

Without a configured provider all three answer 403 ``feature_disabled``.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response, status

from parley.auth.deps import CurrentPrincipal
from parley.db import SessionDep
from parley.errors import ErrorBody
from parley.events.deps import EventDep, SuppressEmail
from parley.shared_folders import service
from parley.shared_folders.provider import SharedFolderProvider
from parley.shared_folders.registry import require_provider
from parley.shared_folders.schemas import SharedFolder

router = APIRouter(
    prefix="/events/{event_id}/shared_folder", tags=["events", "shared_folder"]
)


async def enabled_provider(principal: CurrentPrincipal) -> SharedFolderProvider:
    """The provider, checked after authentication and before the event is looked up."""
    return require_provider()


# Declared before the event in each route: FastAPI solves dependencies in order.
Provider = Annotated[SharedFolderProvider, Depends(enabled_provider)]
ForceDelete = Annotated[
    bool,
    Query(
        description="Delete the reference even if deleting the folder on the "
        "storage (Nextcloud) fails"
    ),
]
_ERRORS: dict[int | str, dict[str, object]] = {
    403: {
        "model": ErrorBody,
        "description": "Not allowed, or shared folders are disabled",
    },
    404: {"model": ErrorBody},
    502: {"model": ErrorBody, "description": "The storage answered with an error"},
    503: {"model": ErrorBody, "description": "The storage is unreachable"},
}


@router.get(
    "", response_model=SharedFolder, response_model_exclude_none=True, responses=_ERRORS
)
async def get_shared_folder(
    provider: Provider,
    event: EventDep,
    principal: CurrentPrincipal,
    session: SessionDep,
) -> SharedFolder:
    """Get the shared folder of an event."""
    return await service.read_shared_folder(session, event, user_id=principal.user_id)


@router.put(
    "",
    response_model=SharedFolder,
    response_model_exclude_none=True,
    status_code=status.HTTP_201_CREATED,
    responses={
        200: {"model": SharedFolder, "description": "The folder existed already"},
        **_ERRORS,
    },
)
async def put_shared_folder(
    provider: Provider,
    event: EventDep,
    principal: CurrentPrincipal,
    session: SessionDep,
    response: Response,
    suppress_email_notification: SuppressEmail = False,
) -> SharedFolder:
    """Create a shared folder for an event (201), or return the existing one (200)."""
    folder, created = await service.put_shared_folder(
        session,
        provider,
        event,
        actor_id=principal.user_id,
        notify=not suppress_email_notification,
    )
    if not created:
        response.status_code = status.HTTP_200_OK
    return folder


@router.delete("", status_code=status.HTTP_204_NO_CONTENT, responses=_ERRORS)
async def delete_shared_folder(
    provider: Provider,
    event: EventDep,
    principal: CurrentPrincipal,
    session: SessionDep,
    force_delete_reference_if_shared_folder_deletion_fails: ForceDelete = False,
    suppress_email_notification: SuppressEmail = False,
) -> None:
    """Delete the shared folder of an event."""
    await service.delete_shared_folder(
        session,
        provider,
        event,
        actor_id=principal.user_id,
        force=force_delete_reference_if_shared_folder_deletion_fails,
        notify=not suppress_email_notification,
    )
