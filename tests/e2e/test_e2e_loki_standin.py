"""The Loki stand-in answers like Loki's OTLP push endpoint."""

from __future__ import annotations

import gzip
import http.client
import urllib.error
import urllib.request
from collections.abc import Iterator

import pytest
from google.protobuf import json_format
from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceRequest

from tests.support.loki_standin import PUSH_PATH, SINGLE_TENANT, LokiStandin
from tests.support.net import free_port

pytestmark = pytest.mark.e2e


def request_with(body: str) -> ExportLogsServiceRequest:
    request = ExportLogsServiceRequest()
    resource_logs = request.resource_logs.add()
    resource_logs.resource.attributes.add(key="service.name").value.string_value = "standin"
    record = resource_logs.scope_logs.add().log_records.add()
    record.body.string_value = body
    record.attributes.add(key="srm.table.id").value.string_value = "PRD"
    return request


def post(standin: LokiStandin, data: bytes, headers: dict[str, str], path: str = PUSH_PATH) -> int:
    request = urllib.request.Request(
        f"{standin.endpoint}{path}", data=data, headers=headers, method="POST"
    )
    try:
        with urllib.request.urlopen(request, timeout=5) as reply:
            return int(reply.status)
    except urllib.error.HTTPError as error:
        return int(error.code)


PROTOBUF = {"Content-Type": "application/x-protobuf"}


@pytest.fixture
def standin() -> Iterator[LokiStandin]:
    with LokiStandin(free_port()) as server:
        yield server


def test_accepts_protobuf_gzip_and_json(standin: LokiStandin) -> None:
    plain = request_with("plain").SerializeToString()
    zipped = gzip.compress(request_with("zipped").SerializeToString())
    as_json = json_format.MessageToJson(request_with("json")).encode()

    assert post(standin, plain, {**PROTOBUF, "X-Scope-OrgID": "ge"}) == 204
    assert post(standin, zipped, {**PROTOBUF, "Content-Encoding": "gzip"}) == 204
    assert post(standin, as_json, {"Content-Type": "application/json"}) == 204

    logs = standin.logs()
    assert [(r.body, r.tenant) for r in logs] == [
        ("plain", "ge"),
        ("zipped", SINGLE_TENANT),
        ("json", SINGLE_TENANT),
    ]
    assert logs[0].resource == {"service.name": "standin"}
    assert logs[0].attributes == {"srm.table.id": "PRD"}


def test_rejects_what_loki_rejects(standin: LokiStandin) -> None:
    body = request_with("x").SerializeToString()
    assert post(standin, body, PROTOBUF, path="/loki/api/v1/push/otlp") == 404
    assert post(standin, body, {"Content-Type": "text/plain"}) == 415
    assert post(standin, b"\xff\x00not protobuf", PROTOBUF) == 400
    standin.require_tenant = True
    assert post(standin, body, PROTOBUF) == 401
    assert standin.logs() == []
    assert standin.rejected == 4


def test_unavailable_then_stopped_then_back(standin: LokiStandin) -> None:
    body = request_with("x").SerializeToString()
    standin.set_available(False)
    assert post(standin, body, PROTOBUF) == 503
    standin.set_available(True)

    standin.stop()
    with pytest.raises(urllib.error.URLError):
        post(standin, body, PROTOBUF)
    standin.start()
    assert post(standin, body, PROTOBUF) == 204
    assert len(standin.logs()) == 1


def test_stop_cuts_kept_alive_connections(standin: LokiStandin) -> None:
    body = request_with("x").SerializeToString()
    connection = http.client.HTTPConnection("127.0.0.1", standin.port, timeout=5)
    connection.request("POST", PUSH_PATH, body=body, headers=PROTOBUF)
    assert connection.getresponse().read() == b""

    standin.stop()
    with pytest.raises((ConnectionError, http.client.HTTPException)):
        connection.request("POST", PUSH_PATH, body=body, headers=PROTOBUF)
        connection.getresponse()
    connection.close()
    assert len(standin.logs()) == 1
