"""Participant updates several namespaces send: control ``update`` to the others."""

from __future__ import annotations

import uuid

from parley.signaling.context import Context
from parley.signaling.messages import control as ev
from parley.signaling.messages import format_timestamp, utc_now
from parley.signaling.state import RoomMessage


async def publish_update(ctx: Context, target: uuid.UUID) -> None:
    """Tell everyone but ``target`` its current state (control ``update``)."""
    stored = await ctx.state.get_participant(ctx.room_id, target)
    if stored is None:
        return
    view = ctx.view(target, stored)
    if view is not None:
        update = ev.Update.model_validate(view.model_dump())
        await ctx.publish(RoomMessage.to_room(update, exclude=(target,)))


async def set_hand_of(ctx: Context, target: uuid.UUID, *, up: bool) -> bool:
    """Store ``target``'s hand as up or down; False if it is no longer in the room."""
    changes: dict[str, bool | str] = {
        "hand_is_up": up,
        "hand_updated_at": format_timestamp(utc_now()),
    }
    return await ctx.state.update_participant(ctx.room_id, target, changes)


async def lower_hand_of(ctx: Context, target: uuid.UUID) -> None:
    """Lower ``target``'s hand in the stored state and tell the others."""
    if await set_hand_of(ctx, target, up=False):
        await publish_update(ctx, target)
