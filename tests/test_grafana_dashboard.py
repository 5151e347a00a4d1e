"""The Grafana dashboard and provisioning files in collector/grafana/.

The static tests read the dashboard JSON: datasource and filter variables,
the panels operators asked for, and only the contract's names in queries.
The end-to-end test runs every PromQL expression of the dashboard, with its
template variables filled in as Grafana would, against a real Prometheus
holding demo studio data, and checks that each answers without error and
with data.

Demo data: a deterministic studio simulation in this file (four tables,
75 minutes, some slow intervals, incomplete rounds and rejected events)
written as OpenMetrics and loaded into a fresh Prometheus TSDB with
``promtool tsdb create-blocks-from openmetrics`` before the server starts.
"""

from __future__ import annotations

import json
import random
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import yaml

# tests/ has no __init__.py: make ``tests.support`` importable however pytest started.
_REPO_ROOT = str(Path(__file__).resolve().parents[1])
if _REPO_ROOT not in sys.path:
    sys.path.insert(0, _REPO_ROOT)

from tests.support.prometheus import PrometheusServer  # noqa: E402
from tests.test_prometheus_rules import (  # noqa: E402
    CONTRACT_LABELS,
    CONTRACT_METRICS,
    promtool_path,
    srm_identifiers,
)

GRAFANA_DIR = Path(_REPO_ROOT) / "collector" / "grafana"
DASHBOARD_PATH = GRAFANA_DIR / "dashboards" / "srm-round-times.json"
PROVISIONING_DIR = GRAFANA_DIR / "provisioning"

# --- Reading the dashboard ---------------------------------------------------


def load_dashboard() -> dict[str, Any]:
    return json.loads(DASHBOARD_PATH.read_text(encoding="utf-8"))


def all_panels(dashboard: dict[str, Any]) -> list[dict[str, Any]]:
    """Every panel, including those nested in collapsed rows; rows themselves excluded."""
    panels = []
    for panel in dashboard["panels"]:
        panels.extend(panel.get("panels", []))
        if panel["type"] != "row":
            panels.append(panel)
    return panels


def variables(dashboard: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {variable["name"]: variable for variable in dashboard["templating"]["list"]}


def targets(dashboard: dict[str, Any], datasource: str) -> list[tuple[str, dict[str, Any]]]:
    """(panel title, target) for every query sent to a datasource of this type."""
    return [
        (panel["title"], target)
        for panel in all_panels(dashboard)
        for target in panel.get("targets", [])
        if target["datasource"]["type"] == datasource
    ]


# --- Filling in template variables as Grafana does ---------------------------

_REGEX_SPECIALS = re.compile(r"[\\^$*+?.()|{}\[\]]")

ALL_SELECTED = {"site": ".*", "game": ".*", "table": ".*", "interval": ".*", "service": ".+"}
"""Every filter variable on "All", with the dashboard's own allValue."""

GRAFANA_INTERVALS = {"__rate_interval": "2m", "__interval": "1m", "__range": "1h"}
"""What Grafana puts in for its built-in variables on a one-hour range."""


def prometheus_regex_value(value: str) -> str:
    """A single selected value as Grafana writes it into ``=~"..."`` for Prometheus.

    Grafana escapes regex metacharacters, and then the backslashes again for
    the PromQL string literal.
    """
    escaped = _REGEX_SPECIALS.sub(lambda match: "\\" + match.group(0), value)
    return escaped.replace("\\", "\\\\")


def substitute(expr: str, selected: dict[str, str]) -> str:
    values = {**GRAFANA_INTERVALS, **selected}

    def replace(match: re.Match[str]) -> str:
        name = match.group(1) or match.group(2)
        if name not in values:
            raise KeyError(f"no value for template variable ${name} in {expr!r}")
        return values[name]

    return re.sub(r"\$\{(\w+)\}|\$(\w+)", replace, expr)


# --- Static tests ------------------------------------------------------------


def test_dashboard_has_datasource_and_filter_variables() -> None:
    dashboard = load_dashboard()
    found = variables(dashboard)

    assert dashboard["uid"] == "srm-round-times"
    assert {name: v["type"] for name, v in found.items()} == {
        "prometheus": "datasource",
        "loki": "datasource",
        "site": "query",
        "game": "query",
        "table": "query",
        "interval": "query",
        "service": "query",
    }
    assert found["prometheus"]["query"] == "prometheus"
    assert found["loki"]["query"] == "loki"
    for name in ("site", "game", "table", "interval"):
        assert found[name]["multi"] and found[name]["includeAll"], name
        assert found[name]["allValue"] == ".*", name


def test_every_panel_uses_a_datasource_variable() -> None:
    for panel in all_panels(load_dashboard()):
        assert panel["datasource"]["uid"] in ("${prometheus}", "${loki}"), panel["title"]
        for target in panel.get("targets", []):
            assert target["datasource"] == panel["datasource"], panel["title"]


def test_dashboard_has_the_panels_operators_need() -> None:
    panels = {panel["title"]: panel for panel in all_panels(load_dashboard())}

    assert {
        "Round duration p50 / p95 per table",
        "Interval p95 per table",
        "Interval p50 per table",
        "Intervals by table over the time range",
        "Out-of-range intervals",
        "Incomplete and cancelled rounds",
        "Rounds per hour per table",
        "Duration distribution: $interval",
        "Warnings and errors",
    } <= set(panels)
    assert panels["Duration distribution: $interval"]["type"] == "heatmap"
    assert panels["Warnings and errors"]["type"] == "logs"


def test_latency_panels_request_exemplars() -> None:
    latency = [
        (title, target)
        for title, target in targets(load_dashboard(), "prometheus")
        if "_duration_seconds_bucket" in target["expr"] and "[$__range]" not in target["expr"]
    ]

    assert len(latency) >= 4
    assert all(target.get("exemplar") is True for _, target in latency), latency


def test_prometheus_queries_use_only_contract_names() -> None:
    dashboard = load_dashboard()
    expressions = [target["expr"] for _, target in targets(dashboard, "prometheus")]
    expressions += [
        v["query"]["query"] for v in variables(dashboard).values() if v["type"] == "query"
    ]

    used = set().union(*(srm_identifiers(expr) for expr in expressions))

    assert used - CONTRACT_METRICS - CONTRACT_LABELS == set()
    assert used & CONTRACT_METRICS == {
        "srm_interval_duration_seconds_bucket",
        "srm_interval_duration_seconds_count",
        "srm_round_duration_seconds_bucket",
        "srm_rounds_total",
        "srm_interval_out_of_range_total",
        "srm_events_total",
        "srm_rounds_active",
    }


def test_logs_panel_reads_warnings_and_errors_by_contract_labels() -> None:
    [(_, target)] = targets(load_dashboard(), "loki")
    expr = target["expr"]

    assert expr.startswith('{service_name=~"$service", srm_site=~"$site"}')
    assert '| detected_level=~"warn|error|critical|fatal"' in expr
    assert '| srm_game_type=~"$game"' in expr
    assert '| srm_table_id=~"$table"' in expr


def test_provisioning_files_point_at_the_dashboard_and_link_exemplars_to_traces() -> None:
    datasources = yaml.safe_load((PROVISIONING_DIR / "datasources" / "srm.yaml").read_text())
    providers = yaml.safe_load((PROVISIONING_DIR / "dashboards" / "srm.yaml").read_text())
    by_type = {source["type"]: source for source in datasources["datasources"]}

    assert set(by_type) == {"prometheus", "loki", "tempo"}
    [destination] = by_type["prometheus"]["jsonData"]["exemplarTraceIdDestinations"]
    assert destination == {
        "name": "trace_id",
        "datasourceUid": by_type["tempo"]["uid"],
        "urlDisplayLabel": "Trace of this round",
    }
    [derived] = by_type["loki"]["jsonData"]["derivedFields"]
    assert derived["matcherType"] == "label"
    assert derived["matcherRegex"] == "trace_id"
    [provider] = providers["providers"]
    assert provider["type"] == "file"


def test_substitution_matches_grafana_escaping() -> None:
    expr = 'x{srm_interval_name=~"$interval", srm_site=~"${site}"}[$__rate_interval]'
    selected = {**ALL_SELECTED, "interval": prometheus_regex_value("*X;2-to-*X;3")}

    assert substitute(expr, selected) == (
        'x{srm_interval_name=~"\\\\*X;2-to-\\\\*X;3", srm_site=~".*"}[2m]'
    )


# --- Demo studio data ----------------------------------------------------------

DEMO_SITE = "local"
DEMO_SERVICE = "studio-roundtime-monitor"
DEMO_MINUTES = 75
SCRAPE_STEP_S = 30
ROUND_TIMEOUT_S = 120.0

BUCKETS_S = (
    0.1,
    0.25,
    0.5,
    0.75,
    1,
    1.5,
    2,
    3,
    4,
    5,
    7.5,
    10,
    12.5,
    15,
    20,
    25,
    30,
    45,
    60,
    90,
    120,
)

INTERVALS = {
    "tableapi": [
        ("start-to-betstop", 5, 20),
        ("betstop-to-deal", 1, 5),
        ("deal-to-finish", 1, 3),
    ],
    "roulette": [("*X;2-to-*X;3", 5, 15), ("*X;3-to-*X;4", 0.5, 2), ("*X;4-to-*X;5", 1, 3)],
    "sicbo": [
        ("shakerShake-to-shakerStop", 8, 12),
        ("sendDetect-to-receiveResult", 0.5, 3),
        ("shakerS0-to-idpSend", 1, 4),
    ],
    "baccarat": [],
}
"""In-round intervals and the range their normal durations are drawn from."""

CROSS_ROUND = {
    "roulette": [("finish-to-start", 2, 5), ("*X;5-to-*X;2", 2, 5)],
    "sicbo": [
        ("finish-to-start", 2, 5),
        ("shakerStop-to-shakerShake", 1, 3),
        ("receiveResult-to-sendDetect", 1, 5),
    ],
    "baccarat": [("finish-to-start", 2, 5)],
}

EVENTS = {
    "roulette": ["tableapi_start", "tableapi_betstop", "roulette_x2", "roulette_x5"],
    "sicbo": ["tableapi_start", "sicbo_shaker_start", "sicbo_idp_receive", "tableapi_finish"],
    "baccarat": ["tableapi_start", "tableapi_betstop", "tableapi_deal", "tableapi_finish"],
}

DEMO_TABLES = (
    ("roulette", "PRD"),
    ("roulette", "VIP-01"),
    ("sicbo", "SBO-001"),
    ("baccarat", "BAC-01"),
)


@dataclass
class TableHistory:
    """What one simulated table reported, as (time, value) steps per series."""

    game: str
    table: str
    intervals: dict[str, list[tuple[float, float]]] = field(default_factory=dict)
    rounds: list[tuple[float, float | None]] = field(default_factory=list)
    """(start, duration) per round; duration None for an incomplete round."""
    out_of_range: list[tuple[float, str, str]] = field(default_factory=list)
    events: list[tuple[float, str, str]] = field(default_factory=list)


def simulate_table(
    game: str, table: str, start: float, end: float, rng: random.Random
) -> TableHistory:
    """Rounds back to back with realistic timings, a slow step now and then,
    one round in 25 stuck until the timeout, a duplicate event in one of 10."""
    history = TableHistory(game, table)
    expected = {name: (low, high) for name, low, high in INTERVALS["tableapi"] + INTERVALS[game]}
    expected.update({name: (low, high) for name, low, high in CROSS_ROUND[game]})
    now = start
    while now < end:
        round_start = now
        for name, low, high in INTERVALS["tableapi"] + INTERVALS[game]:
            duration = rng.uniform(low, high * 0.9)
            if rng.random() < 0.05:
                duration = high * rng.uniform(1.2, 2.0)
            now += duration
            history.intervals.setdefault(name, []).append((now, duration))
            if duration > expected[name][1]:
                history.out_of_range.append((now, name, "high"))
        for event in EVENTS[game]:
            outcome = "duplicate" if rng.random() < 0.1 else "accepted"
            history.events.append((round_start, event, outcome))
        if rng.random() < 0.04:
            history.rounds.append((round_start, None))
            now = round_start + ROUND_TIMEOUT_S
        else:
            history.rounds.append((round_start, now - round_start))
        for name, low, high in CROSS_ROUND[game]:
            duration = rng.uniform(low, high)
            history.intervals.setdefault(name, []).append((now + duration, duration))
        now += rng.uniform(2, 5)
    return history


def _labels(**labels: str) -> str:
    body = ",".join(f'{key}="{value}"' for key, value in labels.items())
    return "{" + body + "}"


def _cumulative(steps: list[tuple[float, float]], times: list[float]) -> list[float]:
    """Running total of step values at each scrape time."""
    steps = sorted(steps)
    totals, total, index = [], 0.0, 0
    for moment in times:
        while index < len(steps) and steps[index][0] <= moment:
            total += steps[index][1]
            index += 1
        totals.append(total)
    return totals


def _series_lines(name: str, labels: str, values: list[float], times: list[float]) -> Iterator[str]:
    for moment, value in zip(times, values, strict=True):
        yield f"{name}{labels} {value:.6g} {moment:.3f}"


def _histogram_lines(
    name: str, base: dict[str, str], observations: list[tuple[float, float]], times: list[float]
) -> Iterator[str]:
    for bound in (*BUCKETS_S, "+Inf"):
        limit = float("inf") if bound == "+Inf" else float(bound)
        steps = [(moment, 1.0) for moment, value in observations if value <= limit]
        labels = _labels(**base, le=str(float(bound)) if bound != "+Inf" else "+Inf")
        yield from _series_lines(f"{name}_bucket", labels, _cumulative(steps, times), times)
    count = [(moment, 1.0) for moment, _ in observations]
    yield from _series_lines(f"{name}_count", _labels(**base), _cumulative(count, times), times)
    yield from _series_lines(
        f"{name}_sum", _labels(**base), _cumulative(observations, times), times
    )


def demo_openmetrics(end: float) -> str:
    """The demo studio's metrics, every SCRAPE_STEP_S over DEMO_MINUTES, as OpenMetrics."""
    start = end - DEMO_MINUTES * 60
    times = [start + step * SCRAPE_STEP_S for step in range(DEMO_MINUTES * 60 // SCRAPE_STEP_S + 1)]
    rng = random.Random(20261203)
    histories = [simulate_table(game, table, start, end, rng) for game, table in DEMO_TABLES]
    scope = {"service_name": DEMO_SERVICE, "srm_site": DEMO_SITE}

    lines = ["# TYPE srm_interval_duration_seconds histogram"]
    for history in histories:
        for name, observations in sorted(history.intervals.items()):
            base = {**scope, "srm_game_type": history.game, "srm_table_id": history.table}
            base["srm_interval_name"] = name
            lines += _histogram_lines("srm_interval_duration_seconds", base, observations, times)

    lines.append("# TYPE srm_round_duration_seconds histogram")
    for history in histories:
        base = {**scope, "srm_game_type": history.game, "srm_table_id": history.table}
        completed = [(s + d, d) for s, d in history.rounds if d is not None]
        lines += _histogram_lines("srm_round_duration_seconds", base, completed, times)

    lines.append("# TYPE srm_rounds counter")
    for history in histories:
        for outcome in ("completed", "incomplete"):
            steps = [
                (s + (d if d is not None else ROUND_TIMEOUT_S), 1.0)
                for s, d in history.rounds
                if (d is None) == (outcome == "incomplete")
            ]
            labels = _labels(
                **scope,
                srm_game_type=history.game,
                srm_table_id=history.table,
                srm_round_outcome=outcome,
            )
            lines += _series_lines("srm_rounds_total", labels, _cumulative(steps, times), times)

    lines.append("# TYPE srm_interval_out_of_range counter")
    for history in histories:
        keys = sorted({(name, bound) for _, name, bound in history.out_of_range})
        for name, bound in keys:
            steps = [(m, 1.0) for m, n, b in history.out_of_range if (n, b) == (name, bound)]
            labels = _labels(
                **scope,
                srm_game_type=history.game,
                srm_table_id=history.table,
                srm_interval_name=name,
                srm_interval_bound=bound,
            )
            values = _cumulative(steps, times)
            lines += _series_lines("srm_interval_out_of_range_total", labels, values, times)

    lines.append("# TYPE srm_events counter")
    for history in histories:
        for event, outcome in sorted({(e, o) for _, e, o in history.events}):
            steps = [(m, 1.0) for m, e, o in history.events if (e, o) == (event, outcome)]
            labels = _labels(
                **scope,
                srm_game_type=history.game,
                srm_table_id=history.table,
                srm_event_name=event,
                srm_event_outcome=outcome,
            )
            lines += _series_lines("srm_events_total", labels, _cumulative(steps, times), times)

    lines.append("# TYPE srm_rounds_active gauge")
    for history in histories:
        labels = _labels(**scope, srm_game_type=history.game, srm_table_id=history.table)
        active = [
            1.0 if any(s <= t < s + (d or ROUND_TIMEOUT_S) for s, d in history.rounds) else 0.0
            for t in times
        ]
        lines += _series_lines("srm_rounds_active", labels, active, times)

    lines.append("# EOF")
    return "\n".join(lines) + "\n"


@dataclass
class DemoPrometheus:
    server: PrometheusServer
    at: float
    """Evaluation time: the end of the demo data."""

    def query(self, expr: str) -> list[dict[str, Any]]:
        return list(self.server.api("query", query=expr, time=f"{self.at:.3f}")["result"])


@pytest.fixture(scope="module")
def demo_prometheus(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DemoPrometheus]:
    workdir = tmp_path_factory.mktemp("demo-prometheus")
    end = float(int(time.time()) - 60)
    source = workdir / "demo.om.txt"
    source.write_text(demo_openmetrics(end), encoding="utf-8")
    backfill = subprocess.run(
        [
            promtool_path(),
            "tsdb",
            "create-blocks-from",
            "openmetrics",
            str(source),
            str(workdir / "tsdb"),
        ],
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert backfill.returncode == 0, backfill.stdout + backfill.stderr

    server = PrometheusServer(workdir, targets=[])
    server.start()
    try:
        yield DemoPrometheus(server, end)
    finally:
        server.stop()


# --- End-to-end: every query against the demo data ---------------------------


@pytest.mark.e2e
def test_every_dashboard_query_answers_with_data(demo_prometheus: DemoPrometheus) -> None:
    failures = []
    for title, target in targets(load_dashboard(), "prometheus"):
        expr = substitute(target["expr"], ALL_SELECTED)
        try:
            result = demo_prometheus.query(expr)
        except Exception as error:  # the failure message lists every broken panel
            failures.append(f"{title}: {expr}\n  {error}")
            continue
        if not result:
            failures.append(f"{title}: no data for {expr}")

    assert failures == []


@pytest.mark.e2e
def test_queries_narrowed_to_one_roulette_table_and_interval(
    demo_prometheus: DemoPrometheus,
) -> None:
    selected = {
        **ALL_SELECTED,
        "site": prometheus_regex_value(DEMO_SITE),
        "game": "roulette",
        "table": prometheus_regex_value("VIP-01"),
        "interval": prometheus_regex_value("*X;2-to-*X;3"),
    }
    answered = {}
    for title, target in targets(load_dashboard(), "prometheus"):
        result = demo_prometheus.query(substitute(target["expr"], selected))
        answered.setdefault(title, []).extend(result)

    for title in ("Round duration p50 / p95 per table", "Interval p95 per table"):
        labels = [sample["metric"] for sample in answered[title]]
        assert labels and all(label.get("srm_table_id") == "VIP-01" for label in labels), title
    heatmap = answered["Duration distribution: $interval"]
    assert {sample["metric"]["le"] for sample in heatmap} >= {"10.0", "15.0", "+Inf"}


@pytest.mark.e2e
def test_variable_queries_list_the_demo_studio(demo_prometheus: DemoPrometheus) -> None:
    found = variables(load_dashboard())
    listed = {}
    for name in ("site", "game", "table", "interval", "service"):
        match = re.fullmatch(r"label_values\((.+), (\w+)\)", found[name]["query"]["query"])
        assert match, found[name]["query"]["query"]
        selector = substitute(match.group(1), ALL_SELECTED)
        listed[name] = demo_prometheus.server.api(
            f"label/{match.group(2)}/values",
            **{"match[]": selector, "start": str(demo_prometheus.at - 3600)},
        )

    assert listed["site"] == [DEMO_SITE]
    assert listed["game"] == ["baccarat", "roulette", "sicbo"]
    assert listed["table"] == ["BAC-01", "PRD", "SBO-001", "VIP-01"]
    assert "*X;2-to-*X;3" in listed["interval"]
    assert listed["service"] == [DEMO_SERVICE]
