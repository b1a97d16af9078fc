"""Opaque paging cursors: URL-safe base64 (no padding) of a small JSON record."""

from __future__ import annotations

import base64
import binascii
import json
import uuid
from datetime import datetime
from typing import Any

from parley.errors import BadRequest
from parley.events.listing import SortKey


class InvalidCursor(BadRequest):
    default_message = "The paging cursor is invalid; start again without it"


def _encode(record: dict[str, Any]) -> str:
    raw = json.dumps(record, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode(text: str) -> dict[str, Any]:
    try:
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
        record = json.loads(raw)
    except (binascii.Error, ValueError):
        raise InvalidCursor() from None
    if not isinstance(record, dict):
        raise InvalidCursor()
    return record


def _instant(value: Any) -> datetime:
    if not isinstance(value, str):
        raise InvalidCursor()
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise InvalidCursor() from None
    if parsed.tzinfo is None:
        raise InvalidCursor()
    return parsed


def encode_event_cursor(key: SortKey) -> str:
    return _encode(
        {
            "s": key.first_start.isoformat() if key.first_start else None,
            "c": key.created_at.isoformat(),
            "i": str(key.event_id),
        }
    )


def decode_event_cursor(text: str) -> SortKey:
    record = _decode(text)
    try:
        event_id = uuid.UUID(str(record.get("i")))
    except ValueError:
        raise InvalidCursor() from None
    start = record.get("s")
    return SortKey(
        first_start=None if start is None else _instant(start),
        created_at=_instant(record.get("c")),
        event_id=event_id,
    )


def encode_instance_cursor(start: datetime) -> str:
    return _encode({"f": start.isoformat()})


def decode_instance_cursor(text: str) -> datetime:
    return _instant(_decode(text).get("f"))
