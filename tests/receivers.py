"""An OTLP/HTTP receiver on loopback for the library's own tests and benchmarks.

It records each protobuf request by path (/v1/traces, /v1/logs, /v1/metrics),
or, with ``hang=True``, accepts the request and never answers, as a stuck
collector would.
"""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from opentelemetry.proto.collector.logs.v1 import logs_service_pb2


class OtlpHttpReceiver:
    """Records OTLP/HTTP protobuf requests by path; or hangs, never answering."""

    def __init__(self, hang: bool = False) -> None:
        self.requests: list[tuple[str, bytes]] = []
        self.release = threading.Event()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                if hang:
                    receiver.release.wait(10)
                    return
                receiver.requests.append((self.path, body))
                self.send_response(200)
                self.send_header("Content-Type", "application/x-protobuf")
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def log_bodies(self) -> list[str]:
        bodies = []
        for path, raw in self.requests:
            if path == "/v1/logs":
                request = logs_service_pb2.ExportLogsServiceRequest.FromString(raw)
                for resource_logs in request.resource_logs:
                    for scope_logs in resource_logs.scope_logs:
                        bodies += [r.body.string_value for r in scope_logs.log_records]
        return bodies

    def stop(self) -> None:
        self.release.set()
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)
