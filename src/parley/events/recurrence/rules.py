"""Parsing and validation of RRULE / EXRULE values (RFC 5545 3.3.10)."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum

from parley.events.recurrence.content_lines import (
    ContentLine,
    date_to_instant,
    parse_date,
    parse_date_time,
)
from parley.events.recurrence.errors import RecurrenceError

WEEKDAY_CODES = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")  # index == date.weekday()

# BYHOUR/BYMINUTE/BYSECOND can multiply a daily rule into sub-daily occurrences,
# which is what rejecting FREQ=HOURLY and finer is meant to prevent; allow up to
# one occurrence per hour.
MAX_TIMES_PER_DAY = 24


class Frequency(StrEnum):
    DAILY = "DAILY"
    WEEKLY = "WEEKLY"
    MONTHLY = "MONTHLY"
    YEARLY = "YEARLY"


_SUB_DAILY_FREQUENCIES = ("HOURLY", "MINUTELY", "SECONDLY")


@dataclass(frozen=True, slots=True)
class WeekdayNumber:
    """One BYDAY entry, e.g. ``MO`` (every Monday) or ``-1FR`` (last Friday)."""

    weekday: int  # 0 = Monday ... 6 = Sunday, like date.weekday()
    ordinal: int | None = None  # 1 = first, -1 = last, None = every such weekday


@dataclass(frozen=True, slots=True)
class RecurrenceRule:
    """A validated RRULE or EXRULE; empty tuples mean the part was not given."""

    freq: Frequency
    interval: int = 1
    count: int | None = None
    # Inclusive. Timed events: aware UTC. All-day events: the date at midnight UTC.
    until: datetime | None = None
    by_month: tuple[int, ...] = ()
    by_week_no: tuple[int, ...] = ()
    by_year_day: tuple[int, ...] = ()
    by_month_day: tuple[int, ...] = ()
    by_day: tuple[WeekdayNumber, ...] = ()
    by_hour: tuple[int, ...] = ()
    by_minute: tuple[int, ...] = ()
    by_second: tuple[int, ...] = ()
    by_set_pos: tuple[int, ...] = ()
    week_start: int = 0  # WKST, default Monday

    @property
    def is_bounded(self) -> bool:
        return self.count is not None or self.until is not None


_POSITIVE_INT_RE = re.compile(r"[0-9]+")
_SIGNED_INT_RE = re.compile(r"[+-]?[0-9]{1,3}")
_BYDAY_RE = re.compile(r"([+-]?[0-9]{1,2})?([A-Z]{2})")
_DATE_ONLY_RE = re.compile(r"[0-9]{8}")
_TIME_PARTS = ("BYHOUR", "BYMINUTE", "BYSECOND")
_KNOWN_PARTS = (
    "FREQ",
    "UNTIL",
    "COUNT",
    "INTERVAL",
    "BYSECOND",
    "BYMINUTE",
    "BYHOUR",
    "BYDAY",
    "BYMONTHDAY",
    "BYYEARDAY",
    "BYWEEKNO",
    "BYMONTH",
    "BYSETPOS",
    "WKST",
)


def parse_rule(
    line: ContentLine, *, start: datetime, is_all_day: bool
) -> RecurrenceRule:
    """Validate an RRULE/EXRULE line against RFC 5545 and Parley's limits."""
    where = line.where

    def fail(problem: str) -> RecurrenceError:
        return RecurrenceError(f"{where}: {problem}")

    if line.params:
        raise fail(f"{line.name} takes no parameters")
    parts = _split_parts(line.value, fail)

    freq = _parse_freq(parts.get("FREQ"), fail)
    interval = _parse_positive_int(parts, "INTERVAL", fail) or 1
    count = _parse_positive_int(parts, "COUNT", fail)
    if count is not None and "UNTIL" in parts:
        raise fail("COUNT and UNTIL cannot be combined (RFC 5545 3.3.10)")
    until = None
    if "UNTIL" in parts:
        until = _parse_until(parts["UNTIL"], is_all_day=is_all_day, fail=fail)
        if until < start:
            raise fail(f"UNTIL={parts['UNTIL']} is before the event start")

    by_second = _parse_int_list(parts, "BYSECOND", 0, 59, signed=False, fail=fail)
    by_minute = _parse_int_list(parts, "BYMINUTE", 0, 59, signed=False, fail=fail)
    by_hour = _parse_int_list(parts, "BYHOUR", 0, 23, signed=False, fail=fail)
    by_month_day = _parse_int_list(parts, "BYMONTHDAY", 1, 31, signed=True, fail=fail)
    by_year_day = _parse_int_list(parts, "BYYEARDAY", 1, 366, signed=True, fail=fail)
    by_week_no = _parse_int_list(parts, "BYWEEKNO", 1, 53, signed=True, fail=fail)
    by_month = _parse_int_list(parts, "BYMONTH", 1, 12, signed=False, fail=fail)
    by_set_pos = _parse_int_list(parts, "BYSETPOS", 1, 366, signed=True, fail=fail)
    by_day = _parse_by_day(parts.get("BYDAY"), fail)
    week_start = _parse_weekday(parts["WKST"], "WKST", fail) if "WKST" in parts else 0

    # Combinations RFC 5545 3.3.10 forbids, checked in its order.
    if by_month_day and freq is Frequency.WEEKLY:
        raise fail("BYMONTHDAY cannot be used with FREQ=WEEKLY")
    if by_year_day and freq in (Frequency.DAILY, Frequency.WEEKLY, Frequency.MONTHLY):
        raise fail(f"BYYEARDAY cannot be used with FREQ={freq}")
    if by_week_no and freq is not Frequency.YEARLY:
        raise fail("BYWEEKNO needs FREQ=YEARLY")
    ordinals = [entry.ordinal for entry in by_day if entry.ordinal is not None]
    if ordinals:
        if freq not in (Frequency.MONTHLY, Frequency.YEARLY):
            raise fail("BYDAY ordinals such as 1MO need FREQ=MONTHLY or FREQ=YEARLY")
        if by_week_no:
            raise fail("BYDAY ordinals cannot be combined with BYWEEKNO")
        # Ordinals count within a month for MONTHLY, or YEARLY with BYMONTH.
        if (freq is Frequency.MONTHLY or by_month) and max(map(abs, ordinals)) > 5:
            raise fail("a BYDAY ordinal beyond 5 can never match within a month")
    if by_set_pos and not any(
        key.startswith("BY") and key != "BYSETPOS" for key in parts
    ):
        raise fail("BYSETPOS needs another BYxxx rule part to select from")
    if is_all_day:
        time_parts = [key for key in _TIME_PARTS if key in parts]
        if time_parts:
            raise fail(f"{time_parts[0]} cannot be used for all-day events")
    times_per_day = (len(by_hour) or 1) * (len(by_minute) or 1) * (len(by_second) or 1)
    if times_per_day > MAX_TIMES_PER_DAY:
        raise fail(
            f"BYHOUR/BYMINUTE/BYSECOND give {times_per_day} times per day; "
            f"at most {MAX_TIMES_PER_DAY} are allowed"
        )

    return RecurrenceRule(
        freq=freq,
        interval=interval,
        count=count,
        until=until,
        by_month=by_month,
        by_week_no=by_week_no,
        by_year_day=by_year_day,
        by_month_day=by_month_day,
        by_day=by_day,
        by_hour=by_hour,
        by_minute=by_minute,
        by_second=by_second,
        by_set_pos=by_set_pos,
        week_start=week_start,
    )


_Fail = Callable[[str], RecurrenceError]


def _split_parts(value: str, fail: _Fail) -> dict[str, str]:
    parts: dict[str, str] = {}
    for raw_part in value.split(";"):
        name, separator, part_value = raw_part.partition("=")
        name = name.upper()
        if not raw_part:
            raise fail("empty rule part (stray ';')")
        if not separator or not part_value:
            raise fail(f"rule part {raw_part!r} is not NAME=VALUE")
        if name not in _KNOWN_PARTS:
            raise fail(f"unknown rule part {name!r}")
        if name in parts:
            raise fail(f"{name} given twice")
        parts[name] = part_value
    return parts


def _parse_freq(value: str | None, fail: _Fail) -> Frequency:
    if value is None:
        raise fail("FREQ is missing")
    upper = value.upper()
    if upper in _SUB_DAILY_FREQUENCIES:
        raise fail(f"FREQ={upper} is not supported; the finest frequency is DAILY")
    try:
        return Frequency(upper)
    except ValueError:
        raise fail(f"FREQ={value} is not a valid frequency") from None


def _parse_positive_int(parts: dict[str, str], name: str, fail: _Fail) -> int | None:
    if name not in parts:
        return None
    text = parts[name]
    if _POSITIVE_INT_RE.fullmatch(text) is None or int(text) == 0:
        raise fail(f"{name}={text} must be a positive integer")
    return int(text)


def _parse_until(text: str, *, is_all_day: bool, fail: _Fail) -> datetime:
    is_date = _DATE_ONLY_RE.fullmatch(text) is not None
    if is_all_day and not is_date:
        raise fail(f"UNTIL={text} must be a date (YYYYMMDD) for all-day events")
    if not is_all_day and is_date:
        raise fail(
            f"UNTIL={text} must be a UTC date-time such as {text}T235959Z "
            "for timed events, not a date"
        )
    try:
        if is_all_day:
            return date_to_instant(parse_date(text, "UNTIL"))
        naive, is_utc = parse_date_time(text, "UNTIL")
    except RecurrenceError as exc:
        raise fail(str(exc)) from None
    if not is_utc:
        raise fail(f"UNTIL={text} must be in UTC (end it with Z) for timed events")
    return naive.replace(tzinfo=UTC)


def _parse_int_list(
    parts: dict[str, str], name: str, low: int, high: int, *, signed: bool, fail: _Fail
) -> tuple[int, ...]:
    """Parse ``1,-1,15``; signed parts count from the end and exclude 0."""
    if name not in parts:
        return ()
    values: set[int] = set()
    for text in parts[name].split(","):
        if _SIGNED_INT_RE.fullmatch(text) is None or (not signed and text[0] in "+-"):
            raise fail(f"{name} value {text!r} is not an integer")
        number = int(text)
        magnitude = abs(number) if signed else number
        if not low <= magnitude <= high:
            bounds = f"±{low}..{high}" if signed else f"{low}..{high}"
            raise fail(f"{name} value {text} is out of range {bounds}")
        values.add(number)
    return tuple(sorted(values))


def _parse_weekday(text: str, name: str, fail: _Fail) -> int:
    upper = text.upper()
    if upper not in WEEKDAY_CODES:
        raise fail(f"{name} value {text!r} is not a weekday (MO..SU)")
    return WEEKDAY_CODES.index(upper)


def _parse_by_day(value: str | None, fail: _Fail) -> tuple[WeekdayNumber, ...]:
    if value is None:
        return ()
    entries: set[WeekdayNumber] = set()
    for text in value.upper().split(","):
        match = _BYDAY_RE.fullmatch(text)
        if match is None:
            raise fail(f"BYDAY value {text!r} is not a weekday such as MO, 2TU or -1FR")
        weekday = _parse_weekday(match.group(2), "BYDAY", fail)
        ordinal = int(match.group(1)) if match.group(1) else None
        if ordinal is not None and not 1 <= abs(ordinal) <= 53:
            raise fail(f"BYDAY ordinal in {text!r} is out of range ±1..53")
        entries.add(WeekdayNumber(weekday=weekday, ordinal=ordinal))
    return tuple(sorted(entries, key=lambda entry: (entry.weekday, entry.ordinal or 0)))
