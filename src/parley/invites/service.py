"""Invite code use cases: create, list, change, deactivate, verify."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from sqlalchemy import ColumnElement, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import joinedload
from sqlalchemy.orm.interfaces import LoaderOption

from parley.errors import NotFound, ValidationFailed
from parley.invites.models import Invite
from parley.invites.schemas import NewInviteCode, UpdateInviteCode
from parley.pagination import PageParams, fetch_page
from parley.rooms.models import Room


class InviteNotFound(NotFound):
    default_message = "The invite code could not be found"


class UnusableInviteCode(InviteNotFound):
    """An invite code presented as a credential is unknown, expired or revoked."""

    login_failure = "invite_code"


def parse_invite_code(text: str, *, field: str = "invite_code") -> uuid.UUID:
    """Invite codes are UUIDs; anything else is a 422 naming the field."""
    try:
        return uuid.UUID(text)
    except ValueError:
        raise ValidationFailed.for_field(
            field, "invalid_value", "Not a valid invite code"
        ) from None


def _with_users() -> tuple[LoaderOption, ...]:
    return (joinedload(Invite.created_by), joinedload(Invite.updated_by))


async def create_invite(
    session: AsyncSession, *, room: Room, created_by_id: uuid.UUID, data: NewInviteCode
) -> Invite:
    invite = Invite(
        room_id=room.id,
        created_by_id=created_by_id,
        updated_by_id=created_by_id,
        expiration=data.expiration,
    )
    session.add(invite)
    await session.flush()
    return await get_room_invite_or_raise(session, room.id, invite.id)


async def guest_invite_for(
    session: AsyncSession,
    room: Room,
    *,
    created_by_id: uuid.UUID,
    valid_until: datetime | None,
) -> Invite:
    """An invite code of ``created_by_id`` that admits guests until ``valid_until``.

    Reuses an active code of theirs for the room that lasts long enough (None:
    for good), else makes one expiring then; mails to e-mail invitees carry it.
    """
    lasts: ColumnElement[bool] = Invite.expiration.is_(None)
    if valid_until is not None:
        lasts = or_(lasts, Invite.expiration >= valid_until)
    found = await session.scalar(
        select(Invite)
        .where(
            Invite.room_id == room.id,
            Invite.created_by_id == created_by_id,
            Invite.active.is_(True),
            lasts,
        )
        .order_by(Invite.created_at, Invite.id)
        .limit(1)
    )
    if found is not None:
        return found
    return await create_invite(
        session,
        room=room,
        created_by_id=created_by_id,
        data=NewInviteCode(expiration=valid_until),
    )


async def get_room_invite_or_raise(
    session: AsyncSession, room_id: uuid.UUID, invite_id: uuid.UUID
) -> Invite:
    invite = await session.scalar(
        select(Invite)
        .where(Invite.id == invite_id, Invite.room_id == room_id)
        .options(*_with_users())
        .execution_options(populate_existing=True)
    )
    if invite is None:
        raise InviteNotFound()
    return invite


async def list_room_invites(
    session: AsyncSession, room: Room, page: PageParams
) -> tuple[list[Invite], int]:
    statement = (
        select(Invite)
        .where(Invite.room_id == room.id)
        .options(*_with_users())
        .order_by(Invite.created_at, Invite.id)
    )
    return await fetch_page(session, statement, page)


async def update_invite(
    session: AsyncSession,
    invite: Invite,
    *,
    updated_by_id: uuid.UUID,
    data: UpdateInviteCode,
) -> Invite:
    invite.expiration = data.expiration
    invite.updated_by_id = updated_by_id
    invite.updated_at = datetime.now(UTC)
    await session.flush()
    return await get_room_invite_or_raise(session, invite.room_id, invite.id)


async def deactivate_invite(
    session: AsyncSession, invite: Invite, *, updated_by_id: uuid.UUID
) -> None:
    """Deleting an invite deactivates it, as the reference does; it stays listed."""
    invite.active = False
    invite.updated_by_id = updated_by_id
    invite.updated_at = datetime.now(UTC)
    await session.flush()


async def get_usable_invite(
    session: AsyncSession, invite_id: uuid.UUID
) -> Invite | None:
    """The invite if it is active and unexpired, else None."""
    invite = await session.get(Invite, invite_id)
    if invite is None or not invite.is_usable(datetime.now(UTC)):
        return None
    return invite


async def first_usable_invite(
    session: AsyncSession, room_id: uuid.UUID, now: datetime
) -> Invite | None:
    """The room's oldest active, unexpired invite: the guest link meeting details show."""
    return await session.scalar(
        select(Invite)
        .where(
            Invite.room_id == room_id,
            Invite.active.is_(True),
            or_(Invite.expiration.is_(None), Invite.expiration > now),
        )
        .order_by(Invite.created_at, Invite.id)
        .limit(1)
    )


async def verify_invite(session: AsyncSession, code: str) -> tuple[Invite, Room]:
    """The usable invite and its room, or 404."""
    invite = await get_usable_invite(session, parse_invite_code(code))
    if invite is None:
        raise UnusableInviteCode()
    room = await session.get(Room, invite.room_id)
    if room is None:
        raise InviteNotFound()
    return invite, room
