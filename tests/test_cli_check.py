"""``srm-otel check``: configure()'s messages, the resolved settings and a read-only probe.

Every probe here goes to 127.0.0.1; a guard fails the test if anything tries
another address, so the GE and TPE servers are only ever resolved, never contacted.
"""

from __future__ import annotations

import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from srm_otel.cli import check_command, main
from srm_otel.testing import environ_without_otel
from tests.support.net import free_port

BROKEN = """\
servce_name: till-1
site: GE
otlp:
  protocol: udp
  endpoint: 127.0.0.1
prometheus:
  port: 99999
rounds:
  timeout_s: -5
games:
  roulette:
    intervals:
      start-to-betstop:
        expected_s: [20, 5]
"""


# No SRM_*/OTEL_* from the caller and no ./srm.yaml; conftest's loopback guard
# keeps every probe on this machine.
pytestmark = pytest.mark.usefixtures("isolated_settings")


def write(path: Path, text: str) -> str:
    path.write_text(text)
    return str(path)


class _Health(BaseHTTPRequestHandler):
    status = 200

    def do_GET(self) -> None:
        self.send_response(self.status if self.path == "/health" else 404)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def collector() -> Iterator[Any]:
    """A loopback stand-in: a listening OTLP port and a health endpoint (status settable)."""
    health = ThreadingHTTPServer(("127.0.0.1", 0), type("Health", (_Health,), {}))
    thread = threading.Thread(target=health.serve_forever, kwargs={"poll_interval": 0.1})
    thread.start()
    otlp = socket.socket()
    otlp.bind(("127.0.0.1", 0))
    otlp.listen()
    try:
        yield type(
            "Collector",
            (),
            {
                "otlp_port": otlp.getsockname()[1],
                "health_url": f"http://127.0.0.1:{health.server_address[1]}/health",
                "handler": health.RequestHandlerClass,
            },
        )
    finally:
        otlp.close()
        health.shutdown()
        health.server_close()
        thread.join(timeout=5)


def test_broken_config_names_each_bad_key_and_exits_1(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = write(tmp_path / "broken.yaml", BROKEN)

    assert main(["check", "--config", config, "--no-probe"]) == 1

    err = capsys.readouterr().err
    assert err.splitlines() == [
        f"srm-otel check: invalid srm_otel file {config}:",
        "  - servce_name: unknown key; did you mean 'service_name'?",
        "  - otlp.protocol: 'udp' must be one of grpc, http/protobuf",
        "  - otlp.endpoint: '127.0.0.1' must be a URL with scheme, host and port, "
        "e.g. http://127.0.0.1:4317",
        "  - prometheus.port: 99999 must be a port number from 0 (any free port) to 65535",
        "  - rounds.timeout_s: -5 must be a number > 0",
        "  - games.roulette.intervals.start-to-betstop.expected_s: [20, 5] "
        "must satisfy 0 <= low < high",
    ]


def test_broken_config_as_a_user_runs_it_prints_no_traceback(tmp_path: Path) -> None:
    config = write(tmp_path / "broken.yaml", BROKEN)

    result = subprocess.run(
        [sys.executable, "-m", "srm_otel", "check", "--config", config],
        capture_output=True,
        text=True,
        timeout=60,
        env=environ_without_otel(),
        cwd=tmp_path,
    )

    assert result.returncode == 1
    assert "Traceback" not in result.stderr + result.stdout
    for key in ("servce_name", "otlp.protocol", "prometheus.port", "rounds.timeout_s"):
        assert key in result.stderr


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("site: [GE]\n", "site: ['GE'] must be a non-empty string"),
        ("otlp: {endpoint: 'http://127.0.0.1:4317'\n", "not valid YAML at line 2"),
        ("- site\n", "top level: must be a mapping"),
    ],
)
def test_malformed_files_exit_1(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], text: str, problem: str
) -> None:
    assert main(["check", "--config", write(tmp_path / "srm.yaml", text)]) == 1
    assert problem in capsys.readouterr().err


def test_missing_file_exits_1(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", "--config", "nowhere.yaml"]) == 1
    assert "cannot read the file: No such file or directory" in capsys.readouterr().err


def test_a_bad_environment_variable_is_named(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("OTEL_EXPORTER_PROMETHEUS_PORT", "ninety")

    assert main(["check"]) == 1
    assert "OTEL_EXPORTER_PROMETHEUS_PORT: 'ninety'" in capsys.readouterr().err


def test_no_config_means_metrics_only_and_nothing_to_probe(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["check"]) == 0

    out = capsys.readouterr().out
    assert "configuration from defaults is valid" in out
    assert "OTLP endpoint: none" in out
    assert "/metrics:      served by each game process on 127.0.0.1:9464" in out
    assert "probe: skipped (no collector configured" in out


def test_ge_resolves_to_its_site_server_without_contacting_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = write(tmp_path / "srm.yaml", "site: ge\n")

    assert main(["check", "--config", config, "--no-probe"]) == 0

    out = capsys.readouterr().out
    assert "site:          GE (site server 100.64.0.113)" in out
    assert "OTLP endpoint: http://100.64.0.113:4317 (grpc)" in out
    assert "signals:       traces, metrics and logs over OTLP" in out
    assert "probe: skipped (--no-probe)" in out


def test_srm_site_from_the_environment_wins_and_is_listed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("SRM_SITE", "TPE")
    config = write(tmp_path / "srm.yaml", "site: GE\notlp: {protocol: http/protobuf}\n")

    assert main(["check", "--config", config, "--no-probe"]) == 0

    out = capsys.readouterr().out
    assert "OTLP endpoint: http://100.64.0.160:4318 (http/protobuf)" in out
    assert "environment:   SRM_SITE (these win over the file)" in out


def test_probe_of_a_healthy_collector(
    tmp_path: Path, collector: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    config = write(
        tmp_path / "srm.yaml", f"otlp: {{endpoint: 'http://127.0.0.1:{collector.otlp_port}'}}\n"
    )

    assert main(["check", "--config", config, "--health-url", collector.health_url]) == 0

    out = capsys.readouterr().out
    assert f"ok   OTLP grpc port 127.0.0.1:{collector.otlp_port} accepts connections" in out
    assert f"ok   health {collector.health_url}: healthy (HTTP 200)" in out
    assert out.rstrip().endswith("srm-otel check: OK")


def test_probe_of_an_unhealthy_collector_exits_1(
    tmp_path: Path, collector: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    collector.handler.status = 503
    config = write(
        tmp_path / "srm.yaml", f"otlp: {{endpoint: 'http://127.0.0.1:{collector.otlp_port}'}}\n"
    )

    assert main(["check", "--config", config, "--health-url", collector.health_url]) == 1
    assert "FAIL health" in capsys.readouterr().out


def test_probe_of_a_closed_otlp_port_exits_1(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    port = free_port()
    config = write(tmp_path / "srm.yaml", f"otlp: {{endpoint: 'http://127.0.0.1:{port}'}}\n")

    assert main(["check", "--config", config, "--timeout", "1"]) == 1

    out = capsys.readouterr().out
    assert f"FAIL OTLP grpc port 127.0.0.1:{port}: not reachable" in out
    assert "srm-otel check: 1 probe(s) failed" in out


def test_an_unanswered_default_health_endpoint_is_only_a_warning() -> None:
    result = check_command._probe_health(
        f"http://127.0.0.1:{free_port()}/health", 1.0, required=False
    )

    assert (result.ok, result.required, result.mark) == (False, False, "warn")
    assert "SRM_HEALTH_LISTEN" in result.text
