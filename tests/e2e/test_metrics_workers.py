"""Metrics of `parley serve --workers 2`: every worker's counts in one scrape, on
the separate metrics listener and on the main port, and no files left behind."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.e2e.conftest import free_port, start_parley

TOKEN = "scrape-token-for-the-e2e-test"


def health_requests(exposition: str) -> float:
    """How many GET /health/live requests the scrape counts."""
    return sum(
        sample.value
        for family in text_string_to_metric_families(exposition)
        for sample in family.samples
        if sample.name == "parley_http_requests_total"
        and sample.labels.get("route") == "/health/live"
    )


@pytest.fixture
def temporary_directory(tmp_path: Path) -> Path:
    directory = tmp_path / "tmp"
    directory.mkdir()
    return directory


@pytest.mark.slow
def test_two_workers_are_counted_together_and_their_files_removed(
    tmp_path: Path, temporary_directory: Path
) -> None:
    metrics_port = free_port()
    server = start_parley(
        tmp_path,
        args=("--workers", "2"),
        metrics_address=f"127.0.0.1:{metrics_port}",
        metrics_token=TOKEN,
        environment={"TMPDIR": str(temporary_directory)},
    )
    try:
        # Each request on a new connection: the kernel spreads them over the workers.
        for _ in range(40):
            assert httpx.get(f"{server.base}/health/live").status_code == 200
        listener = httpx.get(f"http://127.0.0.1:{metrics_port}/metrics")
        main_port = httpx.get(
            f"{server.base}/metrics", headers={"Authorization": f"Bearer {TOKEN}"}
        )
        assert listener.status_code == main_port.status_code == 200
        assert health_requests(listener.text) == 40
        assert health_requests(main_port.text) == 40
        # Both workers write their values into the run's directory.
        (run_directory,) = temporary_directory.iterdir()
        assert run_directory.name.startswith("parley-metrics-")
        files = {path.name for path in run_directory.iterdir()}
        writers = {
            name.removeprefix("gauge_livesum_").removesuffix(".db")
            for name in files
            if name.startswith("gauge_livesum_")
        } - {str(server.process.pid)}  # the supervisor's gauges stay at 0
        assert len(writers) == 2, files
    finally:
        status = server.stop()
    assert status == 0, server.output()
    assert list(temporary_directory.iterdir()) == []
