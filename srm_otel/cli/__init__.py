"""The ``srm-otel`` command: demo, check, replay, init and run.

Each subcommand lives in its own module with ``add_arguments(parser)`` and
``run(args) -> int``; this module only dispatches. A user error prints one
clear message and exits 1, never a traceback.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence
from types import ModuleType
from typing import Final

from srm_otel.version import __version__

COMMANDS: Final = {
    "demo": "simulate a studio through the real library and show what it measures",
    "check": "validate a configuration and probe its collector, read-only",
    "replay": "feed recorded events (JSON lines) through the library",
    "init": "write a commented starter srm.yaml",
    "run": "run a Python program with round telemetry set up from configuration",
}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="srm-otel", description="Round-time monitoring for live-casino studios."
    )
    parser.add_argument("--version", action="version", version=f"srm-otel {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name, summary in COMMANDS.items():
        sub = commands.add_parser(name, help=summary, description=summary)
        _module(name).add_arguments(sub)
    return parser


def _module(name: str) -> ModuleType:
    return importlib.import_module(f"srm_otel.cli.{name}_command")


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser()
    args = parser.parse_args(argv)
    command = _module(args.command)
    try:
        return int(command.run(args))
    except KeyboardInterrupt:
        return 130


__all__ = ["main"]
