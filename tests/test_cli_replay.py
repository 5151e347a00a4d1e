"""``srm-otel replay``: recorded events through the library on the recording's timeline."""

from __future__ import annotations

import io
import json
import time
from pathlib import Path
from typing import Any

import pytest

from srm_otel.cli import main
from srm_otel.cli.replay_command import BadLine, parse_line, replay_lines
from srm_otel.testing import FakeClock, capture

T0 = 1_780_000_000.0
"""2026-05-28T20:26:40Z, after the fake clock's default start."""


def line(event: str, at: float, round_id: Any = "r1", **extra: Any) -> str:
    fields = {"event": event, "game_type": "roulette", "table": "PRD", "round_id": round_id}
    return json.dumps({**fields, "timestamp": T0 + at, **extra})


ROUND_1 = [
    line("tableapi_start", 0.0),
    line("roulette_x2", 0.5, data={"warning_flag": None}),
    line("tableapi_betstop", 8.0),
    line("roulette_x3", 9.0),
    line("tableapi_deal", 12.0),
    line("tableapi_finish", 14.0),
]


@pytest.fixture(autouse=True)
def clean_environment(isolated_settings: Path) -> None:
    (isolated_settings / "local.yaml").write_text(
        "prometheus: {port: 0}\nrounds: {timeout_s: 60}\n"
    )


def test_events_reach_the_library_with_their_recorded_times() -> None:
    lines = [*ROUND_1, line("tableapi_start", 17.0, round_id="r2")]
    with capture({"rounds": {"timeout_s": 60}}, clock=FakeClock()) as telemetry:
        report = replay_lines(lines, telemetry.runtime, telemetry.clock, None, io.StringIO())

        assert telemetry.histogram("srm.interval.duration", interval="start-to-betstop") == (
            1,
            8.0,
        )
        assert telemetry.histogram("srm.interval.duration", interval="*X;2-to-*X;3") == (1, 8.5)
        assert telemetry.histogram("srm.interval.duration", interval="finish-to-start") == (
            1,
            3.0,
        )
        assert telemetry.histogram("srm.round.duration") == (1, 14.0)
        assert telemetry.clock.now() == T0 + 17.0
        (span,) = telemetry.spans("roulette round")
        assert (span.start_time, span.end_time) == (int(T0 * 1e9), int((T0 + 14.0) * 1e9))

    assert (report.replayed, report.bad, dict(report.outcomes)) == (7, [], {"accepted": 7})


def test_a_round_without_finish_times_out_on_the_recordings_clock() -> None:
    lines = [
        line("tableapi_start", 0.0, round_id="stuck"),
        line("tableapi_start", 30.0, round_id="next"),
        line("tableapi_betstop", 61.0, round_id="next"),
    ]
    with capture({"rounds": {"timeout_s": 60}}, clock=FakeClock()) as telemetry:
        replay_lines(lines, telemetry.runtime, telemetry.clock, None, io.StringIO())

        assert telemetry.counter("srm.rounds", outcome="incomplete") == 1
        assert telemetry.runtime.tracker.open_rounds == 1


def test_bad_lines_are_reported_by_number_skipped_and_counted(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    recording = tmp_path / "studio.jsonl"
    recording.write_text(
        "\n".join(
            [
                ROUND_1[0],
                "{not json",
                "",
                '["a list"]',
                line("tableapi_betstop", 8.0, round_id=None),
                *ROUND_1[1:],
                json.dumps({"event": "e", "game_type": "sicbo", "table": "S1", "round_id": 1}),
            ]
        )
        + "\n"
    )

    assert main(["replay", str(recording), "--config", "local.yaml"]) == 0

    out, err = capsys.readouterr()
    assert err.splitlines() == [
        "line 2: not JSON (Expecting property name enclosed in double quotes at column 2); skipped",
        "line 4: not a JSON object but list; skipped",
        "line 5: round_id: None must be a non-empty string or an integer; skipped",
        "line 11: timestamp: None must be POSIX seconds or an ISO 8601 time; skipped",
    ]
    assert (
        f"srm-otel replay: 6 events from {recording} (11 lines, 14 s of recording); "
        "4 bad lines skipped"
    ) in out
    assert "roulette  start-to-betstop                  1    8.00s    8.00s  5-20s" in out
    assert "events by what srm_otel did with them: 6 accepted" in out


def test_a_file_with_no_usable_line_exits_1(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    recording = tmp_path / "garbage.jsonl"
    recording.write_text("nonsense\n")

    assert main(["replay", str(recording), "--config", "local.yaml"]) == 1
    assert "line 1: not JSON" in capsys.readouterr().err


def test_a_missing_file_exits_1_without_a_traceback(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["replay", "absent.jsonl"]) == 1
    assert capsys.readouterr().err == (
        "srm-otel replay: cannot read absent.jsonl: No such file or directory\n"
    )


def test_a_broken_config_exits_1(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "r.jsonl").write_text(ROUND_1[0] + "\n")
    (tmp_path / "bad.yaml").write_text("rounds: {timeout: 5}\n")

    assert main(["replay", "r.jsonl", "--config", "bad.yaml"]) == 1
    assert "rounds.timeout: unknown key; did you mean 'timeout_s'?" in capsys.readouterr().err


def test_rejected_events_are_counted_by_outcome(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    recording = tmp_path / "r.jsonl"
    recording.write_text(
        "\n".join([*ROUND_1, ROUND_1[-1], line("roulette_x9", 15.0, round_id="r2")]) + "\n"
    )

    assert main(["replay", str(recording), "--config", "local.yaml"]) == 0
    assert "6 accepted, 1 late, 1 unknown_event" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("timestamp", "expected"),
    [
        ("2026-05-28T20:26:40Z", T0),
        ("2026-05-29T04:26:40.5+08:00", T0 + 0.5),
        (T0, T0),
    ],
)
def test_timestamps_are_posix_seconds_or_iso_8601_with_a_zone(
    timestamp: Any, expected: float
) -> None:
    raw = {"event": "e", "game_type": "g", "table": "t", "round_id": 7, "timestamp": timestamp}

    event = parse_line(json.dumps(raw))

    assert (event.timestamp, event.round_id) == (expected, "7")


def test_a_time_without_a_zone_is_refused() -> None:
    raw = {"event": "e", "game_type": "g", "table": "t", "round_id": 7}

    with pytest.raises(BadLine, match="has no time zone"):
        parse_line(json.dumps({**raw, "timestamp": "2026-05-28T20:26:40"}))


def test_speed_paces_the_replay_on_event_time(tmp_path: Path) -> None:
    recording = tmp_path / "r.jsonl"
    recording.write_text("\n".join(ROUND_1) + "\n")

    started = time.monotonic()
    assert main(["replay", str(recording), "--speed", "50", "--config", "local.yaml"]) == 0
    elapsed = time.monotonic() - started

    assert elapsed >= 14.0 / 50
