"""RFC 5545 content lines and DATE / DATE-TIME values of a recurrence pattern.

Instants are encoded the same way throughout the engine: timed values become
aware UTC datetimes; all-day values are floating dates, encoded as midnight UTC
of that date (the API stores all-day ``starts_at`` that way too).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from enum import StrEnum
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from parley.events.recurrence.errors import RecurrenceError
from parley.instants import RANGE_TEXT, in_range

MAX_PATTERN_LINES = 4
MAX_LINE_LENGTH = 1024


class PropertyName(StrEnum):
    RRULE = "RRULE"
    RDATE = "RDATE"
    EXRULE = "EXRULE"
    EXDATE = "EXDATE"


@dataclass(frozen=True, slots=True)
class ContentLine:
    """One ``NAME;PARAM=VALUE:value`` line of the pattern."""

    number: int  # 1-based position in the pattern, for error messages
    name: PropertyName
    params: Mapping[str, str]  # parameter names upper-cased, quotes removed
    value: str

    @property
    def where(self) -> str:
        return f"line {self.number} ({self.name})"


# ASCII classes throughout: \d would also accept other scripts' digits.
_NAME_RE = re.compile(r"[A-Za-z0-9-]+")
_PARAM_RE = re.compile(r';([A-Za-z0-9-]+)=("[^"]*"|[^";:,]*)')
_DATE_RE = re.compile(r"([0-9]{4})([0-9]{2})([0-9]{2})")
_DATE_TIME_RE = re.compile(
    r"([0-9]{4})([0-9]{2})([0-9]{2})T([0-9]{2})([0-9]{2})([0-9]{2})(Z?)"
)
_FORBIDDEN_PROPERTIES = {
    "DTSTART": "DTSTART is not allowed; the first occurrence comes from starts_at",
    "DTEND": "DTEND is not allowed; the duration comes from starts_at and ends_at",
}


def split_content_line(text: str, number: int) -> ContentLine:
    """Split one pattern line into name, parameters and value (no value checks)."""
    if len(text) > MAX_LINE_LENGTH:
        raise RecurrenceError(
            f"line {number} is {len(text)} characters long; "
            f"at most {MAX_LINE_LENGTH} are allowed"
        )
    # Lines are stored joined with newlines, so a line must never contain one.
    if any(ord(char) < 32 or ord(char) == 127 for char in text):
        raise RecurrenceError(
            f"line {number} contains a control character or line break; "
            "each entry must be a single content line"
        )
    name_match = _NAME_RE.match(text)
    if name_match is None:
        raise RecurrenceError(f"line {number} does not start with a property name")
    raw_name = name_match.group().upper()
    if raw_name in _FORBIDDEN_PROPERTIES:
        raise RecurrenceError(f"line {number}: {_FORBIDDEN_PROPERTIES[raw_name]}")
    try:
        name = PropertyName(raw_name)
    except ValueError:
        allowed = ", ".join(PropertyName)
        raise RecurrenceError(
            f"line {number}: unknown property {raw_name!r}; allowed are {allowed}"
        ) from None

    params: dict[str, str] = {}
    position = name_match.end()
    while position < len(text) and text[position] == ";":
        param_match = _PARAM_RE.match(text, position)
        if param_match is None:
            raise RecurrenceError(f"line {number} ({name}): malformed parameter")
        param_name = param_match.group(1).upper()
        if param_name in params:
            raise RecurrenceError(
                f"line {number} ({name}): parameter {param_name} given twice"
            )
        params[param_name] = param_match.group(2).strip('"')
        position = param_match.end()
    if position >= len(text) or text[position] != ":":
        raise RecurrenceError(
            f"line {number} ({name}): expected ':' after the property name"
        )
    value = text[position + 1 :]
    if not value:
        raise RecurrenceError(f"line {number} ({name}): the value is empty")
    return ContentLine(number=number, name=name, params=params, value=value)


def join_recurrence_pattern(lines: Sequence[str]) -> str | None:
    """Storage form of a pattern: lines joined by newlines, ``None`` when empty."""
    return "\n".join(lines) if lines else None


def split_recurrence_pattern(stored: str | None) -> list[str]:
    """Inverse of :func:`join_recurrence_pattern`."""
    return stored.split("\n") if stored else []


def load_zone(name: str, where: str) -> ZoneInfo:
    # "localtime" names whatever zone the host is configured for; never accept it.
    if name == "localtime":
        raise RecurrenceError(f"{where}: unknown time zone {name!r}")
    try:
        return ZoneInfo(name)
    # Besides unknown keys: malformed keys (ValueError) and directories such as
    # "Europe" (IsADirectoryError) or data files such as "zone.tab" (ValueError).
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise RecurrenceError(f"{where}: unknown time zone {name!r}") from None


def parse_date(text: str, where: str) -> date:
    match = _DATE_RE.fullmatch(text)
    if match is None:
        raise RecurrenceError(f"{where}: malformed date {text!r}; expected YYYYMMDD")
    year, month, day = (int(group) for group in match.groups())
    try:
        return date(year, month, day)
    except ValueError as exc:
        raise RecurrenceError(f"{where}: invalid date {text!r} ({exc})") from None


def parse_date_time(text: str, where: str) -> tuple[datetime, bool]:
    """Parse ``YYYYMMDDTHHMMSS[Z]``; return the naive value and whether it is UTC."""
    match = _DATE_TIME_RE.fullmatch(text)
    if match is None:
        raise RecurrenceError(
            f"{where}: malformed date-time {text!r}; expected YYYYMMDDTHHMMSS "
            "with an optional trailing Z"
        )
    year, month, day, hour, minute, second = (
        int(group) for group in match.groups()[:6]
    )
    try:
        # Naive on purpose: a wall time, resolved by the caller (Z, TZID or event zone).
        naive = datetime(year, month, day, hour, minute, second)  # noqa: DTZ001
    except ValueError as exc:
        raise RecurrenceError(f"{where}: invalid date-time {text!r} ({exc})") from None
    return naive, match.group(7) == "Z"


def wall_to_instant(wall: datetime, zone: ZoneInfo) -> datetime:
    """Resolve a local wall time to UTC the RFC 5545 (3.3.5) way.

    fold=0 picks the first of two ambiguous wall times (fall back) and, for a
    wall time inside a gap (spring forward), the offset in force before the gap,
    which moves it forward by the gap length (02:30 -> 03:30 CEST).
    """
    return wall.replace(tzinfo=zone, fold=0).astimezone(UTC)


def date_to_instant(day: date) -> datetime:
    """Encode a floating all-day date as midnight UTC, as the API stores it."""
    return datetime.combine(day, time(), tzinfo=UTC)


def parse_date_list(
    line: ContentLine, *, is_all_day: bool, zone: ZoneInfo
) -> list[datetime]:
    """Parse the values of an RDATE or EXDATE line into encoded instants."""
    where = line.where
    unknown = set(line.params) - {"VALUE", "TZID"}
    if unknown:
        raise RecurrenceError(
            f"{where}: unsupported parameter {sorted(unknown)[0]}; "
            "only VALUE and TZID are allowed"
        )
    value_type = line.params.get("VALUE", "DATE-TIME").upper()
    if value_type == "PERIOD":
        raise RecurrenceError(
            f"{where}: VALUE=PERIOD is not supported; every occurrence "
            "lasts as long as the first one"
        )
    if value_type not in ("DATE", "DATE-TIME"):
        raise RecurrenceError(
            f"{where}: VALUE={value_type} is not allowed; use DATE or DATE-TIME"
        )
    tzid = line.params.get("TZID")
    if is_all_day and value_type != "DATE":
        raise RecurrenceError(
            f"{where}: all-day events take dates; write {line.name};VALUE=DATE:YYYYMMDD"
        )
    if not is_all_day and value_type == "DATE":
        raise RecurrenceError(
            f"{where}: VALUE=DATE is only for all-day events; timed events take "
            "date-times such as 20240105T090000Z"
        )
    if value_type == "DATE" and tzid is not None:
        raise RecurrenceError(f"{where}: TZID cannot be combined with VALUE=DATE")
    value_zone = load_zone(tzid, where) if tzid is not None else zone

    instants: list[datetime] = []
    for text in line.value.split(","):
        if value_type == "DATE":
            instants.append(
                _bounded(date_to_instant(parse_date(text, where)), text, where)
            )
            continue
        naive, is_utc = parse_date_time(text, where)
        if is_utc and tzid is not None:
            raise RecurrenceError(
                f"{where}: {text!r} is in UTC (ends with Z) but the line also has TZID"
            )
        # A floating date-time (no Z, no TZID) means wall time in the event's zone.
        try:
            instant = (
                naive.replace(tzinfo=UTC)
                if is_utc
                else wall_to_instant(naive, value_zone)
            )
        except OverflowError:
            raise RecurrenceError(f"{where}: {text!r} is out of range") from None
        instants.append(_bounded(instant, text, where))
    return instants


def _bounded(instant: datetime, text: str, where: str) -> datetime:
    """RDATE and EXDATE values are instants a client sends: Parley's range applies."""
    if not in_range(instant):
        raise RecurrenceError(f"{where}: {text!r} must be {RANGE_TEXT}")
    return instant
