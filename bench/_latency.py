"""Item 3: the caller's latency with a healthy, a hung and no collector, and memory growth.

Each case runs in a fresh child process (``python -m bench._latency ENDPOINT ROUNDS``),
so memory figures start clean and a hung exporter's threads die with their process.
Every record() call is timed on its own with perf_counter_ns.
"""

from __future__ import annotations

import gc
import json
import os
import subprocess
import sys
import time
from array import array
from typing import Any

from bench._measure import FullCollections, percentile, rss_mb
from bench._round import EVENTS_PER_ROUND, GAME, ROUND, ROUND_GAP_S, T0
from bench._safety import loopback
from bench._servers import Server, closed_port_url

ROUNDS = 30_000
"""Timed rounds per case: 100k rounds per case would take about 8 minutes for the four
cases on the reference machine, past the 10-minute budget of make bench."""

SLOW_CALL_MS = 20.0
DETACHED = "detached"
"""The control case: srm_otel on providers with no exporter, so no export thread runs;
its slowest calls show what the machine and the garbage collector do on their own."""
RAW_PREFIX = "raw+"
"""The attribution case: the hand-written SDK contender against the healthy receiver."""
SMALL_QUEUE = 1024
"""export.max_queue_size of the extra hung case (the default is 2048): fewer queued spans and
logs to hold means shorter full garbage collections while the collector hangs."""

WARMUP_ROUNDS = 2000
"""Rounds reported before the timed ones: caches built, and a hung collector's queues full."""


def _measure(endpoint: str, rounds: int, queue_size: int | None = None) -> dict[str, Any]:
    import srm_otel
    from bench._contenders import RawContender, srm_settings
    from bench._hotpath import DetachedSrm

    gc.collect()
    rss_start = rss_mb()
    raw = None
    if endpoint == DETACHED:
        DetachedSrm()
    elif endpoint.startswith(RAW_PREFIX):
        raw = RawContender.exporting(loopback(endpoint.removeprefix(RAW_PREFIX)))
    else:
        config = srm_settings(loopback(endpoint))
        if queue_size is not None:
            config["export"] = {"max_queue_size": queue_size}
        srm_otel.configure(config)
    record = srm_otel.record
    timings = array("q", bytes(8 * rounds * EVENTS_PER_ROUND))
    perf = time.perf_counter_ns

    def play(first: int, count: int, keep: bool) -> None:
        index = 0
        for number in range(first, first + count):
            base = T0 + number * ROUND_GAP_S
            round_id = str(number)
            for event, offset, data in ROUND:
                t0 = perf()
                if raw is None:
                    record(
                        event,
                        game_type=GAME,
                        table="PRD",
                        round_id=round_id,
                        timestamp=base + offset,
                        **data,
                    )
                else:
                    raw.record(event, "PRD", round_id, base + offset, data)
                if keep:
                    timings[index] = perf() - t0
                    index += 1

    play(0, WARMUP_ROUNDS, keep=False)
    gc.collect()
    rss_before = rss_mb()
    started = time.perf_counter()
    with FullCollections() as collections:
        play(WARMUP_ROUNDS, rounds, keep=True)
    elapsed = time.perf_counter() - started
    gc.collect()
    rss_after = rss_mb()
    if raw is None:
        srm_otel.shutdown(timeout_s=2.0)
    ordered = sorted(timings)
    slow = sum(1 for v in timings if v > SLOW_CALL_MS * 1e6)
    return {
        "rounds": rounds,
        "calls": len(timings),
        "seconds": round(elapsed, 1),
        "p50_us": round(percentile(ordered, 50) / 1e3, 1),
        "p99_us": round(percentile(ordered, 99) / 1e3, 1),
        "p999_us": round(percentile(ordered, 99.9) / 1e3, 1),
        "max_ms": round(ordered[-1] / 1e6, 2),
        "calls_over_20ms": slow,
        "slowest_call_index": max(range(len(timings)), key=timings.__getitem__),
        **collections.summary(),
        "rss_start_mb": round(rss_start, 1),
        "rss_rise_mb": round(rss_after - rss_start, 1),
        "rss_growth_after_warmup_mb": round(rss_after - rss_before, 1),
    }


def _child(case: str, endpoint: str, rounds: int, queue_size: int | None = None) -> dict[str, Any]:
    """Run one case in a fresh interpreter; its stderr (SDK warnings) is counted, not shown."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OTEL_", "SRM_"))}
    extra = [] if queue_size is None else [str(queue_size)]
    done = subprocess.run(
        [sys.executable, "-m", "bench._latency", endpoint, str(rounds), *extra],
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"latency case {case} failed:\n{done.stderr[-2000:]}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    lines = done.stderr.splitlines()
    result["stderr_lines"] = len(lines)
    result["stderr_sample"] = sorted(set(lines))[:3]
    return {"case": case, **result}


def run(rounds: int = 100_000) -> dict[str, Any]:
    cases = []
    with Server("sink") as healthy, Server("hang") as hung:
        cases.append(_child("detached", DETACHED, rounds))
        cases.append(_child("healthy", healthy.url, rounds))
        cases.append(_child("raw SDK, healthy", RAW_PREFIX + healthy.url, rounds))
        cases.append(_child("hung", hung.url, rounds))
        cases.append(
            _child(f"hung, queues of {SMALL_QUEUE}", hung.url, rounds, queue_size=SMALL_QUEUE)
        )
        cases.append(_child("none", closed_port_url(), rounds))
    base = next(c for c in cases if c["case"] == "healthy")["p99_us"]
    for case in cases:
        case["p99_vs_healthy"] = round(case["p99_us"] / base, 2)
    return {"rounds": rounds, "cases": cases}


if __name__ == "__main__":
    from bench._safety import clean_environment

    clean_environment()
    queue = int(sys.argv[3]) if len(sys.argv) > 3 else None
    result = _measure(sys.argv[1], int(sys.argv[2]), queue)
    print(json.dumps(result), flush=True)
    os._exit(0)  # a hung exporter's thread must not hold the process open
