"""Items 1 and 2: cost of a roulette round through srm_otel, by hand on the SDK, and the
older monitor's way, alternated in one process."""

from __future__ import annotations

from typing import Any

from bench._contenders import LegacyContender, RawContender, SrmContender
from bench._measure import alternate, paired_ratio
from bench._servers import Server

MEASURES = ("cpu_us", "total_cpu_us", "wall_us")


def run(repeats: int = 31, rounds: int = 400, legacy_rounds: int = 20) -> dict[str, Any]:
    with Server("sink") as otlp, Server("sink") as loki, Server("sink") as pushgateway:
        srm = SrmContender(otlp.url)
        raw = RawContender.exporting(otlp.url)
        legacy = LegacyContender(loki.url, pushgateway.url)
        try:
            samples = alternate(
                [srm, raw, legacy],
                {"srm": rounds, "raw": rounds, "legacy": legacy_rounds},
                repeats,
                ["PRD"],
            )
        finally:
            srm.close()
            raw.close()
    srm_s, raw_s, old_s = samples["srm"], samples["raw"], samples["legacy"]
    return {
        "repeats": repeats,
        "rounds_per_batch": {"srm": rounds, "raw": rounds, "legacy": legacy_rounds},
        "contenders": {name: s.summary() for name, s in samples.items()},
        "srm_over_raw": {m: round(paired_ratio(srm_s, raw_s, m), 3) for m in MEASURES},
        "legacy_over_srm": {m: round(paired_ratio(old_s, srm_s, m), 1) for m in MEASURES},
    }


if __name__ == "__main__":
    import json

    from bench._safety import clean_environment

    clean_environment()
    print(json.dumps(run(), indent=1))
