"""``srm-otel replay``: feed recorded events (JSON lines) through the library.

Each line is one JSON object: ``event``, ``game_type``, ``table``,
``round_id``, ``timestamp`` (POSIX seconds, or an ISO 8601 time with a zone)
and optionally ``data`` (an object). The library runs on the recording's
timeline: its clock is the latest timestamp fed, so round timeouts and
cross-round intervals come out as they would have live. Bad lines are
reported with their line numbers and skipped.

Spans and logs keep the recorded times. Metrics are cumulative, so a
collector's Prometheus sees the replayed values at the time of the replay.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Final, Protocol, TextIO

import srm_otel
from srm_otel import _api
from srm_otel._guard import internal_error
from srm_otel._pipeline import build_pipeline
from srm_otel._runtime import Runtime
from srm_otel.cli._common import fail, load_settings, positive_float
from srm_otel.cli._live import Snapshot, print_summary

COMMAND: Final = "replay"
REQUIRED_TEXT: Final = ("event", "game_type", "table")
BAD_LINES_SHOWN: Final = 20
"""Bad lines printed one by one; the rest are only counted."""
SWEEP_EVERY_S: Final = 1.0
"""Recording seconds between two runs of the round timeout."""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", metavar="FILE.jsonl", help="recorded events, one JSON per line")
    parser.add_argument(
        "--speed",
        type=positive_float,
        metavar="X",
        help="replay X recording seconds per real second (default: as fast as possible)",
    )
    parser.add_argument(
        "--config",
        metavar="FILE",
        help="configuration, as for configure() (default: $SRM_CONFIG, else ./srm.yaml, "
        "else defaults)",
    )


class SteppedClock(Protocol):
    """A clock the replay moves forward: srm_otel.testing.FakeClock is one."""

    def now(self) -> float: ...

    def advance(self, seconds: float) -> float: ...


class RecordingClock:
    """The recording's time: where the last event put it, never backwards."""

    def __init__(self) -> None:
        self.t = 0.0

    def now(self) -> float:
        return self.t

    def advance(self, seconds: float) -> float:
        self.t += seconds
        return self.t


class BadLine(ValueError):
    """A line that is not a usable event; the message says why."""


@dataclass(frozen=True, slots=True)
class RecordedEvent:
    event: str
    game_type: str
    table: str
    round_id: str
    timestamp: float
    data: Mapping[str, Any]


@dataclass
class ReplayReport:
    lines: int = 0
    replayed: int = 0
    bad: list[tuple[int, str]] = field(default_factory=list)
    outcomes: Counter[str] = field(default_factory=Counter)
    first: float | None = None
    last: float | None = None


def run(args: argparse.Namespace) -> int:
    path = Path(args.file)
    try:
        source = path.open(encoding="utf-8", errors="replace")
    except OSError as exc:
        return fail(COMMAND, f"cannot read {path}: {exc.strerror or exc}")
    settings = load_settings(COMMAND, args.config)
    if settings is None:
        source.close()
        return 1
    clock = RecordingClock()
    runtime = _api.start(settings, build_pipeline(settings), clock, watchdog=False)
    try:
        with source:
            report = replay_lines(source, runtime, clock, args.speed, sys.stderr)
    except KeyboardInterrupt:
        srm_otel.shutdown()
        return 130
    final = Snapshot.of(runtime)
    srm_otel.shutdown()
    print_summary(_title(path, report), final)
    print(_outcomes_text(report))
    return 1 if report.replayed == 0 and report.bad else 0


def replay_lines(
    lines: Iterable[str],
    runtime: Runtime,
    clock: SteppedClock,
    speed: float | None,
    errors: TextIO,
) -> ReplayReport:
    """Feed each line's event to ``runtime`` on the recording's timeline; report what happened."""
    report = ReplayReport()
    last_sweep = -math.inf
    for number, line in enumerate(lines, start=1):
        report.lines = number
        if not line.strip():
            continue
        try:
            event = parse_line(line)
        except BadLine as exc:
            report.bad.append((number, str(exc)))
            _print_bad(number, str(exc), len(report.bad), errors)
            continue
        _move_clock(clock, event.timestamp, speed, report.last)
        report.first = event.timestamp if report.first is None else report.first
        report.last = max(report.last or event.timestamp, event.timestamp)
        report.outcomes[_feed(runtime, event)] += 1
        report.replayed += 1
        if clock.now() - last_sweep >= SWEEP_EVERY_S:
            runtime.sweep()
            last_sweep = clock.now()
    runtime.sweep()
    if len(report.bad) > BAD_LINES_SHOWN:
        print(f"... and {len(report.bad) - BAD_LINES_SHOWN} more bad lines", file=errors)
    return report


def _move_clock(
    clock: SteppedClock, timestamp: float, speed: float | None, previous: float | None
) -> None:
    if speed is not None and previous is not None and timestamp > previous:
        time.sleep((timestamp - previous) / speed)
    if timestamp > clock.now():
        clock.advance(timestamp - clock.now())


def _feed(runtime: Runtime, event: RecordedEvent) -> str:
    try:
        return runtime.record(
            event.event, event.game_type, event.table, event.round_id, event.timestamp, event.data
        )
    except Exception as exc:
        internal_error("replay", exc)
        return "failed"


def parse_line(line: str) -> RecordedEvent:
    """One recorded event, or BadLine naming what is wrong with it."""
    try:
        raw = json.loads(line)
    except json.JSONDecodeError as exc:
        raise BadLine(f"not JSON ({exc.msg} at column {exc.colno})") from None
    if not isinstance(raw, dict):
        raise BadLine(f"not a JSON object but {type(raw).__name__}")
    for key in REQUIRED_TEXT:
        if not isinstance(raw.get(key), str) or not raw[key].strip():
            raise BadLine(f"{key}: {raw.get(key)!r} must be a non-empty string")
    round_id = raw.get("round_id")
    if isinstance(round_id, bool) or not isinstance(round_id, (str, int)) or round_id == "":
        raise BadLine(f"round_id: {round_id!r} must be a non-empty string or an integer")
    data = raw.get("data") or {}
    if not isinstance(data, dict):
        raise BadLine(f"data: {data!r} must be an object")
    return RecordedEvent(
        raw["event"],
        raw["game_type"],
        raw["table"],
        str(round_id),
        _timestamp(raw.get("timestamp")),
        data,
    )


def _timestamp(value: Any) -> float:
    if isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError:
            raise BadLine(f"timestamp: {value!r} is not an ISO 8601 time") from None
        if parsed.tzinfo is None:
            raise BadLine(f"timestamp: {value!r} has no time zone (add Z or +08:00)")
        return parsed.timestamp()
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise BadLine(f"timestamp: {value!r} must be POSIX seconds or an ISO 8601 time")
    return float(value)


def _print_bad(number: int, reason: str, count: int, errors: TextIO) -> None:
    if count <= BAD_LINES_SHOWN:
        print(f"line {number}: {reason}; skipped", file=errors)


def _title(path: Path, report: ReplayReport) -> str:
    span = ""
    if report.first is not None and report.last is not None:
        span = f", {report.last - report.first:.0f} s of recording"
    bad = len(report.bad)
    return (
        f"srm-otel replay: {report.replayed} events from {path} ({report.lines} lines{span}); "
        f"{bad} bad line{'' if bad == 1 else 's'} skipped"
    )


def _outcomes_text(report: ReplayReport) -> str:
    if not report.outcomes:
        return "events: none replayed"
    parts = [f"{count} {outcome}" for outcome, count in sorted(report.outcomes.items())]
    return f"events by what srm_otel did with them: {', '.join(parts)}"
