"""Sariska scheduler shapes: what POST /reservation takes and every endpoint returns."""

from __future__ import annotations

import uuid
from zoneinfo import ZoneInfo

from pydantic import (
    BaseModel,
    EmailStr,
    Field,
    StrictBool,
    StrictInt,
    StrictStr,
)

from parley.reservations.models import Reservation
from parley.reservations.timing import format_local, whole_minutes
from parley.schemas import RequestBody


class ReservationCreate(RequestBody):
    """Body of POST /reservation; the last four fields are Parley extensions."""

    mail_owner: EmailStr = Field(description="E-mail address of the owner")
    name: StrictStr = Field(max_length=512, description="The room name")
    duration: StrictInt | StrictStr = Field(
        description="Minutes, as a number or a numeric string", examples=[60]
    )
    start_time: StrictStr = Field(
        description="Local wall time YYYY-MM-DDTHH:MM[:SS] in `timezone`",
        examples=["2023-09-28T15:08"],
    )
    timezone: StrictStr = Field(
        max_length=64,
        description='IANA time zone; spaces stand for underscores ("America/New York")',
        examples=["America/New York"],
    )
    pin: StrictStr | None = Field(
        default=None,
        max_length=64,
        description="4 to 10 digits; also the call-in PIN of a SIP-enabled Parley room",
    )
    room_id: uuid.UUID | None = Field(
        default=None, description="A Parley room of the caller to attach"
    )
    create_room: StrictBool = Field(
        default=False, description="Create a Parley room for this reservation"
    )
    max_occupants: StrictInt | None = Field(
        default=None, ge=1, le=100_000, description="Passed on to Jitsi"
    )
    lobby: StrictBool | None = Field(default=None, description="Passed on to Jitsi")


class ReservationRead(BaseModel):
    """A reservation or running conference as the Sariska scheduler shows it."""

    id: int
    mail_owner: str
    name: str
    duration: int = Field(description="Minutes")
    start_time: str = Field(description="Local wall time in `timezone`")
    timezone: str
    pin: str | None
    room_id: uuid.UUID | None
    max_occupants: int | None
    lobby: bool | None
    opened_by: str | None = Field(
        description="Who opened the conference running now (Jitsi's mail_owner, "
        "an XMPP JID); null while none runs. A Parley extension."
    )

    @classmethod
    def of(cls, reservation: Reservation) -> ReservationRead:
        zone = ZoneInfo(reservation.timezone)
        return cls(
            id=reservation.id,
            mail_owner=reservation.mail_owner,
            name=reservation.name,
            duration=whole_minutes(reservation.duration),
            start_time=format_local(reservation.starts_at, zone),
            timezone=reservation.timezone,
            pin=reservation.pin,
            room_id=reservation.room_id,
            max_occupants=reservation.max_occupants,
            lobby=reservation.lobby,
            opened_by=reservation.conference_opened_by,
        )
