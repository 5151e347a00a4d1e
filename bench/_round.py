"""The benchmark's roulette round: 8 events, 6 in-round intervals, all within range."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Final

GAME: Final = "roulette"

T0: Final = 1_600_000_000.0
"""Simulated time of the first round (2020), so 100k rounds stay in the past."""

ROUND_GAP_S: Final = 1000.0
"""Between two rounds of a table: longer than rounds.timeout_s (300 s by default, 600 s in
the scaling benchmark), so no cross-round interval is measured and every round has exactly
the six in-round intervals."""

ROUND: Final[tuple[tuple[str, float, dict[str, Any]], ...]] = (
    ("tableapi_start", 0.0, {}),
    ("roulette_x2", 0.3, {}),
    ("tableapi_betstop", 6.5, {}),
    ("roulette_x3", 7.2, {}),
    ("roulette_x4", 8.3, {}),
    ("roulette_x5", 9.8, {"winning_number": 17}),
    ("tableapi_deal", 10.0, {"winning_number": 17}),
    ("tableapi_finish", 11.5, {}),
)
EVENTS_PER_ROUND: Final = len(ROUND)

INTERVALS: Final = (
    ("start-to-betstop", "tableapi_start", "tableapi_betstop", (5.0, 20.0)),
    ("betstop-to-deal", "tableapi_betstop", "tableapi_deal", (1.0, 5.0)),
    ("deal-to-finish", "tableapi_deal", "tableapi_finish", (1.0, 3.0)),
    ("*X;2-to-*X;3", "roulette_x2", "roulette_x3", (5.0, 15.0)),
    ("*X;3-to-*X;4", "roulette_x3", "roulette_x4", (0.5, 2.0)),
    ("*X;4-to-*X;5", "roulette_x4", "roulette_x5", (1.0, 3.0)),
)
"""What srm_otel measures in this round, written out for the hand-written contenders."""

Recorder = Callable[[str, str, str, float, dict[str, Any]], None]
"""(event, table, round id, timestamp, data): one event as a contender takes it."""


def play(record: Recorder, tables: list[str], first: int, count: int) -> int:
    """Play ``count`` rounds round-robin over ``tables``; return the number of events."""
    for number in range(first, first + count):
        table = tables[number % len(tables)]
        base = T0 + (number // len(tables)) * ROUND_GAP_S
        round_id = str(number)
        for event, offset, data in ROUND:
            record(event, table, round_id, base + offset, data)
    return count * EVENTS_PER_ROUND
