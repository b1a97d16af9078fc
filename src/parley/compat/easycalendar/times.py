"""EasyCalendar's times: UTC only, `YYYY-MM-DDTHH:MM:SSZ` or `YYYY-MM-DD HH:MM:SSZ`.

Pure: no I/O. A time that is not one of the two forms, has an offset other than
`Z`, lacks the `Z`, or names no real date is a 400 naming its field.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from parley.errors import BadRequest

_UTC_TIME = re.compile(r"(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2}):(\d{2})Z", re.ASCII)
_WITH_OFFSET = re.compile(r".*\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?[+-]\d{2}:?\d{2}$")
_FORMS = "YYYY-MM-DDTHH:MM:SSZ or YYYY-MM-DD HH:MM:SSZ"
# Years outside this are typos, and beyond it the calendar arithmetic of events
# would leave the range of datetime.
MIN_YEAR, MAX_YEAR = 1970, 9998


class InvalidTime(BadRequest):
    code = "invalid_time"


def parse_utc(value: object, field: str) -> datetime:
    """The instant a request field names; InvalidTime (400) naming ``field``."""
    if not isinstance(value, str):
        raise InvalidTime(f"{field} must be a string in the form {_FORMS}")
    text = value.strip()
    match = _UTC_TIME.fullmatch(text)
    if match is None:
        if _WITH_OFFSET.fullmatch(text):
            raise InvalidTime(f"{field} must be in UTC (ending in Z), not an offset")
        if text[-1:] not in ("Z", "z") and re.fullmatch(
            r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}", text
        ):
            raise InvalidTime(f"{field} must end in Z: the time must be in UTC")
        raise InvalidTime(f"{field} must be in the form {_FORMS}")
    year, month, day, hour, minute, second = (int(part) for part in match.groups())
    if not MIN_YEAR <= year <= MAX_YEAR:
        raise InvalidTime(
            f"{field} must be between the years {MIN_YEAR} and {MAX_YEAR}"
        )
    try:
        return datetime(year, month, day, hour, minute, second, tzinfo=UTC)
    except ValueError:
        raise InvalidTime(f"{field} is not a valid date and time") from None


def ensure_order(start: datetime, end: datetime, *, field: str = "endtime") -> None:
    """End strictly after start, or a 400 naming the field."""
    if end <= start:
        raise InvalidTime(f"{field} must be after starttime")


def utc_text(moment: datetime | None) -> str | None:
    """`2020-11-18T09:15:00Z`, the form requests use."""
    if moment is None:
        return None
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def wall_text(moment: datetime | None, zone: str | None = None) -> str | None:
    """`2020-11-18 16:45:00`: the wall time in ``zone`` (UTC without one)."""
    if moment is None:
        return None
    local = moment.astimezone(ZoneInfo(zone) if zone else UTC)
    return local.strftime("%Y-%m-%d %H:%M:%S")
