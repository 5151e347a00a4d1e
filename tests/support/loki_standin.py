"""A stand-in for Loki's OTLP log ingestion, for tests on loopback.

This is not Loki. No Loki binary can be installed on the machines that run
these tests, so the end-to-end tests point the collector's ``otlp_http``
exporter at this small HTTP server instead. It follows the part of Loki 3's
documented OTLP ingestion that the collector relies on:

- ``POST /otlp/v1/logs`` (the exporter is configured with ``<loki>/otlp`` and
  appends ``/v1/logs``), other paths answer 404;
- bodies in OTLP protobuf (``application/x-protobuf``) or OTLP JSON
  (``application/json``), each possibly ``Content-Encoding: gzip``; anything
  else answers 415, and a body that does not parse answers 400;
- the tenant comes from the ``X-Scope-OrgID`` header; with
  ``require_tenant=True`` (Loki with ``auth_enabled: true``) a request
  without one answers 401, otherwise an absent or empty header means Loki's
  single tenant ``fake``;
- success answers ``204 No Content``, as Loki's push endpoints do.

What it does not do: it stores nothing beyond memory, applies no limits
(rate, size, label count, the structured metadata switch), does not turn
resource attributes into index labels or structured metadata, and has no
query API: tests read what arrived with ``logs()`` and ``pushes()``.

A test can make it unavailable with ``set_available(False)`` (it answers
503, which the collector retries) or stop and restart it on the same port
with ``stop()`` and ``start()`` (connection refused meanwhile).
"""

from __future__ import annotations

import contextlib
import gzip
import socket
import sys
import threading
from dataclasses import dataclass, field
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from google.protobuf import json_format
from google.protobuf.message import DecodeError
from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceRequest
from opentelemetry.proto.common.v1.common_pb2 import AnyValue

PUSH_PATH = "/otlp/v1/logs"
SINGLE_TENANT = "fake"
"""The tenant Loki uses for every request when multi-tenancy is off."""


@dataclass(frozen=True)
class ReceivedLog:
    """One log record as it arrived, flattened with its resource."""

    tenant: str
    body: str
    resource: dict[str, object]
    attributes: dict[str, object]
    severity_text: str
    time_unix_nano: int


@dataclass
class PushRecord:
    """One accepted push request."""

    tenant: str
    content_type: str
    content_encoding: str
    request: ExportLogsServiceRequest = field(repr=False)


def any_value(value: AnyValue) -> object:
    """Return the Python value held by an OTLP ``AnyValue``."""
    kind = value.WhichOneof("value")
    if kind is None:
        return None
    if kind == "array_value":
        return [any_value(item) for item in value.array_value.values]
    if kind == "kvlist_value":
        return {kv.key: any_value(kv.value) for kv in value.kvlist_value.values}
    return getattr(value, kind)


class LokiStandin:
    """Loopback HTTP server that accepts OTLP logs the way Loki does."""

    def __init__(self, port: int, *, require_tenant: bool = False) -> None:
        self.port = port
        self.require_tenant = require_tenant
        self._lock = threading.Lock()
        self._pushes: list[PushRecord] = []
        self._rejected = 0
        self._available = True
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._connections: set[socket.socket] = set()

    @property
    def endpoint(self) -> str:
        """Base URL, as ``SRM_LOKI_ENDPOINT`` takes it (without ``/otlp``)."""
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        """Listen on 127.0.0.1:<port>; again after ``stop()``, on the same port."""
        if self._server is not None:
            return
        server = _QuietServer(("127.0.0.1", self.port), _handler_for(self))
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever, name="loki-standin", daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        """Close the socket: senders see connection refused until ``start()``."""
        server, thread = self._server, self._thread
        self._server = self._thread = None
        if server is None or thread is None:
            return
        server.shutdown()
        server.server_close()
        # Kept-alive connections would go on being served: cut them too.
        with self._lock:
            connections, self._connections = self._connections, set()
        for connection in connections:
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)
        thread.join(timeout=5)

    def set_available(self, available: bool) -> None:
        """While unavailable, every push answers 503 and is not recorded."""
        with self._lock:
            self._available = available

    @property
    def rejected(self) -> int:
        """Pushes answered with an error status (503 included)."""
        with self._lock:
            return self._rejected

    def pushes(self) -> list[PushRecord]:
        """Accepted push requests, in arrival order."""
        with self._lock:
            return list(self._pushes)

    def logs(self) -> list[ReceivedLog]:
        """Every accepted log record, in arrival order."""
        received = []
        for push in self.pushes():
            received.extend(_flatten(push))
        return received

    def _accept(self, push: PushRecord) -> None:
        with self._lock:
            self._pushes.append(push)

    def _count_rejection(self) -> None:
        with self._lock:
            self._rejected += 1

    def _is_available(self) -> bool:
        with self._lock:
            return self._available

    def __enter__(self) -> LokiStandin:
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


class _QuietServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: object, client_address: object) -> None:
        """A sender that hangs up, or ``stop()`` cutting a connection, is routine."""
        if not isinstance(sys.exc_info()[1], OSError):
            super().handle_error(request, client_address)  # type: ignore[arg-type]


def _flatten(push: PushRecord) -> list[ReceivedLog]:
    received = []
    for resource_logs in push.request.resource_logs:
        resource = {kv.key: any_value(kv.value) for kv in resource_logs.resource.attributes}
        for scope_logs in resource_logs.scope_logs:
            for record in scope_logs.log_records:
                received.append(
                    ReceivedLog(
                        tenant=push.tenant,
                        body=str(any_value(record.body)),
                        resource=resource,
                        attributes={kv.key: any_value(kv.value) for kv in record.attributes},
                        severity_text=record.severity_text,
                        time_unix_nano=record.time_unix_nano,
                    )
                )
    return received


def _handler_for(standin: LokiStandin) -> type[BaseHTTPRequestHandler]:
    class PushHandler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def setup(self) -> None:
            super().setup()
            with standin._lock:
                standin._connections.add(self.connection)

        def finish(self) -> None:
            with standin._lock:
                standin._connections.discard(self.connection)
            super().finish()

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            status, message = self._ingest(body)
            if status != HTTPStatus.NO_CONTENT:
                standin._count_rejection()
            self._answer(status, message)

        def _ingest(self, body: bytes) -> tuple[HTTPStatus, str]:
            if self.path != PUSH_PATH:
                return HTTPStatus.NOT_FOUND, "404 page not found"
            if not standin._is_available():
                return HTTPStatus.SERVICE_UNAVAILABLE, "stand-in made unavailable by the test"

            tenant = self.headers.get("X-Scope-OrgID", "")
            if not tenant and standin.require_tenant:
                return HTTPStatus.UNAUTHORIZED, "no org id"

            encoding = self.headers.get("Content-Encoding", "").lower()
            content_type = self.headers.get("Content-Type", "").split(";")[0].strip().lower()
            try:
                if encoding == "gzip":
                    body = gzip.decompress(body)
                elif encoding not in ("", "identity"):
                    return HTTPStatus.UNSUPPORTED_MEDIA_TYPE, f"unsupported encoding {encoding}"
                request = _parse(body, content_type)
            except (OSError, DecodeError, json_format.ParseError) as error:
                return HTTPStatus.BAD_REQUEST, f"malformed OTLP logs: {error}"
            if request is None:
                return HTTPStatus.UNSUPPORTED_MEDIA_TYPE, f"unsupported content type {content_type}"

            standin._accept(
                PushRecord(
                    tenant=tenant or SINGLE_TENANT,
                    content_type=content_type,
                    content_encoding=encoding,
                    request=request,
                )
            )
            return HTTPStatus.NO_CONTENT, ""

        def _answer(self, status: HTTPStatus, message: str) -> None:
            payload = message.encode()
            self.send_response(status)
            self.send_header("Content-Type", "text/plain; charset=utf-8")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            if payload:
                self.wfile.write(payload)

        def log_message(self, format: str, *args: object) -> None:
            """Keep the test output quiet; the recorded pushes tell the story."""

    return PushHandler


def _parse(body: bytes, content_type: str) -> ExportLogsServiceRequest | None:
    request = ExportLogsServiceRequest()
    if content_type == "application/x-protobuf":
        request.ParseFromString(body)
        return request
    if content_type == "application/json":
        json_format.Parse(body.decode(), request)
        return request
    return None
