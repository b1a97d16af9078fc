"""Bodies of the start endpoints (spec schemas RoomStart, InvitedRoomStart, CallInStart)."""

from __future__ import annotations

import uuid

from pydantic import BaseModel, Field, StrictInt, StrictStr

from parley.schemas import RequestBody
from parley.sip.schemas import NumericId

# The spec types breakout room ids as integers, the reference as UUIDs; both are
# accepted so either kind of client gets the `no_breakout_rooms` answer.
BreakoutRoomId = StrictInt | uuid.UUID


class RoomStartBody(RequestBody):
    """Body of POST /rooms/{room_id}/start."""

    breakout_room: BreakoutRoomId | None = Field(
        default=None, description="Breakout room to join; Parley has none"
    )
    resumption: StrictStr | None = Field(
        default=None,
        description="The last resumption token, to get the same participant id back",
    )


class InvitedRoomStartBody(RequestBody):
    """Body of POST /rooms/{room_id}/start_invited."""

    invite_code: StrictStr = Field(max_length=128, description="The invite code")
    password: StrictStr | None = Field(
        default=None,
        max_length=128,
        description="The room password; required when the room has one",
    )
    breakout_room: BreakoutRoomId | None = Field(
        default=None, description="Breakout room to join; Parley has none"
    )
    resumption: StrictStr | None = Field(
        default=None,
        description="The last resumption token, to get the same participant id back",
    )


class CallInStartBody(RequestBody):
    """Body of POST /services/call_in/start: the digits a caller typed."""

    id: NumericId = Field(description="The room's call-in id (sip_id)")
    pin: NumericId = Field(description="The room's call-in PIN")


class RoomStartResponse(BaseModel):
    """Spec RoomStartSuccess: the ticket for /signaling and a fresh resumption token."""

    ticket: str = Field(
        description="Presented as `ticket#<ticket>` in Sec-WebSocket-Protocol"
    )
    resumption: str = Field(
        description="Token to resume this session in a later start request"
    )
