"""The macOS sandbox (``sandbox-exec`` with a Seatbelt profile). Untested: no macOS here.

Reads are allowed everywhere (as Codex CLI does: macOS tools read all over the
system); writes only to the workspace, the temporary folders and /dev/null and
the terminal devices; the network only when allowed. The environment
allow-list applies as on Linux.
"""

from __future__ import annotations

from pathlib import Path

PROFILE = """(version 1)
(deny default)
(allow process-exec)
(allow process-fork)
(allow signal (target same-sandbox))
(allow process-info* (target same-sandbox))
(allow sysctl-read)
(allow mach-lookup)
(allow ipc-posix-shm)
(allow file-read*)
(allow file-write*
    (subpath (param "WORKSPACE"))
    (subpath "/private/tmp")
    (subpath "/private/var/folders")
    (literal "/dev/null")
    (literal "/dev/zero")
    (regex #"^/dev/tty")
    (regex #"^/dev/fd/"))
(allow file-ioctl (regex #"^/dev/tty"))
"""
NETWORK = """(allow network*)
(allow system-socket)
"""


def seatbelt_profile(*, network: bool) -> str:
    return PROFILE + (NETWORK if network else "")


def seatbelt_argv(exe: str, argv: list[str], workspace: Path, *, network: bool) -> list[str]:
    return [exe, "-p", seatbelt_profile(network=network), "-D", f"WORKSPACE={workspace.resolve()}", "--", *argv]
