"""How Parley runs under uvicorn: request limits, websockets, keep-alive, shutdown.

uvicorn's HTTP protocol waits for ever for a request's headers and body, and
takes headers of any size; :class:`ParleyHttpProtocol` (httptools, as
uvicorn picks it) adds what a server facing the internet needs:

* the headers of a request must arrive within
  ``PARLEY_REQUEST_HEADER_TIMEOUT_SECONDS`` of the connection opening (or of
  the request's first byte, on a kept-alive connection), its body within
  ``PARLEY_REQUEST_BODY_TIMEOUT_SECONDS`` of the headers; otherwise 408
  ``request_timeout`` (or a plain close, when nothing was sent at all);
* the request line (414 ``uri_too_long``) and each header line stay under
  8,000 bytes, all headers under 64 KiB and 100 lines (431
  ``request_header_fields_too_large``). The websocket handshake parser has an
  8,192-byte line limit of its own and used to answer nothing past it; these
  smaller limits answer first, and :class:`ParleyWebSocketProtocol` answers
  any handshake it cannot parse with 400 rather than silence.

uvicorn closes open websockets with 1012 (Service Restart) when it stops,
before the app's lifespan shutdown runs. The reference closes them with
1001 (Going Away) on shutdown (notes §1.3), so Parley's websocket protocol
sends 1001 instead; the app then sees the disconnect and its sessions say
``left`` to the others. Keep-alive pings and the frame limit are uvicorn's.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket
from asyncio import TimerHandle
from dataclasses import dataclass
from typing import Any, ClassVar, Final

import uvicorn
from uvicorn._types import ASGISendEvent
from uvicorn.config import Config
from uvicorn.protocols.http.httptools_impl import STATUS_LINE, HttpToolsProtocol
from uvicorn.protocols.websockets.websockets_sansio_impl import (
    WebSocketsSansIOProtocol,
)
from uvicorn.server import ServerState
from uvicorn.supervisors.multiprocess import Multiprocess
from websockets.exceptions import RequestLineTooLong, SecurityError

from parley.config import Settings, get_settings
from parley.logs import logging_config
from parley.middleware import TIMED_OUT_KEY
from parley.signaling.runner import CLOSE_GOING_AWAY, MAX_FRAME_BYTES

APP_FACTORY: Final = "parley.main:create_app"
STARTUP_FAILURE: Final = 3
"""Exit status when the app fails to start (uvicorn's)."""
HTTP_PROTOCOL: Final = "parley.server:ParleyHttpProtocol"
WEBSOCKET_PROTOCOL: Final = "parley.server:ParleyWebSocketProtocol"

MAX_REQUEST_TARGET_BYTES: Final = 8000
MAX_HEADER_LINE_BYTES: Final = 8000
MAX_HEADER_BYTES: Final = 64 * 1024
MAX_HEADER_LINES: Final = 100
_HEADERS: Final = "headers"
_BODY: Final = "body"


@dataclass(frozen=True)
class RequestLimits:
    """How long a request may take to arrive (the sizes are fixed above)."""

    header_timeout: float
    body_timeout: float

    @classmethod
    def from_settings(cls, settings: Settings) -> RequestLimits:
        return cls(
            header_timeout=settings.request_header_timeout_seconds,
            body_timeout=settings.request_body_timeout_seconds,
        )


def error_response(
    status: int,
    code: str,
    message: str,
    default_headers: list[tuple[bytes, bytes]],
) -> bytes:
    """A complete HTTP/1.1 ErrorBody response that closes the connection."""
    body = json.dumps({"code": code, "message": message}).encode()
    head = [STATUS_LINE[status]]
    head += [name + b": " + value + b"\r\n" for name, value in default_headers]
    head += [
        b"content-type: application/json\r\n",
        b"content-length: " + str(len(body)).encode() + b"\r\n",
        b"connection: close\r\n\r\n",
    ]
    return b"".join(head) + body


class _Refused(Exception):
    """Stops the parser: the request broke a size limit (answered by the protocol)."""


class ParleyHttpProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol with header/body deadlines and header limits.

    A deadline runs only while a request is incomplete when the bytes at hand
    have been parsed: a request that arrives whole (the usual case on a
    kept-alive connection) costs no timer at all.
    """

    limits: ClassVar[RequestLimits | None] = None
    """Set on a subclass by :func:`http_protocol_for`; else read from the settings."""

    def __init__(
        self,
        config: Config,
        server_state: ServerState,
        app_state: dict[str, Any],
        _loop: asyncio.AbstractEventLoop | None = None,
    ) -> None:
        super().__init__(config, server_state, app_state, _loop)
        self._limits = self.limits or RequestLimits.from_settings(get_settings())
        self._deadline: TimerHandle | None = None
        self._deadline_phase: str | None = None
        # What the parser is in the middle of: "headers", "body" or nothing.
        self._phase: str | None = None
        self._target_bytes = 0
        self._header_bytes = 0
        self._header_lines = 0
        self._refusal: tuple[int, str, str] | None = None

    # Deadlines

    def _arm(self, phase: str) -> None:
        self._disarm()
        if phase == _HEADERS:
            delay, callback = self._limits.header_timeout, self._headers_too_slow
        else:
            delay, callback = self._limits.body_timeout, self._body_too_slow
        self._deadline = self.loop.call_later(delay, callback)
        self._deadline_phase = phase

    def _disarm(self) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = self._deadline_phase = None

    def _answer_and_close(self, status: int, code: str, message: str) -> None:
        self._disarm()
        self.transport.write(
            error_response(status, code, message, self.server_state.default_headers)
        )
        self.transport.close()

    def _headers_too_slow(self) -> None:
        self._deadline = self._deadline_phase = None
        if self.transport.is_closing():
            return
        if self._phase != _HEADERS:
            self.transport.close()  # a connection that never said anything
            return
        seconds = self._limits.header_timeout
        self._answer_and_close(
            408,
            "request_timeout",
            f"The request headers did not arrive within {seconds:g} seconds",
        )

    def _body_too_slow(self) -> None:
        self._deadline = self._deadline_phase = None
        cycle = self.cycle
        if cycle is None or self.transport.is_closing():
            return
        if cycle.response_started:
            self.transport.close()
            return
        # The app waiting for the body sees a disconnect; whatever it answers
        # then is dropped, and its log line says 408.
        cycle.scope[TIMED_OUT_KEY] = True  # type: ignore[typeddict-unknown-key]
        cycle.disconnected = True
        cycle.message_event.set()
        seconds = self._limits.body_timeout
        self._answer_and_close(
            408,
            "request_timeout",
            f"The request body did not arrive within {seconds:g} seconds",
        )

    # uvicorn's protocol interface

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        # From the connection's opening until its first request's headers.
        self._arm(_HEADERS)

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        phase = self._phase
        if (
            phase is not None
            and phase != self._deadline_phase
            and not self.transport.is_closing()
        ):
            self._arm(phase)

    def send_400_response(self, msg: str) -> None:
        refusal, self._refusal = self._refusal, None
        self._phase = None
        if refusal is None:
            self._disarm()
            super().send_400_response(msg)
            return
        self._answer_and_close(*refusal)

    # Parser callbacks

    def _refuse(self, status: int, code: str, message: str) -> None:
        self._refusal = (status, code, message)
        raise _Refused(code)

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._phase = _HEADERS
        self._target_bytes = self._header_bytes = self._header_lines = 0

    def on_url(self, url: bytes) -> None:
        self._target_bytes += len(url)
        if self._target_bytes > MAX_REQUEST_TARGET_BYTES:
            self._refuse(
                414,
                "uri_too_long",
                f"The request target is longer than {MAX_REQUEST_TARGET_BYTES} bytes",
            )
        super().on_url(url)

    def on_header(self, name: bytes, value: bytes) -> None:
        line = len(name) + len(value) + 4  # "name: value\r\n"
        self._header_bytes += line
        self._header_lines += 1
        if (
            line > MAX_HEADER_LINE_BYTES
            or self._header_bytes > MAX_HEADER_BYTES
            or self._header_lines > MAX_HEADER_LINES
        ):
            self._refuse(
                431,
                "request_header_fields_too_large",
                f"Each header line must stay under {MAX_HEADER_LINE_BYTES} bytes, "
                f"all of them under {MAX_HEADER_BYTES} bytes and "
                f"{MAX_HEADER_LINES} lines",
            )
        super().on_header(name, value)

    def on_headers_complete(self) -> None:
        upgrade = self.parser.should_upgrade() and self._should_upgrade()
        # The body's deadline, if it does not come with the headers, starts now.
        self._phase = None if upgrade else _BODY
        self._disarm()
        super().on_headers_complete()

    def on_message_complete(self) -> None:
        self._phase = None
        self._disarm()
        super().on_message_complete()


def http_protocol_for(settings: Settings) -> type[ParleyHttpProtocol]:
    """The protocol with these settings' limits (servers run inside a test)."""
    limits = RequestLimits.from_settings(settings)
    return type("ConfiguredHttpProtocol", (ParleyHttpProtocol,), {"limits": limits})


def _handshake_refusal(failure: Exception) -> tuple[int, str]:
    if isinstance(failure, RequestLineTooLong):
        return 414, "uri_too_long"
    if isinstance(failure, SecurityError):
        return 431, "request_header_fields_too_large"
    return 400, "bad_request"


class ParleyWebSocketProtocol(WebSocketsSansIOProtocol):
    """uvicorn's websocket protocol: 1001 when the server stops, and an answer
    (414, 431 or 400) to a handshake it cannot parse, which uvicorn leaves
    without one."""

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        failure = self.conn.handshake_exc
        if self.handshake_initiated or failure is None or self.transport.is_closing():
            return
        self.conn.data_to_send()  # the library's own plain-text answer, if any
        self.handshake_complete = self.close_sent = True
        status, code = _handshake_refusal(failure)
        self.transport.write(
            error_response(
                status,
                code,
                f"The websocket handshake could not be read: {failure.__cause__ or failure}",
                self.default_headers,
            )
        )
        self.transport.close()

    async def send(self, message: ASGISendEvent) -> None:
        await super().send(message)
        # uvicorn does not count an HTTP answer to the handshake (a refused
        # ticket) as finishing it, and logs an error for each one.
        if message["type"] == "websocket.http.response.body" and not message.get(
            "more_body", False
        ):
            self.handshake_complete = True

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


def server_options(settings: Settings) -> dict[str, Any]:
    """Every uvicorn keyword argument Parley sets, for `parley serve` and tests.

    Forwarded headers are Parley's business (``PARLEY_TRUSTED_PROXIES``, in
    the app), not uvicorn's, whose default believes them from 127.0.0.1.
    uvicorn's access log prints paths and query strings, which can carry
    secrets; the app logs each request by its route template instead.
    """
    return {
        "http": HTTP_PROTOCOL,
        "proxy_headers": False,
        "access_log": False,
        "log_config": logging_config(settings),
        "log_level": settings.log_level,
        "timeout_graceful_shutdown": settings.shutdown_grace_seconds,
        **websocket_options(settings),
    }


class _Server(uvicorn.Server):
    """uvicorn's server, exiting 0 after a graceful stop.

    uvicorn raises the stop signal again once it has shut down, so the
    process dies of SIGTERM; a service manager reads that as a crash.
    """

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        await super().shutdown(sockets)
        self._captured_signals.clear()


class _Multiprocess(Multiprocess):
    """uvicorn's worker supervisor, which stops accepting before the workers stop.

    The supervisor holds the listening socket too; left open, the kernel
    would queue new connections that no worker will ever take.
    """

    def terminate_all(self) -> None:
        for sock in self.sockets:
            sock.close()
        super().terminate_all()


def run(settings: Settings, *, host: str, port: int, workers: int) -> int:
    """Serve until SIGTERM or SIGINT, then stop gracefully; the exit status.

    SIGTERM: stop accepting, close websockets with 1001, let requests in flight
    finish within PARLEY_SHUTDOWN_GRACE_SECONDS, then the app's shutdown (the
    mail worker ends its round), exit 0.
    """
    config = uvicorn.Config(
        APP_FACTORY,
        factory=True,
        host=host,
        port=port,
        workers=workers,
        **server_options(settings),
    )
    if workers > 1:
        _Multiprocess(config, sockets=[config.bind_socket()]).run()
        return 0
    server = _Server(config)
    with contextlib.suppress(KeyboardInterrupt):
        server.run()
    return 0 if server.started else STARTUP_FAILURE
