"""Shared fixtures: srm_otel on in-memory exporters with a fixed clock.

Internal errors re-raise under this suite (STYLE habit 1), so a bug in the
library fails a test instead of being logged and swallowed.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from srm_otel import _guard
from srm_otel.testing import CapturedTelemetry, capture
from tests.loopback import loopback_guard

_guard.RAISE_INTERNAL_ERRORS = True


@pytest.fixture(autouse=True)
def loopback_only(monkeypatch: pytest.MonkeyPatch) -> None:
    """No test may connect off this machine: GE and TPE are production servers.

    Guards every Python socket of the test process (gRPC's C core and
    subprocesses have their own sockets: their endpoints come from tests that
    choose 127.0.0.1).
    """
    for name in ("connect", "connect_ex"):
        monkeypatch.setattr(socket.socket, name, loopback_guard(getattr(socket.socket, name)))


@pytest.fixture
def telemetry() -> Iterator[CapturedTelemetry]:
    with capture() as captured:
        yield captured


@pytest.fixture
def isolated_settings(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """No SRM_* or OTEL_* variable of this machine, and no ./srm.yaml, reach the test."""
    for name in list(os.environ):
        if name.startswith(("OTEL_", "SRM_")):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)
    return tmp_path
