"""Imports every ORM model so Base.metadata is complete (Alembic, tests)."""

from parley.assets.models import Asset
from parley.db import Base
from parley.invites.models import Invite
from parley.rooms.models import Room
from parley.sip.models import SipConfig
from parley.streaming.models import RoomStreamingTarget
from parley.users.models import User

__all__ = [
    "Asset",
    "Base",
    "Invite",
    "Room",
    "RoomStreamingTarget",
    "SipConfig",
    "User",
]
