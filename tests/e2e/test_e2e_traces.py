"""Traces: discarded quietly by default, sent to the trace backend with the
traces overlay, and a missing trace backend never holds up the logs."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExportResult

from tests.support.loki_standin import LokiStandin
from tests.support.net import free_port, wait_until
from tests.support.otlp_sender import ContractSender
from tests.support.trace_backend import TraceBackendStandin

pytestmark = pytest.mark.e2e


@pytest.fixture
def trace_backend() -> Iterator[TraceBackendStandin]:
    backend = TraceBackendStandin(free_port())
    backend.start()
    yield backend
    backend.stop()


def send_spans(endpoint: str, names: list[str]) -> None:
    provider = TracerProvider(resource=Resource.create({"service.name": "e2e-traces"}))
    provider.add_span_processor(
        BatchSpanProcessor(OTLPSpanExporter(endpoint=endpoint, insecure=True))
    )
    tracer = provider.get_tracer("tests.e2e")
    for name in names:
        with tracer.start_as_current_span(name):
            pass
    provider.shutdown()


def test_base_config_accepts_traces_without_a_backend(start_collector) -> None:
    collector = start_collector()
    exporter = OTLPSpanExporter(endpoint=collector.ports.grpc_endpoint, insecure=True)
    provider = TracerProvider()
    with provider.get_tracer("tests.e2e").start_as_current_span("round") as span:
        pass
    assert exporter.export([span]) == SpanExportResult.SUCCESS
    exporter.shutdown()


def test_traces_overlay_sends_to_the_backend(
    start_collector, trace_backend: TraceBackendStandin
) -> None:
    collector = start_collector(
        overlays=["traces"], extra_env={"SRM_TRACES_ENDPOINT": trace_backend.endpoint}
    )
    names = [f"round r{number}" for number in range(1, 6)]
    send_spans(collector.ports.grpc_endpoint, names)
    wait_until(lambda: len(trace_backend.span_names()) == 5, timeout=30, what="spans")
    assert sorted(trace_backend.span_names()) == sorted(names)


def test_missing_trace_backend_does_not_hold_up_logs(start_collector, loki: LokiStandin) -> None:
    collector = start_collector(
        overlays=["traces"], extra_env={"SRM_TRACES_ENDPOINT": f"127.0.0.1:{free_port()}"}
    )
    send_spans(collector.ports.grpc_endpoint, ["round r1", "round r2"])
    sender = ContractSender(collector.ports.grpc_endpoint)
    sender.interval("roulette", "PRD", "start-to-betstop", "r1", 11.0)
    sender.shutdown()
    wait_until(lambda: len(loki.logs()) == 1, timeout=30, what="the log")
    assert collector.running
