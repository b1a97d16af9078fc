"""Jitsi's shapes: the reservation protocol's conference and the dial-in answers."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from parley.compat.jitsi.models import ConferenceMapping as ConferenceMappingRow
from parley.reservations.models import Reservation
from parley.reservations.timing import format_utc_timestamp


class JitsiConference(BaseModel):
    """What Prosody's mod_reservations reads (optional keys only when set)."""

    id: int
    name: str = Field(description="The room name as Prosody sent it")
    mail_owner: str
    start_time: str = Field(examples=["2048-04-20T17:55:12.000Z"])
    duration: int = Field(description="Seconds")
    max_occupants: int | None = None
    lobby: bool | None = None
    password: str | None = None

    @classmethod
    def of(cls, conference: Reservation, *, name: str | None = None) -> JitsiConference:
        return cls(
            id=conference.id,
            name=name or conference.conference_name or conference.name,
            mail_owner=conference.mail_owner,
            start_time=format_utc_timestamp(conference.starts_at),
            duration=int(conference.duration.total_seconds()),
            max_occupants=conference.max_occupants,
            lobby=conference.lobby,
            password=conference.pin,
        )


class ConflictBody(BaseModel):
    conflict_id: int
    code: str
    message: str


class JitsiMessage(BaseModel):
    """A 4xx body; Prosody shows `message` to the user."""

    code: str
    message: str


class ConferenceMapping(BaseModel):
    message: str
    id: int
    conference: str | Literal[False] = Field(
        description="The conference JID, or false when the id maps to none"
    )
    sipUri: str | None = Field(
        default=None,
        description="`{id}@{PARLEY_JITSI_SIP_DOMAIN}` when a SIP domain is set: "
        "the address SIP endpoints call (jitsi-meet shows it)",
        examples=["1234567890@sip.example.com"],
    )

    @classmethod
    def found(
        cls, mapping: ConferenceMappingRow, sip_domain: str | None
    ) -> ConferenceMapping:
        return cls(
            message="Successfully retrieved conference mapping",
            id=mapping.id,
            conference=mapping.conference,
            sipUri=f"{mapping.id}@{sip_domain}" if sip_domain else None,
        )


class PhoneNumber(BaseModel):
    countryCode: str
    formattedNumber: str
    tollFree: bool
    default: bool


class LegacyPhoneNumbers(BaseModel):
    """The older, deprecated form jitsi-meet still reads."""

    message: str
    numbers: dict[str, list[str]]
    numbersEnabled: bool
