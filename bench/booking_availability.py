"""Booking availability: the pure computation and the public HTTP endpoint.

Scenario: a 60-day horizon, 15-minute step, 30-minute meetings, 10/5-minute
buffers, Mon-Fri 09:00-12:00 and 13:00-17:30 Europe/Berlin, and 1,000 busy
events of which a third are recurring.

1. Computation: ``compute_slots`` on 1,000 busy intervals (a third of them
   instances of recurring events), as ``bench/availability_compute.py``.
2. HTTP: ``GET /v1/book/{clientId}/{name}/meeting`` on a ``parley serve``
   against a scratch PostgreSQL database whose owner has 667 one-off meetings
   and 15 recurring series (weekday stand-ups, weekly 1:1s) giving about 333
   instances in the horizon; the server expands them on every request.
   ``--heavy`` makes 333 of the 1,000 events recurring series instead.  Measured one request at
   a time (latency of the endpoint itself) and under load with wrk.

Run:  PYTHONPATH=src python bench/booking_availability.py [--iterations N]
Needs PostgreSQL at 127.0.0.1:5432 (PARLEY_BENCH_POSTGRES_URL) and wrk.
"""

from __future__ import annotations

import argparse
import asyncio
import platform
import random
import statistics
import sys
import tempfile
import time as clock
import uuid
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))

import availability_compute as compute
from _server import parley_server, scratch_database, wrk

ZONE = "Europe/Berlin"
HORIZON_DAYS = 60
EVENTS = 1_000
RECURRING = EVENTS // 3


def report(line: str) -> None:
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


def profile_body() -> dict[str, object]:
    weekdays = ("monday", "tuesday", "wednesday", "thursday", "friday")
    intervals = [{"start": "09:00", "end": "12:00"}, {"start": "13:00", "end": "17:30"}]
    return {
        "name": "bench",
        "durationMinutes": 30,
        "availabilityStep": 15,
        "timeAvailableFor": f"P{HORIZON_DAYS}D",
        "bufferBeforeMinutes": 10,
        "bufferAfterMinutes": 5,
        "description": "Topic: {{topic}}",
        "workHours": {
            "timezone": ZONE,
            "daySchedules": [
                {"dayOfWeek": day, "workingIntervals": intervals} for day in weekdays
            ],
        },
    }


async def add_events(
    database_url: str, owner_id: uuid.UUID, seed: int, *, heavy: bool
) -> tuple[int, int]:
    """667 one-offs inside the horizon plus recurring series started earlier."""
    from parley.config import Settings
    from parley.db import Database, create_engine
    from parley.events import service as events_service
    from parley.events.schemas import DateTimeTZ, PostEventsBody

    rng = random.Random(seed)
    zone = ZoneInfo(ZONE)
    today = datetime.now(UTC).date()
    database = Database.from_engine(create_engine(Settings(database_url=database_url)))

    def body(day: date, start: time, minutes: int, rule: str | None) -> PostEventsBody:
        begins = datetime.combine(day, start, zone)
        return PostEventsBody(
            title="busy",
            description="",
            is_time_independent=False,
            is_all_day=False,
            starts_at=DateTimeTZ(datetime=begins, timezone=ZONE),
            ends_at=DateTimeTZ(
                datetime=begins + timedelta(minutes=minutes), timezone=ZONE
            ),
            recurrence_pattern=[rule] if rule else None,
        )

    # (rule, series): 6 weekday stand-ups (~43 instances each in 60 days) and
    # 9 weekly meetings (~9 each): about a third of the 1,000 busy intervals.
    # --heavy instead makes 333 of the 1,000 events recurring series.
    light = [("RRULE:FREQ=DAILY;BYDAY=MO,TU,WE,TH,FR", 6), ("RRULE:FREQ=WEEKLY", 9)]
    heavy_rules = (
        "RRULE:FREQ=DAILY;BYDAY=MO,TU,WE,TH,FR",
        "RRULE:FREQ=WEEKLY",
        "RRULE:FREQ=WEEKLY;INTERVAL=2",
        "RRULE:FREQ=WEEKLY;BYDAY=TU,TH",
    )
    series = (
        [rng.choice(heavy_rules) for _ in range(RECURRING)]
        if heavy
        else [rule for rule, count in light for _ in range(count)]
    )
    one_offs = EVENTS - RECURRING
    try:
        async with database.sessionmaker() as session:
            for rule in series:
                day = today - timedelta(days=rng.randrange(1, 60))
                start = time(rng.randrange(8, 17), rng.choice((0, 15, 30, 45)))
                await events_service.create_event(
                    session,
                    creator_id=owner_id,
                    data=body(day, start, rng.choice((15, 30)), rule),
                )
            for _ in range(one_offs):
                day = today + timedelta(days=rng.randrange(0, HORIZON_DAYS))
                start = time(rng.randrange(7, 19), rng.choice((0, 10, 15, 30, 45, 50)))
                await events_service.create_event(
                    session,
                    creator_id=owner_id,
                    data=body(
                        day, start, rng.choice((15, 25, 30, 45, 60, 90, 120)), None
                    ),
                )
            await session.commit()
    finally:
        await database.dispose()
    return len(series), one_offs


def percentiles(samples_ms: list[float]) -> str:
    cuts = statistics.quantiles(samples_ms, n=100, method="inclusive")
    return f"p50 {cuts[49]:.1f} ms, p99 {cuts[98]:.1f} ms, max {max(samples_ms):.1f} ms"


def bench_http(iterations: int, seed: int, *, heavy: bool) -> None:
    with (
        tempfile.TemporaryDirectory() as workdir,
        scratch_database(f"parley_bench_booking_{uuid.uuid4().hex[:8]}") as url,
        parley_server(
            url, Path(workdir), workers=1, booking_rate_limit_per_minute="0"
        ) as server,
    ):
        headers = {"Authorization": f"Bearer {server.token('owner@example.com')}"}
        me = httpx.get(f"{server.base_url}/v1/users/me", headers=headers).json()
        created = httpx.post(
            f"{server.base_url}/v1/book/profiles", json=profile_body(), headers=headers
        )
        created.raise_for_status()
        series, one_offs = asyncio.run(
            add_events(url, uuid.UUID(me["id"]), seed, heavy=heavy)
        )
        endpoint = f"{server.base_url}/v1/book/{me['id']}/bench/meeting"
        with httpx.Client() as client:
            first = client.get(endpoint)
            first.raise_for_status()
            slots = len(first.json()["items"])
            for _ in range(10):
                client.get(endpoint)
            samples = []
            for _ in range(iterations):
                started = clock.perf_counter_ns()
                response = client.get(endpoint)
                samples.append((clock.perf_counter_ns() - started) / 1e6)
                assert response.status_code == 200
        report(
            f"  HTTP, one client, {one_offs} one-off events + {series} recurring "
            "series, "
            f"{slots} free slots: {percentiles(samples)}"
        )
        for connections in (4, 16):
            result = wrk(endpoint, connections=connections, seconds=10, threads=2)
            report(
                f"  HTTP, wrk {connections} connections, 1 worker: "
                f"{result.requests_per_second:.0f} req/s, p50 {result.p50_ms:.1f} ms, "
                f"p99 {result.p99_ms:.1f} ms, non-2xx {result.non_2xx}"
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--iterations", type=int, default=300)
    parser.add_argument("--seed", type=int, default=20250310)
    parser.add_argument("--skip-http", action="store_true")
    parser.add_argument(
        "--heavy", action="store_true", help="333 recurring series instead of 15"
    )
    arguments = parser.parse_args()
    report(f"python {platform.python_version()} on {platform.machine()}")

    hours = compute.work_hours()
    busy = compute.busy_intervals(random.Random(arguments.seed))
    slot_count, samples = compute.measure(hours, busy, arguments.iterations)
    report(
        f"  computation, {len(busy)} busy ({compute.BUSY_COUNT // 3} recurring "
        f"instances), {slot_count} free slots: {compute.summary(samples)}"
    )
    if not arguments.skip_http:
        bench_http(arguments.iterations, arguments.seed, heavy=arguments.heavy)


if __name__ == "__main__":
    main()
