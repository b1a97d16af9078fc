"""Imports every ORM model so Base.metadata is complete (Alembic, tests)."""

from parley.apikeys.models import ApiKey
from parley.compat.jitsi.models import ConferenceMapping
from parley.db import Base
from parley.invites.models import Invite
from parley.reservations.models import Reservation
from parley.rooms.models import Room
from parley.sip.models import SipConfig
from parley.users.models import User

__all__ = [
    "ApiKey",
    "Base",
    "ConferenceMapping",
    "Invite",
    "Reservation",
    "Room",
    "SipConfig",
    "User",
]
