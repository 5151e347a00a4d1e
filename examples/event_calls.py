"""Way 1: report events with srm_otel.record() from wherever the game code sees them.

Run: .venv/bin/python examples/event_calls.py
It plays two roulette rounds with recorded timestamps, serves /metrics on a
free loopback port while it runs, and prints what srm_otel measured.
"""

from __future__ import annotations

import time

import srm_otel

ROUND = [
    ("tableapi_start", 0.0, {}),
    ("tableapi_betstop", 12.0, {}),
    ("roulette_x2", 12.5, {"warning_flag": False}),
    ("roulette_x3", 21.0, {}),
    ("roulette_x4", 22.2, {}),
    ("roulette_x5", 24.0, {"winning_number": 17}),
    ("tableapi_deal", 24.6, {"winning_number": 17}),
    ("tableapi_finish", 26.5, {}),
]


def main() -> None:
    srm_otel.configure({"service_name": "example-roulette", "prometheus": {"port": 0}})
    start = time.time() - 120
    for n, round_id in enumerate(["r-1001", "r-1002"]):
        for event, offset, data in ROUND:
            srm_otel.record(
                event,
                game_type="roulette",
                table="PRD",
                round_id=round_id,
                timestamp=start + 30 * n + offset,
                **data,
            )
    for s in srm_otel.statistics():
        print(f"{s.game_type} {s.table} {s.interval:<16} n={s.count} median={s.median:.3f}s")
    srm_otel.shutdown()


if __name__ == "__main__":
    main()
