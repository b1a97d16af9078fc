"""Micro-benchmark for parley.booking.availability.compute_slots.

Scenario (the availability endpoint's worst realistic case): a 60-day horizon,
15-minute step, 30-minute meetings, 10/5-minute buffers, Mon-Fri work hours
with a lunch break in Europe/Berlin (the horizon crosses a DST change), and
1,000 busy intervals of which a third are expanded daily/weekly recurring
instances and the rest are random, overlapping one-offs.

Run:  PYTHONPATH=src python bench/availability_compute.py [--iterations N]
Prints p50/p99 wall time per compute_slots call in milliseconds.
"""

from __future__ import annotations

import argparse
import platform
import random
import statistics
import sys
import time as clock
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from parley.booking.availability import (
    BusyInterval,
    DaySchedule,
    Weekday,
    WorkHours,
    WorkingInterval,
    compute_slots,
)

ZONE = ZoneInfo("Europe/Berlin")
WINDOW_START = datetime(2025, 3, 10, 7, 3, tzinfo=UTC)  # mid-morning, off-grid
HORIZON = timedelta(days=60)  # crosses 2025-03-30, the spring-forward day
BUSY_COUNT = 1_000


def report(line: str) -> None:
    sys.stdout.write(line + "\n")


def work_hours() -> WorkHours:
    weekdays = (
        Weekday.MONDAY,
        Weekday.TUESDAY,
        Weekday.WEDNESDAY,
        Weekday.THURSDAY,
        Weekday.FRIDAY,
    )
    intervals = (
        WorkingInterval(time(9), time(12)),
        WorkingInterval(time(13), time(17, 30)),
    )
    return WorkHours(
        "Europe/Berlin", tuple(DaySchedule(day, intervals) for day in weekdays)
    )


def local_event(day: date, start: time, minutes: int) -> BusyInterval:
    begins = datetime.combine(day, start, ZONE)
    return BusyInterval(begins, begins + timedelta(minutes=minutes))


def busy_intervals(rng: random.Random) -> list[BusyInterval]:
    first_day = WINDOW_START.date()
    days = [first_day + timedelta(days=offset) for offset in range(HORIZON.days + 1)]
    recurring: list[BusyInterval] = []
    # Daily stand-up, weekly 1:1s and a weekly review: expanded instances.
    for day in days:
        recurring.append(local_event(day, time(9, 30), 15))
        if day.weekday() in (1, 3):
            recurring.append(local_event(day, time(11, 0), 30))
        if day.weekday() == 4:
            recurring.append(local_event(day, time(16, 0), 60))
        if day.weekday() == 0:
            recurring.append(local_event(day, time(14, 0), 45))
        if day.weekday() == 2:
            recurring.append(local_event(day, time(15, 15), 25))
    recurring = recurring[: BUSY_COUNT // 3]
    one_offs = []
    while len(recurring) + len(one_offs) < BUSY_COUNT:
        day = rng.choice(days)
        start = time(rng.randrange(7, 19), rng.choice((0, 10, 15, 20, 30, 45, 50)))
        one_offs.append(
            local_event(day, start, rng.choice((15, 25, 30, 45, 60, 90, 120)))
        )
    events = recurring + one_offs
    rng.shuffle(events)  # calendar syncs deliver events in no useful order
    return events


def measure(
    hours: WorkHours, busy: list[BusyInterval], iterations: int
) -> tuple[int, list[float]]:
    """Free-slot count and per-call wall times in milliseconds."""

    def run() -> int:
        return len(
            compute_slots(
                work_hours=hours,
                duration=timedelta(minutes=30),
                step_minutes=15,
                window_start=WINDOW_START,
                window_end=WINDOW_START + HORIZON,
                busy=busy,
                buffer_before=timedelta(minutes=10),
                buffer_after=timedelta(minutes=5),
            )
        )

    slot_count = run()
    for _ in range(20):  # warm caches (zoneinfo, allocator) before measuring
        run()
    samples_ms: list[float] = []
    for _ in range(iterations):
        started = clock.perf_counter_ns()
        run()
        samples_ms.append((clock.perf_counter_ns() - started) / 1e6)
    return slot_count, samples_ms


def summary(samples_ms: list[float]) -> str:
    percentiles = statistics.quantiles(samples_ms, n=100, method="inclusive")
    return (
        f"p50 {percentiles[49]:.2f} ms, p99 {percentiles[98]:.2f} ms, "
        f"min {min(samples_ms):.2f} ms, max {max(samples_ms):.2f} ms"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--iterations", type=int, default=300)
    parser.add_argument("--seed", type=int, default=20250310)
    arguments = parser.parse_args()

    hours = work_hours()
    busy = busy_intervals(random.Random(arguments.seed))
    assert len(busy) == BUSY_COUNT

    report(
        f"python {platform.python_version()} on {platform.machine()}, {arguments.iterations} calls each"
    )
    report(
        f"scenario: {HORIZON.days} days from {WINDOW_START:%Y-%m-%d}, step 15 min, duration 30 min, buffers 10/5 min"
    )
    slot_count, samples = measure(hours, busy, arguments.iterations)
    report(
        f"  {len(busy)} busy ({BUSY_COUNT // 3} recurring instances), "
        f"{slot_count} free slots: {summary(samples)}"
    )
    # Reference: nothing busy, so every grid point becomes a Slot (output-bound).
    slot_count, samples = measure(hours, [], arguments.iterations)
    report(f"  no busy, {slot_count} free slots: {summary(samples)}")


if __name__ == "__main__":
    main()
