"""Baccarat rounds played through srm_otel with fixed timestamps, and what they must produce.

Baccarat reports the table API events only, so each round gives three
in-round intervals, and every round after a table's first adds the
cross-round ``finish-to-start``. The reliability tests compare what reached
the Loki stand-in and Prometheus with these expectations, exactly.
"""

from __future__ import annotations

import contextlib
import time
from collections import Counter
from dataclasses import dataclass, field

import srm_otel
from tests.support.loki_standin import LokiStandin
from tests.support.net import wait_until
from tests.support.prometheus import PrometheusServer

GAME = "baccarat"
SERVICE = "reliability"
SITE = "local"

ROUND_SCRIPT = (
    ("tableapi_start", 0.0),
    ("tableapi_betstop", 12.0),
    ("tableapi_deal", 15.0),
    ("tableapi_finish", 17.0),
)
ROUND_PERIOD_S = 30.0
IN_ROUND = (
    ("start-to-betstop", 12.0),
    ("betstop-to-deal", 3.0),
    ("deal-to-finish", 2.0),
)
FINISH_TO_START_S = ROUND_PERIOD_S - 17.0

MAX_RECORD_CALL_S = 0.5
"""No record() call may take longer, whatever state the collector is in. A call
that waited on the network would take seconds (the export timeout is 40 s);
the margin is for a loaded 2-core test machine, not for srm_otel."""


def library_config(endpoint: str, protocol: str = "grpc", **export: float) -> dict[str, object]:
    """srm_otel sending to a collector under test, exporting often to keep tests short."""
    return {
        "service_name": SERVICE,
        "site": SITE,
        "otlp": {"endpoint": endpoint, "protocol": protocol},
        "prometheus": {"enabled": False},
        "export": {"metrics_interval_s": 1.0, "schedule_delay_s": 0.2, **export},
    }


@dataclass
class TablePlay:
    """Rounds played so far on each table, numbered from 1 per table."""

    tables: tuple[str, ...] = ("PRD", "VIP-01")
    first_start: float = field(default_factory=lambda: time.time() - 3600.0)
    rounds: Counter[str] = field(default_factory=Counter)
    slowest_call_s: float = 0.0

    def play(self, rounds_per_table: int) -> None:
        """Report ``rounds_per_table`` more complete rounds on every table."""
        for table in self.tables:
            for _ in range(rounds_per_table):
                self.rounds[table] += 1
                number = self.rounds[table]
                start = self.first_start + (number - 1) * ROUND_PERIOD_S
                for event, offset in ROUND_SCRIPT:
                    self._record(event, table, f"r{number}", start + offset)

    def _record(self, event: str, table: str, round_id: str, timestamp: float) -> None:
        began = time.perf_counter()
        srm_otel.record(event, game_type=GAME, table=table, round_id=round_id, timestamp=timestamp)
        self.slowest_call_s = max(self.slowest_call_s, time.perf_counter() - began)

    def expected_logs(self) -> list[tuple[str, str, str, str]]:
        """(table, interval, round id, seconds as logged) of every interval, sorted."""
        expected = []
        for table, rounds in self.rounds.items():
            for number in range(1, rounds + 1):
                intervals = list(IN_ROUND)
                if number > 1:
                    intervals.append(("finish-to-start", FINISH_TO_START_S))
                for name, seconds in intervals:
                    expected.append((table, name, f"r{number}", f"{seconds:.3f}"))
        return sorted(expected)

    def expected_interval_counts(self) -> dict[frozenset[tuple[str, str]], float]:
        counts: Counter[frozenset[tuple[str, str]]] = Counter()
        for table, name, _, _ in self.expected_logs():
            counts[labels(srm_table_id=table, srm_interval_name=name)] += 1
        return dict(counts)

    def expected_round_counts(self) -> dict[frozenset[tuple[str, str]], float]:
        return {
            labels(srm_table_id=table, srm_round_outcome="completed"): float(rounds)
            for table, rounds in self.rounds.items()
        }


def labels(**pairs: str) -> frozenset[tuple[str, str]]:
    return frozenset({"service_name": SERVICE, "srm_site": SITE, **pairs}.items())


def received_logs(loki: LokiStandin) -> list[tuple[str, str, str, str]]:
    """What the stand-in holds, in the form of ``TablePlay.expected_logs``."""
    return sorted(
        (
            str(record.attributes["srm.table.id"]),
            str(record.attributes["srm.interval.name"]),
            str(record.attributes["srm.round.id"]),
            record.body.split(" = ")[1].split("s ")[0],
        )
        for record in loki.logs()
    )


def assert_every_log_arrived(loki: LokiStandin, play: TablePlay, timeout: float = 60.0) -> None:
    """Every interval log arrives once: none lost, none sent twice."""
    expected = play.expected_logs()
    with contextlib.suppress(TimeoutError):
        wait_until(
            lambda: len(loki.logs()) >= len(expected), timeout=timeout, what="every interval log"
        )
    received = received_logs(loki)
    missing = Counter(expected) - Counter(received)
    extra = Counter(received) - Counter(expected)
    assert not missing and not extra, (
        f"{len(expected)} interval logs expected, {len(received)} received; "
        f"missing {sorted(missing.elements())[:10]}, sent twice or unexpected "
        f"{sorted(extra.elements())[:10]}"
    )


def assert_prometheus_counts(
    prometheus: PrometheusServer, play: TablePlay, timeout: float = 60.0
) -> None:
    """Interval and round counts in Prometheus equal what was played, exactly."""
    by_interval = "service_name, srm_site, srm_table_id, srm_interval_name"
    prometheus.wait_for_values(
        f"sum by ({by_interval}) (srm_interval_duration_seconds_count)",
        play.expected_interval_counts(),
        timeout=timeout,
    )
    prometheus.wait_for_values(
        "sum by (service_name, srm_site, srm_table_id, srm_round_outcome) "
        '(srm_rounds_total{srm_round_outcome="completed"})',
        play.expected_round_counts(),
        timeout=timeout,
    )
