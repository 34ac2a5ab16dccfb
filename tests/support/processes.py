"""Host processes by their exact command line: what survives a kill, seen from outside any sandbox.

Inside bubblewrap's PID namespace ``$$`` is a small number that means nothing on the
host, so tests that check a kill give the command a unique argument (``sleep 30.17``)
and look for it in the host's /proc.
"""

from __future__ import annotations

import asyncio
import itertools
import os
import time

_counter = itertools.count(1)


def unique_sleep(seconds: int = 30) -> str:
    """A ``sleep`` command no other test runs at the same time (``sleep 30.<pid><n>``)."""
    return f"sleep {seconds}.{os.getpid()}{next(_counter):03d}"


def running(command: str) -> list[int]:
    """The live (not zombie) host processes whose argv is exactly ``command.split()``."""
    argv = command.split()
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/cmdline", "rb") as f:
                parts = f.read().rstrip(b"\0").split(b"\0")
            with open(f"/proc/{entry}/stat") as f:
                state = f.read().rsplit(")", 1)[1].split()[0]
        except (FileNotFoundError, ProcessLookupError):
            continue
        if [p.decode(errors="replace") for p in parts] == argv and state not in ("Z", "X"):
            found.append(int(entry))
    return found


async def all_gone(command: str, deadline_s: float = 5.0) -> bool:
    """Whether no process runs ``command``, allowing a dying one a moment to finish exiting."""
    end = time.monotonic() + deadline_s
    while running(command):
        if time.monotonic() > end:
            return False
        await asyncio.sleep(0.02)
    return True
