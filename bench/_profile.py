"""Item 5: where a record() call spends its time, sampled by pyinstrument."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from bench._contenders import SrmContender
from bench._round import play
from bench._servers import Server


def run(out_dir: Path, rounds: int = 6000) -> dict[str, Any]:
    """Profile srm_otel reporting ``rounds`` rounds; write the call tree as text and HTML."""
    try:
        from pyinstrument import Profiler
    except ImportError:
        return {"skipped": "pyinstrument is not installed (make bench installs the bench extra)"}
    with Server("sink") as otlp:
        srm = SrmContender(otlp.url)
        try:
            play(srm.record, ["PRD"], 0, 200)
            srm.flush()
            profiler = Profiler(interval=0.0002)
            profiler.start()
            play(srm.record, ["PRD"], 200, rounds)
            profiler.stop()
        finally:
            srm.close()
    out_dir.mkdir(parents=True, exist_ok=True)
    text = profiler.output_text(unicode=False, color=False, show_all=False)
    (out_dir / "profile.txt").write_text(text)
    (out_dir / "profile.html").write_text(profiler.output_html())
    return {"rounds": rounds, "text": str(out_dir / "profile.txt")}


if __name__ == "__main__":
    from bench._safety import clean_environment

    clean_environment()
    print(run(Path("build/bench")))
