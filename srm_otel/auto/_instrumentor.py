"""The hooks instrumentor: wraps the functions that the ``instrument:`` list names.

Modules already imported are hooked at once, the others when they are
imported. A hook that names a missing module or function is reported with a
warning and skipped; the program runs on. ``uninstrument()`` puts every
original function back.
"""

from __future__ import annotations

import inspect
import logging
import sys
import threading
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from types import ModuleType
from typing import Any

from opentelemetry.instrumentation.instrumentor import (  # type: ignore[attr-defined]
    BaseInstrumentor,
)

from srm_otel import _api, _config
from srm_otel._config import HookSpec
from srm_otel._guard import internal_error
from srm_otel.auto._hooks import RaisedCalls, build_wrapper, signature_problems
from srm_otel.auto._imports import ImportWatcher, module_can_be_found
from srm_otel.auto._setup import set_up_attempted

_logger = logging.getLogger("srm_otel")

_HOOKED_ATTR = "__srm_otel_hooked__"
"""Set on each wrapper, holding the function it wraps, so a function is never hooked twice."""


class SrmHooksInstrumentor(BaseInstrumentor):  # type: ignore[misc]
    """``opentelemetry_instrumentor: srm_hooks``.

    ``instrument()`` takes the hooks from the running srm_otel set-up, else
    from the configuration (``SRM_CONFIG`` or ``./srm.yaml``); pass
    ``hooks=[...]`` (HookSpec objects or ``instrument:`` entries as dicts) to
    give them directly.
    """

    _installer: HookInstaller | None = None
    _raised = RaisedCalls()
    """Counts of the latest instrument(); uninstrument() keeps them for reading."""

    def instrumentation_dependencies(self) -> Collection[str]:
        return ()

    def _instrument(self, **kwargs: Any) -> None:
        try:
            hooks = _hooks_from(kwargs.get("hooks"))
        except _config.ConfigError as exc:
            _logger.error("%s\nsrm_otel hooks are not installed", exc)
            return
        if not hooks:
            return
        type(self)._raised = RaisedCalls()
        installer = type(self)._installer = HookInstaller(hooks, self._raised)
        try:
            installer.install()
        except Exception as exc:
            internal_error("installing the srm_otel hooks", exc)

    def _uninstrument(self, **kwargs: Any) -> None:
        installer, type(self)._installer = type(self)._installer, None
        if installer is not None:
            installer.uninstall()

    def raised_calls(self) -> dict[str, int]:
        """Calls per hooked function (``module:qualname``) that raised, so recorded no event."""
        return self._raised.counts()


def _hooks_from(given: Sequence[HookSpec | Mapping[str, Any]] | None) -> tuple[HookSpec, ...]:
    if given is not None:
        entries = [h for h in given if not isinstance(h, HookSpec)]
        specs = [h for h in given if isinstance(h, HookSpec)]
        return (*specs, *_config.load({"instrument": entries}).instrument)
    runtime = _api.get_runtime()
    if runtime is not None:
        return runtime.settings.instrument
    if set_up_attempted():
        return ()  # the configurator has logged why srm_otel is not running
    settings = _config.load(None)
    if settings.disabled:
        return ()
    return settings.instrument


@dataclass
class Patch:
    """One attribute replaced by a wrapper, and what to put back."""

    owner: Any
    name: str
    original: Any
    installed: Any
    owned: bool
    """Whether ``name`` was in the owner's own ``__dict__`` (else it was inherited)."""


class HookInstaller:
    """Applies hooks grouped by module and function; undoes them in reverse order."""

    def __init__(self, hooks: Sequence[HookSpec], raised: RaisedCalls) -> None:
        self._targets: dict[str, dict[str, list[HookSpec]]] = {}
        for spec in hooks:
            self._targets.setdefault(spec.module, {}).setdefault(spec.qualname, []).append(spec)
        self._raised = raised
        self._patches: list[Patch] = []
        self._lock = threading.Lock()
        self._watcher: ImportWatcher | None = None

    def install(self) -> None:
        if "__main__" in self._targets:
            for specs in self._targets.pop("__main__").values():
                _warn(
                    specs[0],
                    "the program's __main__ script cannot be hooked; move the "
                    "function into a module the script imports",
                )
        # Watch first, then look at sys.modules: a module imported in between
        # by another thread is hooked either way (hooking twice is a no-op).
        self._watcher = ImportWatcher(self._targets, self._on_import)
        self._watcher.install()
        for name, targets in self._targets.items():
            module = sys.modules.get(name)
            if module is not None:
                self._hook_module(module, targets)
            elif not module_can_be_found(name):
                for specs in targets.values():
                    _warn(
                        specs[0],
                        f"module {name!r} not found; the hook stays idle unless "
                        "the program imports it later",
                    )

    def uninstall(self) -> None:
        if self._watcher is not None:
            self._watcher.remove()
            self._watcher = None
        with self._lock:
            patches, self._patches = self._patches, []
        for patch in reversed(patches):
            current = inspect.getattr_static(patch.owner, patch.name, None)
            if current is not patch.installed:
                _logger.warning(
                    "srm_otel hooks: %s.%s was replaced after it was hooked; leaving it as it is",
                    getattr(patch.owner, "__name__", patch.owner),
                    patch.name,
                )
            elif patch.owned:
                setattr(patch.owner, patch.name, patch.original)
            else:
                delattr(patch.owner, patch.name)

    def _on_import(self, module: ModuleType) -> None:
        self._hook_module(module, self._targets.get(module.__name__, {}))

    def _hook_module(self, module: ModuleType, targets: Mapping[str, list[HookSpec]]) -> None:
        for qualname, specs in targets.items():
            try:
                problem = self._hook_function(module, qualname, specs)
            except Exception as exc:
                internal_error(f"hooking {specs[0].function}", exc)
                continue
            if problem is not None:
                _warn(specs[0], problem)

    def _hook_function(
        self, module: ModuleType, qualname: str, specs: list[HookSpec]
    ) -> str | None:
        """Wrap one function; return what went wrong, or None."""
        *path, name = qualname.split(".")
        owner: Any = module
        for part in path:
            owner = getattr(owner, part, None)
            if owner is None:
                return f"{module.__name__} has no attribute {part!r}"
        raw = inspect.getattr_static(owner, name, None)
        if raw is None:
            return f"{module.__name__} has no function {qualname!r}"
        fn = raw.__func__ if isinstance(raw, (staticmethod, classmethod)) else raw
        if not inspect.isfunction(fn):
            return f"{qualname} is a {type(raw).__name__}, not a function"
        if hasattr(fn, _HOOKED_ATTR):
            return None
        if inspect.isgeneratorfunction(fn) or inspect.isasyncgenfunction(fn):
            return f"{qualname} is a generator function; hooks support plain and async functions"
        is_method = inspect.isclass(owner) and not isinstance(raw, staticmethod)
        problems = [p for spec in specs for p in signature_problems(spec, fn, is_method)]
        if problems:
            return "; ".join(problems)
        self._install(owner, name, raw, fn, specs)
        return None

    def _install(self, owner: Any, name: str, raw: Any, fn: Any, specs: Sequence[HookSpec]) -> None:
        wrapper = build_wrapper(fn, specs, self._raised)
        setattr(wrapper, _HOOKED_ATTR, fn)
        installed = type(raw)(wrapper) if isinstance(raw, (staticmethod, classmethod)) else wrapper
        owned = name in vars(owner)
        with self._lock:
            setattr(owner, name, installed)
            self._patches.append(Patch(owner, name, raw, installed, owned))
        _logger.debug(
            "srm_otel hooks: %s reports %s",
            specs[0].function,
            ", ".join(spec.event for spec in specs),
        )


def _warn(spec: HookSpec, problem: str) -> None:
    _logger.warning("srm_otel hook %s -> %s: %s", spec.function, spec.event, problem)
