"""Signaling fan-out: join-to-`joined` latency with N participants held in 50 rooms.

For each level N the benchmark holds N joined guests spread over 50 rooms, then
lets probe participants join one after another (paced) and measures, for every
member of the probe's room, the time from the probe sending `join` to that
member receiving `joined`. It reports p50/p99 per level and the largest N whose
p99 stays under 100 ms.

Two set-ups: one Parley process with in-memory state, and two Parley processes
sharing Redis (participants alternate between them, so most `joined` events
cross instances). Everything runs on 127.0.0.1 against a scratch PostgreSQL
database; the client runs in this process, on the same machine, so its own
scheduling delay is part of every number. Stops by itself.

    python bench/signaling_fanout.py                    # both set-ups
    python bench/signaling_fanout.py --mode memory --levels 500,1000,2000
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import resource
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from websockets.asyncio.client import ClientConnection, connect

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _server import ROOT, Server, parley_server, scratch_database

ROOMS = 50
P99_TARGET_MS = 100.0
PROTOCOL = "opentalk-signaling-json-v1.0"
REDIS_URL = "redis://127.0.0.1:6379/0"
RECEIPT_TIMEOUT = 5.0


@dataclass
class Probe:
    name: str
    expected: int
    sent_at: float = 0.0
    latencies: list[float] = field(default_factory=list)
    done: asyncio.Event = field(default_factory=asyncio.Event)


@dataclass
class Level:
    participants: int
    samples: list[float]
    missing: int

    @property
    def p50(self) -> float:
        return statistics.median(self.samples) * 1000

    def percentile(self, fraction: float) -> float:
        ordered = sorted(self.samples)
        return ordered[min(len(ordered) - 1, int(len(ordered) * fraction))] * 1000

    @property
    def p99(self) -> float:
        return self.percentile(0.99)

    @property
    def held(self) -> bool:
        return self.missing == 0 and self.p99 < P99_TARGET_MS


class Bench:
    def __init__(self, servers: list[Server], owner_token: str) -> None:
        self.servers = servers
        self.http = httpx.AsyncClient(
            timeout=30, limits=httpx.Limits(max_connections=100)
        )
        self.owner = {"Authorization": f"Bearer {owner_token}"}
        self.rooms: list[tuple[str, str]] = []  # (room id, invite code)
        self.members: list[list[ClientConnection]] = [[] for _ in range(ROOMS)]
        self.pending: dict[str, Probe] = {}
        self.readers: list[asyncio.Task[None]] = []
        self.count = 0
        self.last_frame = 0.0

    async def setup(self) -> None:
        base = self.servers[0].base_url
        for _ in range(ROOMS):
            room = await self.http.post(f"{base}/v1/rooms", json={}, headers=self.owner)
            room_id = room.json()["id"]
            invite = await self.http.post(
                f"{base}/v1/rooms/{room_id}/invites", json={}, headers=self.owner
            )
            self.rooms.append((room_id, invite.json()["invite_code"]))

    async def connect(self, index: int) -> ClientConnection:
        """Start (HTTP) and open the websocket of participant ``index``."""
        server = self.servers[index % len(self.servers)]
        room_id, code = self.rooms[index % ROOMS]
        url = f"{server.base_url}/v1/rooms/{room_id}/start_invited"
        for attempt in range(3):
            try:
                started = await self.http.post(url, json={"invite_code": code})
                break
            except httpx.TransportError:
                # A kept-alive connection the server closed just then: retry.
                if attempt == 2:
                    raise
        started.raise_for_status()
        ws_url = server.base_url.replace("http://", "ws://") + "/signaling"
        return await connect(
            ws_url,
            subprotocols=[PROTOCOL, f"ticket#{started.json()['ticket']}"],  # type: ignore[list-item]
            open_timeout=30,
            max_size=None,
        )

    @staticmethod
    async def join(ws: ClientConnection, name: str) -> None:
        await ws.send(
            json.dumps(
                {
                    "namespace": "control",
                    "payload": {"action": "join", "display_name": name},
                }
            )
        )
        while '"join_success"' not in str(await ws.recv()):
            pass

    async def add_member(self, index: int, gate: asyncio.Semaphore) -> None:
        async with gate:
            ws = await self.connect(index)
            await self.join(ws, f"member-{index}")
        self.members[index % ROOMS].append(ws)
        self.readers.append(asyncio.create_task(self.read(ws)))

    async def grow_to(self, n: int) -> None:
        gate = asyncio.Semaphore(50)
        await asyncio.gather(*(self.add_member(i, gate) for i in range(self.count, n)))
        self.count = n

    async def quiet(self, period: float = 1.0, limit: float = 60.0) -> None:
        """Wait until no frame arrived for ``period`` s (the ramp-up drained)."""
        deadline = time.perf_counter() + limit
        while time.perf_counter() < deadline:
            idle = time.perf_counter() - self.last_frame
            if idle >= period:
                return
            await asyncio.sleep(period - idle)

    async def read(self, ws: ClientConnection) -> None:
        with contextlib.suppress(Exception):
            async for frame in ws:
                received = time.perf_counter()
                self.last_frame = received
                text = str(frame)
                if '"message":"joined"' not in text or "probe-" not in text:
                    continue
                name = json.loads(text)["payload"]["control"]["display_name"]
                probe = self.pending.get(name)
                if probe is not None:
                    probe.latencies.append(received - probe.sent_at)
                    if len(probe.latencies) >= probe.expected:
                        probe.done.set()

    async def measure(self, probes: int, rate: float) -> Level:
        """Join ``probes`` participants at ``rate`` per second; collect latencies."""
        level = self.count
        connections = await asyncio.gather(
            *(self.connect(level + i) for i in range(probes))
        )
        runs: list[Probe] = []
        for i, ws in enumerate(connections):
            room = (level + i) % ROOMS
            probe = Probe(f"probe-{level}-{i}", expected=len(self.members[room]))
            self.pending[probe.name] = probe
            runs.append(probe)
            probe.sent_at = time.perf_counter()
            await self.join(ws, probe.name)
            await asyncio.sleep(1 / rate)
        missing = 0
        for probe in runs:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(probe.done.wait(), RECEIPT_TIMEOUT)
            missing += probe.expected - len(probe.latencies)
            del self.pending[probe.name]
        await asyncio.gather(*(ws.close() for ws in connections))
        samples = [s for probe in runs for s in probe.latencies]
        return Level(level, samples, missing)

    async def aclose(self) -> None:
        for room in self.members:
            await asyncio.gather(*(ws.close() for ws in room), return_exceptions=True)
        for reader in self.readers:
            reader.cancel()
        await asyncio.gather(*self.readers, return_exceptions=True)
        await self.http.aclose()


async def run_levels(
    servers: list[Server], levels: list[int], probes: int, rate: float
) -> list[Level]:
    bench = Bench(servers, servers[0].token(f"bench-{uuid.uuid4().hex[:8]}@x.org"))
    results: list[Level] = []
    try:
        await bench.setup()
        for n in levels:
            try:
                await bench.grow_to(n)
            except Exception as exc:  # a level that cannot even connect ends the run
                print(f"  N={n}: could not hold the participants: {exc!r}")
                break
            await bench.quiet()  # the ramp-up's own fan-out must not be measured
            level = await bench.measure(probes, rate)
            results.append(level)
            print(
                f"  N={n:5d}  p50 {level.p50:7.1f} ms  p90 {level.percentile(0.9):7.1f}"
                f"  p99 {level.p99:7.1f}  max {max(level.samples) * 1000:7.1f}"
                f"  samples {len(level.samples):6d}  missing {level.missing}"
            )
            # Noise from other processes can fail one level; two in a row end it.
            if not any(r.held for r in results[-2:]):
                break
    finally:
        await bench.aclose()
    return results


def report(mode: str, results: list[Level]) -> None:
    held = [level.participants for level in results if level.held]
    at_1000 = next((lv for lv in results if lv.participants == 1000), None)
    print(
        f"{mode}: largest N with p99 < {P99_TARGET_MS:.0f} ms: {max(held, default=0)}"
    )
    if at_1000 is not None:
        print(f"{mode}: at N=1000 p50 {at_1000.p50:.1f} ms, p99 {at_1000.p99:.1f} ms")


def raise_file_limit() -> None:
    """Thousands of sockets; the servers inherit the raised limit."""
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


@contextlib.contextmanager
def instances(
    database_url: str, workdir: Path, count: int, **settings: str
) -> Iterator[list[Server]]:
    with contextlib.ExitStack() as stack:
        yield [
            stack.enter_context(
                parley_server(database_url, workdir, workers=1, **settings)
            )
            for _ in range(count)
        ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mode", choices=["memory", "redis", "both"], default="both")
    parser.add_argument("--levels", default="250,500,1000,1500,2000,2500,3000")
    parser.add_argument("--probes", type=int, default=100)
    parser.add_argument("--rate", type=float, default=20.0, help="probe joins/s")
    args = parser.parse_args()
    levels = [int(n) for n in args.levels.split(",")]
    raise_file_limit()
    # The servers run this checkout's code, whatever the current directory.
    os.environ["PYTHONPATH"] = os.pathsep.join(
        [str(ROOT / "src"), *filter(None, [os.environ.get("PYTHONPATH")])]
    )
    modes = ["memory", "redis"] if args.mode == "both" else [args.mode]
    with (
        tempfile.TemporaryDirectory() as tmp,
        scratch_database("parley_bench_signaling") as database_url,
    ):
        for mode in modes:
            prefix = f"parley-bench-{uuid.uuid4().hex[:8]}:"
            settings = (
                {"redis_url": REDIS_URL, "redis_key_prefix": prefix}
                if mode == "redis"
                else {}
            )
            count = 2 if mode == "redis" else 1
            print(f"== {mode}: {count} instance(s), {ROOMS} rooms")
            with instances(database_url, Path(tmp), count, **settings) as servers:
                results = asyncio.run(
                    run_levels(servers, levels, args.probes, args.rate)
                )
            report(mode, results)
            if mode == "redis":
                asyncio.run(delete_redis_keys(prefix))


async def delete_redis_keys(prefix: str) -> None:
    from redis.asyncio import Redis

    client = Redis.from_url(REDIS_URL)
    try:
        keys = [key async for key in client.scan_iter(match=f"{prefix}*", count=500)]
        if keys:
            await client.delete(*keys)
    finally:
        await client.aclose()


if __name__ == "__main__":
    main()
