"""SIP config shapes (spec schemas SipConfig and PutSipConfig)."""

from __future__ import annotations

import uuid
from typing import Annotated

from pydantic import Field, StrictBool, StrictStr

from parley.schemas import RequestBody, Schema

NumericId = Annotated[
    StrictStr,
    Field(
        pattern=r"^[0-9]{10}$",
        description="Exactly 10 decimal digits",
        examples=["0123456789"],
    ),
]
"""Call-in ids and PINs: exactly ten ASCII digits (notes §6)."""


class SipConfigRead(Schema):
    """A room's call-in credentials: ``sip_id`` names the room, ``password`` is the PIN."""

    room: uuid.UUID = Field(validation_alias="room_id")
    sip_id: str = Field(description="Unique 10-digit call-in id of the room")
    password: str = Field(description="10-digit PIN")
    lobby: bool = Field(description="Phone participants wait in the waiting room")


class PutSipConfig(RequestBody):
    """Body of PUT /rooms/{room_id}/sip; at least one field."""

    password: NumericId | None = Field(
        default=None, description="10-digit PIN; generated when creating without one"
    )
    lobby: StrictBool | None = Field(
        default=None, description="Phone participants wait in the waiting room"
    )
