"""The export pipeline: resource, providers, batch processors, exporters and /metrics.

Nothing here runs on the caller's thread after start: spans and logs go
through bounded batch queues drained by the SDK's worker threads, metrics are
read periodically (OTLP) or on scrape (Prometheus). What a full queue or a
failed export loses is counted in ``srm.telemetry.dropped``.
"""

from __future__ import annotations

import logging
import os
import socket
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from threading import Lock, Thread
from typing import Any

from opentelemetry._logs import Logger
from opentelemetry.metrics import CallbackOptions, Meter, Observation
from opentelemetry.sdk._logs import LoggerProvider, ReadWriteLogRecord
from opentelemetry.sdk._logs.export import (
    BatchLogRecordProcessor,
    LogRecordExporter,
    LogRecordExportResult,
)
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import (
    MetricExporter,
    MetricExportResult,
    MetricReader,
    PeriodicExportingMetricReader,
)
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExporter, SpanExportResult
from opentelemetry.trace import Tracer

from srm_otel import semconv
from srm_otel._config import Settings
from srm_otel._guard import Throttle
from srm_otel.version import __version__

_logger = logging.getLogger("srm_otel")


class DropCounter:
    """``srm.telemetry.dropped``: spans, logs and metric exports lost before the collector.

    A drop costs the caller one integer increment; the totals reach the meter
    through an observable counter read at each collection, so a collector
    outage that drops thousands of items does not make each drop dearer.
    """

    def __init__(self) -> None:
        self._totals: dict[tuple[str, str], int] = {}
        self._lock = Lock()
        self._throttle = Throttle(_logger)
        self.detached = False
        """Set in a forked child: the pipeline holds the parent's data and sends no more."""

    def bind(self, meter: Meter) -> None:
        meter.create_observable_counter(
            semconv.TELEMETRY_DROPPED,
            callbacks=[self._observe],
            unit=semconv.UNIT_ITEM,
            description="Telemetry srm_otel could not deliver: full queue or failed export.",
        )

    def add(self, count: int, signal: str, error_type: str) -> None:
        if count <= 0:
            return
        key = (signal, error_type)
        with self._lock:
            self._totals[key] = self._totals.get(key, 0) + count
        self._throttle.warning(
            f"{signal}:{error_type}",
            "dropping %s: %s (collector slow or unreachable); counted in srm.telemetry.dropped",
            signal,
            error_type.replace("_", " "),
        )

    def _observe(self, options: CallbackOptions) -> Iterable[Observation]:
        with self._lock:
            totals = list(self._totals.items())
        for (signal, error_type), total in totals:
            yield Observation(total, {semconv.SIGNAL: signal, semconv.ERROR_TYPE: error_type})


def _queue_full(processor: Any) -> bool:
    # The SDK exposes no public queue length; read it defensively so an SDK
    # change costs us the count, never the event.
    batch = getattr(processor, "_batch_processor", None)
    queue = getattr(batch, "_queue", None)
    limit = getattr(batch, "_max_queue_size", None)
    return queue is not None and limit is not None and len(queue) >= limit


class CountingBatchSpanProcessor(BatchSpanProcessor):
    def __init__(self, exporter: SpanExporter, drops: DropCounter, **kwargs: Any) -> None:
        super().__init__(exporter, **kwargs)
        self._drops = drops

    def on_end(self, span: ReadableSpan) -> None:
        # A full queue drops the newest span here, counted once and logged
        # throttled, rather than letting the SDK warn once per dropped span.
        if _queue_full(self):
            self._drops.add(1, "traces", "queue_full")
            return
        super().on_end(span)


class CountingBatchLogRecordProcessor(BatchLogRecordProcessor):
    def __init__(self, exporter: LogRecordExporter, drops: DropCounter, **kwargs: Any) -> None:
        super().__init__(exporter, **kwargs)
        self._drops = drops

    def on_emit(self, log_record: ReadWriteLogRecord) -> None:
        if _queue_full(self):
            self._drops.add(1, "logs", "queue_full")
            return
        super().on_emit(log_record)


class CountingSpanExporter(SpanExporter):
    def __init__(self, inner: SpanExporter, drops: DropCounter) -> None:
        self._inner = inner
        self._drops = drops

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        if self._drops.detached:
            return SpanExportResult.SUCCESS
        result = self._inner.export(spans)
        if result is not SpanExportResult.SUCCESS:
            self._drops.add(len(spans), "traces", "export_failed")
        return result

    def shutdown(self) -> None:
        self._inner.shutdown()

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        return self._inner.force_flush(timeout_millis)


class CountingLogExporter(LogRecordExporter):
    def __init__(self, inner: LogRecordExporter, drops: DropCounter) -> None:
        self._inner = inner
        self._drops = drops

    def export(self, batch: Sequence[Any]) -> LogRecordExportResult:
        if self._drops.detached:
            return LogRecordExportResult.SUCCESS
        result = self._inner.export(batch)
        if result is not LogRecordExportResult.SUCCESS:
            self._drops.add(len(batch), "logs", "export_failed")
        return result

    def shutdown(self) -> None:
        self._inner.shutdown()  # type: ignore[no-untyped-call]

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        return self._inner.force_flush(timeout_millis)


class CountingMetricExporter(MetricExporter):
    def __init__(self, inner: MetricExporter, drops: DropCounter) -> None:
        super().__init__(
            preferred_temporality=inner._preferred_temporality,
            preferred_aggregation=inner._preferred_aggregation,
        )
        self._inner = inner
        self._drops = drops

    def export(self, metrics_data: Any, timeout_millis: float = 10_000, **kwargs: Any) -> Any:
        if self._drops.detached:
            return MetricExportResult.SUCCESS
        result = self._inner.export(metrics_data, timeout_millis=timeout_millis, **kwargs)
        if result is not MetricExportResult.SUCCESS:
            self._drops.add(1, "metrics", "export_failed")
        return result

    def force_flush(self, timeout_millis: float = 10_000) -> bool:
        return self._inner.force_flush(timeout_millis)

    def shutdown(self, timeout_millis: float = 30_000, **kwargs: Any) -> None:
        self._inner.shutdown(timeout_millis=timeout_millis, **kwargs)


@dataclass
class Pipeline:
    """The three providers srm_otel writes to, and what must be stopped with them."""

    tracer_provider: TracerProvider
    meter_provider: MeterProvider
    logger_provider: LoggerProvider
    drops: DropCounter = field(default_factory=DropCounter)
    metrics_server: Any = None
    metrics_thread: Thread | None = None
    metrics_url: str | None = None
    owns_providers: bool = True

    def tracer(self) -> Tracer:
        return self.tracer_provider.get_tracer(semconv.INSTRUMENTATION_SCOPE, __version__)

    def meter(self) -> Meter:
        return self.meter_provider.get_meter(semconv.INSTRUMENTATION_SCOPE, __version__)

    def logger(self) -> Logger:
        return self.logger_provider.get_logger(semconv.INSTRUMENTATION_SCOPE, __version__)

    def force_flush(self, timeout_s: float) -> bool:
        """Export what is queued; False if it did not finish within ``timeout_s``."""
        return _within(timeout_s, "flush", self._flush_now, timeout_s)

    def shutdown(self, timeout_s: float) -> None:
        """Stop /metrics, flush, then stop the providers, all within ``timeout_s``."""
        if self.metrics_server is not None:
            self.metrics_server.shutdown()
            self.metrics_server.server_close()
        _within(timeout_s, "shutdown", self._shutdown_now, timeout_s)

    def detach_after_fork(self) -> None:
        """In a forked child: send nothing more from this (the parent's) pipeline, and stop it.

        The SDK restarts the periodic metric reader in the child, which would
        export the parent's cumulative totals again under a new instance id.
        """
        self.drops.detached = True
        self.metrics_server = None
        Thread(target=self._shutdown_now, args=(1.0,), name="srm-otel-detach", daemon=True).start()

    def _flush_now(self, timeout_s: float) -> None:
        millis = int(timeout_s * 1000)
        self.tracer_provider.force_flush(millis)
        self.logger_provider.force_flush(millis)
        self.meter_provider.force_flush(millis)

    def _shutdown_now(self, timeout_s: float) -> None:
        self._flush_now(timeout_s)
        if self.owns_providers:
            self.tracer_provider.shutdown()
            self.logger_provider.shutdown()
            self.meter_provider.shutdown(timeout_millis=timeout_s * 1000)


def _within(timeout_s: float, what: str, step: Any, *args: Any) -> bool:
    """Run a flush or shutdown on a helper thread and stop waiting after ``timeout_s``.

    The SDK's batch processors wait for their exporter, which retries a slow or
    hung collector for its whole timeout, once per batch; the game's exit must
    not wait for that. What has not been sent by then is lost, and logged.
    """
    failure: list[BaseException] = []

    def run() -> None:
        try:
            step(*args)
        except Exception as exc:
            failure.append(exc)

    worker = Thread(target=run, name=f"srm-otel-{what}", daemon=True)
    worker.start()
    worker.join(timeout_s)
    if worker.is_alive():
        _logger.warning(
            "srm_otel %s did not finish within %.1fs (collector slow or unreachable); "
            "telemetry still queued may be lost",
            what,
            timeout_s,
        )
        return False
    if failure:
        _logger.warning("srm_otel %s incomplete: %s", what, failure[0])
        return False
    return True


def build_resource(settings: Settings) -> Resource:
    """service.name, service.instance.id and srm.site; OTEL_* variables win over the file."""
    attributes: dict[str, Any] = {
        semconv.SERVICE_NAME: settings.service_name,
        semconv.SERVICE_INSTANCE_ID: f"{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:8]}",
        semconv.SITE: settings.site_label,
        "telemetry.sdk.language": "python",
        "telemetry.distro.name": "srm-otel",
        "telemetry.distro.version": __version__,
    }
    attributes.update(settings.resource_attributes)
    if os.environ.get("OTEL_SERVICE_NAME"):
        attributes[semconv.SERVICE_NAME] = os.environ["OTEL_SERVICE_NAME"]
    return Resource(attributes)


def build_pipeline(settings: Settings) -> Pipeline:
    """Providers with the exporters the settings ask for; /metrics started if enabled."""
    resource = build_resource(settings)
    drops = DropCounter()
    readers: list[MetricReader] = []
    metrics_server = metrics_thread = metrics_url = None
    if settings.otlp.endpoint:
        exporter = CountingMetricExporter(_otlp_exporter(settings, "metrics"), drops)
        interval_ms = settings.export.metrics_interval_s * 1000
        readers.append(PeriodicExportingMetricReader(exporter, export_interval_millis=interval_ms))
    if settings.prometheus_enabled:
        served = _prometheus_reader(settings)
        if served is not None:
            reader, metrics_server, metrics_thread, metrics_url = served
            readers.append(reader)
    # srm_otel shuts the providers down itself, within a bound; the SDK's own
    # exit hooks would wait on a hung collector and print tracebacks at exit.
    meter_provider = MeterProvider(
        resource=resource, metric_readers=readers, shutdown_on_exit=False
    )
    drops.bind(meter_provider.get_meter(semconv.INSTRUMENTATION_SCOPE, __version__))
    tracer_provider = TracerProvider(resource=resource, shutdown_on_exit=False)
    logger_provider = LoggerProvider(resource=resource, shutdown_on_exit=False)
    if settings.otlp.endpoint:
        _add_otlp_processors(settings, tracer_provider, logger_provider, drops)
    return Pipeline(
        tracer_provider,
        meter_provider,
        logger_provider,
        drops,
        metrics_server,
        metrics_thread,
        metrics_url,
    )


def _add_otlp_processors(
    settings: Settings,
    tracer_provider: TracerProvider,
    logger_provider: LoggerProvider,
    drops: DropCounter,
) -> None:
    batch = {
        "max_queue_size": settings.export.max_queue_size,
        "max_export_batch_size": min(
            settings.export.max_export_batch_size, settings.export.max_queue_size
        ),
        "schedule_delay_millis": settings.export.schedule_delay_s * 1000,
    }
    span_exporter = CountingSpanExporter(_otlp_exporter(settings, "traces"), drops)
    tracer_provider.add_span_processor(CountingBatchSpanProcessor(span_exporter, drops, **batch))
    log_exporter = CountingLogExporter(_otlp_exporter(settings, "logs"), drops)
    logger_provider.add_log_record_processor(
        CountingBatchLogRecordProcessor(log_exporter, drops, **batch)
    )


def _otlp_exporter(settings: Settings, signal: str) -> Any:
    otlp = settings.otlp
    assert otlp.endpoint is not None
    headers = dict(otlp.headers)
    if otlp.protocol == "grpc":
        return _grpc_exporter(signal, otlp.endpoint, headers, otlp.timeout_s)
    return _http_exporter(signal, f"{otlp.endpoint}/v1/{signal}", headers, otlp.timeout_s)


def _grpc_exporter(signal: str, endpoint: str, headers: dict[str, str], timeout: float) -> Any:
    insecure = endpoint.startswith("http://")
    if signal == "traces":
        from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter

        return OTLPSpanExporter(endpoint, insecure=insecure, headers=headers, timeout=timeout)
    if signal == "logs":
        from opentelemetry.exporter.otlp.proto.grpc._log_exporter import OTLPLogExporter

        return OTLPLogExporter(endpoint, insecure=insecure, headers=headers, timeout=timeout)
    from opentelemetry.exporter.otlp.proto.grpc.metric_exporter import OTLPMetricExporter

    return OTLPMetricExporter(endpoint, insecure=insecure, headers=headers, timeout=timeout)


def _http_exporter(signal: str, endpoint: str, headers: dict[str, str], timeout: float) -> Any:
    if signal == "traces":
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        return OTLPSpanExporter(endpoint, headers=headers, timeout=timeout)
    if signal == "logs":
        from opentelemetry.exporter.otlp.proto.http._log_exporter import OTLPLogExporter

        return OTLPLogExporter(endpoint, headers=headers, timeout=timeout)
    from opentelemetry.exporter.otlp.proto.http.metric_exporter import OTLPMetricExporter

    return OTLPMetricExporter(endpoint, headers=headers, timeout=timeout)


def _prometheus_reader(settings: Settings) -> tuple[MetricReader, Any, Thread, str] | None:
    """The in-process /metrics endpoint, on its own registry; None if the port is taken."""
    from opentelemetry.exporter.prometheus import PrometheusMetricReader
    from prometheus_client import CollectorRegistry, start_http_server

    host, port = settings.prometheus.host, settings.prometheus.port
    registry = CollectorRegistry(auto_describe=True)
    labels = {semconv.SITE, semconv.SERVICE_NAME}
    reader = PrometheusMetricReader(
        registry=registry, resource_attribute_filter=lambda key: key in labels
    )
    try:
        server, thread = start_http_server(port, addr=host, registry=registry)
    except OSError as exc:
        _logger.error(
            "cannot serve /metrics on %s:%s (%s); continuing without it "
            "(prometheus.host/prometheus.port)",
            host,
            port,
            exc.strerror or exc,
        )
        reader.shutdown()
        return None
    bound_port = server.server_address[1]
    return reader, server, thread, f"http://{host}:{bound_port}/metrics"
