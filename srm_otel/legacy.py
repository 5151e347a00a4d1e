"""The older monitor's helper objects, kept so existing game code runs unchanged.

Each method reports one event through ``srm_otel.record``; optional payloads
become span-event data. ``timestamp`` (POSIX seconds) is accepted as before.
New code should call ``srm_otel.record`` directly; see docs/migration.md.
"""

from __future__ import annotations

from typing import Any

from srm_otel._api import record, statistics


def publish_event(
    event_type: str,
    game_type: str,
    table: str,
    round_id: str | int,
    timestamp: float | None = None,
    **data: Any,
) -> None:
    """The older generic entry point: one event with its identity and data."""
    record(
        event_type,
        game_type=game_type,
        table=table,
        round_id=round_id,
        timestamp=timestamp,
        **{k: v for k, v in data.items() if v is not None},
    )


class TableMonitor:
    """Table API events, common to every game; the base of the per-game helpers."""

    game_type = "table"

    def __init__(self, game_type: str | None = None) -> None:
        if game_type is not None:
            self.game_type = game_type

    def publish_event(self, event_type: str, table: str, round_id: str | int, **data: Any) -> None:
        publish_event(event_type, self.game_type, table, round_id, **data)

    def get_interval_statistics(self, table: str | None = None) -> dict[str, dict[str, Any]]:
        """The older monitor's per-interval figures for this game, over recent rounds.

        Keys are interval names; values hold count, min, max, mean, median,
        std_dev, last_values and outliers (last values more than two standard
        deviations from the mean). With ``table`` the figures are that table's.
        """
        figures = {}
        for s in statistics(per_table=table is not None):
            if s.game_type != self.game_type or (table is not None and s.table != table):
                continue
            figures[s.interval] = {
                "count": s.count,
                "min": s.minimum,
                "max": s.maximum,
                "mean": s.mean,
                "median": s.median,
                "std_dev": s.stdev,
                "last_values": list(s.last),
                "outliers": [v for v in s.last if s.is_outlier(v)],
            }
        return figures

    def record_tableapi_start(
        self, table: str, round_id: str | int, timestamp: float | None = None
    ) -> None:
        self.publish_event("tableapi_start", table, round_id, timestamp=timestamp)

    def record_tableapi_betstop(
        self, table: str, round_id: str | int, timestamp: float | None = None
    ) -> None:
        self.publish_event("tableapi_betstop", table, round_id, timestamp=timestamp)

    def record_tableapi_deal(
        self,
        table: str,
        round_id: str | int,
        result: Any = None,
        timestamp: float | None = None,
    ) -> None:
        self.publish_event("tableapi_deal", table, round_id, result=result, timestamp=timestamp)

    def record_tableapi_finish(
        self, table: str, round_id: str | int, timestamp: float | None = None
    ) -> None:
        self.publish_event("tableapi_finish", table, round_id, timestamp=timestamp)


class RouletteMonitor(TableMonitor):
    """Roulette wheel controller events (serial messages *X;2 to *X;5)."""

    game_type = "roulette"

    def record_tableapi_deal(
        self,
        table: str,
        round_id: str | int,
        result: Any = None,
        timestamp: float | None = None,
        winning_number: Any = None,
    ) -> None:
        number = winning_number if winning_number is not None else result
        self.publish_event(
            "tableapi_deal", table, round_id, winning_number=number, timestamp=timestamp
        )

    def record_roulette_x2(
        self,
        table: str,
        round_id: str | int,
        warning_flag: Any = None,
        timestamp: float | None = None,
    ) -> None:
        self.publish_event(
            "roulette_x2", table, round_id, warning_flag=warning_flag, timestamp=timestamp
        )

    def record_roulette_x3(
        self, table: str, round_id: str | int, timestamp: float | None = None
    ) -> None:
        self.publish_event("roulette_x3", table, round_id, timestamp=timestamp)

    def record_roulette_x4(
        self, table: str, round_id: str | int, timestamp: float | None = None
    ) -> None:
        self.publish_event("roulette_x4", table, round_id, timestamp=timestamp)

    def record_roulette_x5(
        self,
        table: str,
        round_id: str | int,
        winning_number: Any = None,
        timestamp: float | None = None,
    ) -> None:
        self.publish_event(
            "roulette_x5", table, round_id, winning_number=winning_number, timestamp=timestamp
        )


class SicboMonitor(TableMonitor):
    """Sic bo shaker and dice-camera (IDP) events."""

    game_type = "sicbo"

    def record_shaker_start(
        self,
        table: str,
        round_id: str | int,
        command: Any = None,
        timestamp: float | None = None,
    ) -> None:
        self.publish_event(
            "sicbo_shaker_start", table, round_id, command=command, timestamp=timestamp
        )

    def record_shaker_stop(
        self,
        table: str,
        round_id: str | int,
        state: Any = None,
        timestamp: float | None = None,
    ) -> None:
        self.publish_event("sicbo_shaker_stop", table, round_id, state=state, timestamp=timestamp)

    def record_shaker_s0(
        self, table: str, round_id: str | int, timestamp: float | None = None
    ) -> None:
        self.publish_event("sicbo_shaker_s0", table, round_id, timestamp=timestamp)

    def record_idp_send(
        self,
        table: str,
        round_id: str | int,
        command: Any = None,
        timestamp: float | None = None,
    ) -> None:
        self.publish_event("sicbo_idp_send", table, round_id, command=command, timestamp=timestamp)

    def record_idp_receive(
        self,
        table: str,
        round_id: str | int,
        result: Any = None,
        timestamp: float | None = None,
    ) -> None:
        self.publish_event("sicbo_idp_receive", table, round_id, result=result, timestamp=timestamp)


class BaccaratMonitor(TableMonitor):
    """Baccarat reports the table API events only."""

    game_type = "baccarat"


__all__ = ["BaccaratMonitor", "RouletteMonitor", "SicboMonitor", "TableMonitor", "publish_event"]
