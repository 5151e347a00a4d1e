"""The overlays at work: remote write into Prometheus, and a studio agent that
buffers on its own disk while the site collector is down."""

from __future__ import annotations

import time

import pytest

from tests.e2e.conftest import LOKI_TENANT
from tests.support.collector import CollectorPorts
from tests.support.loki_standin import LokiStandin
from tests.support.net import wait_until
from tests.support.otlp_sender import ContractSender

pytestmark = pytest.mark.e2e

BY_INTERVAL = "service_name, srm_site, srm_table_id, srm_interval_name"


def send_intervals(sender: ContractSender, first: int, count: int) -> None:
    for number in range(first, first + count):
        sender.interval("roulette", "PRD", "start-to-betstop", f"r{number}", 10.0)
    sender.flush()


def prd_start_to_betstop(count: int) -> dict[frozenset[tuple[str, str]], float]:
    key = {
        "service_name": "e2e-sender",
        "srm_site": "local",
        "srm_table_id": "PRD",
        "srm_interval_name": "start-to-betstop",
    }
    return {frozenset(key.items()): count}


def test_remote_write_overlay_pushes_exact_counts(
    start_collector, prometheus_server, tmp_path
) -> None:
    prometheus = prometheus_server([], remote_write_receiver=True)
    collector = start_collector(
        overlays=["remote-write"],
        extra_env={
            "SRM_PROMETHEUS_REMOTE_WRITE_URL": prometheus.remote_write_url,
            "SRM_REMOTE_WRITE_FLUSH_INTERVAL": "1s",
        },
    )
    sender = ContractSender(collector.ports.grpc_endpoint)
    send_intervals(sender, 1, 7)
    sender.shutdown()

    prometheus.wait_for_values(
        f"sum by ({BY_INTERVAL}) (srm_interval_duration_seconds_count)", prd_start_to_betstop(7)
    )
    prometheus.wait_for_values(
        f"sum by ({BY_INTERVAL}) (srm_interval_duration_seconds_sum)",
        {key: 70.0 for key in prd_start_to_betstop(7)},
    )
    assert (tmp_path / "queue" / "remote-write-wal").is_dir()


def test_agent_buffers_while_the_site_collector_restarts(
    start_collector, prometheus_server, loki: LokiStandin, tmp_path
) -> None:
    site = start_collector(storage_dir=tmp_path / "site-queue")
    prometheus = prometheus_server([site.ports.prometheus_target])
    agent = start_collector(
        storage_dir=tmp_path / "agent-queue",
        overlays=["agent"],
        extra_env={"SRM_SITE_COLLECTOR_ENDPOINT": f"127.0.0.1:{site.ports.otlp_grpc}"},
    )
    sender = ContractSender(agent.ports.grpc_endpoint)
    send_intervals(sender, 1, 5)
    wait_until(lambda: len(loki.logs()) == 5, timeout=30, what="logs through the agent")

    # The site server goes down; the agent keeps accepting and queues on disk.
    assert site.stop() == 0, site.log_tail()
    send_intervals(sender, 6, 15)
    time.sleep(3)
    assert len(loki.logs()) == 5
    start_collector(ports=site.ports, storage_dir=tmp_path / "site-queue")

    sender.shutdown()
    wait_until(lambda: len(loki.logs()) >= 20, timeout=60, what="queued logs after the restart")
    assert sorted(r.body for r in loki.logs()) == sorted(s.body for s in sender.sent)
    assert {r.tenant for r in loki.logs()} == {LOKI_TENANT}
    prometheus.wait_for_values(
        f"sum by ({BY_INTERVAL}) (srm_interval_duration_seconds_count)", prd_start_to_betstop(20)
    )


def test_ports_are_distinct() -> None:
    ports = CollectorPorts.allocate()
    assert len(set(vars(ports).values())) == 5
