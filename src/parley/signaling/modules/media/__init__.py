"""The ``media`` signaling module (Janus); on only when a Janus is configured."""

from parley.signaling.modules.media.module import MediaModule
from parley.signaling.modules.media.service import MediaService, MediaSettings

__all__ = ["MediaModule", "MediaService", "MediaSettings"]
