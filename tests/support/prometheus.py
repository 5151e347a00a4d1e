"""A real Prometheus server for tests (Debian's ``prometheus`` binary).

``prometheus_server`` is a pytest fixture that returns a starter: call it
with the scrape targets (host:port on loopback) and it starts Prometheus on
a free 127.0.0.1 port with its config and TSDB under ``tmp_path``, scraping
every second, and stops it when the test ends. ``PrometheusServer.query``
and friends talk to its HTTP API.
"""

from __future__ import annotations

import json
import shutil
import time
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.support.net import free_port, wait_for_http_ok
from tests.support.process import ServerProcess

SCRAPE_INTERVAL = "1s"
STARTUP_TIMEOUT_S = 30.0
JOB = "srm-collector"


def require_prometheus_binary() -> str:
    """Path of the ``prometheus`` binary, or a failure that says how to get it."""
    binary = shutil.which("prometheus")
    if binary is None:
        pytest.fail(
            "the prometheus binary is missing: run `make prometheus` "
            "(Debian's prometheus package; make test installs it first)",
            pytrace=False,
        )
    return binary


def scrape_config(targets: Sequence[str]) -> dict[str, Any]:
    """Prometheus configuration that scrapes ``targets`` every second.

    ``honor_labels`` keeps the ``job`` and ``instance`` labels that the
    collector's prometheus exporter derives from ``service.name`` and
    ``service.instance.id``.
    """
    return {
        "global": {"scrape_interval": SCRAPE_INTERVAL, "evaluation_interval": SCRAPE_INTERVAL},
        "scrape_configs": [
            {
                "job_name": JOB,
                "honor_labels": True,
                "scrape_interval": SCRAPE_INTERVAL,
                "scrape_timeout": SCRAPE_INTERVAL,
                "static_configs": [{"targets": list(targets)}],
            }
        ],
    }


class PrometheusServer(ServerProcess):
    """Prometheus on 127.0.0.1:<free port>, everything it writes under ``workdir``."""

    def __init__(
        self, workdir: Path, targets: Sequence[str], *, remote_write_receiver: bool = False
    ) -> None:
        self.port = free_port()
        self.workdir = workdir
        workdir.mkdir(parents=True, exist_ok=True)
        config_path = workdir / "prometheus.yml"
        config_path.write_text(yaml.safe_dump(scrape_config(targets)))
        argv = [
            require_prometheus_binary(),
            f"--config.file={config_path}",
            f"--storage.tsdb.path={workdir / 'tsdb'}",
            f"--web.listen-address=127.0.0.1:{self.port}",
            "--enable-feature=exemplar-storage",
            "--log.level=warn",
        ]
        if remote_write_receiver:
            argv.append("--web.enable-remote-write-receiver")
        super().__init__("prometheus", argv, workdir / "prometheus.log")

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def remote_write_url(self) -> str:
        return f"{self.url}/api/v1/write"

    def start(self) -> None:
        super().start()
        try:
            wait_for_http_ok(f"{self.url}/-/ready", timeout=STARTUP_TIMEOUT_S)
        except TimeoutError as error:
            self.stop()
            raise RuntimeError(f"prometheus not ready:\n{self.log_tail()}") from error

    def api(self, path: str, **params: str) -> Any:
        """GET /api/v1/<path> and return its ``data``; raise on an API error."""
        query = urllib.parse.urlencode(params)
        with urllib.request.urlopen(f"{self.url}/api/v1/{path}?{query}", timeout=10) as reply:
            answer = json.load(reply)
        if answer.get("status") != "success":
            raise RuntimeError(f"prometheus API {path} failed: {answer}")
        return answer["data"]

    def query(self, expr: str) -> list[dict[str, Any]]:
        """Instant query; the vector's samples as ``{"metric": {...}, "value": [t, "v"]}``."""
        data = self.api("query", query=expr)
        return list(data["result"])

    def values(self, expr: str) -> dict[frozenset[tuple[str, str]], float]:
        """Instant query as ``{labels: value}``."""
        return {
            frozenset(sample["metric"].items()): float(sample["value"][1])
            for sample in self.query(expr)
        }

    def metric_names(self) -> list[str]:
        return list(self.api("label/__name__/values"))

    def exemplars(self, expr: str, start: float, end: float) -> list[dict[str, Any]]:
        return list(self.api("query_exemplars", query=expr, start=str(start), end=str(end)))

    def wait_for_values(
        self,
        expr: str,
        expected: dict[frozenset[tuple[str, str]], float],
        *,
        timeout: float = 60.0,
    ) -> None:
        """Wait until ``values(expr)`` equals ``expected``; fail with the last answer."""
        deadline = time.monotonic() + timeout
        last: dict[frozenset[tuple[str, str]], float] = {}
        while time.monotonic() < deadline:
            last = self.values(expr)
            if last == expected:
                return
            time.sleep(0.5)
        pytest.fail(
            f"Prometheus query {expr!r} did not reach the expected values within "
            f"{timeout:.0f} s\nexpected: {_readable(expected)}\nlast:     {_readable(last)}"
        )


Samples = dict[frozenset[tuple[str, str]], float]
"""Values of an instant query, keyed by the label set of each series."""


def _readable(values: Samples) -> list[tuple[dict[str, str], float]]:
    return sorted(((dict(sorted(labels)), value) for labels, value in values.items()), key=str)


PrometheusStarter = Callable[..., PrometheusServer]


@pytest.fixture
def prometheus_server(tmp_path: Path) -> Iterator[PrometheusStarter]:
    """Start real Prometheus servers for this test; all stop when it ends."""
    started: list[PrometheusServer] = []

    def start(targets: Sequence[str], *, remote_write_receiver: bool = False) -> PrometheusServer:
        server = PrometheusServer(
            tmp_path / f"prometheus-{len(started)}",
            targets,
            remote_write_receiver=remote_write_receiver,
        )
        server.start()
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()
