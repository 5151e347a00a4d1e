"""A guard for sockets: connections to addresses off this machine raise instead."""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable
from typing import Any


def loopback_guard(connect: Callable[..., Any]) -> Callable[..., Any]:
    def guarded(sock: socket.socket, address: Any) -> Any:
        if sock.family in (socket.AF_INET, socket.AF_INET6):
            host = str(address[0])
            if host != "localhost" and not ipaddress.ip_address(host).is_loopback:
                raise AssertionError(f"a test tried to connect to {host}, off this machine")
        return connect(sock, address)

    return guarded
