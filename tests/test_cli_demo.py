"""``srm-otel demo`` and the studio simulation behind it."""

from __future__ import annotations

import io
import shutil
import socket
import subprocess
import sys
import threading
import urllib.request
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from srm_otel import _api
from srm_otel.cli import main
from srm_otel.simulation import LINEUP, Studio, lineup
from srm_otel.testing import capture, environ_without_otel
from tests.support.net import free_port, wait_until

QUICK = ["--duration", "1.5", "--speed", "200", "--tables", "4"]
"""Five minutes of studio time in a second and a half."""

SUBPROCESS_TIMEOUT_S = 60.0
EXPECTED_METRICS = (
    "srm_interval_duration_seconds_bucket",
    "srm_round_duration_seconds_bucket",
    "srm_rounds_total",
    "srm_events_total",
    "srm_interval_out_of_range_total",
    "srm_rounds_active",
)


@pytest.fixture
def metrics_port(monkeypatch: pytest.MonkeyPatch) -> int:
    for name in ("SRM_SITE", "SRM_CONFIG", "OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_SDK_DISABLED"):
        monkeypatch.delenv(name, raising=False)
    port = free_port()
    monkeypatch.setenv("OTEL_EXPORTER_PROMETHEUS_PORT", str(port))
    return port


def srm_otel_command() -> list[str]:
    script = Path(sys.executable).with_name("srm-otel")
    return [str(script)] if script.exists() else [sys.executable, "-m", "srm_otel"]


# --- the simulation -------------------------------------------------------


def test_same_seed_same_events() -> None:
    start = 1_767_225_600.0
    first = list(Studio.with_tables(6, seed=11).events(start, until=start + 600))
    again = list(Studio.with_tables(6, seed=11).events(start, until=start + 600))
    other = list(Studio.with_tables(6, seed=12).events(start, until=start + 600))

    assert first == again
    assert first != other
    assert [e.timestamp for e in first] == sorted(e.timestamp for e in first)


def test_lineup_covers_every_game_and_numbers_further_tables() -> None:
    tables = lineup(10)

    assert [t.table for t in tables[:4]] == ["PRD", "VIP-01", "SBO-001", "BAC-001"]
    assert {t.game_type for t in tables[:4]} == {"roulette", "sicbo", "baccarat"}
    assert [t.table for t in tables[8:]] == [f"{LINEUP[0].table}-2", f"{LINEUP[1].table}-2"]


def test_simulated_studio_through_the_library() -> None:
    """Half an hour of four tables: normal rhythm, a few slow steps, some stuck rounds."""
    studio = Studio.with_tables(4, seed=3)
    with capture({"rounds": {"timeout_s": 60}}) as telemetry:
        start = telemetry.clock.now()
        for event in studio.events(start, until=start + 1800):
            telemetry.clock.advance(max(0.0, event.timestamp - telemetry.clock.now()))
            event.report()
            telemetry.sweep()

        completed = telemetry.counter("srm.rounds", outcome="completed")
        incomplete = telemetry.counter("srm.rounds", outcome="incomplete")
        per_game = {
            game: telemetry.histogram("srm.round.duration", game_type=game)[0]
            for game in ("roulette", "sicbo", "baccarat")
        }
        bets = telemetry.histogram("srm.interval.duration", interval="start-to-betstop")
        bets_out = telemetry.counter("srm.interval.out_of_range", interval="start-to-betstop")
        spin = telemetry.histogram("srm.interval.duration", interval="*X;2-to-*X;3")
        shaker = telemetry.histogram("srm.interval.duration", interval="shakerShake-to-shakerStop")

    assert completed > 200
    assert 1 <= incomplete <= 0.1 * completed
    assert all(count > 20 for count in per_game.values()), per_game
    assert 0 < bets_out <= 0.1 * bets[0]
    assert 5.0 < spin[1] / spin[0] < 15.0
    assert 8.0 < shaker[1] / shaker[0] < 12.0


# --- the command, in-process ----------------------------------------------


def test_demo_prints_status_lines_and_a_summary_when_not_a_terminal(
    metrics_port: int, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["demo", *QUICK]) == 0

    out = capsys.readouterr().out
    assert f"/metrics at http://127.0.0.1:{metrics_port}/metrics" in out
    assert "studio time 00:00 of 05:00" in out
    assert "srm-otel demo: done." in out
    for row in ("roulette  start-to-betstop", "sicbo     start-to-betstop", "baccarat  "):
        assert row in out
    assert "\x1b[" not in out
    assert _api.get_runtime() is None


def test_demo_redraws_a_live_table_on_a_terminal(
    metrics_port: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    terminal = _Terminal()
    monkeypatch.setattr(sys, "stdout", terminal)

    assert main(["demo", *QUICK]) == 0

    text = terminal.getvalue()
    assert text.count("\x1b[J") >= 2  # drawn, then redrawn in place
    assert "\x1b[?25l" in text and text.rstrip().count("\x1b[?25h") == 1
    assert "out of range" in text and "incomplete" in text


def test_demo_says_clearly_when_the_metrics_port_is_busy(
    metrics_port: int, capsys: pytest.CaptureFixture[str]
) -> None:
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", metrics_port))
        holder.listen()

        assert main(["demo", *QUICK]) == 1

    err = capsys.readouterr().err
    assert f"cannot serve /metrics on 127.0.0.1:{metrics_port}" in err
    assert "OTEL_EXPORTER_PROMETHEUS_PORT" in err
    assert "Traceback" not in err


def test_demo_refuses_to_send_to_a_site_server(
    tmp_path: Path, metrics_port: int, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "srm.yaml"
    config.write_text("site: GE\n")

    assert main(["demo", "--config", str(config), *QUICK]) == 1

    err = capsys.readouterr().err
    assert "http://100.64.0.113:4317" in err
    assert "only to a collector on 127.0.0.1" in err
    assert _api.get_runtime() is None


def test_demo_ignores_srm_yaml_in_the_working_directory(
    tmp_path: Path,
    metrics_port: int,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    (tmp_path / "srm.yaml").write_text("site: TPE\n")
    monkeypatch.chdir(tmp_path)

    assert main(["demo", *QUICK]) == 0
    assert "OTLP" not in capsys.readouterr().out


class _OtlpReceiver(BaseHTTPRequestHandler):
    paths: list[str]

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        self.paths.append(self.path)
        self.send_response(200)
        self.send_header("Content-Type", "application/x-protobuf")
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def otlp_receiver() -> Iterator[tuple[int, list[str]]]:
    """A loopback stand-in for a collector's OTLP/HTTP receiver that records request paths."""
    paths: list[str] = []
    handler = type("Receiver", (_OtlpReceiver,), {"paths": paths})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1})
    thread.start()
    try:
        yield server.server_address[1], paths
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def test_demo_with_a_config_sends_to_its_collector(
    tmp_path: Path, metrics_port: int, otlp_receiver: tuple[int, list[str]]
) -> None:
    port, paths = otlp_receiver
    config = tmp_path / "srm.yaml"
    config.write_text(
        f"otlp: {{endpoint: 'http://127.0.0.1:{port}', protocol: http/protobuf, timeout_s: 2}}\n"
        "export: {metrics_interval_s: 0.5, schedule_delay_s: 0.2}\n"
    )

    assert main(["demo", "--config", str(config), *QUICK]) == 0

    assert {"/v1/traces", "/v1/metrics", "/v1/logs"} <= set(paths)


def test_demo_records_events_that_replay_reads(
    tmp_path: Path, metrics_port: int, capsys: pytest.CaptureFixture[str]
) -> None:
    recording = tmp_path / "studio.jsonl"

    assert main(["demo", *QUICK, "--record", str(recording)]) == 0
    capsys.readouterr()
    lines = recording.read_text().splitlines()
    config = tmp_path / "replay.yaml"
    config.write_text("prometheus: {port: 0}\n")

    assert main(["replay", str(recording), "--config", str(config)]) == 0
    assert f"srm-otel replay: {len(lines)} events" in capsys.readouterr().out


# --- the command, as a user runs it ---------------------------------------


def test_demo_subprocess_serves_metrics_that_pass_promtool(tmp_path: Path) -> None:
    promtool = shutil.which("promtool")
    if promtool is None:
        pytest.fail("promtool is not installed: run `make prometheus`", pytrace=False)
    port = free_port()
    url = f"http://127.0.0.1:{port}/metrics"
    env = environ_without_otel() | {
        "OTEL_EXPORTER_PROMETHEUS_PORT": str(port),
        "SRM_OTEL_RAISE_INTERNAL_ERRORS": "1",
    }
    argv = [*srm_otel_command(), "demo", "--duration", "6", "--speed", "50"]
    demo = subprocess.Popen(
        argv, cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        scraped: list[str] = []

        def has_every_metric() -> bool:
            try:
                with urllib.request.urlopen(url, timeout=2) as response:
                    scraped.append(response.read().decode())
            except OSError:
                return False
            return all(name in scraped[-1] for name in EXPECTED_METRICS)

        wait_until(has_every_metric, timeout=20, interval=0.3, what=f"rounds on {url}")
        check = subprocess.run(
            [promtool, "check", "metrics"],
            input=scraped[-1],
            capture_output=True,
            text=True,
            timeout=30,
        )
        out, err = demo.communicate(timeout=SUBPROCESS_TIMEOUT_S)
    finally:
        if demo.poll() is None:
            demo.kill()
            demo.wait(timeout=10)

    assert check.returncode == 0, check.stdout + check.stderr
    assert demo.returncode == 0, err
    assert "srm-otel demo: done." in out
    assert "srm_round_id" not in scraped[-1]


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.mark.parametrize(
    ("args", "env", "message"),
    [
        ([], {"OTEL_SDK_DISABLED": "true"}, "OTEL_SDK_DISABLED is true"),
        (["--record", "no/such/dir/x.jsonl"], {}, "cannot write no/such/dir/x.jsonl"),
        (["--speed", "0"], {}, None),
    ],
)
def test_demo_user_errors_exit_without_a_traceback(
    metrics_port: int,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    args: list[str],
    env: dict[str, str],
    message: str | None,
) -> None:
    monkeypatch.chdir(tmp_path)
    for name, value in env.items():
        monkeypatch.setenv(name, value)

    if message is None:
        with pytest.raises(SystemExit) as exit_info:
            main(["demo", *QUICK, *args])
        assert exit_info.value.code == 2
        assert "must be a number above 0" in capsys.readouterr().err
        return
    assert main(["demo", *QUICK, *args]) == 1
    assert message in capsys.readouterr().err
    assert _api.get_runtime() is None
