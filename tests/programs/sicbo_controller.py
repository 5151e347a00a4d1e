"""A sic bo game controller on threads, written as a vendor would: no srm_otel in sight.

A serial-reader thread reads the shaker's and the dice camera's messages and
reports them; the main thread drives the table API and sends the commands.
"""

from __future__ import annotations

import itertools
import queue
import threading
import time

STEP_S = 0.01
"""How long each simulated step takes: short, so the tests run fast."""


class SerialPort:
    """The devices' serial line (simulated): commands go out, lines come back later."""

    def __init__(self) -> None:
        self._lines: queue.Queue[str | None] = queue.Queue()

    def write(self, command: str) -> None:
        threading.Thread(target=self._device, args=(command,), daemon=True).start()

    def readline(self) -> str | None:
        return self._lines.get(timeout=10)

    def close(self) -> None:
        self._lines.put(None)

    def _device(self, command: str) -> None:
        replies = {"SHAKE": ["SHAKER START", "SHAKER STOP", "SHAKER S0"], "DETECT": ["IDP 2,4,6"]}
        for line in replies[command]:
            time.sleep(STEP_S)
            self._lines.put(line)


class DeviceReader:
    """The serial-reader thread: one handler per device message."""

    def __init__(self, table_name: str, port: SerialPort) -> None:
        self.table_name = table_name
        self.round_id: int | None = None
        self.port = port
        self.shaker_at_rest = threading.Event()
        self.dice: queue.Queue[str] = queue.Queue()

    def run(self) -> None:
        while (line := self.port.readline()) is not None:
            if line == "SHAKER START":
                self.shaker_started("SHAKE")
            elif line == "SHAKER STOP":
                self.shaker_stopped("stopped")
            elif line == "SHAKER S0":
                self.shaker_rest()
                self.shaker_at_rest.set()
            elif line.startswith("IDP "):
                self.dice.put(self.dice_received(line[4:]))

    def shaker_started(self, command: str) -> None:
        pass

    def shaker_stopped(self, state: str) -> None:
        pass

    def shaker_rest(self) -> None:
        pass

    def dice_received(self, result: str) -> str:
        return result


class DiceCamera:
    """The dice camera (IDP): detection requests go out over the serial line."""

    def __init__(self, port: SerialPort) -> None:
        self.port = port

    def request_detection(self, table: str, round_id: int) -> None:
        self.port.write("DETECT")


class TableApi:
    """The studio table API for one table (simulated, blocking calls)."""

    def __init__(self, table_name: str, first_round: int) -> None:
        self.table_name = table_name
        self._round_ids = itertools.count(first_round)

    def start_round(self) -> int:
        time.sleep(STEP_S)
        return next(self._round_ids)

    def stop_bets(self, round_id: int) -> None:
        time.sleep(STEP_S)

    def send_result(self, round_id: int, dice: str) -> None:
        time.sleep(STEP_S)

    def finish_round(self, round_id: int) -> None:
        time.sleep(STEP_S)
