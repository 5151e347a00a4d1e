"""Import hooks: run a callback on a module right after its code ran, before anyone uses it."""

from __future__ import annotations

import importlib.abc
import importlib.util
import os
import sys
from collections.abc import Callable, Iterable, Sequence
from importlib.machinery import ModuleSpec, PathFinder
from types import ModuleType
from typing import Any


class ImportWatcher(importlib.abc.MetaPathFinder):
    """A ``sys.meta_path`` entry that finds nothing itself.

    For the watched names it asks the finders after it, then wraps the loader
    they return so that ``on_import(module)`` runs once the module's code has
    executed. The module keeps its real loader afterwards.
    """

    def __init__(self, names: Iterable[str], on_import: Callable[[ModuleType], None]) -> None:
        self._names = frozenset(names)
        self._on_import = on_import

    def find_spec(
        self,
        fullname: str,
        path: Sequence[str] | None,
        target: ModuleType | None = None,
    ) -> ModuleSpec | None:
        if fullname not in self._names:
            return None
        spec = _find_with_others(self, fullname, path, target)
        if spec is None or spec.loader is None or not hasattr(spec.loader, "exec_module"):
            return spec
        spec.loader = NotifyingLoader(spec.loader, self._on_import)
        return spec

    def install(self) -> None:
        sys.meta_path.insert(0, self)

    def remove(self) -> None:
        if self in sys.meta_path:
            sys.meta_path.remove(self)


def _find_with_others(
    watcher: ImportWatcher,
    fullname: str,
    path: Sequence[str] | None,
    target: ModuleType | None,
) -> ModuleSpec | None:
    for finder in list(sys.meta_path):
        find_spec = getattr(finder, "find_spec", None)
        if finder is watcher or find_spec is None:
            continue
        spec = find_spec(fullname, path, target)
        if spec is not None:
            return spec  # type: ignore[no-any-return]
    return None


class NotifyingLoader(importlib.abc.Loader):
    """Delegates to the real loader, then calls back with the executed module."""

    def __init__(self, loader: Any, on_import: Callable[[ModuleType], None]) -> None:
        self._loader = loader
        self._on_import = on_import

    def create_module(self, spec: ModuleSpec) -> ModuleType | None:
        return self._loader.create_module(spec)  # type: ignore[no-any-return]

    def exec_module(self, module: ModuleType) -> None:
        self._loader.exec_module(module)
        if module.__spec__ is not None and module.__spec__.loader is self:
            module.__spec__.loader = self._loader
        if getattr(module, "__loader__", None) is self:
            module.__loader__ = self._loader
        self._on_import(module)

    def __getattr__(self, name: str) -> Any:
        # get_source, get_code, is_package...: tracebacks and pkgutil still work.
        return getattr(self._loader, name)


def module_can_be_found(name: str) -> bool:
    """Whether ``import name`` would find something, without importing anything new.

    At start-up (from sitecustomize) the script's directory is not on
    ``sys.path`` yet, so it is searched too: the script's directory, or the
    working directory for ``python -m`` and ``python -c``.
    """
    parts = name.split(".")
    spec = _top_level_spec(parts[0])
    for depth in range(1, len(parts)):
        parent = sys.modules.get(".".join(parts[:depth]))
        if parent is not None:
            locations = getattr(parent, "__path__", None)
        else:
            locations = spec.submodule_search_locations if spec is not None else None
        if not locations:
            return False
        spec = PathFinder.find_spec(".".join(parts[: depth + 1]), list(locations))
    return spec is not None


def _top_level_spec(name: str) -> ModuleSpec | None:
    if name in sys.modules:
        return getattr(sys.modules[name], "__spec__", None) or ModuleSpec(name, None)
    try:
        spec = importlib.util.find_spec(name)
    except (ImportError, ValueError):
        spec = None
    return spec or PathFinder.find_spec(name, [_program_directory()])


def _program_directory() -> str:
    script = sys.argv[0] if sys.argv else ""
    if script and os.path.isfile(script):
        return os.path.dirname(os.path.abspath(script))
    return os.getcwd()
