"""One Janus server over its websocket API: a session, transactions, handles.

A :class:`JanusConnection` keeps one websocket (subprotocol
``janus-protocol``) and one Janus session on it, kept alive by a
``keepalive`` well within Janus's ``session_timeout``. Requests carry a
random ``transaction``; the reader task matches replies to them:

* ``success`` / ``error`` answer synchronous requests (session, attach,
  detach, the VideoRoom's ``create``/``destroy``/``list``);
* asynchronous plugin requests (``join``, ``configure``, ``start``) get an
  ``ack`` and later an ``event`` with the same transaction, and the event can
  arrive *before* the ack, so the event answers them and a late ack is
  ignored;
* ``trickle`` and ``keepalive`` are answered by their ``ack``.

Everything else with a ``sender`` is an event of that handle (``webrtcup``,
``media``, ``hangup``, ...), given to the handle's listener.

Every request times out. When the websocket closes or the session expires
(Janus restarted, network lost) every pending request fails with
:class:`JanusUnavailable`, every handle's listener gets :class:`Gone`, and
the connection is re-made with a backoff of 1 s doubling up to 8 s (the
controller's). VideoRoom rooms created through the lost session are
destroyed once a new session is up, in case Janus itself survived.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidURI
from websockets.typing import Subprotocol

from parley.janus.errors import (
    HandleGone,
    JanusError,
    JanusRequestFailed,
    JanusTimeout,
    JanusUnavailable,
)
from parley.janus.events import (
    Candidate,
    EventListener,
    Gone,
    HandleEvent,
    parse_handle_event,
)

logger = logging.getLogger(__name__)

PROTOCOL: Final = Subprotocol("janus-protocol")
VIDEOROOM: Final = "janus.plugin.videoroom"
NO_SUCH_ROOM: Final = 426
CLOSE_TIMEOUT: Final = 2.0
"""Seconds a closing connection waits for Janus to destroy its session."""
MAX_MESSAGE_BYTES: Final = 4 * 1024 * 1024
"""An SDP with many simulcast streams and candidates stays far below this."""


@dataclass(frozen=True, slots=True)
class JanusTimings:
    """Timeouts and intervals; the defaults suit Janus's 60 s session timeout."""

    request_timeout: float = 10.0
    keepalive_interval: float = 10.0
    connect_timeout: float = 5.0
    backoff_initial: float = 1.0
    backoff_max: float = 8.0


@dataclass(frozen=True, slots=True)
class Jsep:
    type: str
    sdp: str


@dataclass(frozen=True, slots=True)
class Reply:
    """A plugin's answer: its ``plugindata.data`` and the SDP it carried, if any."""

    data: Mapping[str, Any]
    jsep: Jsep | None


class _Pending:
    __slots__ = ("answered_by_ack", "future")

    def __init__(self, future: asyncio.Future[dict[str, Any]], answered_by_ack: bool):
        self.future = future
        self.answered_by_ack = answered_by_ack


class Handle:
    """A plugin handle on the connection's current session."""

    def __init__(
        self,
        connection: JanusConnection,
        handle_id: int,
        session_id: int,
        listener: EventListener | None,
    ) -> None:
        self._connection = connection
        self.id = handle_id
        self.session_id = session_id
        self._listener = listener
        self._gone = False

    @property
    def connection(self) -> JanusConnection:
        return self._connection

    @property
    def alive(self) -> bool:
        return not self._gone and self._connection.session_id == self.session_id

    def silence(self) -> None:
        """Deliver no more events (the owner is tearing the handle down)."""
        self._listener = None

    async def message(self, body: Mapping[str, Any], jsep: Jsep | None = None) -> Reply:
        """Send a plugin request; its ``success`` or ``event`` is the reply."""
        payload: dict[str, Any] = {"janus": "message", "body": dict(body)}
        if jsep is not None:
            payload["jsep"] = {"type": jsep.type, "sdp": jsep.sdp}
        reply = await self._request(payload)
        plugindata = reply.get("plugindata")
        data = plugindata.get("data") if isinstance(plugindata, dict) else None
        return Reply(data=data if isinstance(data, dict) else {}, jsep=_jsep(reply))

    async def trickle(self, candidate: Candidate | None) -> None:
        """Hand Janus a candidate of the peer; ``None``: the peer has no more."""
        trickled = {"completed": True} if candidate is None else candidate.to_janus()
        await self._request({"janus": "trickle", "candidate": trickled}, ack=True)

    async def detach(self) -> None:
        """Detach from the plugin; a handle that is already gone is left alone."""
        self.silence()
        if not self.alive:
            return
        try:
            await self._request({"janus": "detach"})
        finally:
            self._gone = True
            self._connection.forget_handle(self)

    async def _request(
        self, payload: dict[str, Any], *, ack: bool = False
    ) -> dict[str, Any]:
        if not self.alive:
            raise HandleGone(f"handle {self.id} is gone")
        payload = {**payload, "session_id": self.session_id, "handle_id": self.id}
        return await self._connection.request(payload, ack=ack)

    def notify(self, event: HandleEvent) -> None:
        if isinstance(event, Gone):
            self._gone = True
        listener = self._listener
        if listener is None:
            return
        try:
            listener(event)
        except Exception:
            logger.exception("janus handle %s: listener failed", self.id)


class JanusConnection:
    """One Janus server; see the module docstring."""

    def __init__(
        self,
        url: str,
        *,
        timings: JanusTimings | None = None,
        api_secret: str | None = None,
    ) -> None:
        self.url = url
        self._timings = timings or JanusTimings()
        self._api_secret = api_secret
        self._ws: ClientConnection | None = None
        self._session_id: int | None = None
        self._pending: dict[str, _Pending] = {}
        self._handles: dict[int, Handle] = {}
        self._rooms: set[int] = set()
        self._orphan_rooms: set[int] = set()
        self._connected = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._closing = False

    @property
    def connected(self) -> bool:
        return self._connected.is_set()

    @property
    def session_id(self) -> int | None:
        return self._session_id

    @property
    def handle_count(self) -> int:
        return len(self._handles)

    async def start(self) -> None:
        """Connect in the background (and again whenever the connection is lost)."""
        if self._task is None:
            self._task = asyncio.create_task(
                self._supervise(), name=f"janus-{self.url}"
            )

    async def wait_connected(self) -> None:
        """Return once a session is up (wrap in ``asyncio.timeout``)."""
        await self._connected.wait()

    async def aclose(self) -> None:
        """Destroy the session (Janus then drops its handles) and stop."""
        self._closing = True
        if self.connected and self._session_id is not None:
            with contextlib.suppress(JanusError, TimeoutError):
                async with asyncio.timeout(CLOSE_TIMEOUT):
                    await self.request(
                        {"janus": "destroy", "session_id": self._session_id}
                    )
        if self._ws is not None:
            await self._ws.close()
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None
        self._drop_session("connection closed")

    # Handles and rooms

    async def attach(
        self, listener: EventListener | None, plugin: str = VIDEOROOM
    ) -> Handle:
        session_id = self._session_id
        if not self.connected or session_id is None:
            raise JanusUnavailable(f"not connected to {self.url}")
        reply = await self.request(
            {"janus": "attach", "plugin": plugin, "session_id": session_id}
        )
        handle_id = _data_id(reply)
        handle = Handle(self, handle_id, session_id, listener)
        if self._session_id != session_id:
            raise JanusUnavailable(f"session with {self.url} lost")
        self._handles[handle_id] = handle
        return handle

    def forget_handle(self, handle: Handle) -> None:
        if self._handles.get(handle.id) is handle:
            del self._handles[handle.id]

    def track_room(self, room: int) -> None:
        """A VideoRoom room made through this connection (destroyed if the session is lost)."""
        self._rooms.add(room)

    def untrack_room(self, room: int) -> None:
        self._rooms.discard(room)
        self._orphan_rooms.discard(room)

    async def destroy_room(self, room: int) -> None:
        """Destroy a VideoRoom room through a short-lived handle; gone rooms are fine."""
        handle = await self.attach(None)
        try:
            await handle.message({"request": "destroy", "room": room})
        except JanusRequestFailed as exc:
            if exc.code != NO_SUCH_ROOM:
                raise
        finally:
            with contextlib.suppress(JanusError):
                await handle.detach()
        self.untrack_room(room)

    # Requests

    async def request(
        self, payload: Mapping[str, Any], *, ack: bool = False
    ) -> dict[str, Any]:
        """Send a request and wait for its reply (``ack=True``: the ack is the reply)."""
        ws = self._ws
        if ws is None or (not self.connected and payload.get("janus") != "create"):
            raise JanusUnavailable(f"not connected to {self.url}")
        transaction = secrets.token_hex(12)
        message = {**payload, "transaction": transaction}
        if self._api_secret is not None:
            message["apisecret"] = self._api_secret
        future: asyncio.Future[dict[str, Any]] = (
            asyncio.get_running_loop().create_future()
        )
        self._pending[transaction] = _Pending(future, answered_by_ack=ack)
        try:
            await ws.send(json.dumps(message))
            async with asyncio.timeout(self._timings.request_timeout):
                return await future
        except TimeoutError:
            raise JanusTimeout(
                f"{self.url} did not answer {payload.get('janus')} in time"
            ) from None
        except ConnectionClosed:
            raise JanusUnavailable(f"connection to {self.url} lost") from None
        finally:
            self._pending.pop(transaction, None)

    # The connection's life

    async def _supervise(self) -> None:
        backoff = self._timings.backoff_initial
        while not self._closing:
            try:
                await self._serve_once()
                backoff = self._timings.backoff_initial
            except (OSError, ConnectionClosed, InvalidHandshake, JanusError) as exc:
                logger.warning("janus %s: %s", self.url, exc or type(exc).__name__)
            except InvalidURI:
                logger.error("janus %s: not a websocket URL", self.url)
                return
            except TimeoutError:
                logger.warning("janus %s: connecting timed out", self.url)
            finally:
                self._drop_session("janus connection lost")
            if self._closing:
                return
            await asyncio.sleep(backoff)
            backoff = min(backoff * 2, self._timings.backoff_max)

    async def _serve_once(self) -> None:
        """Connect, create a session, then keep it alive until the connection ends."""
        async with connect(
            self.url,
            subprotocols=[PROTOCOL],
            open_timeout=self._timings.connect_timeout,
            compression=None,
            proxy=None,
            max_size=MAX_MESSAGE_BYTES,
            ping_interval=None,  # the keepalive request checks the connection
        ) as ws:
            self._ws = ws
            reader = asyncio.create_task(self._read(ws), name=f"janus-read-{self.url}")
            try:
                created = await self.request({"janus": "create"})
                self._session_id = _data_id(created)
                self._connected.set()
                logger.info("janus %s: session %s", self.url, self._session_id)
                if self._orphan_rooms:
                    await self._destroy_orphan_rooms()
                await self._keep_alive(reader)
            finally:
                reader.cancel()
                await asyncio.gather(reader, return_exceptions=True)

    async def _keep_alive(self, reader: asyncio.Task[None]) -> None:
        interval = self._timings.keepalive_interval
        while True:
            done, _ = await asyncio.wait({reader}, timeout=interval)
            if done:
                raise JanusUnavailable("connection closed by janus")
            await self.request(
                {"janus": "keepalive", "session_id": self._session_id}, ack=True
            )

    async def _read(self, ws: ClientConnection) -> None:
        async for raw in ws:
            try:
                message = json.loads(raw)
            except ValueError:
                logger.warning("janus %s: not JSON: %.200r", self.url, raw)
                continue
            if not isinstance(message, dict):
                continue
            if self._dispatch(message):
                return  # the session expired

    def _dispatch(self, message: dict[str, Any]) -> bool:
        """Route one message; ``True`` when the session is gone."""
        kind = message.get("janus")
        transaction = message.get("transaction")
        pending = (
            self._pending.get(transaction) if isinstance(transaction, str) else None
        )
        if pending is not None and not pending.future.done():
            if kind == "ack":
                if pending.answered_by_ack:
                    pending.future.set_result(message)
            elif kind == "error":
                pending.future.set_exception(_core_error(message))
            elif kind in ("success", "event"):
                error = _plugin_error(message)
                if error is None:
                    pending.future.set_result(message)
                else:
                    pending.future.set_exception(error)
            return False
        if kind == "timeout" and message.get("session_id") == self._session_id:
            return True
        sender = message.get("sender")
        handle = self._handles.get(sender) if isinstance(sender, int) else None
        if handle is None:
            return False
        event = parse_handle_event(message)
        if event is not None:
            if isinstance(event, Gone):
                self.forget_handle(handle)
            handle.notify(event)
        return False

    def _drop_session(self, reason: str) -> None:
        """Fail pending requests and tell every handle's owner it is gone."""
        self._connected.clear()
        self._session_id = None
        self._ws = None
        for pending in self._pending.values():
            if not pending.future.done():
                pending.future.set_exception(JanusUnavailable(reason))
        self._pending.clear()
        handles = list(self._handles.values())
        self._handles.clear()
        for handle in handles:
            handle.notify(Gone(reason=reason))
        self._orphan_rooms |= self._rooms
        self._rooms.clear()

    async def _destroy_orphan_rooms(self) -> None:
        for room in sorted(self._orphan_rooms):
            try:
                await self.destroy_room(room)
            except JanusError as exc:
                logger.warning(
                    "janus %s: room %s not destroyed: %s", self.url, room, exc
                )
                return
        logger.info("janus %s: cleaned up rooms of the lost session", self.url)


def _data_id(reply: Mapping[str, Any]) -> int:
    data = reply.get("data")
    value = data.get("id") if isinstance(data, dict) else None
    if not isinstance(value, int):
        raise JanusRequestFailed(0, "reply without an id")
    return value


def _jsep(reply: Mapping[str, Any]) -> Jsep | None:
    raw = reply.get("jsep")
    if not isinstance(raw, dict):
        return None
    kind, sdp = raw.get("type"), raw.get("sdp")
    if not isinstance(kind, str) or not isinstance(sdp, str):
        return None
    return Jsep(type=kind, sdp=sdp)


def _core_error(message: Mapping[str, Any]) -> JanusRequestFailed:
    error = message.get("error")
    if not isinstance(error, dict):
        return JanusRequestFailed(0, "unknown error")
    code = error.get("code")
    return JanusRequestFailed(
        code if isinstance(code, int) else 0, str(error.get("reason") or "")
    )


def _plugin_error(message: Mapping[str, Any]) -> JanusRequestFailed | None:
    plugindata = message.get("plugindata")
    data = plugindata.get("data") if isinstance(plugindata, dict) else None
    if not isinstance(data, dict) or "error_code" not in data:
        return None
    code = data.get("error_code")
    return JanusRequestFailed(
        code if isinstance(code, int) else 0, str(data.get("error") or "")
    )
