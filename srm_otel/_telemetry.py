"""The RoundSink that writes OpenTelemetry spans, metrics and logs for the tracker's decisions.

Attribute dicts for metrics are built once per (game, table, ...) and reused,
so the hot path allocates as little as it can. ``srm.round.id`` goes on spans
and logs only: a round id on a metric would make a new series per round.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any, Final

from opentelemetry import trace
from opentelemetry._logs import Logger, SeverityNumber
from opentelemetry.context import Context
from opentelemetry.metrics import Meter
from opentelemetry.trace import Link, Span, Status, StatusCode, Tracer

from srm_otel import semconv
from srm_otel._guard import Throttle
from srm_otel._profiles import TABLEAPI_START, IntervalSpec
from srm_otel._rounds import COMPLETED, INCOMPLETE, OVERFLOW, Round
from srm_otel.semconv import ROUND_OUTCOMES

_logger = logging.getLogger("srm_otel")

ATTRIBUTE_CACHE_LIMIT: Final = 20_000
"""Cached attribute dicts; bounded anyway by the table cap, this is a second fence."""

_NS: Final = 1_000_000_000

_TABLE_KEYS: Final = (semconv.GAME_TYPE, semconv.TABLE_ID)
_INTERVAL_KEYS: Final = (*_TABLE_KEYS, semconv.INTERVAL_NAME)
_OUTCOME_KEYS: Final = (*_TABLE_KEYS, semconv.ROUND_OUTCOME)
_EVENT_KEYS: Final = (*_TABLE_KEYS, semconv.EVENT_NAME, semconv.EVENT_OUTCOME)
"""Attribute keys of the cached metric attribute sets, in the order of their cache keys."""

UNKNOWN_EVENT_NAME: Final = "_unknown"
"""``srm.event.name`` on the event counter for names no game profile knows."""


def to_ns(t: float) -> int:
    return int(t * _NS)


class RoundTelemetry:
    """What the sink keeps for an open round: its span, that span as a context, and its start."""

    __slots__ = ("context", "span", "start")

    def __init__(self, span: Span, start: float) -> None:
        self.span = span
        self.context: Context = trace.set_span_in_context(span)
        self.start = start


class Instruments:
    """The contract's metric instruments, created once per meter."""

    def __init__(self, meter: Meter) -> None:
        buckets = list(semconv.DURATION_BUCKETS_S)
        self.interval_duration = meter.create_histogram(
            semconv.INTERVAL_DURATION,
            unit=semconv.UNIT_SECONDS,
            description="Time between two events of a round, or of two consecutive rounds.",
            explicit_bucket_boundaries_advisory=buckets,
        )
        self.round_duration = meter.create_histogram(
            semconv.ROUND_DURATION,
            unit=semconv.UNIT_SECONDS,
            description="Time from tableapi_start to tableapi_finish of a completed round.",
            explicit_bucket_boundaries_advisory=buckets,
        )
        self.rounds = meter.create_counter(
            semconv.ROUNDS,
            unit=semconv.UNIT_ROUND,
            description="Rounds that ended, by outcome: completed, incomplete or cancelled.",
        )
        self.out_of_range = meter.create_counter(
            semconv.INTERVAL_OUT_OF_RANGE,
            unit=semconv.UNIT_INTERVAL,
            description="Intervals measured outside their expected range, by bound (low, high).",
        )
        self.events = meter.create_counter(
            semconv.EVENTS,
            unit=semconv.UNIT_EVENT,
            description="Round events reported by game code, by what srm_otel did with them.",
        )
        self.rounds_active = meter.create_up_down_counter(
            semconv.ROUNDS_ACTIVE,
            unit=semconv.UNIT_ROUND,
            description="Rounds open now: started and not yet finished or timed out.",
        )


class TelemetrySink:
    """Implements RoundSink on a tracer, a meter and a logger."""

    def __init__(
        self, tracer: Tracer, meter: Meter, logger: Logger, known_events: frozenset[str]
    ) -> None:
        self._tracer = tracer
        self._known_events = known_events
        self._logger = logger
        self._m = Instruments(meter)
        self._attrs: dict[tuple[str, ...], dict[str, str]] = {}
        self._tables_seen: dict[str, set[str]] = {}
        self._throttle = Throttle(_logger)

    # --- attribute sets, built once -------------------------------------

    def _cached(self, key: tuple[str, ...], keys: tuple[str, ...]) -> dict[str, str]:
        attrs = self._attrs.get(key)
        if attrs is None:
            if len(self._attrs) >= ATTRIBUTE_CACHE_LIMIT:
                self._attrs.clear()
            attrs = self._attrs[key] = dict(zip(keys, key, strict=True))
        return attrs

    def _table_attrs(self, game: str, table: str) -> dict[str, str]:
        return self._cached((game, table), _TABLE_KEYS)

    def _interval_attrs(self, game: str, table: str, interval: str) -> dict[str, str]:
        return self._cached((game, table, interval), _INTERVAL_KEYS)

    # --- RoundSink ------------------------------------------------------

    def round_opened(self, rnd: Round, t: float) -> None:
        span = self._tracer.start_span(
            f"{rnd.game_type} round",
            start_time=to_ns(t),
            attributes={
                semconv.GAME_TYPE: rnd.game_type,
                semconv.TABLE_ID: rnd.table,
                semconv.ROUND_ID: rnd.round_id,
            },
        )
        rnd.telemetry = RoundTelemetry(span, t)
        table_attrs = self._table_attrs(rnd.game_type, rnd.table)
        if rnd.table not in self._tables_seen.setdefault(rnd.game_type, set()):
            self._start_round_series(rnd.game_type, rnd.table)
        self._m.rounds_active.add(1, table_attrs)

    def _start_round_series(self, game: str, table: str) -> None:
        # A counter series that first appears at 1 hides that increment from
        # PromQL's increase(); starting every outcome at 0 makes the first
        # completed or incomplete round of a table visible to rules and alerts.
        self._tables_seen[game].add(table)
        for outcome in ROUND_OUTCOMES:
            self._m.rounds.add(0, self._rounds_attrs(game, table, outcome))

    def _rounds_attrs(self, game: str, table: str, outcome: str) -> dict[str, str]:
        return self._cached((game, table, outcome), _OUTCOME_KEYS)

    def event_accepted(
        self, rnd: Round, event: str, t: float, data: Mapping[str, Any] | None
    ) -> None:
        span: Span = rnd.telemetry.span
        if span.is_recording():
            span.add_event(event, attributes=data or None, timestamp=to_ns(t))
        self._count_event(rnd.game_type, rnd.table, event, "accepted")

    def event_rejected(self, game_type: str, table: str, event: str, outcome: str) -> None:
        self._count_event(game_type, table, event, outcome)
        if outcome == OVERFLOW:
            self._throttle.warning(
                "overflow",
                "dropping events for table %r of %s: this process already reports the "
                "maximum number of tables (rounds.max_tables); counted under table %r",
                table,
                game_type,
                semconv.OVERFLOW_TABLE,
            )
        else:
            self._throttle.warning(
                outcome,
                "dropping %s event %r for %s table %r; counted in srm.events",
                outcome,
                event,
                game_type,
                table,
            )

    def count_invalid(self, event: str) -> None:
        """An event whose identity could not be used: counted without game or table."""
        self._count_event("_invalid", "_invalid", event, "invalid")

    def _count_event(self, game: str, table: str, event: str, outcome: str) -> None:
        # Names outside every profile come from a faulty caller: one series for all of them.
        if event not in self._known_events:
            event = UNKNOWN_EVENT_NAME
        self._m.events.add(1, self._cached((game, table, event, outcome), _EVENT_KEYS))

    def interval_measured(
        self, rnd: Round, spec: IntervalSpec, start: float, end: float, previous: Round | None
    ) -> None:
        duration = end - start
        bound = _bound(spec, duration)
        parent: RoundTelemetry = rnd.telemetry
        span = self._interval_span(rnd, spec, start, end, parent, previous, bound)
        context = trace.set_span_in_context(span, parent.context)
        attrs = self._interval_attrs(rnd.game_type, rnd.table, spec.name)
        self._m.interval_duration.record(duration, attrs, context=context)
        if bound is not None:
            oor = self._cached(
                (rnd.game_type, rnd.table, spec.name, bound),
                (*attrs, semconv.INTERVAL_BOUND),
            )
            self._m.out_of_range.add(1, oor, context=context)
        self._log_interval(rnd, spec, duration, end, bound, context)

    def _interval_span(
        self,
        rnd: Round,
        spec: IntervalSpec,
        start: float,
        end: float,
        parent: RoundTelemetry,
        previous: Round | None,
        bound: str | None,
    ) -> Span:
        links = None
        if previous is not None and previous.telemetry is not None:
            links = [Link(previous.telemetry.span.get_span_context())]
        span = self._tracer.start_span(
            spec.name, context=parent.context, start_time=to_ns(start), links=links
        )
        if span.is_recording():
            span.set_attributes(_interval_span_attributes(rnd, spec, previous, bound))
        span.end(end_time=to_ns(end))
        return span

    def _log_interval(
        self,
        rnd: Round,
        spec: IntervalSpec,
        duration: float,
        end: float,
        bound: str | None,
        context: Context,
    ) -> None:
        body = (
            f"Time interval: {spec.name} = {duration:.3f}s for {rnd.game_type} "
            f"table {rnd.table} round {rnd.round_id}"
        )
        attrs: dict[str, Any] = {
            semconv.GAME_TYPE: rnd.game_type,
            semconv.TABLE_ID: rnd.table,
            semconv.INTERVAL_NAME: spec.name,
            semconv.ROUND_ID: rnd.round_id,
            semconv.INTERVAL_DURATION_S: round(duration, 6),
        }
        severity = _INFO
        if bound is not None:
            low, high = spec.expected_s or (0.0, 0.0)
            body += f" (outside the expected {low:g}-{high:g}s)"
            attrs[semconv.INTERVAL_BOUND] = bound
            severity = _WARN
        self._emit_log(body, severity, attrs, end, context)

    def _emit_log(
        self,
        body: str,
        severity: tuple[SeverityNumber, str],
        attrs: dict[str, Any],
        t: float,
        context: Context,
    ) -> None:
        self._logger.emit(
            timestamp=to_ns(t),
            context=context,
            severity_number=severity[0],
            severity_text=severity[1],
            body=body,
            attributes=attrs,
        )

    def round_closed(self, rnd: Round, outcome: str, end: float, reason: str | None) -> None:
        handle: RoundTelemetry = rnd.telemetry
        table_attrs = self._table_attrs(rnd.game_type, rnd.table)
        end = max(end, handle.start)
        span = handle.span
        span.set_attribute(semconv.ROUND_OUTCOME, outcome)
        if outcome == INCOMPLETE:
            span.set_status(Status(StatusCode.ERROR, reason))
            self._log_incomplete(rnd, end, reason, handle.context)
        elif outcome == COMPLETED:
            self._record_round_duration(rnd, end, table_attrs, handle.context)
        span.end(end_time=to_ns(end))
        self._m.rounds.add(1, self._rounds_attrs(rnd.game_type, rnd.table, outcome))
        self._m.rounds_active.add(-1, table_attrs)

    def _record_round_duration(
        self, rnd: Round, end: float, attrs: dict[str, str], context: Context
    ) -> None:
        start = rnd.events.get(TABLEAPI_START, rnd.block_start)
        if start is not None and end >= start:
            self._m.round_duration.record(end - start, attrs, context=context)

    def _log_incomplete(self, rnd: Round, end: float, reason: str | None, context: Context) -> None:
        seen = ", ".join(sorted(rnd.events, key=rnd.events.__getitem__)) or "none"
        body = (
            f"Round incomplete: {rnd.game_type} table {rnd.table} round {rnd.round_id} "
            f"({reason or 'no finish'}; events seen: {seen})"
        )
        attrs = {
            semconv.GAME_TYPE: rnd.game_type,
            semconv.TABLE_ID: rnd.table,
            semconv.ROUND_ID: rnd.round_id,
            semconv.ROUND_OUTCOME: INCOMPLETE,
        }
        self._emit_log(body, _ERROR, attrs, end, context)


# Severity number and text as pairs: looking the text up by the enum member would hash
# it in Python on every log record.
_INFO: Final = (SeverityNumber.INFO, "INFO")
_WARN: Final = (SeverityNumber.WARN, "WARN")
_ERROR: Final = (SeverityNumber.ERROR, "ERROR")


def _bound(spec: IntervalSpec, duration: float) -> str | None:
    if spec.expected_s is None:
        return None
    low, high = spec.expected_s
    if duration < low:
        return "low"
    if duration > high:
        return "high"
    return None


def _interval_span_attributes(
    rnd: Round, spec: IntervalSpec, previous: Round | None, bound: str | None
) -> dict[str, Any]:
    attrs: dict[str, Any] = {
        semconv.GAME_TYPE: rnd.game_type,
        semconv.TABLE_ID: rnd.table,
        semconv.ROUND_ID: rnd.round_id,
        semconv.INTERVAL_NAME: spec.name,
        semconv.INTERVAL_SCOPE: spec.scope,
    }
    if spec.expected_s is not None:
        attrs[semconv.INTERVAL_EXPECTED_S] = list(spec.expected_s)
    if previous is not None:
        attrs[semconv.PREVIOUS_ROUND_ID] = previous.round_id
    if bound is not None:
        attrs[semconv.INTERVAL_BOUND] = bound
    return attrs
