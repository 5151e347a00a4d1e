"""A game process for the shutdown and fork tests: ``game_process.py ENDPOINT MODE``.

It reports complete baccarat rounds to an OTLP/HTTP endpoint with export
delays so long that nothing leaves before the process ends, unless srm_otel
flushes on the way out. MODE says how the process ends:

- ``exit``: returns from the script (atexit flush);
- ``sigterm``: prints ``ready`` and waits to be terminated (SIGTERM flush);
- ``fork``: forks a worker that plays its own table and exits without any
  call to srm_otel, while the parent waits for it and then returns.
"""

from __future__ import annotations

import os
import sys
import time

import srm_otel

ROUND = ("tableapi_start", "tableapi_betstop", "tableapi_deal", "tableapi_finish")


def play(table: str, rounds: int) -> None:
    for number in range(1, rounds + 1):
        for event in ROUND:
            srm_otel.record(event, game_type="baccarat", table=table, round_id=f"r{number}")


def main(endpoint: str, mode: str) -> None:
    delay_s = 0.2 if mode == "fork" else 600.0
    srm_otel.configure(
        {
            "service_name": "game-process",
            "site": "LAB",
            "otlp": {"endpoint": endpoint, "protocol": "http/protobuf"},
            "prometheus": {"enabled": False},
            "export": {"schedule_delay_s": delay_s, "metrics_interval_s": delay_s},
        }
    )
    play("PARENT", 2)
    if mode == "sigterm":
        print("ready", flush=True)
        time.sleep(60)
    elif mode == "fork":
        pid = os.fork()
        if pid == 0:
            play("WORKER", 2)
            time.sleep(3.0)  # the worker's own batch thread exports meanwhile
            os._exit(0)
        os.waitpid(pid, 0)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
