"""``moderation`` commands: waiting room, kick, ban, debrief, names, hands (notes §11.3).

Every command is for joined moderators only; the reference ignores them
silently for anyone else. Targets are told by a message addressed to them;
their own runner sends the event and closes the socket where that applies.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from typing import ClassVar, Final

from pydantic import BaseModel, JsonValue

from parley.signaling import participants
from parley.signaling.context import Context, Status
from parley.signaling.messages import (
    InvalidDisplayName,
    ParticipationKind,
    Role,
    normalize_display_name,
)
from parley.signaling.messages import moderation as mod
from parley.signaling.messages.moderation import KickScope
from parley.signaling.messages.moderation import ModerationErrorCode as Code
from parley.signaling.modules.base import SignalingModule
from parley.signaling.modules.updates import lower_hand_of, publish_update
from parley.signaling.state import Departure, PresenceStatus, RoomFlag, RoomMessage

logger = logging.getLogger(__name__)

CLOSE_NORMAL: Final = 1000
# Events after which the addressed participant's socket is closed (notes §11.3).
_CLOSING_EVENTS: Final = frozenset(
    {"kicked", "banned", "sent_to_waiting_room", "session_ended"}
)


class ModerationModule(SignalingModule):
    """Waiting room and moderator actions; see the module docstring."""

    namespace: ClassVar[str] = mod.NAMESPACE

    async def join_data(self) -> mod.ModerationJoinData:
        return await join_data(self.ctx)

    async def handle(self, command: BaseModel) -> None:
        await handle(self.ctx, command)

    def receives_before_joining(self, message: RoomMessage) -> bool:
        # A waiting participant hears what is addressed to it (accepted, kicked).
        return message.addressed

    async def on_room_message(self, message: RoomMessage) -> bool:
        if message.namespace != mod.NAMESPACE:
            return True
        ctx = self.ctx
        if message.kind == "accepted":
            if ctx.status is not Status.WAITING:
                return False
            ctx.status = Status.ACCEPTED
            # Reconnecting with this participant id skips the waiting room.
            await ctx.state.set_waiting_room_bypass(ctx.participant_id)
        elif message.addressed and message.kind in _CLOSING_EVENTS:
            ctx.request_close(CLOSE_NORMAL)  # after this last event
        return True

    async def on_leave(self, departure: Departure | None) -> None:
        """A waiting participant who leaves is gone from everyone's waiting list."""
        if departure is None or departure.room_closed:
            return
        if departure.previous is PresenceStatus.WAITING:
            me = self.ctx.participant_id
            left = mod.LeftWaitingRoom(id=me)
            await self.ctx.publish(RoomMessage.to_room(left, exclude=(me,)))


async def join_data(ctx: Context) -> mod.ModerationJoinData:
    """``join_success.moderation``; the waiting room is shown to moderators only."""
    raise_hands = await ctx.state.get_room_flag(
        ctx.room_id, RoomFlag.RAISE_HANDS_ENABLED
    )
    data = mod.ModerationJoinData(raise_hands_enabled=raise_hands is not False)
    if ctx.role is not Role.MODERATOR:
        return data
    enabled, waiting = await asyncio.gather(
        ctx.state.get_room_flag(ctx.room_id, RoomFlag.WAITING_ROOM_ENABLED),
        ctx.state.list_waiting_room(ctx.room_id),
    )
    return data.model_copy(
        update={
            "waiting_room_enabled": bool(enabled),
            "waiting_room_participants": [
                participants.waiting_view(w) for w in waiting
            ],
        }
    )


async def handle(ctx: Context, command: BaseModel) -> None:
    """Run one parsed ``moderation`` command (a member of ``ModerationCommand``)."""
    if ctx.status is not Status.JOINED or ctx.role is not Role.MODERATOR:
        logger.debug("ignoring %r from a non-moderator", command)
        return
    match command:
        case mod.Accept(target=target):
            if await ctx.state.accept_waiting(ctx.room_id, target):
                await _tell(ctx, target, mod.Accepted())
        case mod.EnableWaitingRoom():
            await _set_waiting_room(ctx, enabled=True)
        case mod.DisableWaitingRoom():
            await _set_waiting_room(ctx, enabled=False)
        case mod.Kick(target=target):
            await ctx.state.clear_waiting_room_bypass(target)
            await _tell(ctx, target, mod.Kicked())
        case mod.Ban(target=target):
            await _ban(ctx, target)
        case mod.SendToWaitingRoom(target=target):
            await _send_to_waiting_room(ctx, target)
        case mod.Debrief(kick_scope=scope):
            await _debrief(ctx, scope)
        case mod.ChangeDisplayName(target=target, new_name=new_name):
            await _change_display_name(ctx, target, new_name)
        case mod.EnableRaiseHands():
            await _set_raise_hands(ctx, enabled=True)
        case mod.DisableRaiseHands():
            await _set_raise_hands(ctx, enabled=False)
        case mod.ResetRaisedHands():
            await _lower_raised_hands(ctx)
            issued = mod.RaisedHandResetByModerator(issued_by=ctx.participant_id)
            await ctx.publish(RoomMessage.to_room(issued))


async def _tell(ctx: Context, target: uuid.UUID, event: BaseModel) -> None:
    await ctx.publish(RoomMessage.to_participant(target, event))


async def _error(ctx: Context, code: Code) -> None:
    await ctx.send(mod.ModerationError(error=code))


async def _set_waiting_room(ctx: Context, *, enabled: bool) -> None:
    # Disabling does not admit those already waiting (they still need `accept`).
    await ctx.state.set_room_flag(ctx.room_id, RoomFlag.WAITING_ROOM_ENABLED, enabled)
    event = mod.WaitingRoomEnabled() if enabled else mod.WaitingRoomDisabled()
    await ctx.publish(RoomMessage.to_room(event))


async def _stored(ctx: Context, target: uuid.UUID) -> dict[str, JsonValue] | None:
    """The target's state, whether joined or in the waiting room."""
    stored = await ctx.state.get_participant(ctx.room_id, target)
    if stored is not None:
        return stored
    for waiting in await ctx.state.list_waiting_room(ctx.room_id):
        if waiting.participant_id == target:
            return waiting.control
    return None


async def _ban(ctx: Context, target: uuid.UUID) -> None:
    """Ban a registered user from the room until its state is torn down."""
    stored = await _stored(ctx, target)
    if stored is None:
        return
    user_id = participants.user_id_of(stored)
    if participants.kind_of(stored) is not ParticipationKind.USER or user_id is None:
        await _error(ctx, Code.CANNOT_BAN_GUEST)
        return
    await ctx.state.ban_user(ctx.room_id, user_id)
    await ctx.state.clear_waiting_room_bypass(target)
    await _tell(ctx, target, mod.Banned())


async def _send_to_waiting_room(ctx: Context, target: uuid.UUID) -> None:
    stored = await _stored(ctx, target)
    if stored is None:
        return
    if stored.get("is_room_owner") is True:
        await _error(ctx, Code.CANNOT_SEND_ROOM_OWNER_TO_WAITING_ROOM)
        return
    await ctx.state.clear_waiting_room_bypass(target)
    await _tell(ctx, target, mod.SentToWaitingRoom())


def _in_scope(scope: KickScope, role: JsonValue) -> bool:
    if scope is KickScope.ALL:
        return True
    if scope is KickScope.USERS_AND_GUESTS:
        return role != Role.MODERATOR.value
    return role == Role.GUEST.value


async def _debrief(ctx: Context, scope: KickScope) -> None:
    """End the session for those in scope; the rest stay for the debriefing."""
    await _set_waiting_room(ctx, enabled=True)
    everyone = await ctx.state.list_participants(ctx.room_id)
    present = {
        pid: stored
        for pid, stored in everyone.items()
        if participants.is_active(stored)
        and participants.kind_of(stored) is not ParticipationKind.RECORDER
    }
    leaving = [pid for pid, s in present.items() if _in_scope(scope, s.get("role"))]
    staying = [pid for pid in present if pid not in leaving]
    issued_by = ctx.participant_id
    for pid in leaving:
        await ctx.state.clear_waiting_room_bypass(pid)
    if leaving:
        ended = mod.SessionEnded(issued_by=issued_by)
        await ctx.publish(RoomMessage.to_participants(leaving, ended))
    if staying:
        started = mod.DebriefingStarted(issued_by=issued_by)
        await ctx.publish(RoomMessage.to_participants(staying, started))


async def _change_display_name(ctx: Context, target: uuid.UUID, new_name: str) -> None:
    stored = await ctx.state.get_participant(ctx.room_id, target)
    if stored is None:
        return
    if participants.kind_of(stored) not in (
        ParticipationKind.GUEST,
        ParticipationKind.SIP,
    ):
        await _error(ctx, Code.CANNOT_CHANGE_NAME_OF_REGISTERED_USERS)
        return
    try:
        name = normalize_display_name(new_name)
    except InvalidDisplayName:
        await _error(ctx, Code.INVALID_DISPLAY_NAME)
        return
    await ctx.state.update_participant(ctx.room_id, target, {"display_name": name})
    await publish_update(ctx, target)


async def _lower_raised_hands(ctx: Context) -> None:
    everyone = await ctx.state.list_participants(ctx.room_id)
    for pid, stored in everyone.items():
        if participants.is_active(stored) and stored.get("hand_is_up") is True:
            await lower_hand_of(ctx, pid)


async def _set_raise_hands(ctx: Context, *, enabled: bool) -> None:
    await ctx.state.set_room_flag(ctx.room_id, RoomFlag.RAISE_HANDS_ENABLED, enabled)
    if not enabled:
        await _lower_raised_hands(ctx)
    event: BaseModel = (
        mod.RaiseHandsEnabled(issued_by=ctx.participant_id)
        if enabled
        else mod.RaiseHandsDisabled(issued_by=ctx.participant_id)
    )
    await ctx.publish(RoomMessage.to_room(event))
