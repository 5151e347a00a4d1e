"""Shared fixtures: srm_otel on in-memory exporters with a fixed clock.

Internal errors re-raise under this suite (STYLE habit 1), so a bug in the
library fails a test instead of being logged and swallowed.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from srm_otel import _guard
from srm_otel.testing import CapturedTelemetry, capture

_guard.RAISE_INTERNAL_ERRORS = True


@pytest.fixture
def telemetry() -> Iterator[CapturedTelemetry]:
    with capture() as captured:
        yield captured
