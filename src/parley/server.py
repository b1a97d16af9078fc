"""How Parley runs under uvicorn: websocket limits, keep-alive and shutdown.

uvicorn closes open websockets with 1012 (Service Restart) when it stops,
before the app's lifespan shutdown runs. The reference closes them with
1001 (Going Away) on shutdown (notes §1.3), so Parley's websocket protocol
sends 1001 instead; the app then sees the disconnect and its sessions say
``left`` to the others. Keep-alive pings and the frame limit are uvicorn's.
"""

from __future__ import annotations

from typing import Any, Final

from uvicorn.protocols.websockets.websockets_sansio_impl import (
    WebSocketsSansIOProtocol,
)

from parley.config import Settings
from parley.signaling.runner import CLOSE_GOING_AWAY, MAX_FRAME_BYTES

WEBSOCKET_PROTOCOL: Final = "parley.server:ParleyWebSocketProtocol"


class ParleyWebSocketProtocol(WebSocketsSansIOProtocol):
    """uvicorn's websocket protocol, closing with 1001 when the server stops."""

    def shutdown(self) -> None:
        if self.handshake_complete and not self.close_sent:
            self.stop_keepalive()
            self.queue.put_nowait(
                {"type": "websocket.disconnect", "code": CLOSE_GOING_AWAY}
            )
            self.conn.send_close(CLOSE_GOING_AWAY, "server shutting down")
            self.transport.write(b"".join(self.conn.data_to_send()))
            self.close_sent = True
            self.transport.close()
            return
        super().shutdown()


def websocket_options(settings: Settings) -> dict[str, Any]:
    """uvicorn keyword arguments for the signaling websocket (notes §1.3)."""
    return {
        "ws": WEBSOCKET_PROTOCOL,
        "ws_max_size": MAX_FRAME_BYTES,
        "ws_ping_interval": settings.ws_ping_interval_seconds,
        "ws_ping_timeout": settings.ws_ping_timeout_seconds,
        # Frames are small JSON; compressing each one per recipient costs more CPU
        # than it saves bandwidth (the reference does not compress either).
        "ws_per_message_deflate": False,
    }
