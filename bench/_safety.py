"""Keep every benchmark on loopback: no site profile, no OTEL_* or SRM_* from the shell."""

from __future__ import annotations

import os
from urllib.parse import urlsplit


def clean_environment() -> None:
    """Drop OTEL_* and SRM_* variables, which could point srm_otel at a site's collector."""
    for name in list(os.environ):
        if name.startswith(("OTEL_", "SRM_")):
            del os.environ[name]


def loopback(url: str) -> str:
    """``url`` unchanged when its host is 127.0.0.1; anything else stops the benchmark."""
    host = urlsplit(url).hostname
    if host != "127.0.0.1":
        raise SystemExit(f"benchmark refused to send to {url!r}: only 127.0.0.1 is allowed")
    return url
