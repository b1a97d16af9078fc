"""The frame envelope and the parse/serialise helpers (reference notes §2.1).

Client → server: ``{"namespace": str, "payload": {"action": ...}}``.
Server → client: ``{"namespace", "timestamp", "payload": {"message": ...}}``.

:func:`parse_command` sorts failures into the three cases the runner treats
differently:

* :class:`InvalidJson` - the frame is no envelope, or a ``control`` payload
  does not parse; answered with control error ``invalid_json``.
* :class:`UnknownNamespace` - answered with ``invalid_namespace`` once
  joined, ignored before.
* :class:`InvalidModulePayload` - another module's payload does not parse;
  the reference logs and drops it without an error event.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any, Final, NamedTuple, TypeAlias

from pydantic import BaseModel, ConfigDict, JsonValue, TypeAdapter, ValidationError

from parley.signaling.messages import chat, control, echo, media, moderation
from parley.signaling.messages.common import UtcDateTime, format_timestamp, utc_now

Command: TypeAlias = (
    control.ControlCommand
    | moderation.ModerationCommand
    | chat.ChatCommand
    | media.MediaCommand
    | echo.EchoPayload
)
Event: TypeAlias = (
    control.ControlEvent
    | moderation.ModerationEvent
    | chat.ChatEvent
    | media.MediaEvent
    | echo.EchoPayload
)

COMMAND_ADAPTERS: Final[Mapping[str, TypeAdapter[Any]]] = {
    control.NAMESPACE: TypeAdapter(control.ControlCommand),
    moderation.NAMESPACE: TypeAdapter(moderation.ModerationCommand),
    chat.NAMESPACE: TypeAdapter(chat.ChatCommand),
    media.NAMESPACE: TypeAdapter(media.MediaCommand),
    echo.NAMESPACE: TypeAdapter(echo.EchoPayload),
}
EVENT_ADAPTERS: Final[Mapping[str, TypeAdapter[Any]]] = {
    control.NAMESPACE: TypeAdapter(control.ControlEvent),
    moderation.NAMESPACE: TypeAdapter(moderation.ModerationEvent),
    chat.NAMESPACE: TypeAdapter(chat.ChatEvent),
    media.NAMESPACE: TypeAdapter(media.MediaEvent),
    echo.NAMESPACE: TypeAdapter(echo.EchoPayload),
}
NAMESPACES: Final = frozenset(COMMAND_ADAPTERS)


class ClientEnvelope(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")

    namespace: str
    payload: JsonValue


class ServerEnvelope(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")

    namespace: str
    timestamp: UtcDateTime
    payload: JsonValue


class FrameError(ValueError):
    """A client frame that cannot be dispatched."""

    def __init__(self, message: str, *, namespace: str | None = None) -> None:
        super().__init__(message)
        self.namespace = namespace


class InvalidJson(FrameError):
    """Not an envelope, or an unparseable ``control`` payload → ``invalid_json``."""

    control_error: Final = control.ControlErrorCode.INVALID_JSON


class UnknownNamespace(FrameError):
    """No module has this namespace → ``invalid_namespace`` (after join)."""

    control_error: Final = control.ControlErrorCode.INVALID_NAMESPACE


class InvalidModulePayload(FrameError):
    """A non-control module payload that does not parse; the module decides.

    The reference logs and drops it; ``payload`` is what was sent, so a
    module can still answer with its own error.
    """

    def __init__(self, message: str, *, namespace: str, payload: JsonValue) -> None:
        super().__init__(message, namespace=namespace)
        self.payload = payload


class ParsedCommand(NamedTuple):
    namespace: str
    command: Command


class ParsedEvent(NamedTuple):
    namespace: str
    timestamp: datetime
    event: Event


def parse_command(
    frame: str | bytes, *, namespaces: frozenset[str] = NAMESPACES
) -> ParsedCommand:
    """Parse a text or binary client frame into its namespace and command.

    ``namespaces`` narrows the modules that count as loaded (a subset of
    :data:`NAMESPACES`), e.g. when a tariff disables one.
    """
    try:
        envelope = ClientEnvelope.model_validate_json(frame)
    except ValidationError as exc:
        raise InvalidJson(f"not a signaling envelope: {_summary(exc)}") from None
    namespace = envelope.namespace
    adapter = COMMAND_ADAPTERS.get(namespace)
    if adapter is None or namespace not in namespaces:
        raise UnknownNamespace(f"unknown namespace {namespace!r}", namespace=namespace)
    try:
        command = adapter.validate_python(envelope.payload)
    except ValidationError as exc:
        message = f"invalid {namespace} payload: {_summary(exc)}"
        if namespace == control.NAMESPACE:
            raise InvalidJson(message, namespace=namespace) from None
        raise InvalidModulePayload(
            message, namespace=namespace, payload=envelope.payload
        ) from None
    return ParsedCommand(namespace, command)


def parse_event(frame: str | bytes) -> ParsedEvent:
    """Parse a server frame (the client side; used by tests and tools)."""
    envelope = ServerEnvelope.model_validate_json(frame)
    adapter = EVENT_ADAPTERS.get(envelope.namespace)
    if adapter is None:
        raise UnknownNamespace(
            f"unknown namespace {envelope.namespace!r}", namespace=envelope.namespace
        )
    event = adapter.validate_python(envelope.payload)
    return ParsedEvent(envelope.namespace, envelope.timestamp, event)


def dump_payload(message: BaseModel) -> JsonValue:
    """The wire form of a command or event payload (unset optionals omitted)."""
    payload: JsonValue = message.model_dump(mode="json")
    return payload


def encode_frame(namespace: str, payload: JsonValue, *, timestamp: datetime) -> str:
    """Wrap an already dumped event payload in the server envelope."""
    envelope = ServerEnvelope(namespace=namespace, timestamp=timestamp, payload=payload)
    return envelope.model_dump_json()


def serialize_event(
    event: BaseModel,
    *,
    namespace: str | None = None,
    timestamp: datetime | None = None,
) -> str:
    """Serialise an event into a server frame.

    The namespace defaults to the event class's own; the timestamp to now.
    """
    return encode_frame(
        namespace or _namespace_of(event),
        dump_payload(event),
        timestamp=timestamp or utc_now(),
    )


def serialize_command(command: BaseModel, *, namespace: str | None = None) -> str:
    """Serialise a command into a client frame (for test clients and tools)."""
    envelope = ClientEnvelope(
        namespace=namespace or _namespace_of(command), payload=dump_payload(command)
    )
    return envelope.model_dump_json()


def _namespace_of(message: BaseModel) -> str:
    namespace = getattr(type(message), "namespace", None)
    if not isinstance(namespace, str):
        raise TypeError(f"{type(message).__name__} has no namespace; pass one")
    return namespace


def _summary(exc: ValidationError) -> str:
    first = exc.errors(include_url=False)[0]
    location = ".".join(str(part) for part in first["loc"]) or "frame"
    return f"{location}: {first['msg']}"


__all__ = [
    "COMMAND_ADAPTERS",
    "EVENT_ADAPTERS",
    "NAMESPACES",
    "ClientEnvelope",
    "Command",
    "Event",
    "FrameError",
    "InvalidJson",
    "InvalidModulePayload",
    "ParsedCommand",
    "ParsedEvent",
    "ServerEnvelope",
    "UnknownNamespace",
    "dump_payload",
    "encode_frame",
    "format_timestamp",
    "parse_command",
    "parse_event",
    "serialize_command",
    "serialize_event",
]
