"""Every interval of DOMAIN.md, in-round and cross-round, measured exactly."""

from __future__ import annotations

from typing import Any

import pytest

import srm_otel
from srm_otel import semconv
from srm_otel.testing import CapturedTelemetry
from tests.studio import ROULETTE_ROUND, SICBO_ROUND, play

TABLEAPI_ONLY = (
    ("tableapi_start", 0.0),
    ("tableapi_betstop", 15.0),
    ("tableapi_deal", 4.5),
    ("tableapi_finish", 1.5),
)


def measured(telemetry: CapturedTelemetry) -> dict[tuple[str, str], float]:
    """(round id, interval) -> seconds, read from the interval logs."""
    found = {}
    for entry in telemetry.logs():
        attrs = entry.log_record.attributes or {}
        if semconv.INTERVAL_NAME in attrs:
            key = (str(attrs[semconv.ROUND_ID]), str(attrs[semconv.INTERVAL_NAME]))
            found[key] = float(attrs[semconv.INTERVAL_DURATION_S])  # type: ignore[arg-type]
    return found


def two_rounds(telemetry: CapturedTelemetry, game: str, table: str, steps: Any) -> None:
    play(telemetry, game, table, "r1", steps)
    telemetry.clock.advance(3.0)
    play(telemetry, game, table, "r2", steps)


def test_roulette_intervals_in_round_and_across_rounds(telemetry: CapturedTelemetry) -> None:
    two_rounds(telemetry, "roulette", "PRD", ROULETTE_ROUND)

    per_round = {
        "start-to-betstop": 12.0,
        "betstop-to-deal": 13.5,
        "deal-to-finish": 2.0,
        "*X;2-to-*X;3": 9.0,
        "*X;3-to-*X;4": 1.25,
        "*X;4-to-*X;5": 2.0,
    }
    expected = {("r1", k): v for k, v in per_round.items()}
    expected |= {("r2", k): v for k, v in per_round.items()}
    expected[("r2", "finish-to-start")] = 3.0
    expected[("r2", "*X;5-to-*X;2")] = 2.75 + 3.0 + 12.5
    assert measured(telemetry) == expected


def test_sicbo_intervals_in_round_and_across_rounds(telemetry: CapturedTelemetry) -> None:
    two_rounds(telemetry, "sicbo", "SBO-001", SICBO_ROUND)

    per_round = {
        "start-to-betstop": 15.5,
        "betstop-to-deal": 2.25,
        "deal-to-finish": 2.5,
        "shakerShake-to-shakerStop": 10.0,
        "sendDetect-to-receiveResult": 1.5,
        "shakerS0-to-idpSend": 4.25,
    }
    expected = {("r1", k): v for k, v in per_round.items()}
    expected |= {("r2", k): v for k, v in per_round.items()}
    expected[("r2", "finish-to-start")] = 3.0
    expected[("r2", "shakerStop-to-shakerShake")] = 9.25 + 3.0 + 1.0
    expected[("r2", "receiveResult-to-sendDetect")] = 3.0 + 3.0 + 15.75
    assert measured(telemetry) == expected


@pytest.mark.parametrize("game", ["baccarat", "blackjack"])
def test_table_api_games_measure_the_table_api_intervals(
    telemetry: CapturedTelemetry, game: str
) -> None:
    two_rounds(telemetry, game, "BAC-01", TABLEAPI_ONLY)

    per_round = {"start-to-betstop": 15.0, "betstop-to-deal": 4.5, "deal-to-finish": 1.5}
    expected = {(rid, k): v for rid in ("r1", "r2") for k, v in per_round.items()}
    expected[("r2", "finish-to-start")] = 3.0
    assert measured(telemetry) == expected


def test_round_duration_and_outcome_metrics(telemetry: CapturedTelemetry) -> None:
    two_rounds(telemetry, "roulette", "PRD", ROULETTE_ROUND)

    assert telemetry.histogram(semconv.ROUND_DURATION, game_type="roulette", table="PRD") == (
        2,
        55.0,
    )
    assert telemetry.counter(semconv.ROUNDS, outcome="completed", table="PRD") == 2
    assert telemetry.counter(semconv.ROUNDS_ACTIVE, table="PRD") == 0
    assert telemetry.counter(semconv.EVENTS, event_outcome="accepted") == 16
    assert telemetry.histogram(semconv.INTERVAL_DURATION, interval="*X;2-to-*X;3") == (2, 18.0)


def test_histograms_use_second_buckets(telemetry: CapturedTelemetry) -> None:
    play(telemetry, "roulette", "PRD", "r1", ROULETTE_ROUND)

    for name in (semconv.INTERVAL_DURATION, semconv.ROUND_DURATION):
        bounds = {tuple(p.explicit_bounds) for p in telemetry.points(name)}
        assert bounds == {semconv.DURATION_BUCKETS_S}


def test_every_instrument_has_the_contract_unit_and_a_description(
    telemetry: CapturedTelemetry,
) -> None:
    play(telemetry, "roulette", "PRD", "r1", ROULETTE_ROUND)
    srm_otel.record("nonsense", game_type="roulette", table="PRD", round_id="r2")

    units = {name: unit for name, (unit, _) in telemetry.metric_units().items()}
    assert units == {
        "srm.interval.duration": "s",
        "srm.round.duration": "s",
        "srm.rounds": "{round}",
        "srm.interval.out_of_range": "{interval}",
        "srm.events": "{event}",
        "srm.rounds.active": "{round}",
    }
    assert all(description for _, description in telemetry.metric_units().values())


def test_round_id_is_never_a_metric_attribute(telemetry: CapturedTelemetry) -> None:
    two_rounds(telemetry, "sicbo", "SBO-001", SICBO_ROUND)
    play(telemetry, "roulette", "PRD", "stuck", ROULETTE_ROUND[:3])
    telemetry.clock.advance(400)
    telemetry.sweep()

    keys = set()
    for name in telemetry.metric_units():
        for point in telemetry.points(name):
            keys |= set(point.attributes or {})
    assert semconv.ROUND_ID not in keys
    assert keys <= {
        semconv.GAME_TYPE,
        semconv.TABLE_ID,
        semconv.INTERVAL_NAME,
        semconv.ROUND_OUTCOME,
        semconv.EVENT_NAME,
        semconv.EVENT_OUTCOME,
        semconv.INTERVAL_BOUND,
    }


def test_out_of_range_intervals_are_counted_marked_and_warned(
    telemetry: CapturedTelemetry,
) -> None:
    fast_ball = [(e, 0.25 if e == "roulette_x4" else d) for e, d in ROULETTE_ROUND]
    play(telemetry, "roulette", "PRD", "r1", fast_ball)

    oor = semconv.INTERVAL_OUT_OF_RANGE
    assert telemetry.counter(oor, interval="betstop-to-deal", bound="high") == 1
    assert telemetry.counter(oor, interval="*X;3-to-*X;4", bound="low") == 1
    assert telemetry.counter(oor) == 2
    [span] = telemetry.spans("*X;3-to-*X;4")
    assert span.attributes is not None
    assert span.attributes[semconv.INTERVAL_BOUND] == "low"
    warnings = [e.log_record for e in telemetry.logs() if e.log_record.severity_text == "WARN"]
    assert sorted(str(w.body) for w in warnings) == [
        "Time interval: *X;3-to-*X;4 = 0.250s for roulette table PRD round r1 "
        "(outside the expected 0.5-2s)",
        "Time interval: betstop-to-deal = 12.500s for roulette table PRD round r1 "
        "(outside the expected 1-5s)",
    ]


def test_interval_without_expected_range_is_never_out_of_range(
    telemetry: CapturedTelemetry,
) -> None:
    slow_s0 = [(e, 100.0 if e == "tableapi_betstop" else d) for e, d in SICBO_ROUND]
    play(telemetry, "sicbo", "SBO-001", "r1", slow_s0)

    assert telemetry.counter(semconv.INTERVAL_OUT_OF_RANGE, interval="shakerS0-to-idpSend") == 0
    assert measured(telemetry)[("r1", "shakerS0-to-idpSend")] == 100.25


def test_explicit_posix_timestamps_give_exact_intervals(telemetry: CapturedTelemetry) -> None:
    t0 = 1_767_000_000.0
    for event, offset in [("tableapi_start", 0.0), ("tableapi_betstop", 7.125)]:
        srm_otel.record(event, game_type="baccarat", table="B1", round_id=42, timestamp=t0 + offset)

    assert measured(telemetry) == {("42", "start-to-betstop"): 7.125}
