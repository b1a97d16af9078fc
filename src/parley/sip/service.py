"""SIP config use cases: numeric credentials generated and kept unique."""

from __future__ import annotations

import secrets

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from parley.rooms.models import Room
from parley.sip.models import SipConfig

NUMERIC_ID_LENGTH = 10
_MAX_ID_ATTEMPTS = 8


def random_numeric_id() -> str:
    """Ten random decimal digits (sip_id and PIN are both this shape, notes section 6)."""
    return "".join(secrets.choice("0123456789") for _ in range(NUMERIC_ID_LENGTH))


async def get_sip_config(session: AsyncSession, room: Room) -> SipConfig | None:
    return await session.scalar(select(SipConfig).where(SipConfig.room_id == room.id))


async def create_sip_config(
    session: AsyncSession,
    room: Room,
    *,
    password: str | None = None,
    lobby: bool = False,
) -> SipConfig:
    """A new SIP config for the room with a fresh unique sip_id."""
    for _ in range(_MAX_ID_ATTEMPTS):
        config = SipConfig(
            room_id=room.id,
            sip_id=random_numeric_id(),
            password=password or random_numeric_id(),
            lobby=lobby,
        )
        try:
            async with session.begin_nested():
                session.add(config)
        except IntegrityError:
            # sip_id collided with an existing one (1 in 10^10 per room): draw again.
            continue
        return config
    raise RuntimeError("could not draw a unique sip_id")
