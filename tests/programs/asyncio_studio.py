"""Two roulette tables on one asyncio loop, three rounds each; exits 0 when done."""

from __future__ import annotations

import asyncio

import roulette_controller

TABLES = {"VIP-01": 7001, "PRD": 9001}
ROUNDS = 3


async def main() -> None:
    await asyncio.gather(
        *(roulette_controller.play_table(t, first, ROUNDS) for t, first in TABLES.items())
    )


if __name__ == "__main__":
    asyncio.run(main())
    print("asyncio_studio.py: done")
