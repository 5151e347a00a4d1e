"""A throw-away self-signed certificate for 127.0.0.1, made with ``openssl``."""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest


@dataclass(frozen=True)
class LoopbackCertificate:
    cert_file: Path
    key_file: Path
    """The certificate is its own CA: clients trust ``cert_file``."""


def make_loopback_certificate(directory: Path) -> LoopbackCertificate:
    openssl = shutil.which("openssl")
    if openssl is None:
        pytest.fail("the openssl command is missing (Debian package openssl)", pytrace=False)
    directory.mkdir(parents=True, exist_ok=True)
    cert, key = directory / "server.crt", directory / "server.key"
    subprocess.run(
        [
            openssl,
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "1",
            "-subj",
            "/CN=127.0.0.1",
            "-addext",
            "subjectAltName=IP:127.0.0.1",
            "-keyout",
            str(key),
            "-out",
            str(cert),
        ],
        check=True,
        capture_output=True,
        timeout=60,
    )
    return LoopbackCertificate(cert, key)
