"""The real export paths on loopback: in-process /metrics, OTLP/HTTP, OTLP/gRPC, drops."""

from __future__ import annotations

import socket
import urllib.request
from collections.abc import Iterator
from concurrent import futures
from typing import Any

import grpc
import pytest
from opentelemetry.proto.collector.logs.v1 import logs_service_pb2, logs_service_pb2_grpc
from opentelemetry.proto.collector.metrics.v1 import metrics_service_pb2, metrics_service_pb2_grpc
from opentelemetry.proto.collector.trace.v1 import trace_service_pb2, trace_service_pb2_grpc

import srm_otel
from srm_otel import _api
from tests.receivers import OtlpHttpReceiver

T0 = 1_767_000_000.0
ROUND = [
    ("tableapi_start", 0.0),
    ("tableapi_betstop", 12.0),
    ("tableapi_deal", 15.0),
    ("tableapi_finish", 17.0),
]


def play_round(round_id: str, start: float = T0) -> None:
    for event, offset in ROUND:
        srm_otel.record(
            event, game_type="baccarat", table="B1", round_id=round_id, timestamp=start + offset
        )


@pytest.fixture(autouse=True)
def stop_srm_otel(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for name in ("OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_PROTOCOL", "SRM_CONFIG"):
        monkeypatch.delenv(name, raising=False)
    yield
    srm_otel.shutdown(timeout_s=2.0)


def scrape(url: str) -> str:
    with urllib.request.urlopen(url, timeout=5) as response:
        return str(response.read().decode())


def test_in_process_metrics_endpoint_shows_the_contract_names() -> None:
    srm_otel.configure({"site": "LAB", "prometheus": {"enabled": True, "port": 0}})
    runtime = _api.get_runtime()
    assert runtime is not None and runtime.pipeline.metrics_url is not None
    assert runtime.pipeline.metrics_url.startswith("http://127.0.0.1:")
    play_round("r1")

    body = scrape(runtime.pipeline.metrics_url)

    labels = 'srm_game_type="baccarat",srm_interval_name="betstop-to-deal",srm_site="LAB"'
    assert "# TYPE srm_interval_duration_seconds histogram" in body
    assert "# HELP srm_rounds_total Rounds that ended, by outcome" in body
    count_lines = [line for line in body.splitlines() if line.startswith("srm_interval_duration")]
    assert any(labels in line and line.endswith(" 3.0") for line in count_lines if "_sum" in line)
    assert "srm_round_id" not in body
    for name in ("srm_round_duration_seconds_count", "srm_rounds_total", "srm_events_total"):
        assert name in body
    assert "srm_rounds_active{" in body


def test_busy_metrics_port_is_reported_and_the_game_goes_on(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        srm_otel.configure({"prometheus": {"enabled": True, "port": port}})
        play_round("r1")

    runtime = _api.get_runtime()
    assert runtime is not None and runtime.pipeline.metrics_url is None
    assert f"cannot serve /metrics on 127.0.0.1:{port}" in caplog.text


@pytest.fixture
def http_receiver() -> Iterator[OtlpHttpReceiver]:
    receiver = OtlpHttpReceiver()
    yield receiver
    receiver.stop()


def test_otlp_http_delivers_every_signal(http_receiver: OtlpHttpReceiver) -> None:
    srm_otel.configure(
        {
            "site": "LAB",
            "otlp": {"endpoint": http_receiver.endpoint, "protocol": "http/protobuf"},
            "export": {"metrics_interval_s": 60},
        }
    )
    play_round("r1")
    srm_otel.shutdown(timeout_s=5.0)

    paths = {path for path, _ in http_receiver.requests}
    assert paths == {"/v1/traces", "/v1/logs", "/v1/metrics"}
    assert sorted(http_receiver.log_bodies()) == [
        "Time interval: betstop-to-deal = 3.000s for baccarat table B1 round r1",
        "Time interval: deal-to-finish = 2.000s for baccarat table B1 round r1",
        "Time interval: start-to-betstop = 12.000s for baccarat table B1 round r1",
    ]


class _Collect:
    def __init__(self) -> None:
        self.logs: list[Any] = []
        self.spans: list[Any] = []
        self.metrics: list[Any] = []


def test_otlp_grpc_delivers_every_signal() -> None:
    seen = _Collect()

    class Logs(logs_service_pb2_grpc.LogsServiceServicer):
        def Export(self, request: Any, context: Any) -> Any:
            seen.logs.append(request)
            return logs_service_pb2.ExportLogsServiceResponse()

    class Traces(trace_service_pb2_grpc.TraceServiceServicer):
        def Export(self, request: Any, context: Any) -> Any:
            seen.spans.append(request)
            return trace_service_pb2.ExportTraceServiceResponse()

    class Metrics(metrics_service_pb2_grpc.MetricsServiceServicer):
        def Export(self, request: Any, context: Any) -> Any:
            seen.metrics.append(request)
            return metrics_service_pb2.ExportMetricsServiceResponse()

    server = grpc.server(futures.ThreadPoolExecutor(max_workers=2))
    logs_service_pb2_grpc.add_LogsServiceServicer_to_server(Logs(), server)
    trace_service_pb2_grpc.add_TraceServiceServicer_to_server(Traces(), server)
    metrics_service_pb2_grpc.add_MetricsServiceServicer_to_server(Metrics(), server)
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    try:
        srm_otel.configure({"site": "LAB", "otlp": {"endpoint": f"http://127.0.0.1:{port}"}})
        play_round("r1")
        srm_otel.shutdown(timeout_s=5.0)
    finally:
        server.stop(grace=1).wait(5)

    names = {
        span.name
        for request in seen.spans
        for resource_spans in request.resource_spans
        for scope_spans in resource_spans.scope_spans
        for span in scope_spans.spans
    }
    assert names == {"baccarat round", "start-to-betstop", "betstop-to-deal", "deal-to-finish"}
    assert (
        sum(len(s.log_records) for r in seen.logs for rl in r.resource_logs for s in rl.scope_logs)
        == 3
    )
    assert seen.metrics


def test_a_hung_collector_costs_queued_telemetry_which_is_counted() -> None:
    hung = OtlpHttpReceiver(hang=True)
    try:
        srm_otel.configure(
            {
                "site": "LAB",
                "otlp": {
                    "endpoint": hung.endpoint,
                    "protocol": "http/protobuf",
                    "timeout_s": 30,
                },
                "prometheus": {"enabled": True, "port": 0},
                "export": {"max_queue_size": 8, "max_export_batch_size": 4},
            }
        )
        runtime = _api.get_runtime()
        assert runtime is not None and runtime.pipeline.metrics_url is not None
        for i in range(50):
            play_round(f"r{i}", start=T0 + 20 * i)

        body = scrape(runtime.pipeline.metrics_url)
    finally:
        hung.release.set()
        srm_otel.shutdown(timeout_s=1.0)
        hung.stop()

    dropped = {
        line.split("{")[1].split("}")[0]: float(line.rsplit(" ", 1)[1])
        for line in body.splitlines()
        if line.startswith("srm_telemetry_dropped_total{")
    }
    assert any('error_type="queue_full"' in k and 'srm_signal="logs"' in k for k in dropped)
    assert any('error_type="queue_full"' in k and 'srm_signal="traces"' in k for k in dropped)
    assert sum(dropped.values()) > 0
    assert "srm_rounds_total" in body
