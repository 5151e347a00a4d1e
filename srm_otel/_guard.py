"""The guard around every internal step: the game keeps running, with less telemetry.

An unexpected error inside srm_otel is logged once per call site and the call
becomes a no-op. The project's own test suite sets ``RAISE_INTERNAL_ERRORS``
(or ``SRM_OTEL_RAISE_INTERNAL_ERRORS=1`` in a subprocess) so bugs surface.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable
from typing import ParamSpec, TypeVar

_logger = logging.getLogger("srm_otel")

RAISE_INTERNAL_ERRORS = os.environ.get("SRM_OTEL_RAISE_INTERNAL_ERRORS", "") == "1"

_reported: set[str] = set()
_reported_lock = threading.Lock()

P = ParamSpec("P")
R = TypeVar("R")


def internal_error(where: str, exc: BaseException) -> None:
    """Report an internal failure once per call site, or re-raise under our tests."""
    if RAISE_INTERNAL_ERRORS:
        raise exc
    with _reported_lock:
        first = where not in _reported
        _reported.add(where)
    if first:
        _logger.error(
            "srm_otel internal error in %s; the game continues with less telemetry "
            "(further errors here are not logged)",
            where,
            exc_info=exc,
        )


def guarded(where: str, default: R) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """Decorate an internal entry point so it never raises into the caller."""

    def decorate(fn: Callable[P, R]) -> Callable[P, R]:
        def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
            try:
                return fn(*args, **kwargs)
            except Exception as exc:
                internal_error(where, exc)
                return default

        wrapper.__name__ = fn.__name__
        wrapper.__qualname__ = fn.__qualname__
        wrapper.__doc__ = fn.__doc__
        return wrapper

    return decorate


class Throttle:
    """Lets a repeated warning through at most once per ``period_s``, counting the rest."""

    def __init__(self, logger: logging.Logger, period_s: float = 60.0) -> None:
        self._logger = logger
        self._period_s = period_s
        self._last: dict[str, float] = {}
        self._suppressed: dict[str, int] = {}
        self._lock = threading.Lock()

    def warning(self, key: str, msg: str, *args: object) -> None:
        now = time.monotonic()
        with self._lock:
            last = self._last.get(key)
            if last is not None and now - last < self._period_s:
                self._suppressed[key] = self._suppressed.get(key, 0) + 1
                return
            self._last[key] = now
            suppressed = self._suppressed.pop(key, 0)
        if suppressed:
            msg += " (%d similar messages suppressed)"
            args = (*args, suppressed)
        self._logger.warning(msg, *args)
