"""What EasyCalendar's rate limiter costs: `GET /api/v1/meetings/list` with it on vs off.

Starts `parley serve` twice on one scratch PostgreSQL database, identical but for
PARLEY_EASYCALENDAR_RATE_LIMITING (on: every request spends from the credential's
budget and carries X-Rate-Limit-*; the limits are set high enough that nothing is
refused), once with the counters in memory and once in Redis (PARLEY_REDIS_URL,
as several instances would run). The same key lists 10 meetings; wrk drives the
servers alternately, several runs each, in one run of this script. Because req/s on a
shared two-core machine moves with whatever else runs, the script also times what
the limiter adds to each request on its own (the budget hit and window read for
one credential, in memory and in Redis), which load disturbs far less.

    .venv/bin/python bench/easycalendar_ratelimit.py [--runs 3] [--seconds 10]
        [--connections 32] [--workers 2] [--redis redis://127.0.0.1:6379/0]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from contextlib import ExitStack
from pathlib import Path

import httpx

from redis import Redis

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _server import Server, WrkResult, parley_server, scratch_database, wrk

from parley.request_budgets import Budget, BudgetLimiter

# The highest limit allowed: far more than a run sends, so nothing is refused.
HIGH_LIMITS = json.dumps({"meetings/list": 1_000_000})


def make_key(server: Server) -> str:
    """`parley apikey create --kind easycalendar`: the Authorization header value."""
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "parley.cli",
            "apikey",
            "create",
            "--owner",
            "bench@example.com",
            "--kind",
            "easycalendar",
        ],
        env=server.env,
        cwd=server.workdir,
        capture_output=True,
        text=True,
        check=True,
    )
    return result.stdout.strip()


def seed(server: Server, credential: str, count: int) -> None:
    for number in range(count):
        response = httpx.post(
            f"{server.base_url}/api/v1/meetings/new",
            json={
                "firstname": "Bench",
                "email": f"client{number}@example.com",
                "title": f"Meeting {number}",
                "starttime": f"2030-01-{number + 1:02d}T09:00:00Z",
                "endtime": f"2030-01-{number + 1:02d}T10:00:00Z",
                "attendees": ["a@example.com", "b@example.com"],
            },
            headers={"Authorization": credential},
        )
        response.raise_for_status()


async def limiter_alone(redis_url: str | None, prefix: str, hits: int) -> float:
    """Microseconds per request the limiter adds (one hit: spend + window read)."""
    limiter = BudgetLimiter.create(redis_url, key_prefix=prefix)
    budget = Budget("easycalendar:meetings/list", limit=10_000_000, window_seconds=3600)
    try:
        for _ in range(200):  # warm-up: connections, scripts loaded
            await limiter.hit(budget, "key:bench")
        samples = []
        for _ in range(5):
            started = time.perf_counter()
            for _ in range(hits):
                await limiter.hit(budget, "key:bench")
            samples.append((time.perf_counter() - started) / hits * 1e6)
        return statistics.median(samples)
    finally:
        await limiter.aclose()


def summary(name: str, runs: list[WrkResult]) -> float:
    rate = statistics.median(r.requests_per_second for r in runs)
    print(
        f"{name:<28} {rate:>8.0f} req/s (runs: "
        f"{', '.join(f'{r.requests_per_second:.0f}' for r in runs)})"
        f"  p50 {statistics.median(r.p50_ms for r in runs):.2f} ms"
        f"  p99 {statistics.median(r.p99_ms for r in runs):.2f} ms"
        f"  non-2xx {sum(r.non_2xx for r in runs)}"
    )
    return rate


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/0")
    args = parser.parse_args()
    prefix = f"parley-bench-{uuid.uuid4().hex[:8]}:"
    common = {
        "easycalendar_rate_limits": HIGH_LIMITS,
        "redis_key_prefix": prefix,
    }
    setups = {
        "limiter off (memory)": {"easycalendar_rate_limiting": "false"},
        "limiter on (memory)": {"easycalendar_rate_limiting": "true"},
        "limiter off (Redis)": {
            "easycalendar_rate_limiting": "false",
            "redis_url": args.redis,
        },
        "limiter on (Redis)": {
            "easycalendar_rate_limiting": "true",
            "redis_url": args.redis,
        },
    }
    runs: dict[str, list[WrkResult]] = {name: [] for name in setups}
    with (
        tempfile.TemporaryDirectory() as tmp,
        scratch_database("parley_bench_easycalendar") as url,
        ExitStack() as stack,
    ):
        servers = {
            name: stack.enter_context(
                parley_server(
                    url, Path(tmp), workers=args.workers, **common, **settings
                )
            )
            for name, settings in setups.items()
        }
        first = next(iter(servers.values()))
        credential = make_key(first)
        seed(first, credential, 10)
        headers = {"Authorization": credential}
        urls = {
            name: f"{server.base_url}/api/v1/meetings/list"
            for name, server in servers.items()
        }
        probe = httpx.get(urls["limiter on (memory)"], headers=headers)
        assert probe.json()["total"] == 10, probe.text
        assert "X-Rate-Limit-Remaining" in probe.headers
        assert (
            "X-Rate-Limit-Remaining"
            not in httpx.get(urls["limiter off (memory)"], headers=headers).headers
        )
        for target in urls.values():  # warm-up
            wrk(target, headers=headers, seconds=2, connections=args.connections)
        for _ in range(args.runs):
            for name, target in urls.items():
                runs[name].append(
                    wrk(
                        target,
                        headers=headers,
                        seconds=args.seconds,
                        connections=args.connections,
                    )
                )
    alone = {
        "memory": asyncio.run(limiter_alone(None, prefix, 2000)),
        "Redis": asyncio.run(limiter_alone(args.redis, prefix, 2000)),
    }
    client = Redis.from_url(args.redis)
    for key in client.scan_iter(match=f"{prefix}*"):
        client.delete(key)
    client.close()

    print(
        f"GET /api/v1/meetings/list (10 meetings), wrk -c{args.connections}, "
        f"{args.runs} runs x {args.seconds}s, {args.workers} workers, medians:"
    )
    rates = {name: summary(name, result) for name, result in runs.items()}
    for store in ("memory", "Redis"):
        on, off = rates[f"limiter on ({store})"], rates[f"limiter off ({store})"]
        print(
            f"limiter cost ({store}): {100 * (1 - on / off):.1f}% of req/s; "
            f"the limiter alone: {alone[store]:.0f} us per request"
        )


if __name__ == "__main__":
    main()
