from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import Field, StrictStr

from parley.instants import Instant
from parley.schemas import RequestBody, Schema
from parley.users.schemas import PublicUserProfile


# pydantic's mypy plugin gives __init__ one parameter per field, named by its alias, so
# `room` (alias room_id) and `room_id` clash there; at runtime one room_id fills both.
class InviteCodeRead(Schema):  # type: ignore[no-redef]
    """An invite code. `room` and `room_id` both carry the room id (the spec names both)."""

    invite_code: uuid.UUID = Field(validation_alias="id")
    created: datetime = Field(validation_alias="created_at")
    created_by: PublicUserProfile
    updated: datetime = Field(validation_alias="updated_at")
    updated_by: PublicUserProfile
    room: uuid.UUID = Field(validation_alias="room_id")
    room_id: uuid.UUID
    active: bool
    expiration: datetime | None


class NewInviteCode(RequestBody):
    expiration: Instant | None = None


class UpdateInviteCode(RequestBody):
    expiration: Instant | None = None


class InviteVerifyBody(RequestBody):
    invite_code: StrictStr = Field(max_length=128)


class InviteCodeVerified(Schema):
    room_id: uuid.UUID
    password_required: bool
