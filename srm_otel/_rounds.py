"""Round tracking: events in, intervals and round outcomes out. No OpenTelemetry here.

The tracker keeps the open rounds of each table and the last cross-round
start events, and tells a ``RoundSink`` what happened. Memory is bounded:
at most ``max_tables`` tables, ``max_open_per_table`` open rounds a table and a
short list of recently closed round ids a table. The caller holds no lock; the
tracker takes its own, so game threads may report concurrently.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from typing import Any, Final, Protocol

from srm_otel._config import RoundSettings
from srm_otel._profiles import GENERIC_GAME, TABLEAPI_FINISH, GameProfile, IntervalSpec
from srm_otel.semconv import OVERFLOW_TABLE

ACCEPTED: Final = "accepted"
DUPLICATE: Final = "duplicate"
LATE: Final = "late"
UNKNOWN_EVENT: Final = "unknown_event"
INVALID: Final = "invalid"
REORDERED: Final = "reordered"
OVERFLOW: Final = "overflow"

COMPLETED: Final = "completed"
INCOMPLETE: Final = "incomplete"
CANCELLED: Final = "cancelled"

SWEEP_BATCH: Final = 32
"""Stale rounds the watchdog closes per hold of the tracker's lock (a few ms of work)."""

CLOSED_IDS_KEPT: Final = 64
"""Recently closed round ids remembered per table, to tell late events from new rounds."""


class Round:
    """One round of one table: its accepted events and the sink's handle for it."""

    __slots__ = (
        "block_start",
        "events",
        "game_type",
        "opened_at",
        "profile",
        "round_id",
        "table",
        "telemetry",
    )

    def __init__(
        self, game_type: str, table: str, round_id: str, profile: GameProfile, now: float
    ) -> None:
        self.game_type = game_type
        self.table = table
        self.round_id = round_id
        self.profile = profile
        self.events: dict[str, float] = {}
        self.opened_at = now
        self.telemetry: Any = None
        self.block_start: float | None = None

    @property
    def last_event_time(self) -> float | None:
        return max(self.events.values()) if self.events else None


class CrossMark:
    """The latest start event of a cross-round interval on a table."""

    __slots__ = ("round", "t")

    def __init__(self, t: float, rnd: Round) -> None:
        self.t = t
        self.round = rnd


class TableState:
    __slots__ = ("closed", "last_cross", "open")

    def __init__(self) -> None:
        self.open: OrderedDict[str, Round] = OrderedDict()
        self.closed: OrderedDict[str, None] = OrderedDict()
        self.last_cross: dict[str, CrossMark] = {}

    def remember_closed(self, round_id: str) -> None:
        self.closed[round_id] = None
        if len(self.closed) > CLOSED_IDS_KEPT:
            self.closed.popitem(last=False)


class RoundSink(Protocol):
    """Receives what the tracker decided; the telemetry layer implements it."""

    def round_opened(self, rnd: Round, t: float) -> None: ...

    def event_accepted(
        self, rnd: Round, event: str, t: float, data: Mapping[str, Any] | None
    ) -> None: ...

    def interval_measured(
        self, rnd: Round, spec: IntervalSpec, start: float, end: float, previous: Round | None
    ) -> None: ...

    def round_closed(self, rnd: Round, outcome: str, end: float, reason: str | None) -> None: ...

    def event_rejected(self, game_type: str, table: str, event: str, outcome: str) -> None: ...


class FanoutSink:
    """Passes every decision to the telemetry sink, then to in-process observers."""

    def __init__(self, primary: RoundSink, *observers: Any) -> None:
        self._primary = primary
        self._observers = observers

    def round_opened(self, rnd: Round, t: float) -> None:
        self._primary.round_opened(rnd, t)

    def event_accepted(
        self, rnd: Round, event: str, t: float, data: Mapping[str, Any] | None
    ) -> None:
        self._primary.event_accepted(rnd, event, t, data)

    def interval_measured(
        self, rnd: Round, spec: IntervalSpec, start: float, end: float, previous: Round | None
    ) -> None:
        self._primary.interval_measured(rnd, spec, start, end, previous)
        for observer in self._observers:
            observer.interval_measured(rnd, spec, start, end, previous)

    def round_closed(self, rnd: Round, outcome: str, end: float, reason: str | None) -> None:
        self._primary.round_closed(rnd, outcome, end, reason)
        for observer in self._observers:
            observer.round_closed(rnd, outcome, end, reason)

    def event_rejected(self, game_type: str, table: str, event: str, outcome: str) -> None:
        self._primary.event_rejected(game_type, table, event, outcome)


class RoundTracker:
    """Turns events into intervals and closed rounds, within fixed memory bounds."""

    def __init__(
        self, profiles: Mapping[str, GameProfile], settings: RoundSettings, sink: RoundSink
    ) -> None:
        self._profiles = profiles
        self._generic = profiles[GENERIC_GAME]
        self._settings = settings
        self._sink = sink
        self._tables: dict[tuple[str, str], TableState] = {}
        self._lock = threading.Lock()

    def profile(self, game_type: str) -> GameProfile:
        return self._profiles.get(game_type, self._generic)

    @property
    def open_rounds(self) -> int:
        with self._lock:
            return sum(len(t.open) for t in self._tables.values())

    @property
    def table_count(self) -> int:
        return len(self._tables)

    def record(
        self,
        event: str,
        game_type: str,
        table: str,
        round_id: str,
        t: float,
        data: Mapping[str, Any] | None,
        now: float,
    ) -> str:
        """Apply one event; return the outcome that ``srm.events`` counts it under."""
        profile = self._profiles.get(game_type, self._generic)
        if event not in profile.events:
            return self._reject(game_type, table, event, UNKNOWN_EVENT)
        with self._lock:
            state = self._tables.get((game_type, table)) or self._table(game_type, table)
            if state is None:
                return self._reject(game_type, table, event, OVERFLOW)
            if round_id in state.closed:
                return self._reject(game_type, table, event, LATE)
            rnd = state.open.get(round_id) or self._open(state, game_type, table, round_id, now, t)
            if event in rnd.events:
                return self._reject(game_type, table, event, DUPLICATE)
            intervals = _in_round_intervals(rnd, event, t)
            if intervals is None:
                return self._reject(game_type, table, event, REORDERED)
            self._accept(state, rnd, event, t, data, intervals)
            if event == TABLEAPI_FINISH:
                self._close(state, rnd, COMPLETED, t, None)
        return ACCEPTED

    def _table(self, game_type: str, table: str) -> TableState | None:
        key = (game_type, table)
        state = self._tables.get(key)
        if state is None and len(self._tables) < self._settings.max_tables:
            state = self._tables[key] = TableState()
        return state

    def _open(
        self, state: TableState, game_type: str, table: str, round_id: str, now: float, t: float
    ) -> Round:
        if len(state.open) >= self._settings.max_open_per_table:
            oldest = next(iter(state.open.values()))
            reason = f"evicted: more than {self._settings.max_open_per_table} open rounds"
            self._close(state, oldest, INCOMPLETE, oldest.last_event_time or now, reason)
        rnd = Round(game_type, table, round_id, self.profile(game_type), now)
        state.open[round_id] = rnd
        self._sink.round_opened(rnd, t)
        return rnd

    def _accept(
        self,
        state: TableState,
        rnd: Round,
        event: str,
        t: float,
        data: Mapping[str, Any] | None,
        intervals: Sequence[tuple[IntervalSpec, float, float]],
    ) -> None:
        rnd.events[event] = t
        self._sink.event_accepted(rnd, event, t, data)
        for spec, start, end in intervals:
            self._sink.interval_measured(rnd, spec, start, end, None)
        self._cross_round(state, rnd, event, t)

    def _cross_round(self, state: TableState, rnd: Round, event: str, t: float) -> None:
        for spec in rnd.profile.cross_ending_with.get(event, ()):
            mark = state.last_cross.get(spec.start_event)
            if mark is None or mark.round is rnd:
                continue
            # A gap longer than the round timeout is a table break, not a round's rhythm.
            if 0.0 <= t - mark.t <= self._settings.timeout_s:
                self._sink.interval_measured(rnd, spec, mark.t, t, mark.round)
        if event in rnd.profile.cross_start_events:
            mark = state.last_cross.get(event)
            if mark is None or mark.t <= t:
                state.last_cross[event] = CrossMark(t, rnd)

    def _close(
        self, state: TableState, rnd: Round, outcome: str, end: float, reason: str | None
    ) -> None:
        del state.open[rnd.round_id]
        state.remember_closed(rnd.round_id)
        self._sink.round_closed(rnd, outcome, end, reason)

    def _reject(self, game_type: str, table: str, event: str, outcome: str) -> str:
        if outcome == OVERFLOW:
            table = OVERFLOW_TABLE
        self._sink.event_rejected(game_type, table, event, outcome)
        return outcome

    def close_round(
        self,
        game_type: str,
        table: str,
        round_id: str,
        outcome: str,
        now: float,
        reason: str | None = None,
    ) -> bool:
        """End an open round now (context exit, cancel); False when it is not open."""
        with self._lock:
            state = self._tables.get((game_type, table))
            rnd = state.open.get(round_id) if state else None
            if state is None or rnd is None:
                return False
            self._close(state, rnd, outcome, now, reason)
            return True

    def open_block(
        self, game_type: str, table: str, round_id: str, now: float, t: float
    ) -> Round | None:
        """Open a round for a ``with round()`` block at time ``t``; None on overflow."""
        with self._lock:
            state = self._table(game_type, table)
            if state is None:
                return None
            rnd = state.open.get(round_id)
            if rnd is None:
                state.closed.pop(round_id, None)
                rnd = self._open(state, game_type, table, round_id, now, t)
            if rnd.block_start is None:
                rnd.block_start = t
            return rnd

    def sweep(self, now: float) -> int:
        """Close every round open longer than ``rounds.timeout_s``; return how many."""
        timeout = self._settings.timeout_s
        reason = f"no finish within {timeout:g}s"
        with self._lock:
            stale = [
                (state, rnd)
                for state in self._tables.values()
                for rnd in state.open.values()
                if now - rnd.opened_at >= timeout
            ]
        # Closing a round writes its span, log and metrics; thousands stuck at once would
        # hold the lock, and every game thread's record(), for the whole pile. Close them
        # a batch per hold, and let waiting threads run between batches.
        closed = 0
        for first in range(0, len(stale), SWEEP_BATCH):
            if first:
                time.sleep(0)
            with self._lock:
                for state, rnd in stale[first : first + SWEEP_BATCH]:
                    if state.open.get(rnd.round_id) is rnd:
                        self._close(state, rnd, INCOMPLETE, rnd.last_event_time or now, reason)
                        closed += 1
        return closed

    def close_all(self, now: float, reason: str) -> int:
        """Close every open round as incomplete (the process is stopping)."""
        with self._lock:
            rounds = [(s, r) for s in self._tables.values() for r in list(s.open.values())]
            for state, rnd in rounds:
                self._close(state, rnd, INCOMPLETE, rnd.last_event_time or now, reason)
        return len(rounds)


def _in_round_intervals(
    rnd: Round, event: str, t: float
) -> Sequence[tuple[IntervalSpec, float, float]] | None:
    """Intervals this event completes, in either arrival order; None if its time contradicts one."""
    ending = rnd.profile.ending_with.get(event)
    starting = rnd.profile.starting_with.get(event)
    if ending is None and starting is None:
        return ()
    found = []
    events = rnd.events
    for spec in ending or ():
        start = events.get(spec.start_event)
        if start is not None:
            if t < start:
                return None
            found.append((spec, start, t))
    for spec in starting or ():
        end = events.get(spec.end_event)
        if end is not None:
            if end < t:
                return None
            found.append((spec, t, end))
    return found
