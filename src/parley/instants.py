"""The range of instants Parley accepts, and shifting instants without overflow.

Every instant a client sends (event times, time ranges, invite expiry, booking
times, reservation starts, Jitsi timestamps, token `exp`/`nbf`) must lie in
[EARLIEST, LATEST): years 1900 to 8999, UTC. Python's datetime ends at years 1 and
9999, and an instant near either end overflows as soon as it is moved into a zone
or shifted by a duration (a 500 before this bound). The margin of about a thousand
years above LATEST is far more than any shift Parley applies (windows of at most
7 days, booking horizons, recurrence slack), so arithmetic on accepted values
cannot overflow; code that shifts by unbounded amounts uses `shift`, which
saturates. Pure: no I/O.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated

from pydantic import AfterValidator, AwareDatetime

EARLIEST = datetime(1900, 1, 1, tzinfo=UTC)
LATEST = datetime(9000, 1, 1, tzinfo=UTC)
RANGE_TEXT = "from 1900-01-01T00:00:00Z to before 9000-01-01T00:00:00Z"
_MIN = datetime.min.replace(tzinfo=UTC)
_MAX = datetime.max.replace(tzinfo=UTC)


class InstantOutOfRange(ValueError):
    """An instant outside [EARLIEST, LATEST); a ValueError, so a 422 in a body."""

    def __init__(self) -> None:
        super().__init__(f"must be {RANGE_TEXT}")


def in_range(instant: datetime) -> bool:
    """Whether an aware instant lies in the accepted range (any zone)."""
    try:
        return EARLIEST <= instant.astimezone(UTC) < LATEST
    except OverflowError:  # 0001-01-01T00:30+01:00 is before year 1 in UTC
        return False


def check_instant(instant: datetime) -> datetime:
    """The instant unchanged, or InstantOutOfRange."""
    if not in_range(instant):
        raise InstantOutOfRange()
    return instant


# An RFC 3339 date-time with an offset, in the accepted range.
Instant = Annotated[AwareDatetime, AfterValidator(check_instant)]


def shift(instant: datetime, delta: timedelta) -> datetime:
    """``instant + delta``, saturating at the ends of the datetime range."""
    try:
        return instant + delta
    except OverflowError:
        end = _MIN if delta < timedelta(0) else _MAX
        return end.replace(tzinfo=instant.tzinfo)
