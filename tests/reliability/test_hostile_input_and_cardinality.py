"""Hostile strings stay within OpenTelemetry's attribute limits; one faulty caller
cannot flood Prometheus with series.

OpenTelemetry's SDK keeps at most 128 attributes on a span, event or log by
default and leaves string length unbounded; srm_otel bounds lengths itself,
so whatever a caller sends, no attribute value is longer than 256 characters.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping
from typing import Any

import pytest

import srm_otel
from srm_otel import semconv
from srm_otel.testing import CapturedTelemetry, capture

OTEL_ATTRIBUTE_COUNT_LIMIT = 128
LONGEST_VALUE = 256
HUGE = "x" * 100_000

HOSTILE_IDENTITIES = (
    HUGE,
    "PRD\nlevel=ERROR injected=1",
    "PRD\x00",
    "\x1b[31mred",
    "",
    "   ",
)


def all_attributes(telemetry: CapturedTelemetry) -> Iterator[Mapping[str, Any]]:
    for span in telemetry.spans():
        yield span.attributes or {}
        for event in span.events:
            yield event.attributes or {}
    for entry in telemetry.logs():
        yield entry.log_record.attributes or {}
    data = telemetry.metric_reader.get_metrics_data()
    for resource_metrics in data.resource_metrics if data else ():
        for scope_metrics in resource_metrics.scope_metrics:
            for metric in scope_metrics.metrics:
                for point in metric.data.data_points:
                    yield point.attributes or {}


def play_round(**identity: Any) -> None:
    for event in ("tableapi_start", "tableapi_betstop", "tableapi_deal", "tableapi_finish"):
        srm_otel.record(event, **identity)


def test_hostile_identities_are_rejected_and_counted(telemetry: CapturedTelemetry) -> None:
    for hostile in HOSTILE_IDENTITIES:
        play_round(game_type="baccarat", table=hostile, round_id="r1")
        play_round(game_type="baccarat", table="B1", round_id=hostile)
        play_round(game_type=hostile, table="B1", round_id="r2")
        srm_otel.record(hostile, game_type="baccarat", table="B1", round_id="r3")

    assert telemetry.spans() == []
    assert telemetry.logs() == []
    assert telemetry.counter(semconv.EVENTS, event_outcome="invalid") == 3 * 4 * 6 + 6


def test_hostile_event_data_is_cut_to_the_limits(telemetry: CapturedTelemetry) -> None:
    data = {f"key{i}": HUGE for i in range(200)}
    srm_otel.record("tableapi_start", game_type="baccarat", table="B1", round_id="r1", **data)
    srm_otel.record(
        "tableapi_deal", game_type="baccarat", table="B1", round_id="r1", cards=[HUGE] * 50
    )
    srm_otel.record("tableapi_finish", game_type="baccarat", table="B1", round_id="r1")

    attribute_sets = list(all_attributes(telemetry))
    assert telemetry.spans()
    for attributes in attribute_sets:
        assert len(attributes) <= OTEL_ATTRIBUTE_COUNT_LIMIT
        for value in attributes.values():
            assert len(str(value)) <= LONGEST_VALUE
    for entry in telemetry.logs():
        assert len(str(entry.log_record.body)) <= 1024


def test_round_id_is_on_spans_and_logs_but_never_on_a_metric(
    telemetry: CapturedTelemetry,
) -> None:
    for number in range(1, 4):
        play_round(game_type="baccarat", table="B1", round_id=f"round-{number}")

    assert {s.attributes.get(semconv.ROUND_ID) for s in telemetry.spans("baccarat round")} == {
        "round-1",
        "round-2",
        "round-3",
    }
    assert all(
        (entry.log_record.attributes or {}).get(semconv.ROUND_ID) for entry in telemetry.logs()
    )
    data = telemetry.metric_reader.get_metrics_data()
    assert data is not None
    for resource_metrics in data.resource_metrics:
        for scope_metrics in resource_metrics.scope_metrics:
            for metric in scope_metrics.metrics:
                for point in metric.data.data_points:
                    assert semconv.ROUND_ID not in (point.attributes or {}), metric.name


def test_tables_beyond_the_cap_share_the_overflow_table_with_one_warning(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with (
        caplog.at_level(logging.WARNING, logger="srm_otel"),
        capture({"rounds": {"max_tables": 3}}) as telemetry,
    ):
        for table in range(1, 201):
            play_round(game_type="baccarat", table=f"B{table}", round_id="r1")
        table_ids = {
            attributes.get(semconv.TABLE_ID)
            for attributes in all_attributes(telemetry)
            if semconv.TABLE_ID in attributes
        }
        overflowed = telemetry.counter(
            semconv.EVENTS, table=semconv.OVERFLOW_TABLE, event_outcome="overflow"
        )

    assert table_ids == {"B1", "B2", "B3", semconv.OVERFLOW_TABLE}
    assert overflowed == 197 * 4
    warnings = [r.getMessage() for r in caplog.records if "rounds.max_tables" in r.getMessage()]
    assert len(warnings) == 1, warnings
