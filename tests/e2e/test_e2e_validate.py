"""``otelcol-srm validate`` accepts the base config and every overlay combination."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.collector import (
    DEPENDENT_OVERLAYS,
    INDEPENDENT_OVERLAYS,
    overlay_combinations,
    overlay_path,
    validate,
)

pytestmark = pytest.mark.e2e

REPO_ROOT = Path(__file__).resolve().parents[2]

# Validation must not depend on the machine: every variable without a default
# gets a loopback value here. No production address is ever used by tests.
VALIDATE_ENV = {
    "SRM_SITE_COLLECTOR_ENDPOINT": "127.0.0.1:14317",
    "SRM_SITE_COLLECTOR_TOKEN": "validate-only",
    "SRM_STORAGE_DIR": "/nonexistent/validate-only",
}

COMBINATIONS = list(overlay_combinations())


def test_every_overlay_file_is_covered() -> None:
    on_disk = {path.stem for path in (REPO_ROOT / "collector" / "overlays").glob("*.yaml")}
    assert on_disk == set(INDEPENDENT_OVERLAYS) | set(DEPENDENT_OVERLAYS)
    assert all(overlay_path(name).is_file() for name in on_disk)


@pytest.mark.parametrize("overlays", COMBINATIONS, ids=lambda c: "+".join(c) or "base")
def test_validate_accepts(overlays: tuple[str, ...]) -> None:
    result = validate(overlays, VALIDATE_ENV)
    assert result.returncode == 0, result.stderr


def test_agent_without_site_endpoint_is_rejected() -> None:
    result = validate(("agent",), {})
    assert result.returncode != 0
    assert 'otlp_grpc/site: requires a non-empty "endpoint"' in result.stderr
