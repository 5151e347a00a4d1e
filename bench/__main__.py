"""``python -m bench``: run every benchmark, write build/bench/results.json and report.md.

``--quick`` runs each benchmark briefly (a smoke test of the harness, not figures
to quote); ``--only NAME`` runs one of: cost, hotpath, latency, scaling, profile.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench import _cost, _hotpath, _latency, _profile, _scaling
from bench._report import render
from bench._safety import clean_environment

OUT_DIR = Path("build/bench")

FULL: dict[str, Callable[[], dict[str, Any]]] = {
    "cost": lambda: _cost.run(),
    "hotpath": lambda: _hotpath.run(),
    "latency": lambda: _latency.run(rounds=_latency.ROUNDS),
    "scaling": lambda: _scaling.run(),
    "profile": lambda: _profile.run(OUT_DIR),
}
QUICK: dict[str, Callable[[], dict[str, Any]]] = {
    "cost": lambda: _cost.run(repeats=3, rounds=50, legacy_rounds=5),
    "hotpath": lambda: _hotpath.run(repeats=3, rounds=50),
    "latency": lambda: _latency.run(rounds=2000),
    "scaling": lambda: _scaling.run(repeats=2, rounds=50),
    "profile": lambda: _profile.run(OUT_DIR, rounds=300),
}


def machine() -> dict[str, Any]:
    import opentelemetry.sdk.version as sdk_version

    cpu = "unknown"
    try:
        with open("/proc/cpuinfo") as info:
            cpu = next(line.split(":", 1)[1].strip() for line in info if "model name" in line)
    except (OSError, StopIteration):
        pass
    return {
        "python": platform.python_version(),
        "opentelemetry_sdk": sdk_version.__version__,
        "platform": platform.platform(),
        "cpu": cpu,
        "cores": os.cpu_count(),
        "load_average_at_start": [round(v, 2) for v in os.getloadavg()],
    }


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="a short smoke run")
    parser.add_argument("--only", choices=sorted(FULL), action="append")
    args = parser.parse_args(argv)
    clean_environment()
    plan = QUICK if args.quick else FULL
    names = args.only or list(plan)
    results: dict[str, Any] = {"machine": machine(), "quick": args.quick, "seconds": {}}
    started = time.perf_counter()
    for name in names:
        print(f"bench: {name} ...", file=sys.stderr, flush=True)
        step = time.perf_counter()
        results[name] = plan[name]()
        results["seconds"][name] = round(time.perf_counter() - step, 1)
    results["seconds"]["total"] = round(time.perf_counter() - started, 1)
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    (OUT_DIR / "results.json").write_text(json.dumps(results, indent=1))
    report = render(results)
    (OUT_DIR / "report.md").write_text(report)
    print(report)
    print(f"bench: {results['seconds']['total']} s; raw figures in {OUT_DIR}/results.json")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
