"""Unmodified game programs under ``srm-otel run`` and ``opentelemetry-instrument``.

Each test runs a sample program from tests/programs (they never import
srm_otel) in a subprocess whose telemetry goes over OTLP/HTTP to a receiver
on 127.0.0.1 in this process, then compares the rounds and intervals that
arrived with the ones the program played. Every process is stopped on a
fixed timeout; ports are chosen at run time.
"""

from __future__ import annotations

import gzip
import signal
import sys
import threading
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import yaml
from google.protobuf.message import Message
from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import (
    ExportLogsServiceRequest,
    ExportLogsServiceResponse,
)
from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import (
    ExportMetricsServiceRequest,
    ExportMetricsServiceResponse,
)
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, KeyValue

from srm_otel.testing import environ_without_otel

# tests/ is no package; make ``tests.support`` importable however pytest started.
_REPO_ROOT = str(Path(__file__).resolve().parents[1])
if _REPO_ROOT not in sys.path:
    sys.path.insert(0, _REPO_ROOT)

from tests.support.net import LOOPBACK, free_port, wait_until  # noqa: E402
from tests.support.process import ServerProcess  # noqa: E402

PROGRAMS = Path(__file__).parent / "programs"
BIN = Path(sys.executable).parent
PROGRAM_TIMEOUT_S = 60.0
"""A sample program plays its rounds in about a second; this bounds a hung one."""


@dataclass(frozen=True)
class Program:
    """A sample program, its hooks file and what it plays."""

    script: str
    hooks: str
    service_name: str
    game_events: tuple[str, ...]
    per_round: tuple[str, ...]
    between_rounds: tuple[str, ...]
    round_ids: Mapping[str, tuple[str, ...]]
    """Table -> the round ids it plays, in order."""

    def expected_intervals(self) -> Counter[tuple[str, str]]:
        """(table, interval) -> how many times the program's rounds measure it."""
        expected: Counter[tuple[str, str]] = Counter()
        for table, rounds in self.round_ids.items():
            expected.update({(table, name): len(rounds) for name in self.per_round})
            expected.update({(table, name): len(rounds) - 1 for name in self.between_rounds})
        return expected

    def expected_rounds(self) -> dict[str, tuple[str, list[str]]]:
        """Round id -> (outcome, event names in order): every round completed."""
        events = ["tableapi_start", *self.game_events, "tableapi_deal", "tableapi_finish"]
        ids = [rid for rounds in self.round_ids.values() for rid in rounds]
        return {rid: ("completed", events) for rid in ids}


TABLEAPI_INTERVALS = ("start-to-betstop", "betstop-to-deal", "deal-to-finish")

ASYNCIO_ROULETTE = Program(
    script="asyncio_studio.py",
    hooks="roulette_hooks.yaml",
    service_name="asyncio-studio",
    game_events=(
        "tableapi_betstop",
        "roulette_x2",
        "roulette_x3",
        "roulette_x4",
        "roulette_x5",
    ),
    per_round=(*TABLEAPI_INTERVALS, "*X;2-to-*X;3", "*X;3-to-*X;4", "*X;4-to-*X;5"),
    between_rounds=("finish-to-start", "*X;5-to-*X;2"),
    round_ids={
        "VIP-01": ("VIP-01-7001", "VIP-01-7002", "VIP-01-7003"),
        "PRD": ("PRD-9001", "PRD-9002", "PRD-9003"),
    },
)

THREADED_SICBO = Program(
    script="threaded_studio.py",
    hooks="sicbo_hooks.yaml",
    service_name="threaded-studio",
    game_events=(
        "sicbo_shaker_start",
        "sicbo_shaker_stop",
        "sicbo_shaker_s0",
        "tableapi_betstop",
        "sicbo_idp_send",
        "sicbo_idp_receive",
    ),
    per_round=(
        *TABLEAPI_INTERVALS,
        "shakerShake-to-shakerStop",
        "sendDetect-to-receiveResult",
        "shakerS0-to-idpSend",
    ),
    between_rounds=("finish-to-start", "shakerStop-to-shakerShake", "receiveResult-to-sendDetect"),
    round_ids={"SBO-001": ("5001", "5002", "5003")},
)


# --- A small OTLP/HTTP receiver ------------------------------------------

_REQUESTS: dict[str, tuple[type[Message], type[Message]]] = {
    "/v1/traces": (ExportTraceServiceRequest, ExportTraceServiceResponse),
    "/v1/metrics": (ExportMetricsServiceRequest, ExportMetricsServiceResponse),
    "/v1/logs": (ExportLogsServiceRequest, ExportLogsServiceResponse),
}


def _value(value: AnyValue) -> Any:
    kind = value.WhichOneof("value")
    if kind == "array_value":
        return [_value(v) for v in value.array_value.values]
    return None if kind is None else getattr(value, kind)


def _attrs(pairs: Sequence[KeyValue]) -> dict[str, Any]:
    return {kv.key: _value(kv.value) for kv in pairs}


class OtlpReceiver:
    """Accepts OTLP/HTTP protobuf exports on 127.0.0.1 and keeps the decoded requests."""

    def __init__(self) -> None:
        self.port = free_port()
        self._lock = threading.Lock()
        self._received: dict[str, list[Any]] = {path: [] for path in _REQUESTS}
        self._server = ThreadingHTTPServer((LOOPBACK, self.port), self._handler())
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    @property
    def endpoint(self) -> str:
        return f"http://{LOOPBACK}:{self.port}"

    def __enter__(self) -> OtlpReceiver:
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                if self.headers.get("Content-Encoding") == "gzip":
                    body = gzip.decompress(body)
                request_type, response_type = _REQUESTS[self.path]
                request = request_type()
                request.ParseFromString(body)
                with receiver._lock:
                    receiver._received[self.path].append(request)
                payload = response_type().SerializeToString()
                self.send_response(HTTPStatus.OK)
                self.send_header("Content-Type", "application/x-protobuf")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, format: str, *args: object) -> None:
                """Quiet: the decoded requests tell the story."""

        return Handler

    def _requests(self, path: str) -> list[Any]:
        with self._lock:
            return list(self._received[path])

    def resources(self) -> list[dict[str, Any]]:
        """The resource of every batch that arrived, whatever the signal."""
        found = []
        for request in self._requests("/v1/traces"):
            found += [_attrs(r.resource.attributes) for r in request.resource_spans]
        for request in self._requests("/v1/metrics"):
            found += [_attrs(r.resource.attributes) for r in request.resource_metrics]
        for request in self._requests("/v1/logs"):
            found += [_attrs(r.resource.attributes) for r in request.resource_logs]
        return found

    def spans(self) -> list[Any]:
        return [
            span
            for request in self._requests("/v1/traces")
            for resource_spans in request.resource_spans
            for scope_spans in resource_spans.scope_spans
            for span in scope_spans.spans
        ]

    def interval_spans(self) -> Counter[tuple[str, str]]:
        """(table, interval name) of every interval span."""
        found: Counter[tuple[str, str]] = Counter()
        for span in self.spans():
            attrs = _attrs(span.attributes)
            if "srm.interval.name" in attrs:
                found[(attrs["srm.table.id"], attrs["srm.interval.name"])] += 1
        return found

    def rounds(self) -> dict[str, tuple[str, list[str]]]:
        """Round id -> (outcome, event names in order) of every round span."""
        found = {}
        for span in self.spans():
            attrs = _attrs(span.attributes)
            if "srm.round.outcome" in attrs:
                events = [e.name for e in sorted(span.events, key=lambda e: e.time_unix_nano)]
                found[attrs["srm.round.id"]] = (attrs["srm.round.outcome"], events)
        return found

    def histogram_counts(self, metric: str) -> Counter[tuple[str, str]]:
        """(table, interval name) -> count of the latest cumulative point of a histogram."""
        latest: dict[tuple[str, str], tuple[int, int]] = {}
        for point in self._points(metric, "histogram"):
            attrs = _attrs(point.attributes)
            key = (attrs["srm.table.id"], attrs["srm.interval.name"])
            if key not in latest or point.time_unix_nano >= latest[key][0]:
                latest[key] = (point.time_unix_nano, point.count)
        return Counter({key: count for key, (_, count) in latest.items()})

    def counter_totals(self, metric: str, key: str) -> Counter[str]:
        """Attribute value -> latest cumulative value of a counter, summed over series;
        values still at zero are left out."""
        latest: dict[tuple[tuple[str, Any], ...], tuple[int, float]] = {}
        for point in self._points(metric, "sum"):
            series = tuple(sorted(_attrs(point.attributes).items()))
            if series not in latest or point.time_unix_nano >= latest[series][0]:
                latest[series] = (point.time_unix_nano, point.as_int or point.as_double)
        totals: Counter[str] = Counter()
        for series, (_, value) in latest.items():
            totals[str(dict(series).get(key))] += int(value)
        return +totals

    def _points(self, metric: str, kind: str) -> Iterator[Any]:
        for request in self._requests("/v1/metrics"):
            for resource_metrics in request.resource_metrics:
                for scope_metrics in resource_metrics.scope_metrics:
                    for m in scope_metrics.metrics:
                        if m.name == metric:
                            yield from getattr(m, kind).data_points

    def interval_logs(self) -> Counter[tuple[str, str]]:
        """(table, interval name) of every ``Time interval:`` log record."""
        found: Counter[tuple[str, str]] = Counter()
        for request in self._requests("/v1/logs"):
            for resource_logs in request.resource_logs:
                for scope_logs in resource_logs.scope_logs:
                    for record in scope_logs.log_records:
                        if record.body.string_value.startswith("Time interval: "):
                            attrs = _attrs(record.attributes)
                            found[(attrs["srm.table.id"], attrs["srm.interval.name"])] += 1
        return found


# --- Running programs ------------------------------------------------------


@pytest.fixture
def receiver() -> Iterator[OtlpReceiver]:
    with OtlpReceiver() as running:
        yield running


def _environment(receiver: OtlpReceiver, extra: Mapping[str, str] | None = None) -> dict[str, str]:
    env = environ_without_otel()
    env.pop("PYTHONPATH", None)
    env.update(
        {
            "OTEL_EXPORTER_OTLP_ENDPOINT": receiver.endpoint,
            "OTEL_EXPORTER_OTLP_PROTOCOL": "http/protobuf",
            "SRM_OTEL_RAISE_INTERNAL_ERRORS": "1",
            "PYTHONUNBUFFERED": "1",
        }
    )
    env.update(extra or {})
    return env


def _argv(runner: str, config: Path, program: Sequence[str]) -> tuple[list[str], dict[str, str]]:
    """Command line and extra environment for a program under one of the two runners."""
    if runner == "srm-otel run":
        return [str(BIN / "srm-otel"), "run", "--config", str(config), "--", *program], {}
    return [str(BIN / "opentelemetry-instrument"), *program], {"SRM_CONFIG": str(config)}


def run_program(
    tmp_path: Path,
    runner: str,
    config: Path,
    program: Sequence[str],
    env: Mapping[str, str],
    *,
    cwd: Path = PROGRAMS,
) -> tuple[int | None, str]:
    """Run to completion (or the timeout); return the exit code and the output."""
    argv, runner_env = _argv(runner, config, program)
    process = ServerProcess(
        "program", argv, tmp_path / "program.log", env={**env, **runner_env}, cwd=cwd
    )
    process.start()
    try:
        wait_until(
            lambda: not process.running,
            timeout=PROGRAM_TIMEOUT_S,
            interval=0.05,
            what="program exit",
        )
        return process.returncode, process.log_tail(200)
    finally:
        process.stop()


def _config_file(tmp_path: Path, base: str, **changes: Any) -> Path:
    """A sample program's hooks file with short export delays, plus ``changes``."""
    config = yaml.safe_load((PROGRAMS / base).read_text())
    config["export"] = {"schedule_delay_s": 0.2, "metrics_interval_s": 60}
    config.update(changes)
    path = tmp_path / base
    path.write_text(yaml.safe_dump(config))
    return path


RUNNERS = ["srm-otel run", "opentelemetry-instrument"]


# --- The tests ---------------------------------------------------------------


@pytest.mark.parametrize("runner", RUNNERS)
@pytest.mark.parametrize("program", [ASYNCIO_ROULETTE, THREADED_SICBO], ids=["asyncio", "threads"])
def test_unmodified_program_reports_every_round_and_interval(
    tmp_path: Path, receiver: OtlpReceiver, runner: str, program: Program
) -> None:
    config = _config_file(tmp_path, program.hooks)

    code, output = run_program(
        tmp_path, runner, config, [sys.executable, program.script], _environment(receiver)
    )

    assert (code, output.strip()) == (0, f"{program.script}: done")
    expected = program.expected_intervals()
    assert receiver.interval_spans() == expected
    assert receiver.interval_logs() == expected
    assert receiver.histogram_counts("srm.interval.duration") == expected
    assert receiver.rounds() == program.expected_rounds()
    completed = sum(len(rounds) for rounds in program.round_ids.values())
    assert receiver.counter_totals("srm.rounds", "srm.round.outcome") == {"completed": completed}
    assert {r["service.name"] for r in receiver.resources()} == {program.service_name}


def test_disabled_instrumentations_switch_the_hooks_off(
    tmp_path: Path, receiver: OtlpReceiver
) -> None:
    config = _config_file(tmp_path, THREADED_SICBO.hooks)
    env = _environment(receiver, {"OTEL_PYTHON_DISABLED_INSTRUMENTATIONS": "srm_hooks"})

    code, output = run_program(
        tmp_path, "srm-otel run", config, [sys.executable, THREADED_SICBO.script], env
    )

    assert (code, output.strip()) == (0, "threaded_studio.py: done")
    assert (receiver.rounds(), receiver.interval_spans()) == ({}, Counter())


def test_hooks_on_missing_targets_warn_at_start_and_the_program_runs(
    tmp_path: Path, receiver: OtlpReceiver
) -> None:
    hooks = yaml.safe_load((PROGRAMS / ASYNCIO_ROULETTE.hooks).read_text())["instrument"]
    identity = {"game_type": "roulette", "table": "self.table_name", "round_id": "return"}
    missing = [
        {"function": "studio_lobby:Lobby.open", "event": "tableapi_start", **identity},
        {"function": "roulette_controller:TableApi.void_round", "event": "tableapi_finish"}
        | identity,
    ]
    config = _config_file(tmp_path, ASYNCIO_ROULETTE.hooks, instrument=missing + hooks)

    code, output = run_program(
        tmp_path,
        "opentelemetry-instrument",
        config,
        [sys.executable, ASYNCIO_ROULETTE.script],
        _environment(receiver),
    )

    assert code == 0
    assert output.splitlines() == [
        "srm_otel hook studio_lobby:Lobby.open -> tableapi_start: module 'studio_lobby' not "
        "found; the hook stays idle unless the program imports it later",
        "srm_otel hook roulette_controller:TableApi.void_round -> tableapi_finish: "
        "roulette_controller has no function 'TableApi.void_round'",
        "asyncio_studio.py: done",
    ]
    assert receiver.counter_totals("srm.rounds", "srm.round.outcome") == {"completed": 6}


def test_the_exit_status_passes_through(tmp_path: Path, receiver: OtlpReceiver) -> None:
    config = _config_file(tmp_path, ASYNCIO_ROULETTE.hooks, instrument=[])
    program = [sys.executable, "-c", "import sys; print('exiting with 7'); sys.exit(7)"]

    code, output = run_program(tmp_path, "srm-otel run", config, program, _environment(receiver))

    assert (code, output.strip()) == (7, "exiting with 7")


WAITING_PROGRAM = """
import os, pathlib, signal, sys, time

def stop(signum, frame):
    print("program: stopping on", signal.Signals(signum).name)
    sys.exit(42)

signal.signal(signal.SIGTERM, stop)
ready = pathlib.Path(sys.argv[1])
ready.with_suffix(".tmp").write_text(str(os.getpid()))
ready.with_suffix(".tmp").rename(ready)
time.sleep(60)
"""


def test_signals_reach_the_program_itself(tmp_path: Path, receiver: OtlpReceiver) -> None:
    config = _config_file(tmp_path, ASYNCIO_ROULETTE.hooks, instrument=[])
    ready = tmp_path / "ready"
    argv, _ = _argv("srm-otel run", config, [sys.executable, "-c", WAITING_PROGRAM, str(ready)])
    process = ServerProcess("waiting", argv, tmp_path / "waiting.log", env=_environment(receiver))
    process.start()
    started_as = process.pid
    try:
        wait_until(ready.exists, timeout=PROGRAM_TIMEOUT_S, what="program ready")
    finally:
        code = process.stop()  # SIGTERM to the PID that srm-otel run started as

    assert (int(ready.read_text()), code) == (started_as, 42)
    assert process.log_tail().strip() == "program: stopping on SIGTERM"


OPEN_ROUND_PROGRAM = """
import asyncio, pathlib, sys, time
import roulette_controller

asyncio.run(roulette_controller.TableApi("VIP-01", 7001).start_round())
ready = pathlib.Path(sys.argv[1])
ready.with_suffix(".tmp").write_text("round open")
ready.with_suffix(".tmp").rename(ready)
time.sleep(60)
"""


def test_sigterm_ends_a_program_without_a_handler_as_usual_after_a_flush(
    tmp_path: Path, receiver: OtlpReceiver
) -> None:
    config = _config_file(tmp_path, ASYNCIO_ROULETTE.hooks)
    ready = tmp_path / "ready"
    argv, _ = _argv("srm-otel run", config, [sys.executable, "-c", OPEN_ROUND_PROGRAM, str(ready)])
    process = ServerProcess(
        "open-round", argv, tmp_path / "open-round.log", env=_environment(receiver), cwd=PROGRAMS
    )
    process.start()
    try:
        wait_until(ready.exists, timeout=PROGRAM_TIMEOUT_S, what="program ready")
    finally:
        code = process.stop()

    assert code == -signal.SIGTERM
    assert receiver.rounds() == {"VIP-01-7001": ("incomplete", ["tableapi_start"])}


def test_a_bad_configuration_stops_srm_otel_run_before_the_program(
    tmp_path: Path, receiver: OtlpReceiver
) -> None:
    config = _config_file(
        tmp_path, ASYNCIO_ROULETTE.hooks, instrument=[{"function": "roulette_controller"}]
    )
    marker = tmp_path / "program-ran"
    program = [sys.executable, "-c", f"open({str(marker)!r}, 'w')"]

    code, output = run_program(tmp_path, "srm-otel run", config, program, _environment(receiver))

    assert code == 1
    assert output.splitlines()[:2] == [
        f"srm-otel run: invalid srm_otel file {config}:",
        "  - instrument[0].function: 'roulette_controller' must name a function as "
        "module:qualname, e.g. studio_game:RouletteTable.open_round",
    ]
    assert not marker.exists()


CONFIGURING_PROGRAM = """
import srm_otel
from opentelemetry import trace

srm_otel.configure()
with trace.get_tracer("studio").start_as_current_span("shift"):
    for event in ("tableapi_start", "tableapi_betstop", "tableapi_deal", "tableapi_finish"):
        srm_otel.record(event, game_type="baccarat", table="BAC-01", round_id="b1")
print(type(trace.get_tracer_provider()).__name__)
"""


@pytest.mark.parametrize("runner", RUNNERS)
def test_a_program_that_configures_srm_otel_keeps_the_one_set_up(
    tmp_path: Path, receiver: OtlpReceiver, runner: str
) -> None:
    config = _config_file(tmp_path, ASYNCIO_ROULETTE.hooks, instrument=[])
    program = [sys.executable, "-c", CONFIGURING_PROGRAM]

    code, output = run_program(tmp_path, runner, config, program, _environment(receiver))

    assert (code, output.strip()) == (0, "TracerProvider")
    assert receiver.rounds() == {
        "b1": (
            "completed",
            ["tableapi_start", "tableapi_betstop", "tableapi_deal", "tableapi_finish"],
        )
    }
    assert "shift" in {span.name for span in receiver.spans()}
    instances = {r["service.instance.id"] for r in receiver.resources()}
    assert len(instances) == 1, instances


def test_a_bad_configuration_under_opentelemetry_instrument_leaves_the_program_running(
    tmp_path: Path, receiver: OtlpReceiver
) -> None:
    config = _config_file(tmp_path, THREADED_SICBO.hooks, rounds={"timeout_s": -1})

    code, output = run_program(
        tmp_path,
        "opentelemetry-instrument",
        config,
        [sys.executable, THREADED_SICBO.script],
        _environment(receiver),
    )

    assert code == 0
    assert output.splitlines() == [
        f"invalid srm_otel file {config} (from SRM_CONFIG):",
        "  - rounds.timeout_s: -1 must be a number > 0",
        "srm_otel is not set up; the program runs without round telemetry",
        "threaded_studio.py: done",
    ]
    assert receiver.spans() == []
