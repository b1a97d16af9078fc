"""An event's times: validation (notes 4.4) and its footprint on the calendar.

Pure: no database. Raises the events domain's AppErrors so the API answers with
the reference controller's codes: 400 when time fields contradict
``is_time_independent``, 422 ``invalid_event`` for impossible times or patterns.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from parley.events.errors import InvalidEvent, InvalidEventTiming
from parley.events.recurrence import (
    RecurrenceError,
    RecurrenceSet,
    parse_recurrence,
    series_bounds,
)

_MIDNIGHT = time(0, 0)
BEGINNING_OF_TIME = datetime.min.replace(tzinfo=UTC)
END_OF_TIME = datetime.max.replace(tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class Moment:
    """A UTC instant and the zone it belongs to (the API's DateTimeTZ)."""

    at: datetime
    zone: str


@dataclass(frozen=True, slots=True)
class Timing:
    """Validated times of an event; all None for time-independent events."""

    is_time_independent: bool
    is_all_day: bool
    starts_at: Moment | None
    ends_at: Moment | None
    pattern: tuple[str, ...]
    recurrence: RecurrenceSet | None

    @property
    def duration(self) -> timedelta:
        if self.starts_at is None or self.ends_at is None:
            return timedelta(0)
        return self.ends_at.at - self.starts_at.at


def resolve_timing(
    *,
    is_time_independent: bool,
    is_all_day: bool | None,
    starts_at: Moment | None,
    ends_at: Moment | None,
    pattern: Sequence[str],
) -> Timing:
    """Check the time fields of a create or (merged) patch and parse the pattern."""
    if is_time_independent:
        given = [
            name
            for name, value in (
                ("is_all_day", is_all_day),
                ("starts_at", starts_at),
                ("ends_at", ends_at),
            )
            if value is not None
        ]
        if pattern:
            given.append("recurrence_pattern")
        if given:
            raise InvalidEventTiming(
                "A time-independent event must not have " + ", ".join(given)
            )
        return Timing(True, False, None, None, (), None)
    missing = [
        name
        for name, value in (
            ("is_all_day", is_all_day),
            ("starts_at", starts_at),
            ("ends_at", ends_at),
        )
        if value is None
    ]
    if missing or starts_at is None or ends_at is None or is_all_day is None:
        raise InvalidEventTiming(
            "A time-dependent event needs " + ", ".join(missing or ["its times"])
        )
    check_times(starts_at, ends_at, is_all_day=is_all_day)
    recurrence = None
    if pattern:
        try:
            recurrence = parse_recurrence(
                list(pattern),
                start=starts_at.at,
                timezone=starts_at.zone,
                is_all_day=is_all_day,
            )
        except RecurrenceError as exc:
            raise InvalidEvent(f"Invalid recurrence_pattern: {exc}") from None
    return Timing(False, is_all_day, starts_at, ends_at, tuple(pattern), recurrence)


def check_times(starts_at: Moment, ends_at: Moment, *, is_all_day: bool) -> None:
    """End not before start, whole seconds, all-day times at 00:00 (422 invalid_event)."""
    if ends_at.at < starts_at.at:
        raise InvalidEvent("ends_at must not be before starts_at")
    for name, moment in (("starts_at", starts_at), ("ends_at", ends_at)):
        if moment.at.microsecond:
            raise InvalidEvent(f"{name} must be a whole second")
        if is_all_day and moment.at.time() != _MIDNIGHT:
            raise InvalidEvent(
                f"{name} of an all-day event must have a zero time part (00:00:00Z)"
            )


def local_day_start(day: date, zone: str) -> datetime:
    """The instant a calendar day begins in a zone (all-day events are local days)."""
    return datetime.combine(day, _MIDNIGHT, ZoneInfo(zone)).astimezone(UTC)


def occurrence_span(
    start: datetime, duration: timedelta, *, is_all_day: bool, zone: str
) -> tuple[datetime, datetime]:
    """The instants an occurrence covers.

    Timed: ``[start, start + duration)``. All-day values are dates (midnight UTC);
    they cover whole local days in the event's zone, at least one day.
    """
    try:
        if not is_all_day:
            return start, start + duration
        first = start.date()
        last = first + timedelta(days=max(duration.days, 1))
        return local_day_start(first, zone), local_day_start(last, zone)
    except OverflowError:  # the end of the datetime range (year 9999)
        return start, END_OF_TIME


def footprint(
    timing: Timing, moved: Iterable[tuple[datetime, datetime]] = ()
) -> tuple[datetime | None, datetime | None]:
    """Earliest start and latest end of the whole series (end None = open-ended).

    ``moved`` are the spans of exceptions that moved an occurrence; they widen
    the footprint so a window query still finds an occurrence moved outside it.
    """
    if timing.starts_at is None:
        return None, None
    zone = timing.starts_at.zone
    duration = timing.duration
    if timing.recurrence is None:
        first, last_end = occurrence_span(
            timing.starts_at.at, duration, is_all_day=timing.is_all_day, zone=zone
        )
        end: datetime | None = last_end
    else:
        series_first, series_end = series_bounds(timing.recurrence, duration)
        first, _ = occurrence_span(
            series_first, duration, is_all_day=timing.is_all_day, zone=zone
        )
        end = None
        if series_end is not None:
            last_start = series_end - duration
            _, end = occurrence_span(
                last_start, duration, is_all_day=timing.is_all_day, zone=zone
            )
    for start, stop in moved:
        first = min(first, start)
        if end is not None:
            end = max(end, stop)
    return first, end
