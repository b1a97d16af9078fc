"""What a websocket needs to know about its participant, read once before the upgrade.

One short unit of work per connection: the room (owner, waiting-room
column), the user (name, avatar), the room owner's tariff (quotas, modules)
and, for phone callers, the SIP config's ``lobby`` flag. The runner never
touches the database afterwards.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from parley.hooks import Hooks
from parley.rooms import service as rooms_service
from parley.rooms.models import Room
from parley.signaling.messages import EventInfo, ParticipationKind, Role
from parley.signaling.messages import control as control_messages
from parley.signaling.state import ResumptionData, TicketData
from parley.sip import service as sip_service
from parley.tariffs import service as tariffs_service
from parley.tariffs.config import Tariff
from parley.users import service as users_service

# Another domain (event invites) may name a registered user's role in a room
# (notes §2.4: the invite's role, default `user`). The first answer wins.
RoleLookup = Callable[[AsyncSession, Room, uuid.UUID], Awaitable[Role | None]]
role_lookups: Hooks[RoleLookup] = Hooks("a registered user's role in a room")


# The domain that schedules rooms (events) names the room's event for
# `join_success.event_info` (notes 11.2); null without one.
EventInfoLookup = Callable[[AsyncSession, Room], Awaitable[EventInfo | None]]
event_info_lookups: Hooks[EventInfoLookup] = Hooks("the room's event, for event_info")


@dataclass(frozen=True, slots=True)
class Admission:
    """The participant behind a ticket, as of connecting."""

    ticket: TicketData
    kind: ParticipationKind
    role: Role
    user_id: uuid.UUID | None
    is_room_owner: bool
    account_name: str | None
    avatar_url: str | None
    room_waiting_room: bool
    sip_lobby: bool
    tariff: Tariff
    """The room owner's, as of connecting (notes §8.5: the room runs on it)."""
    event_info: EventInfo | None
    room_participant_limit: int | None = None
    """The room's own seat limit (``rooms.max_participants``), on top of the tariff's."""

    @property
    def room_id(self) -> uuid.UUID:
        return self.ticket.room_id

    def offers(self, namespace: str) -> bool:
        """Whether the room's tariff leaves this signaling module on (control always)."""
        return (
            namespace == control_messages.NAMESPACE
            or namespace not in self.tariff.disabled_modules
        )

    @property
    def participant_id(self) -> uuid.UUID:
        return self.ticket.participant_id


def resumption_of(ticket: TicketData) -> ResumptionData:
    """What the ticket's resumption token stands for while the session runs."""
    return ResumptionData(
        participant_id=ticket.participant_id,
        participation=ticket.participation,
        room_id=ticket.room_id,
        breakout_room=ticket.breakout_room,
    )


class ParticipantGone(Exception):
    """The ticket's user no longer exists (deleted since the start request)."""


async def admit(session: AsyncSession, ticket: TicketData) -> Admission:
    """Load the ticket's room and participant; ``RoomNotFound`` if the room is gone.

    A room that ended since the ticket was issued refuses it (403 ``room_ended``).
    """
    room = await rooms_service.get_room_or_raise(session, ticket.room_id)
    if room.ended_at is not None:
        raise rooms_service.RoomEnded()
    kind = ticket.participation.kind
    user_id = ticket.participation.user_id
    account_name = avatar_url = None
    if user_id is not None:
        user = await users_service.get_user(session, user_id)
        if user is None:
            raise ParticipantGone()
        account_name, avatar_url = user.display_name, user.avatar_url
    sip_lobby = False
    if kind is ParticipationKind.SIP:
        config = await sip_service.get_sip_config(session, room)
        sip_lobby = config is not None and config.lobby
    return Admission(
        ticket=ticket,
        kind=kind,
        role=await _role(session, room, user_id),
        user_id=user_id,
        is_room_owner=user_id is not None and user_id == room.created_by_id,
        account_name=account_name,
        avatar_url=avatar_url,
        room_waiting_room=room.waiting_room,
        sip_lobby=sip_lobby,
        tariff=await tariffs_service.tariff_for_room(session, room),
        event_info=await _event_info(session, room),
        room_participant_limit=room.max_participants,
    )


async def _event_info(session: AsyncSession, room: Room) -> EventInfo | None:
    for lookup in event_info_lookups:
        info = await lookup(session, room)
        if info is not None:
            return info
    return None


async def _role(session: AsyncSession, room: Room, user_id: uuid.UUID | None) -> Role:
    """Room owner → moderator; other users → their invite's role or user; else guest."""
    if user_id is None:
        return Role.GUEST
    if user_id == room.created_by_id:
        return Role.MODERATOR
    for lookup in role_lookups:
        role = await lookup(session, room, user_id)
        if role is not None:
            return role
    return Role.USER
