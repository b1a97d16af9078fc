"""`exp` / `nbf` of generate-token: a time span from now, or a point in time.

Accepted (case-insensitive, surrounding whitespace ignored):
- a span as Sariska's token library (jsonwebtoken / vercel "ms") writes it:
  "24 hours", "30 minutes", "7d", "10h", "1.5 hours", "90 s", "2 weeks";
  units ms, s, m, h, d, w, y and their spelled-out forms;
- a Unix timestamp in seconds, as a JSON number or a string of digits (the JWT
  NumericDate the claim holds in the end);
- an ISO 8601 date-time with a UTC offset ("2030-01-01T09:00:00+01:00", "...Z").

A bare number is a timestamp, never a span: jsonwebtoken reads `exp: 3600` as "one
hour", but here it is 1970, which the caller then hears about (it is in the past)
rather than silently getting something else. Empty or missing means "not given".
"""

from __future__ import annotations

import math
import re
from datetime import datetime

from parley.instants import LATEST, RANGE_TEXT, in_range

__all__ = ["TimeSpecError", "parse_time_spec"]

_UNIT_SECONDS = {
    **dict.fromkeys(("ms", "msec", "msecs", "millisecond", "milliseconds"), 0.001),
    **dict.fromkeys(("s", "sec", "secs", "second", "seconds"), 1.0),
    **dict.fromkeys(("m", "min", "mins", "minute", "minutes"), 60.0),
    **dict.fromkeys(("h", "hr", "hrs", "hour", "hours"), 3600.0),
    **dict.fromkeys(("d", "day", "days"), 86_400.0),
    **dict.fromkeys(("w", "week", "weeks"), 604_800.0),
    # vercel/ms counts a year as 365.25 days.
    **dict.fromkeys(("y", "yr", "yrs", "year", "years"), 31_557_600.0),
}
_SPAN = re.compile(r"(\d{1,9}(?:\.\d{1,6})?)\s*([a-z]+)", re.ASCII | re.IGNORECASE)
_TIMESTAMP = re.compile(r"\d{1,12}(?:\.\d{1,6})?", re.ASCII)
# Unix seconds up to the end of Parley's range of instants (parley.instants).
_MAX_TIMESTAMP = LATEST.timestamp()


class TimeSpecError(ValueError):
    """The value is neither a span, a timestamp nor an ISO 8601 date-time."""


def parse_time_spec(value: object, *, now: float) -> float | None:
    """The Unix time the value names (spans count from `now`); None when not given."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, bool):
        raise TimeSpecError("must be a time span, a timestamp or a date-time")
    if isinstance(value, int | float):
        return _timestamp(float(value))
    if not isinstance(value, str):
        raise TimeSpecError("must be a time span, a timestamp or a date-time")
    text = value.strip()
    if _TIMESTAMP.fullmatch(text):
        return _timestamp(float(text))
    span = _SPAN.fullmatch(text)
    if span is not None:
        unit = _UNIT_SECONDS.get(span.group(2).lower())
        if unit is None:
            raise TimeSpecError(f"unknown time unit {span.group(2)!r}")
        return now + float(span.group(1)) * unit
    return _iso_datetime(text)


def _timestamp(seconds: float) -> float:
    if not math.isfinite(seconds) or not 0 <= seconds < _MAX_TIMESTAMP:
        raise TimeSpecError("is not a Unix timestamp in seconds")
    return seconds


def _iso_datetime(text: str) -> float:
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise TimeSpecError(
            'must be a time span ("24 hours"), a Unix timestamp or an ISO 8601 '
            "date-time with offset"
        ) from None
    if moment.tzinfo is None:
        raise TimeSpecError("an ISO 8601 date-time needs a UTC offset (or Z)")
    if not in_range(moment):
        raise TimeSpecError(f"must be {RANGE_TEXT}")
    return moment.timestamp()
