"""Every signaling module, in one list: adding a namespace means adding it here."""

from __future__ import annotations

from typing import Final

from parley.signaling.modules.base import SignalingModule
from parley.signaling.modules.chat import ChatModule
from parley.signaling.modules.control import ControlModule
from parley.signaling.modules.echo import EchoModule
from parley.signaling.modules.media import MediaModule
from parley.signaling.modules.moderation import ModerationModule

# Order matters only where modules react to the same room message: control
# first, so the others see its effects (a new role).
MODULES: Final[tuple[type[SignalingModule], ...]] = (
    ControlModule,
    EchoModule,
    ModerationModule,
    ChatModule,
    MediaModule,
)
