"""Round scripts shared by the unit tests."""

from __future__ import annotations

from collections.abc import Sequence

import srm_otel
from srm_otel.testing import CapturedTelemetry

ROULETTE_ROUND: Sequence[tuple[str, float]] = (
    ("tableapi_start", 0.0),
    ("tableapi_betstop", 12.0),
    ("roulette_x2", 0.5),
    ("roulette_x3", 9.0),
    ("roulette_x4", 1.25),
    ("roulette_x5", 2.0),
    ("tableapi_deal", 0.75),
    ("tableapi_finish", 2.0),
)
"""A normal roulette round: (event, seconds after the previous event)."""

SICBO_ROUND: Sequence[tuple[str, float]] = (
    ("tableapi_start", 0.0),
    ("sicbo_shaker_start", 1.0),
    ("sicbo_shaker_stop", 10.0),
    ("sicbo_shaker_s0", 0.5),
    ("tableapi_betstop", 4.0),
    ("sicbo_idp_send", 0.25),
    ("sicbo_idp_receive", 1.5),
    ("tableapi_deal", 0.5),
    ("tableapi_finish", 2.5),
)


def play(
    telemetry: CapturedTelemetry,
    game_type: str,
    table: str,
    round_id: str,
    steps: Sequence[tuple[str, float]],
) -> None:
    """Report each step's event after advancing the fake clock by its delay."""
    for event, delay in steps:
        telemetry.clock.advance(delay)
        srm_otel.record(event, game_type=game_type, table=table, round_id=round_id)
