"""Shared Pydantic bases."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class Schema(BaseModel):
    """Response models: built from ORM objects."""

    model_config = ConfigDict(from_attributes=True)


class RequestBody(BaseModel):
    """Request bodies: strict types; unknown fields are ignored, as the controller does.

    The controller's serde bodies skip fields they do not know, and its clients (the
    OpenTalk web app) send fields of newer versions; refusing them would refuse those
    clients (docs/decisions.md, "Unknown request fields").
    """

    model_config = ConfigDict(extra="ignore")
