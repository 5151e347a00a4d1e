"""``srm-otel check`` and ``srm-otel demo --config`` against the built collector on loopback.

The collector runs the repository's configuration with every port on
127.0.0.1 chosen at run time, and Loki is the test stand-in.
"""

from __future__ import annotations

import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from srm_otel.testing import environ_without_otel
from tests.support.collector import CollectorPorts, CollectorProcess, collector_env
from tests.support.loki_standin import LokiStandin
from tests.support.net import free_port, wait_until

pytestmark = pytest.mark.e2e

COMMAND_TIMEOUT_S = 60.0


@pytest.fixture
def collector(tmp_path: Path) -> Iterator[CollectorProcess]:
    loki = LokiStandin(free_port())
    loki.start()
    ports = CollectorPorts.allocate()
    env = collector_env(ports, tmp_path / "queue", loki_endpoint=loki.endpoint)
    process = CollectorProcess(ports, env, tmp_path / "collector.log")
    try:
        process.start()
        yield process
    finally:
        process.stop()
        loki.stop()


def srm_otel(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "srm_otel", *args],
        cwd=tmp_path,
        env=environ_without_otel() | {"SRM_OTEL_RAISE_INTERNAL_ERRORS": "1"},
        capture_output=True,
        text=True,
        timeout=COMMAND_TIMEOUT_S,
    )


def config_for(tmp_path: Path, collector: CollectorProcess, protocol: str) -> Path:
    endpoint = (
        collector.ports.grpc_endpoint if protocol == "grpc" else collector.ports.http_endpoint
    )
    path = tmp_path / "srm.yaml"
    path.write_text(
        f"otlp: {{endpoint: '{endpoint}', protocol: {protocol}}}\n"
        "export: {metrics_interval_s: 1, schedule_delay_s: 0.2}\n"
    )
    return path


@pytest.mark.parametrize("protocol", ["grpc", "http/protobuf"])
def test_check_finds_a_running_collector_healthy(
    tmp_path: Path, collector: CollectorProcess, protocol: str
) -> None:
    config = config_for(tmp_path, collector, protocol)

    result = srm_otel(
        tmp_path, "check", "--config", str(config), "--health-url", collector.ports.health_url
    )

    assert result.returncode == 0, result.stdout + result.stderr
    assert "accepts connections" in result.stdout
    assert f"health {collector.ports.health_url}: healthy (HTTP 200)" in result.stdout


def test_demo_with_a_config_reaches_the_collectors_prometheus_endpoint(
    tmp_path: Path, collector: CollectorProcess
) -> None:
    config = config_for(tmp_path, collector, "grpc")

    result = srm_otel(
        tmp_path, "demo", "--config", str(config), "--duration", "3", "--speed", "100"
    )

    assert result.returncode == 0, result.stdout + result.stderr
    assert f"OTLP to {collector.ports.grpc_endpoint} (grpc)" in result.stdout
    url = f"http://{collector.ports.prometheus_target}/metrics"
    scraped: list[str] = []

    def has_rounds() -> bool:
        with urllib.request.urlopen(url, timeout=2) as response:
            scraped.append(response.read().decode())
        return 'srm_round_outcome="completed"' in scraped[-1]

    wait_until(has_rounds, timeout=20, what=f"completed rounds on {url}")
    assert 'srm_game_type="sicbo"' in scraped[-1]
    assert 'srm_table_id="BAC-001"' in scraped[-1]
