"""What git says about the workspace, for the environment preamble.

``git`` runs locally with a short timeout (``--no-optional-locks``, no prompt,
nothing that touches the network). No git, no repository, a timeout: the
summary says so in a few words; nothing here raises.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

GIT_TIMEOUT_S = 2.0


def git_summary(workspace: Path, *, timeout_s: float = GIT_TIMEOUT_S) -> str:
    """``branch main, 3 modified, 1 untracked``, ``branch main, clean``, or why there is none."""
    try:
        inside = _git(workspace, timeout_s, "rev-parse", "--is-inside-work-tree")
        if inside.returncode != 0 or inside.stdout.strip() != "true":
            return "not a git repository"
        branch = _git(workspace, timeout_s, "symbolic-ref", "--quiet", "--short", "HEAD")
        if branch.returncode == 0 and branch.stdout.strip():
            where = f"branch {branch.stdout.strip()}"
        else:
            head = _git(workspace, timeout_s, "rev-parse", "--short", "HEAD")
            where = f"detached HEAD at {head.stdout.strip()}" if head.returncode == 0 else "no commits yet"
        status = _git(workspace, timeout_s, "status", "--porcelain=v1", "-z", "--untracked-files=normal")
    except FileNotFoundError:
        return "git is not installed"
    except subprocess.TimeoutExpired:
        return f"git did not answer within {timeout_s:g} s"
    except OSError as exc:
        return f"git could not run ({exc.strerror or exc})"
    if status.returncode != 0:
        return f"{where}, status unknown"
    return f"{where}, {status_summary(status.stdout)}"


def status_summary(porcelain_z: str) -> str:
    """``3 modified, 1 untracked`` from ``git status --porcelain=v1 -z``; ``clean`` when there is nothing."""
    modified = untracked = 0
    entries = iter(porcelain_z.split("\0"))
    for entry in entries:
        if len(entry) < 3:
            continue
        if entry.startswith("??"):
            untracked += 1
            continue
        modified += 1
        if entry[0] in "RC":  # a rename or copy is followed by its source path
            next(entries, None)
    parts = [f"{n} {word}" for n, word in ((modified, "modified"), (untracked, "untracked")) if n]
    return ", ".join(parts) or "clean"


def _git(workspace: Path, timeout_s: float, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "GIT_TERMINAL_PROMPT": "0", "GIT_OPTIONAL_LOCKS": "0", "LC_ALL": "C"}
    return subprocess.run(
        ["git", "--no-optional-locks", "-C", str(workspace), *args],
        capture_output=True, text=True, errors="replace", timeout=timeout_s, env=env, stdin=subprocess.DEVNULL, check=False,
    )
