"""Shared folder use cases: read, create, delete an event's folder.

The creator manages the folder and sees both links; invitees see the read-only
link. The folder is made on the provider before its row is written, inside the
request's transaction, so a provider failure leaves no row (and the provider
removes what it made part-way); if the transaction fails later, the folder is
removed from the provider again. Events created with ``has_shared_folder`` get
one, and deleting an event deletes its folder, best effort (hooks below).
"""

from __future__ import annotations

import logging
import uuid

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from parley.events import notifications
from parley.events import service as events_service
from parley.events.errors import EventNotFound
from parley.events.models import Event
from parley.events.schemas import PostEventsBody
from parley.shared_folders.errors import (
    ProviderFailed,
    ProviderUnavailable,
    SharedFolderNotFound,
)
from parley.shared_folders.models import EventSharedFolder
from parley.shared_folders.provider import ProvidedFolder, SharedFolderProvider
from parley.shared_folders.registry import get_provider, require_provider
from parley.shared_folders.schemas import SharedFolder
from parley.transactions import after_rollback

logger = logging.getLogger(__name__)

_CHANGE = notifications.EventChange(fields=frozenset({"shared_folder"}))


async def get_folder(
    session: AsyncSession, event_id: uuid.UUID
) -> EventSharedFolder | None:
    return await session.scalar(
        select(EventSharedFolder)
        .where(EventSharedFolder.event_id == event_id)
        .execution_options(populate_existing=True)
    )


async def read_shared_folder(
    session: AsyncSession, event: Event, *, user_id: uuid.UUID
) -> SharedFolder:
    """The event's folder as the caller may see it (read-write link: creator only)."""
    await events_service.ensure_can_read(session, event, user_id)
    folder = await get_folder(session, event.id)
    if folder is None:
        raise SharedFolderNotFound()
    return SharedFolder.of(folder, may_write=events_service.is_creator(event, user_id))


async def put_shared_folder(
    session: AsyncSession,
    provider: SharedFolderProvider,
    event: Event,
    *,
    actor_id: uuid.UUID,
    notify: bool,
) -> tuple[SharedFolder, bool]:
    """The event's folder, made now unless it exists; True when made (creator only)."""
    events_service.ensure_creator(event, actor_id)
    folder = await get_folder(session, event.id)
    created = folder is None
    if folder is None:
        folder, created = await _create(session, provider, event)
    if created and notify:
        await events_service.notify_update(
            session, event, actor_id=actor_id, change=_CHANGE
        )
    return SharedFolder.of(folder, may_write=True), created


async def delete_shared_folder(
    session: AsyncSession,
    provider: SharedFolderProvider,
    event: Event,
    *,
    actor_id: uuid.UUID,
    force: bool,
    notify: bool,
) -> None:
    """Delete the folder on the provider, then its reference (creator only).

    When the provider fails, the reference stays (the error is raised) unless
    ``force``: then it goes anyway and the folder is left on the provider.
    """
    events_service.ensure_creator(event, actor_id)
    folder = await get_folder(session, event.id)
    if folder is None:
        raise SharedFolderNotFound()
    try:
        await provider.delete_folder(folder.path, _share_ids(folder))
    except (ProviderUnavailable, ProviderFailed) as exc:
        if not force:
            raise
        logger.warning(
            "event %s: forgetting shared folder %s although deleting it failed: %s",
            event.id,
            folder.path,
            exc.message,
        )
    await session.delete(folder)
    await session.flush()
    if notify:
        await events_service.notify_update(
            session, event, actor_id=actor_id, change=_CHANGE
        )


def _share_ids(folder: EventSharedFolder) -> list[str]:
    return [folder.read_share_id, folder.write_share_id]


async def _create(
    session: AsyncSession, provider: SharedFolderProvider, event: Event
) -> tuple[EventSharedFolder, bool]:
    made = await provider.create_folder(event.id)
    folder = EventSharedFolder(
        event_id=event.id,
        path=made.path,
        read_share_id=made.read.share_id,
        read_url=made.read.url,
        read_password=made.read.password,
        write_share_id=made.write.share_id,
        write_url=made.write.url,
        write_password=made.write.password,
    )
    try:
        async with session.begin_nested():
            session.add(folder)
    except IntegrityError:
        # A concurrent request made the event's folder first (the same path):
        # keep its links and drop ours.
        await provider.delete_shares([made.read.share_id, made.write.share_id])
        existing = await get_folder(session, event.id)
        if existing is None:  # the event itself went away meanwhile
            raise EventNotFound() from None
        return existing, False
    event_id = event.id  # the row is expired once the transaction has rolled back
    after_rollback(session, lambda: _remove_uncommitted(provider, event_id, made))
    return folder, True


async def _remove_uncommitted(
    provider: SharedFolderProvider, event_id: uuid.UUID, made: ProvidedFolder
) -> None:
    """The transaction that was to keep the folder failed: take it away again."""
    try:
        await provider.delete_folder(
            made.path, [made.read.share_id, made.write.share_id]
        )
    except (ProviderUnavailable, ProviderFailed) as exc:
        logger.warning(
            "event %s: shared folder %s stays on the storage although its "
            "transaction rolled back: %s",
            event_id,
            made.path,
            exc.message,
        )


# ---- event hooks -------------------------------------------------------------


async def create_with_event(
    session: AsyncSession, event: Event, data: PostEventsBody
) -> None:
    """`has_shared_folder: true` on event creation (403 when the feature is off)."""
    if data.has_shared_folder:
        await _create(session, require_provider(), event)


async def delete_with_event(session: AsyncSession, event: Event) -> None:
    """Best effort: a folder that cannot be deleted never stops the event's deletion."""
    folder = await get_folder(session, event.id)
    if folder is None:
        return
    provider = get_provider()
    if provider is None:
        logger.warning(
            "event %s deleted; its shared folder %s stays (no provider configured)",
            event.id,
            folder.path,
        )
        return
    try:
        await provider.delete_folder(folder.path, _share_ids(folder))
    except (ProviderUnavailable, ProviderFailed) as exc:
        logger.warning(
            "event %s deleted; its shared folder %s stays: %s",
            event.id,
            folder.path,
            exc.message,
        )
