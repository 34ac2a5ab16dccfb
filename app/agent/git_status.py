"""Read git's view of the workspace: the branch (or detached HEAD) and the files that differ.

``git`` runs locally with a short timeout (``--no-optional-locks``, no prompt, nothing
that touches the network). No git, no repository, a timeout: :func:`read_git` says
why in a few words instead of a state; nothing here raises. The environment preamble
(``instructions/environment.py``) and the status bar both read it.
"""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass
from pathlib import Path

from app.agent.events.git import GitState

GIT_TIMEOUT_S = 2.0


@dataclass(frozen=True)
class GitReading:
    state: GitState | None  # None: no repository, or git could not tell
    problem: str = ""  # why there is no state: ``not a git repository``, ``git is not installed``…


def read_git(workspace: Path, *, timeout_s: float = GIT_TIMEOUT_S) -> GitReading:
    try:
        inside = _git(workspace, timeout_s, "rev-parse", "--is-inside-work-tree")
        if inside.returncode != 0 or inside.stdout.strip() != "true":
            return GitReading(None, "not a git repository")
        found = _git(workspace, timeout_s, "symbolic-ref", "--quiet", "--short", "HEAD")
        branch = found.stdout.strip() if found.returncode == 0 else ""
        head = "" if branch else _git(workspace, timeout_s, "rev-parse", "--short", "HEAD").stdout.strip()
        status = _git(workspace, timeout_s, "status", "--porcelain=v1", "-z", "--untracked-files=normal")
    except FileNotFoundError:
        return GitReading(None, "git is not installed")
    except subprocess.TimeoutExpired:
        return GitReading(None, f"git did not answer within {timeout_s:g} s")
    except OSError as exc:
        return GitReading(None, f"git could not run ({exc.strerror or exc})")
    changed, untracked = status_counts(status.stdout) if status.returncode == 0 else (None, 0)
    return GitReading(GitState(branch=branch, head=head, changed=changed, untracked=untracked))


def workspace_git(workspace: str) -> GitState | None:
    """The status bar's probe: the state of ``workspace``, or None (nothing to show)."""
    return read_git(Path(workspace)).state if workspace else None


def status_counts(porcelain_z: str) -> tuple[int, int]:
    """(changed, untracked) from ``git status --porcelain=v1 -z``; a rename or copy counts once."""
    changed = untracked = 0
    entries = iter(porcelain_z.split("\0"))
    for entry in entries:
        if len(entry) < 3:
            continue
        if entry.startswith("??"):
            untracked += 1
            continue
        changed += 1
        if entry[0] in "RC":  # a rename or copy is followed by its source path
            next(entries, None)
    return changed, untracked


def _git(workspace: Path, timeout_s: float, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "GIT_TERMINAL_PROMPT": "0", "GIT_OPTIONAL_LOCKS": "0", "LC_ALL": "C"}
    return subprocess.run(
        ["git", "--no-optional-locks", "-C", str(workspace), *args],
        capture_output=True, text=True, errors="replace", timeout=timeout_s, env=env, stdin=subprocess.DEVNULL, check=False,
    )
