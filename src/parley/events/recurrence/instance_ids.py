"""Instance ids: an occurrence's original start in UTC as ``YYYYMMDDTHHMMSSZ``."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone

from parley.events.recurrence.errors import RecurrenceError

_INSTANCE_ID_RE = re.compile(
    r"([0-9]{4})([0-9]{2})([0-9]{2})T([0-9]{2})([0-9]{2})([0-9]{2})"
    r"(?:(Z)|([+-])([0-9]{2})([0-9]{2}))"  # Z, or an offset such as +0100
)


def instance_id(original_start: datetime) -> str:
    """Format an occurrence's original start (any aware datetime) as its id.

    Raises ``ValueError`` for naive datetimes and sub-second starts: both are
    caller bugs, since the engine only produces whole-second aware instants.
    """
    if original_start.tzinfo is None or original_start.utcoffset() is None:
        raise ValueError("instance ids need an aware datetime")
    if original_start.microsecond:
        raise ValueError("instance ids have whole-second precision")
    return original_start.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def parse_instance_id(text: str) -> datetime:
    """Parse ``YYYYMMDDTHHMMSSZ`` or ``YYYYMMDDTHHMMSS±hhmm`` into aware UTC.

    The offset form is what the OpenTalk controller also accepts on input,
    e.g. ``20220215T180000+0100`` (= ``20220215T170000Z``).
    """
    match = _INSTANCE_ID_RE.fullmatch(text)
    if match is None:
        raise RecurrenceError(
            f"instance id {text!r} is not of the form YYYYMMDDTHHMMSSZ "
            "or YYYYMMDDTHHMMSS±hhmm"
        )
    year, month, day, hour, minute, second = (int(part) for part in match.groups()[:6])
    offset = timedelta(0)
    if match.group(7) is None:
        offset_hours, offset_minutes = int(match.group(9)), int(match.group(10))
        if offset_hours > 23 or offset_minutes > 59:
            raise RecurrenceError(f"instance id {text!r} has an invalid UTC offset")
        offset = timedelta(hours=offset_hours, minutes=offset_minutes)
        if match.group(8) == "-":
            offset = -offset
    try:
        local = datetime(
            year, month, day, hour, minute, second, tzinfo=timezone(offset)
        )
        return local.astimezone(UTC)
    except (ValueError, OverflowError) as exc:
        raise RecurrenceError(
            f"instance id {text!r} is not a valid date ({exc})"
        ) from None
