"""What Parley's per-request machinery costs (issue 14), in process.

1. The middleware: request observer (request id, log line, metrics) and body
   limit. A FastAPI app with one route is called directly (no server, no
   sockets), bare and with the middleware installed as parley.main installs
   it. The log line goes through Parley's formatters to /dev/null, so
   formatting is counted too.
2. The HTTP protocol: uvicorn's httptools protocol and Parley's (deadlines,
   header limits) parse the same request from a fake transport and answer it
   from a trivial app.

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
from uvicorn.config import Config
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol
from uvicorn.server import ServerState

from parley.config import Settings
from parley.logs import ACCESS_LOGGER, ContextFilter, JsonFormatter, TextFormatter
from parley.middleware import BodySizeLimit, RequestObserver
from parley.server import http_protocol_for


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


REQUEST = (
    b"GET /v1/rooms/6f1c2a44-7f5e-4c55-9d0e-0b8e6a1f2c3d HTTP/1.1\r\n"
    b"Host: 127.0.0.1:11311\r\nAuthorization: Bearer " + b"x" * 600 + b"\r\n"
    b"Accept: application/json\r\nUser-Agent: bench\r\n\r\n"
)


class FakeTransport(asyncio.Transport):
    def write(self, data: Any) -> None:
        pass

    def is_closing(self) -> bool:
        return False

    def close(self) -> None:
        pass

    def pause_reading(self) -> None:
        pass

    def resume_reading(self) -> None:
        pass

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return ("127.0.0.1", 11311) if name in {"peername", "sockname"} else default


async def protocol_per_request(protocol_class: type[Any], requests: int) -> float:
    """CPU microseconds per request through the protocol (keep-alive)."""
    answered = asyncio.Event()

    async def app(scope: Any, receive: Any, send: Any) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"{}"})
        answered.set()

    config = Config(app, http=protocol_class, lifespan="off", log_config=None)
    config.load()
    protocol = protocol_class(config=config, server_state=ServerState(), app_state={})
    protocol.connection_made(FakeTransport())
    started = 0.0
    for number in range(requests + 200):
        if number == 200:  # after the warm-up
            started = time.process_time()
        answered.clear()
        protocol.data_received(REQUEST)
        await answered.wait()
    elapsed = time.process_time() - started
    protocol.connection_lost(None)
    return elapsed / requests * 1e6


def report(title: str, results: dict[str, list[float]], baseline: str) -> None:
    # The fastest run is the one least disturbed; the median shows the spread.
    base = min(results[baseline])
    print(title)
    for name, values in results.items():
        fastest = min(values)
        extra = "" if name == baseline else f"  +{fastest - base:.1f}"
        print(f"  {name:45s} {fastest:6.1f} {statistics.median(values):6.1f}{extra}")


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
    report(
        f"Middleware, {args.requests} requests x {args.runs} runs: CPU microseconds "
        "per request (fastest run, median run, cost from the fastest runs)",
        results,
        "bare FastAPI",
    )
    protocols: dict[str, list[float]] = {
        "uvicorn's httptools protocol": [],
        "Parley's protocol (deadlines, header limits)": [],
    }
    limited = http_protocol_for(Settings())
    for _ in range(args.runs):
        protocols["uvicorn's httptools protocol"].append(
            await protocol_per_request(HttpToolsProtocol, args.requests)
        )
        protocols["Parley's protocol (deadlines, header limits)"].append(
            await protocol_per_request(limited, args.requests)
        )
    report(
        "HTTP protocol, same request and trivial app",
        protocols,
        "uvicorn's httptools protocol",
    )


if __name__ == "__main__":
    asyncio.run(main())
