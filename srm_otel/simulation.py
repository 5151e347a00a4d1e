"""A simulated studio: tables playing rounds with the timings DOMAIN.md calls normal.

``srm-otel demo`` drives the real library with it, and benchmarks can reuse
it for realistic traffic. Everything random comes from one seed, so a run is
reproducible: the same seed and tables give the same events.

    studio = Studio.with_tables(6, seed=7)
    for event in studio.events(start=time.time(), until=time.time() + 600):
        event.report()  # srm_otel.record(...) with the event's identity and timestamp

Most steps fall inside their expected range. Now and then a step runs slow (a
dealer who waits, a ball that spins long), a device repeats an event, and a
round gets stuck: it never reports ``tableapi_finish``, the table pauses, then
plays on with a new round.

Roulette launches the ball while bets are still open (``roulette_x2`` comes
before ``tableapi_betstop``): with the ball spinning 5 to 15 s, that is the
only order in which both ``*X;2-to-*X;3`` and ``betstop-to-deal`` (1 to 5 s)
can be normal. Sic bo's cross-round device intervals
(``shakerStop-to-shakerShake``, ``receiveResult-to-sendDetect``) span a whole
round's settling and betting, so they usually exceed DOMAIN.md's ranges; the
simulation keeps the rounds realistic rather than bending them to fit.
"""

from __future__ import annotations

import heapq
import json
import random
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

import srm_otel

ROULETTE: Final = "roulette"
SICBO: Final = "sicbo"
BACCARAT: Final = "baccarat"

SLOW_STEP_CHANCE: Final = 0.05
"""Chance that one step of a round runs past its expected range."""

STUCK_ROUND_CHANCE: Final = 0.03
"""Chance that a round stops before ``tableapi_finish`` and never ends."""

REPEATED_EVENT_CHANCE: Final = 0.01
"""Chance that a device reports one event of a round twice."""

STUCK_PAUSE_S: Final = (20.0, 45.0)
"""How long a table stands still after a stuck round before the next one starts."""


@dataclass(frozen=True, slots=True)
class SimulatedEvent:
    """One event as game code would report it."""

    timestamp: float
    event: str
    game_type: str
    table: str
    round_id: str
    data: dict[str, Any] = field(default_factory=dict)

    def report(self) -> None:
        """Hand the event to srm_otel, stamped with its simulated time."""
        srm_otel.record(
            self.event,
            game_type=self.game_type,
            table=self.table,
            round_id=self.round_id,
            timestamp=self.timestamp,
            **self.data,
        )

    def to_json(self) -> str:
        """One line of the format ``srm-otel replay`` reads."""
        return json.dumps(
            {
                "event": self.event,
                "game_type": self.game_type,
                "table": self.table,
                "round_id": self.round_id,
                "timestamp": round(self.timestamp, 6),
                "data": self.data,
            },
            separators=(",", ":"),
        )


@dataclass(frozen=True, slots=True)
class Step:
    """An event and how long after the previous one it normally comes (low, high seconds)."""

    event: str
    after_s: tuple[float, float]
    slow_s: tuple[float, float] | None = None
    """How long it takes when it runs slow; None when this step never does."""


# Speed roulette: short betting time, the ball launched at once.
SPEED_ROULETTE: Final = (
    Step("tableapi_start", (0.0, 0.0)),
    Step("roulette_x2", (0.2, 0.5)),
    Step("tableapi_betstop", (5.0, 7.5), slow_s=(19.0, 26.0)),
    Step("roulette_x3", (0.3, 1.0), slow_s=(9.0, 14.0)),
    Step("roulette_x4", (0.6, 1.5), slow_s=(2.5, 4.0)),
    Step("roulette_x5", (1.0, 2.0), slow_s=(3.5, 6.0)),
    Step("tableapi_deal", (0.1, 0.3)),
    Step("tableapi_finish", (1.0, 1.5), slow_s=(3.5, 6.0)),
)

# VIP roulette: a calmer pace with longer betting.
VIP_ROULETTE: Final = (
    Step("tableapi_start", (0.0, 0.0)),
    Step("roulette_x2", (0.2, 0.5)),
    Step("tableapi_betstop", (9.0, 12.0), slow_s=(19.0, 26.0)),
    Step("roulette_x3", (0.3, 1.0), slow_s=(9.0, 14.0)),
    Step("roulette_x4", (0.6, 1.5), slow_s=(2.5, 4.0)),
    Step("roulette_x5", (1.0, 2.0), slow_s=(3.5, 6.0)),
    Step("tableapi_deal", (0.1, 0.3)),
    Step("tableapi_finish", (1.0, 1.8), slow_s=(3.5, 6.0)),
)

SICBO_ROUND: Final = (
    Step("tableapi_start", (0.0, 0.0)),
    Step("sicbo_shaker_start", (0.3, 1.0)),
    Step("sicbo_shaker_stop", (8.5, 11.5), slow_s=(13.0, 18.0)),
    Step("sicbo_shaker_s0", (0.5, 1.5)),
    Step("tableapi_betstop", (1.0, 3.0)),
    Step("sicbo_idp_send", (0.3, 1.0)),
    Step("sicbo_idp_receive", (0.6, 1.8), slow_s=(3.5, 7.0)),
    Step("tableapi_deal", (0.2, 0.5)),
    Step("tableapi_finish", (1.0, 2.5), slow_s=(3.5, 6.0)),
)

BACCARAT_ROUND: Final = (
    Step("tableapi_start", (0.0, 0.0)),
    Step("tableapi_betstop", (12.0, 17.0), slow_s=(21.0, 30.0)),
    Step("tableapi_deal", (2.0, 4.5), slow_s=(6.0, 10.0)),
    Step("tableapi_finish", (1.0, 2.5), slow_s=(3.5, 6.0)),
)

BETWEEN_ROUNDS_S: Final = (2.0, 2.8)
"""From ``tableapi_finish`` to the next ``tableapi_start`` (expected 2 to 5 s)."""


@dataclass(frozen=True, slots=True)
class TableSpec:
    """One studio table: its game, its name and the steps of its rounds."""

    game_type: str
    table: str
    steps: Sequence[Step]


LINEUP: Final = (
    TableSpec(ROULETTE, "PRD", SPEED_ROULETTE),
    TableSpec(ROULETTE, "VIP-01", VIP_ROULETTE),
    TableSpec(SICBO, "SBO-001", SICBO_ROUND),
    TableSpec(BACCARAT, "BAC-001", BACCARAT_ROUND),
    TableSpec(ROULETTE, "PRD-02", SPEED_ROULETTE),
    TableSpec(SICBO, "SBO-002", SICBO_ROUND),
    TableSpec(ROULETTE, "VIP-02", VIP_ROULETTE),
    TableSpec(BACCARAT, "BAC-002", BACCARAT_ROUND),
)
"""The studio's tables in the order ``--tables N`` takes them; beyond eight, names repeat
with a higher number."""


def lineup(count: int) -> list[TableSpec]:
    """The first ``count`` tables of the studio, numbering further copies of the lineup."""
    tables = []
    for index in range(count):
        spec = LINEUP[index % len(LINEUP)]
        cycle = index // len(LINEUP)
        name = spec.table if cycle == 0 else f"{spec.table}-{cycle + 1}"
        tables.append(TableSpec(spec.game_type, name, spec.steps))
    return tables


class TablePlayer:
    """Plays the rounds of one table, one after another, from its own random stream."""

    def __init__(self, spec: TableSpec, rng: random.Random, first_round: int) -> None:
        self.spec = spec
        self._rng = rng
        self._next_round = first_round

    def rounds(self, start: float) -> Iterator[SimulatedEvent]:
        """Events of round after round from ``start``, in time order, forever."""
        t = start
        while True:
            events, stuck = self._round(t)
            yield from events
            t = events[-1].timestamp
            pause = STUCK_PAUSE_S if stuck else BETWEEN_ROUNDS_S
            t += self._rng.uniform(*pause)

    def _round(self, t: float) -> tuple[list[SimulatedEvent], bool]:
        rng = self._rng
        round_id = str(self._next_round)
        self._next_round += 1
        steps = self.spec.steps
        slow = rng.randrange(len(steps)) if rng.random() < SLOW_STEP_CHANCE else None
        stop_after = len(steps)
        if rng.random() < STUCK_ROUND_CHANCE:
            stop_after = rng.randrange(2, len(steps))
        events = []
        for index, step in enumerate(steps[:stop_after]):
            span = step.slow_s if index == slow and step.slow_s else step.after_s
            t += rng.uniform(*span)
            events.append(self._event(t, step.event, round_id))
        if rng.random() < REPEATED_EVENT_CHANCE:
            again = rng.choice(events)
            events.append(self._event(events[-1].timestamp, again.event, round_id))
        return events, stop_after < len(steps)

    def _event(self, t: float, event: str, round_id: str) -> SimulatedEvent:
        return SimulatedEvent(
            t, event, self.spec.game_type, self.spec.table, round_id, self._data(event)
        )

    def _data(self, event: str) -> dict[str, Any]:
        rng = self._rng
        if event == "roulette_x5":
            return {"winning_number": rng.randrange(37)}
        if event == "sicbo_idp_receive":
            return {"result": "".join(str(rng.randint(1, 6)) for _ in range(3))}
        if event == "tableapi_deal" and self.spec.game_type == BACCARAT:
            return {"cards": rng.choice(("player 8 banker 6", "player 4 banker 7", "tie 9"))}
        return {}


class Studio:
    """Several tables playing at once; ``events()`` merges them in time order."""

    def __init__(self, tables: Sequence[TableSpec], seed: int | None = None) -> None:
        self.tables = list(tables)
        self.seed = seed
        master = random.Random(seed)
        # Each table gets its own stream, so adding a table leaves the others unchanged.
        self._players = [
            TablePlayer(spec, random.Random(master.getrandbits(64)), 1_000_000 * (i + 1))
            for i, spec in enumerate(self.tables)
        ]
        self._offsets = [master.uniform(0.0, 15.0) for _ in self.tables]

    @classmethod
    def with_tables(cls, count: int, seed: int | None = None) -> Studio:
        return cls(lineup(count), seed)

    def events(self, start: float, until: float | None = None) -> Iterator[SimulatedEvent]:
        """Every table's events from ``start`` (tables start staggered), up to ``until``."""
        streams = [
            player.rounds(start + offset)
            for player, offset in zip(self._players, self._offsets, strict=True)
        ]
        for event in heapq.merge(*streams, key=lambda e: e.timestamp):
            if until is not None and event.timestamp > until:
                return
            yield event


__all__ = [
    "BACCARAT",
    "LINEUP",
    "ROULETTE",
    "SICBO",
    "SimulatedEvent",
    "Step",
    "Studio",
    "TablePlayer",
    "TableSpec",
    "lineup",
]
