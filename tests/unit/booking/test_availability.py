"""Unit tests for the pure availability computation."""

from __future__ import annotations

import pickle
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from itertools import pairwise
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from parley.booking.availability import (
    ALLOWED_STEP_MINUTES,
    AvailabilityError,
    BookingWindow,
    BusyInterval,
    DaySchedule,
    Slot,
    Weekday,
    WorkHours,
    WorkingInterval,
    booking_window,
    compute_slots,
    is_slot_available,
)

MINUTE = timedelta(minutes=1)


# --- helpers -------------------------------------------------------------------


def parse_clock(text: str) -> time:
    """'09:30' -> time(9, 30); '24:00' -> time(0), the end-of-day spelling."""
    return time(0) if text == "24:00" else time.fromisoformat(text)


def work_hours(zone: str, **days: str) -> WorkHours:
    """work_hours("Europe/Berlin", monday="09:00-12:00,13:00-17:00")."""
    schedules = []
    for day, spec in days.items():
        intervals = []
        for part in filter(None, spec.split(",")):
            start, end = part.split("-")
            intervals.append(WorkingInterval(parse_clock(start), parse_clock(end)))
        schedules.append(DaySchedule(Weekday(day), tuple(intervals)))
    return WorkHours(zone, tuple(schedules))


def utc(text: str) -> datetime:
    """'2024-03-31T01:00' -> aware UTC datetime."""
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def busy(*spans: str) -> list[BusyInterval]:
    """busy('2024-07-01T10:00/11:00', ...) with UTC times; end may omit the date."""
    intervals = []
    for span in spans:
        start_text, end_text = span.split("/")
        start = utc(start_text)
        end = utc(end_text) if "T" in end_text else utc(f"{start_text[:10]}T{end_text}")
        intervals.append(BusyInterval(start, end))
    return intervals


def stamps(slots: Sequence[Slot]) -> list[str]:
    return [slot.start.strftime("%Y-%m-%dT%H:%MZ") for slot in slots]


def clock_starts(slots: Sequence[Slot]) -> list[str]:
    return [slot.start.strftime("%H:%M") for slot in slots]


def slots_for(
    hours: WorkHours,
    *,
    window: tuple[str, str],
    step: int = 30,
    duration_minutes: int = 30,
    busy_intervals: Sequence[BusyInterval] = (),
    before_minutes: int = 0,
    after_minutes: int = 0,
) -> list[Slot]:
    return compute_slots(
        work_hours=hours,
        duration=timedelta(minutes=duration_minutes),
        step_minutes=step,
        window_start=utc(window[0]),
        window_end=utc(window[1]),
        busy=busy_intervals,
        buffer_before=timedelta(minutes=before_minutes),
        buffer_after=timedelta(minutes=after_minutes),
    )


# 2024-07-01 is a Monday.
MONDAY_0900_1700_UTC = work_hours("UTC", monday="09:00-17:00")
MONDAY_WINDOW = ("2024-07-01T00:00", "2024-07-02T00:00")


# --- DST and zones -------------------------------------------------------------


@pytest.mark.parametrize(
    ("zone", "day", "interval", "step", "duration", "expected"),
    [
        pytest.param(
            "America/New_York", "2024-07-01", "09:00-17:00", 60, 60,
            [f"2024-07-01T{hour}:00Z" for hour in range(13, 21)],
            id="new-york-summer-is-13-21Z",
        ),
        pytest.param(
            "America/New_York", "2024-01-08", "09:00-17:00", 60, 60,
            [f"2024-01-08T{hour}:00Z" for hour in range(14, 22)],
            id="new-york-winter-is-14-22Z",
        ),
        pytest.param(
            # 02:00 EST jumps to 03:00 EDT: 01:00-04:00 holds two real hours.
            "America/New_York", "2024-03-10", "01:00-04:00", 30, 30,
            ["2024-03-10T06:00Z", "2024-03-10T06:30Z",
             "2024-03-10T07:00Z", "2024-03-10T07:30Z"],
            id="new-york-spring-forward-loses-the-gap",
        ),
        pytest.param(
            # 02:00 EDT falls back to 01:00 EST: 00:00-03:00 holds four real
            # hours and 01:00/01:30 are offered twice (distinct instants).
            "America/New_York", "2024-11-03", "00:00-03:00", 30, 30,
            ["2024-11-03T04:00Z", "2024-11-03T04:30Z", "2024-11-03T05:00Z",
             "2024-11-03T05:30Z", "2024-11-03T06:00Z", "2024-11-03T06:30Z",
             "2024-11-03T07:00Z", "2024-11-03T07:30Z"],
            id="new-york-fall-back-repeats-the-overlap",
        ),
        pytest.param(
            "Europe/Berlin", "2024-03-31", "01:00-04:00", 30, 60,
            ["2024-03-31T00:00Z", "2024-03-31T00:30Z", "2024-03-31T01:00Z"],
            id="berlin-spring-01-04-is-two-real-hours",
        ),
        pytest.param(
            "Europe/Berlin", "2024-10-27", "01:00-04:00", 60, 60,
            ["2024-10-26T23:00Z", "2024-10-27T00:00Z",
             "2024-10-27T01:00Z", "2024-10-27T02:00Z"],
            id="berlin-autumn-01-04-is-four-real-hours",
        ),
        pytest.param(
            "Europe/Berlin", "2024-03-31", "02:00-03:00", 15, 15, [],
            id="berlin-interval-entirely-in-the-gap-is-empty",
        ),
        pytest.param(
            # Work "from 02:30" starts when the clock first reads >= 02:30: 03:00 CEST.
            "Europe/Berlin", "2024-03-31", "02:30-04:00", 30, 30,
            ["2024-03-31T01:00Z", "2024-03-31T01:30Z"],
            id="berlin-interval-starting-in-the-gap-starts-at-the-jump",
        ),
        pytest.param(
            "Europe/Berlin", "2024-03-31", "00:00-02:30", 60, 60,
            ["2024-03-30T23:00Z", "2024-03-31T00:00Z"],
            id="berlin-interval-ending-in-the-gap-ends-at-the-jump",
        ),
        pytest.param(
            # From the first 02:30 (CEST) to 04:00 CET: the repeated 02:00 CET
            # reading lies inside the interval and is on the grid.
            "Europe/Berlin", "2024-10-27", "02:30-04:00", 30, 30,
            ["2024-10-27T00:30Z", "2024-10-27T01:00Z", "2024-10-27T01:30Z",
             "2024-10-27T02:00Z", "2024-10-27T02:30Z"],
            id="berlin-interval-starting-in-the-overlap-takes-the-first-reading",
        ),
        pytest.param(
            "Europe/Berlin", "2024-10-27", "00:00-02:30", 30, 30,
            ["2024-10-26T22:00Z", "2024-10-26T22:30Z", "2024-10-26T23:00Z",
             "2024-10-26T23:30Z", "2024-10-27T00:00Z"],
            id="berlin-interval-ending-in-the-overlap-ends-at-the-first-reading",
        ),
        pytest.param(
            # +05:30: the 60-minute grid is local :00, which is :30 in UTC.
            "Asia/Kolkata", "2024-07-01", "09:00-12:00", 60, 60,
            ["2024-07-01T03:30Z", "2024-07-01T04:30Z", "2024-07-01T05:30Z"],
            id="kolkata-hourly-grid-is-local",
        ),
        pytest.param(
            "Asia/Kolkata", "2024-07-01", "09:00-10:30", 30, 30,
            ["2024-07-01T03:30Z", "2024-07-01T04:00Z", "2024-07-01T04:30Z"],
            id="kolkata-half-hour-grid",
        ),
        pytest.param(
            # Interval starting off the grid: the first slot is the next grid point.
            "Asia/Kolkata", "2024-07-01", "09:10-10:30", 30, 30,
            ["2024-07-01T04:00Z", "2024-07-01T04:30Z"],
            id="kolkata-off-grid-interval-start",
        ),
        pytest.param(
            "Asia/Kathmandu", "2024-07-01", "10:00-11:00", 15, 15,
            ["2024-07-01T04:15Z", "2024-07-01T04:30Z",
             "2024-07-01T04:45Z", "2024-07-01T05:00Z"],
            id="kathmandu-quarter-hour-offset",
        ),
        pytest.param(
            # 2011-12-30 does not exist in Samoa: the whole day is a DST-like gap.
            "Pacific/Apia", "2011-12-30", "09:00-17:00", 60, 60, [],
            id="apia-skipped-day",
        ),
    ],
)  # fmt: skip
def test_slots_follow_the_owner_zone(
    zone: str,
    day: str,
    interval: str,
    step: int,
    duration: int,
    expected: list[str],
) -> None:
    weekday = Weekday(date.fromisoformat(day).strftime("%A").lower())
    hours = work_hours(zone, **{weekday.value: interval})
    # A generous window: only the work hours may limit the result.
    window = (
        f"{date.fromisoformat(day) - timedelta(days=1)}T00:00",
        f"{date.fromisoformat(day) + timedelta(days=2)}T00:00",
    )

    slots = slots_for(hours, window=window, step=step, duration_minutes=duration)

    assert stamps(slots) == expected
    zone_info = ZoneInfo(zone)
    for slot in slots:
        local = slot.start.astimezone(zone_info)
        # Never in a gap: the local reading round-trips to the same instant.
        wall = local.replace(tzinfo=None)
        assert (
            wall.replace(tzinfo=zone_info, fold=local.fold).astimezone(UTC)
            == slot.start
        )
        assert slot.end - slot.start == timedelta(minutes=duration)


@pytest.mark.parametrize(
    ("zone", "window", "expected_first_starts"),
    [
        pytest.param(
            # Fri 2024-03-29 is CET, Tue 2024-04-02 CEST (Mon 04-01 too).
            "Europe/Berlin", ("2024-03-29T00:00", "2024-04-03T00:00"),
            {"2024-03-29": "08:00", "2024-04-01": "07:00", "2024-04-02": "07:00"},
            id="berlin-across-spring-forward",
        ),
        pytest.param(
            "America/New_York", ("2024-11-01T00:00", "2024-11-06T00:00"),
            {"2024-11-01": "13:00", "2024-11-04": "14:00", "2024-11-05": "14:00"},
            id="new-york-across-fall-back",
        ),
    ],
)  # fmt: skip
def test_multi_day_window_shifts_utc_times_at_the_transition(
    zone: str, window: tuple[str, str], expected_first_starts: dict[str, str]
) -> None:
    weekdays = dict.fromkeys(
        ("monday", "tuesday", "wednesday", "thursday", "friday"), "09:00-17:00"
    )
    slots = slots_for(
        work_hours(zone, **weekdays), window=window, step=60, duration_minutes=60
    )

    first_by_day: dict[str, str] = {}
    for slot in slots:
        first_by_day.setdefault(
            slot.start.date().isoformat(), slot.start.strftime("%H:%M")
        )
    assert first_by_day == expected_first_starts
    assert len(slots) == 8 * len(expected_first_starts)


# --- grid, window and notice ------------------------------------------------------


@pytest.mark.parametrize(
    ("window", "step", "duration", "expected_first", "expected_last"),
    [
        pytest.param(("2024-07-01T10:07", "2024-07-02T00:00"), 15, 30, "10:15", "16:30",
                     id="mid-day-start-rounds-up-to-the-grid"),
        pytest.param(("2024-07-01T10:15", "2024-07-02T00:00"), 15, 30, "10:15", "16:30",
                     id="start-on-the-grid-is-kept"),
        pytest.param(("2024-07-01T10:15:00.000001", "2024-07-02T00:00"), 15, 30,
                     "10:30", "16:30", id="a-microsecond-late-misses-the-grid-point"),
        pytest.param(("2024-07-01T00:00", "2024-07-01T12:10"), 15, 30, "09:00", "11:30",
                     id="slot-must-end-inside-the-window"),
        pytest.param(("2024-07-01T10:07", "2024-07-01T12:00"), 20, 20, "10:20", "11:40",
                     id="twenty-minute-grid"),
        pytest.param(("2024-07-01T16:51", "2024-07-02T00:00"), 5, 5, "16:55", "16:55",
                     id="five-minute-grid-is-clock-aligned"),
    ],
)  # fmt: skip
def test_window_bounds_and_grid(
    window: tuple[str, str],
    step: int,
    duration: int,
    expected_first: str,
    expected_last: str,
) -> None:
    slots = slots_for(
        MONDAY_0900_1700_UTC, window=window, step=step, duration_minutes=duration
    )

    starts = clock_starts(slots)
    assert (starts[0], starts[-1]) == (expected_first, expected_last)
    # Consecutive free slots are exactly one step apart.
    assert all(
        later.start - earlier.start == timedelta(minutes=step)
        for earlier, later in pairwise(slots)
    )


def test_notice_pushes_the_first_slot_to_the_next_grid_point() -> None:
    window = booking_window(
        now=utc("2024-07-01T08:07"),
        notice=timedelta(hours=2),
        horizon=timedelta(days=1),
    )
    assert window is not None

    slots = compute_slots(
        work_hours=MONDAY_0900_1700_UTC,
        duration=timedelta(minutes=30),
        step_minutes=15,
        window_start=window.start,
        window_end=window.end,
        busy=[],
    )

    assert clock_starts(slots)[0] == "10:15"


def test_active_period_and_horizon_limit_the_days() -> None:
    weekdays = work_hours(
        "UTC",
        monday="09:00-10:00",
        tuesday="09:00-10:00",
        wednesday="09:00-10:00",
        thursday="09:00-10:00",
    )
    window = booking_window(
        now=utc("2024-06-30T12:00"),  # Sunday
        notice=timedelta(0),
        horizon=timedelta(days=30),
        active_start=utc("2024-07-02T00:00"),  # from Tuesday ...
        active_end=utc("2024-07-03T09:30"),  # ... to Wednesday mid-interval
    )
    assert window is not None

    slots = compute_slots(
        work_hours=weekdays,
        duration=timedelta(minutes=30),
        step_minutes=30,
        window_start=window.start,
        window_end=window.end,
        busy=[],
    )

    assert stamps(slots) == [
        "2024-07-02T09:00Z",
        "2024-07-02T09:30Z",
        "2024-07-03T09:00Z",
    ]


@pytest.mark.parametrize(
    ("now", "notice", "horizon", "active_start", "active_end", "expected"),
    [
        pytest.param("2024-07-01T10:00", 2, 24, None, None,
                     ("2024-07-01T12:00", "2024-07-02T10:00"), id="notice-and-horizon"),
        pytest.param("2024-07-01T10:00", 0, 24, "2024-07-01T15:00", None,
                     ("2024-07-01T15:00", "2024-07-02T10:00"), id="active-start-later"),
        pytest.param("2024-07-01T10:00", 2, 24, "2024-07-01T11:00", None,
                     ("2024-07-01T12:00", "2024-07-02T10:00"), id="notice-later-than-active-start"),
        pytest.param("2024-07-01T10:00", 0, 24, None, "2024-07-01T18:00",
                     ("2024-07-01T10:00", "2024-07-01T18:00"), id="active-end-earlier"),
        pytest.param("2024-07-01T10:00", 0, 24, None, "2024-07-01T09:00",
                     None, id="active-period-over"),
        pytest.param("2024-07-01T10:00", 0, 24, "2024-07-05T00:00", None,
                     None, id="active-period-beyond-horizon"),
        pytest.param("2024-07-01T10:00", 24, 24, None, None,
                     None, id="notice-as-long-as-horizon"),
    ],
)  # fmt: skip
def test_booking_window(
    now: str,
    notice: int,
    horizon: int,
    active_start: str | None,
    active_end: str | None,
    expected: tuple[str, str] | None,
) -> None:
    window = booking_window(
        now=utc(now),
        notice=timedelta(hours=notice),
        horizon=timedelta(hours=horizon),
        active_start=utc(active_start) if active_start else None,
        active_end=utc(active_end) if active_end else None,
    )

    if expected is None:
        assert window is None
    else:
        assert window == BookingWindow(utc(expected[0]), utc(expected[1]))


def test_booking_window_is_returned_in_utc() -> None:
    berlin = ZoneInfo("Europe/Berlin")
    window = booking_window(
        now=datetime(2024, 7, 1, 12, 0, tzinfo=berlin),
        notice=timedelta(hours=1),
        horizon=timedelta(days=1),
    )

    assert window == BookingWindow(utc("2024-07-01T11:00"), utc("2024-07-02T10:00"))
    assert window.start.tzinfo is UTC
    assert window.end.tzinfo is UTC


# --- busy time and buffers ----------------------------------------------------------

CANDIDATES_AROUND_NOON = [
    "10:30",
    "11:00",
    "11:30",
    "12:00",
    "12:30",
    "13:00",
    "13:30",
    "14:00",
]


@pytest.mark.parametrize(
    ("before", "after", "free_around_noon"),
    [
        pytest.param(0, 0, ["10:30", "11:00", "11:30", "13:00", "13:30", "14:00"],
                     id="no-buffers-touching-is-fine"),
        pytest.param(0, 15, ["10:30", "11:00", "13:00", "13:30", "14:00"],
                     id="buffer-after-needs-room-after-the-slot"),
        pytest.param(15, 0, ["10:30", "11:00", "11:30", "13:30", "14:00"],
                     id="buffer-before-needs-room-before-the-slot"),
        pytest.param(30, 30, ["10:30", "11:00", "13:30", "14:00"],
                     id="exact-buffers-touch"),
        pytest.param(31, 31, ["10:30", "14:00"], id="buffers-one-minute-too-long"),
    ],
)  # fmt: skip
def test_buffers_around_a_busy_hour(
    before: int, after: int, free_around_noon: list[str]
) -> None:
    slots = slots_for(
        MONDAY_0900_1700_UTC,
        window=MONDAY_WINDOW,
        busy_intervals=busy("2024-07-01T12:00/13:00"),
        before_minutes=before,
        after_minutes=after,
    )

    offered = set(clock_starts(slots))
    assert [
        start for start in CANDIDATES_AROUND_NOON if start in offered
    ] == free_around_noon


def test_buffers_concern_busy_time_not_working_hours() -> None:
    # The first slot of the day needs no working time before it, only busy-free time.
    free_morning = slots_for(
        MONDAY_0900_1700_UTC, window=MONDAY_WINDOW, before_minutes=30
    )
    busy_morning = slots_for(
        MONDAY_0900_1700_UTC,
        window=MONDAY_WINDOW,
        busy_intervals=busy("2024-07-01T08:30/09:00"),
        before_minutes=30,
    )

    assert clock_starts(free_morning)[0] == "09:00"
    assert clock_starts(busy_morning)[0] == "09:30"


@pytest.mark.parametrize(
    ("spans", "expected"),
    [
        pytest.param(
            ["2024-07-01T10:30/12:00", "2024-07-01T09:00/11:00", "2024-07-01T09:15/09:45"],
            ["12:00", "12:30", "13:00", "13:30", "14:00", "14:30", "15:00", "15:30", "16:00", "16:30"],
            id="overlapping-and-unsorted",
        ),
        pytest.param(
            ["2024-07-01T10:00/11:00", "2024-07-01T10:00/11:00", "2024-07-01T10:15/10:45"],
            ["09:00", "09:30", "11:00", "11:30", "12:00", "12:30", "13:00",
             "13:30", "14:00", "14:30", "15:00", "15:30", "16:00", "16:30"],
            id="duplicates-and-contained",
        ),
        pytest.param(
            ["2024-07-01T09:00/10:00", "2024-07-01T10:00/11:00", "2024-07-01T11:00/12:00",
             "2024-07-01T12:10/12:20", "2024-07-01T13:00/13:00"],
            ["12:30", "13:00", "13:30", "14:00", "14:30", "15:00", "15:30", "16:00", "16:30"],
            id="back-to-back-short-and-empty",
        ),
        pytest.param(
            ["2024-06-30T22:00/2024-07-01T09:31", "2024-07-01T16:59/2024-07-02T03:00"],
            ["10:00", "10:30", "11:00", "11:30", "12:00", "12:30", "13:00",
             "13:30", "14:00", "14:30", "15:00", "15:30", "16:00"],
            id="spanning-the-window-edges",
        ),
        pytest.param(["2024-07-01T00:00/2024-07-02T00:00"], [], id="busy-all-day"),
        pytest.param(["2024-06-01T09:00/10:00", "2024-08-01T09:00/10:00"],
                     [f"{hour:02}:{minute}" for hour in range(9, 17) for minute in ("00", "30")],
                     id="outside-the-window"),
    ],
)  # fmt: skip
def test_busy_intervals(spans: list[str], expected: list[str]) -> None:
    slots = slots_for(
        MONDAY_0900_1700_UTC, window=MONDAY_WINDOW, busy_intervals=busy(*spans)
    )

    assert clock_starts(slots) == expected


def test_busy_intervals_in_other_zones_are_compared_as_instants() -> None:
    berlin = ZoneInfo("Europe/Berlin")
    meeting = BusyInterval(
        datetime(2024, 7, 1, 11, 0, tzinfo=berlin),
        datetime(2024, 7, 1, 12, 0, tzinfo=berlin),
    )  # 09:00-10:00 UTC

    slots = slots_for(
        MONDAY_0900_1700_UTC, window=MONDAY_WINDOW, busy_intervals=[meeting]
    )

    assert clock_starts(slots)[0] == "10:00"


def test_recurring_looking_busy_events() -> None:
    # A daily stand-up, a weekly Monday review and an all-hands every other
    # Wednesday across three weeks: expanded instances, as a calendar sync delivers them.
    hours = work_hours(
        "Europe/Berlin",
        monday="09:00-17:00",
        tuesday="09:00-17:00",
        wednesday="09:00-17:00",
        thursday="09:00-17:00",
        friday="09:00-17:00",
    )
    berlin = ZoneInfo("Europe/Berlin")
    first_monday = date(2024, 7, 1)
    instances: list[BusyInterval] = []
    for offset in range(21):
        day = first_monday + timedelta(days=offset)
        instances.append(_local_busy(berlin, day, "09:00", "09:15"))
        if day.weekday() == 0:
            instances.append(_local_busy(berlin, day, "14:00", "15:00"))
        if day.weekday() == 2 and offset % 14 == 2:
            instances.append(_local_busy(berlin, day, "11:00", "13:00"))
    instances.reverse()  # delivery order must not matter

    slots = compute_slots(
        work_hours=hours,
        duration=timedelta(minutes=30),
        step_minutes=15,
        window_start=utc("2024-07-01T00:00"),
        window_end=utc("2024-07-22T00:00"),
        busy=instances,
        buffer_after=timedelta(minutes=5),
    )

    local_starts = {
        slot.start.astimezone(berlin).strftime("%a %d %H:%M") for slot in slots
    }
    assert "Mon 01 09:00" not in local_starts  # stand-up
    assert "Mon 01 09:15" in local_starts  # right after the stand-up
    assert "Mon 01 13:30" not in local_starts  # 5-minute buffer before the review
    assert "Mon 01 13:15" in local_starts
    assert "Mon 01 14:30" not in local_starts  # review
    assert "Mon 01 15:00" in local_starts
    assert "Wed 03 12:45" not in local_starts  # first all-hands
    assert "Wed 10 12:45" in local_starts  # not on the off week
    assert "Wed 17 12:45" not in local_starts
    # And every other slot agrees with the brute-force restatement of the rules.
    assert slots == _oracle_slots(
        hours,
        step=15,
        duration=timedelta(minutes=30),
        window=(utc("2024-07-01T00:00"), utc("2024-07-22T00:00")),
        busy=instances,
        before=timedelta(0),
        after=timedelta(minutes=5),
    )


def _local_busy(zone: ZoneInfo, day: date, start: str, end: str) -> BusyInterval:
    return BusyInterval(
        datetime.combine(day, time.fromisoformat(start), zone),
        datetime.combine(day, time.fromisoformat(end), zone),
    )


# --- schedules ----------------------------------------------------------------------


def test_days_without_schedule_or_intervals_offer_nothing() -> None:
    hours = work_hours("UTC", monday="09:00-10:00", tuesday="")  # Tuesday: empty list
    slots = slots_for(
        hours,
        window=("2024-06-29T00:00", "2024-07-07T00:00"),
        step=60,
        duration_minutes=60,
    )

    assert stamps(slots) == ["2024-07-01T09:00Z"]


def test_no_schedules_at_all() -> None:
    assert slots_for(WorkHours("UTC", ()), window=MONDAY_WINDOW) == []


@pytest.mark.parametrize(
    ("spec", "step", "duration", "expected"),
    [
        pytest.param("09:00-12:00,12:00-13:00", 30, 60,
                     ["09:00", "09:30", "10:00", "10:30", "11:00", "12:00"],
                     id="slot-never-spans-two-touching-intervals"),
        pytest.param("13:00-14:00,09:00-10:00", 60, 60, ["09:00", "13:00"],
                     id="intervals-given-out-of-order"),
        pytest.param("22:00-24:00", 60, 60, ["22:00", "23:00"], id="midnight-end"),
        pytest.param("00:00-24:00", 60, 60, [f"{hour:02}:00" for hour in range(24)],
                     id="whole-day"),
        pytest.param("09:00-09:20", 30, 30, [], id="interval-shorter-than-duration"),
        pytest.param("09:00-11:00", 60, 45, ["09:00", "10:00"],
                     id="duration-not-a-multiple-of-step"),
    ],
)  # fmt: skip
def test_working_interval_shapes(
    spec: str, step: int, duration: int, expected: list[str]
) -> None:
    slots = slots_for(
        work_hours("UTC", monday=spec),
        window=MONDAY_WINDOW,
        step=step,
        duration_minutes=duration,
    )

    assert clock_starts(slots) == expected


def test_empty_or_reversed_window_offers_nothing() -> None:
    assert (
        slots_for(MONDAY_0900_1700_UTC, window=("2024-07-01T12:00", "2024-07-01T12:00"))
        == []
    )
    assert (
        slots_for(MONDAY_0900_1700_UTC, window=("2024-07-01T13:00", "2024-07-01T12:00"))
        == []
    )


def test_work_hours_value_semantics() -> None:
    from_lists = WorkHours(
        "UTC",
        [DaySchedule(Weekday.MONDAY, [WorkingInterval(time(9), time(17))])],  # type: ignore[arg-type]
    )

    assert from_lists == MONDAY_0900_1700_UTC
    assert hash(from_lists) == hash(MONDAY_0900_1700_UTC)
    assert from_lists.zone == ZoneInfo("UTC")
    assert [day.number for day in Weekday] == list(range(7))
    # The number does not shadow str.index: a Weekday is still a whole str.
    assert Weekday.FRIDAY.index("day") == 3


def test_output_is_sorted_aware_utc() -> None:
    slots = slots_for(
        work_hours("Asia/Kolkata", monday="09:00-17:00", tuesday="09:00-17:00"),
        window=("2024-06-30T00:00", "2024-07-03T00:00"),
    )

    assert slots
    assert all(slot.start.tzinfo is UTC and slot.end.tzinfo is UTC for slot in slots)
    assert [slot.start for slot in slots] == sorted(slot.start for slot in slots)


# --- is_slot_available ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("requested", "available"),
    [
        pytest.param("2024-07-01T09:00", True, id="first-slot"),
        pytest.param("2024-07-01T11:30", True, id="ends-when-busy-starts"),
        pytest.param("2024-07-01T12:30", False, id="busy"),
        pytest.param("2024-07-01T13:00", True, id="starts-when-busy-ends"),
        pytest.param("2024-07-01T09:10", False, id="off-grid"),
        pytest.param("2024-07-01T16:45", False, id="runs-past-working-hours"),
        pytest.param("2024-07-01T08:30", False, id="before-working-hours"),
        pytest.param("2024-07-01T15:45", False, id="runs-past-the-window"),
        pytest.param("2024-07-01T15:30", True, id="ends-with-the-window"),
        pytest.param("2024-07-02T09:00", False, id="day-without-schedule"),
    ],
)  # fmt: skip
def test_is_slot_available(requested: str, available: bool) -> None:
    assert (
        is_slot_available(
            slot_start=utc(requested),
            work_hours=MONDAY_0900_1700_UTC,
            duration=timedelta(minutes=30),
            step_minutes=15,
            window_start=utc("2024-07-01T00:00"),
            window_end=utc("2024-07-01T16:00"),
            busy=busy("2024-07-01T12:00/13:00"),
        )
        is available
    )


@pytest.mark.parametrize(
    ("requested", "available"),
    [
        pytest.param("2024-10-27T00:30", True, id="first-02:30-cest"),
        pytest.param("2024-10-27T01:30", True, id="second-02:30-cet"),
        pytest.param("2024-10-27T01:15", False, id="second-02:15-cet-off-grid"),
    ],
)  # fmt: skip
def test_is_slot_available_in_the_repeated_hour(
    requested: str, available: bool
) -> None:
    assert (
        is_slot_available(
            slot_start=utc(requested),
            work_hours=work_hours("Europe/Berlin", sunday="00:00-06:00"),
            duration=timedelta(minutes=30),
            step_minutes=30,
            window_start=utc("2024-10-26T00:00"),
            window_end=utc("2024-10-28T00:00"),
            busy=[],
        )
        is available
    )


# --- validation ----------------------------------------------------------------------


def _hours_with(*intervals: tuple[Any, Any], zone: str = "UTC") -> Callable[[], object]:
    return lambda: WorkHours(
        zone,
        (
            DaySchedule(
                Weekday.MONDAY, tuple(WorkingInterval(s, e) for s, e in intervals)
            ),
        ),
    )


def _compute_with(**overrides: Any) -> Callable[[], object]:
    arguments: dict[str, Any] = {
        "work_hours": MONDAY_0900_1700_UTC,
        "duration": timedelta(minutes=30),
        "step_minutes": 15,
        "window_start": utc("2024-07-01T00:00"),
        "window_end": utc("2024-07-02T00:00"),
        "busy": [],
    }
    return lambda: compute_slots(**(arguments | overrides))


NAIVE = datetime(2024, 7, 1, 9, 0)  # noqa: DTZ001 - deliberately naive input


@pytest.mark.parametrize(
    ("build", "field"),
    [
        pytest.param(_hours_with((time(9), time(17)), zone="Americas/New_York"),
                     "workHours.timezone", id="unknown-zone"),
        pytest.param(_hours_with((time(9), time(17)), zone=""), "workHours.timezone",
                     id="empty-zone"),
        pytest.param(_hours_with((time(9), time(17)), zone="America"), "workHours.timezone",
                     id="zone-directory"),
        pytest.param(_hours_with((time(9), time(17)), zone="../etc/passwd"),
                     "workHours.timezone", id="zone-path"),
        pytest.param(_hours_with((time(9), time(17)), zone="localtime"),
                     "workHours.timezone", id="host-dependent-zone"),
        pytest.param(_hours_with((time(9), time(9))),
                     "workHours.daySchedules[0].workingIntervals[0]", id="start-equals-end"),
        pytest.param(_hours_with((time(9), time(12)), (time(17), time(13))),
                     "workHours.daySchedules[0].workingIntervals[1]", id="start-after-end"),
        pytest.param(_hours_with((time(9), time(12)), (time(13), time(15)), (time(11), time(13, 30))),
                     "workHours.daySchedules[0].workingIntervals[2]", id="overlapping-intervals"),
        pytest.param(_hours_with((time(9), time(0)), (time(23), time(0))),
                     "workHours.daySchedules[0].workingIntervals[1]", id="overlap-at-midnight-end"),
        pytest.param(_hours_with((time(9, tzinfo=UTC), time(17))),
                     "workHours.daySchedules[0].workingIntervals[0].start", id="aware-start"),
        pytest.param(_hours_with((time(9), "17:00")),
                     "workHours.daySchedules[0].workingIntervals[0].end", id="string-end"),
        pytest.param(lambda: WorkHours("UTC", (DaySchedule("funday", ()),)),  # type: ignore[arg-type]
                     "workHours.daySchedules[0].dayOfWeek", id="unknown-weekday"),
        pytest.param(lambda: WorkHours("UTC", (DaySchedule(0, ()),)),  # type: ignore[arg-type]
                     "workHours.daySchedules[0].dayOfWeek", id="non-string-weekday"),
        pytest.param(lambda: WorkHours("UTC", (DaySchedule(Weekday.MONDAY, ()),
                                               DaySchedule(Weekday.TUESDAY, ()),
                                               DaySchedule(Weekday.MONDAY, ()))),
                     "workHours.daySchedules[2].dayOfWeek", id="duplicate-weekday"),
        pytest.param(lambda: WorkHours("UTC", (DaySchedule(Weekday.MONDAY, ()),
                                               DaySchedule(Weekday.TUESDAY, (WorkingInterval(time(10), time(9)),)))),
                     "workHours.daySchedules[1].workingIntervals[0]", id="second-day"),
        pytest.param(_compute_with(step_minutes=7), "availabilityStep", id="step-not-allowed"),
        pytest.param(_compute_with(step_minutes=0), "availabilityStep", id="step-zero"),
        pytest.param(_compute_with(step_minutes=True), "availabilityStep", id="step-bool"),
        pytest.param(_compute_with(duration=timedelta(0)), "durationMinutes", id="zero-duration"),
        pytest.param(_compute_with(duration=timedelta(minutes=-30)), "durationMinutes",
                     id="negative-duration"),
        pytest.param(_compute_with(buffer_before=timedelta(minutes=-1)), "bufferBefore",
                     id="negative-buffer-before"),
        pytest.param(_compute_with(buffer_after=timedelta(minutes=-1)), "bufferAfter",
                     id="negative-buffer-after"),
        pytest.param(_compute_with(window_start=NAIVE), "windowStart", id="naive-window-start"),
        pytest.param(_compute_with(window_end=NAIVE), "windowEnd", id="naive-window-end"),
        pytest.param(lambda: BusyInterval(NAIVE, utc("2024-07-01T10:00")), "busy.start",
                     id="naive-busy"),
        pytest.param(lambda: BusyInterval(utc("2024-07-01T10:00"), utc("2024-07-01T09:00")),
                     "busy.end", id="reversed-busy"),
        pytest.param(lambda: booking_window(now=NAIVE, notice=timedelta(0), horizon=timedelta(days=1)),
                     "now", id="naive-now"),
        pytest.param(lambda: booking_window(now=utc("2024-07-01T00:00"), notice=timedelta(-1),
                                            horizon=timedelta(days=1)),
                     "minimumNotice", id="negative-notice"),
        pytest.param(lambda: booking_window(now=utc("2024-07-01T00:00"), notice=timedelta(0),
                                            horizon=timedelta(0)),
                     "timeAvailableFor", id="zero-horizon"),
        pytest.param(lambda: booking_window(now=utc("2024-07-01T00:00"), notice=timedelta(0),
                                            horizon=timedelta(days=1), active_start=NAIVE),
                     "startTime", id="naive-active-start"),
        pytest.param(lambda: booking_window(now=utc("2024-07-01T00:00"), notice=timedelta(0),
                                            horizon=timedelta(days=1), active_end=NAIVE),
                     "endTime", id="naive-active-end"),
        pytest.param(lambda: is_slot_available(
                         slot_start=NAIVE, work_hours=MONDAY_0900_1700_UTC,
                         duration=timedelta(minutes=30), step_minutes=15,
                         window_start=utc("2024-07-01T00:00"),
                         window_end=utc("2024-07-02T00:00"), busy=[]),
                     "slotStart", id="naive-slot-start"),
    ],
)  # fmt: skip
def test_validation_errors_name_the_field(
    build: Callable[[], object], field: str
) -> None:
    with pytest.raises(AvailabilityError) as raised:
        build()

    assert raised.value.field == field
    assert isinstance(raised.value, ValueError)
    assert str(raised.value).startswith(f"{field}: ")


def test_every_allowed_step_is_accepted() -> None:
    for step in ALLOWED_STEP_MINUTES:
        assert _compute_with(step_minutes=step)()


def test_availability_error_survives_pickling() -> None:
    error = AvailabilityError("availabilityStep", "must be one of ...")

    clone = pickle.loads(pickle.dumps(error))

    assert (clone.field, clone.message, str(clone)) == (
        error.field,
        error.message,
        str(error),
    )


# --- property test against a brute-force oracle ------------------------------------------


def _oracle_slots(
    hours: WorkHours,
    *,
    step: int,
    duration: timedelta,
    window: tuple[datetime, datetime],
    busy: Sequence[BusyInterval],
    before: timedelta,
    after: timedelta,
) -> list[Slot]:
    """Minute-by-minute restatement of the rules, sharing no code with the module.

    An instant belongs to the working interval whose local [start, end) holds
    the highest local reading seen so far: that is "from the first time the
    clock reads start until the first time it reads end".  Requires every
    input and every zone transition to fall on whole minutes.
    """
    zone = hours.zone
    intervals: dict[int, list[tuple[time, time | None]]] = {}
    for schedule in hours.day_schedules:
        intervals[Weekday(schedule.day_of_week).number] = [
            (interval.start, None if interval.end == time(0) else interval.end)
            for interval in schedule.working_intervals
        ]

    def interval_at(highest_reading: datetime) -> tuple[date, int] | None:
        clock = highest_reading.time()
        for index, (start, end) in enumerate(
            intervals.get(highest_reading.weekday(), [])
        ):
            if start <= clock and (end is None or clock < end):
                return highest_reading.date(), index
        return None

    window_start, window_end = window
    # A day of history is enough for the running maximum: no clock goes back a day.
    scan = window_start.replace(second=0, microsecond=0) - timedelta(days=1)
    membership: dict[datetime, tuple[date, int] | None] = {}
    on_grid: dict[datetime, bool] = {}
    highest: datetime | None = None
    while scan <= window_end:
        reading = scan.astimezone(zone).replace(tzinfo=None)
        highest = reading if highest is None or reading > highest else highest
        membership[scan] = interval_at(highest)
        on_grid[scan] = (reading.hour * 60 + reading.minute) % step == 0
        scan += MINUTE

    real_busy = [(event.start, event.end) for event in busy if event.end > event.start]
    slots = []
    for start, owner in membership.items():
        end = start + duration
        if (
            owner is not None
            and on_grid[start]
            and window_start <= start
            and end <= window_end
            and membership.get(end - MINUTE) == owner
            and not any(
                start - before < b_end and end + after > b_start
                for b_start, b_end in real_busy
            )
        ):
            slots.append(Slot(start, end))
    return slots


# Zones with unusual transitions, each with days worth probing.
ZONE_DAYS: dict[str, list[date]] = {
    "UTC": [date(2024, 7, 1)],
    "America/New_York": [date(2024, 3, 10), date(2024, 11, 3)],
    "Europe/Berlin": [date(2024, 3, 31), date(2024, 10, 27)],
    "Asia/Kolkata": [date(2024, 7, 1)],
    "Asia/Kathmandu": [date(2024, 7, 1)],
    # 30-minute DST shift.
    "Australia/Lord_Howe": [date(2024, 4, 7), date(2024, 10, 6)],
    # +12:45/+13:45, transitions at 02:45/03:45.
    "Pacific/Chatham": [date(2024, 4, 7), date(2024, 9, 29)],
    # Transitions at midnight: 00:00 is skipped, or 23:00 repeats across dates.
    "America/Sao_Paulo": [date(2018, 11, 4), date(2019, 2, 17)],
    # 2011-12-30 was skipped entirely.
    "Pacific/Apia": [date(2011, 12, 30)],
}


@st.composite
def day_intervals(draw: st.DrawFn) -> str:
    count = draw(st.sampled_from([0, 1, 1, 2, 2, 3]))  # mostly working days
    points = sorted(
        draw(st.sets(st.integers(0, 288), min_size=2 * count, max_size=2 * count))
    )
    clock = [f"{point * 5 // 60:02}:{point * 5 % 60:02}" for point in points]
    return ",".join(f"{clock[i]}-{clock[i + 1]}" for i in range(0, len(clock), 2))


@dataclass(frozen=True)
class Scenario:
    hours: WorkHours
    step: int
    duration: timedelta
    window: tuple[datetime, datetime]
    busy: list[BusyInterval]
    before: timedelta
    after: timedelta


@st.composite
def scenarios(draw: st.DrawFn) -> Scenario:
    zone = draw(st.sampled_from(sorted(ZONE_DAYS)))
    day = draw(st.sampled_from(ZONE_DAYS[zone]))
    week = {weekday.value: draw(day_intervals()) for weekday in Weekday}
    minutes = st.integers(min_value=0, max_value=36).map(
        lambda n: timedelta(minutes=5 * n)
    )
    # Windows of 6 to 72 hours starting up to 36 hours before the probed
    # day: most of them contain its transition.
    window_start = datetime.combine(day, time(0), UTC) - draw(
        st.integers(0, 36 * 12).map(lambda n: timedelta(minutes=5 * n))
    )
    window_end = window_start + draw(
        st.integers(6 * 12, 72 * 12).map(lambda n: timedelta(minutes=5 * n))
    )
    busy_events = [
        BusyInterval(window_start + offset, window_start + offset + length)
        for offset, length in draw(
            st.lists(
                st.tuples(
                    st.integers(-100, 72 * 12).map(lambda n: timedelta(minutes=5 * n)),
                    st.integers(0, 36).map(lambda n: timedelta(minutes=5 * n)),
                ),
                max_size=25,
            )
        )
    ]
    return Scenario(
        hours=work_hours(zone, **week),
        step=draw(st.sampled_from(ALLOWED_STEP_MINUTES)),
        duration=draw(st.integers(1, 36).map(lambda n: timedelta(minutes=5 * n))),
        window=(window_start, window_end),
        busy=busy_events,
        before=draw(minutes),
        after=draw(minutes),
    )


@settings(max_examples=100, deadline=None)
@given(scenarios())
def test_matches_brute_force_oracle(scenario: Scenario) -> None:
    arguments: dict[str, Any] = {
        "work_hours": scenario.hours,
        "duration": scenario.duration,
        "step_minutes": scenario.step,
        "window_start": scenario.window[0],
        "window_end": scenario.window[1],
        "busy": scenario.busy,
        "buffer_before": scenario.before,
        "buffer_after": scenario.after,
    }

    slots = compute_slots(**arguments)

    assert slots == _oracle_slots(
        scenario.hours,
        step=scenario.step,
        duration=scenario.duration,
        window=scenario.window,
        busy=scenario.busy,
        before=scenario.before,
        after=scenario.after,
    )
    # is_slot_available agrees on offered slots and on a spread of other instants.
    offered = {slot.start for slot in slots}
    probes = set(sorted(offered)[:10])
    probes.update(scenario.window[0] + timedelta(minutes=37 * n) for n in range(12))
    for probe in probes:
        assert is_slot_available(slot_start=probe, **arguments) is (probe in offered)


TRANSITION_DAYS = [(zone, day) for zone, days in ZONE_DAYS.items() for day in days]
# Interval bounds landing before, inside and after each zone's gap or overlap.
TRANSITION_SCHEDULES = [
    "00:00-24:00",
    "00:00-00:45,00:45-01:30,01:30-02:15,02:15-03:00,03:00-03:45,03:45-04:30,04:30-24:00",
    "01:15-02:10,02:20-02:40,02:50-03:50,23:00-24:00",
]


@pytest.mark.parametrize(("step", "duration_minutes"), [(5, 15), (30, 60)])
@pytest.mark.parametrize(
    "schedule", TRANSITION_SCHEDULES, ids=["whole-day", "45-min-blocks", "odd-bounds"]
)
@pytest.mark.parametrize(
    ("zone", "day"), TRANSITION_DAYS, ids=[f"{z}-{d}" for z, d in TRANSITION_DAYS]
)
def test_transition_days_match_oracle(
    zone: str, day: date, schedule: str, step: int, duration_minutes: int
) -> None:
    hours = work_hours(zone, **{weekday.value: schedule for weekday in Weekday})
    window = (
        datetime.combine(day - timedelta(days=1), time(12), UTC),
        datetime.combine(day + timedelta(days=1), time(12), UTC),
    )
    duration = timedelta(minutes=duration_minutes)
    meeting = BusyInterval(
        window[0] + timedelta(hours=20), window[0] + timedelta(hours=21)
    )

    slots = compute_slots(
        work_hours=hours,
        duration=duration,
        step_minutes=step,
        window_start=window[0],
        window_end=window[1],
        busy=[meeting],
        buffer_before=timedelta(minutes=10),
    )

    assert slots
    assert slots == _oracle_slots(
        hours,
        step=step,
        duration=duration,
        window=window,
        busy=[meeting],
        before=timedelta(minutes=10),
        after=timedelta(0),
    )
