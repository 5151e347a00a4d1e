"""TLS and bearer token on the receivers, and an agent that uses both."""

from __future__ import annotations

import ssl
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceRequest
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, KeyValue

from tests.e2e.conftest import LOKI_TENANT
from tests.support.collector import CollectorPorts
from tests.support.loki_standin import LokiStandin
from tests.support.net import wait_until
from tests.support.otlp_sender import ContractSender
from tests.support.tls import LoopbackCertificate, make_loopback_certificate

pytestmark = pytest.mark.e2e

TOKEN = "studio-network-token"


def auth_env(certificate: LoopbackCertificate, token_file: Path) -> dict[str, str]:
    return {
        "SRM_TLS_CERT_FILE": str(certificate.cert_file),
        "SRM_TLS_KEY_FILE": str(certificate.key_file),
        "SRM_RECEIVER_TOKEN_FILE": str(token_file),
    }


@pytest.fixture
def certificate(tmp_path: Path) -> LoopbackCertificate:
    return make_loopback_certificate(tmp_path / "tls")


@pytest.fixture
def token_file(tmp_path: Path) -> Path:
    path = tmp_path / "receiver.token"
    path.write_text(TOKEN)
    return path


def one_log(body: str) -> bytes:
    request = ExportLogsServiceRequest()
    resource_logs = request.resource_logs.add()
    resource_logs.resource.attributes.append(
        KeyValue(key="service.name", value=AnyValue(string_value="auth-test"))
    )
    resource_logs.scope_logs.add().log_records.add().body.string_value = body
    return request.SerializeToString()


def post_log(url: str, body: str, context: ssl.SSLContext, token: str | None) -> int:
    headers = {"Content-Type": "application/x-protobuf"}
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    request = urllib.request.Request(url, data=one_log(body), headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=10, context=context) as reply:
            return int(reply.status)
    except urllib.error.HTTPError as error:
        return int(error.code)


def test_http_receiver_wants_tls_and_the_token(
    start_collector, loki: LokiStandin, certificate, token_file
) -> None:
    collector = start_collector(
        overlays=["receiver-auth"], extra_env=auth_env(certificate, token_file)
    )
    url = f"https://127.0.0.1:{collector.ports.otlp_http}/v1/logs"
    trusting = ssl.create_default_context(cafile=str(certificate.cert_file))

    assert post_log(url, "no token", trusting, None) == 401
    assert post_log(url, "wrong token", trusting, "not-the-token") == 401
    assert post_log(url, "with token", trusting, TOKEN) == 200
    with pytest.raises(urllib.error.URLError):
        post_log(url, "untrusted", ssl.create_default_context(), TOKEN)

    wait_until(lambda: len(loki.logs()) == 1, timeout=30, what="the authorised log")
    assert [record.body for record in loki.logs()] == ["with token"]


def test_agent_forwards_to_an_authenticated_site(
    start_collector, loki: LokiStandin, certificate, token_file, tmp_path: Path
) -> None:
    site_ports = CollectorPorts.allocate()
    start_collector(
        ports=site_ports,
        storage_dir=tmp_path / "site-queue",
        overlays=["receiver-auth"],
        extra_env=auth_env(certificate, token_file),
    )
    agent = start_collector(
        storage_dir=tmp_path / "agent-queue",
        overlays=["agent", "agent-auth"],
        extra_env={
            "SRM_SITE_COLLECTOR_ENDPOINT": f"127.0.0.1:{site_ports.otlp_grpc}",
            "SRM_SITE_COLLECTOR_CA_FILE": str(certificate.cert_file),
            "SRM_SITE_COLLECTOR_TOKEN": TOKEN,
        },
    )
    sender = ContractSender(agent.ports.grpc_endpoint)
    for number in range(1, 4):
        sender.interval("roulette", "PRD", "deal-to-finish", f"r{number}", 2.0)
    sender.shutdown()

    wait_until(lambda: len(loki.logs()) == 3, timeout=30, what="logs through agent and site")
    assert sorted(r.body for r in loki.logs()) == sorted(s.body for s in sender.sent)
    assert {r.tenant for r in loki.logs()} == {LOKI_TENANT}
