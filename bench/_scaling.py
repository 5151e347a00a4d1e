"""Item 4: how the cost of an event grows with the tables in play and with rounds left open.

Four srm_otel runtimes, each with its own OTLP/HTTP exporters to one loopback
receiver, take turns in one process: 10, 100 and 1000 tables, and 100 tables
with thousands of stuck rounds (opened, never finished) that the watchdog
sweeps. Each runtime sees its tables warmed up before timing starts.
"""

from __future__ import annotations

import threading
import time
from typing import Any

from bench._contenders import flush_spans_and_logs, srm_settings
from bench._measure import FullCollections, alternate, paired_ratio, percentile
from bench._round import GAME, ROUND, ROUND_GAP_S, T0, play
from bench._servers import Server
from srm_otel import _config
from srm_otel._pipeline import build_pipeline
from srm_otel._runtime import Runtime

STUCK_PER_TABLE = 50
MAX_OPEN_PER_TABLE = 64
WATCHDOG_TIMEOUT_S = 600.0
"""Long enough that the stuck rounds stay open while timed (the watchdog still scans them
every 5 s); the pile is closed in one sweep at the end, and that sweep is timed too."""


class RuntimeContender:
    """srm_otel's runtime called directly (what srm_otel.record() calls), one per scenario."""

    def __init__(self, name: str, endpoint: str) -> None:
        self.name = name
        config = srm_settings(
            endpoint,
            max_tables=2000,
            max_open_per_table=MAX_OPEN_PER_TABLE,
            timeout_s=WATCHDOG_TIMEOUT_S,
        )
        settings = _config.load(config)
        self.runtime = Runtime(settings, build_pipeline(settings))

    def record(self, event: str, table: str, round_id: str, t: float, data: dict[str, Any]) -> None:
        self.runtime.record(event, GAME, table, round_id, t, data)

    def flush(self) -> None:
        flush_spans_and_logs(self.runtime)

    def close(self) -> None:
        self.runtime.shutdown(5.0)


def _tables(count: int) -> list[str]:
    return [f"T{index:04d}" for index in range(count)]


def _leave_open(contender: RuntimeContender, tables: list[str], per_table: int) -> int:
    for table in tables:
        for k in range(per_table):
            round_id = f"stuck-{k}"
            contender.record("tableapi_start", table, round_id, T0 - 3600 + k, {})
            contender.record("roulette_x2", table, round_id, T0 - 3600 + k + 0.3, {})
    contender.flush()
    return contender.runtime.tracker.open_rounds


def run(repeats: int = 25, rounds: int = 300) -> dict[str, Any]:
    layouts = {"10": _tables(10), "100": _tables(100), "1000": _tables(1000)}
    layouts["100+stuck"] = layouts["100"]
    with Server("sink") as otlp:
        contenders = {name: RuntimeContender(name, otlp.url) for name in layouts}
        try:
            stuck = _leave_open(contenders["100+stuck"], layouts["100"], STUCK_PER_TABLE)
            for name, contender in contenders.items():
                # Rounds go round-robin over the tables: two rounds on every table.
                play(contender.record, layouts[name], 0, 2 * len(layouts[name]))
                contender.flush()
            rounds_each = dict.fromkeys(layouts, rounds)
            samples = alternate(list(contenders.values()), rounds_each, repeats, layouts, 10_000)
            sweep = _time_sweep(contenders["100+stuck"])
        finally:
            for contender in contenders.values():
                contender.close()
    base = samples["10"]
    return {
        "repeats": repeats,
        "rounds_per_batch": rounds,
        "stuck_rounds_open": stuck,
        "scenarios": {
            name: {**s.summary(), "vs_10_tables": round(paired_ratio(s, base), 3)}
            for name, s in samples.items()
        },
        "sweep_closing_stuck_rounds": sweep,
    }


def _time_sweep(contender: RuntimeContender) -> dict[str, Any]:
    """Close every stuck round in one watchdog sweep while a game thread keeps reporting
    rounds on another table; the slowest of its record() calls shows how long it waited."""
    runtime = contender.runtime
    open_before = runtime.tracker.open_rounds
    waits: list[float] = []
    sweeping = threading.Event()

    def game() -> None:
        number = 0
        while not sweeping.is_set():
            time.sleep(0.0005)
        while sweeping.is_set():
            base = T0 + number * ROUND_GAP_S
            for event, offset, data in ROUND:
                started = time.perf_counter()
                contender.record(event, "GAME-THREAD", str(number), base + offset, data)
                waits.append(time.perf_counter() - started)
            number += 1

    thread = threading.Thread(target=game)
    thread.start()
    sweeping.set()
    started = time.perf_counter()
    with FullCollections() as collections:
        closed = runtime.tracker.sweep(runtime.clock.now() + WATCHDOG_TIMEOUT_S + 1)
    took_ms = (time.perf_counter() - started) * 1e3
    sweeping.clear()
    thread.join()
    return {
        "open_before": open_before,
        "closed": closed,
        "sweep_ms": round(took_ms, 1),
        "per_round_us": round(took_ms * 1e3 / max(closed, 1), 1),
        "game_thread_calls": len(waits),
        "game_thread_p99_ms": round(percentile(sorted(waits), 99) * 1e3, 2),
        "game_thread_max_ms": round(max(waits, default=0.0) * 1e3, 1),
        "game_thread_calls_over_20ms": sum(1 for w in waits if w > 0.020),
        **collections.summary(),
    }


if __name__ == "__main__":
    import json

    from bench._safety import clean_environment

    clean_environment()
    result = run()
    for scenario in result["scenarios"].values():
        for key in [k for k in scenario if k.startswith("samples")]:
            del scenario[key]
    print(json.dumps(result, indent=1))
