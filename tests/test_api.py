"""The public API: no-op before configure, rounds as blocks and calls, the older helpers."""

from __future__ import annotations

import asyncio
import inspect
from typing import Any

import pytest
from opentelemetry import trace
from opentelemetry.trace import StatusCode

import srm_otel
from srm_otel import _api, legacy, semconv
from srm_otel.testing import CapturedTelemetry


def test_public_names_are_pinned() -> None:
    assert sorted(srm_otel.__all__) == [
        "ConfigError",
        "RoundScope",
        "__version__",
        "cancel_round",
        "configure",
        "current_round",
        "force_flush",
        "instrument_round",
        "record",
        "round",
        "shutdown",
        "statistics",
    ]


def test_every_call_is_a_no_op_before_configure() -> None:
    assert _api.get_runtime() is None

    srm_otel.record("tableapi_start", game_type="roulette", table="PRD", round_id="r1")
    srm_otel.record("garbage", game_type=None, table=object())  # type: ignore[arg-type]
    srm_otel.cancel_round("roulette", "PRD", "r1")
    with srm_otel.round("roulette", "PRD", "r1") as rnd:
        rnd.record("tableapi_start")
    assert srm_otel.force_flush() is True
    assert srm_otel.statistics() == []
    srm_otel.shutdown()


def test_otel_sdk_disabled_turns_everything_off(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OTEL_SDK_DISABLED", "true")

    srm_otel.configure({"prometheus": {"enabled": True, "port": 0}})

    assert _api.get_runtime() is None


def test_round_block_attaches_events_and_nests_game_spans(telemetry: CapturedTelemetry) -> None:
    tracer = telemetry.runtime.pipeline.tracer()
    with srm_otel.round("sicbo", "SBO-001", 77) as rnd:
        rnd.record("tableapi_start")
        telemetry.clock.advance(1.0)
        srm_otel.record("sicbo_shaker_start", command="SHAKE")
        with tracer.start_as_current_span("table api call"):
            pass
        telemetry.clock.advance(10.0)
        rnd.record("sicbo_shaker_stop")

    [round_span] = telemetry.spans("sicbo round")
    [game_span] = telemetry.spans("table api call")
    assert game_span.parent is not None
    assert game_span.parent.span_id == round_span.get_span_context().span_id
    assert telemetry.histogram(semconv.INTERVAL_DURATION, interval="shakerShake-to-shakerStop") == (
        1,
        10.0,
    )
    assert telemetry.counter(semconv.ROUNDS, outcome="completed") == 1
    assert telemetry.histogram(semconv.ROUND_DURATION) == (1, 11.0)
    assert srm_otel.current_round() is None
    assert trace.get_current_span() is trace.INVALID_SPAN


def test_block_that_raises_cancels_the_round_and_reraises_unchanged(
    telemetry: CapturedTelemetry,
) -> None:
    error = ValueError("shaker jammed")
    with pytest.raises(ValueError) as raised, srm_otel.round("sicbo", "SBO-001", "r1"):
        srm_otel.record("tableapi_start")
        raise error

    assert raised.value is error
    [span] = telemetry.spans("sicbo round")
    assert span.status.status_code is StatusCode.ERROR
    assert [e.name for e in span.events] == ["tableapi_start", "exception"]
    assert telemetry.counter(semconv.ROUNDS, outcome="cancelled") == 1


def test_cancel_round_ends_it_as_cancelled(telemetry: CapturedTelemetry) -> None:
    srm_otel.record("tableapi_start", game_type="baccarat", table="B1", round_id="r1")
    srm_otel.cancel_round("baccarat", "B1", "r1", reason="dealer voided the round")

    assert telemetry.counter(semconv.ROUNDS, outcome="cancelled") == 1
    assert telemetry.runtime.tracker.open_rounds == 0


class Table:
    def __init__(self, name: str, clock: Any) -> None:
        self.name = name
        self.clock = clock

    @srm_otel.instrument_round(game_type="roulette", table="self.name", round_id="arg.round_id")
    def play(self, round_id: str, spin_s: float) -> str:
        srm_otel.record("roulette_x2")
        self.clock.advance(spin_s)
        srm_otel.record("roulette_x3")
        return "done"

    @srm_otel.instrument_round(
        game_type=lambda self, round_id: "sicbo",
        table="self.name",
        round_id="arg.round_id",
    )
    async def shake(self, round_id: str) -> int:
        srm_otel.record("sicbo_shaker_start")
        await asyncio.sleep(0)
        self.clock.advance(9.0)
        srm_otel.record("sicbo_shaker_stop")
        return 6


def test_decorator_keeps_the_signature_and_makes_each_call_a_round(
    telemetry: CapturedTelemetry,
) -> None:
    table = Table("PRD", telemetry.clock)

    assert table.play("r1", spin_s=8.0) == "done"
    assert table.play(round_id="r2", spin_s=7.0) == "done"

    assert list(inspect.signature(Table.play).parameters) == ["self", "round_id", "spin_s"]
    assert telemetry.histogram(semconv.INTERVAL_DURATION, interval="*X;2-to-*X;3") == (2, 15.0)
    rounds = sorted(s.attributes[semconv.ROUND_ID] for s in telemetry.spans("roulette round"))  # type: ignore[index]
    assert rounds == ["r1", "r2"]


def test_async_rounds_keep_their_own_context_across_awaits(
    telemetry: CapturedTelemetry,
) -> None:
    tables = [Table(f"SBO-00{i}", telemetry.clock) for i in range(1, 4)]

    async def main() -> list[int]:
        return await asyncio.gather(*(t.shake(f"r{i}") for i, t in enumerate(tables)))

    assert asyncio.run(main()) == [6, 6, 6]
    assert inspect.iscoroutinefunction(Table.shake)
    for i, table in enumerate(tables):
        assert telemetry.counter(semconv.EVENTS, table=table.name, event_outcome="accepted") == 2
        assert telemetry.counter(semconv.ROUNDS, table=table.name, outcome="completed") == 1
        [span] = [
            s
            for s in telemetry.spans("sicbo round")
            if (s.attributes or {})[semconv.TABLE_ID] == table.name
        ]
        assert (span.attributes or {})[semconv.ROUND_ID] == f"r{i}"


def test_decorator_with_an_unresolvable_source_still_runs_the_function(
    telemetry: CapturedTelemetry, monkeypatch: pytest.MonkeyPatch
) -> None:
    from srm_otel import _guard

    monkeypatch.setattr(_guard, "RAISE_INTERNAL_ERRORS", False)

    @srm_otel.instrument_round(game_type="roulette", table="self.missing", round_id="r1")
    def run(self: object) -> int:
        return 3

    assert run(object()) == 3
    assert telemetry.spans() == []


def test_older_helpers_report_the_same_events(telemetry: CapturedTelemetry) -> None:
    roulette = legacy.RouletteMonitor()
    sicbo = legacy.SicboMonitor()
    t0 = 1_767_000_000.0

    roulette.record_tableapi_start("PRD", "r1", timestamp=t0)
    roulette.record_roulette_x2("PRD", "r1", warning_flag=1, timestamp=t0 + 1)
    roulette.record_roulette_x3("PRD", "r1", timestamp=t0 + 11)
    roulette.record_roulette_x4("PRD", "r1", timestamp=t0 + 12)
    roulette.record_roulette_x5("PRD", "r1", winning_number=32, timestamp=t0 + 14)
    roulette.record_tableapi_betstop("PRD", "r1", timestamp=t0 + 0.5)
    roulette.record_tableapi_deal("PRD", "r1", winning_number=32, timestamp=t0 + 15)
    roulette.record_tableapi_finish("PRD", "r1", timestamp=t0 + 16)
    sicbo.record_shaker_start("SBO-001", 9, command="S1", timestamp=t0)
    sicbo.record_shaker_stop("SBO-001", 9, state="S2", timestamp=t0 + 10)
    sicbo.record_shaker_s0("SBO-001", 9, timestamp=t0 + 11)
    sicbo.record_idp_send("SBO-001", 9, command="D", timestamp=t0 + 12)
    sicbo.record_idp_receive("SBO-001", 9, result="1,2,3", timestamp=t0 + 13)
    legacy.publish_event("tableapi_start", "baccarat", "B1", "r7", timestamp=t0)
    legacy.BaccaratMonitor().record_tableapi_betstop("B1", "r7", timestamp=t0 + 20)

    assert telemetry.counter(semconv.EVENTS, event_outcome="accepted") == 15
    assert telemetry.counter(semconv.ROUNDS, outcome="completed", game_type="roulette") == 1
    assert telemetry.histogram(semconv.INTERVAL_DURATION, interval="*X;2-to-*X;3") == (1, 10.0)
    assert telemetry.histogram(semconv.INTERVAL_DURATION, game_type="sicbo") == (3, 12.0)
    assert telemetry.histogram(semconv.INTERVAL_DURATION, game_type="baccarat") == (1, 20.0)
    [x5] = [e for e in telemetry.spans("roulette round")[0].events if e.name == "roulette_x5"]
    assert dict(x5.attributes or {}) == {"winning_number": 32}


def test_statistics_give_the_older_monitor_figures(telemetry: CapturedTelemetry) -> None:
    t0 = 1_767_000_000.0
    for i, gap in enumerate([10.0, 12.0, 14.0, 30.0]):
        rid = f"r{i}"
        srm_otel.record(
            "tableapi_start", game_type="baccarat", table="B1", round_id=rid, timestamp=t0 + 100 * i
        )
        srm_otel.record(
            "tableapi_betstop",
            game_type="baccarat",
            table="B1",
            round_id=rid,
            timestamp=t0 + 100 * i + gap,
        )

    [summary] = srm_otel.statistics()
    assert (summary.interval, summary.count, summary.out_of_range) == ("start-to-betstop", 4, 1)
    assert (summary.minimum, summary.maximum, summary.mean, summary.median) == (
        10.0,
        30.0,
        16.5,
        13.0,
    )
    assert summary.last == (10.0, 12.0, 14.0, 30.0)
    assert summary.p95 == 30.0
    assert not summary.is_outlier(14.0)
    assert summary.is_outlier(40.0)
    assert legacy.BaccaratMonitor().get_interval_statistics(table="B1") == {
        "start-to-betstop": {
            "count": 4,
            "min": 10.0,
            "max": 30.0,
            "mean": 16.5,
            "median": 13.0,
            "std_dev": summary.stdev,
            "last_values": [10.0, 12.0, 14.0, 30.0],
            "outliers": [],
        }
    }
    assert legacy.RouletteMonitor().get_interval_statistics() == {}
