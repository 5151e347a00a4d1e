"""``srm-otel run`` in-process (everything short of the exec) and the entry points."""

from __future__ import annotations

import os
from importlib.metadata import entry_points
from pathlib import Path

import pytest
from opentelemetry.instrumentation import auto_instrumentation

from srm_otel.auto import SrmConfigurator, SrmDistro, SrmHooksInstrumentor
from srm_otel.cli import build_parser
from srm_otel.cli.run_command import program_environment, run

SITECUSTOMIZE_DIR = os.path.dirname(os.path.abspath(auto_instrumentation.__file__))


def test_the_entry_points_load_the_srm_classes() -> None:
    loaded = {
        group: {ep.name: ep.load() for ep in entry_points(group=group)}
        for group in ("opentelemetry_distro", "opentelemetry_configurator")
    }
    instrumentors = {ep.name: ep.load() for ep in entry_points(group="opentelemetry_instrumentor")}

    assert loaded == {
        "opentelemetry_distro": {"srm": SrmDistro},
        "opentelemetry_configurator": {"srm": SrmConfigurator},
    }
    assert instrumentors["srm_hooks"] is SrmHooksInstrumentor


@pytest.mark.parametrize(
    "argv",
    [
        ["run", "--config", "srm.yaml", "--", "python", "studio.py", "--table", "PRD"],
        ["run", "--config", "srm.yaml", "python", "studio.py", "--table", "PRD"],
    ],
)
def test_the_program_and_its_options_are_kept_apart_from_ours(argv: list[str]) -> None:
    args = build_parser().parse_args(argv)

    assert (args.command, args.config) == ("run", "srm.yaml")
    assert [a for a in args.program if a != "--"] == ["python", "studio.py", "--table", "PRD"]


def test_the_program_environment_puts_the_sitecustomize_first(tmp_path: Path) -> None:
    config = tmp_path / "srm.yaml"
    environ = {"PATH": "/usr/bin", "PYTHONPATH": f"/opt/vendor{os.pathsep}{os.getcwd()}"}

    env = program_environment(environ, config)

    assert env == {
        "PATH": "/usr/bin",
        "PYTHONPATH": os.pathsep.join([SITECUSTOMIZE_DIR, os.getcwd(), "/opt/vendor"]),
        "OTEL_PYTHON_DISTRO": "srm",
        "OTEL_PYTHON_CONFIGURATOR": "srm",
        "SRM_CONFIG": str(config),
    }


def test_run_refuses_a_missing_program_or_command(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.chdir(tmp_path)  # no ./srm.yaml here: the defaults are valid
    monkeypatch.delenv("SRM_CONFIG", raising=False)
    parser = build_parser()

    codes = [
        run(parser.parse_args(["run", "--"])),
        run(parser.parse_args(["run", "--", "no-such-studio-program-xyz"])),
    ]

    assert codes == [1, 127]
    assert capsys.readouterr().err.splitlines() == [
        "srm-otel run: name the program after --, e.g. -- python studio.py",
        "srm-otel run: no-such-studio-program-xyz: command not found",
    ]
