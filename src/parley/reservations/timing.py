"""Pure time handling for reservations: IANA zones, local wall times, durations, and
the UTC timestamp format of Jitsi's reservation protocol.

Local wall times are resolved in their zone the way a calendar does: a reading that
does not exist (inside a DST gap) is rejected rather than silently moved; a reading
that exists twice (DST overlap) means its first occurrence. Durations are real
elapsed minutes, so a 60-minute reservation spanning a DST change ends 60 minutes
after it starts, whatever the wall clock says.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from parley.instants import RANGE_TEXT, in_range
from parley.reservations.errors import (
    InvalidDuration,
    InvalidPin,
    InvalidStartTime,
    InvalidTimezone,
)

# The longest window of any kind (reservations here, Jitsi ad hoc allocations in
# PARLEY_JITSI_ADHOC_DURATION_SECONDS, capped at the same 7 days).
MAX_WINDOW = timedelta(days=7)
MAX_DURATION_MINUTES = int(MAX_WINDOW.total_seconds()) // 60
_LOCAL_TIME = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2}))?", re.ASCII
)
# yyyy-MM-dd'T'HH:mm:ss.SSSX as Prosody and Jicofo send it; fractions optional.
_UTC_TIME = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,6}))?(Z|[+-]00:?00)",
    re.ASCII,
)
_PIN = re.compile(r"\d{4,10}", re.ASCII)


@lru_cache(maxsize=1)
def _zones_by_lower_name() -> dict[str, str]:
    return {name.lower(): name for name in available_timezones()}


def resolve_timezone(name: str) -> ZoneInfo:
    """The zone for an IANA name; spaces mean underscores ("America/New York"), any case."""
    candidate = name.strip().replace(" ", "_")
    canonical = _zones_by_lower_name().get(candidate.lower())
    if canonical is None:
        raise InvalidTimezone(f"{_shown(name)} is not a known IANA time zone")
    try:
        return ZoneInfo(canonical)
    except (ZoneInfoNotFoundError, ValueError) as exc:  # pragma: no cover - tzdata gap
        raise InvalidTimezone(f"{_shown(name)} is not a known IANA time zone") from exc


def parse_local_start(text: str, zone: ZoneInfo) -> datetime:
    """The UTC instant of a local wall time `YYYY-MM-DDTHH:MM[:SS]` in the zone."""
    match = _LOCAL_TIME.fullmatch(text.strip())
    if match is None:
        raise InvalidStartTime(
            f"start_time {_shown(text)} is not a local wall time YYYY-MM-DDTHH:MM[:SS]"
        )
    year, month, day, hour, minute, second = (
        int(part) if part else 0 for part in match.groups()
    )
    try:
        naive = datetime(year, month, day, hour, minute, second)  # noqa: DTZ001 - a wall-clock reading, zoned below
    except ValueError as exc:
        raise InvalidStartTime(f"start_time {_shown(text)}: {exc}") from exc
    # fold=0 picks the first of two readings in a DST overlap.
    local = naive.replace(tzinfo=zone, fold=0)
    if not in_range(local):
        raise InvalidStartTime(f"start_time {_shown(text)} must be {RANGE_TEXT}")
    instant = local.astimezone(UTC)
    if instant.astimezone(zone).replace(tzinfo=None) != naive:
        raise InvalidStartTime(
            f"start_time {_shown(text)} does not exist in {zone.key} "
            "(the clocks skip it for daylight saving time)"
        )
    return instant


def format_local(instant: datetime, zone: ZoneInfo) -> str:
    """The local wall time of a UTC instant: `YYYY-MM-DDTHH:MM`, `:SS` when not zero."""
    local = instant.astimezone(zone)
    pattern = "%Y-%m-%dT%H:%M:%S" if local.second else "%Y-%m-%dT%H:%M"
    return local.strftime(pattern)


def parse_duration_minutes(value: int | str) -> int:
    """Whole minutes from a number or a numeric string, 1 to 7 days."""
    if isinstance(value, str):
        text = value.strip()
        if not text.isascii() or not text.isdigit() or len(text) > 20:
            raise InvalidDuration(
                f"duration {_shown(value)} is not a whole number of minutes"
            )
        value = int(text)
    if isinstance(value, bool) or not 1 <= value <= MAX_DURATION_MINUTES:
        raise InvalidDuration(
            f"duration must be between 1 and {MAX_DURATION_MINUTES} minutes"
        )
    return value


def parse_pin(value: str | None) -> str | None:
    """A PIN of 4 to 10 digits (it doubles as a SIP call-in PIN); "" means none."""
    if value is None or value.strip() == "":
        return None
    text = value.strip()
    if _PIN.fullmatch(text) is None:
        raise InvalidPin()
    return text


def parse_utc_timestamp(text: str) -> datetime:
    """A UTC instant as Jitsi writes it (`2048-04-20T17:55:12.000Z`)."""
    match = _UTC_TIME.fullmatch(text.strip())
    if match is None:
        raise InvalidStartTime(
            f"start_time {_shown(text)} is not a UTC time like 2048-04-20T17:55:12.000Z"
        )
    year, month, day, hour, minute, second, fraction, _ = match.groups()
    micro = int((fraction or "0").ljust(6, "0"))
    try:
        instant = datetime(
            int(year),
            int(month),
            int(day),
            int(hour),
            int(minute),
            int(second),
            micro,
            tzinfo=UTC,
        )
    except ValueError as exc:
        raise InvalidStartTime(f"start_time {_shown(text)}: {exc}") from exc
    if not in_range(instant):
        raise InvalidStartTime(f"start_time {_shown(text)} must be {RANGE_TEXT}")
    return instant


def format_utc_timestamp(instant: datetime) -> str:
    """`yyyy-MM-dd'T'HH:mm:ss.SSSZ` in UTC, the format of Jitsi's reservation API."""
    utc = instant.astimezone(UTC)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"


def whole_minutes(delta: timedelta) -> int:
    """A window's length in minutes, rounded up (a 30-second conference lasted 1)."""
    seconds = int(delta.total_seconds())
    return max(1, -(-seconds // 60))


def _shown(value: object) -> str:
    # Values reach error messages; keep them short.
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."
