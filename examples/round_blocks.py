"""Way 2: a round as one call (decorator) or one block (context manager).

Run: .venv/bin/python examples/round_blocks.py
Events recorded inside the round need no identity: they attach to the
current round, also across awaits.
"""

from __future__ import annotations

import asyncio

import srm_otel

STEP_S = 0.05


class SicboTable:
    def __init__(self, name: str) -> None:
        self.name = name

    @srm_otel.instrument_round(game_type="sicbo", table="self.name", round_id="arg.round_id")
    async def play_round(self, round_id: str) -> None:
        srm_otel.record("tableapi_start")
        srm_otel.record("sicbo_shaker_start", command="SHAKE")
        await asyncio.sleep(STEP_S)
        srm_otel.record("sicbo_shaker_stop", state="S2")
        srm_otel.record("sicbo_shaker_s0")
        srm_otel.record("tableapi_betstop")
        srm_otel.record("sicbo_idp_send", command="DETECT")
        await asyncio.sleep(STEP_S)
        srm_otel.record("sicbo_idp_receive", result="2,5,6")
        srm_otel.record("tableapi_deal", result="2,5,6")
        srm_otel.record("tableapi_finish")


def baccarat_round(round_id: str) -> None:
    with srm_otel.round(game_type="baccarat", table="BAC-01", round_id=round_id) as rnd:
        rnd.record("tableapi_start")
        rnd.record("tableapi_betstop")
        rnd.record("tableapi_deal", cards="P:9S,KD B:4H,2C")
        rnd.record("tableapi_finish")


async def main() -> None:
    srm_otel.configure({"service_name": "example-blocks", "prometheus": {"port": 0}})
    tables = [SicboTable("SBO-001"), SicboTable("SBO-002")]
    await asyncio.gather(*(t.play_round(f"{t.name}-1") for t in tables))
    baccarat_round("b-77")
    for s in srm_otel.statistics():
        print(f"{s.game_type} {s.table} {s.interval:<28} n={s.count} median={s.median:.3f}s")
    srm_otel.shutdown()


if __name__ == "__main__":
    asyncio.run(main())
