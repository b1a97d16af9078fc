"""Shapes of POST /api/v1/misc/generate-token (Sariska)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field, StrictBool, StrictFloat, StrictInt, StrictStr

from parley.schemas import RequestBody

TimeSpec = StrictInt | StrictFloat | StrictStr


class TokenUser(RequestBody):
    """The participant the token describes (`context.user`, as in Jitsi tokens)."""

    id: StrictStr | None = Field(default=None, max_length=255)
    name: StrictStr | None = Field(default=None, max_length=255)
    email: StrictStr | None = Field(default=None, max_length=255)
    avatar: StrictStr | None = Field(default=None, max_length=2048)
    moderator: StrictBool | None = None


class GenerateToken(RequestBody):
    apiKey: StrictStr = Field(max_length=256, description="An API key's secret")
    user: TokenUser | None = None
    exp: TimeSpec | None = Field(
        default=None,
        description='Expiry: a span ("24 hours"), a Unix timestamp or an ISO 8601 '
        "date-time; default PARLEY_API_TOKEN_DEFAULT_TTL_SECONDS",
        examples=["24 hours"],
    )
    nbf: TimeSpec | None = Field(
        default=None, description="Not before, in the same forms as exp; empty: none"
    )
    scope: Literal["messaging", "media", "sariska", ""] | None = Field(
        default=None, description="messaging, media, sariska, or empty"
    )


class GeneratedToken(BaseModel):
    token: str = Field(description="The signed JWT")
