"""Tell a deleted room's participants: `room_deleted`, then the socket closes (1000).

Rooms are deleted over REST (a room, or an event with its room) in a database
transaction; participants may only hear of it once that transaction has
committed. :func:`announce_once_committed` (a rooms delete hook, added by
:mod:`parley.wiring`) asks `parley.transactions` to publish the event, after the
commit, through the signaling state of every running hub, so participants on
every instance receive it. A transaction that rolls back announces nothing.

A room that *ends* (``rooms.service.end_room``: it stays, but admits nobody
again) is announced the same way (:func:`announce_end_once_committed`, a rooms
end hook): OpenTalk clients have one message for "this room is gone for good,
leave", and an ended room is that for them.
"""

from __future__ import annotations

import logging
import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from parley.rooms.models import Room
from parley.signaling.messages import control as control_messages
from parley.signaling.state import RoomMessage, SignalingState
from parley.transactions import after_commit

logger = logging.getLogger(__name__)

# The states of the hubs running in this process, once per hub (several apps in
# tests may share one state).
_watched: list[SignalingState] = []


def watch(state: SignalingState) -> None:
    """Announce deletions through this state while its hub runs."""
    _watched.append(state)


def unwatch(state: SignalingState) -> None:
    if state in _watched:
        _watched.remove(state)


async def announce_once_committed(session: AsyncSession, room: Room) -> None:
    room_id = room.id
    after_commit(session, lambda: _announce(room_id))


async def announce_end_once_committed(session: AsyncSession, room: Room) -> None:
    """A rooms end hook (added by parley.wiring): everyone in the room leaves."""
    await announce_once_committed(session, room)


async def _announce(room_id: uuid.UUID) -> None:
    # Hubs sharing one state publish once.
    states = {id(state): state for state in _watched}
    for state in states.values():
        try:
            await state.publish(
                room_id, RoomMessage.to_room(control_messages.RoomDeleted())
            )
        except Exception:
            # The room is gone either way; its participants learn it on their next
            # request. Never let a failed announcement surface anywhere else.
            logger.exception("could not announce the deletion of room %s", room_id)
