"""Tell a deleted room's participants: `room_deleted`, then the socket closes (1000).

Rooms are deleted over REST (a room, or an event with its room) in a database
transaction; participants may only hear of it once that transaction has
committed. A rooms delete hook asks `parley.transactions` to hand the room, after
the commit, to every running hub, which publishes the event through its signaling
state, so participants on every instance receive it. A transaction that rolls
back announces nothing.

A room that *ends* (``rooms.service.end_room``: it stays, but admits nobody
again) is announced the same way: OpenTalk clients have one message for "this
room is gone for good, leave", and an ended room is that for them.
"""

from __future__ import annotations

import logging
import uuid
from typing import TYPE_CHECKING

from sqlalchemy.ext.asyncio import AsyncSession

from parley.rooms import service as rooms_service
from parley.rooms.models import Room
from parley.signaling.messages import control as control_messages
from parley.signaling.state import RoomMessage
from parley.transactions import after_commit

if TYPE_CHECKING:
    from parley.signaling.hub import SignalingHub

logger = logging.getLogger(__name__)

_hubs: set[SignalingHub] = set()


def watch(hub: SignalingHub) -> None:
    """Announce deletions to this hub's rooms while it runs."""
    _hubs.add(hub)


def unwatch(hub: SignalingHub) -> None:
    _hubs.discard(hub)


async def _announce_once_committed(session: AsyncSession, room: Room) -> None:
    room_id = room.id
    after_commit(session, lambda: _announce(room_id))


rooms_service.register_delete_hook(_announce_once_committed)


async def announce_end_once_committed(session: AsyncSession, room: Room) -> None:
    """A rooms end hook (registered by create_app): everyone in the room leaves."""
    await _announce_once_committed(session, room)


async def _announce(room_id: uuid.UUID) -> None:
    # Hubs sharing one state (several apps in one process) publish once.
    states = {id(hub.state): hub.state for hub in _hubs}
    for state in states.values():
        try:
            await state.publish(
                room_id, RoomMessage.to_room(control_messages.RoomDeleted())
            )
        except Exception:
            # The room is gone either way; its participants learn it on their next
            # request. Never let a failed announcement surface anywhere else.
            logger.exception("could not announce the deletion of room %s", room_id)
