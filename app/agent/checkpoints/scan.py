"""The workspace by mtime and size: what a command changed, found by a scan before and after.

The files are listed with ``git ls-files --cached --others --exclude-standard`` in a
repository, else as the ``@`` completion lists them (``workspace_files.list_workspace``: a
walk that honours ``.gitignore`` and skips ``.venv``, ``node_modules`` …), so ignored trees
cost nothing and are never tracked. A command's changes to ignored files are not seen.

A command overwrites a file's content before anyone could read it. :func:`git_content`
finds that content in git's index when the file was clean there before the command (its
mtime and size as the index records them).
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from app.agent.workspace_files import GIT_TIMEOUT_S, list_workspace

Stat = tuple[int, int]  # (mtime in ns, size)
Scan = dict[str, Stat]  # relative "/"-separated path -> its stat


def stat_of(path: Path | str) -> Stat | None:
    try:
        st = os.stat(path, follow_symlinks=False)
    except OSError:
        return None
    return (st.st_mtime_ns, st.st_size)


def scan(root: Path) -> Scan:
    """Every listed file of the workspace with its stat (files gone meanwhile are left out)."""
    listed = _git(root, "ls-files", "-z", "--cached", "--others", "--exclude-standard")  # one call: deleted
    if listed is not None:  # files simply fail their stat
        files = [p for p in listed.decode("utf-8", "surrogateescape").split("\0") if p]
    else:
        files, _source = list_workspace(root)
    base = str(root) + os.sep
    found: Scan = {}
    for rel in files:
        st = stat_of(base + rel)
        if st is not None:
            found[rel] = st
    return found


def changed(before: Scan, after: Scan) -> list[str]:
    """The paths created, deleted or changed (mtime or size) between two scans, sorted."""
    paths = {p for p, st in after.items() if before.get(p) != st}
    paths.update(p for p in before if p not in after)
    return sorted(paths)


def git_content(root: Path, rel: str, stat: Stat) -> bytes | None:
    """The content git's index holds for ``rel`` when ``stat`` is what the index recorded for it
    (the file was clean there), else None (no repository, untracked, or changed since ``git add``)."""
    entry = _git(root, "ls-files", "-s", "--debug", "-z", "--", rel)
    if not entry:
        return None
    text = entry.decode("utf-8", "surrogateescape")
    try:
        sha = text.split()[1]
        mtime = text.split("mtime:", 1)[1].split()[0]
        size = int(text.split("size:", 1)[1].split()[0])
    except (IndexError, ValueError):
        return None
    seconds, _, nanos = mtime.partition(":")
    if size != stat[1] or int(seconds) * 1_000_000_000 + int(nanos or 0) != stat[0]:
        return None
    return _git(root, "cat-file", "blob", sha)


def _git(root: Path, *args: str) -> bytes | None:
    try:
        done = subprocess.run(["git", "-C", str(root), *args], capture_output=True, timeout=GIT_TIMEOUT_S, check=False)
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout if done.returncode == 0 else None
