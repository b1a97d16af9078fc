"""Authenticated room read vs a raw asyncpg read of the same row (issue 2, section 6).

Starts `parley serve --workers 2` on a scratch PostgreSQL database, creates a room, then
drives `GET /v1/rooms/{id}` (bearer token) and the reference `GET /bench/raw/rooms/{id}`
(raw asyncpg, no auth) with wrk on 127.0.0.1, alternating, several runs each.

    .venv/bin/python bench/room_read.py [--runs 3] [--seconds 10] [--connections 64]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _server import parley_server, scratch_database, wrk


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()

    with (
        tempfile.TemporaryDirectory() as tmp,
        scratch_database("parley_bench_room_read") as url,
        parley_server(
            url, Path(tmp), workers=args.workers, bench_endpoints="true"
        ) as server,
    ):
        headers = {"Authorization": f"Bearer {server.token('bench@example.com')}"}
        room = httpx.post(
            f"{server.base_url}/v1/rooms", json={"password": "pw"}, headers=headers
        ).json()
        api_url = f"{server.base_url}/v1/rooms/{room['id']}"
        raw_url = f"{server.base_url}/bench/raw/rooms/{room['id']}"
        assert httpx.get(api_url, headers=headers).json() == httpx.get(raw_url).json()
        wrk(
            api_url, headers=headers, seconds=2, connections=args.connections
        )  # warm-up
        wrk(raw_url, seconds=2, connections=args.connections)
        api_runs, raw_runs = [], []
        for _ in range(args.runs):
            raw_runs.append(
                wrk(raw_url, seconds=args.seconds, connections=args.connections)
            )
            api_runs.append(
                wrk(
                    api_url,
                    headers=headers,
                    seconds=args.seconds,
                    connections=args.connections,
                )
            )

    def summary(name: str, runs: list) -> float:  # type: ignore[type-arg]
        rate = statistics.median(r.requests_per_second for r in runs)
        print(
            f"{name:<34} {rate:>9.0f} req/s (runs: {', '.join(f'{r.requests_per_second:.0f}' for r in runs)})"
            f"  p50 {statistics.median(r.p50_ms for r in runs):.2f} ms"
            f"  p99 {statistics.median(r.p99_ms for r in runs):.2f} ms"
            f"  non-2xx {sum(r.non_2xx for r in runs)}"
        )
        return rate

    print(
        f"wrk -c{args.connections}, {args.runs} runs x {args.seconds}s, {args.workers} workers, medians:"
    )
    raw = summary("raw asyncpg, no auth", raw_runs)
    api = summary("GET /v1/rooms/{id} (bearer, ORM)", api_runs)
    print(f"ratio authenticated/raw: {api / raw:.2f}")


if __name__ == "__main__":
    main()
