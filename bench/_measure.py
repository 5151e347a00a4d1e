"""Timing and memory helpers shared by the benchmarks."""

from __future__ import annotations

import gc
import statistics
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from bench._round import EVENTS_PER_ROUND, play


class Contender(Protocol):
    name: str

    def record(
        self, event: str, table: str, round_id: str, t: float, data: dict[str, Any]
    ) -> None: ...

    def flush(self) -> None: ...


@dataclass
class Samples:
    """Per-round cost of each timed batch, in µs.

    ``cpu_us`` is the calling thread's CPU while it reports the rounds: what the
    game's thread pays. ``total_cpu_us`` is the whole process's CPU from the
    batch's first event until its telemetry is exported (export threads
    included), and ``wall_us`` the same span in wall-clock time.
    """

    wall_us: list[float] = field(default_factory=list)
    cpu_us: list[float] = field(default_factory=list)
    total_cpu_us: list[float] = field(default_factory=list)

    def median_wall(self) -> float:
        return statistics.median(self.wall_us)

    def median_cpu(self) -> float:
        return statistics.median(self.cpu_us)

    def median_total_cpu(self) -> float:
        return statistics.median(self.total_cpu_us)

    def summary(self) -> dict[str, Any]:
        return {
            "batches": len(self.wall_us),
            "round_cpu_us": round(self.median_cpu(), 1),
            "event_cpu_us": round(self.median_cpu() / EVENTS_PER_ROUND, 2),
            "round_total_cpu_us": round(self.median_total_cpu(), 1),
            "round_wall_us": round(self.median_wall(), 1),
            "event_wall_us": round(self.median_wall() / EVENTS_PER_ROUND, 2),
            "samples_cpu_us": [round(v, 1) for v in self.cpu_us],
            "samples_total_cpu_us": [round(v, 1) for v in self.total_cpu_us],
            "samples_wall_us": [round(v, 1) for v in self.wall_us],
        }


def alternate(
    contenders: Sequence[Contender],
    rounds: dict[str, int],
    repeats: int,
    tables: list[str] | Mapping[str, list[str]],
    first_round: int = 0,
) -> dict[str, Samples]:
    """Time batches of rounds, contender after contender, the order reversed every repeat.

    Each contender's queues are flushed at the end of its batch, so one
    contender's export never lands in another's batch. One untimed batch each
    warms caches first. ``tables`` is one list for all, or a list per contender.
    """
    samples = {c.name: Samples() for c in contenders}
    next_round = dict.fromkeys(samples, first_round)
    for repeat in range(-1, repeats):
        order = list(contenders) if repeat % 2 == 0 else list(reversed(contenders))
        for contender in order:
            count = rounds[contender.name]
            played = tables if isinstance(tables, list) else tables[contender.name]
            wall0, total0, cpu0 = time.perf_counter(), time.process_time(), time.thread_time()
            play(contender.record, played, next_round[contender.name], count)
            cpu1 = time.thread_time()
            contender.flush()
            wall1, total1 = time.perf_counter(), time.process_time()
            next_round[contender.name] += count
            if repeat >= 0:
                found = samples[contender.name]
                found.cpu_us.append((cpu1 - cpu0) * 1e6 / count)
                found.total_cpu_us.append((total1 - total0) * 1e6 / count)
                found.wall_us.append((wall1 - wall0) * 1e6 / count)
    return samples


def paired_ratio(top: Samples, bottom: Samples, measure: str = "cpu_us") -> float:
    """Median of batch-by-batch ratios: neighbours in time share the machine's mood."""
    a, b = getattr(top, measure), getattr(bottom, measure)
    return statistics.median(x / y for x, y in zip(a, b, strict=True))


def rss_mb() -> float:
    """Resident memory of this process, from /proc (Linux)."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def percentile(sorted_values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile of an already sorted sequence."""
    if not sorted_values:
        return float("nan")
    index = min(len(sorted_values) - 1, max(0, round(q / 100 * len(sorted_values)) - 1))
    return sorted_values[index]


class FullCollections:
    """Pauses of the garbage collector's full (generation 2) passes while the block runs.

    A full pass stops every thread; its length grows with the objects alive, such as
    spans and logs waiting in a full export queue.
    """

    def __init__(self) -> None:
        self.pauses_ms: list[float] = []
        self._started = 0.0

    def _on_gc(self, phase: str, info: dict[str, Any]) -> None:
        if info.get("generation") != 2:
            return
        if phase == "start":
            self._started = time.perf_counter()
        elif self._started:
            self.pauses_ms.append((time.perf_counter() - self._started) * 1e3)
            self._started = 0.0

    def __enter__(self) -> FullCollections:
        gc.callbacks.append(self._on_gc)
        return self

    def __exit__(self, *exc: object) -> None:
        gc.callbacks.remove(self._on_gc)

    def summary(self) -> dict[str, Any]:
        return {
            "full_gc_count": len(self.pauses_ms),
            "full_gc_max_ms": round(max(self.pauses_ms, default=0.0), 1),
        }
