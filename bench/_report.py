"""Results as the Markdown tables of docs/performance.md, each figure next to its budget."""

from __future__ import annotations

from typing import Any

RATIO_BUDGET = 1.10
P99_BUDGET = 1.5
MAX_CALL_MS_BUDGET = 20.0
GROWTH_MB_BUDGET = 30.0
FLAT_BUDGET = 0.10


def _verdict(ok: bool) -> str:
    return "within" if ok else "OVER"


def _table(header: list[str], rows: list[list[Any]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows]
    return lines


def _cost(cost: dict[str, Any]) -> list[str]:
    rows = []
    for name, c in cost["contenders"].items():
        rows.append(
            [
                name,
                c["round_cpu_us"],
                c["event_cpu_us"],
                c["round_total_cpu_us"],
                c["round_wall_us"],
                c["event_wall_us"],
            ]
        )
    header = [
        "contender",
        "caller CPU µs/round",
        "caller CPU µs/event",
        "process CPU µs/round",
        "wall µs/round",
        "wall µs/event",
    ]
    out = ["### 1 and 2. Cost of a roulette round (medians)", "", *_table(header, rows), ""]
    ratio_rows = []
    for measure, label in (
        ("cpu_us", "caller CPU"),
        ("total_cpu_us", "process CPU"),
        ("wall_us", "wall"),
    ):
        srm_raw = cost["srm_over_raw"][measure]
        ratio_rows.append(
            [
                label,
                srm_raw,
                f"{_verdict(srm_raw <= RATIO_BUDGET)} (≤ {RATIO_BUDGET})",
                cost["legacy_over_srm"][measure],
            ]
        )
    header = ["measure", "srm / raw", "budget", "old monitor / srm"]
    out += [*_table(header, ratio_rows), ""]
    batches = cost["rounds_per_batch"]
    out.append(
        f"{cost['repeats']} alternating batches per contender; rounds per batch: "
        + ", ".join(f"{k} {v}" for k, v in batches.items())
        + ". Ratios are medians of batch-by-batch ratios."
    )
    return [*out, ""]


def _hotpath(hot: dict[str, Any]) -> list[str]:
    rows = [
        ["srm", hot["srm_round_cpu_us"]],
        ["raw", hot["raw_round_cpu_us"]],
        ["srm - raw per round", hot["srm_extra_per_round_us"]],
        ["srm - raw per event", hot["srm_extra_per_event_us"]],
        ["srm / raw", hot["srm_over_raw"]],
    ]
    return [
        "### 5. Caller CPU with the exporters detached (srm_otel's own work)",
        "",
        *_table(["", "µs (median)"], rows),
        "",
    ]


def _latency(lat: dict[str, Any]) -> list[str]:
    rows = []
    for c in lat["cases"]:
        rows.append(
            [
                c["case"],
                c["p50_us"],
                c["p99_us"],
                c["p999_us"],
                c["max_ms"],
                c["calls_over_20ms"],
                f"{c['full_gc_count']} / {c['full_gc_max_ms']}",
                c["p99_vs_healthy"],
                c["rss_rise_mb"],
                c["rss_growth_after_warmup_mb"],
                c["stderr_lines"],
            ]
        )
    header = [
        "case",
        "p50 µs",
        "p99 µs",
        "p99.9 µs",
        "max ms",
        "calls > 20 ms",
        "full GCs / longest ms",
        "p99 / healthy",
        "RSS rise MB",
        "RSS growth after warm-up MB",
        "stderr lines",
    ]
    out = [
        f"### 3. record() latency, {lat['rounds']} timed rounds per case "
        f"({lat['cases'][0]['calls']} calls)",
        "",
        *_table(header, rows),
        "",
    ]
    for c in lat["cases"]:
        if c["case"].startswith(("hung", "none")):
            p99_ok = c["p99_vs_healthy"] <= P99_BUDGET
            max_ok = c["max_ms"] <= MAX_CALL_MS_BUDGET
            mem_ok = c["rss_rise_mb"] < GROWTH_MB_BUDGET
            out.append(
                f"- {c['case']}: p99 {_verdict(p99_ok)} budget (≤ {P99_BUDGET}x healthy), "
                f"max call {_verdict(max_ok)} budget (≤ {MAX_CALL_MS_BUDGET:g} ms), "
                f"RSS rise {_verdict(mem_ok)} budget (< {GROWTH_MB_BUDGET:g} MB)"
            )
    return [*out, ""]


def _scaling(scal: dict[str, Any]) -> list[str]:
    rows = []
    for name, s in scal["scenarios"].items():
        flat = abs(s["vs_10_tables"] - 1.0) <= FLAT_BUDGET
        rows.append(
            [
                name,
                s["event_cpu_us"],
                s["round_total_cpu_us"],
                s["event_wall_us"],
                s["vs_10_tables"],
                f"{_verdict(flat)} (±{FLAT_BUDGET:.0%})",
            ]
        )
    header = [
        "tables",
        "caller CPU µs/event",
        "process CPU µs/round",
        "wall µs/event",
        "caller CPU vs 10 tables",
        "budget",
    ]
    sweep = scal["sweep_closing_stuck_rounds"]
    return [
        f"### 4. Growth with tables and open rounds ({scal['stuck_rounds_open']} stuck rounds "
        "in the last scenario)",
        "",
        *_table(header, rows),
        "",
        f"One watchdog sweep closed {sweep['closed']} stuck rounds in {sweep['sweep_ms']} ms "
        f"({sweep['per_round_us']} µs a round); meanwhile a game thread made "
        f"{sweep['game_thread_calls']} record() calls, the slowest taking "
        f"{sweep['game_thread_max_ms']} ms (p99 {sweep['game_thread_p99_ms']} ms, "
        f"{sweep['game_thread_calls_over_20ms']} over 20 ms; {sweep['full_gc_count']} full "
        f"garbage collections meanwhile, the longest {sweep['full_gc_max_ms']} ms).",
        "",
    ]


def render(results: dict[str, Any]) -> str:
    m = results["machine"]
    out = [
        "## Results" + (" (quick run: not figures to quote)" if results.get("quick") else ""),
        "",
        f"Python {m['python']}, OpenTelemetry SDK {m['opentelemetry_sdk']}, {m['cpu']}, "
        f"{m['cores']} cores, load average at start {m['load_average_at_start']}.",
        "",
    ]
    for name, section in (
        ("cost", _cost),
        ("latency", _latency),
        ("scaling", _scaling),
        ("hotpath", _hotpath),
    ):
        if name in results:
            out += section(results[name])
    if "profile" in results:
        out += [f"Profile: {results['profile'].get('text', results['profile'])}", ""]
    seconds = ", ".join(f"{k} {v} s" for k, v in results["seconds"].items())
    out.append(f"Time taken: {seconds}.")
    return "\n".join(out) + "\n"
