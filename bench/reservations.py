"""Reservation creates per second with conflict checking, on PostgreSQL (issue 5).

Starts `parley serve` (2 workers) on a scratch PostgreSQL database and drives
`POST /api/v1/scheduler/reservation` with wrk and a Lua script that makes every
request a different reservation, with 1 and 32 concurrent clients:

- spread:   every request reserves its own room (the per-room lock never waits);
- one room: all requests reserve one room, in disjoint 1-minute windows (every
            create waits for the room's advisory lock and scans its windows);
- conflict: every request overlaps an existing reservation (the 409 path);
- and, for scale, POST /v1/rooms on the same server (a write with no conflict check).

    .venv/bin/python bench/reservations.py [--seconds 10] [--workers 2]

Numbers are requests per second (wrk's count, so 409s count as requests), p50/p99
latency, and the count of unexpected statuses. Each scenario runs on a fresh room
namespace; the database grows during the run, as it would in production.

A create is five round trips (BEGIN, advisory lock, overlap probe, INSERT, COMMIT)
against a room create's three, so expect about half the rate of POST /v1/rooms.
Measured 2026-11-21, 2 shared cores also running PostgreSQL, wrk and other people's
test suites (so +-30% between runs), 10 s per run, req/s (p50):

    spread    c=1   170 (5.8 ms)    c=32  253 (124 ms)
    one room  c=1   213 (4.2 ms)    c=32  161 (172 ms)   every create waits its turn
    conflict  c=1   140 (6.7 ms)    c=32  220 (119 ms)   all 409
    /v1/rooms c=1   345 (2.8 ms)    c=32  618 (43 ms)    reference
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
import uuid
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _server import parley_server, scratch_database, wrk

PATH = "/api/v1/scheduler/reservation"

ROOMS_SCRIPT = """
request = function()
  return wrk.format("POST", "/v1/rooms", {{
    ["Content-Type"] = "application/json",
    ["Authorization"] = "Bearer {token}",
  }}, "{{}}")
end
"""

# Each wrk thread numbers its requests; windows are minute k after a base far in the
# future (so none is in the past) and never repeat across threads.
SCRIPT = """
local counter = 0
local threads = {threads}
local tid = 0
local created = 0

function setup(thread)
  thread:set("tid", created)
  created = created + 1
end

function init(args)
  tid = tonumber(wrk.thread:get("tid")) or 0
end

request = function()
  counter = counter + 1
  local k = counter * threads + tid
  local name = "{room}"
  if {spread} then name = "{room}-" .. k end
  local start = os.date("!%Y-%m-%dT%H:%M", {base} + k * 60)
  if {conflict} then start = os.date("!%Y-%m-%dT%H:%M", {base} + 60) end
  local body = '{{"mail_owner": "bench@example.com", "name": "' .. name ..
    '", "duration": 1, "start_time": "' .. start .. '", "timezone": "UTC"}}'
  return wrk.format("POST", "{path}", {{
    ["Content-Type"] = "application/json",
    ["Authorization"] = "Bearer {token}",
  }}, body)
end
"""


def run_rooms_baseline(
    base_url: str, token: str, *, connections: int, seconds: int, workdir: Path
) -> str:
    script = workdir / "rooms.lua"
    script.write_text(ROOMS_SCRIPT.format(token=token))
    result = wrk(
        base_url + "/v1/rooms",
        connections=connections,
        threads=min(2, connections),
        seconds=seconds,
        script=script,
    )
    return (
        f"{'rooms':<9} c={connections:<3} {result.requests_per_second:>8.0f} req/s"
        f"  p50 {result.p50_ms:6.2f} ms  p99 {result.p99_ms:7.2f} ms"
        f"  unexpected statuses {result.non_2xx}"
    )


def run_scenario(
    base_url: str,
    token: str,
    *,
    scenario: str,
    connections: int,
    seconds: int,
    workdir: Path,
) -> str:
    threads = min(2, connections)
    room = f"bench-{scenario}-{connections}-{uuid.uuid4().hex[:6]}"
    base = int(time.time()) + 30 * 86_400
    if scenario == "conflict":
        seed = {
            "mail_owner": "bench@example.com",
            "name": room,
            "duration": 10,
            "start_time": time.strftime("%Y-%m-%dT%H:%M", time.gmtime(base)),
            "timezone": "UTC",
        }
        response = httpx.post(
            base_url + PATH,
            json=seed,
            headers={"Authorization": f"Bearer {token}"},
        )
        assert response.status_code == 201, response.text
    script = workdir / f"{room}.lua"
    script.write_text(
        SCRIPT.format(
            threads=threads,
            room=room,
            spread=json.dumps(scenario == "spread"),
            conflict=json.dumps(scenario == "conflict"),
            base=base,
            path=PATH,
            token=token,
        )
    )
    result = wrk(
        base_url + PATH,
        connections=connections,
        threads=threads,
        seconds=seconds,
        script=script,
    )
    expected_non_2xx = scenario == "conflict"
    unexpected = result.non_2xx if not expected_non_2xx else 0
    return (
        f"{scenario:<9} c={connections:<3} {result.requests_per_second:>8.0f} req/s"
        f"  p50 {result.p50_ms:6.2f} ms  p99 {result.p99_ms:7.2f} ms"
        f"  unexpected statuses {unexpected}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()

    lines = []
    with (
        tempfile.TemporaryDirectory() as tmp,
        scratch_database("parley_bench_reservations") as url,
        parley_server(url, Path(tmp), workers=args.workers) as server,
    ):
        token = server.token("bench@example.com")
        # Provision the user and warm both workers up.
        for _ in range(20):
            httpx.get(
                f"{server.base_url}/api/v1/scheduler/reservation",
                headers={"Authorization": f"Bearer {token}"},
            )
        for scenario in ("spread", "one-room", "conflict"):
            for connections in (1, 32):
                lines.append(
                    run_scenario(
                        server.base_url,
                        token,
                        scenario=scenario,
                        connections=connections,
                        seconds=args.seconds,
                        workdir=Path(tmp),
                    )
                )
                print(lines[-1], flush=True)
        for connections in (1, 32):
            print(
                run_rooms_baseline(
                    server.base_url,
                    token,
                    connections=connections,
                    seconds=args.seconds,
                    workdir=Path(tmp),
                ),
                flush=True,
            )
    print(f"\nPOST {PATH}, {args.workers} workers, {args.seconds}s per run, PostgreSQL")


if __name__ == "__main__":
    main()
