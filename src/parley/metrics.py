"""Prometheus metrics (prometheus-client): what they are and how they are served.

Every metric is defined here, so this file is the list an operator reads. They
are process-wide; with ``parley serve --workers N`` (N > 1) each worker writes
its values to files in a directory ``parley serve`` creates for the run and
removes at exit (prometheus-client's multiprocess mode, switched on by
``PROMETHEUS_MULTIPROC_DIR``), and whoever answers a scrape adds them up.
Gauges of live things (connections, rooms) count only processes still alive.

Served at ``GET /metrics`` on the main port when ``PARLEY_METRICS_TOKEN`` is
set (as a bearer token; :mod:`parley.metrics_router`), and without a token on
``PARLEY_METRICS_ADDRESS``, a listener of its own (started by ``parley
serve``) meant for an internal network. With neither, ``/metrics`` is 404.
"""

from __future__ import annotations

import glob
import os
import threading
from collections.abc import Iterable
from typing import Final
from wsgiref.simple_server import WSGIServer

from prometheus_client import (
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    multiprocess,
    start_http_server,
)
from prometheus_client.metrics_core import Metric
from prometheus_client.registry import Collector

from parley.config import Settings

MULTIPROCESS_DIR_VARIABLE: Final = "PROMETHEUS_MULTIPROC_DIR"

# Parley's requests mostly take milliseconds; the top buckets catch slow ones.
_LATENCY_BUCKETS: Final = (
    0.002,
    0.005,
    0.01,
    0.025,
    0.05,
    0.1,
    0.25,
    0.5,
    1.0,
    2.5,
    5.0,
    10.0,
)

HTTP_REQUESTS: Final = Counter(
    "parley_http_requests",
    "HTTP requests answered, by method, route template and status",
    ["method", "route", "status"],
)
HTTP_REQUEST_DURATION: Final = Histogram(
    "parley_http_request_duration_seconds",
    "Time from a request's arrival to the end of its response",
    ["method", "route", "status"],
    buckets=_LATENCY_BUCKETS,
)
RATE_LIMIT_REFUSALS: Final = Counter(
    "parley_rate_limit_refusals",
    "Requests refused with 429 by a rate or brute-force limit, by route template",
    ["route"],
)
LOGIN_FAILURES: Final = Counter(
    "parley_login_failures",
    "Presented credentials that were wrong (access token, invite code, "
    "room password, call-in PIN, API key, service token, signaling ticket, "
    "sign-in password), by kind",
    ["kind"],
)
DB_CONNECTIONS_IN_USE: Final = Gauge(
    "parley_db_pool_connections_in_use",
    "Database connections checked out of the pool",
    multiprocess_mode="livesum",
)
DB_CONNECTIONS_WAITING: Final = Gauge(
    "parley_db_pool_connections_waiting",
    "Requests waiting for a database connection from the pool",
    multiprocess_mode="livesum",
)
WEBSOCKET_CONNECTIONS: Final = Gauge(
    "parley_websocket_connections",
    "Open websocket sessions (signaling, recording upload), by route template",
    ["route"],
    multiprocess_mode="livesum",
)
WEBSOCKET_MESSAGES: Final = Counter(
    "parley_websocket_messages",
    "Websocket messages received from (in) and sent to (out) clients",
    ["route", "direction"],
)
WEBSOCKET_CLOSES: Final = Counter(
    "parley_websocket_closes",
    "Websocket sessions ended, by route template and close code",
    ["route", "code"],
)
SIGNALING_ROOMS: Final = Gauge(
    "parley_signaling_rooms",
    "Rooms with at least one signaling session on this process (summed over workers)",
    multiprocess_mode="livesum",
)
MAIL_OUTBOX_PENDING: Final = Gauge(
    "parley_mail_outbox_pending",
    "Mails queued in the outbox and not yet sent or given up",
    multiprocess_mode="mostrecent",
)
MAIL_DELIVERIES: Final = Counter(
    "parley_mail_deliveries",
    "Mail delivery attempts: sent, retry (failed, tried again later), failed (given up)",
    ["outcome"],
)


def in_multiprocess_mode() -> bool:
    return MULTIPROCESS_DIR_VARIABLE in os.environ


def forget_dead_processes(path: str) -> None:
    """Drop live gauges of workers that died without saying so (killed, crashed)."""
    for name in glob.glob(os.path.join(path, "gauge_live*_*.db")):
        pid = os.path.basename(name).rsplit("_", 1)[1].removesuffix(".db")
        if not pid.isdigit():
            continue
        try:
            os.kill(int(pid), 0)
        except ProcessLookupError:
            multiprocess.mark_process_dead(int(pid), path)  # type: ignore[no-untyped-call]
        except PermissionError:
            pass  # alive, owned by someone else


class _LiveWorkersCollector(Collector):
    """The workers' files, summed, without the live gauges of dead workers."""

    def __init__(self, path: str) -> None:
        self._path = path
        self._files = multiprocess.MultiProcessCollector(None, path=path)  # type: ignore[no-untyped-call]

    def collect(self) -> Iterable[Metric]:
        forget_dead_processes(self._path)
        collected: Iterable[Metric] = self._files.collect()  # type: ignore[no-untyped-call]
        return collected


def exposition_registry() -> CollectorRegistry:
    """Where a scrape reads: this process, or every worker's files."""
    path = os.environ.get(MULTIPROCESS_DIR_VARIABLE)
    if path is None:
        return REGISTRY
    registry = CollectorRegistry(auto_describe=False)
    registry.register(_LiveWorkersCollector(path))
    return registry


def forget_this_process() -> None:
    """A worker stopping: its live gauges no longer count."""
    path = os.environ.get(MULTIPROCESS_DIR_VARIABLE)
    if path is not None:
        multiprocess.mark_process_dead(os.getpid(), path)  # type: ignore[no-untyped-call]


def start_listener(settings: Settings) -> tuple[WSGIServer, threading.Thread] | None:
    """The separate metrics listener of PARLEY_METRICS_ADDRESS, if configured."""
    listener = settings.metrics_listener
    if listener is None:
        return None
    host, port = listener
    return start_http_server(port, addr=host, registry=exposition_registry())
