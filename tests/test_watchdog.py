"""Rounds that never finish: the watchdog, a silent table, and bounded memory."""

from __future__ import annotations

import time

from opentelemetry.trace import StatusCode

import srm_otel
from srm_otel import _api, semconv
from srm_otel.testing import CapturedTelemetry, capture
from tests.studio import ROULETTE_ROUND, play


def test_silent_table_round_is_closed_as_incomplete_after_the_timeout(
    telemetry: CapturedTelemetry,
) -> None:
    play(telemetry, "roulette", "PRD", "r1", ROULETTE_ROUND[:4])
    telemetry.clock.advance(299.0 - 21.5)
    assert telemetry.sweep() == 0

    telemetry.clock.advance(1.0)
    assert telemetry.sweep() == 1

    [span] = telemetry.spans("roulette round")
    assert span.status.status_code is StatusCode.ERROR
    assert span.status.description == "no finish within 300s"
    assert span.attributes is not None
    assert span.attributes[semconv.ROUND_OUTCOME] == "incomplete"
    assert span.end_time == span.start_time + int(21.5e9)
    assert telemetry.counter(semconv.ROUNDS, outcome="incomplete", table="PRD") == 1
    assert telemetry.counter(semconv.ROUNDS_ACTIVE, table="PRD") == 0
    [error] = [e.log_record for e in telemetry.logs() if e.log_record.severity_text == "ERROR"]
    assert error.body == (
        "Round incomplete: roulette table PRD round r1 (no finish within 300s; events seen: "
        "tableapi_start, tableapi_betstop, roulette_x2, roulette_x3)"
    )
    assert (error.attributes or {})[semconv.ROUND_ID] == "r1"


def test_timeout_is_configurable_and_late_events_of_a_closed_round_are_dropped() -> None:
    with capture({"rounds": {"timeout_s": 30}}) as telemetry:
        play(telemetry, "baccarat", "B1", "r1", [("tableapi_start", 0.0)])
        telemetry.clock.advance(30.0)
        assert telemetry.sweep() == 1
        srm_otel.record("tableapi_finish", game_type="baccarat", table="B1", round_id="r1")

        assert telemetry.counter(semconv.EVENTS, event="tableapi_finish", event_outcome="late") == 1
        assert telemetry.counter(semconv.ROUNDS, outcome="completed") == 0


def test_open_rounds_per_table_are_bounded_by_evicting_the_oldest() -> None:
    with capture({"rounds": {"max_open_per_table": 3}}) as telemetry:
        for i in range(10):
            play(telemetry, "roulette", "PRD", f"r{i}", ROULETTE_ROUND[:2])

        assert telemetry.runtime.tracker.open_rounds == 3
        assert telemetry.counter(semconv.ROUNDS, outcome="incomplete") == 7
        assert telemetry.counter(semconv.ROUNDS_ACTIVE) == 3


def test_memory_stays_bounded_however_many_rounds_never_finish() -> None:
    config = {"rounds": {"max_open_per_table": 4, "max_tables": 20}}
    with capture(config) as telemetry:
        for i in range(5000):
            table = f"T{i % 50}"
            srm_otel.record("tableapi_start", game_type="sicbo", table=table, round_id=i)

        tracker = telemetry.runtime.tracker
        assert tracker.open_rounds == 20 * 4
        assert tracker.table_count == 20
        overflow = telemetry.counter(
            semconv.EVENTS, table=semconv.OVERFLOW_TABLE, event_outcome="overflow"
        )
        assert overflow == 5000 * 30 / 50


def test_shutdown_closes_open_rounds_as_incomplete() -> None:
    with capture() as telemetry:
        play(telemetry, "roulette", "PRD", "r1", ROULETTE_ROUND[:3])
        spans = telemetry.span_exporter
        srm_otel.shutdown()
        [span] = [s for s in spans.get_finished_spans() if s.name == "roulette round"]

    assert span.attributes is not None
    assert span.attributes[semconv.ROUND_OUTCOME] == "incomplete"


def test_the_watchdog_thread_closes_stuck_rounds_on_the_real_clock() -> None:
    with capture({"rounds": {"timeout_s": 0.2}}, watchdog=True) as telemetry:
        runtime = _api.get_runtime()
        assert runtime is not None
        runtime.clock = telemetry.clock = _RealClock()  # type: ignore[assignment]
        srm_otel.record("tableapi_start", game_type="baccarat", table="B1", round_id="r1")

        deadline = time.monotonic() + 10.0
        while runtime.tracker.open_rounds and time.monotonic() < deadline:
            time.sleep(0.02)

        assert runtime.tracker.open_rounds == 0
        assert telemetry.counter(semconv.ROUNDS, outcome="incomplete") == 1


class _RealClock:
    def now(self) -> float:
        return time.time()

    def advance(self, seconds: float) -> float:
        raise AssertionError("the real clock cannot be advanced")
