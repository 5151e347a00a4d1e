"""``srm-otel run [--config FILE] -- COMMAND [ARGS...]``: a program with round telemetry.

The same mechanism as ``opentelemetry-instrument``: OpenTelemetry's
``sitecustomize`` goes first on PYTHONPATH, and at start-up it loads the
``srm`` distro and configurator and the ``srm_hooks`` instrumentor. The
command then replaces this process (exec), so its exit status and every
signal sent to this PID are the program's own.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Final

from srm_otel import _config

EXIT_USAGE: Final = 1
EXIT_NOT_EXECUTABLE: Final = 126
EXIT_NOT_FOUND: Final = 127
"""The shell's codes for a command that cannot run or is not found."""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--config",
        metavar="FILE",
        help="srm configuration file (default: $SRM_CONFIG, else ./srm.yaml)",
    )
    # Not "command": the dispatcher keeps the subcommand's name under that dest.
    parser.add_argument(
        "program",
        nargs=argparse.REMAINDER,
        metavar="-- COMMAND [ARGS...]",
        help="the program to run, e.g. -- python studio.py",
    )


def run(args: argparse.Namespace) -> int:
    command = list(args.program)
    if command[:1] == ["--"]:
        command = command[1:]
    if not command:
        print("srm-otel run: name the program after --, e.g. -- python studio.py", file=sys.stderr)
        return EXIT_USAGE
    config = Path(args.config).resolve() if args.config else None
    try:
        _config.load(config)
    except _config.ConfigError as exc:
        print(f"srm-otel run: {exc}", file=sys.stderr)
        return EXIT_USAGE
    executable = shutil.which(command[0])
    if executable is None:
        print(f"srm-otel run: {command[0]}: command not found", file=sys.stderr)
        return EXIT_NOT_FOUND
    env = program_environment(os.environ, config)
    sys.stdout.flush()
    sys.stderr.flush()
    try:
        os.execve(executable, command, env)
    except OSError as exc:
        print(f"srm-otel run: cannot run {executable}: {exc.strerror or exc}", file=sys.stderr)
    return EXIT_NOT_EXECUTABLE


def program_environment(environ: Mapping[str, str], config: Path | None) -> dict[str, str]:
    """The program's environment: OpenTelemetry's sitecustomize first, srm as distro and
    configurator, and the configuration file passed on as SRM_CONFIG."""
    from srm_otel.auto._setup import ENTRY_POINT_NAME

    env = dict(environ)
    env["OTEL_PYTHON_DISTRO"] = ENTRY_POINT_NAME
    env["OTEL_PYTHON_CONFIGURATOR"] = ENTRY_POINT_NAME
    if config is not None:
        env[_config.CONFIG_ENV] = str(config)
    bootstrap = _sitecustomize_directory()
    # As opentelemetry-instrument does: the working directory stays importable
    # for programs started through a console script.
    paths = [bootstrap, os.getcwd()]
    paths += [p for p in env.get("PYTHONPATH", "").split(os.pathsep) if p and p not in paths]
    env["PYTHONPATH"] = os.pathsep.join(paths)
    return env


def _sitecustomize_directory() -> str:
    from opentelemetry.instrumentation import auto_instrumentation

    return os.path.dirname(os.path.abspath(auto_instrumentation.__file__))
