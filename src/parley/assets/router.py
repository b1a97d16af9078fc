"""Asset endpoints.

GET    /v1/rooms/{room_id}/assets              the room's assets (paged; room access)
GET    /v1/rooms/{room_id}/assets/{asset_id}   the asset's bytes, streamed (room access)
DELETE /v1/rooms/{room_id}/assets/{asset_id}   delete it and its stored bytes (owner)
GET    /v1/users/me/assets                     the caller's assets, sorted and paged
"""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Path, Query, Request, Response, status
from fastapi.responses import StreamingResponse

from parley.assets import service
from parley.assets.files import content_disposition
from parley.assets.models import Asset
from parley.assets.schemas import AssetRead, AssetSort, SortOrder, UserAssets
from parley.auth.deps import CurrentPrincipal
from parley.db import SessionDep
from parley.errors import ErrorBody
from parley.pagination import PageDep, set_page_links
from parley.rooms.deps import AccessibleRoom, OwnedRoom

router = APIRouter(tags=["assets"])

AssetId = Annotated[uuid.UUID, Path(description="The ID of the requested asset")]
_ERRORS: dict[int | str, dict[str, object]] = {
    403: {"model": ErrorBody},
    404: {"model": ErrorBody},
}


@router.get(
    "/rooms/{room_id}/assets",
    response_model=list[AssetRead],
    response_model_exclude_none=True,
    responses=_ERRORS,
    tags=["rooms"],
)
async def get_all_assets(
    request: Request,
    response: Response,
    page: PageDep,
    room: AccessibleRoom,
    session: SessionDep,
) -> list[Asset]:
    """Get the assets of a room."""
    assets, total = await service.list_room_assets(session, room, page)
    set_page_links(request, response, page, total)
    return list(assets)


@router.get(
    "/rooms/{room_id}/assets/{asset_id}",
    response_class=StreamingResponse,
    responses={
        200: {
            "description": "The raw bytes of the asset",
            "content": {
                "application/octet-stream": {
                    "schema": {"type": "string", "format": "binary"}
                }
            },
        },
        **_ERRORS,
    },
    tags=["rooms"],
)
async def get_asset(
    asset_id: AssetId, room: AccessibleRoom, session: SessionDep
) -> StreamingResponse:
    """Download an asset: its bytes, streamed, with its content type and length."""
    asset = await service.get_asset_or_raise(session, room, asset_id)
    stored = await service.open_asset(asset)
    return StreamingResponse(
        stored.chunks(),
        media_type=asset.content_type,
        headers={
            "Content-Length": str(stored.size),
            "Content-Disposition": content_disposition(asset.filename),
            "X-Content-Type-Options": "nosniff",
        },
    )


@router.delete(
    "/rooms/{room_id}/assets/{asset_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=_ERRORS,
    tags=["rooms"],
)
async def delete_asset(asset_id: AssetId, room: OwnedRoom, session: SessionDep) -> None:
    """Delete an asset and its stored bytes."""
    asset = await service.get_asset_or_raise(session, room, asset_id)
    await service.delete_asset(session, asset)


@router.get(
    "/users/me/assets",
    response_model=UserAssets,
    response_model_exclude_none=True,
    responses={400: {"model": ErrorBody}},
    tags=["users"],
)
async def get_me_assets(
    request: Request,
    response: Response,
    page: PageDep,
    principal: CurrentPrincipal,
    session: SessionDep,
    sort: Annotated[
        AssetSort, Query(description="The property the assets are sorted by")
    ] = "created_at",
    order: Annotated[SortOrder, Query(description="The direction of sorting")] = (
        "descending"
    ),
) -> UserAssets:
    """Get the assets the current user owns (those of the rooms they created)."""
    items, total = await service.list_owned_assets(
        session,
        principal.user_id,
        sort=sort,
        order=order,
        page=page,
    )
    set_page_links(request, response, page, total)
    return UserAssets(owned_assets=items)
