"""Leave cleanly when the terminal goes away.

A closed window, a dropped SSH connection or a killed tmux session takes the
terminal with it. Left alone, Cockpit would either die on SIGHUP without
finishing its session (a running command's process group left behind), or, when
no SIGHUP arrives (started under ``make run``, ``nohup``…), live on with Textual's
input thread spinning at 100% CPU on the end of its input (Textualize/textual#6690)
and its shutdown blocked writing to a terminal that no longer exists.

:class:`TerminalWatch` is a small thread, independent of the UI's event loop
(which may be the part that is stuck). Once a second it checks the terminal's
device (its link count drops to 0 when the terminal is gone); SIGHUP wakes it at
once. Then it calls ``on_lost`` there: the app finishes the session (the running
turn interrupted, its command's process group killed, everything stored) and
ends the process with :data:`EXIT_HANGUP`, without restoring a terminal that is
not there.
"""

from __future__ import annotations

import os
import signal
import threading
from collections.abc import Callable

CHECK_INTERVAL_S = 1.0
EXIT_HANGUP = 129  # 128 + SIGHUP


def terminal_gone(fd: int) -> bool:
    """True once the terminal behind ``fd`` no longer exists."""
    try:
        return os.fstat(fd).st_nlink == 0
    except OSError:
        return True


class TerminalWatch(threading.Thread):
    def __init__(self, on_lost: Callable[[], None], fd: int = 0, interval: float = CHECK_INTERVAL_S) -> None:
        super().__init__(name="cockpit-terminal-watch", daemon=True)
        self.on_lost = on_lost
        self.fd = fd
        self.interval = interval
        self._wake = threading.Event()
        self._stopped = False

    def start_watching(self) -> bool:
        """Start the thread and take over SIGHUP (call from the main thread).

        Does nothing, and returns False, when ``fd`` is not a terminal (tests, pipes).
        """
        if not os.isatty(self.fd):
            return False
        try:
            signal.signal(signal.SIGHUP, lambda signum, frame: self._wake.set())
        except ValueError:  # not the main thread: the device check still works
            pass
        self.start()
        return True

    def stop(self) -> None:
        self._stopped = True
        self._wake.set()

    def run(self) -> None:
        while True:
            self._wake.wait(self.interval)
            if self._stopped:
                return
            if self._wake.is_set() or terminal_gone(self.fd):
                self.on_lost()
                return
