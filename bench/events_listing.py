"""GET /v1/events for a one-month window: 10,000 events of one user vs 100,000 stored.

Starts `parley serve` on a scratch PostgreSQL database, provisions a user through the
API, inserts events in bulk with COPY (30% recurring with a mix of bounded and
open-ended rules, five time zones, some all-day and time-independent events, 10%
created by someone else and inviting the user), then measures
`GET /v1/events?time_min=..&time_max=..&per_page=100` with wrk (one connection,
so the percentiles are request latency, not queueing). Scenarios:

  10k        the user's 10,000 events over two years
  100k-users the same 10,000 plus 90,000 events of nine other users (same years)
  100k-years the user alone with 100,000 events over twenty years (same density:
             ten times the history, ten times the open-ended series)

Listing keys (first_start, last_end, span_class) are computed with Parley's own
functions, as the API would store them. Prints EXPLAIN (ANALYZE, BUFFERS) of the
window query for the last scenario.

    .venv/bin/python bench/events_listing.py [--seconds 10] [--scenarios 10k,100k-users,100k-years]
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sys
import tempfile
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
from _server import parley_server, scratch_database, wrk

from parley.events.listing import Filters, Window, page_statement
from parley.events.listing_keys import listing_keys
from parley.events.recurrence import join_recurrence_pattern
from parley.events.timing import Moment, footprint, resolve_timing

ZONES = ["Europe/Berlin", "America/New_York", "Asia/Tokyo", "UTC", "Australia/Sydney"]
WINDOW_START = datetime(2030, 7, 1, tzinfo=UTC)
WINDOW_END = datetime(2030, 8, 1, tzinfo=UTC)


@dataclass(frozen=True)
class Scenario:
    name: str
    user_events: int
    others: int  # other users, each with user_events events
    years: int  # span of start times, centred on the window


SCENARIOS = {
    "10k": Scenario("10k", 10_000, 0, 2),
    "100k-users": Scenario("100k-users", 10_000, 9, 2),
    "100k-years": Scenario("100k-years", 100_000, 0, 20),
}


def _pattern(rng: random.Random, start: datetime, all_day: bool) -> list[str]:
    roll = rng.random()
    if roll < 0.40:
        return [f"RRULE:FREQ=WEEKLY;COUNT={rng.randint(4, 26)}"]
    if roll < 0.60:
        return [f"RRULE:FREQ=DAILY;COUNT={rng.randint(3, 10)}"]
    if roll < 0.75:
        return ["RRULE:FREQ=WEEKLY;BYDAY=MO,WE"]
    if roll < 0.90:
        until = start + timedelta(days=rng.randint(90, 540))
        form = "%Y%m%d" if all_day else "%Y%m%dT%H%M%SZ"
        return [f"RRULE:FREQ=MONTHLY;UNTIL={until.strftime(form)}"]
    return ["RRULE:FREQ=YEARLY"]


def _event_row(
    rng: random.Random, creator: uuid.UUID, room_id: uuid.UUID, years: int
) -> tuple[Any, ...]:
    span = timedelta(days=365 * years)
    base = WINDOW_START - span / 2
    start = base + timedelta(seconds=rng.randrange(int(span.total_seconds())))
    zone = rng.choice(ZONES)
    roll = rng.random()
    created = datetime(2029, 1, 1, tzinfo=UTC) + timedelta(seconds=rng.randrange(10**8))
    if roll < 0.03:
        timing = resolve_timing(
            is_time_independent=True,
            is_all_day=None,
            starts_at=None,
            ends_at=None,
            pattern=[],
        )
    else:
        all_day = roll < 0.08
        if all_day:
            start = start.replace(hour=0, minute=0, second=0, microsecond=0)
            end = start + timedelta(days=rng.randint(1, 3))
        else:
            start = start.replace(
                minute=rng.choice([0, 15, 30, 45]), second=0, microsecond=0
            )
            end = start + timedelta(minutes=rng.choice([30, 45, 60, 90, 120]))
        pattern = _pattern(rng, start, all_day) if rng.random() < 0.30 else []
        timing = resolve_timing(
            is_time_independent=False,
            is_all_day=all_day,
            starts_at=Moment(start, zone),
            ends_at=Moment(end, zone),
            pattern=pattern,
        )
    keys = listing_keys(*footprint(timing))
    return (
        uuid.uuid4(),
        f"Event {rng.randrange(10**6)}",
        "benchmark data",
        room_id,
        creator,
        created,
        creator,
        created,
        timing.is_time_independent,
        timing.is_all_day,
        timing.starts_at.at if timing.starts_at else None,
        timing.starts_at.zone if timing.starts_at else None,
        timing.ends_at.at if timing.ends_at else None,
        timing.ends_at.zone if timing.ends_at else None,
        join_recurrence_pattern(timing.pattern),
        False,
        keys.first_start,
        keys.last_end,
        keys.span_class,
    )


EVENT_COLUMNS = [
    "id",
    "title",
    "description",
    "room_id",
    "created_by_id",
    "created_at",
    "updated_by_id",
    "updated_at",
    "is_time_independent",
    "is_all_day",
    "starts_at",
    "starts_at_tz",
    "ends_at",
    "ends_at_tz",
    "recurrence_pattern",
    "is_adhoc",
    "first_start",
    "last_end",
    "span_class",
]


async def _insert_user(connection: asyncpg.Connection, email: str) -> uuid.UUID:
    user_id = uuid.uuid4()
    now = datetime.now(UTC)
    await connection.execute(
        "INSERT INTO users (id, oidc_sub, email, title, firstname, lastname, display_name,"
        " language, dashboard_theme, conference_theme, tariff_status, created_at, updated_at)"
        " VALUES ($1, $2, $3, '', '', '', $3, 'en', 'system', 'system', 'default', $4, $4)",
        user_id,
        f"bench-{user_id}",
        email,
        now,
    )
    return user_id


async def populate(dsn: str, user_id: uuid.UUID, scenario: Scenario) -> None:
    rng = random.Random(20300701)
    connection = await asyncpg.connect(dsn)
    try:
        organiser = await _insert_user(connection, "organiser@example.com")
        owners = [(user_id, scenario.user_events)]
        for n in range(scenario.others):
            owners.append(
                (
                    await _insert_user(connection, f"other{n}@example.com"),
                    scenario.user_events,
                )
            )
        for owner, count in owners:
            rooms, events, invites = [], [], []
            for _ in range(count):
                room_id = uuid.uuid4()
                # 10% of the user's events come from an organiser who invites them.
                creator = (
                    organiser if owner == user_id and rng.random() < 0.10 else owner
                )
                row = _event_row(rng, creator, room_id, scenario.years)
                rooms.append((room_id, creator, row[5], None, False))
                events.append(row)
                if creator != owner:
                    invites.append(
                        (
                            uuid.uuid4(),
                            row[0],
                            owner,
                            "user",
                            rng.choice(["pending", "accepted", "declined"]),
                            creator,
                            row[5],
                            row[16],
                            row[17],
                            row[18],
                            row[5],
                        )
                    )
            await connection.copy_records_to_table(
                "rooms",
                records=rooms,
                columns=[
                    "id",
                    "created_by_id",
                    "created_at",
                    "password",
                    "waiting_room",
                ],
            )
            await connection.copy_records_to_table(
                "events", records=events, columns=EVENT_COLUMNS
            )
            await connection.copy_records_to_table(
                "event_invites",
                records=invites,
                columns=[
                    "id",
                    "event_id",
                    "invitee_id",
                    "role",
                    "status",
                    "created_by_id",
                    "created_at",
                    "first_start",
                    "last_end",
                    "span_class",
                    "event_created_at",
                ],
            )
        await connection.execute("ANALYZE")
    finally:
        await connection.close()


async def explain(dsn: str, user_id: uuid.UUID) -> str:
    from sqlalchemy.dialects import postgresql

    statement, bound = page_statement(
        user_id,
        window=Window(WINDOW_START, WINDOW_END),
        filters=Filters(),
        after=None,
        limit=101,
    )
    compiled = statement.compile(dialect=postgresql.asyncpg.dialect())
    params = compiled.construct_params(bound)
    values = [params[name] for name in compiled.positiontup]
    connection = await asyncpg.connect(dsn)
    try:
        rows = await connection.fetch(
            "EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) " + str(compiled), *values
        )
        count = await connection.fetchval("SELECT count(*) FROM events")
    finally:
        await connection.close()
    return f"events stored: {count}\n" + "\n".join(r[0] for r in rows)


def run(scenario: Scenario, seconds: int, show_plan: bool) -> tuple[float, float, int]:
    with (
        tempfile.TemporaryDirectory() as tmp,
        scratch_database(
            f"parley_bench_events_{scenario.name.replace('-', '_')}"
        ) as url,
        parley_server(url, Path(tmp), workers=2) as server,
    ):
        headers = {"Authorization": f"Bearer {server.token('bench@example.com')}"}
        profile = httpx.get(f"{server.base_url}/v1/users/me", headers=headers).json()
        user_id = uuid.UUID(profile["id"])
        dsn = url.replace("postgresql+asyncpg", "postgresql")
        asyncio.run(populate(dsn, user_id, scenario))
        query = (
            f"time_min={WINDOW_START.strftime('%Y-%m-%dT%H:%M:%SZ')}"
            f"&time_max={WINDOW_END.strftime('%Y-%m-%dT%H:%M:%SZ')}&per_page=100"
        )
        target = f"{server.base_url}/v1/events?{query}"
        page = httpx.get(target, headers=headers, timeout=30)
        page.raise_for_status()
        shown = sum(1 for item in page.json() if item["type"] != "exception")
        wrk(target, headers=headers, seconds=2, connections=1, threads=1)  # warm-up
        result = wrk(target, headers=headers, seconds=seconds, connections=1, threads=1)
        if result.non_2xx:
            raise SystemExit(f"{result.non_2xx} failed requests")
        if show_plan:
            print(asyncio.run(explain(dsn, user_id)))
        return result.p50_ms, result.p99_ms, shown


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--scenarios", default="10k,100k-users,100k-years")
    parser.add_argument("--no-plan", action="store_true")
    args = parser.parse_args()
    names = args.scenarios.split(",")
    results = {}
    for name in names:
        scenario = SCENARIOS[name]
        results[name] = run(
            scenario, args.seconds, show_plan=not args.no_plan and name == names[-1]
        )
        p50, p99, shown = results[name]
        print(
            f"{name:<11} p50 {p50:6.2f} ms  p99 {p99:6.2f} ms  ({shown} events on the page)"
        )
    if "10k" in results:
        base = results["10k"][0]
        for name, (p50, _, _) in results.items():
            if name != "10k":
                print(f"ratio p50 {name}/10k: {p50 / base:.2f}")


if __name__ == "__main__":
    main()
