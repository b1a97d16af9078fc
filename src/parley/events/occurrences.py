"""Occurrences of a stored event with its exceptions applied.

Pure apart from reading ORM attributes: the callers load events and exceptions.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache

from parley.events.models import Event, EventException
from parley.events.recurrence import (
    OccurrencePage,
    RecurrenceSet,
    occurrences,
    parse_recurrence,
    split_recurrence_pattern,
)
from parley.events.timing import Moment, Timing, occurrence_span
from parley.instants import shift


def stored_timing(event: Event) -> Timing:
    """The Timing of a stored event (its pattern was validated when saved)."""
    if event.is_time_independent or event.starts_at is None or event.ends_at is None:
        return Timing(True, False, None, None, (), None)
    starts_at = Moment(event.starts_at, event.starts_at_tz or "UTC")
    ends_at = Moment(event.ends_at, event.ends_at_tz or starts_at.zone)
    pattern = tuple(split_recurrence_pattern(event.recurrence_pattern))
    recurrence = (
        _parsed(pattern, starts_at.at, starts_at.zone, event.is_all_day)
        if pattern
        else None
    )
    return Timing(False, event.is_all_day, starts_at, ends_at, pattern, recurrence)


@lru_cache(maxsize=4096)
def _parsed(
    pattern: tuple[str, ...], start: datetime, zone: str, is_all_day: bool
) -> RecurrenceSet:
    # Parsing probes each rule (bounded, but up to the engine's work bound for
    # rules that rarely match); stored events are listed again and again.
    return parse_recurrence(
        list(pattern), start=start, timezone=zone, is_all_day=is_all_day
    )


@dataclass(frozen=True, slots=True)
class Occurrence:
    """One instance: where the rule put it and where it is after its exception."""

    original_start: datetime
    starts_at: Moment
    ends_at: Moment
    is_all_day: bool
    cancelled: bool
    exception: EventException | None

    def span(self) -> tuple[datetime, datetime]:
        """The instants this occurrence covers (whole local days when all-day)."""
        return occurrence_span(
            self.starts_at.at,
            self.ends_at.at - self.starts_at.at,
            is_all_day=self.is_all_day,
            zone=self.starts_at.zone,
        )


def apply_exception(
    timing: Timing, original_start: datetime, exception: EventException | None
) -> Occurrence:
    """The occurrence originally at ``original_start``, changed by its exception."""
    assert timing.starts_at is not None
    assert timing.ends_at is not None
    starts_at = Moment(original_start, timing.starts_at.zone)
    # Series may run to year 9999 (a yearly rule): the end saturates there.
    ends_at = Moment(shift(original_start, timing.duration), timing.ends_at.zone)
    is_all_day = timing.is_all_day
    cancelled = False
    if exception is not None:
        if exception.starts_at is not None:
            starts_at = Moment(
                exception.starts_at, exception.starts_at_tz or starts_at.zone
            )
        if exception.ends_at is not None:
            ends_at = Moment(exception.ends_at, exception.ends_at_tz or ends_at.zone)
        if exception.is_all_day is not None:
            is_all_day = exception.is_all_day
        cancelled = exception.status == "cancelled"
    return Occurrence(
        original_start, starts_at, ends_at, is_all_day, cancelled, exception
    )


def window_for_originals(
    timing: Timing, window_start: datetime, window_end: datetime
) -> tuple[datetime, datetime]:
    """The range of original starts whose unmoved occurrence can overlap the window.

    All-day occurrences cover local days, up to 14 hours off their UTC date.
    """
    slack = timing.duration + (
        timedelta(days=1, hours=14) if timing.is_all_day else timedelta(0)
    )
    try:
        lower = window_start - slack
    except OverflowError:
        lower = window_start
    try:
        upper = window_end + (
            timedelta(hours=14) if timing.is_all_day else timedelta(0)
        )
    except OverflowError:
        upper = window_end
    return lower, upper


def occurrences_in_window(
    timing: Timing,
    exceptions: Mapping[datetime, EventException],
    *,
    window_start: datetime,
    window_end: datetime,
    limit: int,
) -> tuple[list[Occurrence], OccurrencePage]:
    """Occurrences (exceptions applied) overlapping ``[window_start, window_end)``.

    Includes occurrences moved into the window from outside and leaves out
    those moved away. The page says whether the engine stopped early.
    """
    assert timing.recurrence is not None
    lower, upper = window_for_originals(timing, window_start, window_end)
    page = occurrences(
        timing.recurrence, window_start=lower, window_end=upper, limit=limit
    )
    seen = set(page.starts)
    found = [
        apply_exception(timing, start, exceptions.get(start)) for start in page.starts
    ]
    for original, exception in exceptions.items():
        if original not in seen:
            found.append(apply_exception(timing, original, exception))
    inside = [o for o in found if overlaps(o.span(), window_start, window_end)]
    inside.sort(key=lambda o: (o.starts_at.at, o.original_start))
    return inside, page


def overlaps(span: tuple[datetime, datetime], start: datetime, end: datetime) -> bool:
    """Half-open overlap; a zero-length span counts when it lies in ``[start, end)``."""
    first, last = span
    return first < end and (last > start or first >= start)


def exceptions_by_start(
    exceptions: Iterable[EventException],
) -> dict[datetime, EventException]:
    return {exception.original_starts_at: exception for exception in exceptions}
