"""A roulette game controller on asyncio, written as a vendor would: no srm_otel in sight.

The table API client is asynchronous; the wheel's serial messages (``*X;2``
to ``*X;5``) are read by a task and handed to synchronous handlers.
"""

from __future__ import annotations

import asyncio
import itertools

STEP_S = 0.01
"""How long each simulated step takes: short, so the tests run fast."""


class TableApi:
    """The studio table API for one table (simulated: every call takes a moment)."""

    def __init__(self, table_name: str, first_round: int) -> None:
        self.table_name = table_name
        self._round_ids = itertools.count(first_round)

    async def start_round(self) -> str:
        await asyncio.sleep(STEP_S)
        return f"{self.table_name}-{next(self._round_ids)}"

    async def stop_bets(self, round_id: str) -> None:
        await asyncio.sleep(STEP_S)

    async def send_result(self, round_id: str, number: int) -> None:
        await asyncio.sleep(STEP_S)

    async def finish_round(self, round_id: str) -> None:
        await asyncio.sleep(STEP_S)


class WheelController:
    """Reads the wheel's serial line and reports each message of the current round."""

    def __init__(self, table_name: str) -> None:
        self.table_name = table_name
        self.current_round: str | None = None
        self.serial: asyncio.Queue[str | None] = asyncio.Queue()
        self.results: asyncio.Queue[int] = asyncio.Queue()

    async def read_serial(self) -> None:
        while (line := await self.serial.get()) is not None:
            code, _, payload = line.partition(";")[2].partition(";")
            if code == "2":
                self.ball_launched(payload == "W")
            elif code == "3":
                self.ball_landing()
            elif code == "4":
                self.ball_in_pocket()
            elif code == "5":
                self.results.put_nowait(self.result_read(int(payload)))

    def ball_launched(self, warning: bool) -> None:
        pass

    def ball_landing(self) -> None:
        pass

    def ball_in_pocket(self) -> None:
        pass

    def result_read(self, number: int) -> int:
        return number


async def wheel_device(wheel: WheelController, number: int) -> None:
    """The physical wheel: one spin, as serial messages a few moments apart."""
    for line in ("*X;2;N", "*X;3", "*X;4", f"*X;5;{number}"):
        await asyncio.sleep(STEP_S)
        wheel.serial.put_nowait(line)


async def play_table(table_name: str, first_round: int, rounds: int) -> None:
    api = TableApi(table_name, first_round)
    wheel = WheelController(table_name)
    reader = asyncio.create_task(wheel.read_serial())
    for number in range(rounds):
        round_id = await api.start_round()
        await asyncio.sleep(STEP_S)
        await api.stop_bets(round_id)
        wheel.current_round = round_id
        spin = asyncio.create_task(wheel_device(wheel, number))
        result = await wheel.results.get()
        await spin
        await api.send_result(round_id, result)
        await api.finish_round(round_id)
    wheel.serial.put_nowait(None)
    await reader
