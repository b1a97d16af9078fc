"""Videsk VPaaS room shapes (camelCase, dates as `2024-08-14T18:00:00.000Z`)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from pydantic import (
    BaseModel,
    Field,
    StrictBool,
    StrictStr,
    field_validator,
)

from parley.schemas import RequestBody

Text = Annotated[StrictStr, Field(min_length=1, max_length=255)]
Moment = Annotated[StrictStr, Field(max_length=64)]


def parse_moment(value: str, field: str) -> datetime:
    """An ISO 8601 date-time with `Z` or an offset, as UTC; ValueError naming ``field``."""
    try:
        moment = datetime.fromisoformat(value.strip())
    except ValueError:
        raise ValueError(
            f"{field} must be an ISO 8601 date-time like 2024-08-14T18:00:00.000Z"
        ) from None
    if moment.tzinfo is None:
        raise ValueError(f"{field} needs a time zone (Z or an offset)")
    if not 1970 <= moment.year <= 9998:
        raise ValueError(f"{field} must be between the years 1970 and 9998")
    return moment.astimezone(UTC)


def iso(moment: datetime | None) -> str | None:
    """JavaScript's `toISOString()`: milliseconds and `Z`."""
    if moment is None:
        return None
    utc = moment.astimezone(UTC)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"


class RoomConfig(RequestBody):
    maxParticipants: Annotated[int, Field(strict=True, ge=1, le=10_000)] | None = None
    recordingEnabled: StrictBool = True


class _Window(RequestBody):
    exp: Moment | None = Field(default=None, examples=["2024-08-14T18:00:00.000Z"])
    nbf: Moment | None = Field(default=None, examples=["2024-08-14T15:00:00.000Z"])

    @field_validator("exp", "nbf")
    @classmethod
    def _moment(cls, value: str | None, info: Any) -> str | None:
        if value is not None:
            parse_moment(value, info.field_name)
        return value


class RoomCreate(_Window):
    """Body of POST /vpaas/rooms; every field may be left out."""

    externalId: Text | None = Field(default=None, examples=["standup-2024-08-14"])
    name: Text | None = Field(default=None, examples=["Team standup meeting"])
    config: RoomConfig | None = None


class RoomPatch(_Window):
    """Body of PATCH /vpaas/rooms/{idOrExternalId}."""

    generateToken: StrictBool | None = False
    ended: StrictBool | None = None
    name: Text | None = None


class JoinBody(RequestBody):
    """Body of POST /vpaas/rooms/{idOrExternalId}/join: nothing yet (`{}`)."""


class Authorization(BaseModel):
    ip: str
    jti: str
    createdAt: str


class RoomRead(BaseModel):
    id: str
    name: str
    externalId: str
    exp: str | None
    nbf: str | None
    authorizations: list[Authorization]
    ended: bool
    config: RoomConfig
    createdAt: str


class RoomWithToken(RoomRead):
    accessToken: str | None = None


class RoomPage(BaseModel):
    total: int
    limit: int
    skip: int
    data: list[RoomRead]


class AccessToken(BaseModel):
    accessToken: str
