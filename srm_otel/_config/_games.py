"""The ``games`` section: expected ranges changed, intervals added, new games defined."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any, Final

from srm_otel._config._checks import check_keys, check_text, event_name, unknown_key
from srm_otel._profiles import BUILTIN_INTERVALS, CROSS_ROUND_SCOPE, ROUND_SCOPE, IntervalSpec

INTERVAL_KEYS: Final = ("from", "to", "expected_s", "scope")


def parse_games(raw: Any, problems: list[str]) -> dict[str, dict[str, IntervalSpec]]:
    if not isinstance(raw, Mapping):
        problems.append(f"games: must be a mapping of game names, got {raw!r}")
        return {}
    games: dict[str, dict[str, IntervalSpec]] = {}
    for game, body in raw.items():
        intervals = _game_intervals(f"games.{game}", game, body, problems)
        if intervals is not None:
            games[game] = _parse_game_intervals(f"games.{game}", game, intervals, problems)
    return games


def _game_intervals(path: str, game: Any, body: Any, problems: list[str]) -> Any:
    """The ``intervals`` mapping of one game entry, or None after reporting why not."""
    if check_text(path, game, problems) is None:
        return None
    if not isinstance(body, Mapping):
        problems.append(f"{path}: must be a mapping with the key 'intervals'")
        return None
    for key in set(body) - {"intervals"}:
        problems.append(unknown_key(f"{path}.{key}", key, ("intervals",)))
    intervals = body.get("intervals") or {}
    if not isinstance(intervals, Mapping):
        problems.append(f"{path}.intervals: must be a mapping of interval names")
        return None
    return intervals


def _parse_game_intervals(
    path: str, game: str, intervals: Mapping[Any, Any], problems: list[str]
) -> dict[str, IntervalSpec]:
    builtin = {s.name: s for s in BUILTIN_INTERVALS.get(game, ())}
    specs = {}
    for name, raw in intervals.items():
        spec = _parse_interval(f"{path}.intervals.{name}", name, raw, builtin, problems)
        if spec is not None:
            specs[str(name)] = spec
    return specs


def _parse_interval(
    path: str,
    name: Any,
    raw: Any,
    builtin: Mapping[str, IntervalSpec],
    problems: list[str],
) -> IntervalSpec | None:
    if check_text(path, name, problems) is None:
        return None
    count = len(problems)
    if not check_keys(path, raw, INTERVAL_KEYS, problems):
        return None
    base = builtin.get(name)
    start = event_name(f"{path}.from", raw.get("from", base and base.start_event), problems)
    end = event_name(f"{path}.to", raw.get("to", base and base.end_event), problems)
    expected = base.expected_s if base else None
    if "expected_s" in raw:
        expected = _expected_range(f"{path}.expected_s", raw["expected_s"], problems)
    scope = raw.get("scope", base.scope if base else ROUND_SCOPE)
    if scope not in (ROUND_SCOPE, CROSS_ROUND_SCOPE):
        problems.append(f"{path}.scope: {scope!r} must be '{ROUND_SCOPE}' or '{CROSS_ROUND_SCOPE}'")
    elif start is not None and start == end and scope == ROUND_SCOPE:
        problems.append(f"{path}: 'from' and 'to' are both {start!r}; an interval needs two events")
    if len(problems) > count or start is None or end is None:
        return None
    return IntervalSpec(str(name), start, end, expected, scope)


def _expected_range(path: str, value: Any, problems: list[str]) -> tuple[float, float] | None:
    if value is None:
        return None
    pair_ok = isinstance(value, (list, tuple)) and len(value) == 2
    numbers_ok = pair_ok and all(
        isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v) for v in value
    )
    if not numbers_ok:
        problems.append(f"{path}: {value!r} must be a pair of seconds [low, high], or null")
        return None
    low, high = float(value[0]), float(value[1])
    if low < 0 or high <= low:
        problems.append(f"{path}: {value!r} must satisfy 0 <= low < high")
        return None
    return low, high
