"""The three ways of reporting a round that the cost benchmark compares.

``SrmContender``    srm_otel.record(), configured for OTLP/HTTP to a loopback receiver.
``RawContender``    the same spans, metrics and logs written by hand on the bare
                    OpenTelemetry SDK, with the same OTLP/HTTP exporters and batch settings.
``LegacyContender`` the older monitor's way: events kept in memory, and when the round
                    ends a blocking POST per interval to Loki and one to a Pushgateway.
"""

from __future__ import annotations

import json
import os
import socket
import time
import uuid
from typing import Any, Final

import requests
from opentelemetry import trace
from opentelemetry._logs import SeverityNumber
from opentelemetry.exporter.otlp.proto.http._log_exporter import OTLPLogExporter
from opentelemetry.exporter.otlp.proto.http.metric_exporter import OTLPMetricExporter
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk._logs import LoggerProvider
from opentelemetry.sdk._logs.export import BatchLogRecordProcessor
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import PeriodicExportingMetricReader
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor
from opentelemetry.trace import Span

import srm_otel
from bench._round import GAME, INTERVALS
from bench._safety import loopback
from srm_otel import _api, _config, semconv
from srm_otel._runtime import Runtime
from srm_otel.version import __version__

SCHEDULE_DELAY_MS: Final = 1000
MAX_QUEUE: Final = 2048
MAX_BATCH: Final = 512
METRICS_INTERVAL_MS: Final = 10_000
"""srm_otel's export defaults; the raw contender uses the same."""

_TABLE_KEYS: Final = (semconv.GAME_TYPE, semconv.TABLE_ID)
_INTERVAL_KEYS: Final = (*_TABLE_KEYS, semconv.INTERVAL_NAME)
_OUTCOME_KEYS: Final = (*_TABLE_KEYS, semconv.ROUND_OUTCOME)
_EVENT_KEYS: Final = (*_TABLE_KEYS, semconv.EVENT_NAME, semconv.EVENT_OUTCOME)


def srm_settings(endpoint: str, **rounds: Any) -> dict[str, Any]:
    """An srm_otel configuration exporting OTLP/HTTP to ``endpoint`` (loopback only)."""
    config: dict[str, Any] = {
        "service_name": "srm-bench",
        "otlp": {"endpoint": loopback(endpoint), "protocol": "http/protobuf", "timeout_s": 10},
        "prometheus": {"enabled": False},
    }
    if rounds:
        config["rounds"] = rounds
    settings = _config.load(config)
    assert settings.otlp.endpoint is not None
    loopback(settings.otlp.endpoint)
    return config


def flush_spans_and_logs(runtime: Runtime | None) -> None:
    """Export queued spans and logs now; metrics keep their periodic export, as in the raw
    contender (srm_otel.force_flush would also collect every metric series each time)."""
    if runtime is not None:
        runtime.pipeline.tracer_provider.force_flush()
        runtime.pipeline.logger_provider.force_flush()


class SrmContender:
    name = "srm"

    def __init__(self, endpoint: str) -> None:
        srm_otel.configure(srm_settings(endpoint))

    def record(self, event: str, table: str, round_id: str, t: float, data: dict[str, Any]) -> None:
        srm_otel.record(event, game_type=GAME, table=table, round_id=round_id, timestamp=t, **data)

    def flush(self) -> None:
        flush_spans_and_logs(_api.get_runtime())

    def close(self) -> None:
        srm_otel.shutdown(5.0)


class _RawRound:
    __slots__ = ("context", "events", "span", "start")

    def __init__(self, span: Span, start: float) -> None:
        self.span = span
        self.context = trace.set_span_in_context(span)
        self.start = start
        self.events: dict[str, float] = {}


class RawContender:
    """What a careful developer would write by hand: attribute dicts built once per table."""

    name = "raw"

    def __init__(
        self,
        tracer_provider: TracerProvider,
        meter_provider: MeterProvider,
        logger_provider: LoggerProvider,
    ) -> None:
        self.tracer_provider = tracer_provider
        self.meter_provider = meter_provider
        self.logger_provider = logger_provider
        self._tracer = self.tracer_provider.get_tracer("bench-raw", __version__)
        self._logger = self.logger_provider.get_logger("bench-raw", __version__)
        meter = self.meter_provider.get_meter("bench-raw", __version__)
        buckets = list(semconv.DURATION_BUCKETS_S)
        self._interval_hist = meter.create_histogram(
            semconv.INTERVAL_DURATION, unit="s", explicit_bucket_boundaries_advisory=buckets
        )
        self._round_hist = meter.create_histogram(
            semconv.ROUND_DURATION, unit="s", explicit_bucket_boundaries_advisory=buckets
        )
        self._rounds = meter.create_counter(semconv.ROUNDS, unit="{round}")
        self._events = meter.create_counter(semconv.EVENTS, unit="{event}")
        self._active = meter.create_up_down_counter(semconv.ROUNDS_ACTIVE, unit="{round}")
        self._ending = {end: (name, start, exp) for name, start, end, exp in INTERVALS}
        self._open: dict[tuple[str, str], _RawRound] = {}
        self._attrs: dict[tuple[str, ...], dict[str, str]] = {}

    @classmethod
    def exporting(cls, endpoint: str) -> RawContender:
        """Providers with OTLP/HTTP exporters to ``endpoint``, batched as srm_otel batches."""
        loopback(endpoint)
        resource = Resource(
            {
                semconv.SERVICE_NAME: "srm-bench-raw",
                semconv.SERVICE_INSTANCE_ID: f"{socket.gethostname()}-{os.getpid()}-"
                f"{uuid.uuid4().hex[:8]}",
                semconv.SITE: "local",
            }
        )
        batch = {
            "max_queue_size": MAX_QUEUE,
            "max_export_batch_size": MAX_BATCH,
            "schedule_delay_millis": SCHEDULE_DELAY_MS,
        }
        tracer_provider = TracerProvider(resource=resource, shutdown_on_exit=False)
        tracer_provider.add_span_processor(
            BatchSpanProcessor(OTLPSpanExporter(f"{endpoint}/v1/traces"), **batch)
        )
        logger_provider = LoggerProvider(resource=resource, shutdown_on_exit=False)
        logger_provider.add_log_record_processor(
            BatchLogRecordProcessor(OTLPLogExporter(f"{endpoint}/v1/logs"), **batch)
        )
        reader = PeriodicExportingMetricReader(
            OTLPMetricExporter(f"{endpoint}/v1/metrics"),
            export_interval_millis=METRICS_INTERVAL_MS,
        )
        meter_provider = MeterProvider(
            resource=resource, metric_readers=[reader], shutdown_on_exit=False
        )
        return cls(tracer_provider, meter_provider, logger_provider)

    def _cached(self, keys: tuple[str, ...], values: tuple[str, ...]) -> dict[str, str]:
        attrs = self._attrs.get(values)
        if attrs is None:
            attrs = self._attrs[values] = dict(zip(keys, values, strict=True))
        return attrs

    def record(self, event: str, table: str, round_id: str, t: float, data: dict[str, Any]) -> None:
        rnd = self._open.get((table, round_id))
        if rnd is None:
            span = self._tracer.start_span(
                f"{GAME} round",
                start_time=int(t * 1e9),
                attributes={
                    semconv.GAME_TYPE: GAME,
                    semconv.TABLE_ID: table,
                    semconv.ROUND_ID: round_id,
                },
            )
            rnd = self._open[(table, round_id)] = _RawRound(span, t)
            self._active.add(1, self._cached(_TABLE_KEYS, (GAME, table)))
        rnd.events[event] = t
        rnd.span.add_event(event, attributes=data or None, timestamp=int(t * 1e9))
        self._events.add(1, self._cached(_EVENT_KEYS, (GAME, table, event, "accepted")))
        interval = self._ending.get(event)
        if interval is not None:
            self._interval(rnd, table, round_id, t, *interval)
        if event == "tableapi_finish":
            self._finish(rnd, table, round_id, t)

    def _interval(
        self,
        rnd: _RawRound,
        table: str,
        round_id: str,
        end: float,
        name: str,
        start_event: str,
        expected: tuple[float, float],
    ) -> None:
        start = rnd.events[start_event]
        duration = end - start
        span = self._tracer.start_span(name, context=rnd.context, start_time=int(start * 1e9))
        span.set_attributes(
            {
                semconv.GAME_TYPE: GAME,
                semconv.TABLE_ID: table,
                semconv.ROUND_ID: round_id,
                semconv.INTERVAL_NAME: name,
                semconv.INTERVAL_SCOPE: "round",
                semconv.INTERVAL_EXPECTED_S: list(expected),
            }
        )
        span.end(end_time=int(end * 1e9))
        context = trace.set_span_in_context(span, rnd.context)
        self._interval_hist.record(
            duration, self._cached(_INTERVAL_KEYS, (GAME, table, name)), context=context
        )
        self._logger.emit(
            timestamp=int(end * 1e9),
            context=context,
            severity_number=SeverityNumber.INFO,
            severity_text="INFO",
            body=f"Time interval: {name} = {duration:.3f}s for {GAME} table {table} "
            f"round {round_id}",
            attributes={
                semconv.GAME_TYPE: GAME,
                semconv.TABLE_ID: table,
                semconv.INTERVAL_NAME: name,
                semconv.ROUND_ID: round_id,
                semconv.INTERVAL_DURATION_S: round(duration, 6),
            },
        )

    def _finish(self, rnd: _RawRound, table: str, round_id: str, end: float) -> None:
        del self._open[(table, round_id)]
        rnd.span.set_attribute(semconv.ROUND_OUTCOME, "completed")
        table_attrs = self._cached(_TABLE_KEYS, (GAME, table))
        self._round_hist.record(end - rnd.start, table_attrs, context=rnd.context)
        rnd.span.end(end_time=int(end * 1e9))
        self._rounds.add(1, self._cached(_OUTCOME_KEYS, (GAME, table, "completed")))
        self._active.add(-1, table_attrs)

    def flush(self) -> None:
        self.tracer_provider.force_flush()
        self.logger_provider.force_flush()

    def close(self) -> None:
        self.tracer_provider.shutdown()
        self.logger_provider.shutdown()
        self.meter_provider.shutdown(timeout_millis=5000)


class LegacyContender:
    """The older monitor: one blocking POST per interval to Loki, one to the Pushgateway."""

    name = "legacy"

    def __init__(self, loki: str, pushgateway: str) -> None:
        self._loki = f"{loopback(loki)}/loki/api/v1/push"
        self._push = f"{loopback(pushgateway)}/metrics/job/studio-roundtime-monitor"
        self._rounds: dict[tuple[str, str], dict[str, float]] = {}
        self._ending = {end: (name, start) for name, start, end, _ in INTERVALS}

    def record(self, event: str, table: str, round_id: str, t: float, data: dict[str, Any]) -> None:
        events = self._rounds.setdefault((table, round_id), {})
        events[event] = t
        if event == "tableapi_finish":
            del self._rounds[(table, round_id)]
            for end_event, (name, start_event) in self._ending.items():
                self._push_interval(table, round_id, name, events[end_event] - events[start_event])

    def _push_interval(self, table: str, round_id: str, name: str, seconds: float) -> None:
        labels = {
            "job": "studio-roundtime-monitor",
            "service": "time_monitor",
            "level": "INFO",
            "game_type": GAME,
            "table": table,
            "round_id": round_id,
            "interval_type": name,
        }
        line = f"Time interval: {name} = {seconds:.3f}s for {GAME} table {table} round {round_id}"
        stream = {"streams": [{"stream": labels, "values": [[str(time.time_ns()), line]]}]}
        requests.post(self._loki, data=json.dumps(stream), timeout=10).raise_for_status()
        metric = (
            f'time_interval_duration{{game_type="{GAME}",table="{table}",'
            f'round_id="{round_id}",interval_type="{name}"}} {seconds}\n'
        )
        requests.post(self._push, data=metric, timeout=10).raise_for_status()

    def flush(self) -> None:
        pass

    def close(self) -> None:
        pass
