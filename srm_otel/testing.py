"""A test kit: run srm_otel on the SDK's in-memory exporters with a clock you move.

    from srm_otel.testing import capture

    with capture() as telemetry:
        srm_otel.record("tableapi_start", game_type="roulette", table="PRD", round_id="r1")
        telemetry.clock.advance(12.0)
        srm_otel.record("tableapi_betstop", game_type="roulette", table="PRD", round_id="r1")
        assert telemetry.histogram("srm.interval.duration", **{"srm.interval.name":
            "start-to-betstop"}) == (1, 12.0)

Game developers can use it to check their own instrumentation; srm_otel's
tests are built on it.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from opentelemetry.sdk._logs import LoggerProvider, ReadableLogRecord
from opentelemetry.sdk._logs.export import InMemoryLogRecordExporter, SimpleLogRecordProcessor
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from srm_otel import _api, _config
from srm_otel._pipeline import Pipeline, build_resource
from srm_otel._runtime import Runtime

DEFAULT_START = 1_767_225_600.0
"""2026-01-01T00:00:00Z: the fake clock's start, a plausible POSIX time."""


class FakeClock:
    """A clock that moves only when told to."""

    def __init__(self, start: float = DEFAULT_START) -> None:
        self.t = start

    def now(self) -> float:
        return self.t

    def advance(self, seconds: float) -> float:
        self.t += seconds
        return self.t


@dataclass
class CapturedTelemetry:
    """What srm_otel wrote while the capture was open, with helpers to read it back."""

    runtime: Runtime
    clock: FakeClock
    span_exporter: InMemorySpanExporter
    log_exporter: InMemoryLogRecordExporter
    metric_reader: InMemoryMetricReader
    _metrics: Any = field(default=None, repr=False)

    def spans(self, name: str | None = None) -> list[ReadableSpan]:
        spans = list(self.span_exporter.get_finished_spans())
        return [s for s in spans if name is None or s.name == name]

    def logs(self) -> list[ReadableLogRecord]:
        return list(self.log_exporter.get_finished_logs())

    def log_bodies(self) -> list[str]:
        return [str(entry.log_record.body) for entry in self.logs()]

    def sweep(self) -> int:
        """Run the watchdog once, at the fake clock's time."""
        return self.runtime.sweep()

    def points(self, metric: str) -> list[Any]:
        """Every data point of a metric, read fresh from the SDK."""
        data = self.metric_reader.get_metrics_data()
        found: list[Any] = []
        for resource_metrics in data.resource_metrics if data else ():
            for scope_metrics in resource_metrics.scope_metrics:
                for m in scope_metrics.metrics:
                    if m.name == metric:
                        found.extend(m.data.data_points)
        return found

    def metric_units(self) -> dict[str, tuple[str | None, str | None]]:
        """Name -> (unit, description) of each metric written so far."""
        data = self.metric_reader.get_metrics_data()
        units = {}
        for resource_metrics in data.resource_metrics if data else ():
            for scope_metrics in resource_metrics.scope_metrics:
                for m in scope_metrics.metrics:
                    units[m.name] = (m.unit, m.description)
        return units

    def counter(self, metric: str, **attrs: Any) -> float:
        """Sum of a counter's points whose attributes include ``attrs``."""
        attrs = _dotted(attrs)
        return float(sum(p.value for p in self.points(metric) if _matches(p.attributes, attrs)))

    def histogram(self, metric: str, **attrs: Any) -> tuple[int, float]:
        """(count, sum) of a histogram's points whose attributes include ``attrs``."""
        attrs = _dotted(attrs)
        points = [p for p in self.points(metric) if _matches(p.attributes, attrs)]
        return sum(p.count for p in points), sum(p.sum for p in points)


def _dotted(attrs: Mapping[str, Any]) -> dict[str, Any]:
    """Allow ``game_type="roulette"`` as a shorthand for ``srm.game.type``."""
    short = {
        "game_type": "srm.game.type",
        "table": "srm.table.id",
        "interval": "srm.interval.name",
        "outcome": "srm.round.outcome",
        "event": "srm.event.name",
        "event_outcome": "srm.event.outcome",
        "bound": "srm.interval.bound",
    }
    return {short.get(k, k): v for k, v in attrs.items()}


def _matches(point_attrs: Mapping[str, Any] | None, wanted: Mapping[str, Any]) -> bool:
    point_attrs = point_attrs or {}
    return all(point_attrs.get(k) == v for k, v in wanted.items())


@contextmanager
def capture(
    config: Mapping[str, Any] | None = None,
    *,
    clock: FakeClock | None = None,
    watchdog: bool = False,
) -> Iterator[CapturedTelemetry]:
    """Configure srm_otel on in-memory exporters for the duration of the block.

    ``config`` is checked like configure()'s; its export destinations are
    ignored. The watchdog thread is off unless asked for: call ``sweep()``.
    """
    settings = _config.load(dict(config or {}))
    clock = clock or FakeClock()
    resource = build_resource(settings)
    span_exporter = InMemorySpanExporter()
    log_exporter = InMemoryLogRecordExporter()  # type: ignore[no-untyped-call]
    metric_reader = InMemoryMetricReader()
    tracer_provider = TracerProvider(resource=resource)
    tracer_provider.add_span_processor(SimpleSpanProcessor(span_exporter))
    logger_provider = LoggerProvider(resource=resource)
    logger_provider.add_log_record_processor(SimpleLogRecordProcessor(log_exporter))
    meter_provider = MeterProvider(resource=resource, metric_readers=[metric_reader])
    pipeline = Pipeline(tracer_provider, meter_provider, logger_provider)
    pipeline.drops.bind(pipeline.meter())
    runtime = _api.start(settings, pipeline, clock, watchdog=watchdog)
    try:
        yield CapturedTelemetry(runtime, clock, span_exporter, log_exporter, metric_reader)
    finally:
        _api.shutdown()


def environ_without_otel() -> dict[str, str]:
    """The current environment less every OTEL_* and SRM_* variable (for subprocess tests)."""
    return {k: v for k, v in os.environ.items() if not k.startswith(("OTEL_", "SRM_"))}
