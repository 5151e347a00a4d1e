"""Loki and the remote-write Prometheus down together for 30 s, the collector restarted meanwhile.

The collector keeps what it accepted in its persistent queues on disk: the
file-storage sending queue for Loki and the remote-write WAL for Prometheus.
The tests shorten the collector's retry intervals (``collector_env``: 200 ms
growing to 1 s); in production they grow from 5 s to 30 s, for up to an hour,
so the same outage is bridged by later, sparser retries.
"""

from __future__ import annotations

import time

import pytest

import srm_otel
from tests.reliability.table_play import (
    TablePlay,
    assert_every_log_arrived,
    assert_prometheus_counts,
    library_config,
)
from tests.support.loki_standin import LokiStandin

pytestmark = pytest.mark.e2e

OUTAGE_S = 30.0


@pytest.mark.parametrize("restart", ["stop", "kill"])
def test_loki_and_prometheus_down_30_s_with_a_collector_restart_lose_nothing(
    restart: str, start_collector, prometheus_server, loki: LokiStandin, tmp_path, library_shutdown
) -> None:
    prometheus = prometheus_server([], remote_write_receiver=True)
    remote_write = {
        "SRM_PROMETHEUS_REMOTE_WRITE_URL": prometheus.remote_write_url,
        "SRM_REMOTE_WRITE_FLUSH_INTERVAL": "1s",
    }
    collector = start_collector(overlays=["remote-write"], extra_env=remote_write)
    srm_otel.configure(library_config(collector.ports.grpc_endpoint))
    play = TablePlay()
    play.play(2)
    assert_every_log_arrived(loki, play, timeout=30)
    assert_prometheus_counts(prometheus, play)

    logs_before = len(loki.logs())
    loki.stop()
    prometheus.stop()
    outage_began, outage_wall = time.monotonic(), time.time()
    play.play(3)
    time.sleep(8.0)

    # The queues hold data now; a clean stop, and a crash, must keep it on disk.
    if restart == "stop":
        assert collector.stop() == 0, collector.log_tail()
    else:
        collector.kill()
    assert any((tmp_path / "queue").iterdir())
    collector = start_collector(
        ports=collector.ports, overlays=["remote-write"], extra_env=remote_write
    )
    play.play(2)
    time.sleep(max(0.0, OUTAGE_S - (time.monotonic() - outage_began)))
    assert len(loki.logs()) == logs_before

    loki.start()
    prometheus.start()
    assert_every_log_arrived(loki, play, timeout=90)
    assert_prometheus_counts(prometheus, play, timeout=90)
    assert collector.running

    # The WAL kept the samples written while Prometheus was away, with their own times.
    during = prometheus.api(
        "query",
        query="count_over_time(srm_rounds_total[10s])",
        time=str(outage_wall + OUTAGE_S / 2),
    )
    assert during["result"], "no sample from inside the outage reached Prometheus"
