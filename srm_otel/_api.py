"""The module-level API: configure, record, round, instrument_round, shutdown.

Before configure() every call is a cheap no-op: one global read and a return.
"""

from __future__ import annotations

import atexit
import contextvars
import functools
import inspect
import logging
import os
import signal
import threading
from collections.abc import Callable, Mapping
from dataclasses import replace
from types import TracebackType
from typing import Any, ParamSpec, TypeVar

from opentelemetry import context as otel_context

from srm_otel import _config
from srm_otel._guard import internal_error
from srm_otel._pipeline import Pipeline, build_pipeline
from srm_otel._rounds import Round
from srm_otel._runtime import Clock, Runtime
from srm_otel._sources import IdentitySource, resolve
from srm_otel._stats import IntervalSummary

_logger = logging.getLogger("srm_otel")

P = ParamSpec("P")
R = TypeVar("R")

_runtime: Runtime | None = None
_runtime_is_automatic = False
"""True when the auto-instrumentation set srm_otel up; configure() then keeps that set-up."""
_configure_lock = threading.Lock()
_process_hooks_installed = False

_current_round: contextvars.ContextVar[RoundScope | None] = contextvars.ContextVar(
    "srm_otel_current_round", default=None
)


def configure(
    config: str | os.PathLike[str] | Mapping[str, Any] | None = None,
) -> None:
    """Start srm_otel from a YAML path, a dict, or SRM_CONFIG / ./srm.yaml / defaults.

    Raises ConfigError, naming every bad key, when the configuration is invalid.
    Calling it again replaces the running configuration (the old one is flushed).
    """
    settings = _config.load(config)
    if _runtime_is_automatic and _runtime is not None:
        _logger.info("srm_otel is already set up by the auto-instrumentation; keeping that set-up")
        return
    if settings.disabled:
        _logger.info("OTEL_SDK_DISABLED is true: srm_otel records nothing")
        _install(None)
        return
    try:
        pipeline = build_pipeline(settings)
    except Exception as exc:
        internal_error("configure", exc)
        return
    _install(Runtime(settings, pipeline))


def start(
    settings: _config.Settings,
    pipeline: Pipeline,
    clock: Clock | None = None,
    *,
    watchdog: bool = True,
    automatic: bool = False,
) -> Runtime:
    """Install a runtime built from parts; the test kit, the demo and the auto-instrumentation
    use it. ``automatic`` marks a set-up that a later configure() call must keep."""
    runtime = Runtime(settings, pipeline, clock, watchdog=watchdog)
    _install(runtime, automatic)
    return runtime


def _install(runtime: Runtime | None, automatic: bool = False) -> None:
    global _runtime, _runtime_is_automatic
    with _configure_lock:
        previous, _runtime = _runtime, runtime
        _runtime_is_automatic = automatic and runtime is not None
        _install_process_hooks()
    if previous is not None:
        previous.shutdown(timeout_s=5.0)


def _install_process_hooks() -> None:
    """Flush at exit and on SIGTERM; give a forked worker a set-up of its own."""
    global _process_hooks_installed
    if _process_hooks_installed:
        return
    _process_hooks_installed = True
    atexit.register(shutdown)
    if hasattr(os, "register_at_fork"):
        os.register_at_fork(after_in_child=_after_fork_in_child)
    _flush_on_sigterm()


def _flush_on_sigterm() -> None:
    # Python's default SIGTERM ends the process without running atexit. Only
    # where the program left SIGTERM at its default do we step in: flush
    # (bounded), then die of SIGTERM as the program would have.
    if threading.current_thread() is not threading.main_thread():
        return
    if signal.getsignal(signal.SIGTERM) is not signal.SIG_DFL:
        return

    def on_sigterm(signum: int, frame: Any) -> None:
        try:
            shutdown()
        finally:
            signal.signal(signal.SIGTERM, signal.SIG_DFL)
            os.kill(os.getpid(), signal.SIGTERM)

    signal.signal(signal.SIGTERM, on_sigterm)


def _after_fork_in_child() -> None:
    # The child inherits the parent's cumulative metric totals and open rounds;
    # exporting them again would count the parent's rounds twice. It starts
    # afresh: its own providers (and service.instance.id), tracker and watchdog.
    global _runtime
    runtime = _runtime
    if runtime is None:
        return
    try:
        runtime.pipeline.detach_after_fork()
        _runtime = Runtime(*_forked_parts(runtime))
    except Exception as exc:
        _runtime = None
        internal_error("fork", exc)


def _forked_parts(runtime: Runtime) -> tuple[_config.Settings, Pipeline]:
    settings = runtime.settings
    if settings.prometheus_enabled:
        _logger.info(
            "forked worker %d: /metrics stays with the parent process; "
            "this worker exports over OTLP only",
            os.getpid(),
        )
        settings = replace(settings, prometheus=replace(settings.prometheus, enabled=False))
    return settings, build_pipeline(settings)


def get_runtime() -> Runtime | None:
    """The running configuration, or None before configure() and after shutdown()."""
    return _runtime


def record(
    event: str,
    /,
    *,
    game_type: str | None = None,
    table: str | None = None,
    round_id: str | int | None = None,
    timestamp: float | None = None,
    **data: Any,
) -> None:
    """Report one round event. Never raises; bad input is counted and dropped.

    Inside ``with round(...)`` or an ``@instrument_round`` call, identity
    keywords left out are taken from the current round. ``timestamp`` is POSIX
    seconds; without it the event is stamped now on a monotonic timeline.
    """
    runtime = _runtime
    if runtime is None:
        return
    try:
        if game_type is None or table is None or round_id is None:
            scope = _current_round.get()
            if scope is not None:
                game_type = game_type if game_type is not None else scope.game_type
                table = table if table is not None else scope.table
                round_id = round_id if round_id is not None else scope.round_id
        runtime.record(event, game_type, table, round_id, timestamp, data)
    except Exception as exc:
        internal_error("record", exc)


def cancel_round(
    game_type: str, table: str, round_id: str | int, reason: str | None = None
) -> None:
    """End an open round with outcome ``cancelled`` (the dealer voided it, for example)."""
    runtime = _runtime
    if runtime is None:
        return
    try:
        runtime.cancel(str(game_type), str(table), str(round_id), reason)
    except Exception as exc:
        internal_error("cancel_round", exc)


def force_flush(timeout_s: float = 5.0) -> bool:
    """Export what is queued now; True when every signal flushed in time."""
    runtime = _runtime
    if runtime is None:
        return True
    try:
        return runtime.force_flush(timeout_s)
    except Exception as exc:
        internal_error("force_flush", exc)
        return False


def shutdown(timeout_s: float = 5.0) -> None:
    """Close open rounds as incomplete, flush and stop exporting. Runs at exit too."""
    global _runtime, _runtime_is_automatic
    with _configure_lock:
        runtime, _runtime = _runtime, None
        _runtime_is_automatic = False
    if runtime is None:
        return
    try:
        runtime.shutdown(timeout_s)
    except Exception as exc:
        internal_error("shutdown", exc)


def statistics(per_table: bool = True) -> list[IntervalSummary]:
    """Recent interval figures kept in-process (count, median, p95, mean, stdev, last values)."""
    runtime = _runtime
    if runtime is None:
        return []
    try:
        return runtime.statistics.intervals(per_table)
    except Exception as exc:
        internal_error("statistics", exc)
        return []


class RoundScope:
    """One round as a block: ``with srm_otel.round(...) as rnd: rnd.record("...")``.

    The round's span is the current span inside the block, so the game's own
    spans nest under it. Leaving the block ends the round: completed, or
    cancelled with the exception recorded when the block raised (the exception
    itself propagates unchanged).
    """

    def __init__(self, game_type: str, table: str, round_id: str | int) -> None:
        self.game_type = game_type
        self.table = table
        self.round_id = round_id
        self._round: Round | None = None
        self._runtime: Runtime | None = None
        self._tokens: list[Any] = []

    def record(self, event: str, /, *, timestamp: float | None = None, **data: Any) -> None:
        """Report an event of this round."""
        record(
            event,
            game_type=self.game_type,
            table=self.table,
            round_id=self.round_id,
            timestamp=timestamp,
            **data,
        )

    def cancel(self, reason: str | None = None) -> None:
        """End this round now with outcome ``cancelled``."""
        cancel_round(self.game_type, self.table, self.round_id, reason)

    def __enter__(self) -> RoundScope:
        self._tokens.append(_current_round.set(self))
        runtime = self._runtime = _runtime
        if runtime is None:
            return self
        try:
            self._round = runtime.open_block(self.game_type, self.table, self.round_id)
            if self._round is not None:
                self._tokens.append(otel_context.attach(self._round.telemetry.context))
        except Exception as exc:
            internal_error("round.__enter__", exc)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        try:
            if len(self._tokens) > 1:
                otel_context.detach(self._tokens.pop())
            if self._round is not None and self._runtime is not None:
                self._runtime.close_block(self._round, exc)
        except Exception as error:
            internal_error("round.__exit__", error)
        finally:
            self._round = None
            _current_round.reset(self._tokens.pop())

    async def __aenter__(self) -> RoundScope:
        return self.__enter__()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.__exit__(exc_type, exc, tb)


def round(game_type: str, table: str, round_id: str | int) -> RoundScope:
    """A round as a ``with`` block (or ``async with``); see RoundScope."""
    return RoundScope(game_type, table, round_id)


def current_round() -> RoundScope | None:
    """The round of the enclosing ``with round()`` block or ``@instrument_round`` call."""
    return _current_round.get()


def instrument_round(
    *, game_type: IdentitySource, table: IdentitySource, round_id: IdentitySource
) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """Make each call of a function (sync or async) one round.

    Each identity value is a literal, a callable taking the function's
    arguments, or a source string: ``self.<attr>`` or ``arg.<parameter>``
    (dotted paths allowed, e.g. ``self.table.name``).
    """

    def decorate(fn: Callable[P, R]) -> Callable[P, R]:
        signature = inspect.signature(fn)

        def scope_for(args: tuple[Any, ...], kwargs: dict[str, Any]) -> RoundScope | None:
            if _runtime is None:
                return None
            try:
                bound = signature.bind_partial(*args, **kwargs)
                values = [resolve(s, fn, bound) for s in (game_type, table, round_id)]
            except Exception as exc:
                internal_error(f"instrument_round({fn.__qualname__})", exc)
                return None
            return RoundScope(*values)

        if inspect.iscoroutinefunction(fn):

            @functools.wraps(fn)
            async def async_wrapper(*args: P.args, **kwargs: P.kwargs) -> Any:
                scope = scope_for(args, kwargs)
                if scope is None:
                    return await fn(*args, **kwargs)  # type: ignore[misc]
                with scope:
                    return await fn(*args, **kwargs)  # type: ignore[misc]

            return async_wrapper  # type: ignore[return-value]

        @functools.wraps(fn)
        def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
            scope = scope_for(args, kwargs)
            if scope is None:
                return fn(*args, **kwargs)
            with scope:
                return fn(*args, **kwargs)

        return wrapper

    return decorate


__all__ = [
    "RoundScope",
    "cancel_round",
    "configure",
    "current_round",
    "force_flush",
    "get_runtime",
    "instrument_round",
    "record",
    "round",
    "shutdown",
    "start",
    "statistics",
]
