"""Imports every ORM model so Base.metadata is complete (Alembic, tests)."""

from parley.apikeys.models import ApiKey
from parley.assets.models import Asset
from parley.auth.provider.models import (
    AuthorizationCode,
    LocalAccount,
    RefreshToken,
    SignInSession,
    TokenGrant,
)
from parley.booking.models import Booking, BookingProfile
from parley.calendar.models import CalendarFeed
from parley.compat.easycalendar.models import EasyCalendarMeeting
from parley.compat.jitsi.models import ConferenceMapping
from parley.db import Base
from parley.events.models import (
    Event,
    EventEmailInvite,
    EventException,
    EventFavorite,
    EventInvite,
)
from parley.invites.models import Invite
from parley.mail.models import OutboxMail
from parley.reservations.models import Reservation
from parley.rooms.models import Room, RoomAuthorization
from parley.shared_folders.models import EventSharedFolder
from parley.sip.models import SipConfig
from parley.streaming.models import RoomStreamingTarget
from parley.users.models import User

__all__ = [
    "ApiKey",
    "Asset",
    "AuthorizationCode",
    "Base",
    "Booking",
    "BookingProfile",
    "CalendarFeed",
    "ConferenceMapping",
    "EasyCalendarMeeting",
    "Event",
    "EventEmailInvite",
    "EventException",
    "EventFavorite",
    "EventInvite",
    "EventSharedFolder",
    "Invite",
    "LocalAccount",
    "OutboxMail",
    "RefreshToken",
    "Reservation",
    "Room",
    "RoomAuthorization",
    "RoomStreamingTarget",
    "SignInSession",
    "SipConfig",
    "TokenGrant",
    "User",
]
