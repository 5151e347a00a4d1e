"""The suite's own guard: no test connects off this machine.

Checked with a stand-in for the real connect, so even a broken guard sends
nothing anywhere.
"""

from __future__ import annotations

import socket
from typing import Any

import pytest

from tests.loopback import loopback_guard


def test_the_guard_refuses_addresses_off_this_machine_and_passes_loopback() -> None:
    calls: list[Any] = []
    guarded = loopback_guard(lambda sock, address: calls.append(address))

    with socket.socket(socket.AF_INET) as sock:
        for address in (("100.64.0.113", 4317), ("100.64.0.160", 4318), ("192.0.2.1", 80)):
            with pytest.raises(AssertionError, match="off this machine"):
                guarded(sock, address)
        guarded(sock, ("127.0.0.1", 4317))
        guarded(sock, ("localhost", 4317))

    assert calls == [("127.0.0.1", 4317), ("localhost", 4317)]


def test_the_guard_is_installed_for_every_test() -> None:
    assert socket.socket.connect.__name__ == "guarded"
