"""Pure computation of bookable slots for a booking profile.

No database, no HTTP, no clock: the caller supplies ``now``-derived windows and
the owner's busy intervals, and gets back aware UTC slots.  The rules (see
``docs/availability.md`` for the reasoning behind each):

* Work hours are wall-clock intervals in the owner's IANA zone.  A working
  interval runs from the first instant the local clock reads its start until
  the first instant it reads its end, so DST gaps shorten it and DST overlaps
  lengthen it by the real amount.
* Slot starts lie on a grid of local wall-clock multiples of the step counted
  from local midnight (a 30-minute step gives :00 and :30 local, also in
  half-hour zones).  On DST days the grid is the set of real instants whose
  local reading is on the grid: gap readings do not exist, repeated readings
  give two distinct slots.
* A slot ``[start, start + duration)`` must lie inside one working interval
  and inside the booking window, and needs ``buffer_before`` of busy-free
  time before it and ``buffer_after`` after it.  All intervals are half-open.

Internally every instant is an ``int`` of microseconds since the Unix epoch:
integer arithmetic keeps the grid exact and the hot loop cheap.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from enum import StrEnum
from itertools import pairwise
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from parley.booking.errors import BookingFieldError

__all__ = [
    "ALLOWED_STEP_MINUTES",
    "AvailabilityError",
    "BookingWindow",
    "BusyInterval",
    "DaySchedule",
    "Slot",
    "Weekday",
    "WorkHours",
    "WorkingInterval",
    "booking_window",
    "compute_slots",
    "is_slot_available",
]

ALLOWED_STEP_MINUTES: tuple[int, ...] = (5, 10, 15, 20, 30, 60)

_ZERO = timedelta(0)
_ONE_MICROSECOND = timedelta(microseconds=1)
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
# Naive on purpose: local wall-clock readings are counted from it.
_NAIVE_EPOCH = _EPOCH.replace(tzinfo=None)
_MINUTE_US = 60_000_000
_DAY_US = 86_400_000_000
# 1970-01-01 was a Thursday; date.weekday() numbering (Monday == 0).
_EPOCH_WEEKDAY = 3
# Offset changes are searched for at this spacing on DST days only.  Real
# zones never change offset twice within 15 minutes.
_TRANSITION_PROBE_US = 15 * _MINUTE_US
# Keys that load but do not name a place: "localtime" follows the host, the
# others are tzdata build artefacts.  An owner's zone must not depend on us.
_PSEUDO_ZONE_KEYS = frozenset({"localtime", "posixrules", "Factory"})


class AvailabilityError(BookingFieldError):
    """An availability input is invalid; ``field`` names it (profile JSON path)."""


class Weekday(StrEnum):
    """Day of the week as the profile JSON spells it."""

    MONDAY = "monday"
    TUESDAY = "tuesday"
    WEDNESDAY = "wednesday"
    THURSDAY = "thursday"
    FRIDAY = "friday"
    SATURDAY = "saturday"
    SUNDAY = "sunday"

    @property
    def number(self) -> int:
        """``date.weekday()`` number: Monday is 0, Sunday is 6."""
        return _WEEKDAY_ORDER.index(self)


_WEEKDAY_ORDER: tuple[Weekday, ...] = tuple(Weekday)


@dataclass(frozen=True, slots=True)
class WorkingInterval:
    """Local wall-clock interval ``[start, end)``; ``end == time(0)`` means 24:00.

    Validated by the enclosing ``WorkHours`` so errors can name their position.
    """

    start: time
    end: time


@dataclass(frozen=True, slots=True)
class DaySchedule:
    day_of_week: Weekday
    working_intervals: tuple[WorkingInterval, ...]

    def __post_init__(self) -> None:
        # Accept lists from callers while keeping the value hashable.
        object.__setattr__(self, "working_intervals", tuple(self.working_intervals))


@dataclass(frozen=True, slots=True)
class WorkHours:
    """The owner's weekly working hours in the IANA zone ``timezone``.

    Construction validates everything and raises ``AvailabilityError`` whose
    ``field`` is a path such as ``workHours.daySchedules[0].workingIntervals[1]``.
    Weekdays without a schedule (or with no intervals) are not bookable.
    """

    timezone: str
    day_schedules: tuple[DaySchedule, ...]
    zone: ZoneInfo = field(init=False, repr=False, compare=False)
    # Per weekday (Monday first): sorted (start, end) in microseconds after
    # local midnight; end may be a full day for intervals ending at 24:00.
    _intervals_by_weekday: tuple[tuple[tuple[int, int], ...], ...] = field(
        init=False, repr=False, compare=False
    )

    def __post_init__(self) -> None:
        object.__setattr__(self, "day_schedules", tuple(self.day_schedules))
        object.__setattr__(self, "zone", _load_zone(self.timezone))
        by_weekday: list[tuple[tuple[int, int], ...]] = [()] * 7
        seen_at: dict[int, int] = {}
        for schedule_index, schedule in enumerate(self.day_schedules):
            path = f"workHours.daySchedules[{schedule_index}]"
            weekday = _parse_weekday(schedule.day_of_week, f"{path}.dayOfWeek")
            if weekday.number in seen_at:
                raise AvailabilityError(
                    f"{path}.dayOfWeek",
                    f"{weekday.value} is already scheduled in "
                    f"workHours.daySchedules[{seen_at[weekday.number]}]",
                )
            seen_at[weekday.number] = schedule_index
            by_weekday[weekday.number] = _validated_day_intervals(
                schedule.working_intervals, f"{path}.workingIntervals"
            )
        object.__setattr__(self, "_intervals_by_weekday", tuple(by_weekday))


@dataclass(frozen=True, slots=True)
class BusyInterval:
    """Time the owner is busy, ``[start, end)``; both aware, any zone."""

    start: datetime
    end: datetime

    def __post_init__(self) -> None:
        _require_aware(self.start, "busy.start")
        _require_aware(self.end, "busy.end")
        if self.end < self.start:
            raise AvailabilityError("busy.end", "must not be before busy.start")


@dataclass(frozen=True, slots=True)
class Slot:
    """A bookable ``[start, end)``, aware UTC."""

    start: datetime
    end: datetime


@dataclass(frozen=True, slots=True)
class BookingWindow:
    """Non-empty ``[start, end)`` in which slots may lie, aware UTC."""

    start: datetime
    end: datetime


def booking_window(
    *,
    now: datetime,
    notice: timedelta,
    horizon: timedelta,
    active_start: datetime | None = None,
    active_end: datetime | None = None,
) -> BookingWindow | None:
    """The window slots may be offered in, or ``None`` when it is empty.

    ``[max(now + notice, active_start), min(now + horizon, active_end))``;
    ``notice`` is the minimum notice, ``horizon`` the profile's
    ``timeAvailableFor`` (measured from ``now``, not from ``now + notice``),
    ``active_start``/``active_end`` the profile's optional active period.
    """
    _require_aware(now, "now")
    if notice < _ZERO:
        raise AvailabilityError("minimumNotice", "must not be negative")
    if horizon <= _ZERO:
        raise AvailabilityError("timeAvailableFor", "must be positive")
    start = now + notice
    end = now + horizon
    if active_start is not None:
        _require_aware(active_start, "startTime")
        start = max(start, active_start)
    if active_end is not None:
        _require_aware(active_end, "endTime")
        end = min(end, active_end)
    if start >= end:
        return None
    return BookingWindow(start.astimezone(UTC), end.astimezone(UTC))


def compute_slots(
    *,
    work_hours: WorkHours,
    duration: timedelta,
    step_minutes: int,
    window_start: datetime,
    window_end: datetime,
    busy: Iterable[BusyInterval],
    buffer_before: timedelta = _ZERO,
    buffer_after: timedelta = _ZERO,
) -> list[Slot]:
    """All bookable slots in ``[window_start, window_end)``, sorted by start.

    ``busy`` may be unsorted and overlapping.  Cost is
    O(busy log busy + days + slots log busy).
    """
    step_us, duration_us, before_us, after_us = _validated_rules(
        step_minutes, duration, buffer_before, buffer_after
    )
    window_start_us = _aware_us(window_start, "windowStart")
    window_end_us = _aware_us(window_end, "windowEnd")
    starts = _free_slot_starts(
        work_hours,
        step_us=step_us,
        duration_us=duration_us,
        window_start_us=window_start_us,
        window_end_us=window_end_us,
        blocked=_blocked_spans(
            busy, before_us, after_us, window_start_us, window_end_us
        ),
    )
    slots: list[Slot] = []
    for start_us in starts:
        start = _from_us(start_us)
        slots.append(Slot(start, start + duration))
    return slots


def is_slot_available(
    *,
    slot_start: datetime,
    work_hours: WorkHours,
    duration: timedelta,
    step_minutes: int,
    window_start: datetime,
    window_end: datetime,
    busy: Iterable[BusyInterval],
    buffer_before: timedelta = _ZERO,
    buffer_after: timedelta = _ZERO,
) -> bool:
    """Whether ``compute_slots`` with the same arguments offers ``slot_start``.

    Use it to re-check a booking request: it applies exactly the same rules
    but only looks at the requested slot's own day.  When rescheduling, leave
    the event being moved out of ``busy``.
    """
    step_us, duration_us, before_us, after_us = _validated_rules(
        step_minutes, duration, buffer_before, buffer_after
    )
    start_us = _aware_us(slot_start, "slotStart")
    # Narrowing the window to the slot itself leaves only this one candidate.
    narrow_start_us = max(_aware_us(window_start, "windowStart"), start_us)
    narrow_end_us = min(_aware_us(window_end, "windowEnd"), start_us + duration_us)
    starts = _free_slot_starts(
        work_hours,
        step_us=step_us,
        duration_us=duration_us,
        window_start_us=narrow_start_us,
        window_end_us=narrow_end_us,
        blocked=_blocked_spans(
            busy, before_us, after_us, narrow_start_us, narrow_end_us
        ),
    )
    return start_us in starts


# --- validation -------------------------------------------------------------


def _load_zone(key: object) -> ZoneInfo:
    if not isinstance(key, str) or not key or key in _PSEUDO_ZONE_KEYS:
        raise AvailabilityError("workHours.timezone", f"unknown time zone {key!r}")
    try:
        return ZoneInfo(key)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        # ValueError: malformed key; OSError: a tzdata directory such as "America".
        raise AvailabilityError(
            "workHours.timezone", f"unknown time zone {key!r}"
        ) from None


def _parse_weekday(value: object, path: str) -> Weekday:
    # Stored profile JSON reaches DaySchedule unchecked, so the value may be anything.
    if isinstance(value, str):
        try:
            return Weekday(value)
        except ValueError:
            pass
    raise AvailabilityError(path, f"must be one of {', '.join(Weekday)}, got {value!r}")


def _validated_day_intervals(
    intervals: Sequence[WorkingInterval], path: str
) -> tuple[tuple[int, int], ...]:
    bounds: list[tuple[int, int, int]] = []  # (start, end, index in input)
    for index, interval in enumerate(intervals):
        interval_path = f"{path}[{index}]"
        start = _time_of_day_us(interval.start, f"{interval_path}.start")
        end = _time_of_day_us(interval.end, f"{interval_path}.end")
        if end == 0:
            end = _DAY_US  # 00:00 as an end means midnight at the end of the day
        if start >= end:
            raise AvailabilityError(
                interval_path,
                f"start {interval.start.isoformat()} must be before "
                f"end {interval.end.isoformat()}",
            )
        bounds.append((start, end, index))
    bounds.sort()
    for previous, current in pairwise(bounds):
        if current[0] < previous[1]:  # touching (end == next start) is fine
            raise AvailabilityError(
                f"{path}[{current[2]}]",
                f"overlaps {path}[{previous[2]}]",
            )
    return tuple((start, end) for start, end, _ in bounds)


def _time_of_day_us(value: object, path: str) -> int:
    if not isinstance(value, time):
        raise AvailabilityError(path, f"must be a time of day, got {value!r}")
    if value.tzinfo is not None:
        raise AvailabilityError(
            path, "must be a local time without offset (the zone is workHours.timezone)"
        )
    # Ignore ``fold``: which side of a DST overlap is meant is decided by the rules.
    seconds = value.hour * 3600 + value.minute * 60 + value.second
    return seconds * 1_000_000 + value.microsecond


def _validated_rules(
    step_minutes: int,
    duration: timedelta,
    buffer_before: timedelta,
    buffer_after: timedelta,
) -> tuple[int, int, int, int]:
    # bool is an int; a stray True must not pass as a 1-minute step.
    if isinstance(step_minutes, bool) or step_minutes not in ALLOWED_STEP_MINUTES:
        raise AvailabilityError(
            "availabilityStep",
            f"must be one of {ALLOWED_STEP_MINUTES} minutes, got {step_minutes!r}",
        )
    if duration <= _ZERO:
        raise AvailabilityError("durationMinutes", "must be positive")
    if buffer_before < _ZERO:
        raise AvailabilityError("bufferBefore", "must not be negative")
    if buffer_after < _ZERO:
        raise AvailabilityError("bufferAfter", "must not be negative")
    return (
        step_minutes * _MINUTE_US,
        duration // _ONE_MICROSECOND,
        buffer_before // _ONE_MICROSECOND,
        buffer_after // _ONE_MICROSECOND,
    )


def _require_aware(value: object, path: str) -> None:
    if not isinstance(value, datetime):
        raise AvailabilityError(path, f"must be a datetime, got {value!r}")
    if value.tzinfo is None or value.utcoffset() is None:
        raise AvailabilityError(path, "must be timezone-aware")


def _aware_us(value: datetime, path: str) -> int:
    _require_aware(value, path)
    return _to_us(value)


# --- time arithmetic ----------------------------------------------------------


def _to_us(moment: datetime) -> int:
    return (moment - _EPOCH) // _ONE_MICROSECOND


def _from_us(instant_us: int) -> datetime:
    # Positional (days, seconds, microseconds): keyword parsing costs twice as much.
    return _EPOCH + timedelta(0, 0, instant_us)


def _offset_us(zone: ZoneInfo, instant_us: int) -> int:
    offset = _from_us(instant_us).astimezone(zone).utcoffset()
    assert offset is not None  # ZoneInfo always answers for aware datetimes
    return offset // _ONE_MICROSECOND


def _wall_us(zone: ZoneInfo, instant_us: int) -> int:
    """Local wall-clock reading at an instant, as microseconds since 1970-01-01 00:00."""
    return instant_us + _offset_us(zone, instant_us)


def _first_instant_reading(zone: ZoneInfo, wall_us: int) -> int:
    """First instant at which the local clock reads ``wall_us`` or later.

    Existing readings map to themselves (the earlier one if repeated by a DST
    overlap); readings inside a DST gap map to the transition instant.
    """
    local = _NAIVE_EPOCH + timedelta(microseconds=wall_us)
    earlier = _to_us(local.replace(tzinfo=zone))  # fold=0: earlier of a repeat
    if _wall_us(zone, earlier) == wall_us:
        return earlier
    # Gap: the two folds bracket the transition.  Binary-search for it; this
    # runs for at most two interval bounds per DST day.
    other = _to_us(local.replace(tzinfo=zone, fold=1))
    low, high = min(earlier, other), max(earlier, other)
    while high - low > 1:  # invariant: wall(low) < wall_us <= wall(high)
        middle = (low + high) // 2
        if _wall_us(zone, middle) >= wall_us:
            high = middle
        else:
            low = middle
    return high


def _constant_offset_runs(
    zone: ZoneInfo, start_us: int, stop_us: int
) -> list[tuple[int, int, int]]:
    """Split ``[start_us, stop_us)`` into ``(run_start, run_stop, offset)`` runs."""
    offset = _offset_us(zone, start_us)
    if _offset_us(zone, stop_us - 1) == offset:
        # Fast path for all but DST days.  Assumes no two offset changes that
        # cancel out inside one working interval, which tzdata never has.
        return [(start_us, stop_us, offset)]
    runs: list[tuple[int, int, int]] = []
    run_start = scanned = start_us
    while True:
        probe = min(scanned + _TRANSITION_PROBE_US, stop_us - 1)
        if probe <= scanned:
            break
        if _offset_us(zone, probe) == offset:
            scanned = probe
            continue
        low, high = scanned, probe  # offset(low) == offset != offset(high)
        while high - low > 1:
            middle = (low + high) // 2
            if _offset_us(zone, middle) == offset:
                low = middle
            else:
                high = middle
        runs.append((run_start, high, offset))
        run_start = scanned = high
        offset = _offset_us(zone, high)
    runs.append((run_start, stop_us, offset))
    return runs


# --- the computation ------------------------------------------------------------


def _blocked_spans(
    busy: Iterable[BusyInterval],
    before_us: int,
    after_us: int,
    window_start_us: int,
    window_end_us: int,
) -> tuple[list[int], list[int]]:
    """Busy time widened by the buffers, merged: sorted disjoint (starts, ends).

    A slot ``[s, e)`` is blocked by busy ``[b0, b1)`` when
    ``s - buffer_before < b1 and e + buffer_after > b0``, i.e. when it
    overlaps ``[b0 - buffer_after, b1 + buffer_before)``.  Widening busy time
    once is cheaper than widening every slot.
    """
    spans: list[tuple[int, int]] = []
    for interval in busy:
        busy_start_us = _to_us(interval.start)
        busy_end_us = _to_us(interval.end)
        if busy_end_us <= busy_start_us:
            continue  # an empty event occupies no time, so needs no buffer either
        span_start = busy_start_us - after_us
        span_end = busy_end_us + before_us
        # Spans outside the window cannot touch a slot inside it.
        if span_end > window_start_us and span_start < window_end_us:
            spans.append((span_start, span_end))
    spans.sort()
    starts: list[int] = []
    ends: list[int] = []
    for span_start, span_end in spans:
        if ends and span_start <= ends[-1]:
            if span_end > ends[-1]:
                ends[-1] = span_end
        else:
            starts.append(span_start)
            ends.append(span_end)
    return starts, ends


def _free_slot_starts(
    work_hours: WorkHours,
    *,
    step_us: int,
    duration_us: int,
    window_start_us: int,
    window_end_us: int,
    blocked: tuple[list[int], list[int]],
) -> list[int]:
    """Sorted start instants of all free slots inside the window."""
    if window_end_us - window_start_us < duration_us:
        return []
    zone = work_hours.zone
    intervals_by_weekday = work_hours._intervals_by_weekday
    blocked_starts, blocked_ends = blocked
    blocked_count = len(blocked_starts)
    free: list[int] = []
    # One local day of margin on each side: a zone may step its clock back
    # across midnight, so a day's hours can begin before its date starts.
    first_day = _wall_us(zone, window_start_us) // _DAY_US - 1
    last_day = _wall_us(zone, window_end_us) // _DAY_US + 1
    for day in range(first_day, last_day + 1):
        intervals = intervals_by_weekday[(day + _EPOCH_WEEKDAY) % 7]
        day_wall_us = day * _DAY_US
        for opens, closes in intervals:
            first_start = max(
                _first_instant_reading(zone, day_wall_us + opens), window_start_us
            )
            last_start = (
                min(_first_instant_reading(zone, day_wall_us + closes), window_end_us)
                - duration_us
            )
            if last_start < first_start:
                continue
            for run_start, run_stop, offset in _constant_offset_runs(
                zone, first_start, last_start + 1
            ):
                # First instant in the run whose local reading is on the grid;
                # the grid counts from local midnight, which the epoch is.
                candidate = run_start + (-(run_start + offset)) % step_us
                while candidate < run_stop:
                    index = bisect_right(blocked_ends, candidate)
                    if (
                        index < blocked_count
                        and blocked_starts[index] < candidate + duration_us
                    ):
                        # Jump to the first grid point at or after the blocking
                        # span's end instead of testing every point inside it.
                        remaining = blocked_ends[index] - candidate
                        candidate += -(-remaining // step_us) * step_us
                        continue
                    free.append(candidate)
                    candidate += step_us
    return free
