"""What Parley's request middleware costs per request (issue 14): the request
observer (request id, log line, metrics) and the body limit, in process.

A FastAPI app with one route is called directly (no server, no sockets), once
bare and once with the middleware installed as parley.main installs it; the
difference per request is the middleware's cost. The log line goes through
Parley's formatter to /dev/null, so formatting is counted too; a third run
leaves the access log off.

    .venv/bin/python bench/middleware_cost.py --requests 20000 --runs 5
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import statistics
import time
import uuid
from typing import Any

from fastapi import FastAPI
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from parley.logs import ACCESS_LOGGER, ContextFilter, JsonFormatter, TextFormatter
from parley.middleware import BodySizeLimit, RequestObserver


def build(*, middleware: bool, proxies: bool = False) -> FastAPI:
    app = FastAPI()

    @app.get("/v1/rooms/{room_id}")
    async def read_room(room_id: uuid.UUID) -> dict[str, str]:
        return {"id": str(room_id)}

    if middleware:
        app.add_middleware(BodySizeLimit, max_bytes=1_048_576)
        app.add_middleware(RequestObserver)
        if proxies:
            app.add_middleware(ProxyHeadersMiddleware, trusted_hosts=["127.0.0.1"])
    return app


SCOPE: dict[str, Any] = {
    "type": "http",
    "asgi": {"version": "3.0", "spec_version": "2.3"},
    "http_version": "1.1",
    "method": "GET",
    "scheme": "http",
    "path": f"/v1/rooms/{uuid.uuid4()}",
    "raw_path": b"",
    "query_string": b"",
    "root_path": "",
    "server": ("127.0.0.1", 11311),
    "client": ("127.0.0.1", 50000),
    "headers": [
        (b"host", b"127.0.0.1:11311"),
        (b"authorization", b"Bearer " + b"x" * 600),
        (b"accept", b"application/json"),
        (b"user-agent", b"bench"),
        (b"x-forwarded-for", b"198.51.100.1"),
    ],
}


async def receive() -> dict[str, Any]:
    return {"type": "http.request", "body": b"", "more_body": False}


async def send(message: dict[str, Any]) -> None:
    return None


async def per_request(app: FastAPI, requests: int) -> float:
    """CPU microseconds per request (this process's CPU time: the machine is
    shared, and wall time would count other processes' turns)."""
    for _ in range(200):  # warm up: route templates, metric children
        await app(dict(SCOPE), receive, send)
    started = time.process_time()
    for _ in range(requests):
        await app(dict(SCOPE), receive, send)
    return (time.process_time() - started) / requests * 1e6


def access_log(line_format: str | None) -> None:
    """The access log to /dev/null as ``json`` or ``text`` lines, or off (None)."""
    logger = logging.getLogger(ACCESS_LOGGER)
    for old in logger.handlers:
        old.close()
    logger.handlers.clear()
    logger.propagate = False
    logger.setLevel(logging.INFO if line_format else logging.WARNING)
    handler = logging.FileHandler("/dev/null")
    handler.addFilter(ContextFilter())
    handler.setFormatter(JsonFormatter() if line_format == "json" else TextFormatter())
    logger.addHandler(handler)


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=20_000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    variants = {
        "bare FastAPI": (build(middleware=False), None),
        "with middleware, access log off": (build(middleware=True), None),
        "with middleware, access log on (JSON)": (build(middleware=True), "json"),
        "with middleware, access log on (text)": (build(middleware=True), "text"),
        "with middleware and trusted proxies, JSON log": (
            build(middleware=True, proxies=True),
            "json",
        ),
    }
    results: dict[str, list[float]] = {name: [] for name in variants}
    for _ in range(args.runs):  # interleaved, so load changes hit every variant
        for name, (app, line_format) in variants.items():
            access_log(line_format)
            results[name].append(await per_request(app, args.requests))
    # The fastest run is the one least disturbed; the median shows the spread.
    bare = min(results["bare FastAPI"])
    print(
        f"{args.requests} requests x {args.runs} runs: CPU microseconds per request, "
        "fastest and median run; the middleware's cost from the fastest runs"
    )
    for name, values in results.items():
        fastest = min(values)
        extra = "" if name == "bare FastAPI" else f"  +{fastest - bare:.1f}"
        print(f"  {name:45s} {fastest:6.1f} {statistics.median(values):6.1f}{extra}")


if __name__ == "__main__":
    asyncio.run(main())
