"""Fixtures for the reliability tests.

The collector, Prometheus and Loki stand-in fixtures are the end-to-end
suite's own, imported here so both suites start servers the same way: on
127.0.0.1 ports chosen at run time, stopped by the test on fixed timeouts.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

import srm_otel
from tests.e2e.conftest import (  # noqa: F401
    collector_binary,
    loki,
    prometheus_server,
    start_collector,
)


@pytest.fixture
def library_shutdown() -> Iterator[None]:
    """Stop srm_otel after the test, bounded, whatever the test left running."""
    yield
    srm_otel.shutdown(timeout_s=2.0)
