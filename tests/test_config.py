"""Configuration: files, dicts, site profiles, OTEL_* overrides and the errors users see.

Site addresses appear here only as expected strings: nothing is contacted.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

import srm_otel
from srm_otel import _api
from srm_otel._config import ConfigError, load
from srm_otel._profiles import IntervalSpec, build_profiles
from srm_otel.testing import capture
from tests.studio import play

pytestmark = pytest.mark.usefixtures("isolated_settings")


def problems(config: Any) -> list[str]:
    with pytest.raises(ConfigError) as raised:
        load(config)
    return raised.value.problems


def test_defaults_serve_metrics_in_process_without_a_collector() -> None:
    settings = load(None)

    assert (settings.service_name, settings.site, settings.otlp.endpoint) == (
        "studio-roundtime-monitor",
        None,
        None,
    )
    assert settings.prometheus_enabled
    assert (settings.prometheus.host, settings.prometheus.port) == ("127.0.0.1", 9464)
    assert settings.rounds.timeout_s == 300.0


@pytest.mark.parametrize(
    ("site", "protocol", "endpoint"),
    [
        ("GE", "grpc", "http://100.64.0.113:4317"),
        ("ge", "http/protobuf", "http://100.64.0.113:4318"),
        ("TPE", "grpc", "http://100.64.0.160:4317"),
    ],
)
def test_site_profiles_give_their_collector_endpoint(
    site: str, protocol: str, endpoint: str
) -> None:
    settings = load({"site": site, "otlp": {"protocol": protocol}})

    assert (settings.site, settings.otlp.endpoint) == (site.upper(), endpoint)
    assert not settings.prometheus_enabled


def test_custom_site_needs_an_endpoint_or_local_metrics() -> None:
    assert problems({"site": "MNL"}) == [
        "site: 'MNL' is not GE or TPE, so it has no default collector; set otlp.endpoint, "
        "or prometheus.enabled: true to serve /metrics only"
    ]
    assert load({"site": "MNL", "otlp": {"endpoint": "http://127.0.0.1:4317"}}).site == "MNL"
    assert load({"site": "MNL", "prometheus": {"enabled": True}}).otlp.endpoint is None


def test_every_problem_is_reported_at_once_with_key_value_and_rule() -> None:
    found = problems(
        {
            "servce_name": "x",
            "otlp": {"endpoint": "127.0.0.1:4317", "protocol": "udp"},
            "prometheus": {"port": 70000, "enabled": "yes"},
            "rounds": {"timeout_s": -5, "max_tables": 1.5},
        }
    )

    assert found == [
        "servce_name: unknown key; did you mean 'service_name'?",
        "otlp.endpoint: '127.0.0.1:4317' must be a URL with scheme, host and port, "
        "e.g. http://127.0.0.1:4317",
        "otlp.protocol: 'udp' must be one of grpc, http/protobuf",
        "prometheus.port: 70000 must be a port number from 0 (any free port) to 65535",
        "prometheus.enabled: 'yes' must be true or false",
        "rounds.timeout_s: -5 must be a number > 0",
        "rounds.max_tables: 1.5 is not a whole number >= 1",
    ]


def test_configure_raises_one_error_naming_the_key() -> None:
    with pytest.raises(
        ConfigError, match=r"rounds\.timout_s: unknown key; did you mean 'timeout_s'"
    ):
        srm_otel.configure({"rounds": {"timout_s": 10}})

    assert _api.get_runtime() is None


def test_game_intervals_can_be_changed_added_and_new_games_defined() -> None:
    settings = load(
        {
            "games": {
                "roulette": {"intervals": {"start-to-betstop": {"expected_s": [4, 25]}}},
                "sicbo": {
                    "intervals": {
                        "stop-to-s0": {
                            "from": "sicbo_shaker_stop",
                            "to": "sicbo_shaker_s0",
                            "expected_s": [0.1, 2],
                        }
                    }
                },
                "blackjack": {
                    "intervals": {
                        "start-to-finish": {"from": "tableapi_start", "to": "tableapi_finish"}
                    }
                },
            }
        }
    )

    profiles = build_profiles(settings.games)
    roulette = {s.name: s for s in profiles["roulette"].intervals}
    assert roulette["start-to-betstop"] == IntervalSpec(
        "start-to-betstop", "tableapi_start", "tableapi_betstop", (4.0, 25.0)
    )
    assert len(roulette) == 8
    assert "stop-to-s0" in {s.name for s in profiles["sicbo"].intervals}
    blackjack = {s.name for s in profiles["blackjack"].intervals}
    assert blackjack == {
        "start-to-betstop",
        "betstop-to-deal",
        "deal-to-finish",
        "finish-to-start",
        "start-to-finish",
    }


def test_configured_range_changes_what_counts_as_out_of_range() -> None:
    config = {"games": {"roulette": {"intervals": {"start-to-betstop": {"expected_s": [1, 10]}}}}}
    with capture(config) as telemetry:
        play(telemetry, "roulette", "PRD", "r1", [("tableapi_start", 0), ("tableapi_betstop", 12)])

        assert telemetry.counter("srm.interval.out_of_range", bound="high") == 1


@pytest.mark.parametrize(
    ("interval", "expected"),
    [
        ({"from": "a", "to": "b", "expected_s": [5, 2]}, "must satisfy 0 <= low < high"),
        ({"from": "a", "to": "b", "expected_s": [-1, 2]}, "must satisfy 0 <= low < high"),
        ({"from": "a", "to": "b", "expected_s": [1]}, "must be a pair of seconds"),
        ({"from": "a", "to": "b", "expected_s": ["1", 2]}, "must be a pair of seconds"),
        ({"from": "a"}, "missing; name the event"),
        ({"from": "a", "to": "a"}, "an interval needs two events"),
        ({"from": "a", "to": "b", "scope": "day"}, "must be 'round' or 'cross-round'"),
        ({"from": "a", "to": "b", "expetced_s": [1, 2]}, "did you mean 'expected_s'?"),
    ],
)
def test_bad_interval_definitions_name_the_key(interval: dict[str, Any], expected: str) -> None:
    [problem] = problems({"games": {"craps": {"intervals": {"roll": interval}}}})

    assert problem.startswith("games.craps.intervals.roll")
    assert expected in problem


def test_yaml_file_from_path_from_srm_config_and_from_the_working_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "site.yaml"
    path.write_text("service_name: from-path\nrounds:\n  timeout_s: 60\n")
    assert load(path).service_name == "from-path"

    monkeypatch.setenv("SRM_CONFIG", str(path))
    assert load(None).rounds.timeout_s == 60.0

    monkeypatch.delenv("SRM_CONFIG")
    (tmp_path / "srm.yaml").write_text("service_name: from-cwd\n")
    assert load(None).service_name == "from-cwd"


def test_unreadable_and_broken_files_give_one_clear_error(tmp_path: Path) -> None:
    assert problems(tmp_path / "missing.yaml") == [
        "cannot read the file: No such file or directory"
    ]

    broken = tmp_path / "broken.yaml"
    broken.write_text("otlp:\n  endpoint: [unclosed\n")
    [problem] = problems(broken)
    assert problem.startswith("not valid YAML at line 3")

    listed = tmp_path / "list.yaml"
    listed.write_text("- a\n- b\n")
    assert problems(listed) == ["top level: must be a mapping, got ['a', 'b']"]


def test_otel_variables_override_the_file(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OTEL_SERVICE_NAME", "env-name")
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:14318")
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf")
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_HEADERS", "authorization=Bearer%20s3cret,x-a=b")
    monkeypatch.setenv("OTEL_EXPORTER_PROMETHEUS_HOST", "0.0.0.0")
    monkeypatch.setenv("OTEL_EXPORTER_PROMETHEUS_PORT", "19464")
    monkeypatch.setenv("OTEL_RESOURCE_ATTRIBUTES", "srm.site=LAB,deployment.environment=test")

    settings = load({"service_name": "file-name", "site": "GE", "otlp": {"protocol": "grpc"}})

    assert settings.service_name == "env-name"
    assert settings.otlp.endpoint == "http://127.0.0.1:14318"
    assert settings.otlp.protocol == "http/protobuf"
    assert dict(settings.otlp.headers) == {"authorization": "Bearer s3cret", "x-a": "b"}
    assert (settings.prometheus.host, settings.prometheus.port) == ("0.0.0.0", 19464)
    assert settings.resource_attributes == {"srm.site": "LAB", "deployment.environment": "test"}


def test_prometheus_port_zero_from_the_environment_means_any_free_port(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("OTEL_EXPORTER_PROMETHEUS_PORT", "0")

    assert load({"prometheus": {"port": 9999}}).prometheus.port == 0


def test_srm_site_variable_chooses_the_site(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SRM_SITE", "tpe")

    settings = load({"site": "GE"})

    assert (settings.site, settings.otlp.endpoint) == ("TPE", "http://100.64.0.160:4317")


@pytest.mark.parametrize("site_from", ["file", "environment"])
def test_site_endpoint_follows_the_protocol_from_the_environment(
    monkeypatch: pytest.MonkeyPatch, site_from: str
) -> None:
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf")
    if site_from == "environment":
        monkeypatch.setenv("SRM_SITE", "GE")

    settings = load({"site": "GE" if site_from == "file" else "TPE"})

    assert settings.otlp.endpoint == "http://100.64.0.113:4318"


def test_bad_environment_values_name_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OTEL_EXPORTER_PROMETHEUS_PORT", "http")
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_PROTOCOL", "thrift")

    assert problems({}) == [
        "OTEL_EXPORTER_OTLP_PROTOCOL: 'thrift' must be one of grpc, http/protobuf",
        "OTEL_EXPORTER_PROMETHEUS_PORT: 'http' must be a port number from 0 (any free port) "
        "to 65535",
    ]
