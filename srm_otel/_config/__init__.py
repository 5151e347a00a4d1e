"""Configuration: a YAML file or a dict, checked in full at start, then the OTEL_* overrides.

Every problem is reported at once in one ConfigError that names the key path,
the value and the rule, and suggests the nearest valid key for a typo.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Final

import yaml

from srm_otel import semconv
from srm_otel._config._checks import (
    check_boolean,
    check_endpoint,
    check_headers,
    check_number,
    check_port,
    check_protocol,
    check_site,
    check_text,
    walk,
)
from srm_otel._config._environment import (
    apply_environment,
    check_destination,
    parse_key_values,
    resolve_site,
    site_endpoint,
)
from srm_otel._config._games import parse_games
from srm_otel._config._hooks import parse_instrument
from srm_otel._config._settings import (
    CONFIG_ENV,
    DEFAULT_CONFIG_FILE,
    OTLP_PORTS,
    PROTOCOLS,
    SITE_ADDRESSES,
    SITE_ENV,
    ConfigError,
    ExportSettings,
    HookSpec,
    OtlpSettings,
    PrometheusSettings,
    RoundSettings,
    Settings,
)

SCHEMA: Final[dict[str, Any]] = {
    "service_name": check_text,
    "site": check_site,
    "otlp": {
        "endpoint": check_endpoint,
        "protocol": check_protocol,
        "headers": check_headers,
        "timeout_s": check_number(0, above=True),
    },
    "prometheus": {
        "enabled": check_boolean,
        "host": check_text,
        "port": check_port,
    },
    "rounds": {
        "timeout_s": check_number(0, above=True),
        "max_open_per_table": check_number(1, integer=True),
        "max_tables": check_number(1, integer=True),
    },
    "export": {
        "metrics_interval_s": check_number(0, above=True),
        "schedule_delay_s": check_number(0, above=True),
        "max_queue_size": check_number(1, integer=True),
        "max_export_batch_size": check_number(1, integer=True),
    },
    "games": None,  # checked by parse_games: its keys are game and interval names
    "instrument": None,  # checked by parse_instrument: a list of hooks
}


def load(config: str | os.PathLike[str] | Mapping[str, Any] | None = None) -> Settings:
    """Read, check and resolve the configuration; raise ConfigError naming each bad key."""
    raw, source = _read(config)
    settings = apply_environment(_parse(raw, source), os.environ)
    # The site's default endpoint depends on the protocol, which the
    # environment may change, so it is filled in last.
    settings = resolve_site(settings)
    problems = check_destination(settings)
    if problems:
        raise ConfigError(problems, source)
    return settings


def _read(config: str | os.PathLike[str] | Mapping[str, Any] | None) -> tuple[Any, str]:
    if isinstance(config, Mapping):
        return dict(config), "dict"
    if config is None:
        env_path = os.environ.get(CONFIG_ENV)
        if env_path:
            return _read_file(Path(env_path), f"file {env_path} (from {CONFIG_ENV})")
        if Path(DEFAULT_CONFIG_FILE).is_file():
            return _read_file(Path(DEFAULT_CONFIG_FILE), f"file {DEFAULT_CONFIG_FILE}")
        return {}, "defaults"
    return _read_file(Path(config), f"file {os.fspath(config)}")


def _read_file(path: Path, source: str) -> tuple[Any, str]:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError([f"cannot read the file: {exc.strerror or exc}"], source) from None
    except UnicodeDecodeError as exc:
        problem = f"not UTF-8 text: byte {exc.object[exc.start]:#04x} at offset {exc.start}"
        raise ConfigError([problem], source) from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        where = getattr(exc, "problem_mark", None)
        at = f" at line {where.line + 1}, column {where.column + 1}" if where else ""
        raise ConfigError([f"not valid YAML{at}: {exc}"], source) from None
    return ({} if data is None else data), source


def _parse(raw: Any, source: str) -> Settings:
    problems: list[str] = []
    values = walk(SCHEMA, raw, "", problems)
    games = parse_games(values.get("games", {}), problems)
    hooks = parse_instrument(values.get("instrument", []), problems)
    settings = Settings(
        service_name=values.get("service_name", semconv.DEFAULT_SERVICE_NAME),
        site=values.get("site"),
        otlp=OtlpSettings(**values.get("otlp", {})),
        prometheus=PrometheusSettings(**values.get("prometheus", {})),
        rounds=RoundSettings(**values.get("rounds", {})),
        export=ExportSettings(**values.get("export", {})),
        games=games,
        instrument=hooks,
        source=source,
    )
    if problems:
        raise ConfigError(problems, source)
    return settings


__all__ = [
    "CONFIG_ENV",
    "DEFAULT_CONFIG_FILE",
    "OTLP_PORTS",
    "PROTOCOLS",
    "SITE_ADDRESSES",
    "SITE_ENV",
    "ConfigError",
    "ExportSettings",
    "HookSpec",
    "OtlpSettings",
    "PrometheusSettings",
    "RoundSettings",
    "Settings",
    "load",
    "parse_key_values",
    "site_endpoint",
]
