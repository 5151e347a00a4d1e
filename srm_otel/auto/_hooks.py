"""A hook: a wrapper around one function that reports its configured events.

Values from ``self`` and the arguments are read when the call starts, values
from ``return`` when it ends, and the event is stamped when the call ends
(for a coroutine function, when the awaited call completes). A call that
raises records nothing: it is counted in ``RaisedCalls`` and logged, throttled,
and the exception reaches the caller unchanged.
"""

from __future__ import annotations

import functools
import inspect
import logging
import threading
from collections.abc import Callable, Sequence
from typing import Any, Final

from srm_otel import _api
from srm_otel._config import HookSpec
from srm_otel._guard import Throttle, internal_error
from srm_otel._sources import reads_return, resolve, resolve_return

_logger = logging.getLogger("srm_otel")

IDENTITY_FIELDS: Final = ("game_type", "table", "round_id")

IDENTITY: Final = "identity"
DATA: Final = "data"

Field = tuple[str, str]
"""(IDENTITY or DATA, name): where a value goes in the recorded event."""

Values = dict[Field, Any]
"""The values of one hook for one call."""


class RaisedCalls:
    """How many calls of each hooked function raised (and so recorded no event)."""

    def __init__(self) -> None:
        self._counts: dict[str, int] = {}
        self._lock = threading.Lock()
        self._throttle = Throttle(_logger)

    def add(self, function: str, events: str, error: BaseException) -> None:
        with self._lock:
            count = self._counts[function] = self._counts.get(function, 0) + 1
        self._throttle.warning(
            f"raised:{function}",
            "srm_otel hook %s raised %s; no %s event recorded for that call "
            "(calls that raised so far: %d)",
            function,
            type(error).__name__,
            events,
            count,
        )

    def counts(self) -> dict[str, int]:
        with self._lock:
            return dict(self._counts)


class BoundHook:
    """One hook spec applied to one function: which fields are read at start, which at return."""

    def __init__(self, spec: HookSpec, fn: Callable[..., Any]) -> None:
        self.spec = spec
        self._fn = fn
        fields: list[tuple[Field, Any]] = [
            ((IDENTITY, name), getattr(spec, name)) for name in IDENTITY_FIELDS
        ]
        fields += [((DATA, name), source) for name, source in spec.data]
        self._at_start = [(field, src) for field, src in fields if not reads_return(src)]
        self._at_return = [(field, src) for field, src in fields if reads_return(src)]
        self._throttle = Throttle(_logger)

    def start(self, bound: inspect.BoundArguments) -> Values:
        values: Values = {}
        for field, source in self._at_start:
            try:
                values[field] = resolve(source, self._fn, bound)
            except Exception as exc:
                self._unreadable(source, exc)
                values[field] = None
        return values

    def finish(self, values: Values, result: Any) -> None:
        for field, source in self._at_return:
            try:
                values[field] = resolve_return(source, result)
            except Exception as exc:
                self._unreadable(source, exc)
                values[field] = None
        runtime = _api.get_runtime()
        if runtime is None:
            return
        game_type, table, round_id = (values[IDENTITY, name] for name in IDENTITY_FIELDS)
        data = {name: value for (kind, name), value in values.items() if kind == DATA}
        runtime.record(self.spec.event, game_type, table, round_id, None, data)

    def _unreadable(self, source: Any, exc: Exception) -> None:
        # The game's own objects are read here; whatever they raise costs the
        # event (the runtime counts it as invalid), never the call.
        self._throttle.warning(
            f"source:{source}",
            "srm_otel hook %s -> %s: cannot read %r (%s: %s); the event is dropped",
            self.spec.function,
            self.spec.event,
            source,
            type(exc).__name__,
            exc,
        )


def build_wrapper(
    fn: Callable[..., Any], specs: Sequence[HookSpec], raised: RaisedCalls
) -> Callable[..., Any]:
    """A wrapper with ``fn``'s name, signature and kind (sync or coroutine function)."""
    hooks = [BoundHook(spec, fn) for spec in specs]
    signature = inspect.signature(fn)
    function = specs[0].function
    events = " / ".join(spec.event for spec in specs)

    def begin(args: tuple[Any, ...], kwargs: dict[str, Any]) -> list[Values] | None:
        if _api.get_runtime() is None:
            return None
        try:
            bound = signature.bind(*args, **kwargs)
        except TypeError:
            return []  # the call itself raises the same TypeError, and is counted
        try:
            return [hook.start(bound) for hook in hooks]
        except Exception as exc:
            internal_error(f"hook {function} (call start)", exc)
            return None

    def end(started: list[Values] | None, result: Any) -> Any:
        if not started:
            return result
        try:
            for hook, values in zip(hooks, started, strict=True):
                hook.finish(values, result)
        except Exception as exc:
            internal_error(f"hook {function} (call end)", exc)
        return result

    def failed(started: list[Values] | None, error: BaseException) -> None:
        if started is not None:
            raised.add(function, events, error)

    if inspect.iscoroutinefunction(fn):

        @functools.wraps(fn)
        async def async_wrapper(*args: Any, **kwargs: Any) -> Any:
            started = begin(args, kwargs)
            try:
                result = await fn(*args, **kwargs)
            except BaseException as error:
                failed(started, error)
                raise
            return end(started, result)

        return async_wrapper

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        started = begin(args, kwargs)
        try:
            result = fn(*args, **kwargs)
        except BaseException as error:
            failed(started, error)
            raise
        return end(started, result)

    return wrapper


def signature_problems(spec: HookSpec, fn: Callable[..., Any], is_method: bool) -> list[str]:
    """Sources this function can never satisfy, found before the first call."""
    parameters = inspect.signature(fn).parameters
    takes_any = any(p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters.values())
    sources = [getattr(spec, name) for name in IDENTITY_FIELDS] + [v for _, v in spec.data]
    problems = []
    for source in sources:
        head, _, path = str(source).partition(".")
        if not isinstance(source, str) or not path:
            continue
        if head == "self" and not is_method:
            problems.append(f"{source!r}: {spec.qualname} is not a method, so it has no self")
        elif head == "arg" and path.split(".")[0] not in parameters and not takes_any:
            names = ", ".join(parameters) or "none"
            problems.append(f"{source!r}: {spec.qualname} has no such parameter (it has {names})")
    return problems
