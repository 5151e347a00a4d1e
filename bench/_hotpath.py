"""Item 5's yardstick: the caller's cost with the exporters detached.

srm_otel and the hand-written contender run on providers that keep spans and
logs nowhere and metrics in memory, so no export thread competes for the
interpreter and the difference between the two is srm_otel's own work: input
checks, round tracking, interval matching and attribute sets.
"""

from __future__ import annotations

from typing import Any

from opentelemetry.sdk._logs import LoggerProvider
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.sdk.trace import TracerProvider

from bench._contenders import RawContender, srm_settings
from bench._measure import alternate, paired_ratio
from bench._round import EVENTS_PER_ROUND, GAME
from srm_otel import _api, _config
from srm_otel._pipeline import Pipeline
from srm_otel._runtime import Runtime


def _providers() -> tuple[TracerProvider, MeterProvider, LoggerProvider]:
    return (
        TracerProvider(shutdown_on_exit=False),
        MeterProvider(metric_readers=[InMemoryMetricReader()], shutdown_on_exit=False),
        LoggerProvider(shutdown_on_exit=False),
    )


class DetachedSrm:
    name = "srm"

    def __init__(self) -> None:
        settings = _config.load(srm_settings("http://127.0.0.1:9"))
        tracer_provider, meter_provider, logger_provider = _providers()
        pipeline = Pipeline(tracer_provider, meter_provider, logger_provider)
        pipeline.drops.bind(pipeline.meter())
        self.runtime: Runtime = _api.start(settings, pipeline, watchdog=False)

    def record(self, event: str, table: str, round_id: str, t: float, data: dict[str, Any]) -> None:
        _api.record(event, game_type=GAME, table=table, round_id=round_id, timestamp=t, **data)

    def flush(self) -> None:
        pass

    def close(self) -> None:
        _api.shutdown(1.0)


class DetachedRaw(RawContender):
    def __init__(self) -> None:
        super().__init__(*_providers())

    def flush(self) -> None:
        pass


def run(repeats: int = 41, rounds: int = 200) -> dict[str, Any]:
    srm, raw = DetachedSrm(), DetachedRaw()
    try:
        samples = alternate([srm, raw], {"srm": rounds, "raw": rounds}, repeats, ["PRD"])
    finally:
        srm.close()
    srm_s, raw_s = samples["srm"], samples["raw"]
    overhead = srm_s.median_cpu() - raw_s.median_cpu()
    return {
        "repeats": repeats,
        "rounds_per_batch": rounds,
        "srm_round_cpu_us": round(srm_s.median_cpu(), 1),
        "raw_round_cpu_us": round(raw_s.median_cpu(), 1),
        "srm_extra_per_round_us": round(overhead, 1),
        "srm_extra_per_event_us": round(overhead / EVENTS_PER_ROUND, 2),
        "srm_over_raw": round(paired_ratio(srm_s, raw_s), 3),
        "samples_srm_cpu_us": [round(v, 1) for v in srm_s.cpu_us],
        "samples_raw_cpu_us": [round(v, 1) for v in raw_s.cpu_us],
    }


if __name__ == "__main__":
    from bench._safety import clean_environment

    clean_environment()
    result = run()
    print({k: v for k, v in result.items() if not k.startswith("samples")})
