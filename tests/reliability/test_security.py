"""Security: the bearer token and TLS for real, no secret in the repository,
and every listening socket on an address that was chosen on purpose.

The end-to-end auth tests of the collector itself (requests with and without
the token, an agent forwarding to an authenticated site) are in
tests/e2e/test_e2e_receiver_auth.py; this file adds the library's side.
"""

from __future__ import annotations

import re
import subprocess
import urllib.request
from pathlib import Path
from typing import Any

import pytest
import yaml

import srm_otel
from srm_otel import _api
from srm_otel._config import PrometheusSettings
from tests.reliability.table_play import (
    TablePlay,
    assert_every_log_arrived,
    library_config,
)
from tests.support.collector import BASE_CONFIG, OVERLAYS_DIR, REPO_ROOT
from tests.support.loki_standin import LokiStandin
from tests.support.tls import make_loopback_certificate

TOKEN = "reliability-test-token"


def dropped_logs(metrics_url: str) -> float:
    with urllib.request.urlopen(metrics_url, timeout=5) as reply:
        body = reply.read().decode()
    return sum(
        float(line.rsplit(" ", 1)[1])
        for line in body.splitlines()
        if line.startswith("srm_telemetry_dropped_total{")
        and 'srm_signal="logs"' in line
        and 'error_type="export_failed"' in line
    )


@pytest.mark.e2e
@pytest.mark.parametrize("protocol", ["grpc", "http/protobuf"])
def test_library_sends_the_token_from_otel_headers_and_is_refused_without_it(
    protocol: str,
    start_collector,
    loki: LokiStandin,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    library_shutdown,
) -> None:
    certificate = make_loopback_certificate(tmp_path / "tls")
    token_file = tmp_path / "receiver.token"
    token_file.write_text(TOKEN)
    collector = start_collector(
        overlays=["receiver-auth"],
        extra_env={
            "SRM_TLS_CERT_FILE": str(certificate.cert_file),
            "SRM_TLS_KEY_FILE": str(certificate.key_file),
            "SRM_RECEIVER_TOKEN_FILE": str(token_file),
        },
    )
    port = collector.ports.otlp_grpc if protocol == "grpc" else collector.ports.otlp_http
    config = library_config(f"https://127.0.0.1:{port}", protocol)
    config["prometheus"] = {"enabled": True, "host": "127.0.0.1", "port": 0}
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_CERTIFICATE", str(certificate.cert_file))
    # requests lets these win over the exporter's own CA file (docs/security.md).
    for name in (
        "OTEL_EXPORTER_OTLP_HEADERS",
        "OTEL_EXPORTER_OTLP_LOGS_HEADERS",
        "REQUESTS_CA_BUNDLE",
        "CURL_CA_BUNDLE",
    ):
        monkeypatch.delenv(name, raising=False)

    # Without the token: refused, nothing reaches Loki, the loss is counted.
    srm_otel.configure(config)
    runtime = _api.get_runtime()
    assert runtime is not None and runtime.pipeline.metrics_url is not None
    TablePlay(tables=("REFUSED",)).play(2)
    srm_otel.force_flush(timeout_s=10.0)
    assert dropped_logs(runtime.pipeline.metrics_url) > 0
    srm_otel.shutdown(timeout_s=5.0)
    assert loki.logs() == []

    # With the token in the standard variable (value %-encoded, as OTel specifies).
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_HEADERS", f"authorization=Bearer%20{TOKEN}")
    srm_otel.configure(config)
    play = TablePlay()
    play.play(2)
    srm_otel.shutdown(timeout_s=10.0)
    assert_every_log_arrived(loki, play, timeout=30)


# --- No secret in the repository --------------------------------------------

SECRET_PATTERNS = (
    re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----"),
    re.compile(r"(?i)\bauthorization\s*[:=]\s*bearer\s+(?!\$\{env:|<)[^\s\"']+"),
    re.compile(r"(?i)\bx-scope-orgid\s*:\s*(?!\$\{env:)[^\s\"']+"),
    re.compile(r"(?im)^\s*(password|passwd|secret|token|api_key)\s*:\s*(?!\$\{env:)\S+"),
    re.compile(r"(?m)^SRM_[A-Z_]*(TOKEN|TENANT|PASSWORD)=\S+"),
)
"""A private key, or a token, tenant or password written as a value rather than
taken from the environment (``${env:...}``) or shown as a ``<placeholder>``."""


def tracked_text_files() -> list[Path]:
    listed = subprocess.run(
        ["git", "ls-files", "-z"], cwd=REPO_ROOT, capture_output=True, check=True, timeout=30
    ).stdout.decode()
    paths = [REPO_ROOT / name for name in listed.split("\0") if name]
    return [path for path in paths if path.is_file() and path.suffix not in (".sum", ".json")]


def test_no_secret_is_committed() -> None:
    files = tracked_text_files()
    assert any(path.name == "otel-collector-config.yaml" for path in files)
    found = []
    for path in files:
        text = path.read_text(errors="replace")
        name = path.relative_to(REPO_ROOT)
        for pattern in SECRET_PATTERNS:
            found += [f"{name}: {match.group(0)}" for match in pattern.finditer(text)]
    assert found == []


def test_tokens_and_tenants_come_from_the_environment() -> None:
    auth = (OVERLAYS_DIR / "receiver-auth.yaml").read_text()
    agent_auth = (OVERLAYS_DIR / "agent-auth.yaml").read_text()
    assert "filename: ${env:SRM_RECEIVER_TOKEN_FILE" in auth
    assert "Bearer ${env:SRM_SITE_COLLECTOR_TOKEN}" in agent_auth
    assert "X-Scope-OrgID: ${env:SRM_LOKI_TENANT:-}" in BASE_CONFIG.read_text()


# --- Listening addresses -----------------------------------------------------

ENV_DEFAULT = re.compile(r"^\$\{env:(?P<var>[A-Z_]+):-(?P<default>[^}]*)\}$")


def listen_defaults(config: dict[str, Any]) -> dict[str, str]:
    """Every address a collector config listens on, as {what: default host:port}."""
    found: dict[str, str] = {}
    for protocol, body in config.get("receivers", {}).get("otlp", {}).get("protocols", {}).items():
        found[f"otlp {protocol} receiver"] = body["endpoint"]
    health = config.get("extensions", {}).get("health_check")
    if health:
        found["health check"] = health["endpoint"]
    prometheus = config.get("exporters", {}).get("prometheus")
    if prometheus:
        found["prometheus exporter"] = prometheus["endpoint"]
    telemetry = config.get("service", {}).get("telemetry", {})
    for reader in telemetry.get("metrics", {}).get("readers", []):
        pull = reader["pull"]["exporter"]["prometheus"]
        found["own metrics"] = f"{pull['host']}:{pull['port']}"
    return found


def resolved_default(value: str) -> str:
    """``${env:A:-host}:${env:B:-port}`` -> ``host:port``; each piece must be a variable."""
    pieces = []
    for index, part in enumerate(value.split(":${")):
        text = part if index == 0 else "${" + part
        match = ENV_DEFAULT.match(text)
        assert match is not None, f"{value!r} is not taken from an SRM_* variable with a default"
        pieces.append(match["default"])
    return ":".join(pieces)


def test_every_listener_has_an_explicit_address() -> None:
    base = listen_defaults(yaml.safe_load(BASE_CONFIG.read_text()))
    agent = listen_defaults(yaml.safe_load((OVERLAYS_DIR / "agent.yaml").read_text()))

    assert {what: resolved_default(value) for what, value in base.items()} == {
        # The site collector receives from the studio network (see docs/security.md).
        "otlp grpc receiver": "0.0.0.0:4317",
        "otlp http receiver": "0.0.0.0:4318",
        "health check": "127.0.0.1:13133",
        "prometheus exporter": "127.0.0.1:8889",
        "own metrics": "127.0.0.1:8888",
    }
    assert {what: resolved_default(value) for what, value in agent.items()} == {
        "otlp grpc receiver": "127.0.0.1:4317",
        "otlp http receiver": "127.0.0.1:4318",
    }


def test_the_library_serves_metrics_on_loopback_by_default(library_shutdown) -> None:
    assert PrometheusSettings().host == "127.0.0.1"
    srm_otel.configure({"prometheus": {"enabled": True, "port": 0}})
    runtime = _api.get_runtime()
    assert runtime is not None and runtime.pipeline.metrics_server is not None
    assert runtime.pipeline.metrics_server.server_address[0] == "127.0.0.1"
