"""In-process interval statistics: what the demo's live table and the older helpers show.

The older monitor offered count, min, max, mean, median, standard deviation
and the last values per interval, and flagged values more than two standard
deviations from the mean. This keeps the same figures over a bounded window of recent values per
(game, table, interval); Prometheus remains the place for history.
"""

from __future__ import annotations

import math
import statistics
import threading
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

from srm_otel._profiles import IntervalSpec
from srm_otel._rounds import Round

WINDOW: Final = 1000
"""Recent values kept per (game, table, interval)."""

LAST_VALUES: Final = 5


@dataclass(frozen=True)
class IntervalSummary:
    """Figures for one interval of one table over the recent window."""

    game_type: str
    table: str
    interval: str
    count: int
    out_of_range: int
    minimum: float
    maximum: float
    mean: float
    median: float
    p95: float
    stdev: float
    last: tuple[float, ...]
    expected_s: tuple[float, float] | None

    def is_outlier(self, value: float) -> bool:
        """The older monitor's rule: outside mean ± 2 standard deviations."""
        return self.count >= 2 and abs(value - self.mean) > 2 * self.stdev


class _Series:
    __slots__ = ("count", "expected_s", "out_of_range", "values")

    def __init__(self, expected_s: tuple[float, float] | None) -> None:
        self.values: deque[float] = deque(maxlen=WINDOW)
        self.count = 0
        self.out_of_range = 0
        self.expected_s = expected_s


class IntervalStatistics:
    """A RoundSink observer that keeps recent interval values and round outcomes."""

    def __init__(self) -> None:
        self._series: dict[tuple[str, str, str], _Series] = {}
        self._rounds: dict[tuple[str, str, str], int] = {}
        self._lock = threading.Lock()

    def interval_measured(
        self, rnd: Round, spec: IntervalSpec, start: float, end: float, previous: Round | None
    ) -> None:
        duration = end - start
        key = (rnd.game_type, rnd.table, spec.name)
        with self._lock:
            series = self._series.get(key)
            if series is None:
                series = self._series[key] = _Series(spec.expected_s)
            series.values.append(duration)
            series.count += 1
            if spec.expected_s and not spec.expected_s[0] <= duration <= spec.expected_s[1]:
                series.out_of_range += 1

    def round_closed(self, rnd: Round, outcome: str, end: float, reason: str | None) -> None:
        key = (rnd.game_type, rnd.table, outcome)
        with self._lock:
            self._rounds[key] = self._rounds.get(key, 0) + 1

    def intervals(self, per_table: bool = True) -> list[IntervalSummary]:
        """A summary per (game, table, interval), or per (game, interval) with table ``*``."""
        groups: dict[tuple[str, str, str], list[Any]] = {}
        with self._lock:
            for (game, table, interval), series in self._series.items():
                key = (game, table if per_table else "*", interval)
                group = groups.setdefault(key, [[], 0, 0, series.expected_s])
                group[0].extend(series.values)
                group[1] += series.count
                group[2] += series.out_of_range
        return [_summary(key, *groups[key]) for key in sorted(groups)]

    def rounds(self) -> Mapping[tuple[str, str, str], int]:
        """Rounds ended so far by (game, table, outcome)."""
        with self._lock:
            return dict(self._rounds)


def _summary(
    key: tuple[str, str, str],
    values: list[float],
    count: int,
    out_of_range: int,
    expected_s: tuple[float, float] | None,
) -> IntervalSummary:
    ordered = sorted(values)
    return IntervalSummary(
        game_type=key[0],
        table=key[1],
        interval=key[2],
        count=count,
        out_of_range=out_of_range,
        minimum=ordered[0],
        maximum=ordered[-1],
        mean=statistics.fmean(ordered),
        median=statistics.median(ordered),
        p95=_quantile(ordered, 0.95),
        stdev=statistics.pstdev(ordered) if len(ordered) > 1 else 0.0,
        last=tuple(values[-LAST_VALUES:]),
        expected_s=expected_s,
    )


def _quantile(ordered: list[float], q: float) -> float:
    """Nearest-rank quantile of sorted values."""
    index = max(0, min(len(ordered) - 1, math.ceil(q * len(ordered)) - 1))
    return ordered[index]
