"""Imports every ORM model so Base.metadata is complete (Alembic, tests)."""

from parley.booking.models import Booking, BookingProfile
from parley.db import Base
from parley.events.models import (
    Event,
    EventEmailInvite,
    EventException,
    EventFavorite,
    EventInvite,
)
from parley.invites.models import Invite
from parley.rooms.models import Room
from parley.sip.models import SipConfig
from parley.users.models import User

__all__ = [
    "Base",
    "Booking",
    "BookingProfile",
    "Event",
    "EventEmailInvite",
    "EventException",
    "EventFavorite",
    "EventInvite",
    "Invite",
    "Room",
    "SipConfig",
    "User",
]
