"""Loopback servers the benchmarks send to, each run in a child process.

``sink``    answers every POST at once with 200 (a healthy collector, Loki or Pushgateway).
``hang``    accepts connections and never answers (a stuck collector).

Run as ``python -m bench._servers MODE``: it prints its port on one line, then
serves until its standard input closes, so it never outlives the benchmark.
"""

from __future__ import annotations

import socket
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any

LOOPBACK = "127.0.0.1"


class _Sink(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as a collector offers

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        self.rfile.read(length)
        self.send_response(200)
        self.send_header("Content-Type", "application/x-protobuf")
        self.send_header("Content-Length", "0")
        self.end_headers()

    def do_PUT(self) -> None:  # Pushgateway also takes PUT
        self.do_POST()

    def log_message(self, *args: Any) -> None:
        pass


def _serve_sink() -> None:
    server = ThreadingHTTPServer((LOOPBACK, 0), _Sink)
    server.daemon_threads = True
    print(server.server_address[1], flush=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    sys.stdin.read()


def _serve_hang() -> None:
    listener = socket.create_server((LOOPBACK, 0), backlog=64)
    print(listener.getsockname()[1], flush=True)
    held: list[socket.socket] = []

    def accept_forever() -> None:
        while True:
            conn, _ = listener.accept()
            held.append(conn)  # read nothing, answer nothing, close nothing

    threading.Thread(target=accept_forever, daemon=True).start()
    sys.stdin.read()


class Server:
    """A server child process; use as a context manager, read ``url``."""

    def __init__(self, mode: str) -> None:
        self.mode = mode
        self._proc = subprocess.Popen(
            [sys.executable, "-m", "bench._servers", mode],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self._proc.stdout is not None
        self.port = int(self._proc.stdout.readline())
        self.url = f"http://{LOOPBACK}:{self.port}"

    def stop(self) -> None:
        if self._proc.poll() is None:
            assert self._proc.stdin is not None
            self._proc.stdin.close()
            try:
                self._proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait()

    def __enter__(self) -> Server:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


def closed_port_url() -> str:
    """A loopback URL where nothing listens: connections are refused at once."""
    with socket.socket() as probe:
        probe.bind((LOOPBACK, 0))
        port = probe.getsockname()[1]
    return f"http://{LOOPBACK}:{port}"


if __name__ == "__main__":
    {"sink": _serve_sink, "hang": _serve_hang}[sys.argv[1]]()
