"""``control`` commands: join, enter_room, hands, moderator role (notes §2.2-2.4, §11.2)."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import TypeVar

from pydantic import BaseModel

from parley.signaling import participants
from parley.signaling.context import Context, Status
from parley.signaling.messages import (
    InvalidDisplayName,
    ParticipationKind,
    Role,
    normalize_display_name,
    utc_now,
)
from parley.signaling.messages import chat as chat_messages
from parley.signaling.messages import control as ev
from parley.signaling.messages import moderation as mod
from parley.signaling.messages.control import ControlErrorCode as Code
from parley.signaling.modules import chat, moderation
from parley.signaling.modules.updates import publish_update, set_hand_of
from parley.signaling.state import ParticipantLimit, RoomFlag, RoomMessage
from parley.tariffs import service as tariffs_service
from parley.tariffs.config import ROOM_PARTICIPANT_LIMIT, ROOM_TIME_LIMIT_SECS

T = TypeVar("T")


async def handle(ctx: Context, command: BaseModel) -> None:
    """Run one parsed ``control`` command (a member of ``ControlCommand``)."""
    match command:
        case ev.Join():
            await join(ctx, command)
        case ev.EnterRoom():
            await enter_room(ctx)
        case ev.RaiseHand():
            await set_hand(ctx, up=True)
        case ev.LowerHand():
            await set_hand(ctx, up=False)
        case ev.GrantModeratorRole(target=target):
            await set_moderator(ctx, target, grant=True)
        case ev.RevokeModeratorRole(target=target):
            await set_moderator(ctx, target, grant=False)


async def error(ctx: Context, code: Code) -> None:
    await ctx.send(ev.ControlError(error=code))


async def join(ctx: Context, command: ev.Join) -> None:
    """Enter the room, or its waiting room when that applies to this participant."""
    if ctx.status is not Status.NEW:
        await error(ctx, Code.ALREADY_JOINED)
        return
    admission = ctx.admission
    requested = command.display_name
    if admission.account_name and not (requested or "").strip():
        # A registered user who sends no name gets the account's name.
        requested = admission.account_name
    try:
        display_name = normalize_display_name(requested)
    except InvalidDisplayName:
        await error(ctx, Code.INVALID_USERNAME)
        return
    ctx.stored = participants.new_state(
        display_name=display_name,
        role=ctx.role,
        kind=admission.kind,
        avatar_url=admission.avatar_url,
        is_room_owner=admission.is_room_owner,
        user_id=admission.user_id,
        now=utc_now(),
    )
    if await _must_wait(ctx):
        await _enter_waiting_room(ctx)
    else:
        await join_room(ctx)


async def _must_wait(ctx: Context) -> bool:
    """Non-moderators wait while the waiting room (or, for phones, the lobby) is on.

    Accepted participants that reconnect with their id skip it (bypass).
    """
    admission = ctx.admission
    # The room's flag starts from the room's column on the first join (SET NX).
    enabled = await ctx.state.set_room_flag_if_absent(
        ctx.room_id, RoomFlag.WAITING_ROOM_ENABLED, admission.room_waiting_room
    )
    if ctx.role is Role.MODERATOR or admission.kind is ParticipationKind.RECORDER:
        return False
    lobby = admission.kind is ParticipationKind.SIP and admission.sip_lobby
    if not (enabled or lobby):
        return False
    return not await ctx.state.has_waiting_room_bypass(ctx.participant_id)


async def _enter_waiting_room(ctx: Context) -> None:
    await ctx.subscribe()
    # The waiting room takes a seat: checked here, not again on enter_room.
    if not await ctx.state.enter_waiting_room(
        ctx.room_id, ctx.participant_id, ctx.stored, limit=_participant_limit(ctx)
    ):
        await _blocked(ctx)
        return
    ctx.status = Status.WAITING
    await ctx.send(mod.InWaitingRoom())
    entered = mod.JoinedWaitingRoom(
        id=ctx.participant_id, control=participants.control_data(ctx.stored)
    )
    await ctx.publish(RoomMessage.to_room(entered, exclude=(ctx.participant_id,)))


async def enter_room(ctx: Context) -> None:
    """Leave the waiting room for the room, once a moderator accepted."""
    if ctx.status is not Status.ACCEPTED:
        await error(ctx, Code.NOT_ACCEPTED_OR_NOT_IN_WAITING_ROOM)
        return
    left = mod.LeftWaitingRoom(id=ctx.participant_id)
    await ctx.publish(RoomMessage.to_room(left, exclude=(ctx.participant_id,)))
    await join_room(ctx, from_waiting_room=True)


def _participant_limit(ctx: Context) -> ParticipantLimit | None:
    """The seats as they apply to this participant (notes §11.2).

    The smaller of the tariff's ``room_participant_limit`` and the room's own
    limit. Recorders take no seat; a moderator gets in while no other moderator
    is in the room, so a full room never locks out its host.
    """
    limits = [
        limit
        for limit in (
            ctx.admission.tariff.quota(ROOM_PARTICIPANT_LIMIT),
            ctx.admission.room_participant_limit,
        )
        if limit is not None
    ]
    if not limits or ctx.admission.kind is ParticipationKind.RECORDER:
        return None
    limit = min(limits)
    return ParticipantLimit(limit, waived_without_moderator=ctx.role is Role.MODERATOR)


def _closes_at(ctx: Context, now: datetime) -> datetime | None:
    """When the room closes if this join starts its session (``room_time_limit_secs``)."""
    seconds = ctx.admission.tariff.quota(ROOM_TIME_LIMIT_SECS)
    if seconds is None:
        return None
    try:
        return now + timedelta(seconds=seconds)
    except OverflowError:  # past the year 9999: no limit in practice
        return None


async def _blocked(ctx: Context) -> None:
    """The room is full: tell the joiner, who stays connected and may try again."""
    reason = ev.JoinBlockedReason.PARTICIPANT_LIMIT_REACHED
    await ctx.send(ev.JoinBlocked(reason=reason))


async def _join_data(
    ctx: Context, namespace: str, read: Callable[[Context], Awaitable[T]]
) -> T | None:
    """A module's ``join_success`` key; none when the room's tariff disables it."""
    return await read(ctx) if ctx.admission.offers(namespace) else None


async def join_room(ctx: Context, *, from_waiting_room: bool = False) -> None:
    """Join: ``join_success`` to the joiner, then ``joined`` to everyone else.

    A full room answers ``join_blocked`` instead; coming from the waiting room
    the seat is already taken. The join that starts the room's session sets
    when it closes (``closes_at``); every joined participant is closed then.
    """
    await ctx.subscribe()
    me = ctx.participant_id
    ctx.stored["left_at"] = None
    outcome = await ctx.state.join_room(
        ctx.room_id,
        me,
        ctx.stored,
        limit=None if from_waiting_room else _participant_limit(ctx),
        closes_at=_closes_at(ctx, utc_now()),
    )
    if not outcome.admitted:
        await _blocked(ctx)
        return
    # Independent reads, concurrently: with Redis each is a round trip.
    everyone, moderation_data, chat_data = await asyncio.gather(
        ctx.state.list_participants(ctx.room_id),
        _join_data(ctx, mod.NAMESPACE, moderation.join_data),
        _join_data(ctx, chat_messages.NAMESPACE, chat.join_data),
    )
    others = [
        view
        for pid, stored in everyone.items()
        if pid != me and (view := participants.view(pid, stored)) is not None
    ]
    control = participants.control_data(ctx.stored)
    await ctx.send(
        ev.JoinSuccess(
            id=me,
            display_name=control.display_name,
            avatar_url=control.avatar_url,
            role=ctx.role,
            closes_at=outcome.closes_at,
            tariff=_tariff(ctx),
            participants=others,
            event_info=ctx.admission.event_info,
            is_room_owner=ctx.admission.is_room_owner,
            moderation=moderation_data,
            chat=chat_data,
        )
    )
    ctx.status = Status.JOINED
    if outcome.closes_at is not None:
        ctx.arm_time_limit(outcome.closes_at)
    ctx.remember_listed(others)
    own_view = participants.view(me, ctx.stored)
    if own_view is not None:
        joined = ev.Joined.model_validate(own_view.model_dump())
        await ctx.publish(RoomMessage.to_room(joined, exclude=(me,)))


def _tariff(ctx: Context) -> ev.Tariff:
    """The room owner's tariff, as ``GET /rooms/{id}/tariff`` shows it."""
    resource = tariffs_service.tariff_resource(ctx.admission.tariff)
    return ev.Tariff.model_validate(resource.model_dump(mode="json"))


async def set_hand(ctx: Context, *, up: bool) -> None:
    if ctx.status is not Status.JOINED:
        await error(ctx, Code.NOT_YET_JOINED)
        return
    flag = RoomFlag.RAISE_HANDS_ENABLED
    if up and await ctx.state.get_room_flag(ctx.room_id, flag) is False:
        await error(ctx, Code.RAISE_HANDS_DISABLED)
        return
    await set_hand_of(ctx, ctx.participant_id, up=up)
    await ctx.send(ev.HandRaised() if up else ev.HandLowered())
    await publish_update(ctx, ctx.participant_id)


async def set_moderator(ctx: Context, target: uuid.UUID, *, grant: bool) -> None:
    """Grant or revoke the moderator role; errors in the reference's order."""
    if ctx.status is not Status.JOINED:
        await error(ctx, Code.NOT_YET_JOINED)
        return
    if ctx.role is not Role.MODERATOR:
        await error(ctx, Code.INSUFFICIENT_PERMISSIONS)
        return
    stored = await ctx.state.get_participant(ctx.room_id, target)
    if stored is None or not participants.is_active(stored):
        await error(ctx, Code.NOTHING_TO_DO)
        return
    if (stored.get("role") == Role.MODERATOR.value) == grant:
        await error(ctx, Code.NOTHING_TO_DO)
        return
    if stored.get("is_room_owner") is True:
        await error(ctx, Code.TARGET_IS_ROOM_OWNER)
        return
    if grant:
        new_role = Role.MODERATOR
    elif participants.kind_of(stored) is ParticipationKind.USER:
        new_role = Role.USER
    else:
        new_role = Role.GUEST
    await ctx.state.update_participant(ctx.room_id, target, {"role": new_role.value})
    await ctx.publish(
        RoomMessage.to_participant(target, ev.RoleUpdated(new_role=new_role))
    )
    await publish_update(ctx, target)
