"""Site profiles and the systemd unit agree with the configurations.

Nothing here connects anywhere: ``validate`` only reads the configuration,
so the production addresses in the site files are never contacted.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.support.collector import BASE_CONFIG, OVERLAYS_DIR, validate

pytestmark = pytest.mark.e2e

COLLECTOR_DIR = Path(__file__).resolve().parents[2] / "collector"
SITES = {"ge": "GE", "tpe": "TPE"}
REQUIRED = {
    "SRM_SITE",
    "SRM_LOKI_ENDPOINT",
    "SRM_LOKI_TENANT",
    "SRM_OTLP_GRPC_LISTEN",
    "SRM_OTLP_HTTP_LISTEN",
    "SRM_PROMETHEUS_LISTEN",
    "SRM_HEALTH_LISTEN",
    "SRM_STORAGE_DIR",
}
UNIT_ONLY = {"SRM_COLLECTOR_OVERLAYS"}
"""Read by the systemd unit, not by a configuration."""


def read_env_file(path: Path) -> dict[str, str]:
    values = {}
    for line in path.read_text().splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            key, _, value = line.partition("=")
            values[key] = value
    return values


def referenced_variables() -> set[str]:
    texts = [BASE_CONFIG.read_text()] + [p.read_text() for p in OVERLAYS_DIR.glob("*.yaml")]
    return {name for text in texts for name in re.findall(r"\$\{env:(\w+)", text)}


@pytest.mark.parametrize("site", sorted(SITES))
def test_site_file_sets_the_documented_variables(site: str) -> None:
    values = read_env_file(COLLECTOR_DIR / "sites" / f"{site}.env")
    assert set(values) >= REQUIRED
    assert set(values) - UNIT_ONLY <= referenced_variables()
    assert values["SRM_SITE"] == SITES[site]


@pytest.mark.parametrize("site", sorted(SITES))
def test_base_config_validates_with_site_file(site: str) -> None:
    values = read_env_file(COLLECTOR_DIR / "sites" / f"{site}.env")
    result = validate((), values)
    assert result.returncode == 0, result.stderr


def test_systemd_unit_reads_the_site_file() -> None:
    unit = (COLLECTOR_DIR / "systemd" / "otelcol-srm.service").read_text()
    assert "EnvironmentFile=/etc/otelcol-srm/site.env" in unit
    assert "--config=/etc/otelcol-srm/otel-collector-config.yaml $SRM_COLLECTOR_OVERLAYS" in unit
    assert "StateDirectory=otelcol-srm" in unit
