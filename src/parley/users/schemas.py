from __future__ import annotations

import uuid
from typing import Literal

from pydantic import Field, StrictStr

from parley.schemas import RequestBody, Schema


class PublicUserProfile(Schema):
    """User information accessible to all other users."""

    id: uuid.UUID
    email: str
    title: str
    firstname: str
    lastname: str
    display_name: str
    avatar_url: str


class PrivateUserProfile(PublicUserProfile):
    """User information only accessible to its owner."""

    dashboard_theme: str
    conference_theme: str
    language: str
    tariff_status: Literal["default", "paid", "downgraded"]
    used_storage: int


class UserFindResponseItem(PublicUserProfile):
    kind: Literal["registered"] = "registered"


class PatchUserBody(RequestBody):
    """Fields of the current user's settings; at least one must be given."""

    title: StrictStr | None = Field(default=None, max_length=255)
    display_name: StrictStr | None = Field(default=None, min_length=1, max_length=255)
    language: StrictStr | None = Field(default=None, max_length=35)
    dashboard_theme: StrictStr | None = Field(default=None, max_length=128)
    conference_theme: StrictStr | None = Field(default=None, max_length=128)
