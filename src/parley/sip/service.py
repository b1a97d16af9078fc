"""SIP config use cases: numeric credentials generated and kept unique."""

from __future__ import annotations

import secrets

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from parley.errors import NotFound
from parley.rooms.models import Room
from parley.sip.models import SipConfig
from parley.tariffs import service as tariffs_service

NUMERIC_ID_LENGTH = 10
_MAX_ID_ATTEMPTS = 8


class SipConfigNotFound(NotFound):
    default_message = "This room has no SIP config"


def random_numeric_id() -> str:
    """Ten random decimal digits (sip_id and PIN are both this shape, notes section 6)."""
    return "".join(secrets.choice("0123456789") for _ in range(NUMERIC_ID_LENGTH))


async def require_call_in(session: AsyncSession, room: Room) -> None:
    """403 feature_disabled_by_tariff when the room owner's tariff lacks call-in."""
    await tariffs_service.require_feature(session, room, "call_in")


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


async def get_sip_config_by_sip_id(
    session: AsyncSession, sip_id: str
) -> SipConfig | None:
    """The config a call-in id (``sip_id``) belongs to, if any."""
    return await session.scalar(select(SipConfig).where(SipConfig.sip_id == sip_id))


async def get_sip_config_or_raise(session: AsyncSession, room: Room) -> SipConfig:
    config = await get_sip_config(session, room)
    if config is None:
        raise SipConfigNotFound()
    return config


async def put_sip_config(
    session: AsyncSession,
    room: Room,
    *,
    password: str | None,
    lobby: bool | None,
) -> tuple[SipConfig, bool]:
    """Change the room's config, or create one (returns it and whether it is new).

    At least one of ``password`` and ``lobby`` is given (the router checks).
    A new config gets a generated PIN unless one is given and ``lobby=False``
    unless given; its ``sip_id`` is always generated, never chosen by a client.
    """
    config = await get_sip_config(session, room)
    if config is None:
        created = await create_sip_config(
            session, room, password=password, lobby=bool(lobby)
        )
        return created, True
    if password is not None:
        config.password = password
    if lobby is not None:
        config.lobby = lobby
    await session.flush()
    return config, False


async def delete_sip_config(session: AsyncSession, room: Room) -> None:
    """Remove the room's config (call-in stops working); no config is fine too."""
    await session.execute(delete(SipConfig).where(SipConfig.room_id == room.id))
