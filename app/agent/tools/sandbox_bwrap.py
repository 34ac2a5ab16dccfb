"""The bubblewrap command line: what a sandboxed command can see and change.

Read-only: /usr, /bin, /sbin, /lib*, /opt and /etc (with the password hashes
and the SSH host keys masked), the toolchains under home
(:mod:`~app.agent.tools.sandbox_home`, secrets in them masked), plus
``[sandbox] read``. Writable: the workspace,
bound on itself, so it is its own mount (a hard link from it to a file outside
fails with EXDEV, a symlink out leads to a read-only or absent file), a private
tmpfs /tmp, and an empty tmpfs home. Nothing else of the host is there (no other
folders, no other users' or the user's own files). New user, IPC, UTS, cgroup
and PID namespaces: /proc shows only the sandbox's processes (not Cockpit's
environment), /dev is bubblewrap's minimal one. A new network namespace (only
its own loopback) unless the network is allowed. ``--die-with-parent``: killing
bwrap (the tool kills its process group) kills the command and, since it is PID
1's child in its namespace, everything it started.
"""

from __future__ import annotations

import glob
import os
import subprocess
import tempfile
from pathlib import Path

from app.agent.tools.sandbox_home import HomeView

SYSTEM_DIRS = ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32", "/opt", "/etc")
SECRET_FILES = ("/etc/shadow", "/etc/shadow-", "/etc/gshadow", "/etc/gshadow-", "/etc/sudoers",
                "/etc/ssh/ssh_host_*key")
RESOLVER_DIRS = ("/run/systemd/resolve", "/run/resolvconf")  # where /etc/resolv.conf may point
PROBE_TIMEOUT_S = 10.0


def bwrap_argv(
    exe: str, argv: list[str], workspace: Path, *, network: bool, home: str = "", read: tuple[str, ...] = (),
    view: HomeView = HomeView(),
) -> list[str]:
    ws = str(workspace)
    args = [exe, "--die-with-parent", "--unshare-all", "--cap-drop", "ALL"]
    if network:
        args.append("--share-net")
    args += _system_mounts()
    if network:
        for path in RESOLVER_DIRS:
            args += ["--ro-bind-try", path, path]
    args += ["--proc", "/proc", "--dev", "/dev", "--tmpfs", "/tmp", "--tmpfs", "/var/tmp"]
    if home and home != "/" and not _within(home, ws):
        args += ["--tmpfs", home]  # an empty home: caches work, the user's dotfiles stay out
    for source, target in view.binds:  # -try: a toolchain removed since it was looked at
        args += ["--ro-bind-try", source, target]
    for path in view.masked_dirs:  # a key inside a toolchain folder: an empty folder or file over it
        args += ["--tmpfs", path]
    for path in view.masked_files:
        args += ["--ro-bind", "/dev/null", path]
    for path in read:  # after the tmpfs mounts, which would hide them
        expanded = os.path.expanduser(path)
        args += ["--ro-bind-try", expanded, expanded]
    args += ["--bind", ws, ws, "--chdir", ws, "--"]
    return args + list(argv)


def _system_mounts() -> list[str]:
    args: list[str] = []
    for path in SYSTEM_DIRS:
        if os.path.islink(path):  # merged /usr: /bin -> usr/bin
            args += ["--symlink", os.readlink(path), path]
        elif os.path.isdir(path):
            args += ["--ro-bind", path, path]
    for pattern in SECRET_FILES:
        for path in sorted(glob.glob(pattern)):
            if os.path.isfile(path):
                args += ["--ro-bind", "/dev/null", path]
    return args


def _within(path: str, root: str) -> bool:
    path, root = os.path.normpath(path), os.path.normpath(root)
    return path == root or path.startswith(root.rstrip("/") + "/")


def probe(exe: str) -> str:
    """Why bubblewrap cannot run here (its own words), or "" when a sandboxed ``true`` works."""
    with tempfile.TemporaryDirectory(prefix="cockpit-probe-") as ws:
        try:
            done = subprocess.run(bwrap_argv(exe, ["true"], Path(ws), network=False), stdin=subprocess.DEVNULL,
                                  capture_output=True, text=True, timeout=PROBE_TIMEOUT_S, check=False)
        except (OSError, subprocess.TimeoutExpired) as exc:
            return str(exc)
    if done.returncode == 0:
        return ""
    return (done.stderr.strip().splitlines() or [f"exit code {done.returncode}"])[-1]
