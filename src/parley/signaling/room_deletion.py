"""Tell a deleted room's participants: `room_deleted`, then the socket closes (1000).

Rooms are deleted over REST (a room, or an event with its room) in a database
transaction; participants may only hear of it once that transaction has
committed. A rooms delete hook notes the room on the session, and SQLAlchemy's
``after_commit`` hands it to every running hub, which publishes the event through
its signaling state, so participants on every instance receive it. A transaction
that rolls back announces nothing.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from typing import TYPE_CHECKING, Final

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session, SessionTransaction

from parley.rooms import service as rooms_service
from parley.rooms.models import Room
from parley.signaling.messages import control as control_messages
from parley.signaling.state import RoomMessage, SignalingState

if TYPE_CHECKING:
    from parley.signaling.hub import SignalingHub

logger = logging.getLogger(__name__)

_DELETED_ROOMS: Final = "parley.signaling.deleted_rooms"

_hubs: dict[SignalingHub, asyncio.AbstractEventLoop] = {}
_announcing: set[asyncio.Task[None]] = set()


def watch(hub: SignalingHub) -> None:
    """Announce deletions to this hub's rooms while it runs."""
    _hubs[hub] = asyncio.get_running_loop()


def unwatch(hub: SignalingHub) -> None:
    _hubs.pop(hub, None)


async def _note_deleted(session: AsyncSession, room: Room) -> None:
    session.sync_session.info.setdefault(_DELETED_ROOMS, set()).add(room.id)


rooms_service.register_delete_hook(_note_deleted)


@event.listens_for(Session, "after_commit")
def _announce_after_commit(session: Session) -> None:
    room_ids: set[uuid.UUID] | None = session.info.pop(_DELETED_ROOMS, None)
    if not room_ids:
        return
    # Hubs sharing one state (several apps in one process) publish once.
    by_state: dict[int, tuple[SignalingState, asyncio.AbstractEventLoop]] = {
        id(hub.state): (hub.state, loop) for hub, loop in _hubs.items()
    }
    for state, loop in by_state.values():
        if not loop.is_closed():
            loop.call_soon_threadsafe(_start_announcing, state, frozenset(room_ids))


@event.listens_for(Session, "after_transaction_end")
def _forget_unless_committed(session: Session, transaction: SessionTransaction) -> None:
    if transaction.parent is None:
        session.info.pop(_DELETED_ROOMS, None)


def _start_announcing(state: SignalingState, room_ids: frozenset[uuid.UUID]) -> None:
    task = asyncio.get_running_loop().create_task(_announce(state, room_ids))
    _announcing.add(task)
    task.add_done_callback(_announcing.discard)


async def _announce(state: SignalingState, room_ids: frozenset[uuid.UUID]) -> None:
    for room_id in room_ids:
        try:
            await state.publish(
                room_id, RoomMessage.to_room(control_messages.RoomDeleted())
            )
        except Exception:
            # The room is gone either way; its participants learn it on their next
            # request. Never let a failed announcement surface anywhere else.
            logger.exception("could not announce the deletion of room %s", room_id)
