"""Plain ASGI middleware (cheaper than BaseHTTPMiddleware on the hot path).

* :class:`RequestObserver`: every request and websocket session gets a request
  id (the client's ``X-Request-Id`` if it is sane, else a fresh one, echoed in
  the response as the reference does), one log line when it ends (route
  template, status, duration, user id, client address) and its metrics.
* :class:`BodySizeLimit`: one limit for every request body (413
  ``payload_overflow``), refused from ``Content-Length`` before any of it is
  read, or as soon as a chunked body grows past it.

Stalled bodies and headers are cut by the HTTP protocol (:mod:`parley.server`),
which also marks the request it timed out so its line says 408.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import logging
import secrets
import time
import weakref
from typing import Any, Final

from fastapi.routing import iter_route_contexts
from prometheus_client import Counter, Gauge, Histogram
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from parley import metrics
from parley.logs import ACCESS_LOGGER, REQUEST_ID, USER_ID

REQUEST_ID_HEADER: Final = b"x-request-id"
TIMED_OUT_KEY: Final = "parley.timed_out"
"""Set in a request's scope by the HTTP protocol when it cut the request off."""

_MAX_REQUEST_ID_LENGTH: Final = 200
# A fresh request id: 16 random hex digits per process, then a counter. Unique
# like a UUID4 (32 hex digits), at a tenth of its cost (no system call each).
_ID_PREFIX: Final = secrets.token_hex(8)
_request_numbers = itertools.count(1)
_METHODS: Final = frozenset(
    {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"}
)
_UNMATCHED: Final = "unmatched"
_TOO_MANY_REQUESTS: Final = 429

_SHUTTING_DOWN: Final = (
    "service_unavailable",
    "The server is shutting down; try again",
)

access_log = logging.getLogger(ACCESS_LOGGER)


async def _send_error(send: Send, status: int, code: str, message: str) -> None:
    """A whole ErrorBody response that closes the connection."""
    body = json.dumps({"code": code, "message": message}, separators=(",", ":"))
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body.encode()})


def _request_id(headers: list[tuple[bytes, bytes]]) -> str:
    for name, value in headers:
        if name == REQUEST_ID_HEADER:
            # Anything printable and short is kept; it ends up in log lines.
            if 0 < len(value) <= _MAX_REQUEST_ID_LENGTH and value.isascii():
                text = value.decode()
                if text.isprintable():
                    return text
            break
    return f"{_ID_PREFIX}{next(_request_numbers):016x}"


# id(route) → (the route, weakly; its full template). Weak, so the routes of
# apps built and dropped (tests build many) neither stay alive nor lend their
# ids to new routes unnoticed. (Routes define __eq__, so they cannot be keys.)
_templates: dict[int, tuple[weakref.ref[Any], str]] = {}


def route_template(scope: Scope) -> str:
    """The full path template of the scope's route (``/v1/rooms/{room_id}``).

    The template, unlike the path, holds no ids, codes or tokens. FastAPI puts
    the matched route in the scope, but a route of an included router knows
    only its own part of the path (``/rooms/{room_id}``); the app's route
    contexts know the whole (read once per app, and again for a new route).
    """
    route = scope.get("route")
    if route is None:
        return _UNMATCHED
    known = _templates.get(id(route))
    if known is not None and known[0]() is route:
        return known[1]
    for key in [key for key, (ref, _) in _templates.items() if ref() is None]:
        del _templates[key]  # routes of apps that are gone
    for context in iter_route_contexts(scope["app"].routes):
        if context.path is not None:
            original = context.original_route
            _templates[id(original)] = (weakref.ref(original), context.path)
    known = _templates.get(id(route))
    if known is None or known[0]() is not route:
        known = _templates[id(route)] = (
            weakref.ref(route),
            str(getattr(route, "path", _UNMATCHED)),
        )
    return known[1]


def _client(scope: Scope) -> str | None:
    client = scope.get("client")
    return str(client[0]) if client else None


class _HttpSeries:
    """The metric children of one (method, route, status); labels are resolved once."""

    __slots__ = ("count", "duration", "refusals")

    def __init__(self, method: str, route: str, status: int) -> None:
        self.count: Counter = metrics.HTTP_REQUESTS.labels(method, route, str(status))
        self.duration: Histogram = metrics.HTTP_REQUEST_DURATION.labels(
            method, route, str(status)
        )
        self.refusals: Counter | None = (
            metrics.RATE_LIMIT_REFUSALS.labels(route)
            if status == _TOO_MANY_REQUESTS
            else None
        )


class _WebsocketSeries:
    __slots__ = ("connections", "received", "sent")

    def __init__(self, route: str) -> None:
        self.connections: Gauge = metrics.WEBSOCKET_CONNECTIONS.labels(route)
        self.received: Counter = metrics.WEBSOCKET_MESSAGES.labels(route, "in")
        self.sent: Counter = metrics.WEBSOCKET_MESSAGES.labels(route, "out")


class RequestObserver:
    """Request id, one log line and the metrics of every request and session."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self._http: dict[tuple[str, str, int], _HttpSeries] = {}
        self._websocket: dict[str, _WebsocketSeries] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        kind = scope["type"]
        if kind == "http":
            await self._observe_http(scope, receive, send)
        elif kind == "websocket":
            await self._observe_websocket(scope, receive, send)
        else:
            await self.app(scope, receive, send)

    async def _observe_http(self, scope: Scope, receive: Receive, send: Send) -> None:
        arrived = time.perf_counter()
        request_id = _request_id(scope["headers"])
        header = (REQUEST_ID_HEADER, request_id.encode())
        request_token = REQUEST_ID.set(request_id)
        user_token = USER_ID.set(None)
        status = 500  # unless a response starts: the app raised
        responding = False

        async def send_with_id(message: Message) -> None:
            nonlocal status, responding
            if message["type"] == "http.response.start":
                status, responding = message["status"], True
                headers = list(message.get("headers", ()))
                if not any(name.lower() == REQUEST_ID_HEADER for name, _ in headers):
                    headers.append(header)
                message["headers"] = headers
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        except asyncio.CancelledError:
            # The server stopping cut the request off (PARLEY_SHUTDOWN_GRACE_SECONDS):
            # a client may try again elsewhere, which a 500 would not tell it.
            if not responding:
                await _send_error(send_with_id, 503, *_SHUTTING_DOWN)
            raise
        finally:
            if scope.get(TIMED_OUT_KEY):
                status = 408
            self._finish_http(scope, status, time.perf_counter() - arrived)
            USER_ID.reset(user_token)
            REQUEST_ID.reset(request_token)

    def _finish_http(self, scope: Scope, status: int, duration: float) -> None:
        method = scope["method"]
        if method not in _METHODS:
            method = "other"
        route = route_template(scope)
        key = (method, route, status)
        series = self._http.get(key)
        if series is None:
            series = self._http[key] = _HttpSeries(method, route, status)
        series.count.inc()
        series.duration.observe(duration)
        if series.refusals is not None:
            series.refusals.inc()
        if access_log.isEnabledFor(logging.INFO):
            access_log.info(
                "%s %s %d %.1fms",
                method,
                route,
                status,
                duration * 1000,
                extra={
                    "method": method,
                    "route": route,
                    "status": status,
                    "duration_ms": round(duration * 1000, 3),
                    "client": _client(scope),
                },
            )

    async def _observe_websocket(
        self, scope: Scope, receive: Receive, send: Send
    ) -> None:
        started = time.perf_counter()
        request_id = _request_id(scope["headers"])
        request_token = REQUEST_ID.set(request_id)
        user_token = USER_ID.set(None)
        session = _Session()
        series: _WebsocketSeries | None = None

        async def counting_receive() -> Message:
            message = await receive()
            kind = message["type"]
            if kind == "websocket.receive":
                session.received += 1
                if series is not None:
                    series.received.inc()
            elif kind == "websocket.disconnect":
                session.close_code = session.close_code or message.get("code", 1005)
            return message

        async def counting_send(message: Message) -> None:
            nonlocal series
            kind = message["type"]
            if kind == "websocket.send":
                session.sent += 1
                if series is not None:
                    series.sent.inc()
            elif kind == "websocket.accept":
                message["headers"] = [
                    *message.get("headers", ()),
                    (REQUEST_ID_HEADER, request_id.encode()),
                ]
                session.status = 101
                series = self._websocket_series(route_template(scope))
                series.connections.inc()
            elif kind == "websocket.close":
                session.close_code = session.close_code or message.get("code", 1000)
            elif kind == "websocket.http.response.start":
                session.status = message["status"]
            await send(message)

        try:
            await self.app(scope, counting_receive, counting_send)
        finally:
            if series is not None:
                series.connections.dec()
            self._finish_websocket(scope, session, time.perf_counter() - started)
            USER_ID.reset(user_token)
            REQUEST_ID.reset(request_token)

    def _websocket_series(self, route: str) -> _WebsocketSeries:
        series = self._websocket.get(route)
        if series is None:
            series = self._websocket[route] = _WebsocketSeries(route)
        return series

    def _finish_websocket(
        self, scope: Scope, session: _Session, duration: float
    ) -> None:
        route = route_template(scope)
        if session.status == 101:
            code = session.close_code or 1000
            metrics.WEBSOCKET_CLOSES.labels(route, str(code)).inc()
        else:
            code = None
            if session.status == _TOO_MANY_REQUESTS:
                metrics.RATE_LIMIT_REFUSALS.labels(route).inc()
        if access_log.isEnabledFor(logging.INFO):
            access_log.info(
                "WEBSOCKET %s %d%s %.1fs, %d in / %d out",
                route,
                session.status,
                f" closed {code}" if code is not None else "",
                duration,
                session.received,
                session.sent,
                extra={
                    "method": "WEBSOCKET",
                    "route": route,
                    "status": session.status,
                    "close_code": code,
                    "duration_ms": round(duration * 1000, 3),
                    "messages_in": session.received,
                    "messages_out": session.sent,
                    "client": _client(scope),
                },
            )


class _Session:
    __slots__ = ("close_code", "received", "sent", "status")

    def __init__(self) -> None:
        # 403 unless the app accepts or answers: what uvicorn sends for a bare close.
        self.status = 403
        self.close_code: int | None = None
        self.received = 0
        self.sent = 0


class PayloadTooLarge(HTTPException):
    """Raised from ``receive`` when a body is (or says it will be) too large."""

    def __init__(self, limit: int) -> None:
        super().__init__(
            413,
            f"The request body is larger than {limit} bytes",
            # The rest of the body is not read: the connection cannot be reused.
            headers={"Connection": "close"},
        )


def _body_framing(headers: list[tuple[bytes, bytes]]) -> tuple[int | None, bool]:
    """(Content-Length, whether the body is chunked) of a request."""
    length: int | None = None
    chunked = False
    for name, value in headers:
        if name == b"content-length":
            length = int(value) if value.isdigit() else None
        elif name == b"transfer-encoding":
            chunked = True
    return length, chunked


class BodySizeLimit:
    """At most ``max_bytes`` of request body on every HTTP route (413 otherwise).

    A body whose Content-Length is too large is refused before a byte of it
    is read: the route's first ``receive`` raises :class:`PayloadTooLarge`,
    which its error handling answers (ErrorBody, and the route in the log
    line), and a route that would answer without reading the body (a 404, a
    401 before the body) is answered 413 all the same. A chunked body is
    counted as it arrives and refused once it passes the limit.
    """

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self._message = PayloadTooLarge(max_bytes).detail

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        length, chunked = _body_framing(scope["headers"])
        if length is not None and length > self.max_bytes:
            await self._refuse(scope, send)
        elif length is None and chunked:
            await self.app(scope, self._counting(receive), send)
        else:
            # No body, or one the server ends where Content-Length says.
            await self.app(scope, receive, send)

    def _counting(self, receive: Receive) -> Receive:
        received = 0

        async def counted() -> Message:
            nonlocal received
            message = await receive()
            received += len(message.get("body", b""))
            if received > self.max_bytes:
                raise PayloadTooLarge(self.max_bytes)
            return message

        return counted

    async def _refuse(self, scope: Scope, send: Send) -> None:
        answered_otherwise = False

        async def refused() -> Message:
            raise PayloadTooLarge(self.max_bytes)

        async def send_413(message: Message) -> None:
            nonlocal answered_otherwise
            if message["type"] == "http.response.start" and message["status"] != 413:
                answered_otherwise = True
                await _send_error(send, 413, "payload_overflow", self._message)
            elif not answered_otherwise:
                await send(message)

        await self.app(scope, refused, send_413)
