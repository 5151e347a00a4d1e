"""The Prometheus recording and alert rules in collector/prometheus/.

promtool checks the rule files and runs their unit tests (the *.test.yaml
files beside them), whose input series make each alert fire and stay quiet.
These tests also pin that the rules read only the contract's metric names.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

REPO_ROOT = Path(__file__).resolve().parents[1]
RULES_DIR = REPO_ROOT / "collector" / "prometheus"
RULE_FILES = sorted(RULES_DIR.glob("srm-*.yaml"))
UNIT_TEST_FILES = sorted((RULES_DIR / "tests").glob("*.test.yaml"))

PROMTOOL_TIMEOUT_S = 120

CONTRACT_METRICS = frozenset(
    {
        "srm_interval_duration_seconds_bucket",
        "srm_interval_duration_seconds_sum",
        "srm_interval_duration_seconds_count",
        "srm_round_duration_seconds_bucket",
        "srm_round_duration_seconds_sum",
        "srm_round_duration_seconds_count",
        "srm_rounds_total",
        "srm_interval_out_of_range_total",
        "srm_events_total",
        "srm_rounds_active",
    }
)
"""Series names the library and the collector export (DOMAIN.md, telemetry contract)."""

CONTRACT_LABELS = frozenset(
    {
        "srm_site",
        "srm_game_type",
        "srm_table_id",
        "srm_interval_name",
        "srm_interval_bound",
        "srm_round_outcome",
        "srm_event_name",
        "srm_event_outcome",
    }
)
"""Label names the contract's attributes become in Prometheus."""

_IDENTIFIER = re.compile(r"[A-Za-z_:][A-Za-z0-9_:]*")
_QUOTED = re.compile(r'"(?:[^"\\]|\\.)*"')


def promtool_path() -> str:
    """promtool from Debian's prometheus package; a failure, never a skip, without it."""
    path = shutil.which("promtool")
    if path is None:
        pytest.fail(
            "promtool is not installed: run `make prometheus` (make test does it first)",
            pytrace=False,
        )
    return path


def run_promtool(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [promtool_path(), *args],
        capture_output=True,
        text=True,
        timeout=PROMTOOL_TIMEOUT_S,
        cwd=RULES_DIR,
        check=False,
    )


def load_yaml(path: Path) -> Any:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def all_rules() -> list[dict[str, Any]]:
    return [
        rule
        for path in RULE_FILES
        for group in load_yaml(path)["groups"]
        for rule in group["rules"]
    ]


def srm_identifiers(expr: str) -> set[str]:
    """Identifiers starting with ``srm_`` in a PromQL expression, outside strings."""
    unquoted = _QUOTED.sub('""', expr)
    return {word for word in _IDENTIFIER.findall(unquoted) if word.startswith("srm_")}


def test_rule_files_are_present() -> None:
    names = [path.name for path in RULE_FILES]

    assert names == ["srm-alert-rules.yaml", "srm-recording-rules.yaml", "srm-thresholds.yaml"]
    assert [path.name for path in UNIT_TEST_FILES] == [
        "alert-rules.test.yaml",
        "recording-rules.test.yaml",
    ]


def test_promtool_check_rules_accepts_every_rule_file() -> None:
    result = run_promtool("check", "rules", *(path.name for path in RULE_FILES))

    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.count("SUCCESS") == len(RULE_FILES), result.stdout


@pytest.mark.parametrize("test_file", UNIT_TEST_FILES, ids=lambda path: path.name)
def test_promtool_unit_tests_pass(test_file: Path) -> None:
    result = run_promtool("test", "rules", str(test_file.relative_to(RULES_DIR)))

    assert result.returncode == 0, result.stdout + result.stderr
    assert "SUCCESS" in result.stdout, result.stdout


def test_every_alert_is_tested_firing_and_quiet() -> None:
    alerts = {rule["alert"] for rule in all_rules() if "alert" in rule}
    cases = [
        case
        for path in UNIT_TEST_FILES
        for group in load_yaml(path)["tests"]
        for case in group.get("alert_rule_test", [])
    ]

    firing = {case["alertname"] for case in cases if case.get("exp_alerts")}
    quiet = {case["alertname"] for case in cases if not case.get("exp_alerts")}

    assert alerts == {
        "SrmIntervalSlow",
        "SrmTableSilent",
        "SrmRoundsIncomplete",
        "SrmEventsRejected",
    }
    assert firing == alerts
    assert quiet == alerts


def test_rules_read_only_contract_metrics_and_labels() -> None:
    used = set().union(*(srm_identifiers(rule["expr"]) for rule in all_rules()))

    assert used - CONTRACT_METRICS - CONTRACT_LABELS == set()
    assert {"srm_interval_duration_seconds_bucket", "srm_rounds_total", "srm_events_total"} <= used


def test_every_expected_high_names_a_distinct_interval() -> None:
    thresholds = [
        rule
        for rule in all_rules()
        if rule.get("record") == "interval:srm_interval_expected_high_seconds:default"
    ]
    intervals = [rule["labels"]["srm_interval_name"] for rule in thresholds]

    assert len(intervals) == len(set(intervals)) == 12
    assert "shakerS0-to-idpSend" not in intervals
