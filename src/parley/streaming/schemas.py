from __future__ import annotations

import uuid
from typing import Annotated, Literal

from pydantic import (
    AfterValidator,
    AnyUrl,
    Field,
    StrictStr,
    UrlConstraints,
    field_validator,
)

from parley.schemas import RequestBody, Schema

MAX_URL_LENGTH = 2048


def _stored_length(url: AnyUrl) -> str:
    # Normalisation (percent-encoding, punycode) can lengthen a URL; the column cannot.
    text = str(url)
    if len(text) > MAX_URL_LENGTH:
        raise ValueError(f"URL should have at most {MAX_URL_LENGTH} characters")
    return text


StreamingUrl = Annotated[
    AnyUrl,
    UrlConstraints(
        max_length=MAX_URL_LENGTH,
        allowed_schemes=["rtmp", "rtmps", "http", "https"],
        host_required=True,
    ),
    AfterValidator(_stored_length),
]
TargetName = Annotated[StrictStr, Field(min_length=1, max_length=255)]
StreamingKey = Annotated[StrictStr, Field(max_length=1024)]


class StreamingTargetBody(RequestBody):
    """The spec's StreamingTarget: a new target (kind `custom`)."""

    name: TargetName
    kind: Literal["custom"]
    streaming_endpoint: StreamingUrl = Field(
        description="Ingest URL (rtmp, rtmps, http or https)"
    )
    streaming_key: StreamingKey
    public_url: StreamingUrl = Field(description="Where viewers watch the stream")


class UpdateStreamingTargetBody(RequestBody):
    """The spec's UpdateStreamingTarget: the fields to change, at least one."""

    name: TargetName | None = None
    kind: Literal["custom"] | None = None
    streaming_endpoint: StreamingUrl | None = None
    streaming_key: StreamingKey | None = None
    public_url: StreamingUrl | None = None

    @field_validator(
        "name", "kind", "streaming_endpoint", "streaming_key", "public_url"
    )
    @classmethod
    def _not_null(cls, value: object) -> object:
        # Runs for given values only: every field of a target is required, so an
        # explicit null cannot be its new value.
        if value is None:
            raise ValueError("must not be null")
        return value


class RoomStreamingTargetRead(Schema):
    """The spec's RoomStreamingTarget. `streaming_key` only for the room's owner."""

    id: uuid.UUID
    name: str
    kind: Literal["custom"]
    streaming_endpoint: str
    streaming_key: str | None = Field(
        default=None, description="Only present for those who may manage the room"
    )
    public_url: str
