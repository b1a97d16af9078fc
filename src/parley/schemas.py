"""Shared Pydantic bases."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class Schema(BaseModel):
    """Response models: built from ORM objects."""

    model_config = ConfigDict(from_attributes=True)


class RequestBody(BaseModel):
    """Request bodies: unknown fields are rejected, as the spec's additionalProperties: false."""

    model_config = ConfigDict(extra="forbid")
