"""The ``instrument`` section: functions of the game mapped to round events."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from srm_otel._config._checks import check_keys, check_text, dotted_names, event_name
from srm_otel._config._settings import HookSpec
from srm_otel._sources import is_source

HOOK_KEYS: Final = ("function", "event", "game_type", "table", "round_id", "data")
HOOK_IDENTITY_KEYS: Final = ("game_type", "table", "round_id")


def parse_instrument(raw: Any, problems: list[str]) -> tuple[HookSpec, ...]:
    if raw is None:
        return ()
    if not isinstance(raw, list):
        problems.append(f"instrument: must be a list of hooks, got {raw!r}")
        return ()
    hooks = (_parse_hook(f"instrument[{i}]", entry, problems) for i, entry in enumerate(raw))
    return tuple(hook for hook in hooks if hook is not None)


def _parse_hook(path: str, raw: Any, problems: list[str]) -> HookSpec | None:
    count = len(problems)
    if not check_keys(path, raw, HOOK_KEYS, problems):
        return None
    target = _hook_function(f"{path}.function", raw.get("function"), problems)
    event = event_name(f"{path}.event", raw.get("event"), problems)
    identity = [_hook_value(f"{path}.{key}", raw.get(key), problems) for key in HOOK_IDENTITY_KEYS]
    data = _hook_data(f"{path}.data", raw.get("data") or {}, problems)
    if len(problems) > count or target is None or event is None:
        return None
    game_type, table, round_id = identity
    return HookSpec(*target, event, game_type, table, round_id, data)


def _hook_function(path: str, value: Any, problems: list[str]) -> tuple[str, str] | None:
    module, sep, qualname = value.partition(":") if isinstance(value, str) else ("", "", "")
    if not sep or not dotted_names(module) or not dotted_names(qualname):
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
    if is_source(value) and "." in str(value) and not dotted_names(attributes):
        problems.append(f"{path}: {value!r} must continue with attribute names after the dot")
        return None
    return value


def _hook_data(path: str, raw: Any, problems: list[str]) -> tuple[tuple[str, str | int], ...]:
    if not isinstance(raw, Mapping):
        problems.append(f"{path}: must be a mapping of data names to literals or sources")
        return ()
    data = []
    for key, value in raw.items():
        if check_text(f"{path}.{key}", key, problems) is not None:
            checked = _hook_value(f"{path}.{key}", value, problems)
            data.append((str(key), checked))
    return tuple(data)
