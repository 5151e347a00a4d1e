"""A stand-in trace backend: an OTLP/gRPC trace service on loopback that keeps
what it receives (any OTLP trace backend, such as Tempo, takes the same call)."""

from __future__ import annotations

import threading
from concurrent import futures
from typing import Any

import grpc
from opentelemetry.proto.collector.trace.v1 import trace_service_pb2, trace_service_pb2_grpc


class TraceBackendStandin(trace_service_pb2_grpc.TraceServiceServicer):
    """Records every exported span's name; ``endpoint`` is host:port."""

    def __init__(self, port: int) -> None:
        self.port = port
        self._lock = threading.Lock()
        self._span_names: list[str] = []
        self._server: grpc.Server | None = None

    @property
    def endpoint(self) -> str:
        return f"127.0.0.1:{self.port}"

    def Export(self, request: Any, context: Any) -> Any:
        names = [
            span.name
            for resource_spans in request.resource_spans
            for scope_spans in resource_spans.scope_spans
            for span in scope_spans.spans
        ]
        with self._lock:
            self._span_names.extend(names)
        return trace_service_pb2.ExportTraceServiceResponse()

    def span_names(self) -> list[str]:
        with self._lock:
            return list(self._span_names)

    def start(self) -> None:
        server = grpc.server(futures.ThreadPoolExecutor(max_workers=2))
        trace_service_pb2_grpc.add_TraceServiceServicer_to_server(self, server)
        server.add_insecure_port(self.endpoint)
        server.start()
        self._server = server

    def stop(self) -> None:
        if self._server is not None:
            self._server.stop(grace=None).wait(timeout=5)
            self._server = None
