"""The built collector (``build/otelcol-srm``) run with the repository's configs."""

from __future__ import annotations

import itertools
import os
import subprocess
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.support.net import free_ports, wait_for_http_ok
from tests.support.process import ServerProcess

REPO_ROOT = Path(__file__).resolve().parents[2]
COLLECTOR_BINARY = REPO_ROOT / "build" / "otelcol-srm"
BASE_CONFIG = REPO_ROOT / "otel-collector-config.yaml"
OVERLAYS_DIR = REPO_ROOT / "collector" / "overlays"

INDEPENDENT_OVERLAYS = ("remote-write", "traces", "receiver-auth", "agent")
"""Overlays that combine freely with each other."""

DEPENDENT_OVERLAYS = {"agent-auth": "agent"}
"""Overlays that only make sense on top of another one."""

STARTUP_TIMEOUT_S = 30.0

_PASSED_ENV = ("PATH", "HOME", "LANG", "TMPDIR")
"""The only variables of the test's own environment a collector sees, so no
SRM_* or OTEL_* setting of the machine leaks into a test."""


def require_collector_binary() -> Path:
    """The built collector, or a test failure that says how to build it."""
    if not COLLECTOR_BINARY.is_file():
        pytest.fail(
            f"{COLLECTOR_BINARY.relative_to(REPO_ROOT)} is missing: run `make collector` "
            "(make test builds it first)",
            pytrace=False,
        )
    return COLLECTOR_BINARY


def overlay_path(name: str) -> Path:
    return OVERLAYS_DIR / f"{name}.yaml"


def overlay_combinations() -> Iterator[tuple[str, ...]]:
    """Every combination of overlays that the runbook allows, the empty one included."""
    for size in range(len(INDEPENDENT_OVERLAYS) + 1):
        for combination in itertools.combinations(INDEPENDENT_OVERLAYS, size):
            yield combination
            for dependent, required in DEPENDENT_OVERLAYS.items():
                if required in combination:
                    yield (*combination, dependent)


def config_args(overlays: Sequence[str] = ()) -> list[str]:
    """``--config`` flags for the base config followed by the named overlays."""
    args = ["--config", str(BASE_CONFIG)]
    for name in overlays:
        args += ["--config", str(overlay_path(name))]
    return args


def clean_env(extra: Mapping[str, str]) -> dict[str, str]:
    env = {key: os.environ[key] for key in _PASSED_ENV if key in os.environ}
    env.update(extra)
    return env


def validate(overlays: Sequence[str], env: Mapping[str, str]) -> subprocess.CompletedProcess[str]:
    """Run ``otelcol-srm validate`` on the base config plus ``overlays``."""
    binary = require_collector_binary()
    return subprocess.run(
        [str(binary), "validate", *config_args(overlays)],
        env=clean_env(env),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@dataclass(frozen=True)
class CollectorPorts:
    """Loopback ports of one collector under test."""

    otlp_grpc: int
    otlp_http: int
    prometheus: int
    health: int
    self_metrics: int

    @classmethod
    def allocate(cls) -> CollectorPorts:
        return cls(*free_ports(5))

    @property
    def grpc_endpoint(self) -> str:
        return f"http://127.0.0.1:{self.otlp_grpc}"

    @property
    def http_endpoint(self) -> str:
        return f"http://127.0.0.1:{self.otlp_http}"

    @property
    def health_url(self) -> str:
        return f"http://127.0.0.1:{self.health}/health"

    @property
    def prometheus_target(self) -> str:
        return f"127.0.0.1:{self.prometheus}"

    @property
    def self_metrics_target(self) -> str:
        return f"127.0.0.1:{self.self_metrics}"


def collector_env(
    ports: CollectorPorts,
    storage_dir: Path,
    *,
    loki_endpoint: str,
    loki_tenant: str = "",
    site: str = "local",
    extra: Mapping[str, str] | None = None,
) -> dict[str, str]:
    """SRM_* settings for a collector on loopback, with short retry intervals."""
    env = {
        "SRM_SITE": site,
        "SRM_LOKI_ENDPOINT": loki_endpoint,
        "SRM_LOKI_TENANT": loki_tenant,
        "SRM_OTLP_GRPC_LISTEN": f"127.0.0.1:{ports.otlp_grpc}",
        "SRM_OTLP_HTTP_LISTEN": f"127.0.0.1:{ports.otlp_http}",
        "SRM_PROMETHEUS_LISTEN": ports.prometheus_target,
        "SRM_HEALTH_LISTEN": f"127.0.0.1:{ports.health}",
        "SRM_SELF_METRICS_HOST": "127.0.0.1",
        "SRM_SELF_METRICS_PORT": str(ports.self_metrics),
        "SRM_STORAGE_DIR": str(storage_dir),
        "SRM_RETRY_INITIAL_INTERVAL": "200ms",
        "SRM_RETRY_MAX_INTERVAL": "1s",
        "SRM_BATCH_FLUSH_TIMEOUT": "200ms",
        "SRM_EXPORT_TIMEOUT": "2s",
    }
    env.update(extra or {})
    return env


class CollectorProcess(ServerProcess):
    """The built collector as a subprocess; ``start()`` returns once healthy."""

    def __init__(
        self,
        ports: CollectorPorts,
        env: Mapping[str, str],
        log_path: Path,
        overlays: Sequence[str] = (),
    ) -> None:
        binary = require_collector_binary()
        super().__init__(
            "otelcol-srm",
            [str(binary), *config_args(overlays)],
            log_path,
            env=clean_env(env),
        )
        self.ports = ports

    def start(self) -> None:
        super().start()
        try:
            wait_for_http_ok(self.ports.health_url, timeout=STARTUP_TIMEOUT_S)
        except TimeoutError as error:
            self.stop()
            raise RuntimeError(
                f"collector not healthy within {STARTUP_TIMEOUT_S:.0f} s:\n{self.log_tail()}"
            ) from error
