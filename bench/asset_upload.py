"""Memory and throughput of a 1 GiB recording upload and its download (issue 7).

Starts `parley serve` (one worker, so the server is one process) on a scratch
PostgreSQL database (`--sqlite` for the embedded default), uploads `--size` bytes
through the recorder's websocket with the `websockets` client, samples the server's
RSS (/proc/<pid>/status VmRSS) every 20 ms, then downloads the asset and checks its
size and SHA-256. Prints RSS growth over the idle baseline and throughput.

    .venv/bin/python bench/asset_upload.py [--size-mib 1024] [--frame-kib 1000] [--sqlite]
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import sys
import tempfile
import threading
import time
from contextlib import ExitStack
from pathlib import Path

import httpx
from websockets.asyncio.client import connect

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _server import Server, parley_server, scratch_database

MIB = 1024 * 1024


def rss_bytes(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise RuntimeError("no VmRSS")


class RssSampler:
    """Peak RSS of a process while the block runs, sampled from a thread."""

    def __init__(self, pid: int, interval: float = 0.02) -> None:
        self.pid, self.interval = pid, interval
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, rss_bytes(self.pid))
            time.sleep(self.interval)

    def __enter__(self) -> RssSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, rss_bytes(self.pid))


def frames(frame_size: int) -> list[bytes]:
    """A few distinct frames cycled over (the client must not hold 1 GiB either)."""
    block = hashlib.shake_256(b"parley").digest(frame_size * 4)
    return [block[i * frame_size : (i + 1) * frame_size] for i in range(4)]


async def upload(
    server: Server, room_id: str, token: str, total: int, frame_size: int
) -> tuple[str, float]:
    """Send `total` bytes; returns their SHA-256 and the seconds until committed."""
    ws_url = server.base_url.replace("http://", "ws://")
    url = f"{ws_url}/v1/services/recording/upload?room_id={room_id}&filename=bench.webm"
    digest = hashlib.sha256()
    pool = frames(frame_size)
    started = time.perf_counter()
    async with connect(
        url,
        additional_headers={"Authorization": f"Bearer {token}"},
        proxy=None,
        compression=None,
    ) as ws:
        sent, index = 0, 0
        while sent < total:
            frame = pool[index % len(pool)][: total - sent]
            digest.update(frame)
            await ws.send(frame)
            sent += len(frame)
            index += 1
    return digest.hexdigest(), started


async def wait_for_asset(
    http: httpx.AsyncClient, room_id: str, headers: dict[str, str]
) -> dict[str, object]:
    while True:
        assets = (await http.get(f"/v1/rooms/{room_id}/assets", headers=headers)).json()
        if assets:
            return dict(assets[0])
        await asyncio.sleep(0.01)


async def run(server: Server, total: int, frame_size: int) -> None:
    owner = {"Authorization": f"Bearer {server.token('owner@example.com')}"}
    recorder = server.token("recorder@example.com", roles=("opentalk-recorder",))
    async with httpx.AsyncClient(base_url=server.base_url, timeout=600) as http:
        warm = (await http.post("/v1/rooms", json={}, headers=owner)).json()["id"]
        await upload(server, warm, recorder, 4 * MIB, frame_size)  # load code paths
        await wait_for_asset(http, warm, owner)
        room = (await http.post("/v1/rooms", json={}, headers=owner)).json()["id"]
        await asyncio.sleep(0.5)
        baseline = rss_bytes(server.pid)

        with RssSampler(server.pid) as sampler:
            sha, started = await upload(server, room, recorder, total, frame_size)
            asset = await wait_for_asset(http, room, owner)
            upload_seconds = time.perf_counter() - started
        upload_peak = sampler.peak
        assert asset["size"] == total, asset

        digest, received = hashlib.sha256(), 0
        started = time.perf_counter()
        with RssSampler(server.pid) as sampler:
            async with http.stream(
                "GET", f"/v1/rooms/{room}/assets/{asset['id']}", headers=owner
            ) as response:
                assert response.status_code == 200
                assert int(response.headers["content-length"]) == total
                async for chunk in response.aiter_raw():
                    digest.update(chunk)
                    received += len(chunk)
        download_seconds = time.perf_counter() - started
        download_peak = sampler.peak

    ok = received == total and digest.hexdigest() == sha
    print(
        f"upload:   {total / MIB:.0f} MiB in {upload_seconds:.1f} s "
        f"= {total / MIB / upload_seconds:.0f} MiB/s (frames of {frame_size} bytes)"
    )
    print(
        f"download: {received / MIB:.0f} MiB in {download_seconds:.1f} s "
        f"= {received / MIB / download_seconds:.0f} MiB/s"
    )
    print(
        f"server RSS: baseline {baseline / MIB:.1f} MiB, "
        f"peak during upload +{(upload_peak - baseline) / MIB:.1f} MiB, "
        f"during download +{(download_peak - baseline) / MIB:.1f} MiB"
    )
    print(f"size and SHA-256 after the round trip: {'match' if ok else 'MISMATCH'}")
    if not ok:
        raise SystemExit(1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-mib", type=int, default=1024)
    parser.add_argument(
        "--frame-kib", type=int, default=1000, help="websocket message size"
    )
    parser.add_argument(
        "--sqlite", action="store_true", help="embedded SQLite database"
    )
    args = parser.parse_args()
    frame_size = min(args.frame_kib * 1000, 1_000_000)
    with ExitStack() as stack:
        tmp = Path(stack.enter_context(tempfile.TemporaryDirectory()))
        if args.sqlite:
            url = f"sqlite+aiosqlite:///{tmp / 'parley.db'}"
        else:
            url = stack.enter_context(scratch_database("parley_bench_asset_upload"))
        server = stack.enter_context(parley_server(url, tmp, workers=1))
        asyncio.run(run(server, args.size_mib * MIB, frame_size))


if __name__ == "__main__":
    main()
