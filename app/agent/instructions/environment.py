"""What git says about the workspace, for the environment preamble, in words
(read by :mod:`app.agent.git_status`: no git, no repository, a timeout are said in a
few words; nothing here raises).
"""

from __future__ import annotations

from pathlib import Path

from app.agent.git_status import GIT_TIMEOUT_S, read_git, status_counts


def git_summary(workspace: Path, *, timeout_s: float = GIT_TIMEOUT_S) -> str:
    """``branch main, 3 modified, 1 untracked``, ``branch main, clean``, or why there is none."""
    reading = read_git(workspace, timeout_s=timeout_s)
    state = reading.state
    if state is None:
        return reading.problem
    if state.branch:
        where = f"branch {state.branch}"
    else:
        where = f"detached HEAD at {state.head}" if state.head else "no commits yet"
    if state.changed is None:
        return f"{where}, status unknown"
    return f"{where}, {counts_text(state.changed, state.untracked)}"


def status_summary(porcelain_z: str) -> str:
    """``3 modified, 1 untracked`` from ``git status --porcelain=v1 -z``; ``clean`` when there is nothing."""
    return counts_text(*status_counts(porcelain_z))


def counts_text(modified: int, untracked: int) -> str:
    parts = [f"{n} {word}" for n, word in ((modified, "modified"), (untracked, "untracked")) if n]
    return ", ".join(parts) or "clean"
