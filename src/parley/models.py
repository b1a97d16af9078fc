"""Imports every ORM model so Base.metadata is complete (Alembic, tests)."""

from parley.db import Base
from parley.invites.models import Invite
from parley.rooms.models import Room
from parley.sip.models import SipConfig
from parley.users.models import User

__all__ = ["Base", "Invite", "Room", "SipConfig", "User"]
