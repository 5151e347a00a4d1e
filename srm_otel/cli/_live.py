"""What ``demo`` and ``replay`` print: the interval table, live on a terminal, plain otherwise.

The figures come from the library's in-process statistics (a window of recent
values per interval), so p50 and p95 here are exact over that window, while
Prometheus estimates them from histogram buckets.
"""

from __future__ import annotations

import logging
import shutil
import sys
from collections import deque
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Final, TextIO

from srm_otel._rounds import CANCELLED, COMPLETED, INCOMPLETE
from srm_otel._runtime import Runtime
from srm_otel._stats import IntervalSummary

INTERVAL_WIDTH: Final = 28
NOTES_SHOWN: Final = 3


@dataclass(frozen=True)
class Snapshot:
    """The library's figures at one moment, per game."""

    intervals: Sequence[IntervalSummary]
    rounds: Mapping[tuple[str, str, str], int]
    open_rounds: int
    order: Mapping[str, Sequence[str]] = field(default_factory=dict)
    """Interval names per game in the profile's order, so the table reads like a round."""

    @classmethod
    def of(cls, runtime: Runtime) -> Snapshot:
        order = {game: [s.name for s in p.intervals] for game, p in runtime.profiles.items()}
        return cls(
            runtime.statistics.intervals(per_table=False),
            runtime.statistics.rounds(),
            runtime.tracker.open_rounds,
            order,
        )

    def rounds_by_game(self) -> dict[str, dict[str, int]]:
        games: dict[str, dict[str, int]] = {}
        for (game, _table, outcome), count in self.rounds.items():
            per_outcome = games.setdefault(game, {})
            per_outcome[outcome] = per_outcome.get(outcome, 0) + count
        return games

    def total(self, outcome: str) -> int:
        return sum(n for (_g, _t, o), n in self.rounds.items() if o == outcome)

    def ordered_intervals(self) -> list[IntervalSummary]:
        def key(summary: IntervalSummary) -> tuple[str, int, str]:
            names = list(self.order.get(summary.game_type, ()))
            index = names.index(summary.interval) if summary.interval in names else len(names)
            return summary.game_type, index, summary.interval

        return sorted(self.intervals, key=key)


def _seconds(value: float) -> str:
    return f"{value:.2f}s" if value < 100 else f"{value:.0f}s"


def _expected(summary: IntervalSummary) -> str:
    if summary.expected_s is None:
        return "-"
    low, high = summary.expected_s
    return f"{low:g}-{high:g}s"


def _out_of_range(summary: IntervalSummary) -> str:
    if summary.expected_s is None:
        return "-"
    if not summary.out_of_range:
        return "0"
    return f"{summary.out_of_range} ({100.0 * summary.out_of_range / summary.count:.0f}%)"


def table_lines(snapshot: Snapshot) -> list[str]:
    """The interval table and the rounds table, as plain text lines."""
    lines = [
        f"{'game':<9} {'interval':<{INTERVAL_WIDTH}} {'count':>6} {'p50':>8} {'p95':>8}"
        f"  {'expected':<9} {'out of range':>12}"
    ]
    previous_game = None
    for s in snapshot.ordered_intervals():
        game = s.game_type if s.game_type != previous_game else ""
        previous_game = s.game_type
        lines.append(
            f"{game:<9} {s.interval:<{INTERVAL_WIDTH}} {s.count:>6} {_seconds(s.median):>8}"
            f" {_seconds(s.p95):>8}  {_expected(s):<9} {_out_of_range(s):>12}"
        )
    if len(lines) == 1:
        lines.append("(no interval measured yet)")
    lines.append("")
    lines.append(f"{'rounds':<9} {'completed':>10} {'incomplete':>11} {'cancelled':>10}")
    for game, outcomes in sorted(snapshot.rounds_by_game().items()):
        lines.append(
            f"{game:<9} {outcomes.get(COMPLETED, 0):>10} {outcomes.get(INCOMPLETE, 0):>11}"
            f" {outcomes.get(CANCELLED, 0):>10}"
        )
    lines.append(f"open now: {snapshot.open_rounds}")
    return lines


def status_line(snapshot: Snapshot) -> str:
    """One line for logs and pipes: rounds, intervals and the worst interval against its range."""
    measured = sum(s.count for s in snapshot.intervals)
    out = sum(s.out_of_range for s in snapshot.intervals)
    text = (
        f"rounds {snapshot.total(COMPLETED)} completed, {snapshot.total(INCOMPLETE)} incomplete,"
        f" {snapshot.open_rounds} open; intervals {measured}, {out} out of range"
    )
    worst = _worst(snapshot.intervals)
    if worst is not None:
        text += (
            f"; highest p95 against its range: {worst.game_type} {worst.interval}"
            f" {_seconds(worst.p95)} (expected {_expected(worst)})"
        )
    return text


def _worst(summaries: Sequence[IntervalSummary]) -> IntervalSummary | None:
    ranged = [s for s in summaries if s.expected_s is not None]
    if not ranged:
        return None
    return max(ranged, key=lambda s: s.p95 / s.expected_s[1] if s.expected_s else 0.0)


class NoteCollector(logging.Handler):
    """Keeps the library's warnings while the live table owns the terminal."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.notes: deque[str] = deque(maxlen=NOTES_SHOWN)

    def emit(self, record: logging.LogRecord) -> None:
        try:
            self.notes.append(f"{record.levelname.lower()}: {record.getMessage()}")
        except Exception:
            self.handleError(record)


class LiveTable:
    """Redraws the table in place on a terminal (ANSI cursor moves, no extra dependency)."""

    def __init__(self, out: TextIO, notes: NoteCollector | None = None) -> None:
        self._out = out
        self._notes = notes
        self._drawn = 0

    def update(self, header: str, snapshot: Snapshot) -> None:
        lines = [header, "", *table_lines(snapshot)]
        if self._notes is not None and self._notes.notes:
            lines += ["", *self._notes.notes]
        # Lines that would scroll off the top could not be redrawn: cut to the terminal's size.
        columns, rows = shutil.get_terminal_size()
        lines = lines[: max(rows - 1, 3)]
        text = "".join(f"{line[: columns - 1]}\x1b[K\n" for line in lines)
        # Move up over the previous drawing, redraw, and clear what it left below.
        up = f"\x1b[{self._drawn}F" if self._drawn else ""
        self._out.write(f"{up}{text}\x1b[J")
        self._out.flush()
        self._drawn = len(lines)

    def close(self) -> None:
        self._drawn = 0
        self._out.flush()


class PlainLines:
    """One status line per update, for pipes, files and CI logs."""

    def __init__(self, out: TextIO) -> None:
        self._out = out

    def update(self, header: str, snapshot: Snapshot) -> None:
        print(f"{header}: {status_line(snapshot)}", file=self._out, flush=True)

    def close(self) -> None:
        self._out.flush()


def is_terminal(out: TextIO) -> bool:
    try:
        return out.isatty()
    except (AttributeError, ValueError):
        return False


def print_summary(title: str, snapshot: Snapshot, out: TextIO | None = None) -> None:
    out = out or sys.stdout
    print(title, file=out)
    print("", file=out)
    for line in table_lines(snapshot):
        print(line, file=out)
    out.flush()
