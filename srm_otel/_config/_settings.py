"""The configuration model: resolved settings, the site table and the error users see."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Final

from srm_otel import semconv
from srm_otel._profiles import IntervalSpec

SITE_ADDRESSES: Final = {"GE": "100.64.0.113", "TPE": "100.64.0.160"}
"""Telemetry servers of the two studio sites; their collectors listen on the OTLP ports."""

OTLP_PORTS: Final = {"grpc": 4317, "http/protobuf": 4318}

PROTOCOLS: Final = tuple(OTLP_PORTS)

CONFIG_ENV: Final = "SRM_CONFIG"

SITE_ENV: Final = "SRM_SITE"

DEFAULT_CONFIG_FILE: Final = "srm.yaml"


class ConfigError(ValueError):
    """The configuration is invalid; ``problems`` lists each bad key with its rule."""

    def __init__(self, problems: list[str], source: str = "configuration") -> None:
        self.problems = problems
        self.source = source
        lines = "\n".join(f"  - {p}" for p in problems)
        super().__init__(f"invalid srm_otel {source}:\n{lines}")


@dataclass(frozen=True)
class OtlpSettings:
    endpoint: str | None = None
    protocol: str = "grpc"
    headers: Mapping[str, str] = field(default_factory=dict)
    timeout_s: float = 40.0
    """How long the OTLP exporter keeps trying one batch. The SDK retries a
    refused export six times, 1 s to 16 s apart (about 31 s in all), but stops
    early when the next wait would pass this deadline; 40 s lets the whole
    schedule run, so a collector that is restarted within 15 s loses nothing."""


@dataclass(frozen=True)
class PrometheusSettings:
    enabled: bool | None = None
    host: str = "127.0.0.1"
    port: int = 9464


@dataclass(frozen=True)
class RoundSettings:
    timeout_s: float = 300.0
    max_open_per_table: int = 8
    max_tables: int = 256


@dataclass(frozen=True)
class ExportSettings:
    metrics_interval_s: float = 10.0
    schedule_delay_s: float = 1.0
    max_queue_size: int = 2048
    """Spans, and log records, held per signal while the collector is slow or away: some
    ten minutes of an eight-table studio. A larger queue costs memory in exactly that case."""
    max_export_batch_size: int = 512


@dataclass(frozen=True)
class HookSpec:
    """One ``instrument:`` entry: calls of ``module:qualname`` report ``event``.

    ``game_type``, ``table``, ``round_id`` and the ``data`` values are literals
    or sources (``self.<attr>``, ``arg.<parameter>``, ``return``, ``return.<attr>``).
    """

    module: str
    qualname: str
    event: str
    game_type: str | int
    table: str | int
    round_id: str | int
    data: tuple[tuple[str, str | int], ...] = ()

    @property
    def function(self) -> str:
        return f"{self.module}:{self.qualname}"


@dataclass(frozen=True)
class Settings:
    """The resolved configuration, after the file, the defaults and the environment."""

    service_name: str = semconv.DEFAULT_SERVICE_NAME
    site: str | None = None
    otlp: OtlpSettings = OtlpSettings()
    prometheus: PrometheusSettings = PrometheusSettings()
    rounds: RoundSettings = RoundSettings()
    export: ExportSettings = ExportSettings()
    games: Mapping[str, Mapping[str, IntervalSpec]] = field(default_factory=dict)
    resource_attributes: Mapping[str, str] = field(default_factory=dict)
    instrument: tuple[HookSpec, ...] = ()
    disabled: bool = False
    source: str = "defaults"

    @property
    def site_label(self) -> str:
        return self.site or "local"

    @property
    def prometheus_enabled(self) -> bool:
        """Serve /metrics in-process when asked to, or by default when there is no collector."""
        if self.prometheus.enabled is not None:
            return self.prometheus.enabled
        return self.otlp.endpoint is None
