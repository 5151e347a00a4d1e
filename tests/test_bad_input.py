"""Bad input is counted and dropped, never raised; internal errors degrade to a no-op."""

from __future__ import annotations

import logging
import math
from typing import Any

import pytest

import srm_otel
from srm_otel import _guard, semconv
from srm_otel.testing import CapturedTelemetry
from tests.studio import play

GOOD: dict[str, Any] = {"game_type": "roulette", "table": "PRD", "round_id": "r1"}


def outcomes(telemetry: CapturedTelemetry) -> dict[tuple[str, str], float]:
    """(event name, outcome) -> count, across games and tables."""
    found: dict[tuple[str, str], float] = {}
    for point in telemetry.points(semconv.EVENTS):
        attrs = point.attributes or {}
        key = (str(attrs[semconv.EVENT_NAME]), str(attrs[semconv.EVENT_OUTCOME]))
        found[key] = found.get(key, 0) + point.value
    return found


@pytest.mark.parametrize(
    "identity",
    [
        {"game_type": None},
        {"table": None},
        {"round_id": None},
        {"table": ""},
        {"table": "   "},
        {"table": "T" * 65},
        {"round_id": "9" * 129},
        {"game_type": "g" * 33},
        {"table": "PR\nD"},
        {"table": "P\x00RD"},
        {"round_id": 1.5},
        {"round_id": True},
        {"table": ["PRD"]},
        {"game_type": object()},
    ],
)
def test_unusable_identity_is_counted_as_invalid(
    telemetry: CapturedTelemetry, identity: dict[str, Any]
) -> None:
    srm_otel.record("tableapi_start", **{**GOOD, **identity})

    assert outcomes(telemetry) == {("tableapi_start", "invalid"): 1}
    assert telemetry.spans() == []


def test_missing_identity_outside_a_round_is_invalid(telemetry: CapturedTelemetry) -> None:
    srm_otel.record("tableapi_start")

    assert outcomes(telemetry) == {("tableapi_start", "invalid"): 1}


@pytest.mark.parametrize(
    "timestamp",
    [math.nan, math.inf, -1.0, 0.0, 1_767_225_600_000.0, "1767225600", True, [1.0]],
)
def test_invalid_timestamp_is_counted_as_invalid(
    telemetry: CapturedTelemetry, timestamp: Any
) -> None:
    srm_otel.record("tableapi_start", timestamp=timestamp, **GOOD)

    assert outcomes(telemetry) == {("tableapi_start", "invalid"): 1}


def test_unknown_event_names_share_one_series(telemetry: CapturedTelemetry) -> None:
    for name in ("roulette_x9", "drop table", "x" * 64, "x" * 65, 7, None):
        srm_otel.record(name, **GOOD)  # type: ignore[arg-type]

    assert outcomes(telemetry) == {("_unknown", "unknown_event"): 3, ("_unknown", "invalid"): 3}


def test_sicbo_event_on_a_roulette_table_is_unknown(telemetry: CapturedTelemetry) -> None:
    srm_otel.record("sicbo_shaker_start", **GOOD)

    assert outcomes(telemetry) == {("sicbo_shaker_start", "unknown_event"): 1}


def test_duplicate_event_keeps_the_first_timestamp(telemetry: CapturedTelemetry) -> None:
    play(telemetry, "roulette", "PRD", "r1", [("tableapi_start", 0.0), ("tableapi_start", 2.0)])
    play(telemetry, "roulette", "PRD", "r1", [("tableapi_betstop", 10.0)])

    assert outcomes(telemetry) == {
        ("tableapi_start", "accepted"): 1,
        ("tableapi_start", "duplicate"): 1,
        ("tableapi_betstop", "accepted"): 1,
    }
    assert telemetry.histogram(semconv.INTERVAL_DURATION) == (1, 12.0)


def test_events_arriving_out_of_order_still_give_the_interval(
    telemetry: CapturedTelemetry,
) -> None:
    t0 = 1_767_000_000.0
    srm_otel.record("tableapi_betstop", timestamp=t0 + 9.0, **GOOD)
    srm_otel.record("tableapi_start", timestamp=t0, **GOOD)

    assert telemetry.histogram(semconv.INTERVAL_DURATION, interval="start-to-betstop") == (1, 9.0)


def test_timestamps_contradicting_the_round_order_are_dropped(
    telemetry: CapturedTelemetry,
) -> None:
    t0 = 1_767_000_000.0
    srm_otel.record("tableapi_start", timestamp=t0, **GOOD)
    srm_otel.record("tableapi_betstop", timestamp=t0 - 5.0, **GOOD)

    assert outcomes(telemetry) == {
        ("tableapi_start", "accepted"): 1,
        ("tableapi_betstop", "reordered"): 1,
    }
    assert telemetry.histogram(semconv.INTERVAL_DURATION) == (0, 0)


def test_event_data_is_cleaned_to_span_attributes(telemetry: CapturedTelemetry) -> None:
    srm_otel.record(
        "tableapi_deal",
        cards=["AS", "KD"],
        note="n" * 1000,
        missing=None,
        ratio=0.5,
        **GOOD,
    )
    srm_otel.record("tableapi_finish", **GOOD)

    [span] = telemetry.spans("roulette round")
    assert dict(span.events[0].attributes or {}) == {
        "cards": "['AS', 'KD']",
        "note": "n" * 256,
        "ratio": 0.5,
    }


def test_dropped_events_are_logged_with_throttling(
    telemetry: CapturedTelemetry, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="srm_otel"):
        for _ in range(50):
            srm_otel.record("nonsense", **GOOD)

    messages = [r.getMessage() for r in caplog.records if r.name == "srm_otel"]
    assert messages == [
        "dropping unknown_event event 'nonsense' for roulette table 'PRD'; counted in srm.events"
    ]


def test_internal_errors_are_logged_once_and_swallowed_outside_our_tests(
    telemetry: CapturedTelemetry,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    def broken(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("sink bug")

    monkeypatch.setattr(telemetry.runtime.sink, "event_accepted", broken)
    monkeypatch.setattr(_guard, "RAISE_INTERNAL_ERRORS", False)
    monkeypatch.setattr(_guard, "_reported", set())

    with caplog.at_level(logging.ERROR, logger="srm_otel"):
        srm_otel.record("tableapi_start", **GOOD)
        srm_otel.record("tableapi_start", **{**GOOD, "round_id": "r2"})

    errors = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert len(errors) == 1
    assert "game continues with less telemetry" in errors[0].getMessage()


def test_internal_errors_reraise_under_our_own_tests(
    telemetry: CapturedTelemetry, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("sink bug")

    monkeypatch.setattr(telemetry.runtime.sink, "event_accepted", broken)

    with pytest.raises(RuntimeError, match="sink bug"):
        srm_otel.record("tableapi_start", **GOOD)
