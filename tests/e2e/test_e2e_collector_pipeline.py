"""The collector on its own: contract metrics and logs from a plain SDK sender
reach a real Prometheus (scraping the prometheus exporter) and the Loki
stand-in, with the names, labels and tenant the contract promises."""

from __future__ import annotations

import time

import pytest
from opentelemetry.sdk.trace import TracerProvider

from tests.e2e.conftest import LOKI_TENANT
from tests.support.loki_standin import LokiStandin
from tests.support.net import wait_until
from tests.support.otlp_sender import ContractSender

pytestmark = pytest.mark.e2e

LABELS = "service_name, srm_site, srm_game_type, srm_table_id, srm_interval_name"

SENT = [
    ("roulette", "PRD", "start-to-betstop", "r1", 12.5),
    ("roulette", "PRD", "betstop-to-deal", "r1", 3.25),
    ("roulette", "PRD", "start-to-betstop", "r2", 14.0),
    ("roulette", "VIP-01", "start-to-betstop", "v1", 21.0),
    ("sicbo", "SBO-001", "shakerShake-to-shakerStop", "s1", 9.75),
]


def series(**labels: str) -> frozenset[tuple[str, str]]:
    return frozenset(labels.items())


def interval_series(
    game: str, table: str, interval: str, site: str = "GE"
) -> frozenset[tuple[str, str]]:
    return series(
        service_name="e2e-sender",
        srm_site=site,
        srm_game_type=game,
        srm_table_id=table,
        srm_interval_name=interval,
    )


@pytest.mark.parametrize("protocol", ["grpc", "http/protobuf"])
def test_metrics_and_logs_reach_prometheus_and_loki(
    protocol: str, start_collector, prometheus_server, loki: LokiStandin
) -> None:
    collector = start_collector()
    prometheus = prometheus_server([collector.ports.prometheus_target])
    endpoint = (
        collector.ports.grpc_endpoint if protocol == "grpc" else collector.ports.http_endpoint
    )
    sender = ContractSender(endpoint, protocol=protocol, site="GE")
    for game, table, interval, round_id, seconds in SENT:
        sender.round_started(game, table)
        sender.interval(game, table, interval, round_id, seconds)
        sender.round_ended(game, table)
    sender.shutdown()

    counts: dict[frozenset[tuple[str, str]], float] = {}
    sums: dict[frozenset[tuple[str, str]], float] = {}
    for game, table, interval, _, seconds in SENT:
        key = interval_series(game, table, interval)
        counts[key] = counts.get(key, 0) + 1
        sums[key] = sums.get(key, 0) + seconds
    prometheus.wait_for_values(f"sum by ({LABELS}) (srm_interval_duration_seconds_count)", counts)
    prometheus.wait_for_values(f"sum by ({LABELS}) (srm_interval_duration_seconds_sum)", sums)
    prometheus.wait_for_values(
        'sum by (srm_game_type) (srm_interval_duration_seconds_bucket{le=~"10(.0)?"})',
        {series(srm_game_type="roulette"): 1, series(srm_game_type="sicbo"): 1},
    )
    prometheus.wait_for_values(
        "sum by (srm_table_id, srm_round_outcome) (srm_rounds_total)",
        {
            series(srm_table_id="PRD", srm_round_outcome="completed"): 3,
            series(srm_table_id="VIP-01", srm_round_outcome="completed"): 1,
            series(srm_table_id="SBO-001", srm_round_outcome="completed"): 1,
        },
    )
    prometheus.wait_for_values(
        "sum by (srm_table_id) (srm_rounds_active)",
        {
            series(srm_table_id="PRD"): 0,
            series(srm_table_id="VIP-01"): 0,
            series(srm_table_id="SBO-001"): 0,
        },
    )
    assert {
        "srm_interval_duration_seconds_bucket",
        "srm_interval_duration_seconds_count",
        "srm_interval_duration_seconds_sum",
        "srm_rounds_total",
        "srm_rounds_active",
    } <= set(prometheus.metric_names())

    wait_until(lambda: len(loki.logs()) == len(SENT), timeout=30, what="all logs in Loki")
    received = loki.logs()
    assert sorted(record.body for record in received) == sorted(s.body for s in sender.sent)
    assert {record.tenant for record in received} == {LOKI_TENANT}
    assert {record.resource["srm.site"] for record in received} == {"GE"}
    assert {push.content_encoding for push in loki.pushes()} == {"gzip"}


def test_exemplars_reach_prometheus(start_collector, prometheus_server) -> None:
    collector = start_collector()
    prometheus = prometheus_server([collector.ports.prometheus_target])
    sender = ContractSender(collector.ports.grpc_endpoint)
    tracer = TracerProvider().get_tracer("tests.e2e")
    with tracer.start_as_current_span("round r1") as span:
        sender.interval("roulette", "PRD", "start-to-betstop", "r1", 12.0)
    sender.shutdown()
    trace_id = format(span.get_span_context().trace_id, "032x")

    def exemplar_trace_ids() -> set[str]:
        now = time.time()
        found = prometheus.exemplars("srm_interval_duration_seconds_bucket", now - 600, now + 60)
        return {
            exemplar["labels"].get("trace_id", "")
            for series in found
            for exemplar in series["exemplars"]
        }

    wait_until(lambda: trace_id in exemplar_trace_ids(), timeout=30, what="the exemplar")


def test_prometheus_outage_loses_no_counts(start_collector, prometheus_server) -> None:
    collector = start_collector()
    prometheus = prometheus_server([collector.ports.prometheus_target])
    sender = ContractSender(collector.ports.grpc_endpoint)
    query = f"sum by ({LABELS}) (srm_interval_duration_seconds_count)"
    key = interval_series("roulette", "PRD", "start-to-betstop", site="local")

    for number in range(1, 4):
        sender.interval("roulette", "PRD", "start-to-betstop", f"r{number}", 10.0)
    sender.flush()
    prometheus.wait_for_values(query, {key: 3})

    # Prometheus is down while rounds go on; the collector keeps the
    # cumulative totals, so the first scrape after the restart has them all.
    prometheus.stop()
    for number in range(4, 11):
        sender.interval("roulette", "PRD", "start-to-betstop", f"r{number}", 10.0)
    sender.flush()
    time.sleep(3)
    prometheus.start()
    prometheus.wait_for_values(query, {key: 10})
    sender.shutdown()
