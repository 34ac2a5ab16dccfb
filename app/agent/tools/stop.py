"""Stopping tool work that runs in a thread.

A thread cannot be cancelled from outside. When the call awaiting a file tool
is cancelled (Esc) or times out, :func:`~app.agent.tools.output.run_checked`
sets the tool's :class:`Stop`; the work calls :meth:`Stop.check` between
files and lines and gives up with :class:`Stopped`, so it does not keep
reading a huge tree after nobody waits for the answer.
"""

from __future__ import annotations

import threading


class Stopped(Exception):
    """Raised in a tool's thread once its caller has gone; nobody reads the result."""


class Stop:
    def __init__(self) -> None:
        self._event = threading.Event()

    def set(self) -> None:
        self._event.set()

    def check(self) -> None:
        if self._event.is_set():
            raise Stopped
