"""``srm-otel demo``: a simulated studio through the real library, with a live table.

The studio's clock runs ``--speed`` times faster than the wall clock and ends
at the real time the demo ends, so every event carries a plausible past
timestamp. The library's round timeout, interval statistics and telemetry
all run on that clock. With no ``--config`` the demo serves /metrics
in-process only; with one it also sends to the configured collector, which
must be on this machine: simulated rounds never go to a site's server.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import socket
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Final, TextIO

import srm_otel
from srm_otel import _api
from srm_otel._config import Settings
from srm_otel._pipeline import build_pipeline
from srm_otel._runtime import Runtime
from srm_otel.cli._common import (
    endpoint_host,
    fail,
    int_between,
    is_loopback,
    load_settings,
    positive_float,
)
from srm_otel.cli._live import (
    LiveTable,
    NoteCollector,
    PlainLines,
    Snapshot,
    is_terminal,
    print_summary,
)
from srm_otel.simulation import Studio

COMMAND: Final = "demo"
DEFAULT_DURATION_S: Final = 20.0
DEFAULT_SPEED: Final = 15.0
DEFAULT_TABLES: Final = 6
DEFAULT_SEED: Final = 7
DEMO_ROUND_TIMEOUT_S: Final = 60.0
"""Stuck rounds close after a minute of studio time, so a short demo shows them."""

LIVE_REDRAW_S: Final = 0.5
SWEEP_EVERY_S: Final = 0.25

Display = LiveTable | PlainLines


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--duration",
        type=positive_float,
        default=DEFAULT_DURATION_S,
        metavar="S",
        help=f"how long the demo runs, in real seconds (default {DEFAULT_DURATION_S:g})",
    )
    parser.add_argument(
        "--tables",
        type=int_between(1, 64),
        default=DEFAULT_TABLES,
        metavar="N",
        help=f"tables to simulate: roulette speed and VIP, sic bo, baccarat, ... "
        f"(default {DEFAULT_TABLES})",
    )
    parser.add_argument(
        "--speed",
        type=positive_float,
        default=DEFAULT_SPEED,
        metavar="X",
        help=f"studio seconds per real second (default {DEFAULT_SPEED:g})",
    )
    parser.add_argument(
        "--config",
        metavar="FILE",
        help="srm.yaml to use; the demo then also sends to its collector, which must be "
        "on this machine (default: built-in settings, /metrics only)",
    )
    parser.add_argument(
        "--seed",
        type=int,
        default=DEFAULT_SEED,
        metavar="N",
        help=f"random seed of the simulation (default {DEFAULT_SEED})",
    )
    parser.add_argument(
        "--record",
        metavar="FILE.jsonl",
        help="also write the simulated events to FILE.jsonl, in the format replay reads",
    )


class SimulatedClock:
    """Studio time: ``start`` at creation, then ``speed`` studio seconds per real second."""

    def __init__(self, start: float, speed: float) -> None:
        self.start = start
        self.speed = speed
        self._t0 = time.monotonic()

    def now(self) -> float:
        return self.start + (time.monotonic() - self._t0) * self.speed

    def real_seconds_until(self, t: float) -> float:
        return (t - self.now()) / self.speed


def run(args: argparse.Namespace) -> int:
    settings = _settings(args.config)
    if settings is None:
        return 1
    problem = (
        _disabled_problem(settings)
        or _destination_problem(settings)
        or _metrics_port_problem(settings)
    )
    if problem:
        return fail(COMMAND, problem)
    if args.record is None:
        return _run_studio(settings, args, None)
    try:
        with Path(args.record).open("w", encoding="utf-8") as record_file:
            return _run_studio(settings, args, record_file)
    except OSError as exc:
        return fail(COMMAND, f"cannot write {args.record}: {exc.strerror or exc}")


def _run_studio(settings: Settings, args: argparse.Namespace, record_file: TextIO | None) -> int:
    pipeline = build_pipeline(settings)
    if settings.prometheus_enabled and pipeline.metrics_url is None:
        pipeline.shutdown(timeout_s=1.0)
        return fail(COMMAND, f"cannot serve /metrics on {_metrics_address(settings)}; see above")
    duration, speed = float(args.duration), float(args.speed)
    clock = SimulatedClock(time.time() - max(0.0, duration * (speed - 1.0)), speed)
    studio = Studio.with_tables(args.tables, seed=args.seed)
    runtime = _api.start(settings, pipeline, clock, watchdog=False)
    out = sys.stdout
    _announce(settings, runtime, args, out)

    count = -1
    try:
        with _display(out) as display:
            # Ctrl-C ends the demo early; the figures so far are still shown.
            with contextlib.suppress(KeyboardInterrupt):
                count = _play(studio, clock, duration, runtime, display, record_file, args)
            final = Snapshot.of(runtime)
    finally:
        srm_otel.shutdown()
    _finish(final, count, duration, speed, args, runtime, out)
    return 130 if count < 0 else 0


def _settings(config: str | None) -> Settings | None:
    if config is not None:
        return load_settings(COMMAND, config)
    # Not configure()'s search for SRM_CONFIG or ./srm.yaml: a plain demo must never
    # pick up a site's configuration and send simulated rounds to it.
    return load_settings(COMMAND, {"rounds": {"timeout_s": DEMO_ROUND_TIMEOUT_S}})


def _disabled_problem(settings: Settings) -> str | None:
    if not settings.disabled:
        return None
    return "OTEL_SDK_DISABLED is true, so srm_otel records nothing; unset it to run the demo"


def _destination_problem(settings: Settings) -> str | None:
    endpoint = settings.otlp.endpoint
    if endpoint is None or is_loopback(endpoint_host(endpoint)):
        return None
    where = (
        "set by SRM_SITE or OTEL_EXPORTER_OTLP_ENDPOINT"
        if settings.source == "dict"
        else f"from {settings.source} or the environment"
    )
    return (
        f"the OTLP endpoint {endpoint} ({where}) is not on this "
        "machine; the demo sends simulated rounds only to a collector on 127.0.0.1, never to "
        "a site's server. Use `srm-otel check` to test a site's collector without sending."
    )


def _metrics_address(settings: Settings) -> str:
    return f"{settings.prometheus.host}:{settings.prometheus.port}"


def _metrics_port_problem(settings: Settings) -> str | None:
    if not settings.prometheus_enabled or settings.prometheus.port == 0:
        return None
    host, port = settings.prometheus.host, settings.prometheus.port
    try:
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        with socket.socket(family, socket.SOCK_STREAM) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            probe.bind((host, port))
    except OSError as exc:
        return (
            f"cannot serve /metrics on {host}:{port}: {exc.strerror or exc}. Another demo or "
            "a game process may be using it: stop that, or choose a port with "
            "OTEL_EXPORTER_PROMETHEUS_PORT=<port>."
        )
    return None


def _announce(settings: Settings, runtime: Runtime, args: argparse.Namespace, out: TextIO) -> None:
    targets = []
    if runtime.pipeline.metrics_url:
        targets.append(f"/metrics at {runtime.pipeline.metrics_url}")
    if settings.otlp.endpoint:
        targets.append(f"OTLP to {settings.otlp.endpoint} ({settings.otlp.protocol})")
    studio_s = args.duration * args.speed
    print(
        f"srm-otel demo: {args.tables} tables, {_clock_text(studio_s)} of studio time in "
        f"{args.duration:g} s (speed {args.speed:g}x, seed {args.seed}); "
        f"{'; '.join(targets) or 'no exporter'}",
        file=out,
        flush=True,
    )


def _clock_text(seconds: float) -> str:
    minutes, secs = divmod(int(seconds), 60)
    return f"{minutes:02d}:{secs:02d}"


@contextlib.contextmanager
def _display(out: TextIO) -> Iterator[Display]:
    live = is_terminal(out)
    # The live table owns the terminal, so warnings are shown under it, not over it;
    # without one they go to stderr as notes.
    handler: logging.Handler = NoteCollector() if live else logging.StreamHandler(sys.stderr)
    handler.setLevel(logging.WARNING)
    handler.setFormatter(logging.Formatter("srm-otel demo: %(levelname)s: %(message)s"))
    loggers = [logging.getLogger("srm_otel"), logging.getLogger("opentelemetry")]
    saved = [logger.propagate for logger in loggers]
    for logger in loggers:
        logger.addHandler(handler)
        logger.propagate = False
    try:
        if isinstance(handler, NoteCollector):
            out.write("\x1b[?25l")
            yield LiveTable(out, handler)
        else:
            yield PlainLines(out)
    finally:
        if live:
            out.write("\x1b[?25h")
            out.flush()
        for logger, propagate in zip(loggers, saved, strict=True):
            logger.removeHandler(handler)
            logger.propagate = propagate


def _play(
    studio: Studio,
    clock: SimulatedClock,
    duration: float,
    runtime: Runtime,
    display: Display,
    record_file: TextIO | None,
    args: argparse.Namespace,
) -> int:
    """Report each simulated event when the studio clock reaches it; return how many."""
    end = clock.start + duration * clock.speed
    redraw_s = LIVE_REDRAW_S if isinstance(display, LiveTable) else _plain_period(duration)
    next_draw = next_sweep = time.monotonic()
    count = 0

    def wait_until(t: float) -> None:
        nonlocal next_draw, next_sweep
        while True:
            wall = time.monotonic()
            if wall >= next_sweep:
                runtime.sweep()
                next_sweep = wall + SWEEP_EVERY_S
            if wall >= next_draw:
                display.update(_header(clock, end, args), Snapshot.of(runtime))
                next_draw = wall + redraw_s
            remaining = clock.real_seconds_until(t)
            if remaining <= 0:
                return
            time.sleep(min(remaining, next_sweep - wall, next_draw - wall, 0.25))

    for event in studio.events(clock.start, until=end):
        wait_until(event.timestamp)
        event.report()
        if record_file is not None:
            record_file.write(event.to_json() + "\n")
        count += 1
    wait_until(end)
    runtime.sweep()
    return count


def _plain_period(duration: float) -> float:
    return min(5.0, max(1.0, duration / 4.0))


def _header(clock: SimulatedClock, end: float, args: argparse.Namespace) -> str:
    elapsed = min(clock.now(), end) - clock.start
    return (
        f"srm-otel demo: studio time {_clock_text(elapsed)} of {_clock_text(end - clock.start)}"
        f" ({args.tables} tables, speed {args.speed:g}x)"
    )


def _finish(
    final: Snapshot,
    count: int,
    duration: float,
    speed: float,
    args: argparse.Namespace,
    runtime: Runtime,
    out: TextIO,
) -> None:
    if count < 0:
        title = "srm-otel demo: interrupted; figures so far"
    else:
        title = (
            f"srm-otel demo: done. {count} events from {args.tables} tables, "
            f"{_clock_text(duration * speed)} of studio time in {duration:g} s."
        )
    print("", file=out)
    print_summary(title, final, out)
    print("", file=out)
    if final.open_rounds:
        print(
            f"The {final.open_rounds} rounds still open were closed as incomplete at shutdown, "
            "as when a game process stops.",
            file=out,
        )
    if runtime.pipeline.metrics_url:
        print(
            f"/metrics was served at {runtime.pipeline.metrics_url}; run with a longer "
            "--duration to scrape it.",
            file=out,
        )
    if args.record:
        print(f"Events written to {args.record}; `srm-otel replay {args.record}` reads them.")
    out.flush()
