"""Configuration: a YAML file or a dict, checked in full at start, then the OTEL_* overrides.

Every problem is reported at once in one ConfigError that names the key path,
the value and the rule, and suggests the nearest valid key for a typo.
"""

from __future__ import annotations

import difflib
import math
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Final
from urllib.parse import unquote, urlsplit

import yaml

from srm_otel import semconv
from srm_otel._profiles import BUILTIN_INTERVALS, CROSS_ROUND_SCOPE, ROUND_SCOPE, IntervalSpec
from srm_otel._sources import is_source

SITE_ADDRESSES: Final = {"GE": "100.64.0.113", "TPE": "100.64.0.160"}
"""Telemetry servers of the two studio sites; their collectors listen on the OTLP ports."""

OTLP_PORTS: Final = {"grpc": 4317, "http/protobuf": 4318}
PROTOCOLS: Final = tuple(OTLP_PORTS)
CONFIG_ENV: Final = "SRM_CONFIG"
SITE_ENV: Final = "SRM_SITE"
DEFAULT_CONFIG_FILE: Final = "srm.yaml"
MAX_NAME_LEN: Final = 64


class ConfigError(ValueError):
    """The configuration is invalid; ``problems`` lists each bad key with its rule."""

    def __init__(self, problems: list[str], source: str = "configuration") -> None:
        self.problems = problems
        self.source = source
        lines = "\n".join(f"  - {p}" for p in problems)
        super().__init__(f"invalid srm_otel {source}:\n{lines}")


@dataclass(frozen=True)
class OtlpSettings:
    endpoint: str | None = None
    protocol: str = "grpc"
    headers: Mapping[str, str] = field(default_factory=dict)
    timeout_s: float = 40.0
    """How long the OTLP exporter keeps trying one batch. The SDK retries a
    refused export six times, 1 s to 16 s apart (about 31 s in all), but stops
    early when the next wait would pass this deadline; 40 s lets the whole
    schedule run, so a collector that is restarted within 15 s loses nothing."""


@dataclass(frozen=True)
class PrometheusSettings:
    enabled: bool | None = None
    host: str = "127.0.0.1"
    port: int = 9464


@dataclass(frozen=True)
class RoundSettings:
    timeout_s: float = 300.0
    max_open_per_table: int = 8
    max_tables: int = 256


@dataclass(frozen=True)
class ExportSettings:
    metrics_interval_s: float = 10.0
    schedule_delay_s: float = 1.0
    max_queue_size: int = 8192
    max_export_batch_size: int = 512


@dataclass(frozen=True)
class HookSpec:
    """One ``instrument:`` entry: calls of ``module:qualname`` report ``event``.

    ``game_type``, ``table``, ``round_id`` and the ``data`` values are literals
    or sources (``self.<attr>``, ``arg.<parameter>``, ``return``, ``return.<attr>``).
    """

    module: str
    qualname: str
    event: str
    game_type: str | int
    table: str | int
    round_id: str | int
    data: tuple[tuple[str, str | int], ...] = ()

    @property
    def function(self) -> str:
        return f"{self.module}:{self.qualname}"


@dataclass(frozen=True)
class Settings:
    """The resolved configuration, after the file, the defaults and the environment."""

    service_name: str = semconv.DEFAULT_SERVICE_NAME
    site: str | None = None
    otlp: OtlpSettings = OtlpSettings()
    prometheus: PrometheusSettings = PrometheusSettings()
    rounds: RoundSettings = RoundSettings()
    export: ExportSettings = ExportSettings()
    games: Mapping[str, Mapping[str, IntervalSpec]] = field(default_factory=dict)
    resource_attributes: Mapping[str, str] = field(default_factory=dict)
    instrument: tuple[HookSpec, ...] = ()
    disabled: bool = False
    source: str = "defaults"

    @property
    def site_label(self) -> str:
        return self.site or "local"

    @property
    def prometheus_enabled(self) -> bool:
        """Serve /metrics in-process when asked to, or by default when there is no collector."""
        if self.prometheus.enabled is not None:
            return self.prometheus.enabled
        return self.otlp.endpoint is None


# --- Loading -------------------------------------------------------------


def load(config: str | os.PathLike[str] | Mapping[str, Any] | None = None) -> Settings:
    """Read, check and resolve the configuration; raise ConfigError naming each bad key."""
    raw, source = _read(config)
    settings = _parse(raw, source)
    return _apply_environment(settings, os.environ)


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


# --- Checking ------------------------------------------------------------

Check = Callable[[str, Any, list[str]], Any]


def _number(low: float, *, above: bool = False, integer: bool = False) -> Check:
    rule = f"a {'whole ' if integer else ''}number {'>' if above else '>='} {low:g}"

    def check(path: str, value: Any, problems: list[str]) -> Any:
        ok_type = isinstance(value, int) if integer else isinstance(value, (int, float))
        if isinstance(value, bool) or not ok_type or not math.isfinite(value):
            problems.append(f"{path}: {value!r} is not {rule}")
            return None
        if value < low or (above and value == low):
            problems.append(f"{path}: {value!r} must be {rule}")
            return None
        return value

    return check


def _text(path: str, value: Any, problems: list[str]) -> Any:
    if not isinstance(value, str) or not value.strip() or len(value) > MAX_NAME_LEN:
        problems.append(f"{path}: {value!r} must be a non-empty string of up to {MAX_NAME_LEN}")
        return None
    return value.strip()


def _boolean(path: str, value: Any, problems: list[str]) -> Any:
    if not isinstance(value, bool):
        problems.append(f"{path}: {value!r} must be true or false")
        return None
    return value


def _port(path: str, value: Any, problems: list[str]) -> Any:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 65535:
        problems.append(f"{path}: {value!r} must be a port number from 0 (any free port) to 65535")
        return None
    return value


def _protocol(path: str, value: Any, problems: list[str]) -> Any:
    if value not in PROTOCOLS:
        problems.append(f"{path}: {value!r} must be one of {', '.join(PROTOCOLS)}")
        return None
    return value


def _endpoint(path: str, value: Any, problems: list[str]) -> Any:
    parts = urlsplit(value) if isinstance(value, str) else None
    try:
        port = parts.port if parts else None
    except ValueError:
        port = None
    if not parts or parts.scheme not in ("http", "https") or not parts.hostname or not port:
        problems.append(
            f"{path}: {value!r} must be a URL with scheme, host and port, "
            "e.g. http://127.0.0.1:4317"
        )
        return None
    return value.rstrip("/")


def _headers(path: str, value: Any, problems: list[str]) -> Any:
    if not isinstance(value, Mapping) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in value.items()
    ):
        problems.append(f"{path}: must be a mapping of header names to string values")
        return None
    return dict(value)


def _site(path: str, value: Any, problems: list[str]) -> Any:
    name = _text(path, value, problems)
    if name is None:
        return None
    upper = name.upper()
    return upper if upper in SITE_ADDRESSES else name


SCHEMA: Final[dict[str, Any]] = {
    "service_name": _text,
    "site": _site,
    "otlp": {
        "endpoint": _endpoint,
        "protocol": _protocol,
        "headers": _headers,
        "timeout_s": _number(0, above=True),
    },
    "prometheus": {
        "enabled": _boolean,
        "host": _text,
        "port": _port,
    },
    "rounds": {
        "timeout_s": _number(0, above=True),
        "max_open_per_table": _number(1, integer=True),
        "max_tables": _number(1, integer=True),
    },
    "export": {
        "metrics_interval_s": _number(0, above=True),
        "schedule_delay_s": _number(0, above=True),
        "max_queue_size": _number(1, integer=True),
        "max_export_batch_size": _number(1, integer=True),
    },
    "games": None,  # checked by _parse_games: its keys are game and interval names
    "instrument": None,  # checked by _parse_instrument: a list of hooks
}
INTERVAL_KEYS: Final = ("from", "to", "expected_s", "scope")


def _walk(schema: Mapping[str, Any], raw: Any, path: str, problems: list[str]) -> dict[str, Any]:
    if not isinstance(raw, Mapping):
        problems.append(f"{path or 'top level'}: must be a mapping, got {raw!r}")
        return {}
    out: dict[str, Any] = {}
    for key, value in raw.items():
        key_path = f"{path}.{key}" if path else str(key)
        if key not in schema:
            problems.append(_unknown_key(key_path, key, schema))
        elif schema[key] is None:
            out[key] = value
        elif isinstance(schema[key], Mapping):
            out[key] = _walk(schema[key], value, key_path, problems)
        else:
            checked = schema[key](key_path, value, problems)
            if checked is not None:
                out[key] = checked
    return out


def _unknown_key(path: str, key: Any, valid: Mapping[str, Any] | tuple[str, ...]) -> str:
    close = difflib.get_close_matches(str(key), list(valid), n=1, cutoff=0.6)
    hint = f"; did you mean '{close[0]}'?" if close else f"; valid keys: {', '.join(valid)}"
    return f"{path}: unknown key{hint}"


def _parse(raw: Any, source: str) -> Settings:
    problems: list[str] = []
    values = _walk(SCHEMA, raw, "", problems)
    games = _parse_games(values.get("games", {}), problems)
    hooks = _parse_instrument(values.get("instrument", []), problems)
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
    settings = _resolve_site(settings)
    problems.extend(_check_destination(settings))
    if problems:
        raise ConfigError(problems, source)
    return settings


def _parse_games(raw: Any, problems: list[str]) -> dict[str, dict[str, IntervalSpec]]:
    if not isinstance(raw, Mapping):
        problems.append(f"games: must be a mapping of game names, got {raw!r}")
        return {}
    games: dict[str, dict[str, IntervalSpec]] = {}
    for game, body in raw.items():
        intervals = _game_intervals(f"games.{game}", game, body, problems)
        if intervals is not None:
            games[game] = _parse_game_intervals(f"games.{game}", game, intervals, problems)
    return games


def _game_intervals(path: str, game: Any, body: Any, problems: list[str]) -> Any:
    """The ``intervals`` mapping of one game entry, or None after reporting why not."""
    if _text(path, game, problems) is None:
        return None
    if not isinstance(body, Mapping):
        problems.append(f"{path}: must be a mapping with the key 'intervals'")
        return None
    for key in set(body) - {"intervals"}:
        problems.append(_unknown_key(f"{path}.{key}", key, ("intervals",)))
    intervals = body.get("intervals") or {}
    if not isinstance(intervals, Mapping):
        problems.append(f"{path}.intervals: must be a mapping of interval names")
        return None
    return intervals


def _parse_game_intervals(
    path: str, game: str, intervals: Mapping[Any, Any], problems: list[str]
) -> dict[str, IntervalSpec]:
    builtin = {s.name: s for s in BUILTIN_INTERVALS.get(game, ())}
    specs = {}
    for name, raw in intervals.items():
        spec = _parse_interval(f"{path}.intervals.{name}", name, raw, builtin, problems)
        if spec is not None:
            specs[str(name)] = spec
    return specs


def _parse_interval(
    path: str,
    name: Any,
    raw: Any,
    builtin: Mapping[str, IntervalSpec],
    problems: list[str],
) -> IntervalSpec | None:
    if _text(path, name, problems) is None:
        return None
    if not isinstance(raw, Mapping):
        problems.append(f"{path}: must be a mapping with keys {', '.join(INTERVAL_KEYS)}")
        return None
    count = len(problems)
    for key in set(raw) - set(INTERVAL_KEYS):
        problems.append(_unknown_key(f"{path}.{key}", key, INTERVAL_KEYS))
    base = builtin.get(name)
    start = _event_name(f"{path}.from", raw.get("from", base and base.start_event), problems)
    end = _event_name(f"{path}.to", raw.get("to", base and base.end_event), problems)
    expected = base.expected_s if base else None
    if "expected_s" in raw:
        expected = _expected_range(f"{path}.expected_s", raw["expected_s"], problems)
    scope = raw.get("scope", base.scope if base else ROUND_SCOPE)
    if scope not in (ROUND_SCOPE, CROSS_ROUND_SCOPE):
        problems.append(f"{path}.scope: {scope!r} must be '{ROUND_SCOPE}' or '{CROSS_ROUND_SCOPE}'")
    elif start is not None and start == end and scope == ROUND_SCOPE:
        problems.append(f"{path}: 'from' and 'to' are both {start!r}; an interval needs two events")
    if len(problems) > count or start is None or end is None:
        return None
    return IntervalSpec(str(name), start, end, expected, scope)


def _event_name(path: str, value: Any, problems: list[str]) -> str | None:
    if value is None:
        problems.append(f"{path}: missing; name the event this interval starts or ends with")
        return None
    checked = _text(path, value, problems)
    return checked if checked is None else str(checked)


def _expected_range(path: str, value: Any, problems: list[str]) -> tuple[float, float] | None:
    if value is None:
        return None
    pair_ok = isinstance(value, (list, tuple)) and len(value) == 2
    numbers_ok = pair_ok and all(
        isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v) for v in value
    )
    if not numbers_ok:
        problems.append(f"{path}: {value!r} must be a pair of seconds [low, high], or null")
        return None
    low, high = float(value[0]), float(value[1])
    if low < 0 or high <= low:
        problems.append(f"{path}: {value!r} must satisfy 0 <= low < high")
        return None
    return low, high


HOOK_KEYS: Final = ("function", "event", "game_type", "table", "round_id", "data")
HOOK_IDENTITY_KEYS: Final = ("game_type", "table", "round_id")


def _parse_instrument(raw: Any, problems: list[str]) -> tuple[HookSpec, ...]:
    if raw is None:
        return ()
    if not isinstance(raw, list):
        problems.append(f"instrument: must be a list of hooks, got {raw!r}")
        return ()
    hooks = (_parse_hook(f"instrument[{i}]", entry, problems) for i, entry in enumerate(raw))
    return tuple(hook for hook in hooks if hook is not None)


def _parse_hook(path: str, raw: Any, problems: list[str]) -> HookSpec | None:
    if not isinstance(raw, Mapping):
        problems.append(f"{path}: must be a mapping with keys {', '.join(HOOK_KEYS)}")
        return None
    count = len(problems)
    for key in set(raw) - set(HOOK_KEYS):
        problems.append(_unknown_key(f"{path}.{key}", key, HOOK_KEYS))
    target = _hook_function(f"{path}.function", raw.get("function"), problems)
    event = _event_name(f"{path}.event", raw.get("event"), problems)
    identity = [_hook_value(f"{path}.{key}", raw.get(key), problems) for key in HOOK_IDENTITY_KEYS]
    data = _hook_data(f"{path}.data", raw.get("data") or {}, problems)
    if len(problems) > count or target is None or event is None:
        return None
    game_type, table, round_id = identity
    return HookSpec(*target, event, game_type, table, round_id, data)


def _hook_function(path: str, value: Any, problems: list[str]) -> tuple[str, str] | None:
    module, sep, qualname = value.partition(":") if isinstance(value, str) else ("", "", "")
    if not sep or not _dotted_names(module) or not _dotted_names(qualname):
        problems.append(
            f"{path}: {value!r} must name a function as module:qualname, "
            "e.g. studio_game:RouletteTable.open_round"
        )
        return None
    return module, qualname


def _hook_value(path: str, value: Any, problems: list[str]) -> Any:
    """A literal (string or whole number) or a source whose path is made of attribute names."""
    if value is None:
        problems.append(f"{path}: missing; give a literal or self.<attr>, arg.<name>, return")
        return None
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        problems.append(f"{path}: {value!r} must be a string, a whole number or a source")
        return None
    if isinstance(value, str) and not value.strip():
        problems.append(f"{path}: must not be empty")
        return None
    attributes = value.partition(".")[2] if isinstance(value, str) else ""
    if is_source(value) and "." in str(value) and not _dotted_names(attributes):
        problems.append(f"{path}: {value!r} must continue with attribute names after the dot")
        return None
    return value


def _hook_data(path: str, raw: Any, problems: list[str]) -> tuple[tuple[str, str | int], ...]:
    if not isinstance(raw, Mapping):
        problems.append(f"{path}: must be a mapping of data names to literals or sources")
        return ()
    data = []
    for key, value in raw.items():
        if _text(f"{path}.{key}", key, problems) is not None:
            checked = _hook_value(f"{path}.{key}", value, problems)
            data.append((str(key), checked))
    return tuple(data)


def _dotted_names(text: str) -> bool:
    return bool(text) and all(part.isidentifier() for part in text.split("."))


# --- Sites and the environment -----------------------------------------


def site_endpoint(site: str, protocol: str) -> str | None:
    """The default OTLP endpoint of a known site's collector, or None for a custom site."""
    address = SITE_ADDRESSES.get(site.upper())
    return f"http://{address}:{OTLP_PORTS[protocol]}" if address else None


def _resolve_site(settings: Settings) -> Settings:
    if settings.otlp.endpoint is not None or settings.site is None:
        return settings
    endpoint = site_endpoint(settings.site, settings.otlp.protocol)
    return replace(settings, otlp=replace(settings.otlp, endpoint=endpoint))


def _check_destination(settings: Settings) -> list[str]:
    custom_site = settings.site is not None and settings.site not in SITE_ADDRESSES
    if custom_site and settings.otlp.endpoint is None and not settings.prometheus.enabled:
        return [
            f"site: {settings.site!r} is not GE or TPE, so it has no default collector; "
            "set otlp.endpoint, or prometheus.enabled: true to serve /metrics only"
        ]
    return []


def _apply_environment(settings: Settings, env: Mapping[str, str]) -> Settings:
    """Apply SRM_SITE and the standard OTEL_* variables, which win over the file."""
    problems: list[str] = []
    otlp, prom = settings.otlp, settings.prometheus
    if env.get(SITE_ENV):
        site = _site(SITE_ENV, env[SITE_ENV], problems)
        settings = replace(settings, site=site)
        if site in SITE_ADDRESSES and "OTEL_EXPORTER_OTLP_ENDPOINT" not in env:
            otlp = replace(otlp, endpoint=site_endpoint(site, otlp.protocol))
    if env.get("OTEL_EXPORTER_OTLP_PROTOCOL"):
        protocol = _protocol(
            "OTEL_EXPORTER_OTLP_PROTOCOL", env["OTEL_EXPORTER_OTLP_PROTOCOL"], problems
        )
        otlp = replace(otlp, protocol=protocol or otlp.protocol)
    if env.get("OTEL_EXPORTER_OTLP_ENDPOINT"):
        endpoint = _endpoint(
            "OTEL_EXPORTER_OTLP_ENDPOINT", env["OTEL_EXPORTER_OTLP_ENDPOINT"], problems
        )
        otlp = replace(otlp, endpoint=endpoint)
    if env.get("OTEL_EXPORTER_OTLP_HEADERS"):
        headers = parse_key_values(env["OTEL_EXPORTER_OTLP_HEADERS"])
        otlp = replace(otlp, headers={**otlp.headers, **headers})
    if env.get("OTEL_EXPORTER_PROMETHEUS_HOST"):
        prom = replace(prom, host=env["OTEL_EXPORTER_PROMETHEUS_HOST"])
    if env.get("OTEL_EXPORTER_PROMETHEUS_PORT"):
        port = _port_from_env("OTEL_EXPORTER_PROMETHEUS_PORT", env, problems)
        prom = replace(prom, port=prom.port if port is None else port)
    if env.get("OTEL_SERVICE_NAME"):
        settings = replace(settings, service_name=env["OTEL_SERVICE_NAME"])
    if problems:
        raise ConfigError(problems, "environment")
    return replace(
        settings,
        otlp=otlp,
        prometheus=prom,
        resource_attributes=parse_key_values(env.get("OTEL_RESOURCE_ATTRIBUTES", "")),
        disabled=env.get("OTEL_SDK_DISABLED", "").strip().lower() == "true",
    )


def _port_from_env(name: str, env: Mapping[str, str], problems: list[str]) -> int | None:
    text = env[name].strip()
    return _port(name, int(text) if text.isdigit() else text, problems)  # type: ignore[no-any-return]


def parse_key_values(text: str) -> dict[str, str]:
    """Parse ``k1=v1,k2=v2`` as the OTEL_* variables spell it (values may be %-encoded)."""
    pairs = {}
    for item in text.split(","):
        key, sep, value = item.partition("=")
        if sep and key.strip():
            pairs[unquote(key.strip())] = unquote(value.strip())
    return pairs
