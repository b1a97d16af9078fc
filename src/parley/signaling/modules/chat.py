"""``chat`` commands: global and private messages, the chat switch, history (notes §11.4).

Parley has no user groups, so group messages are dropped as the reference
drops them from a sender who is in no group of that name.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from typing import ClassVar, Final

from pydantic import BaseModel

from parley.signaling import participants
from parley.signaling.context import Context, Status
from parley.signaling.messages import ChatPeerData, ParticipationKind, Role, utc_now
from parley.signaling.messages import chat as msg
from parley.signaling.messages.chat import ChatErrorCode as Code
from parley.signaling.messages.chat import ChatScope, PrivateHistory, StoredMessage
from parley.signaling.modules.base import SignalingModule
from parley.signaling.state import JsonObject, RoomFlag, RoomMessage

logger = logging.getLogger(__name__)

# Parley has no user groups, so no group is ever shared.
_NO_GROUPS: Final = ChatPeerData(groups=[])


class ChatModule(SignalingModule):
    """Chat; see the module docstring."""

    namespace: ClassVar[str] = msg.NAMESPACE

    async def join_data(self) -> msg.ChatJoinData:
        return await join_data(self.ctx)

    def peer_data(
        self, participant_id: uuid.UUID, state: JsonObject
    ) -> ChatPeerData | None:
        """Registered users carry ``chat: {groups}``; guests and phones carry none."""
        if participants.kind_of(state) is ParticipationKind.USER:
            return _NO_GROUPS
        return None

    async def handle(self, command: BaseModel) -> None:
        await handle(self.ctx, command)


async def join_data(ctx: Context) -> msg.ChatJoinData:
    """``join_success.chat``: the switch, global history and private conversations."""
    enabled, history, private = await asyncio.gather(
        ctx.state.get_room_flag(ctx.room_id, RoomFlag.CHAT_ENABLED),
        ctx.state.get_chat_history(ctx.room_id),
        ctx.state.get_private_chat_history(ctx.room_id, ctx.participant_id),
    )
    return msg.ChatJoinData(
        enabled=enabled is not False,
        room_history=history,
        private_history=_by_correspondent(ctx.participant_id, private),
    )


def _by_correspondent(
    me: uuid.UUID, messages: list[StoredMessage]
) -> list[PrivateHistory]:
    """Group newest-first private messages by the other party, keeping the order."""
    conversations: dict[uuid.UUID, list[StoredMessage]] = {}
    for message in messages:
        other = uuid.UUID(message.target) if message.source == me else message.source
        conversations.setdefault(other, []).append(message)
    return [
        PrivateHistory(correspondent=other, history=history)
        for other, history in conversations.items()
    ]


async def handle(ctx: Context, command: BaseModel) -> None:
    """Run one parsed ``chat`` command (a member of ``ChatCommand``)."""
    if ctx.status is not Status.JOINED:
        return
    match command:
        case msg.SendMessage():
            await _send_message(ctx, command)
        case msg.EnableChat():
            await _set_enabled(ctx, enabled=True)
        case msg.DisableChat():
            await _set_enabled(ctx, enabled=False)
        case msg.ClearHistory():
            if await _is_moderator(ctx):
                await ctx.state.clear_chat_history(ctx.room_id)
                cleared = msg.HistoryCleared(issued_by=ctx.participant_id)
                await ctx.publish(RoomMessage.to_room(cleared))
        case msg.SetLastSeenTimestamp():
            # Not kept: join_success always reports no last-seen timestamps.
            logger.debug("ignoring set_last_seen_timestamp")


async def _is_moderator(ctx: Context) -> bool:
    if ctx.role is Role.MODERATOR:
        return True
    await ctx.send(msg.ChatError(error=Code.INSUFFICIENT_PERMISSIONS))
    return False


async def _set_enabled(ctx: Context, *, enabled: bool) -> None:
    if not await _is_moderator(ctx):
        return
    await ctx.state.set_room_flag(ctx.room_id, RoomFlag.CHAT_ENABLED, enabled)
    issued_by = ctx.participant_id
    event = (
        msg.ChatEnabled(issued_by=issued_by)
        if enabled
        else msg.ChatDisabled(issued_by=issued_by)
    )
    await ctx.publish(RoomMessage.to_room(event))


async def _send_message(ctx: Context, command: msg.SendMessage) -> None:
    if await ctx.state.get_room_flag(ctx.room_id, RoomFlag.CHAT_ENABLED) is False:
        await ctx.send(msg.ChatError(error=Code.CHAT_DISABLED))
        return
    content = msg.clip_content(command.content)
    if not content or command.scope is ChatScope.GROUP:
        return
    stored = StoredMessage(
        id=uuid.uuid4(),
        source=ctx.participant_id,
        timestamp=utc_now(),
        content=content,
        scope=command.scope,
        target=command.target,
    )
    sent = msg.MessageSent(
        id=stored.id,
        source=stored.source,
        content=content,
        scope=stored.scope,
        target=stored.target,
    )
    if command.scope is ChatScope.GLOBAL:
        await ctx.state.add_chat_message(ctx.room_id, stored)
        await ctx.publish(RoomMessage.to_room(sent, timestamp=stored.timestamp))
        return
    # Private: the target (not checked, as the reference) and the sender.
    assert command.target is not None
    await ctx.state.add_private_chat_message(ctx.room_id, stored)
    recipients = {uuid.UUID(command.target), ctx.participant_id}
    await ctx.publish(
        RoomMessage.to_participants(recipients, sent, timestamp=stored.timestamp)
    )
