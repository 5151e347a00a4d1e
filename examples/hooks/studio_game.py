"""A vendor's roulette table controller that knows nothing of srm_otel."""

from __future__ import annotations

import itertools
import time

STEP_S = 0.05


class RouletteTable:
    def __init__(self, name: str) -> None:
        self.name = name
        self.current_round: str | None = None
        self._ids = itertools.count(5001)

    def open_round(self) -> str:
        time.sleep(STEP_S)
        self.current_round = f"{self.name}-{next(self._ids)}"
        return self.current_round

    def close_bets(self, round_id: str) -> None:
        time.sleep(STEP_S)

    def on_serial(self, message: str) -> None:
        """Called with each wheel message, e.g. '*X;2' ... '*X;5;17'."""

    def settle(self, round_id: str, number: int) -> None:
        time.sleep(STEP_S)
