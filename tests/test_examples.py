"""The README's three ways to instrument, run as a user would run them."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from srm_otel.testing import environ_without_otel
from tests.receivers import OtlpHttpReceiver

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent


def run(*command: str, env: dict[str, str] | None = None) -> str:
    result = subprocess.run(
        command,
        cwd=ROOT,
        env={**environ_without_otel(), "SRM_OTEL_RAISE_INTERNAL_ERRORS": "1", **(env or {})},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_event_calls_example_measures_both_rounds() -> None:
    out = run(sys.executable, "examples/event_calls.py")

    assert "roulette PRD start-to-betstop n=2 median=12.000s" in out
    assert "roulette PRD finish-to-start  n=1 median=3.500s" in out


def test_round_blocks_example_measures_async_and_block_rounds() -> None:
    out = run(sys.executable, "examples/round_blocks.py")

    for table in ("SBO-001", "SBO-002"):
        assert f"sicbo {table} shakerShake-to-shakerStop    n=1" in out
    assert "baccarat BAC-01 start-to-betstop             n=1" in out


def test_hooks_example_reports_rounds_of_an_unmodified_program() -> None:
    receiver = OtlpHttpReceiver()
    try:
        out = run(
            str(BIN / "srm-otel"),
            "run",
            "--config",
            "examples/hooks/srm.yaml",
            "--",
            sys.executable,
            "examples/hooks/run_table.py",
            env={
                "OTEL_EXPORTER_OTLP_ENDPOINT": receiver.endpoint,
                "OTEL_EXPORTER_OTLP_PROTOCOL": "http/protobuf",
            },
        )
    finally:
        receiver.stop()

    assert out == "played 3 rounds on PRD\n"
    bodies = receiver.log_bodies()
    for n in (5001, 5002, 5003):
        assert any("start-to-betstop = " in b and f"round PRD-{n}" in b for b in bodies)
        assert any("betstop-to-deal = " in b and f"round PRD-{n}" in b for b in bodies)
    assert sum(b.startswith("Round incomplete: roulette table PRD") for b in bodies) == 3
