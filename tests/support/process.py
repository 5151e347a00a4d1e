"""Servers run as subprocesses, stopped on fixed timeouts whatever happens."""

from __future__ import annotations

import os
import signal
import subprocess
from collections.abc import Mapping, Sequence
from pathlib import Path

TERMINATE_TIMEOUT_S = 10.0
"""How long a server gets to exit after SIGTERM before it is killed."""

KILL_TIMEOUT_S = 5.0
"""How long to wait for the exit after SIGKILL."""


class ServerProcess:
    """One subprocess with its output in a log file, for the life of a test.

    ``stop()`` sends SIGTERM, waits ``TERMINATE_TIMEOUT_S``, then SIGKILL;
    it is safe to call twice. ``log_tail()`` helps a failing test say why.
    """

    def __init__(
        self,
        name: str,
        argv: Sequence[str],
        log_path: Path,
        *,
        env: Mapping[str, str] | None = None,
        cwd: Path | None = None,
    ) -> None:
        self.name = name
        self.argv = list(argv)
        self.log_path = log_path
        self.env = dict(env) if env is not None else None
        self.cwd = cwd
        self._process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        """Start the process; its stdout and stderr append to ``log_path``."""
        if self.running:
            raise RuntimeError(f"{self.name} is already running")
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        with self.log_path.open("ab") as log:
            self._process = subprocess.Popen(
                self.argv,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                env=self.env,
                cwd=self.cwd,
                start_new_session=True,
            )

    @property
    def pid(self) -> int | None:
        return None if self._process is None else self._process.pid

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    @property
    def returncode(self) -> int | None:
        return None if self._process is None else self._process.poll()

    def stop(self) -> int | None:
        """Terminate, then kill after the timeout; return the exit code."""
        process = self._process
        if process is None:
            return None
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=TERMINATE_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=KILL_TIMEOUT_S)
        self._process = None
        return process.returncode

    def kill(self) -> None:
        """SIGKILL at once, as a crash or power cut would."""
        process = self._process
        if process is None:
            return
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=KILL_TIMEOUT_S)
        self._process = None

    def log_tail(self, lines: int = 40) -> str:
        """The last lines of the process's output."""
        if not self.log_path.exists():
            return f"({self.name} wrote no output)"
        text = self.log_path.read_text(errors="replace").splitlines()
        return "\n".join(text[-lines:])

    def __enter__(self) -> ServerProcess:
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()
