"""E-mail notifications: what queuing mail costs a request, and how fast it goes out.

A `parley serve` (one worker, scratch PostgreSQL) mails through an aiosmtpd server
in this process. Each round creates a weekly event and invites 20 addresses one
request at a time, so every invite renders and queues one mail (bodies plus the
iCalendar attachment) in its transaction:

1. invite latency with mail on, against the same invites with
   `suppress_email_notification=true` (nothing queued): the cost of the outbox;
2. delivery: mails per second from the first queued to the last received;
3. an outage: the SMTP server is stopped while invites are made, then started
   again; the invite latency during the outage and the time until every mail
   arrived afterwards.

Run:  PYTHONPATH=src python bench/mail_outbox.py [--events 20] [--invitees 20]
Needs PostgreSQL at 127.0.0.1:5432 (PARLEY_BENCH_POSTGRES_URL).
"""

from __future__ import annotations

import argparse
import platform
import statistics
import sys
import tempfile
import threading
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from aiosmtpd.controller import Controller

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _server import free_port, parley_server, scratch_database


class Inbox:
    """Counts the messages an aiosmtpd server accepted."""

    def __init__(self) -> None:
        self.count = 0
        self.last_at = 0.0
        self._lock = threading.Lock()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        with self._lock:
            self.count += len(envelope.rcpt_tos)
            self.last_at = time.perf_counter()
        return "250 OK"

    def wait_for(self, count: int, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.count >= count:
                return True
            time.sleep(0.05)
        return False


def report(line: str) -> None:
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


def percentiles(samples_ms: list[float]) -> str:
    cuts = statistics.quantiles(samples_ms, n=100, method="inclusive")
    return f"p50 {cuts[49]:.1f} ms, p99 {cuts[98]:.1f} ms"


def event_body(index: int) -> dict[str, object]:
    start = datetime.now(UTC).replace(microsecond=0) + timedelta(days=7 + index)
    moment = {"timezone": "Europe/Berlin"}
    return {
        "title": f"Weekly sync {index}",
        "description": "Agenda: numbers, plans, questions",
        "is_time_independent": False,
        "is_all_day": False,
        "starts_at": {**moment, "datetime": start.isoformat()},
        "ends_at": {**moment, "datetime": (start + timedelta(hours=1)).isoformat()},
        "recurrence_pattern": ["RRULE:FREQ=WEEKLY;COUNT=10"],
    }


def invite_round(
    client: httpx.Client,
    headers: dict[str, str],
    events: int,
    invitees: int,
    *,
    quiet: bool,
    label: str,
) -> list[float]:
    """Create events and invite addresses one by one; the invite latencies (ms)."""
    params = {"suppress_email_notification": "true"} if quiet else {}
    samples = []
    for index in range(events):
        created = client.post("/v1/events", json=event_body(index), headers=headers)
        created.raise_for_status()
        url = f"/v1/events/{created.json()['id']}/invites"
        for number in range(invitees):
            body = {"email": f"{label}-{index}-{number}@bench.example"}
            started = time.perf_counter()
            response = client.post(url, json=body, params=params, headers=headers)
            samples.append((time.perf_counter() - started) * 1000)
            assert response.status_code == 201, response.text
    return samples


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=20)
    parser.add_argument("--invitees", type=int, default=20)
    arguments = parser.parse_args()
    mails = arguments.events * arguments.invitees
    report(f"# mail_outbox on {platform.node()}, {mails} invites per round")

    inbox = Inbox()
    port = free_port()
    smtp = Controller(inbox, hostname="127.0.0.1", port=port)
    smtp.start()
    with (
        tempfile.TemporaryDirectory() as workdir,
        scratch_database(f"parley_bench_mail_{uuid.uuid4().hex[:8]}") as url,
        parley_server(
            url,
            Path(workdir),
            workers=1,
            smtp_host="127.0.0.1",
            smtp_port=str(port),
            smtp_tls="none",
            smtp_from="parley@bench.example",
            mail_retry_base_seconds="1",
            mail_retry_max_seconds="2",
        ) as server,
        httpx.Client(base_url=server.base_url, timeout=30) as client,
    ):
        headers = {"Authorization": f"Bearer {server.token('organizer@bench.example')}"}
        client.get("/v1/users/me", headers=headers).raise_for_status()
        invite_round(client, headers, 2, 5, quiet=True, label="warmup")

        quiet = invite_round(
            client, headers, arguments.events, arguments.invitees, quiet=True, label="q"
        )
        report(f"invite, suppress_email_notification: {percentiles(quiet)}")

        first_queued = time.perf_counter()
        loud = invite_round(
            client,
            headers,
            arguments.events,
            arguments.invitees,
            quiet=False,
            label="m",
        )
        report(f"invite, mail queued:                 {percentiles(loud)}")
        if not inbox.wait_for(mails, timeout=300):
            raise SystemExit(f"only {inbox.count} of {mails} mails arrived")
        seconds = inbox.last_at - first_queued
        report(
            f"delivery: {mails} mails in {seconds:.1f} s from the first queued "
            f"({mails / seconds:.0f} mails/s, queuing included)"
        )

        smtp.stop()
        during = invite_round(
            client,
            headers,
            arguments.events,
            arguments.invitees,
            quiet=False,
            label="o",
        )
        report(f"invite, SMTP server down:            {percentiles(during)}")
        smtp = Controller(inbox, hostname="127.0.0.1", port=port)
        smtp.start()
        restarted = time.perf_counter()
        if not inbox.wait_for(2 * mails, timeout=300):
            raise SystemExit(f"only {inbox.count - mails} of {mails} arrived after")
        report(
            f"after the outage: all {mails} queued mails arrived "
            f"{inbox.last_at - restarted:.1f} s after the server came back"
        )
    smtp.stop()


if __name__ == "__main__":
    main()
