"""``srm-otel init``: write a commented starter srm.yaml that ``srm-otel check`` accepts."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Final

from srm_otel._config import DEFAULT_CONFIG_FILE, SITE_ADDRESSES
from srm_otel.cli._common import fail

COMMAND: Final = "init"

HEADER: Final = """\
# srm-otel configuration: round times of the studio's game tables.
# `srm-otel check` validates this file and probes the collector without
# sending anything. Environment variables win over this file:
# SRM_SITE, OTEL_SERVICE_NAME, OTEL_EXPORTER_OTLP_ENDPOINT,
# OTEL_EXPORTER_OTLP_PROTOCOL, OTEL_EXPORTER_OTLP_HEADERS,
# OTEL_EXPORTER_PROMETHEUS_HOST/_PORT, OTEL_RESOURCE_ATTRIBUTES, OTEL_SDK_DISABLED.

# The service.name the game processes report under.
service_name: studio-roundtime-monitor
"""

SITE_SECTION: Final = """\

# The studio site. GE and TPE send traces, metrics and logs to the site's
# collector at {address}:4317 (gRPC) unless otlp.endpoint says otherwise.
site: {site}

otlp:
  # endpoint: http://127.0.0.1:4317   # an agent collector on this host, for example
  protocol: grpc                       # or http/protobuf (port 4318)
  # headers: {{authorization: "Bearer ..."}}
  # timeout_s: 10

prometheus:
  # With a collector, game processes do not serve /metrics themselves.
  # enabled: true
  host: 127.0.0.1
  port: 9464
"""

LOCAL_SECTION: Final = """\

# No site: each game process serves /metrics on this host for Prometheus to
# scrape, and sends nothing else. Set `site: GE` or `site: TPE` (or run
# `srm-otel init --site GE --force`) to send to the site's collector instead.
# site: GE

otlp:
  # endpoint: http://127.0.0.1:4317   # a collector of your own
  protocol: grpc                       # or http/protobuf (port 4318)

prometheus:
  # enabled: true                      # keep /metrics when a collector is set too
  host: 127.0.0.1
  port: 9464                           # 0 picks any free port
"""

ROUNDS_AND_GAMES: Final = """\

rounds:
  # A round with no tableapi_finish this long after it started is closed as
  # incomplete (srm_rounds_total{srm_round_outcome="incomplete"}).
  timeout_s: 300

# Expected ranges are DOMAIN defaults; change them per game and interval, or
# add intervals of your own. A value outside its range counts in
# srm_interval_out_of_range_total. For example:
# games:
#   roulette:
#     intervals:
#       start-to-betstop:
#         expected_s: [5, 25]
#   sicbo:
#     intervals:
#       shakerStop-to-shakerShake:
#         expected_s: [5, 20]
#   baccarat:
#     intervals:
#       squeeze:                 # a new interval: from one event to another
#         from: tableapi_betstop
#         to: tableapi_deal
#         expected_s: [3, 12]
"""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--site",
        type=str.upper,
        choices=sorted(SITE_ADDRESSES),
        help="studio site whose collector receives the telemetry (default: none, /metrics only)",
    )
    parser.add_argument(
        "--output",
        "-o",
        default=DEFAULT_CONFIG_FILE,
        metavar="FILE",
        help=f"where to write (default ./{DEFAULT_CONFIG_FILE})",
    )
    parser.add_argument("--force", action="store_true", help="overwrite an existing file")


def starter_config(site: str | None) -> str:
    """The text of a starter srm.yaml for ``site`` (GE, TPE or None)."""
    if site is None:
        body = LOCAL_SECTION
    else:
        body = SITE_SECTION.format(site=site, address=SITE_ADDRESSES[site])
    return HEADER + body + ROUNDS_AND_GAMES


def run(args: argparse.Namespace) -> int:
    path = Path(args.output)
    text = starter_config(args.site)
    try:
        with path.open("w" if args.force else "x", encoding="utf-8") as file:
            file.write(text)
    except FileExistsError:
        return fail(COMMAND, f"{path} exists; use --force to overwrite it")
    except OSError as exc:
        return fail(COMMAND, f"cannot write {path}: {exc.strerror or exc}")
    where = f"site {args.site}" if args.site else "no site: /metrics on 127.0.0.1:9464"
    print(f"srm-otel init: wrote {path} ({where}); check it with `srm-otel check --config {path}`")
    return 0
