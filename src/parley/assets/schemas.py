from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from pydantic import Field

from parley.schemas import Schema

AssetSort = Literal["filename", "size", "namespace", "kind", "created_at"]
SortOrder = Literal["ascending", "descending"]


class AssetRead(Schema):
    """The spec's AssetResource plus `kind` and `size` (as the controller sends)."""

    id: uuid.UUID
    filename: str
    namespace: str | None = Field(
        default=None, description="The module that stored the asset; absent if none"
    )
    kind: str
    size: int = Field(description="Size in bytes")
    created_at: datetime


class UserAssetRead(AssetRead):
    """An asset the caller owns, with the room (and event) it belongs to."""

    room_id: uuid.UUID
    event_id: uuid.UUID | None = Field(
        default=None, description="The event of the asset's room, if it has one"
    )


class UserAssets(Schema):
    owned_assets: list[UserAssetRead]
