"""The broken-config corpus: one clear message and exit 1 from ``srm-otel check``,
and a ConfigError naming the key from ``configure()``.

Each file in ``configs/`` starts with ``# problem: <text>``: the key path (or,
for files that cannot be parsed at all, the kind of fault) that its single
message must name.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

import srm_otel
from srm_otel import ConfigError, _api
from srm_otel.cli import main
from srm_otel.testing import environ_without_otel

CORPUS = Path(__file__).parent / "configs"
CORPUS_FILES = sorted(CORPUS.glob("*.yaml"))


def expected_problem(path: Path) -> str:
    first_line = path.read_bytes().split(b"\n", 1)[0].decode()
    assert first_line.startswith("# problem: "), f"{path.name} lacks its '# problem:' line"
    return first_line.removeprefix("# problem: ")


pytestmark = pytest.mark.usefixtures("isolated_settings")


def test_the_corpus_covers_each_kind_of_fault() -> None:
    problems = {expected_problem(path) for path in CORPUS_FILES}
    assert len(CORPUS_FILES) >= 20
    for kind in ("not valid YAML", "not UTF-8", "top level", "site", "otlp.endpiont"):
        assert kind in problems


@pytest.mark.parametrize("path", CORPUS_FILES, ids=lambda path: path.stem)
def test_check_gives_one_message_naming_the_problem_and_exits_1(
    path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["check", "--no-probe", "--config", str(path)]) == 1

    captured = capsys.readouterr()
    lines = captured.err.splitlines()
    assert lines[0] == f"srm-otel check: invalid srm_otel file {path}:"
    bullets = [line for line in lines if line.startswith("  - ")]
    assert len(bullets) == 1, captured.err
    assert bullets[0].startswith(f"  - {expected_problem(path)}"), captured.err
    assert "Traceback" not in captured.err + captured.out


@pytest.mark.parametrize("path", CORPUS_FILES, ids=lambda path: path.stem)
def test_configure_raises_an_error_naming_the_problem(path: Path) -> None:
    with pytest.raises(ConfigError) as raised:
        srm_otel.configure(path)

    assert len(raised.value.problems) == 1
    assert raised.value.problems[0].startswith(expected_problem(path))
    assert _api.get_runtime() is None


def run_check(config: Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    """``srm-otel check`` as a person runs it, in a fresh interpreter."""
    return subprocess.run(
        [sys.executable, "-m", "srm_otel", "check", "--no-probe", "--config", str(config)],
        capture_output=True,
        text=True,
        timeout=60,
        env={**environ_without_otel(), "SRM_OTEL_RAISE_INTERNAL_ERRORS": "1"},
        cwd=cwd,
    )


def test_files_that_cannot_be_read_as_text_give_no_traceback(tmp_path: Path) -> None:
    directory = tmp_path / "srm.yaml"
    directory.mkdir()

    for config, problem in (
        (CORPUS / "not-utf8.yaml", "not UTF-8 text"),
        (directory, "cannot read the file: Is a directory"),
    ):
        result = run_check(config, tmp_path)
        assert result.returncode == 1
        assert "Traceback" not in result.stderr + result.stdout
        assert f"  - {problem}" in result.stderr
