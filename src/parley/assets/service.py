"""Asset use cases: list, read, delete, store; storage quota (tariff `max_storage`).

Assets count against their owner's quota: the creator of the room they belong to.
Other packages store files with `save_asset` (streaming, quota-checked); the recorder's
websocket writes an upload first and then `publish_upload`s it in a short unit of work.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import AsyncIterable, Awaitable, Callable, Mapping, Sequence

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from parley.assets import lifecycle
from parley.assets.files import content_type_for
from parley.assets.models import Asset
from parley.assets.schemas import AssetSort, SortOrder, UserAssetRead
from parley.assets.storage import (
    ObjectMissing,
    PendingUpload,
    StoredObject,
    get_storage,
)
from parley.errors import Forbidden, NotFound
from parley.hooks import Hooks
from parley.pagination import PageParams, fetch_page
from parley.rooms.models import Room
from parley.tariffs import service as tariffs_service
from parley.users.models import User

logger = logging.getLogger(__name__)


class AssetNotFound(NotFound):
    default_message = "The asset could not be found"


class StorageExceeded(Forbidden):
    code = "storage_exceeded"
    default_message = "The room owner's storage quota is used up"


# The events package registers how to find the event of rooms (for `event_id`).
EventLookup = Callable[
    [AsyncSession, Sequence[uuid.UUID]], Awaitable[Mapping[uuid.UUID, uuid.UUID]]
]
event_lookups: Hooks[EventLookup] = Hooks("the event of rooms (assets show event_id)")


async def used_storage(session: AsyncSession, user_id: uuid.UUID) -> int:
    """Bytes of all assets the user owns (an index-only sum)."""
    total = await session.scalar(
        select(func.coalesce(func.sum(Asset.size), 0)).where(Asset.owner_id == user_id)
    )
    return int(total or 0)


async def remaining_storage(session: AsyncSession, user_id: uuid.UUID) -> int | None:
    """Bytes the user may still store; None means no quota."""
    limit = await tariffs_service.max_storage(session, user_id)
    if limit is None:
        return None
    return max(0, limit - await used_storage(session, user_id))


async def ensure_storage_left(session: AsyncSession, room: Room) -> int | None:
    """The room owner's remaining quota; 403 storage_exceeded when nothing is left."""
    remaining = await remaining_storage(session, room.created_by_id)
    if remaining == 0:
        raise StorageExceeded()
    return remaining


async def list_room_assets(
    session: AsyncSession, room: Room, page: PageParams
) -> tuple[list[Asset], int]:
    """A page of the room's assets, newest first, and their total count."""
    statement = (
        select(Asset)
        .where(Asset.room_id == room.id)
        .order_by(Asset.created_at.desc(), Asset.id)
    )
    return await fetch_page(session, statement, page)


_SORT_COLUMNS = {
    "filename": Asset.filename,
    "size": Asset.size,
    "namespace": Asset.namespace,
    "kind": Asset.kind,
    "created_at": Asset.created_at,
}


async def list_owned_assets(
    session: AsyncSession,
    user_id: uuid.UUID,
    *,
    sort: AssetSort,
    order: SortOrder,
    page: PageParams,
) -> tuple[list[UserAssetRead], int]:
    """A page of the assets the user owns, sorted, and their total count."""
    column = _SORT_COLUMNS[sort]
    direction = column.asc() if order == "ascending" else column.desc()
    tie = Asset.id.asc() if order == "ascending" else Asset.id.desc()
    statement = (
        select(Asset)
        .where(Asset.owner_id == user_id)
        .order_by(direction.nulls_last(), tie)
    )
    assets, total = await fetch_page(session, statement, page)
    events: dict[uuid.UUID, uuid.UUID] = {}
    room_ids = sorted({asset.room_id for asset in assets})
    for lookup in event_lookups:
        events.update(await lookup(session, room_ids))
    items = [
        UserAssetRead.model_validate(asset).model_copy(
            update={"event_id": events.get(asset.room_id)}
        )
        for asset in assets
    ]
    return items, total


async def get_asset_or_raise(
    session: AsyncSession, room: Room, asset_id: uuid.UUID
) -> Asset:
    asset = await session.scalar(
        select(Asset).where(Asset.id == asset_id, Asset.room_id == room.id)
    )
    if asset is None:
        raise AssetNotFound()
    return asset


async def open_asset(asset: Asset) -> StoredObject:
    """The asset's bytes, opened for streaming; 404 if the stored object is gone."""
    try:
        return await get_storage().open(asset.storage_key)
    except ObjectMissing:
        logger.error("asset %s has a row but no stored object", asset.id)
        raise AssetNotFound("The asset's data is missing") from None


async def delete_asset(session: AsyncSession, asset: Asset) -> None:
    """Delete the row; the stored object goes once the transaction commits."""
    await session.execute(delete(Asset).where(Asset.id == asset.id))
    lifecycle.delete_on_commit(session, get_storage(), [asset.storage_key])


async def delete_room_objects(session: AsyncSession, room: Room) -> None:
    # Rows go by the foreign-key cascade; their stored objects go with the commit.
    keys = (
        await session.scalars(select(Asset.id).where(Asset.room_id == room.id))
    ).all()
    if keys:
        lifecycle.delete_on_commit(session, get_storage(), [str(key) for key in keys])


async def publish_upload(
    session: AsyncSession,
    *,
    room: Room,
    upload: PendingUpload,
    filename: str,
    namespace: str | None,
    kind: str,
) -> Asset:
    """Record a finished upload as the room's asset and make its bytes visible.

    Both happen in the session's transaction: if it rolls back, the object is deleted
    again. 403 storage_exceeded when the upload does not fit the owner's quota.
    """
    owner_id = room.created_by_id
    # Serialise quota decisions per owner (PostgreSQL row lock; SQLite's BEGIN
    # IMMEDIATE already admits one writer at a time).
    await session.execute(select(User.id).where(User.id == owner_id).with_for_update())
    remaining = await remaining_storage(session, owner_id)
    if remaining is not None and upload.size > remaining:
        raise StorageExceeded(
            f"The upload needs {upload.size} bytes; the room owner has {remaining} left"
        )
    asset = Asset(
        id=uuid.uuid4(),
        room_id=room.id,
        owner_id=owner_id,
        filename=filename,
        namespace=namespace,
        kind=kind,
        size=upload.size,
        content_type=content_type_for(filename),
    )
    session.add(asset)
    await session.flush()
    storage = get_storage()
    lifecycle.delete_on_rollback(session, storage, [asset.storage_key])
    await upload.publish(asset.storage_key)
    return asset


async def save_asset(
    session: AsyncSession,
    *,
    room: Room,
    chunks: AsyncIterable[bytes],
    filename: str,
    namespace: str | None,
    kind: str,
) -> Asset:
    """Store a file for the room from a stream of chunks, within the owner's quota."""
    remaining = await ensure_storage_left(session, room)
    async with get_storage().begin_upload() as upload:
        async for chunk in chunks:
            if remaining is not None and upload.size + len(chunk) > remaining:
                raise StorageExceeded()
            await upload.write(chunk)
        return await publish_upload(
            session,
            room=room,
            upload=upload,
            filename=filename,
            namespace=namespace,
            kind=kind,
        )
