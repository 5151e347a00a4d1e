"""Fixtures for the end-to-end tests: the built collector, a real Prometheus
and the Loki stand-in, all on 127.0.0.1 ports chosen at run time."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

import pytest

from tests.support.collector import (
    CollectorPorts,
    CollectorProcess,
    collector_env,
    require_collector_binary,
)
from tests.support.loki_standin import LokiStandin
from tests.support.net import free_port
from tests.support.prometheus import prometheus_server  # noqa: F401 (a fixture)

LOKI_TENANT = "studio-e2e"


@pytest.fixture(scope="session")
def collector_binary() -> Path:
    return require_collector_binary()


@pytest.fixture
def loki() -> Iterator[LokiStandin]:
    standin = LokiStandin(free_port(), require_tenant=True)
    standin.start()
    yield standin
    standin.stop()


CollectorStarter = Callable[..., CollectorProcess]


@pytest.fixture
def start_collector(
    tmp_path: Path, loki: LokiStandin, collector_binary: Path
) -> Iterator[CollectorStarter]:
    """Starter for collectors sending logs to the Loki stand-in with a tenant.

    A second start with the same ``ports`` and ``storage_dir`` stands for a
    restart of the same collector. Every collector stops when the test ends.
    """
    started: list[CollectorProcess] = []

    def start(
        *,
        ports: CollectorPorts | None = None,
        storage_dir: Path | None = None,
        overlays: Sequence[str] = (),
        extra_env: dict[str, str] | None = None,
    ) -> CollectorProcess:
        ports = ports or CollectorPorts.allocate()
        storage_dir = storage_dir or tmp_path / "queue"
        env = collector_env(
            ports,
            storage_dir,
            loki_endpoint=loki.endpoint,
            loki_tenant=LOKI_TENANT,
            extra=extra_env,
        )
        collector = CollectorProcess(
            ports, env, tmp_path / f"collector-{len(started)}.log", overlays
        )
        collector.start()
        started.append(collector)
        return collector

    yield start
    for collector in started:
        collector.stop()
