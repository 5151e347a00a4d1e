"""Telemetry leaves the process at exit and on SIGTERM, within a bound, and a
forked worker reports on its own. Each case runs a real game process."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from opentelemetry.proto.collector.logs.v1 import logs_service_pb2
from opentelemetry.proto.collector.metrics.v1 import metrics_service_pb2

from srm_otel.testing import environ_without_otel
from tests.receivers import OtlpHttpReceiver
from tests.support.net import free_port, wait_until

PROGRAM = Path(__file__).parent / "programs" / "game_process.py"
REPO_ROOT = Path(__file__).resolve().parents[2]
EXIT_BOUND_S = 15.0
"""Interpreter start (OpenTelemetry imports) plus srm_otel's 5 s shutdown bound, with margin."""

LOGS_PER_TABLE = 7
"""Two baccarat rounds: three in-round intervals each, and one finish-to-start."""


@pytest.fixture
def receiver() -> Iterator[OtlpHttpReceiver]:
    started = OtlpHttpReceiver()
    yield started
    started.stop()


@pytest.fixture
def hung_receiver() -> Iterator[OtlpHttpReceiver]:
    started = OtlpHttpReceiver(hang=True)
    yield started
    started.stop()


def start_game(endpoint: str, mode: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, str(PROGRAM), endpoint, mode],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=REPO_ROOT,
        env={**environ_without_otel(), "SRM_OTEL_RAISE_INTERNAL_ERRORS": "1"},
    )


def finish(game: subprocess.Popen[str], timeout: float = EXIT_BOUND_S) -> tuple[int, str]:
    """Wait for the game to end; kill it (and fail) if it outlives ``timeout``."""
    try:
        _, stderr = game.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        game.kill()
        game.communicate(timeout=5)
        pytest.fail(f"the game process did not end within {timeout:.0f} s")
    return game.returncode, stderr


def interval_logs_by_table(receiver: OtlpHttpReceiver) -> Counter[str]:
    tables: Counter[str] = Counter()
    for path, raw in list(receiver.requests):
        if path != "/v1/logs":
            continue
        request = logs_service_pb2.ExportLogsServiceRequest.FromString(raw)
        for resource_logs in request.resource_logs:
            for scope_logs in resource_logs.scope_logs:
                for record in scope_logs.log_records:
                    if record.body.string_value.startswith("Time interval:"):
                        table = record.body.string_value.split(" table ")[1].split(" ")[0]
                        tables[table] += 1
    return tables


def completed_rounds_by_table(receiver: OtlpHttpReceiver) -> Counter[str]:
    """srm.rounds (completed) per table, summed over the processes' latest cumulative values."""
    latest: dict[tuple[str, str], float] = {}
    for path, raw in list(receiver.requests):
        if path != "/v1/metrics":
            continue
        request = metrics_service_pb2.ExportMetricsServiceRequest.FromString(raw)
        for resource_metrics in request.resource_metrics:
            resource = {a.key: a.value.string_value for a in resource_metrics.resource.attributes}
            for scope_metrics in resource_metrics.scope_metrics:
                for metric in scope_metrics.metrics:
                    if metric.name != "srm.rounds":
                        continue
                    for point in metric.sum.data_points:
                        attrs = {a.key: a.value.string_value for a in point.attributes}
                        if attrs.get("srm.round.outcome") == "completed":
                            key = (resource["service.instance.id"], attrs["srm.table.id"])
                            latest[key] = point.as_int or point.as_double
    totals: Counter[str] = Counter()
    for (_, table), value in latest.items():
        totals[table] += int(value)
    return totals


def test_telemetry_is_flushed_when_the_game_exits(receiver: OtlpHttpReceiver) -> None:
    returncode, stderr = finish(start_game(receiver.endpoint, "exit"))

    assert returncode == 0, stderr
    assert interval_logs_by_table(receiver) == {"PARENT": LOGS_PER_TABLE}
    assert {path for path, _ in receiver.requests} >= {"/v1/logs", "/v1/traces", "/v1/metrics"}


def test_telemetry_is_flushed_on_sigterm(receiver: OtlpHttpReceiver) -> None:
    game = start_game(receiver.endpoint, "sigterm")
    assert game.stdout is not None
    assert game.stdout.readline().strip() == "ready"

    game.send_signal(signal.SIGTERM)
    returncode, stderr = finish(game)

    assert returncode == -signal.SIGTERM, stderr
    assert interval_logs_by_table(receiver) == {"PARENT": LOGS_PER_TABLE}


@pytest.mark.parametrize(
    ("collector", "mode"), [("hung", "exit"), ("hung", "sigterm"), ("absent", "exit")]
)
def test_an_unreachable_collector_holds_the_exit_for_a_bounded_time(
    hung_receiver: OtlpHttpReceiver, collector: str, mode: str
) -> None:
    endpoint = hung_receiver.endpoint if collector == "hung" else f"http://127.0.0.1:{free_port()}"
    began = time.monotonic()
    game = start_game(endpoint, mode)
    if mode == "sigterm":
        assert game.stdout is not None
        assert game.stdout.readline().strip() == "ready"
        game.send_signal(signal.SIGTERM)
    returncode, stderr = finish(game)

    assert returncode in (0, -signal.SIGTERM), stderr
    assert time.monotonic() - began < EXIT_BOUND_S
    assert "did not finish within" in stderr


def test_a_forked_worker_keeps_reporting(receiver: OtlpHttpReceiver) -> None:
    returncode, stderr = finish(start_game(receiver.endpoint, "fork"))

    assert returncode == 0, stderr
    wait_until(lambda: interval_logs_by_table(receiver)["WORKER"] > 0, timeout=5, what="worker")
    assert interval_logs_by_table(receiver) == {
        "PARENT": LOGS_PER_TABLE,
        "WORKER": LOGS_PER_TABLE,
    }


def test_a_forked_worker_does_not_count_the_parents_rounds_again(
    receiver: OtlpHttpReceiver,
) -> None:
    returncode, stderr = finish(start_game(receiver.endpoint, "fork"))

    assert returncode == 0, stderr
    assert completed_rounds_by_table(receiver) == {"PARENT": 2, "WORKER": 2}
