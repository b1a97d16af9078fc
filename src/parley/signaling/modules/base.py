"""The one interface every signaling namespace implements (STYLE §12).

Like the controller's ``SignalingModule`` trait: a module says what it adds
to ``join_success`` and to each participant as others see them, handles its
namespace's commands, reacts to the room's messages and to leaving. The
runner creates one instance of every module in :mod:`.registry` per
connection and loops over them; it knows none by name.
"""

from __future__ import annotations

import uuid
from typing import ClassVar

from pydantic import BaseModel, JsonValue

from parley.signaling.context import Context
from parley.signaling.state import Departure, JsonObject, RoomMessage


class SignalingModule:
    """One namespace for one participant's connection; override what applies."""

    namespace: ClassVar[str]
    commands_before_joining: ClassVar[bool] = False
    """Whether commands are handled before ``join_success`` (control, echo)."""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx

    @classmethod
    def available(cls, ctx: Context) -> bool:
        """Whether this connection has the module (tariff, server configuration)."""
        return ctx.admission.offers(cls.namespace)

    def initial_state(self) -> dict[str, JsonValue]:
        """Fields this module adds to the participant's stored state at ``join``."""
        return {}

    async def join_data(self) -> BaseModel | None:
        """The module's key in ``join_success`` (``None``: no key)."""
        return None

    def peer_data(
        self, participant_id: uuid.UUID, state: JsonObject
    ) -> BaseModel | None:
        """The module's key in a participant's view (``joined``, ``update``, lists).

        Built from the participant's stored state only, so every instance
        renders the same view.
        """
        return None

    async def handle(self, command: BaseModel) -> None:
        """Run one parsed command of this namespace."""

    async def on_invalid_command(self, payload: JsonValue) -> None:
        """A payload of this namespace that does not parse (the reference drops it)."""

    def receives_before_joining(self, message: RoomMessage) -> bool:
        """Whether this namespace's room ``message`` reaches a participant not yet joined."""
        return False

    async def on_room_message(self, message: RoomMessage) -> bool:
        """React to any message of the room; ``False`` keeps it from the client.

        Every module sees every message the participant receives, whatever
        its namespace (media watches control's ``update`` and ``left``).
        """
        return True

    async def on_leave(self, departure: Departure | None) -> None:
        """The connection ended; ``departure`` is ``None`` if it never entered."""
