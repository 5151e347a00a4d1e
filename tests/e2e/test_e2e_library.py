"""srm_otel -> built collector -> real Prometheus and the Loki stand-in.

Game code reports complete roulette rounds with fixed timestamps; the tests
then ask Prometheus, over its HTTP API, for exactly the counts and sums that
follow from those events under the telemetry contract, and check that the
Loki stand-in got every interval log with the tenant header.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterator

import pytest

import srm_otel
from tests.e2e.conftest import LOKI_TENANT
from tests.support.loki_standin import LokiStandin
from tests.support.net import wait_until
from tests.support.prometheus import PrometheusServer, Samples
from tests.test_prometheus_rules import CONTRACT_METRICS

pytestmark = pytest.mark.e2e

SERVICE = "e2e"
SITE = "local"

ROUND_SCRIPT = (
    ("tableapi_start", 0.0),
    ("tableapi_betstop", 12.0),
    ("roulette_x2", 13.0),
    ("roulette_x3", 21.5),
    ("roulette_x4", 22.75),
    ("roulette_x5", 24.5),
    ("tableapi_deal", 25.0),
    ("tableapi_finish", 27.25),
)
"""Events of one roulette round, in DOMAIN order, with seconds from its start."""

ROUND_PERIOD_S = 31.0
"""A table starts its next round this long after the previous start."""

IN_ROUND = {
    "start-to-betstop": ("tableapi_start", "tableapi_betstop", (5, 20)),
    "betstop-to-deal": ("tableapi_betstop", "tableapi_deal", (1, 5)),
    "deal-to-finish": ("tableapi_deal", "tableapi_finish", (1, 3)),
    "*X;2-to-*X;3": ("roulette_x2", "roulette_x3", (5, 15)),
    "*X;3-to-*X;4": ("roulette_x3", "roulette_x4", (0.5, 2)),
    "*X;4-to-*X;5": ("roulette_x4", "roulette_x5", (1, 3)),
}
CROSS_ROUND = {
    "finish-to-start": ("tableapi_finish", "tableapi_start", (2, 5)),
    "*X;5-to-*X;2": ("roulette_x5", "roulette_x2", (2, 5)),
}
"""The roulette intervals and their default expected ranges (DOMAIN.md)."""

TABLES = {"PRD": 3, "VIP-01": 2}
"""Rounds played per table."""


def offset(event: str) -> float:
    return dict(ROUND_SCRIPT)[event]


def expected_intervals(rounds: int) -> list[tuple[str, str, float]]:
    """(interval, round id, seconds) that ``rounds`` rounds on one table produce."""
    produced = []
    for number in range(1, rounds + 1):
        round_id = f"r{number}"
        for name, (start, end, _) in IN_ROUND.items():
            produced.append((name, round_id, offset(end) - offset(start)))
        if number > 1:
            for name, (start, end, _) in CROSS_ROUND.items():
                produced.append((name, round_id, ROUND_PERIOD_S + offset(end) - offset(start)))
    return produced


def out_of_range_bound(name: str, seconds: float) -> str | None:
    low, high = {**IN_ROUND, **CROSS_ROUND}[name][2]
    if seconds < low:
        return "low"
    if seconds > high:
        return "high"
    return None


def play_rounds(first_start: float) -> None:
    for table, rounds in TABLES.items():
        for number in range(1, rounds + 1):
            start = first_start + (number - 1) * ROUND_PERIOD_S
            for event, seconds in ROUND_SCRIPT:
                srm_otel.record(
                    event,
                    game_type="roulette",
                    table=table,
                    round_id=f"r{number}",
                    timestamp=start + seconds,
                )


def labels(**pairs: str) -> frozenset[tuple[str, str]]:
    return frozenset({"service_name": SERVICE, "srm_site": SITE, **pairs}.items())


def assert_prometheus_counts(prometheus: PrometheusServer) -> None:
    counts: Samples = {}
    sums: Samples = {}
    out_of_range: Counter[frozenset[tuple[str, str]]] = Counter()
    for table, rounds in TABLES.items():
        for name, _, seconds in expected_intervals(rounds):
            key = labels(srm_table_id=table, srm_interval_name=name)
            counts[key] = counts.get(key, 0) + 1
            sums[key] = sums.get(key, 0) + seconds
            bound = out_of_range_bound(name, seconds)
            if bound is not None:
                out_of_range[labels(srm_table_id=table, srm_interval_name=name)] += 1

    # Counters may start with zero-valued series (an outcome or bound that has
    # not happened yet); "> 0" leaves those out, any other value must match.
    by_interval = "service_name, srm_site, srm_table_id, srm_interval_name"
    prometheus.wait_for_values(
        f"sum by ({by_interval}) (srm_interval_duration_seconds_count)", counts
    )
    prometheus.wait_for_values(f"sum by ({by_interval}) (srm_interval_duration_seconds_sum)", sums)
    prometheus.wait_for_values(
        f"sum by ({by_interval}) (srm_interval_out_of_range_total) > 0",
        dict(out_of_range),
    )

    by_table = "service_name, srm_site, srm_table_id"
    round_length = offset("tableapi_finish") - offset("tableapi_start")
    prometheus.wait_for_values(
        f"sum by ({by_table}) (srm_round_duration_seconds_count)",
        {labels(srm_table_id=table): rounds for table, rounds in TABLES.items()},
    )
    prometheus.wait_for_values(
        f"sum by ({by_table}) (srm_round_duration_seconds_sum)",
        {labels(srm_table_id=table): rounds * round_length for table, rounds in TABLES.items()},
    )
    prometheus.wait_for_values(
        f"sum by ({by_table}, srm_round_outcome) (srm_rounds_total) > 0",
        {
            labels(srm_table_id=table, srm_round_outcome="completed"): rounds
            for table, rounds in TABLES.items()
        },
    )
    prometheus.wait_for_values(
        f"sum by ({by_table}) (srm_rounds_active)",
        {labels(srm_table_id=table): 0 for table in TABLES},
    )
    prometheus.wait_for_values(
        f"sum by ({by_table}, srm_event_name) (srm_events_total) > 0",
        {
            labels(srm_table_id=table, srm_event_name=event): rounds
            for table, rounds in TABLES.items()
            for event, _ in ROUND_SCRIPT
        },
    )

    names = {name for name in prometheus.metric_names() if name.startswith("srm_")}
    assert names >= CONTRACT_METRICS
    assert prometheus.query('{__name__=~"srm_.+", srm_round_id!=""}') == []


def assert_loki_logs(loki: LokiStandin) -> None:
    expected = sorted(
        (table, name, round_id, f"{seconds:.3f}")
        for table, rounds in TABLES.items()
        for name, round_id, seconds in expected_intervals(rounds)
    )
    wait_until(lambda: len(loki.logs()) >= len(expected), timeout=30, what="interval logs")
    received = loki.logs()
    got = sorted(
        (
            str(record.attributes["srm.table.id"]),
            str(record.attributes["srm.interval.name"]),
            str(record.attributes["srm.round.id"]),
            record.body.split(" = ")[1].split("s ")[0],
        )
        for record in received
    )
    assert got == expected
    for record in received:
        table = record.attributes["srm.table.id"]
        prefix = (
            f"Time interval: {record.attributes['srm.interval.name']} = "
            f"{record.body.split(' = ')[1].split('s ')[0]}s for roulette table {table} "
            f"round {record.attributes['srm.round.id']}"
        )
        assert record.body.startswith(prefix)
        assert record.attributes["srm.game.type"] == "roulette"
        assert record.resource["service.name"] == SERVICE
        assert record.resource["srm.site"] == SITE
        assert record.resource["service.instance.id"]
    assert {record.tenant for record in received} == {LOKI_TENANT}


def configure_library(endpoint: str, protocol: str) -> None:
    """srm_otel sending OTLP to the collector only, exporting often."""
    srm_otel.configure(
        {
            "service_name": SERVICE,
            "site": SITE,
            "otlp": {"endpoint": endpoint, "protocol": protocol},
            "prometheus": {"enabled": False},
            "export": {"metrics_interval_s": 1.0, "schedule_delay_s": 0.2},
        }
    )


@pytest.fixture
def library_shutdown() -> Iterator[None]:
    yield
    srm_otel.shutdown()


@pytest.mark.parametrize("protocol", ["grpc", "http/protobuf"])
def test_library_counts_reach_prometheus_and_logs_reach_loki(
    protocol: str, start_collector, prometheus_server, loki: LokiStandin, library_shutdown
) -> None:
    collector = start_collector()
    prometheus = prometheus_server([collector.ports.prometheus_target])
    endpoint = (
        collector.ports.grpc_endpoint if protocol == "grpc" else collector.ports.http_endpoint
    )
    configure_library(endpoint, protocol)

    play_rounds(first_start=time.time() - 600)
    srm_otel.shutdown()

    assert_prometheus_counts(prometheus)
    assert_loki_logs(loki)


def test_library_logs_survive_a_loki_outage(
    start_collector, loki: LokiStandin, library_shutdown
) -> None:
    collector = start_collector()
    configure_library(collector.ports.grpc_endpoint, "grpc")

    loki.set_available(False)
    play_rounds(first_start=time.time() - 600)
    srm_otel.force_flush()
    wait_until(lambda: loki.rejected > 0, timeout=30, what="a refused push")
    time.sleep(5)
    assert loki.logs() == []

    loki.set_available(True)
    srm_otel.shutdown()
    assert_loki_logs(loki)
