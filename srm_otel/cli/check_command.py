"""``srm-otel check``: validate a configuration and probe its collector, read-only.

The configuration is read exactly as configure() reads it (``--config``, else
SRM_CONFIG, else ./srm.yaml, else the defaults, then the OTEL_* variables), and
a broken one is reported with configure()'s own messages. The probe opens a
TCP connection to the OTLP port and asks the collector's health endpoint for
its status; it sends no telemetry, so a check never writes to a site's data.
"""

from __future__ import annotations

import argparse
import socket
import sys
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Final, TextIO

from srm_otel._config import SITE_ADDRESSES, Settings
from srm_otel.cli._common import (
    endpoint_host,
    endpoint_port,
    load_settings,
    overriding_environment,
    positive_float,
)

COMMAND: Final = "check"
HEALTH_PORT: Final = 13133
HEALTH_PATH: Final = "/health"
DEFAULT_TIMEOUT_S: Final = 3.0


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--config",
        metavar="FILE",
        help="configuration to check (default: $SRM_CONFIG, else ./srm.yaml, else defaults)",
    )
    parser.add_argument(
        "--no-probe",
        action="store_true",
        help="check the configuration only; contact nothing",
    )
    parser.add_argument(
        "--health-url",
        metavar="URL",
        help=f"the collector's health check (default: the OTLP host, port {HEALTH_PORT}, "
        f"path {HEALTH_PATH})",
    )
    parser.add_argument(
        "--timeout",
        type=positive_float,
        default=DEFAULT_TIMEOUT_S,
        metavar="S",
        help=f"seconds to wait for each probe (default {DEFAULT_TIMEOUT_S:g})",
    )


@dataclass(frozen=True)
class ProbeResult:
    ok: bool
    required: bool
    text: str

    @property
    def mark(self) -> str:
        if self.ok:
            return "ok  "
        return "FAIL" if self.required else "warn"


def run(args: argparse.Namespace) -> int:
    out = sys.stdout
    settings = load_settings(COMMAND, args.config)
    if settings is None:
        return 1
    print(f"srm-otel check: configuration from {settings.source} is valid", file=out)
    for line in describe(settings):
        print(f"  {line}", file=out)
    if args.no_probe or settings.disabled or settings.otlp.endpoint is None:
        reason = _no_probe_reason(args, settings)
        print(f"probe: skipped ({reason})", file=out)
        return 0
    results = probe(settings, args.health_url, args.timeout)
    return _report(results, out)


def describe(settings: Settings) -> list[str]:
    """The resolved settings: site, service, endpoints and where each signal goes."""
    site = settings.site_label
    if settings.site in SITE_ADDRESSES:
        site += f" (site server {SITE_ADDRESSES[settings.site]})"
    elif settings.site is None:
        site += " (no site set)"
    lines = [
        f"site:          {site}",
        f"service.name:  {settings.service_name}",
        f"OTLP endpoint: {_otlp_text(settings)}",
        f"/metrics:      {_metrics_text(settings)}",
        f"signals:       {_signals_text(settings)}",
        f"rounds:        closed as incomplete after {settings.rounds.timeout_s:g} s without "
        f"tableapi_finish",
    ]
    changed = {game: sorted(intervals) for game, intervals in settings.games.items() if intervals}
    for game, names in sorted(changed.items()):
        lines.append(f"games.{game}:  intervals set here: {', '.join(names)}")
    if settings.resource_attributes:
        attrs = ", ".join(f"{k}={v}" for k, v in sorted(settings.resource_attributes.items()))
        lines.append(f"resource:      {attrs}")
    environment = overriding_environment()
    if environment:
        lines.append(f"environment:   {', '.join(environment)} (these win over the file)")
    return lines


def _otlp_text(settings: Settings) -> str:
    if settings.otlp.endpoint is None:
        return "none"
    return f"{settings.otlp.endpoint} ({settings.otlp.protocol})"


def _metrics_text(settings: Settings) -> str:
    if not settings.prometheus_enabled:
        return "not served"
    return f"served by each game process on {settings.prometheus.host}:{settings.prometheus.port}"


def _signals_text(settings: Settings) -> str:
    if settings.disabled:
        return "none: OTEL_SDK_DISABLED=true, srm_otel records nothing"
    parts = []
    if settings.otlp.endpoint is not None:
        parts.append("traces, metrics and logs over OTLP")
    if settings.prometheus_enabled:
        parts.append("metrics on /metrics")
    return "; ".join(parts)


def _no_probe_reason(args: argparse.Namespace, settings: Settings) -> str:
    if args.no_probe:
        return "--no-probe"
    if settings.disabled:
        return "OTEL_SDK_DISABLED=true"
    return "no collector configured; game processes serve /metrics themselves"


def probe(settings: Settings, health_url: str | None, timeout_s: float) -> list[ProbeResult]:
    """TCP connect to the OTLP port and GET the health endpoint; nothing is sent."""
    endpoint = settings.otlp.endpoint
    assert endpoint is not None
    host, port = endpoint_host(endpoint), endpoint_port(endpoint)
    results = [_probe_port(host, port or 0, settings.otlp.protocol, timeout_s)]
    if health_url is not None:
        results.append(_probe_health(health_url, timeout_s, required=True))
    else:
        url = f"http://{_url_host(host)}:{HEALTH_PORT}{HEALTH_PATH}"
        results.append(_probe_health(url, timeout_s, required=False))
    return results


def _url_host(host: str) -> str:
    return f"[{host}]" if ":" in host else host


def _probe_port(host: str, port: int, protocol: str, timeout_s: float) -> ProbeResult:
    where = f"{_url_host(host)}:{port}"
    try:
        with socket.create_connection((host, port), timeout=timeout_s):
            pass
    except OSError as exc:
        reason = "timed out" if isinstance(exc, TimeoutError) else (exc.strerror or str(exc))
        return ProbeResult(False, True, f"OTLP {protocol} port {where}: not reachable ({reason})")
    return ProbeResult(True, True, f"OTLP {protocol} port {where} accepts connections")


def _probe_health(url: str, timeout_s: float, *, required: bool) -> ProbeResult:
    try:
        with urllib.request.urlopen(url, timeout=timeout_s) as response:
            status = int(response.status)
    except urllib.error.HTTPError as exc:
        status = exc.code
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        hint = (
            ""
            if required
            else "; the collector serves it on 127.0.0.1 by default: set SRM_HEALTH_LISTEN "
            "on the server, or pass --health-url"
        )
        return ProbeResult(False, required, f"health {url}: no answer ({reason}){hint}")
    if status == 200:
        return ProbeResult(True, required, f"health {url}: healthy (HTTP 200)")
    return ProbeResult(False, True, f"health {url}: unhealthy (HTTP {status})")


def _report(results: list[ProbeResult], out: TextIO) -> int:
    print("probe (read-only, no telemetry sent):", file=out)
    for result in results:
        print(f"  {result.mark} {result.text}", file=out)
    failed = [r for r in results if not r.ok and r.required]
    if failed:
        print(f"srm-otel check: {len(failed)} probe(s) failed", file=out)
        return 1
    print("srm-otel check: OK", file=out)
    return 0
