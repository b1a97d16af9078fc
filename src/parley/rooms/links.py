"""Links people follow to a room (mails, calendar entries, booking confirmations)."""

from __future__ import annotations

import uuid


def room_link(base_url: str, room_id: uuid.UUID) -> str:
    """Where participants join the room: the frontend's ``/room/{id}`` page."""
    return f"{base_url.rstrip('/')}/room/{room_id}"


def invite_link(base_url: str, invite_code: uuid.UUID) -> str:
    """Where a guest joins with an invite code: the frontend's ``/invite/{code}``."""
    return f"{base_url.rstrip('/')}/invite/{invite_code}"
