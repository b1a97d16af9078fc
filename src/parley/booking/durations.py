"""ISO 8601 durations for booking-profile fields such as ``timeAvailableFor``.

Accepted: ``P[nW][nD][T[nH][nM][nS]]`` with non-negative integer components
(``P30D``, ``PT12H``, ``P1W``, ``P1DT2H``).  The leading ``P`` may be omitted
(Aurinko's own examples write ``30D``), designators are case-insensitive and
surrounding whitespace is ignored.  Years and months are rejected: they have
no fixed length, so they cannot become a ``timedelta``.  Fractions and signs
are rejected too; nobody needs them for a booking horizon or notice.
"""

from __future__ import annotations

import re
from datetime import timedelta

from parley.booking.errors import BookingFieldError

__all__ = ["DurationError", "normalize_iso_duration", "parse_iso_duration"]

_DEFAULT_FIELD = "timeAvailableFor"

_DURATION = re.compile(
    r"P(?:(?P<weeks>\d{1,12})W)?(?:(?P<days>\d{1,12})D)?"
    r"(?:T(?=\d)(?:(?P<hours>\d{1,12})H)?(?:(?P<minutes>\d{1,12})M)?"
    r"(?:(?P<seconds>\d{1,12})S)?)?",
    # ASCII: \d must not accept digits such as "٣".  The 12-digit cap keeps
    # hostile input away from int()'s digit limit; overflow is caught below.
    re.ASCII,
)
# Year or month designators before any "T"; only used to explain a rejection.
_CALENDAR_UNITS = re.compile(r"P[^T]*[YM]", re.ASCII)


class DurationError(BookingFieldError):
    """A duration string is invalid; ``field`` names the profile field."""


def normalize_iso_duration(value: object, *, field: str = _DEFAULT_FIELD) -> str:
    """Validated canonical text: upper case with the leading ``P`` (``30d`` -> ``P30D``).

    Components are kept as written (``P1W`` stays ``P1W``) so a profile reads
    back the way its owner wrote it.
    """
    text, _ = _parse(value, field)
    return text


def parse_iso_duration(value: object, *, field: str = _DEFAULT_FIELD) -> timedelta:
    """The duration as a ``timedelta``; raises ``DurationError`` naming ``field``."""
    _, duration = _parse(value, field)
    return duration


def _shown(value: object) -> str:
    # Error text reaches logs and HTTP responses; do not echo megabytes back.
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _parse(value: object, field: str) -> tuple[str, timedelta]:
    if not isinstance(value, str):
        raise DurationError(
            field, f"must be an ISO 8601 duration string, got {_shown(value)}"
        )
    text = value.strip().upper()
    if not text.startswith("P"):
        text = "P" + text
    match = _DURATION.fullmatch(text)
    if match is None or not any(match.groupdict().values()):
        if _CALENDAR_UNITS.match(text):
            raise DurationError(
                field,
                "years and months have no fixed length; use weeks or days "
                f"(minutes are PT30M), got {_shown(value)}",
            )
        raise DurationError(
            field,
            f"must be an ISO 8601 duration like P30D or PT12H, got {_shown(value)}",
        )
    parts = {name: int(digits) for name, digits in match.groupdict().items() if digits}
    try:
        return text, timedelta(**parts)
    except OverflowError:
        raise DurationError(field, f"is too long, got {_shown(value)}") from None
