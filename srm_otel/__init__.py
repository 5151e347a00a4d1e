"""srm_otel: round-time telemetry for live-casino game controllers.

    import srm_otel

    srm_otel.configure("srm.yaml")
    srm_otel.record("tableapi_start", game_type="roulette", table="PRD", round_id=rid)

Every call is safe in the game loop: it never raises, never blocks on the
network, and is a no-op until configure(). See README.md for the three ways
to instrument a game, and ../docs for operations.
"""

from srm_otel._api import (
    RoundScope,
    cancel_round,
    configure,
    current_round,
    force_flush,
    instrument_round,
    record,
    round,
    shutdown,
    statistics,
)
from srm_otel._config import ConfigError
from srm_otel.version import __version__

__all__ = [
    "ConfigError",
    "RoundScope",
    "__version__",
    "cancel_round",
    "configure",
    "current_round",
    "force_flush",
    "instrument_round",
    "record",
    "round",
    "shutdown",
    "statistics",
]
