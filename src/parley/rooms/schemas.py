from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import Field, StrictBool, StrictStr, field_serializer

from parley.schemas import RequestBody, Schema


class RoomRead(Schema):
    """The complete room, for its owner and those with access."""

    id: uuid.UUID
    created_by: uuid.UUID = Field(validation_alias="created_by_id")
    created_at: datetime
    password: str | None = Field(
        description="Room's password; empty when the room has none"
    )
    waiting_room: bool

    @field_serializer("password")
    def _password_string(self, password: str | None) -> str:
        # The spec types `password` as a required string; no password is "".
        return password or ""


class PostRoomsBody(RequestBody):
    """Body of POST /rooms. An empty or absent password means no password."""

    password: StrictStr | None = Field(default=None, max_length=255)
    enable_sip: StrictBool = False
    waiting_room: StrictBool = False


class PatchRoomsBody(RequestBody):
    """Body of PATCH /rooms/{room_id}. password null or "" removes the password."""

    password: StrictStr | None = Field(default=None, max_length=255)
    waiting_room: StrictBool | None = None
