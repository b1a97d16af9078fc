"""``control``: join, enter_room, hands, moderator role (notes §2.2-2.4, §11.2)."""

from __future__ import annotations

import asyncio
import uuid
from datetime import datetime, timedelta
from typing import ClassVar, Final

from pydantic import BaseModel

from parley.signaling import participants
from parley.signaling.context import Context, Status
from parley.signaling.messages import (
    InvalidDisplayName,
    Participant,
    ParticipationKind,
    Role,
    format_timestamp,
    normalize_display_name,
    utc_now,
)
from parley.signaling.messages import control as ev
from parley.signaling.messages import moderation as mod
from parley.signaling.messages.control import ControlErrorCode as Code
from parley.signaling.modules.base import SignalingModule
from parley.signaling.modules.updates import publish_update, set_hand_of
from parley.signaling.state import (
    Departure,
    ParticipantLimit,
    PresenceStatus,
    RoomFlag,
    RoomMessage,
)
from parley.tariffs import service as tariffs_service
from parley.tariffs.config import ROOM_PARTICIPANT_LIMIT, ROOM_TIME_LIMIT_SECS

CLOSE_NORMAL: Final = 1000


class ControlModule(SignalingModule):
    """The protocol's own namespace: always on, and the only one before ``join``."""

    namespace: ClassVar[str] = ev.NAMESPACE
    commands_before_joining: ClassVar[bool] = True

    def __init__(self, ctx: Context) -> None:
        super().__init__(ctx)
        # Participants join_success listed, by their joined_at: their `joined`
        # may still be on its way and must not be shown twice.
        self._listed: dict[uuid.UUID, str] = {}

    @classmethod
    def available(cls, ctx: Context) -> bool:
        return True

    async def handle(self, command: BaseModel) -> None:
        ctx = self.ctx
        match command:
            case ev.Join():
                self._remember(await join(ctx, command))
            case ev.EnterRoom():
                self._remember(await enter_room(ctx))
            case ev.RaiseHand():
                await set_hand(ctx, up=True)
            case ev.LowerHand():
                await set_hand(ctx, up=False)
            case ev.GrantModeratorRole(target=target):
                await set_moderator(ctx, target, grant=True)
            case ev.RevokeModeratorRole(target=target):
                await set_moderator(ctx, target, grant=False)

    def _remember(self, listed: list[Participant] | None) -> None:
        if listed is not None:
            self._listed = {p.id: format_timestamp(p.control.joined_at) for p in listed}

    def receives_before_joining(self, message: RoomMessage) -> bool:
        # Everyone hears room_deleted, waiting participants too.
        return message.addressed or message.kind == "room_deleted"

    async def on_room_message(self, message: RoomMessage) -> bool:
        if message.namespace != ev.NAMESPACE:
            return True
        match message.kind:
            case "room_deleted":
                self.ctx.request_close(CLOSE_NORMAL)
            case "joined":
                return not self._already_listed(message)
            case "role_updated" if message.addressed:
                self.ctx.role = Role(str(message.field("new_role")))
        return True

    def _already_listed(self, message: RoomMessage) -> bool:
        try:
            pid = uuid.UUID(str(message.field("id")))
        except ValueError:
            return False
        listed_at = self._listed.pop(pid, None)
        control_data = message.field("control")
        joined_at = (
            control_data.get("joined_at") if isinstance(control_data, dict) else None
        )
        return listed_at is not None and listed_at == joined_at

    async def on_leave(self, departure: Departure | None) -> None:
        """Tell the others (``left``), unless the room closed with this departure."""
        if departure is None or departure.room_closed:
            return
        if departure.previous is not PresenceStatus.JOINED:
            return
        if self.ctx.admission.kind is ParticipationKind.RECORDER:
            return  # recorders are invisible; nobody was told they joined
        me = self.ctx.participant_id
        await self.ctx.publish(RoomMessage.to_room(ev.Left(id=me), exclude=(me,)))


async def error(ctx: Context, code: Code) -> None:
    await ctx.send(ev.ControlError(error=code))


async def join(ctx: Context, command: ev.Join) -> list[Participant] | None:
    """Enter the room, or its waiting room when that applies to this participant.

    Returns the participants ``join_success`` listed, if it was sent.
    """
    if ctx.status is not Status.NEW:
        await error(ctx, Code.ALREADY_JOINED)
        return None
    admission = ctx.admission
    requested = command.display_name
    if admission.account_name and not (requested or "").strip():
        # A registered user who sends no name gets the account's name.
        requested = admission.account_name
    try:
        display_name = normalize_display_name(requested)
    except InvalidDisplayName:
        await error(ctx, Code.INVALID_USERNAME)
        return None
    ctx.stored = participants.new_state(
        display_name=display_name,
        role=ctx.role,
        kind=admission.kind,
        avatar_url=admission.avatar_url,
        is_room_owner=admission.is_room_owner,
        user_id=admission.user_id,
        now=utc_now(),
    )
    ctx.stored.update(ctx.initial_state())
    if await _must_wait(ctx):
        await _enter_waiting_room(ctx)
        return None
    return await join_room(ctx)


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


async def enter_room(ctx: Context) -> list[Participant] | None:
    """Leave the waiting room for the room, once a moderator accepted."""
    if ctx.status is not Status.ACCEPTED:
        await error(ctx, Code.NOT_ACCEPTED_OR_NOT_IN_WAITING_ROOM)
        return None
    left = mod.LeftWaitingRoom(id=ctx.participant_id)
    await ctx.publish(RoomMessage.to_room(left, exclude=(ctx.participant_id,)))
    return await join_room(ctx, from_waiting_room=True)


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


async def join_room(
    ctx: Context, *, from_waiting_room: bool = False
) -> list[Participant] | None:
    """Join: ``join_success`` to the joiner, then ``joined`` to everyone else.

    A full room answers ``join_blocked`` instead; coming from the waiting room
    the seat is already taken. The join that starts the room's session sets
    when it closes (``closes_at``); every joined participant is closed then.
    Returns the participants ``join_success`` listed.
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
        return None
    # Independent reads, concurrently: with Redis each is a round trip.
    everyone, module_data = await asyncio.gather(
        ctx.state.list_participants(ctx.room_id), ctx.join_data()
    )
    others = [
        view
        for pid, stored in everyone.items()
        if pid != me and (view := ctx.view(pid, stored)) is not None
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
            **module_data,  # type: ignore[arg-type]
        )
    )
    ctx.status = Status.JOINED
    if outcome.closes_at is not None:
        ctx.schedule(lambda: _time_up(ctx), at=outcome.closes_at)
    own_view = ctx.view(me, ctx.stored)
    if own_view is not None:
        joined = ev.Joined.model_validate(own_view.model_dump())
        await ctx.publish(RoomMessage.to_room(joined, exclude=(me,)))
    return others


async def _time_up(ctx: Context) -> None:
    await ctx.send(ev.TimeLimitQuotaElapsed())
    ctx.request_close(CLOSE_NORMAL)


def _tariff(ctx: Context) -> ev.Tariff:
    """The room owner's tariff, as ``GET /rooms/{id}/tariff`` shows it."""
    resource = tariffs_service.tariff_resource(
        ctx.admission.tariff, ctx.services.offered_modules
    )
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
