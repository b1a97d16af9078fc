"""``echo``: the payload comes back unchanged, also before ``join`` (connection tests)."""

from __future__ import annotations

from typing import ClassVar

from pydantic import BaseModel

from parley.signaling.messages import echo as messages
from parley.signaling.modules.base import SignalingModule


class EchoModule(SignalingModule):
    namespace: ClassVar[str] = messages.NAMESPACE
    commands_before_joining: ClassVar[bool] = True

    async def handle(self, command: BaseModel) -> None:
        await self.ctx.send(command)
