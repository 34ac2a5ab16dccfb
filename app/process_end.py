"""The end of a headless ``cockpit run`` process: it always ends once the session is stored.

A normal interpreter exit first joins every non-daemon thread, then runs the ``atexit``
handlers, then tears the modules down. A library thread can hold that up for as long as
it likes: ``cockpit run`` with a model that never needs litellm still waited, after
printing its summary, for the background ``import litellm`` (``app.agent.warmup``) to
finish importing openai's resource modules (seconds, tens of seconds on a loaded
machine), and a thread or finaliser that never returns would keep the process alive
for good. :func:`end_process` is called by ``app.cli`` after the command returned (the
session finished and stored, its printer done): it runs the ``atexit`` handlers (the
MCP servers' kill, OpenTelemetry's final export, logging's flush) on a thread of their
own for at most ``grace_s``, flushes standard output and error, and ends the process
with ``os._exit``, which waits for no other thread.
"""

from __future__ import annotations

import atexit
import os
import sys
import threading
from typing import NoReturn

GRACE_S = 20.0  # the atexit handlers' time (OpenTelemetry's final export is the slowest; its own timeout is shorter)


def end_process(code: int, grace_s: float = GRACE_S) -> NoReturn:
    """Run the ``atexit`` handlers (at most ``grace_s``), flush stdout and stderr, and exit with ``code``."""
    _flush()
    handlers = threading.Thread(target=atexit._run_exitfuncs, name="cockpit-atexit", daemon=True)
    handlers.start()
    handlers.join(grace_s)
    _flush()
    os._exit(code)


def _flush() -> None:
    for stream in (sys.stdout, sys.stderr):
        try:
            if stream is not None:
                stream.flush()
        except (OSError, ValueError):  # a closed pipe or stream: nothing more can reach it
            pass
