"""Way 3: play rounds on the vendor controller; srm-otel run adds the telemetry.

Run: .venv/bin/srm-otel run --config examples/hooks/srm.yaml -- \
         .venv/bin/python examples/hooks/run_table.py
"""

from __future__ import annotations

from studio_game import RouletteTable


def main() -> None:
    table = RouletteTable("PRD")
    for _ in range(3):
        round_id = table.open_round()
        table.close_bets(round_id)
        table.settle(round_id, 17)
    print("played 3 rounds on", table.name)


if __name__ == "__main__":
    main()
