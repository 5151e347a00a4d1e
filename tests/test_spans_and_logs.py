"""Round spans, interval child spans, span events, links and interval logs."""

from __future__ import annotations

import srm_otel
from srm_otel import semconv
from srm_otel.testing import DEFAULT_START, CapturedTelemetry
from tests.studio import ROULETTE_ROUND, play

NS = 1_000_000_000


def ns(offset_s: float) -> int:
    return int((DEFAULT_START + offset_s) * NS)


def test_round_span_runs_from_start_to_finish_with_interval_children(
    telemetry: CapturedTelemetry,
) -> None:
    play(telemetry, "roulette", "PRD", "r1", ROULETTE_ROUND)

    [round_span] = telemetry.spans("roulette round")
    assert (round_span.start_time, round_span.end_time) == (ns(0), ns(27.5))
    assert dict(round_span.attributes or {}) == {
        semconv.GAME_TYPE: "roulette",
        semconv.TABLE_ID: "PRD",
        semconv.ROUND_ID: "r1",
        semconv.ROUND_OUTCOME: "completed",
    }
    children = [s for s in telemetry.spans() if s.parent is not None]
    assert sorted(s.name for s in children) == sorted(
        [
            "start-to-betstop",
            "betstop-to-deal",
            "deal-to-finish",
            "*X;2-to-*X;3",
            "*X;3-to-*X;4",
            "*X;4-to-*X;5",
        ]
    )
    round_ctx = round_span.get_span_context()
    assert {s.parent.span_id for s in children if s.parent} == {round_ctx.span_id}
    assert {s.context.trace_id for s in children if s.context} == {round_ctx.trace_id}
    [x2_x3] = telemetry.spans("*X;2-to-*X;3")
    assert (x2_x3.start_time, x2_x3.end_time) == (ns(12.5), ns(21.5))


def test_device_events_become_span_events_with_their_data(telemetry: CapturedTelemetry) -> None:
    srm_otel.record("tableapi_start", game_type="roulette", table="PRD", round_id="r1")
    telemetry.clock.advance(1.0)
    srm_otel.record(
        "roulette_x2", game_type="roulette", table="PRD", round_id="r1", warning_flag=True
    )
    telemetry.clock.advance(8.0)
    srm_otel.record(
        "roulette_x5", game_type="roulette", table="PRD", round_id="r1", winning_number=17
    )
    srm_otel.record("tableapi_finish", game_type="roulette", table="PRD", round_id="r1")

    [round_span] = telemetry.spans("roulette round")
    events = [(e.name, e.timestamp, dict(e.attributes or {})) for e in round_span.events]
    assert events == [
        ("tableapi_start", ns(0), {}),
        ("roulette_x2", ns(1), {"warning_flag": True}),
        ("roulette_x5", ns(9), {"winning_number": 17}),
        ("tableapi_finish", ns(9), {}),
    ]


def test_cross_round_interval_is_a_span_of_the_later_round_linked_to_the_earlier(
    telemetry: CapturedTelemetry,
) -> None:
    play(telemetry, "roulette", "PRD", "r1", ROULETTE_ROUND)
    telemetry.clock.advance(4.0)
    play(telemetry, "roulette", "PRD", "r2", ROULETTE_ROUND[:1])

    [r1] = telemetry.spans("roulette round")
    [gap] = telemetry.spans("finish-to-start")
    assert (gap.start_time, gap.end_time) == (ns(27.5), ns(31.5))
    assert [link.context.span_id for link in gap.links] == [r1.get_span_context().span_id]
    assert gap.attributes is not None
    assert gap.attributes[semconv.ROUND_ID] == "r2"
    assert gap.attributes[semconv.PREVIOUS_ROUND_ID] == "r1"
    assert gap.attributes[semconv.INTERVAL_SCOPE] == "cross-round"
    assert gap.context is not None and gap.parent is not None
    assert gap.context.trace_id != r1.get_span_context().trace_id


def test_one_log_per_interval_in_the_older_format_with_trace_context(
    telemetry: CapturedTelemetry,
) -> None:
    play(telemetry, "roulette", "PRD", "r1", ROULETTE_ROUND[:2])

    [entry] = telemetry.logs()
    record = entry.log_record
    assert (
        record.body == "Time interval: start-to-betstop = 12.000s for roulette table PRD round r1"
    )
    assert (record.severity_text, record.timestamp) == ("INFO", ns(12))
    assert dict(record.attributes or {}) == {
        semconv.GAME_TYPE: "roulette",
        semconv.TABLE_ID: "PRD",
        semconv.INTERVAL_NAME: "start-to-betstop",
        semconv.ROUND_ID: "r1",
        semconv.INTERVAL_DURATION_S: 12.0,
    }
    [span] = telemetry.spans("start-to-betstop")
    assert span.context is not None
    assert (record.trace_id, record.span_id) == (span.context.trace_id, span.context.span_id)


def test_resource_names_service_instance_and_site() -> None:
    from srm_otel.testing import capture

    with capture({"service_name": "roulette-speed", "site": "TPE"}) as telemetry:
        play(telemetry, "roulette", "PRD", "r1", ROULETTE_ROUND[:2])
        [span] = telemetry.spans("start-to-betstop")

    attrs = dict(span.resource.attributes)
    assert attrs[semconv.SERVICE_NAME] == "roulette-speed"
    assert attrs[semconv.SITE] == "TPE"
    assert str(attrs[semconv.SERVICE_INSTANCE_ID])
