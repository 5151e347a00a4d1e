"""A small OTLP sender that speaks the telemetry contract with the plain SDK.

It tests the collector on its own, independent of ``srm_otel``: the same
metric names, units, attribute keys and log body as the contract in
DOMAIN.md, sent over OTLP/gRPC or OTLP/HTTP to a collector on loopback.
"""

from __future__ import annotations

from dataclasses import dataclass

from opentelemetry.sdk._logs import LoggerProvider
from opentelemetry.sdk._logs.export import BatchLogRecordProcessor
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import PeriodicExportingMetricReader
from opentelemetry.sdk.metrics.view import ExplicitBucketHistogramAggregation, View
from opentelemetry.sdk.resources import Resource

SECONDS_BUCKETS = (0.1, 0.25, 0.5, 1, 2, 3, 5, 8, 10, 15, 20, 30, 45, 60, 90, 120)
"""Bucket bounds in seconds, 0.1 s to 120 s, as the contract asks."""


@dataclass(frozen=True)
class SentInterval:
    game: str
    table: str
    interval: str
    round_id: str
    seconds: float

    @property
    def body(self) -> str:
        return (
            f"Time interval: {self.interval} = {self.seconds:.3f}s "
            f"for {self.game} table {self.table} round {self.round_id}"
        )


class ContractSender:
    """Records intervals and rounds as metrics and logs, and exports them."""

    def __init__(
        self,
        endpoint: str,
        *,
        protocol: str = "grpc",
        service_name: str = "e2e-sender",
        instance_id: str = "sender-1",
        site: str = "local",
    ) -> None:
        resource = Resource.create(
            {"service.name": service_name, "service.instance.id": instance_id, "srm.site": site}
        )
        metric_exporter, log_exporter = _exporters(endpoint, protocol)
        self._reader = PeriodicExportingMetricReader(metric_exporter, export_interval_millis=500)
        seconds_view = View(
            instrument_name="srm.*.duration",
            aggregation=ExplicitBucketHistogramAggregation(SECONDS_BUCKETS),
        )
        self.meters = MeterProvider(
            resource=resource, metric_readers=[self._reader], views=[seconds_view]
        )
        self.loggers = LoggerProvider(resource=resource)
        self.loggers.add_log_record_processor(
            BatchLogRecordProcessor(log_exporter, schedule_delay_millis=200)
        )

        meter = self.meters.get_meter("tests.support.otlp_sender")
        self._interval_duration = meter.create_histogram(
            "srm.interval.duration", unit="s", description="Time between two round events."
        )
        self._rounds = meter.create_counter(
            "srm.rounds", unit="{round}", description="Rounds that ended."
        )
        self._rounds_active = meter.create_up_down_counter(
            "srm.rounds.active", unit="{round}", description="Rounds open now."
        )
        self._logger = self.loggers.get_logger("tests.support.otlp_sender")
        self.sent: list[SentInterval] = []

    def interval(self, game: str, table: str, interval: str, round_id: str, seconds: float) -> None:
        attributes = {"srm.game.type": game, "srm.table.id": table, "srm.interval.name": interval}
        self._interval_duration.record(seconds, attributes)
        sent = SentInterval(game, table, interval, round_id, seconds)
        self._logger.emit(
            body=sent.body,
            severity_text="INFO",
            attributes={**attributes, "srm.round.id": round_id},
        )
        self.sent.append(sent)

    def round_started(self, game: str, table: str) -> None:
        self._rounds_active.add(1, {"srm.game.type": game, "srm.table.id": table})

    def round_ended(self, game: str, table: str, outcome: str = "completed") -> None:
        attributes = {"srm.game.type": game, "srm.table.id": table}
        self._rounds_active.add(-1, attributes)
        self._rounds.add(1, {**attributes, "srm.round.outcome": outcome})

    def flush(self) -> None:
        self.meters.force_flush(timeout_millis=10_000)
        self.loggers.force_flush(timeout_millis=10_000)

    def shutdown(self) -> None:
        self.meters.shutdown(timeout_millis=10_000)
        self.loggers.shutdown()


def _exporters(endpoint: str, protocol: str) -> tuple[object, object]:
    if protocol == "grpc":
        from opentelemetry.exporter.otlp.proto.grpc._log_exporter import OTLPLogExporter
        from opentelemetry.exporter.otlp.proto.grpc.metric_exporter import OTLPMetricExporter

        return OTLPMetricExporter(endpoint=endpoint, insecure=True), OTLPLogExporter(
            endpoint=endpoint, insecure=True
        )
    if protocol == "http/protobuf":
        from opentelemetry.exporter.otlp.proto.http._log_exporter import (
            OTLPLogExporter as HttpLogExporter,
        )
        from opentelemetry.exporter.otlp.proto.http.metric_exporter import (
            OTLPMetricExporter as HttpMetricExporter,
        )

        return HttpMetricExporter(endpoint=f"{endpoint}/v1/metrics"), HttpLogExporter(
            endpoint=f"{endpoint}/v1/logs"
        )
    raise ValueError(f"protocol must be 'grpc' or 'http/protobuf', got {protocol!r}")
