"""Logging: one configuration for the CLI, uvicorn and every worker, as text or JSON.

``PARLEY_LOG_FORMAT=text`` writes ``time level logger: message key=value ...``;
``json`` writes one JSON object per line (python-json-logger). Every record
carries the request id and user id of the request (or websocket session) it
was logged in, taken from context variables the request middleware sets
(:mod:`parley.middleware`), so a warning deep in a service names its request.

Secrets never reach a log line: request lines name the route template
(``/v1/rooms/{room_id}/invites/{invite_code}``), never the path or the query
string; uvicorn's own access log, which prints both, is off; SQL parameters
are hidden from database errors (:func:`parley.db.create_engine`).
"""

from __future__ import annotations

import logging
import logging.config
from contextvars import ContextVar
from typing import Any, Final

from pythonjsonlogger.json import JsonFormatter as _JsonFormatter

from parley.config import Settings

REQUEST_ID: ContextVar[str | None] = ContextVar("parley_request_id", default=None)
USER_ID: ContextVar[str | None] = ContextVar("parley_user_id", default=None)

ACCESS_LOGGER: Final = "parley.access"
TRACE_LEVEL: Final = 5
"""uvicorn's TRACE level (``PARLEY_LOG_LEVEL=trace``)."""

CONTEXT_FIELDS: Final = ("request_id", "user_id")
# Extra fields of request lines that text output appends as key=value.
_TEXT_FIELDS: Final = ("request_id", "user_id", "client")
_TEXT_FORMAT: Final = "%(asctime)s %(levelname)s %(name)s: %(message)s"
# Loggers that print URLs, request lines, SQL parameters (aiosqlite, at DEBUG)
# or issued tokens (Authlib, at DEBUG), secrets all, whatever
# PARLEY_LOG_LEVEL says; and
# SQLAlchemy's pool chatter (its own loggers default to WARNING, but Parley's
# pool subclass logs under Parley's name).
_QUIET_LOGGERS: Final = (
    "uvicorn.access",
    "httpx",
    "httpcore",
    "aiosqlite",
    "authlib",
    "parley.db.ObservedPool",
)


def note_user(user_id: object) -> None:
    """Name the authenticated user in the current request's log lines."""
    USER_ID.set(str(user_id))


class ContextFilter(logging.Filter):
    """Adds the current request id and user id to every record."""

    def filter(self, record: logging.LogRecord) -> bool:
        for field, variable in (("request_id", REQUEST_ID), ("user_id", USER_ID)):
            if getattr(record, field, None) is None:
                setattr(record, field, variable.get())
        return True


class TextFormatter(logging.Formatter):
    """The classic line, with the request context appended as ``key=value``."""

    def __init__(self) -> None:
        super().__init__(_TEXT_FORMAT)

    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        pairs = [
            f"{field}={value}"
            for field in _TEXT_FIELDS
            if (value := getattr(record, field, None)) is not None
        ]
        return f"{line} {' '.join(pairs)}" if pairs else line


class JsonFormatter(_JsonFormatter):
    """One JSON object per record: time, level, logger, message, context, extras."""

    def __init__(self) -> None:
        super().__init__(
            "%(levelname)s %(name)s %(message)s",
            rename_fields={"levelname": "level", "name": "logger"},
            timestamp="time",  # ISO 8601, UTC
        )

    def process_log_record(self, log_data: dict[str, Any]) -> dict[str, Any]:
        # Outside a request the context fields are empty: leave them out (and
        # uvicorn's terminal-coloured copy of its message).
        return {
            key: value
            for key, value in log_data.items()
            if value is not None and key != "color_message"
        }


def _level(settings: Settings) -> int:
    if settings.log_level == "trace":
        return TRACE_LEVEL
    level: int = logging.getLevelNamesMapping()[settings.log_level.upper()]
    return level


def logging_config(settings: Settings) -> dict[str, Any]:
    """A ``logging.config.dictConfig`` for this process and uvicorn's workers."""
    formatter = "JsonFormatter" if settings.log_format == "json" else "TextFormatter"
    level = _level(settings)
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"context": {"()": f"{__name__}.ContextFilter"}},
        "formatters": {"parley": {"()": f"{__name__}.{formatter}"}},
        "handlers": {
            "parley": {
                "class": "logging.StreamHandler",
                "stream": "ext://sys.stderr",
                "formatter": "parley",
                "filters": ["context"],
            }
        },
        "root": {"handlers": ["parley"], "level": level},
        "loggers": {
            # uvicorn's loggers come with handlers of their own: go through root.
            "uvicorn": {"handlers": [], "propagate": True, "level": level},
            "uvicorn.error": {"handlers": [], "propagate": True, "level": level},
            "alembic.runtime.plugins": {"level": logging.WARNING},
            **{
                name: {"handlers": [], "propagate": True, "level": logging.WARNING}
                for name in _QUIET_LOGGERS
            },
            ACCESS_LOGGER: {"level": level if settings.access_log else logging.WARNING},
        },
    }


def configure(settings: Settings) -> None:
    """Configure this process's logging from the settings.

    Like ``logging.basicConfig``, nothing happens when the root logger already
    has handlers: whoever set them up (a test runner calling the CLI in its
    own process) keeps them. ``parley serve`` hands the same configuration to
    uvicorn, which applies it in every worker.
    """
    if logging.getLogger().handlers:
        return
    logging.config.dictConfig(logging_config(settings))
