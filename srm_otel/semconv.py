"""The telemetry contract: every attribute key, metric name and unit in one place.

The collector configuration, the Prometheus rules, the Grafana dashboard and
the tests rely on these names (see DOMAIN.md, "Telemetry contract"). Change
one only together with all of its users and docs/migration.md.
"""

from __future__ import annotations

from typing import Final

# --- Resource attributes -------------------------------------------------

SERVICE_NAME: Final = "service.name"
"""Logical service name; defaults to DEFAULT_SERVICE_NAME."""

SERVICE_INSTANCE_ID: Final = "service.instance.id"
"""Unique per process, so two processes never write the same series."""

SITE: Final = "srm.site"
"""Studio site: GE, TPE or a custom name."""

DEFAULT_SERVICE_NAME: Final = "studio-roundtime-monitor"
"""Matches the older monitor's job name, so saved queries keep a landmark."""

# --- Attributes on spans, metrics and logs ---------------------------------

GAME_TYPE: Final = "srm.game.type"
"""Game family, e.g. ``roulette``."""

TABLE_ID: Final = "srm.table.id"
"""Table name, e.g. ``PRD``."""

INTERVAL_NAME: Final = "srm.interval.name"
"""Interval name from the game profile, e.g. ``start-to-betstop``."""

ROUND_OUTCOME: Final = "srm.round.outcome"
"""How a round ended: one of ROUND_OUTCOMES."""

EVENT_NAME: Final = "srm.event.name"
"""Name of a reported event, e.g. ``tableapi_deal``."""

EVENT_OUTCOME: Final = "srm.event.outcome"
"""What the library did with an event: one of EVENT_OUTCOMES."""

INTERVAL_BOUND: Final = "srm.interval.bound"
"""Which side of the expected range an out-of-range interval fell on: low or high."""

ROUND_ID: Final = "srm.round.id"
"""Round id from the table API. Spans and logs only: never on a metric."""

INTERVAL_DURATION_S: Final = "srm.interval.duration_s"
"""Measured interval in seconds, on interval logs (for LogQL ``unwrap``)."""

INTERVAL_EXPECTED_S: Final = "srm.interval.expected_s"
"""Expected range ``[low, high]`` in seconds, on interval spans and logs."""

INTERVAL_SCOPE: Final = "srm.interval.scope"
"""``round`` for an in-round interval, ``cross-round`` for one that spans two rounds."""

PREVIOUS_ROUND_ID: Final = "srm.round.previous_id"
"""On a cross-round interval: the round its start event belonged to."""

SIGNAL: Final = "srm.signal"
"""On the library's own drop counter: traces, logs or metrics."""

ERROR_TYPE: Final = "error.type"
"""Why telemetry was dropped (semantic-conventions key)."""

ROUND_OUTCOMES: Final = ("completed", "incomplete", "cancelled")
EVENT_OUTCOMES: Final = (
    "accepted",
    "duplicate",
    "late",
    "unknown_event",
    "invalid",
    "reordered",
    "overflow",
)

OVERFLOW_TABLE: Final = "_overflow"
"""Table value used once a process has reported more distinct tables than allowed."""

# --- Metrics ---------------------------------------------------------------

INTERVAL_DURATION: Final = "srm.interval.duration"
ROUND_DURATION: Final = "srm.round.duration"
ROUNDS: Final = "srm.rounds"
INTERVAL_OUT_OF_RANGE: Final = "srm.interval.out_of_range"
EVENTS: Final = "srm.events"
ROUNDS_ACTIVE: Final = "srm.rounds.active"
TELEMETRY_DROPPED: Final = "srm.telemetry.dropped"

UNIT_SECONDS: Final = "s"
UNIT_ROUND: Final = "{round}"
UNIT_INTERVAL: Final = "{interval}"
UNIT_EVENT: Final = "{event}"
UNIT_ITEM: Final = "{item}"

DURATION_BUCKETS_S: Final = (
    0.1,
    0.25,
    0.5,
    0.75,
    1.0,
    1.5,
    2.0,
    3.0,
    4.0,
    5.0,
    6.0,
    8.0,
    10.0,
    12.0,
    15.0,
    20.0,
    25.0,
    30.0,
    45.0,
    60.0,
    90.0,
    120.0,
)
"""Histogram boundaries in seconds, 0.1 to 120 s. Every bound of DOMAIN.md's expected
ranges (0.5, 1, 2, 3, 5, 8, 12, 15, 20) is a boundary, so a quantile compared with an
expected high is not blurred by interpolation across it."""

INSTRUMENTATION_SCOPE: Final = "srm_otel"
