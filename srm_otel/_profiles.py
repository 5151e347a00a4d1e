"""Game profiles: which events a game reports and which intervals are measured between them.

The built-in profiles follow DOMAIN.md. A site changes expected ranges, adds
intervals or adds games through the ``games`` section of its configuration;
``_config`` merges that over these defaults.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Final

ROUND_SCOPE: Final = "round"
CROSS_ROUND_SCOPE: Final = "cross-round"

TABLEAPI_START: Final = "tableapi_start"
TABLEAPI_BETSTOP: Final = "tableapi_betstop"
TABLEAPI_DEAL: Final = "tableapi_deal"
TABLEAPI_FINISH: Final = "tableapi_finish"

TABLEAPI_EVENTS: Final = (TABLEAPI_START, TABLEAPI_BETSTOP, TABLEAPI_DEAL, TABLEAPI_FINISH)
ROULETTE_EVENTS: Final = ("roulette_x2", "roulette_x3", "roulette_x4", "roulette_x5")
SICBO_EVENTS: Final = (
    "sicbo_shaker_start",
    "sicbo_shaker_stop",
    "sicbo_shaker_s0",
    "sicbo_idp_send",
    "sicbo_idp_receive",
)

GENERIC_GAME: Final = "table"
"""Profile used for a game type the configuration does not name: table API intervals only."""


@dataclass(frozen=True, slots=True)
class IntervalSpec:
    """One measured interval: from one event to a later one, in one round or across two."""

    name: str
    start_event: str
    end_event: str
    expected_s: tuple[float, float] | None = None
    scope: str = ROUND_SCOPE

    @property
    def cross_round(self) -> bool:
        return self.scope == CROSS_ROUND_SCOPE


@dataclass(frozen=True)
class GameProfile:
    """The intervals of one game, indexed by event for the hot path."""

    game_type: str
    intervals: tuple[IntervalSpec, ...]
    events: frozenset[str] = field(init=False)
    ending_with: Mapping[str, tuple[IntervalSpec, ...]] = field(init=False)
    starting_with: Mapping[str, tuple[IntervalSpec, ...]] = field(init=False)
    cross_ending_with: Mapping[str, tuple[IntervalSpec, ...]] = field(init=False)
    cross_start_events: frozenset[str] = field(init=False)

    def __post_init__(self) -> None:
        in_round = [s for s in self.intervals if not s.cross_round]
        cross = [s for s in self.intervals if s.cross_round]
        names = {s.start_event for s in self.intervals} | {s.end_event for s in self.intervals}
        set_ = object.__setattr__
        set_(self, "events", frozenset(names) | frozenset(TABLEAPI_EVENTS))
        set_(self, "ending_with", _index(in_round, lambda s: s.end_event))
        set_(self, "starting_with", _index(in_round, lambda s: s.start_event))
        set_(self, "cross_ending_with", _index(cross, lambda s: s.end_event))
        set_(self, "cross_start_events", frozenset(s.start_event for s in cross))


def _index(specs: Iterable[IntervalSpec], key: object) -> dict[str, tuple[IntervalSpec, ...]]:
    index: dict[str, list[IntervalSpec]] = {}
    for spec in specs:
        index.setdefault(key(spec), []).append(spec)  # type: ignore[operator]
    return {event: tuple(specs) for event, specs in index.items()}


def _spec(
    name: str, start: str, end: str, expected: tuple[float, float] | None, cross: bool = False
) -> IntervalSpec:
    return IntervalSpec(name, start, end, expected, CROSS_ROUND_SCOPE if cross else ROUND_SCOPE)


TABLEAPI_INTERVALS: Final = (
    _spec("start-to-betstop", TABLEAPI_START, TABLEAPI_BETSTOP, (5.0, 20.0)),
    _spec("betstop-to-deal", TABLEAPI_BETSTOP, TABLEAPI_DEAL, (1.0, 5.0)),
    _spec("deal-to-finish", TABLEAPI_DEAL, TABLEAPI_FINISH, (1.0, 3.0)),
    _spec("finish-to-start", TABLEAPI_FINISH, TABLEAPI_START, (2.0, 5.0), cross=True),
)

ROULETTE_INTERVALS: Final = (
    _spec("*X;2-to-*X;3", "roulette_x2", "roulette_x3", (5.0, 15.0)),
    _spec("*X;3-to-*X;4", "roulette_x3", "roulette_x4", (0.5, 2.0)),
    _spec("*X;4-to-*X;5", "roulette_x4", "roulette_x5", (1.0, 3.0)),
    _spec("*X;5-to-*X;2", "roulette_x5", "roulette_x2", (2.0, 5.0), cross=True),
)

SICBO_INTERVALS: Final = (
    _spec("shakerShake-to-shakerStop", "sicbo_shaker_start", "sicbo_shaker_stop", (8.0, 12.0)),
    _spec(
        "shakerStop-to-shakerShake",
        "sicbo_shaker_stop",
        "sicbo_shaker_start",
        (1.0, 3.0),
        cross=True,
    ),
    _spec("sendDetect-to-receiveResult", "sicbo_idp_send", "sicbo_idp_receive", (0.5, 3.0)),
    _spec(
        "receiveResult-to-sendDetect",
        "sicbo_idp_receive",
        "sicbo_idp_send",
        (1.0, 5.0),
        cross=True,
    ),
    _spec("shakerS0-to-idpSend", "sicbo_shaker_s0", "sicbo_idp_send", None),
)

BUILTIN_INTERVALS: Final[Mapping[str, tuple[IntervalSpec, ...]]] = {
    "roulette": TABLEAPI_INTERVALS + ROULETTE_INTERVALS,
    "sicbo": TABLEAPI_INTERVALS + SICBO_INTERVALS,
    "baccarat": TABLEAPI_INTERVALS,
    GENERIC_GAME: TABLEAPI_INTERVALS,
}

KNOWN_DEVICE_EVENTS: Final = frozenset(TABLEAPI_EVENTS + ROULETTE_EVENTS + SICBO_EVENTS)


def build_profiles(
    overrides: Mapping[str, Mapping[str, IntervalSpec]],
) -> dict[str, GameProfile]:
    """Merge configured intervals over the built-in ones; a new game starts from table API."""
    games = set(BUILTIN_INTERVALS) | set(overrides)
    profiles = {}
    for game in sorted(games):
        base = BUILTIN_INTERVALS.get(game, TABLEAPI_INTERVALS)
        merged = {spec.name: spec for spec in base}
        merged.update(overrides.get(game, {}))
        profiles[game] = GameProfile(game, tuple(merged.values()))
    return profiles
