"""Run the real ``cockpit`` in a pseudo-terminal, as a user's terminal would."""

from __future__ import annotations

import fcntl
import os
import pty
import struct
import subprocess
import sys
import termios
import threading
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


class Terminal:
    """``cockpit ARGS`` on a pty of ``size`` (columns, rows); what it draws collects in ``screen``.

    The process gets its own session without the pty as controlling terminal, so
    closing the terminal (:meth:`close`) sends it no SIGHUP, as under ``make run``.
    """

    def __init__(self, args: list[str], env: dict[str, str], size: tuple[int, int] = (120, 40)) -> None:
        self.master, slave = pty.openpty()
        columns, rows = size
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", rows, columns, 0, 0))
        self.screen = bytearray()
        self._reader = threading.Thread(target=self._drain, daemon=True)
        self._reader.start()
        env = {**env, "TERM": "xterm-256color"}
        env.pop("COCKPIT_CONFIG", None)
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "app", *args], stdin=slave, stdout=slave, stderr=slave, env=env, cwd=ROOT,
            start_new_session=True,
        )
        os.close(slave)
        self._closed = False

    def _drain(self) -> None:
        while True:
            try:
                data = os.read(self.master, 65536)
            except OSError:
                return
            if not data:
                return
            self.screen.extend(data)

    def type(self, keys: bytes) -> None:
        os.write(self.master, keys)

    def close(self) -> None:
        """The terminal goes away."""
        if not self._closed:
            self._closed = True
            os.close(self.master)

    def wait(self, timeout: float) -> int:
        return self.proc.wait(timeout=timeout)

    def __enter__(self) -> Terminal:
        return self

    def __exit__(self, *exc: object) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=10)
        self.close()
        self._reader.join(timeout=5)
