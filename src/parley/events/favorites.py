"""Favorites: events on a user's list (PUT/DELETE /users/me/event_favorites/{id})."""

from __future__ import annotations

import uuid

from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncSession

from parley.events.errors import EventNotFound
from parley.events.invites import insert_once
from parley.events.models import Event, EventFavorite


async def add_favorite(session: AsyncSession, event: Event, user_id: uuid.UUID) -> bool:
    """Put the event on the user's favorites; False when it already was."""
    existing = await session.get(EventFavorite, (user_id, event.id))
    if existing is not None:
        return False
    return await insert_once(session, EventFavorite(user_id=user_id, event_id=event.id))


async def remove_favorite(
    session: AsyncSession, event_id: uuid.UUID, user_id: uuid.UUID
) -> None:
    """Take the event off the user's favorites; 404 when it was not on them."""
    result = await session.execute(
        delete(EventFavorite).where(
            EventFavorite.user_id == user_id, EventFavorite.event_id == event_id
        )
    )
    if not result.rowcount:  # type: ignore[attr-defined]
        raise EventNotFound("The event is not among your favorites")
