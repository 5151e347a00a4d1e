"""Checks for single values and mappings; each appends "key.path: value, rule" on failure."""

from __future__ import annotations

import difflib
import math
from collections.abc import Callable, Mapping
from typing import Any, Final
from urllib.parse import urlsplit

from srm_otel._config._settings import PROTOCOLS, SITE_ADDRESSES

MAX_NAME_LEN: Final = 64

Check = Callable[[str, Any, list[str]], Any]


def check_number(low: float, *, above: bool = False, integer: bool = False) -> Check:
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


def check_text(path: str, value: Any, problems: list[str]) -> Any:
    if not isinstance(value, str) or not value.strip() or len(value) > MAX_NAME_LEN:
        problems.append(f"{path}: {value!r} must be a non-empty string of up to {MAX_NAME_LEN}")
        return None
    return value.strip()


def check_boolean(path: str, value: Any, problems: list[str]) -> Any:
    if not isinstance(value, bool):
        problems.append(f"{path}: {value!r} must be true or false")
        return None
    return value


def check_port(path: str, value: Any, problems: list[str]) -> Any:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 65535:
        problems.append(f"{path}: {value!r} must be a port number from 0 (any free port) to 65535")
        return None
    return value


def check_protocol(path: str, value: Any, problems: list[str]) -> Any:
    if value not in PROTOCOLS:
        problems.append(f"{path}: {value!r} must be one of {', '.join(PROTOCOLS)}")
        return None
    return value


def check_endpoint(path: str, value: Any, problems: list[str]) -> Any:
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


def check_headers(path: str, value: Any, problems: list[str]) -> Any:
    if not isinstance(value, Mapping) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in value.items()
    ):
        problems.append(f"{path}: must be a mapping of header names to string values")
        return None
    return dict(value)


def check_site(path: str, value: Any, problems: list[str]) -> Any:
    name = check_text(path, value, problems)
    if name is None:
        return None
    upper = name.upper()
    return upper if upper in SITE_ADDRESSES else name


def walk(schema: Mapping[str, Any], raw: Any, path: str, problems: list[str]) -> dict[str, Any]:
    if not isinstance(raw, Mapping):
        problems.append(f"{path or 'top level'}: must be a mapping, got {raw!r}")
        return {}
    out: dict[str, Any] = {}
    for key, value in raw.items():
        key_path = f"{path}.{key}" if path else str(key)
        if key not in schema:
            problems.append(unknown_key(key_path, key, schema))
        elif schema[key] is None:
            out[key] = value
        elif isinstance(schema[key], Mapping):
            out[key] = walk(schema[key], value, key_path, problems)
        else:
            checked = schema[key](key_path, value, problems)
            if checked is not None:
                out[key] = checked
    return out


def unknown_key(path: str, key: Any, valid: Mapping[str, Any] | tuple[str, ...]) -> str:
    close = difflib.get_close_matches(str(key), list(valid), n=1, cutoff=0.6)
    hint = f"; did you mean '{close[0]}'?" if close else f"; valid keys: {', '.join(valid)}"
    return f"{path}: unknown key{hint}"


def event_name(path: str, value: Any, problems: list[str]) -> str | None:
    if value is None:
        problems.append(f"{path}: missing; name the event this interval starts or ends with")
        return None
    checked = check_text(path, value, problems)
    return checked if checked is None else str(checked)


def dotted_names(text: str) -> bool:
    return bool(text) and all(part.isidentifier() for part in text.split("."))


def check_keys(path: str, raw: Any, keys: tuple[str, ...], problems: list[str]) -> bool:
    """True for a mapping; each key of it outside ``keys`` is reported with the nearest one."""
    if not isinstance(raw, Mapping):
        problems.append(f"{path}: must be a mapping with keys {', '.join(keys)}")
        return False
    for key in set(raw) - set(keys):
        problems.append(unknown_key(f"{path}.{key}", key, keys))
    return True
