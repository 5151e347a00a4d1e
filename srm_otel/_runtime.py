"""The configured runtime: input checks, the clock, the tracker, the sink and the watchdog."""

from __future__ import annotations

import logging
import math
import threading
import time
from collections.abc import Mapping
from typing import Any, Final, Protocol

from opentelemetry.trace import Status, StatusCode

from srm_otel._config import Settings
from srm_otel._guard import Throttle, internal_error
from srm_otel._pipeline import Pipeline
from srm_otel._profiles import build_profiles
from srm_otel._rounds import CANCELLED, COMPLETED, INVALID, FanoutSink, Round, RoundTracker
from srm_otel._stats import IntervalStatistics
from srm_otel._telemetry import TelemetrySink

_logger = logging.getLogger("srm_otel")

MAX_EVENT_LEN: Final = 64
MAX_GAME_TYPE_LEN: Final = 32
MAX_TABLE_LEN: Final = 64
MAX_ROUND_ID_LEN: Final = 128
MAX_DATA_ITEMS: Final = 16
MAX_DATA_VALUE_LEN: Final = 256
MAX_FUTURE_S: Final = 86_400.0
"""An explicit timestamp more than a day ahead is a unit mistake (ms for s), not an event."""
MIN_TIMESTAMP: Final = 1_000_000_000.0
"""POSIX seconds before September 2001 are a unit mistake too."""


class Clock(Protocol):
    """Seconds on one timeline: event stamps, span times and the watchdog all read it."""

    def now(self) -> float: ...


class MonotonicClock:
    """Wall-clock seconds at start, advanced by the monotonic clock.

    Durations of stamped events therefore never go negative when NTP or an
    operator steps the wall clock; the cost is that a long-running process
    drifts from the wall clock by whatever slew NTP applies meanwhile.
    """

    def __init__(self) -> None:
        self._offset = time.time() - time.monotonic()

    def now(self) -> float:
        return time.monotonic() + self._offset


class Runtime:
    """Everything srm_otel does between configure() and shutdown()."""

    def __init__(
        self,
        settings: Settings,
        pipeline: Pipeline,
        clock: Clock | None = None,
        *,
        watchdog: bool = True,
    ) -> None:
        self.settings = settings
        self.pipeline = pipeline
        self.clock = clock or MonotonicClock()
        self.profiles = build_profiles(settings.games)
        known_events = frozenset().union(*(p.events for p in self.profiles.values()))
        self.sink = TelemetrySink(
            pipeline.tracer(), pipeline.meter(), pipeline.logger(), known_events
        )
        self.statistics = IntervalStatistics()
        sink = FanoutSink(self.sink, self.statistics)
        self.tracker = RoundTracker(self.profiles, settings.rounds, sink)
        self._throttle = Throttle(_logger)
        self._watchdog = Watchdog(self, settings.rounds.timeout_s) if watchdog else None
        self._stopped = False

    # --- events -----------------------------------------------------------

    def record(
        self,
        event: Any,
        game_type: Any,
        table: Any,
        round_id: Any,
        timestamp: Any,
        data: Mapping[str, Any],
    ) -> str:
        """Check the input, stamp the event and hand it to the tracker."""
        name = _identity(event, MAX_EVENT_LEN) if isinstance(event, str) else None
        game = _identity(game_type, MAX_GAME_TYPE_LEN)
        tbl = _identity(table, MAX_TABLE_LEN)
        rid = _identity(round_id, MAX_ROUND_ID_LEN)
        now = self.clock.now()
        t = now if timestamp is None else _timestamp(timestamp, now)
        if name is None or game is None or tbl is None or rid is None or t is None:
            return self._invalid(name, event, game_type, table, round_id, timestamp)
        return self.tracker.record(name, game, tbl, rid, t, _clean_data(data), now)

    def _invalid(self, name: str | None, *raw: Any) -> str:
        self.sink.count_invalid(name or "_invalid")
        self._throttle.warning(
            "invalid",
            "dropping an event with an unusable name, identity or timestamp "
            "(event=%.80r, game_type=%.40r, table=%.80r, round_id=%.80r, timestamp=%.40r); "
            "counted in srm.events",
            *raw,
        )
        return INVALID

    # --- rounds as blocks -------------------------------------------------

    def open_block(self, game_type: Any, table: Any, round_id: Any) -> Round | None:
        game = _identity(game_type, MAX_GAME_TYPE_LEN)
        tbl = _identity(table, MAX_TABLE_LEN)
        rid = _identity(round_id, MAX_ROUND_ID_LEN)
        if game is None or tbl is None or rid is None:
            self._invalid(None, "round()", game_type, table, round_id, None)
            return None
        now = self.clock.now()
        return self.tracker.open_block(game, tbl, rid, now, now)

    def close_block(self, rnd: Round, error: BaseException | None) -> None:
        now = self.clock.now()
        if error is None:
            outcome, reason = COMPLETED, None
        else:
            outcome, reason = CANCELLED, f"{type(error).__name__} in the round"
            span = rnd.telemetry.span
            span.record_exception(error)
            span.set_status(Status(StatusCode.ERROR, reason))
        self.tracker.close_round(rnd.game_type, rnd.table, rnd.round_id, outcome, now, reason)

    def cancel(self, game_type: str, table: str, round_id: str, reason: str | None) -> bool:
        now = self.clock.now()
        return self.tracker.close_round(game_type, table, round_id, CANCELLED, now, reason)

    # --- lifecycle --------------------------------------------------------

    def sweep(self) -> int:
        return self.tracker.sweep(self.clock.now())

    def force_flush(self, timeout_s: float) -> bool:
        return self.pipeline.force_flush(timeout_s)

    def shutdown(self, timeout_s: float) -> None:
        if self._stopped:
            return
        self._stopped = True
        if self._watchdog is not None:
            self._watchdog.stop()
        self.tracker.close_all(self.clock.now(), "the process stopped before the round finished")
        self.pipeline.shutdown(timeout_s)


class Watchdog:
    """A daemon thread that closes rounds with no finish after ``rounds.timeout_s``."""

    def __init__(self, runtime: Runtime, timeout_s: float) -> None:
        self._runtime = runtime
        # Check ten times per timeout, so a stuck round is reported within 10% of it.
        self._period_s = min(max(timeout_s / 10.0, 0.05), 5.0)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.start()

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="srm-otel-watchdog", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(self._period_s):
            try:
                self._runtime.sweep()
            except Exception as exc:
                internal_error("watchdog", exc)

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout=2.0)


def _identity(value: Any, max_len: int) -> str | None:
    """A usable name or id: a non-empty printable string (or an int), not too long."""
    if isinstance(value, str):
        text = value.strip()
    elif isinstance(value, int) and not isinstance(value, bool):
        text = str(value)
    else:
        return None
    if not text or len(text) > max_len or not text.isprintable():
        return None
    return text


def _timestamp(value: Any, now: float) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    t = float(value)
    if not math.isfinite(t) or t < MIN_TIMESTAMP or t > now + MAX_FUTURE_S:
        return None
    return t


def _clean_data(data: Mapping[str, Any]) -> dict[str, Any] | None:
    """Event data as span-event attributes: primitives kept, strings cut, the rest as text."""
    if not data:
        return None
    clean: dict[str, Any] = {}
    for key, value in list(data.items())[:MAX_DATA_ITEMS]:
        if value is None:
            continue
        if isinstance(value, str):
            clean[key] = value[:MAX_DATA_VALUE_LEN]
        elif isinstance(value, (bool, int, float)):
            clean[key] = value
        else:
            clean[key] = repr(value)[:MAX_DATA_VALUE_LEN]
    return clean or None
