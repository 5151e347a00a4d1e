"""``srm-otel init``: a commented starter srm.yaml that ``srm-otel check`` accepts."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from srm_otel import _config
from srm_otel.cli import main

pytestmark = pytest.mark.usefixtures("isolated_settings")


def test_without_a_site_it_writes_a_metrics_only_config_that_check_accepts(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["init"]) == 0

    text = (tmp_path / "srm.yaml").read_text()
    assert text.startswith("# srm-otel configuration")
    assert yaml.safe_load(text) == {
        "service_name": "studio-roundtime-monitor",
        "otlp": {"protocol": "grpc"},
        "prometheus": {"host": "127.0.0.1", "port": 9464},
        "rounds": {"timeout_s": 300},
    }
    capsys.readouterr()
    assert main(["check"]) == 0
    assert "configuration from file srm.yaml is valid" in capsys.readouterr().out


@pytest.mark.parametrize(("site", "address"), [("GE", "100.64.0.113"), ("tpe", "100.64.0.160")])
def test_a_site_config_resolves_to_the_sites_collector(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], site: str, address: str
) -> None:
    assert main(["init", "--site", site, "--output", "site.yaml"]) == 0

    settings = _config.load(tmp_path / "site.yaml")
    assert (settings.site, settings.otlp.endpoint) == (site.upper(), f"http://{address}:4317")
    assert f"site: {site.upper()}" in (tmp_path / "site.yaml").read_text()
    capsys.readouterr()
    assert main(["check", "--config", "site.yaml", "--no-probe"]) == 0
    assert f"OTLP endpoint: http://{address}:4317 (grpc)" in capsys.readouterr().out


def test_it_refuses_to_overwrite_unless_forced(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    existing = tmp_path / "srm.yaml"
    existing.write_text("site: TPE\n")

    assert main(["init", "--site", "GE"]) == 1
    assert capsys.readouterr().err == (
        "srm-otel init: srm.yaml exists; use --force to overwrite it\n"
    )
    assert existing.read_text() == "site: TPE\n"

    assert main(["init", "--site", "GE", "--force"]) == 0
    assert yaml.safe_load(existing.read_text())["site"] == "GE"


def test_every_example_in_the_comments_is_valid_when_uncommented() -> None:
    from srm_otel.cli.init_command import starter_config

    text = starter_config("GE")
    start = text.index("# games:")
    example = "\n".join(line[2:] for line in text[start:].splitlines() if line.startswith("#"))

    settings = _config.load(yaml.safe_load(example))

    assert settings.games["baccarat"]["squeeze"].expected_s == (3.0, 12.0)
    assert settings.games["roulette"]["start-to-betstop"].expected_s == (5.0, 25.0)


def test_an_unknown_site_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["init", "--site", "MNL"])

    assert exit_info.value.code == 2
    assert "invalid choice: 'MNL'" in capsys.readouterr().err
