"""Pieces the subcommands share: argument types, config loading, messages."""

from __future__ import annotations

import argparse
import ipaddress
import os
import sys
from collections.abc import Callable
from typing import Any, TextIO
from urllib.parse import urlsplit

from srm_otel import _config
from srm_otel._config import ConfigError, Settings


def positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not value > 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"{text!r} must be a number above 0")
    return value


def int_between(low: int, high: int) -> Callable[[str], int]:
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(f"{text!r} must be from {low} to {high}")
        return value

    return parse


def fail(command: str, message: str, out: TextIO | None = None) -> int:
    """Print a user error the way every subcommand does and return exit status 1."""
    print(f"srm-otel {command}: {message}", file=out or sys.stderr)
    return 1


def load_settings(
    command: str, config: str | os.PathLike[str] | dict[str, Any] | None
) -> Settings | None:
    """``_config.load`` with its ConfigError printed as configure() words it; None on error."""
    try:
        return _config.load(config)
    except ConfigError as exc:
        fail(command, str(exc))
        return None


def endpoint_host(endpoint: str) -> str:
    return urlsplit(endpoint).hostname or ""


def endpoint_port(endpoint: str) -> int | None:
    try:
        return urlsplit(endpoint).port
    except ValueError:
        return None


def is_loopback(host: str) -> bool:
    """127.0.0.0/8, ::1 or localhost; no name is resolved to decide."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def overriding_environment() -> list[str]:
    """Names of the SRM_* and OTEL_* variables set now, which win over the file."""
    prefixes = ("OTEL_", f"{_config.SITE_ENV}", _config.CONFIG_ENV)
    return sorted(name for name in os.environ if name.startswith(prefixes) and os.environ[name])
