"""Property-based tests: whatever a faulty caller reports, srm_otel stays within its bounds.

Hypothesis draws event sequences with random names, identities, timestamps,
event data and clock steps, mixing the studio's real events with nonsense.
Under this suite internal errors re-raise (tests/conftest.py), so "no
exception reaches the caller" also means no internal error was swallowed.
"""

from __future__ import annotations

import math
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import srm_otel
from srm_otel import semconv
from srm_otel.testing import CapturedTelemetry, FakeClock, capture

MAX_TABLES = 4
MAX_OPEN_PER_TABLE = 3
ROUND_TIMEOUT_S = 120.0
CONFIG = {
    "rounds": {
        "max_tables": MAX_TABLES,
        "max_open_per_table": MAX_OPEN_PER_TABLE,
        "timeout_s": ROUND_TIMEOUT_S,
    }
}
START = FakeClock().now()

STUDIO_EVENTS = (
    "tableapi_start",
    "tableapi_betstop",
    "tableapi_deal",
    "tableapi_finish",
    "roulette_x2",
    "roulette_x3",
    "roulette_x4",
    "roulette_x5",
    "sicbo_shaker_start",
    "sicbo_shaker_stop",
    "sicbo_shaker_s0",
    "sicbo_idp_send",
    "sicbo_idp_receive",
)
ROULETTE_EVENTS = STUDIO_EVENTS[:8]
HOSTILE_TEXT = st.one_of(
    st.text(max_size=40),
    st.text(min_size=200, max_size=5000),
    st.sampled_from(["", " ", "\n", "\x00", "PRD\r\nX-Injected: 1", '{job=~".+"}', "🎲" * 70]),
)

event_names = st.one_of(st.sampled_from(STUDIO_EVENTS), HOSTILE_TEXT, st.none(), st.integers())
game_types = st.one_of(st.sampled_from(["roulette", "sicbo", "baccarat"]), HOSTILE_TEXT, st.none())
tables = st.one_of(st.sampled_from(["PRD", "VIP-01", "SBO-001"]), HOSTILE_TEXT, st.integers())
round_ids = st.one_of(
    st.integers(min_value=0, max_value=6).map(lambda n: f"r{n}"),
    st.integers(),
    HOSTILE_TEXT,
    st.none(),
    st.floats(),
)
timestamps = st.one_of(
    st.none(),
    st.floats(min_value=START - 600, max_value=START + 600),
    st.floats(allow_nan=True, allow_infinity=True),
    st.integers(),
    st.booleans(),
    st.text(max_size=5),
)
data_values = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(), HOSTILE_TEXT, st.lists(st.integers())
)
event_data = st.dictionaries(
    st.sampled_from(["result", "command", "warning_flag", "state", "x" * 300, "é"]),
    data_values,
    max_size=4,
)
clock_steps = st.floats(min_value=0, max_value=200)
hostile_step = st.tuples(
    event_names, game_types, tables, round_ids, timestamps, event_data, clock_steps
)


@st.composite
def studio_round(draw: st.DrawFn) -> list[tuple[Any, ...]]:
    """One roulette round as a device reports it: events skipped, repeated or reordered,
    stamped by the caller (times in script order) or by srm_otel on arrival."""
    table = draw(st.sampled_from(["PRD", "VIP-01"]))
    round_id = draw(st.integers(min_value=0, max_value=3).map(lambda n: f"r{n}"))
    gaps = draw(st.lists(st.floats(min_value=0, max_value=30), min_size=8, max_size=8))
    first = START + draw(st.floats(min_value=-600, max_value=600))
    stamped = draw(st.booleans())
    events = []
    for offset, (event, gap) in enumerate(zip(ROULETTE_EVENTS, gaps, strict=True)):
        timestamp = first + sum(gaps[:offset]) if stamped else None
        events.append((event, "roulette", table, round_id, timestamp, {}, gap))
    kept = draw(st.lists(st.sampled_from(events), max_size=12))
    return draw(st.one_of(st.just(events), st.just(kept), st.permutations(events)))


steps = st.lists(st.one_of(studio_round(), hostile_step.map(lambda step: [step])), max_size=10).map(
    lambda parts: [step for part in parts for step in part]
)
"""Rounds of plausible events interleaved with hostile ones."""
PROPERTY_SETTINGS = settings(
    max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)


def play(telemetry: CapturedTelemetry, sequence: list[tuple[Any, ...]]) -> None:
    for event, game_type, table, round_id, timestamp, data, advance_s in sequence:
        telemetry.clock.advance(advance_s)
        srm_otel.record(
            event,  # type: ignore[arg-type]
            game_type=game_type,
            table=table,
            round_id=round_id,
            timestamp=timestamp,
            **data,
        )
        open_rounds = telemetry.runtime.tracker.open_rounds
        assert open_rounds <= MAX_TABLES * MAX_OPEN_PER_TABLE
        assert telemetry.runtime.tracker.table_count <= MAX_TABLES
    telemetry.clock.advance(ROUND_TIMEOUT_S)
    telemetry.sweep()
    assert telemetry.runtime.tracker.open_rounds == 0


@PROPERTY_SETTINGS
@given(steps)
def test_random_sequences_never_raise_and_memory_stays_bounded(
    sequence: list[tuple[Any, ...]],
) -> None:
    with capture(CONFIG) as telemetry:
        play(telemetry, sequence)


@PROPERTY_SETTINGS
@given(steps)
def test_every_accepted_interval_is_non_negative(sequence: list[tuple[Any, ...]]) -> None:
    with capture(CONFIG) as telemetry:
        play(telemetry, sequence)
        points = telemetry.points(semconv.INTERVAL_DURATION) + telemetry.points(
            semconv.ROUND_DURATION
        )
        spans = telemetry.spans()
        logs = telemetry.logs()

    for point in points:
        assert point.count == 0 or (math.isfinite(point.min) and point.min >= 0)
    for span in spans:
        assert span.end_time is not None and span.start_time is not None
        assert span.end_time >= span.start_time
    for entry in logs:
        seconds = (entry.log_record.attributes or {}).get(semconv.INTERVAL_DURATION_S)
        assert seconds is None or seconds >= 0


@PROPERTY_SETTINGS
@given(steps)
def test_round_id_never_reaches_a_metric(sequence: list[tuple[Any, ...]]) -> None:
    with capture(CONFIG) as telemetry:
        play(telemetry, sequence)
        data = telemetry.metric_reader.get_metrics_data()

    for resource_metrics in data.resource_metrics if data else ():
        for scope_metrics in resource_metrics.scope_metrics:
            for metric in scope_metrics.metrics:
                for point in metric.data.data_points:
                    assert semconv.ROUND_ID not in (point.attributes or {})
                    for exemplar in getattr(point, "exemplars", None) or ():
                        assert semconv.ROUND_ID not in (exemplar.filtered_attributes or {})
