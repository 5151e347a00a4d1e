"""The Grafana dashboard and provisioning files in collector/grafana/.

The static tests read the dashboard JSON: datasource and filter variables,
the panels operators asked for, and only the contract's names in queries.
The end-to-end test runs every PromQL expression of the dashboard, with its
template variables filled in as Grafana would, against a real Prometheus
holding demo studio data, and checks that each answers without error and
with data.

Demo data: the library's own simulated studio (srm_otel.simulation: two
roulette tables, sic bo and baccarat, with slow steps, repeated events and
stuck rounds) reports through srm_otel in a subprocess that serves /metrics
in-process; the real Prometheus of tests/support scrapes it every second and
runs the rules of collector/prometheus/.
"""

from __future__ import annotations

import json
import math
import os
import re
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

import srm_otel
from srm_otel.simulation import Studio

# tests/ has no __init__.py: make ``tests.support`` importable however pytest started.
_REPO_ROOT = str(Path(__file__).resolve().parents[1])
if _REPO_ROOT not in sys.path:
    sys.path.insert(0, _REPO_ROOT)

from tests.support.net import free_port, wait_for_http_ok  # noqa: E402
from tests.support.process import ServerProcess  # noqa: E402
from tests.support.prometheus import PrometheusServer  # noqa: E402
from tests.test_prometheus_rules import (  # noqa: E402
    CONTRACT_LABELS,
    CONTRACT_METRICS,
    RULE_FILES,
    srm_identifiers,
)

GRAFANA_DIR = Path(_REPO_ROOT) / "collector" / "grafana"
DASHBOARD_PATH = GRAFANA_DIR / "dashboards" / "srm-round-times.json"
PROVISIONING_DIR = GRAFANA_DIR / "provisioning"
MIGRATION_DOC = Path(_REPO_ROOT) / "docs" / "migration.md"

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

GRAFANA_INTERVALS = {"__rate_interval": "20s", "__interval": "5s", "__range": "5m"}
"""Grafana's built-in variables as it fills them for a short range over one-second scrapes,
the demo's scrape interval."""


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
    found = all_panels(load_dashboard())
    panels = {panel["title"]: panel for panel in found}

    assert len(panels) == len(found), "panel titles must be unique"
    assert {
        "Round duration p50 / p95 per table",
        "Interval p95 per table",
        "Interval p50 per table",
        "Intervals by table over the time range",
        "Out-of-range intervals per table",
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


def test_provisioning_links_exemplars_and_log_lines_to_traces() -> None:
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
        'x{srm_interval_name=~"\\\\*X;2-to-\\\\*X;3", srm_site=~".*"}[20s]'
    )


# --- Demo studio data ----------------------------------------------------------

DEMO_SITE = "local"
DEMO_SERVICE = "studio-roundtime-monitor"
DEMO_TABLES = 4
"""The first four tables of srm_otel.simulation's lineup: PRD, VIP-01, SBO-001, BAC-001."""
DEMO_SEED = 7
DEMO_SPEED = 60.0
"""Studio seconds per real second: a round of a table about every second."""
STUCK_ROUND_TIMEOUT_S = 25.0
"""rounds.timeout_s of the demo: a stuck round turns incomplete 25 real seconds after it
opens. It also caps the gap a cross-round interval may span in event time, so it must
exceed the simulation's normal cross-round intervals (about 20 s at most)."""
MIN_SCRAPES = 20
"""Scrapes of the demo to wait for before querying: enough for 20-second rates."""
DEMO_READY_TIMEOUT_S = 90.0
DEMO_MAX_RUN_S = 280.0
"""The demo studio stops by itself after this, should the test process die first."""


def run_demo_studio(port: int) -> None:
    """Serve /metrics on 127.0.0.1:<port> and play the simulated studio until killed.

    Runs in its own process (the test starts it with ``python -c``), so the
    library's global set-up never touches the test process. The studio is
    srm_otel.simulation's, as ``srm-otel demo`` plays it: slow steps, repeated
    events and stuck rounds among normal ones. Its events carry past
    timestamps and are reported DEMO_SPEED times faster than they happened.
    """
    srm_otel.configure(
        {
            "site": DEMO_SITE,
            "prometheus": {"enabled": True, "host": "127.0.0.1", "port": port},
            "rounds": {"timeout_s": STUCK_ROUND_TIMEOUT_S},
        }
    )
    began = time.monotonic()
    start = time.time() - DEMO_MAX_RUN_S * DEMO_SPEED
    for event in Studio.with_tables(DEMO_TABLES, seed=DEMO_SEED).events(start):
        elapsed = time.monotonic() - began
        if elapsed > DEMO_MAX_RUN_S:
            break
        time.sleep(max(0.0, (event.timestamp - start) / DEMO_SPEED - elapsed))
        event.report()


@dataclass
class DemoPrometheus:
    """A real Prometheus scraping a simulated studio that reports through srm_otel."""

    server: PrometheusServer

    def query(self, expr: str, at: float | None = None) -> list[dict[str, Any]]:
        """Instant query, now or at POSIX time ``at``."""
        if at is None:
            return self.server.query(expr)
        return list(self.server.api("query", query=expr, time=f"{at:.3f}")["result"])

    def label_values(self, label: str, selector: str) -> list[str]:
        start = str(time.time() - 600)
        return list(
            self.server.api(f"label/{label}/values", **{"match[]": selector, "start": start})
        )


DEMO_TROUBLE = (
    'srm_rounds_total{srm_round_outcome="incomplete"}',
    'srm_events_total{srm_event_outcome="duplicate"}',
    "srm_interval_out_of_range_total",
    'srm_interval_duration_seconds_count{srm_interval_name="finish-to-start"}',
)
"""Series every panel needs: each kind of trouble, and a cross-round interval."""

DEMO_READY_CHECKS = (
    f"count_over_time(srm_rounds_active[1m]) >= {MIN_SCRAPES}",
    *(f"count_over_time(({series} > 0)[1m:1s]) >= 3" for series in DEMO_TROUBLE),
)
"""Enough scrapes in all, and each trouble series above zero for a few seconds, so that
rates see it (srm_otel starts srm_rounds_total at 0 for every outcome of a new table)."""


def wait_for_demo_data(prometheus: PrometheusServer, studio: ServerProcess) -> None:
    deadline = time.monotonic() + DEMO_READY_TIMEOUT_S
    missing = list(DEMO_READY_CHECKS)
    while missing and time.monotonic() < deadline:
        missing = [check for check in missing if not prometheus.query(check)]
        time.sleep(0.5)
    if missing:
        pytest.fail(
            f"demo data still lacks {missing} after {DEMO_READY_TIMEOUT_S:.0f} s\n"
            f"studio log:\n{studio.log_tail()}"
        )


@pytest.fixture(scope="module")
def demo_prometheus(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DemoPrometheus]:
    workdir = tmp_path_factory.mktemp("demo-studio")
    port = free_port()
    code = (
        f"import sys; sys.path.insert(0, {_REPO_ROOT!r}); "
        f"from tests.test_grafana_dashboard import run_demo_studio; run_demo_studio({port})"
    )
    # A clean environment: no OTEL_* or SRM_* setting of this machine reaches the demo.
    env = {"PATH": os.environ.get("PATH", ""), "HOME": str(workdir), "LANG": "C.UTF-8"}
    studio = ServerProcess(
        "demo-studio", [sys.executable, "-c", code], workdir / "studio.log", env=env, cwd=workdir
    )
    with studio:
        try:
            wait_for_http_ok(f"http://127.0.0.1:{port}/metrics", timeout=60)
        except TimeoutError:
            pytest.fail(f"the demo studio did not serve /metrics:\n{studio.log_tail()}")
        prometheus = PrometheusServer(workdir / "prometheus", [f"127.0.0.1:{port}"])
        load_rule_files(prometheus)
        with prometheus:
            wait_for_demo_data(prometheus, studio)
            yield DemoPrometheus(prometheus)


def load_rule_files(server: PrometheusServer) -> None:
    """Add collector/prometheus/ to the configuration the server wrote, before it starts.

    tests/support's PrometheusServer takes scrape targets only; the site's
    Prometheus runs these rules next to the dashboard's queries, so the demo
    one does too.
    """
    config_path = server.workdir / "prometheus.yml"
    config = yaml.safe_load(config_path.read_text(encoding="utf-8"))
    config["rule_files"] = [str(path) for path in RULE_FILES]
    config_path.write_text(yaml.safe_dump(config), encoding="utf-8")


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
        elif "histogram_quantile" in expr and not any(
            math.isfinite(float(sample["value"][1])) for sample in result
        ):
            failures.append(f"{title}: no finite quantile from {expr}")

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
        listed[name] = demo_prometheus.label_values(match.group(2), selector)

    assert listed["site"] == [DEMO_SITE]
    assert listed["game"] == ["baccarat", "roulette", "sicbo"]
    assert listed["table"] == ["BAC-001", "PRD", "SBO-001", "VIP-01"]
    assert "*X;2-to-*X;3" in listed["interval"]
    assert listed["service"] == [DEMO_SERVICE]


@pytest.mark.e2e
def test_rules_evaluate_on_the_library_metrics(demo_prometheus: DemoPrometheus) -> None:
    groups = demo_prometheus.server.api("rules")["groups"]
    unhealthy = [
        (rule["name"], rule.get("lastError"))
        for group in groups
        for rule in group["rules"]
        if rule["health"] != "ok"
    ]
    prd = 'srm_site="local", srm_table_id="PRD", srm_interval_name="start-to-betstop"'
    legacy = 'game_type="roulette", table="PRD", interval_type="start-to-betstop"'

    assert len(groups) == 5
    assert unhealthy == []
    assert demo_prometheus.query(f"table_interval:srm_interval_duration_seconds:p95_5m{{{prd}}}")
    assert demo_prometheus.query(
        f'interval_duration_avg{{job="studio-roundtime-monitor", {legacy}}}'
    )
    [threshold] = demo_prometheus.query(
        f"table_interval:srm_interval_expected_high_seconds:effective{{{prd}}}"
    )
    assert threshold["value"][1] == "20"
    assert demo_prometheus.query('ALERTS{alertname="SrmRoundsIncomplete", alertstate="firing"}')


def migration_doc_promql() -> list[str]:
    """The srm-otel column of the PromQL table in docs/migration.md."""
    text = MIGRATION_DOC.read_text(encoding="utf-8")
    table = text.split("PromQL, old and new", 1)[1].split("\n\n", 2)[1]
    queries = []
    for row in table.splitlines()[2:]:
        last_cell = row.replace("\\|", "\0").split("|")[-2].replace("\0", "|")
        queries += [code for code in re.findall(r"`([^`]+)`", last_cell) if "srm_" in code]
    return queries


@pytest.mark.e2e
def test_migration_doc_promql_runs_on_the_library_metrics(
    demo_prometheus: DemoPrometheus,
) -> None:
    queries = [query for query in migration_doc_promql() if "..." not in query]  # LogQL
    failures = []
    for query in queries:
        try:
            demo_prometheus.query(query)
        except Exception as error:  # the failure message lists every broken query
            failures.append(f"{query}\n  {error}")

    assert len(queries) >= 8
    assert failures == []


@pytest.mark.e2e
def test_range_counts_include_each_series_first_increment(demo_prometheus: DemoPrometheus) -> None:
    """The whole demo lies within the five-minute range, so each count equals the counters'
    totals, first increments included (increase() alone would miss those)."""
    panels = {title: target for title, target in targets(load_dashboard(), "prometheus")}
    totals = {
        "Incomplete rounds": 'sum(srm_rounds_total{srm_round_outcome="incomplete"})',
        "Out-of-range intervals": "sum(srm_interval_out_of_range_total)",
        "Rejected events": 'sum(srm_events_total{srm_event_outcome!="accepted"})',
    }
    at = time.time()

    for title, total in totals.items():
        expr = substitute(panels[title]["expr"], ALL_SELECTED)
        [counted] = demo_prometheus.query(expr, at)
        [expected] = demo_prometheus.query(total, at)
        assert float(counted["value"][1]) == float(expected["value"][1]), title
