"""Loopback ports and readiness checks. Tests use 127.0.0.1 only."""

from __future__ import annotations

import socket
import time
import urllib.error
import urllib.request
from collections.abc import Callable

LOOPBACK = "127.0.0.1"


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now.

    The port is released before it is returned, so another process could in
    principle take it first; the servers started with it fail loudly then.
    """
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((LOOPBACK, 0))
        return int(sock.getsockname()[1])


def free_ports(count: int) -> list[int]:
    """``count`` distinct free ports, all held open until every one is chosen."""
    sockets = []
    try:
        for _ in range(count):
            sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            sock.bind((LOOPBACK, 0))
            sockets.append(sock)
        return [int(sock.getsockname()[1]) for sock in sockets]
    finally:
        for sock in sockets:
            sock.close()


def port_is_open(port: int, host: str = LOOPBACK) -> bool:
    """Whether something accepts TCP connections on host:port."""
    try:
        with socket.create_connection((host, port), timeout=0.5):
            return True
    except OSError:
        return False


def http_status(url: str, timeout: float = 2.0) -> int | None:
    """HTTP status of a GET, or None when nothing answers."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return int(response.status)
    except urllib.error.HTTPError as error:
        return int(error.code)
    except (urllib.error.URLError, OSError):
        return None


def wait_until(
    condition: Callable[[], bool],
    *,
    timeout: float,
    interval: float = 0.2,
    what: str = "condition",
) -> None:
    """Poll ``condition`` until it holds; raise ``TimeoutError`` after ``timeout`` s."""
    deadline = time.monotonic() + timeout
    while True:
        if condition():
            return
        if time.monotonic() >= deadline:
            raise TimeoutError(f"{what} did not hold within {timeout:.0f} s")
        time.sleep(interval)


def wait_for_port(port: int, *, timeout: float = 30.0) -> None:
    """Wait until 127.0.0.1:<port> accepts connections."""
    wait_until(lambda: port_is_open(port), timeout=timeout, what=f"port {port} open")


def wait_for_http_ok(url: str, *, timeout: float = 30.0) -> None:
    """Wait until a GET on ``url`` answers 200."""
    wait_until(lambda: http_status(url) == 200, timeout=timeout, what=f"200 from {url}")
