"""Which instruction files a session reads, in the order they go into the system message.

First the user's own file in Cockpit's config folder, then one file per folder
from the repository root (the nearest enclosing folder with ``.git``; without
one, the workspace alone) down to the workspace. In each folder ``AGENTS.md`` is
read, or ``CLAUDE.md`` when there is no ``AGENTS.md``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

FILE_NAMES = ("AGENTS.md", "CLAUDE.md")  # the first one present in a folder is read
USER = "user"
PROJECT = "project"


@dataclass(frozen=True)
class Candidate:
    path: Path
    scope: str  # user | project
    label: str  # how it is named in the system message and on screen


def repository_root(workspace: Path) -> Path | None:
    """The nearest folder at or above ``workspace`` with a ``.git`` (folder, or file for a worktree)."""
    for folder in (workspace, *workspace.parents):
        try:
            if (folder / ".git").exists():
                return folder
        except OSError:  # a parent we may not look into
            continue
    return None


def instruction_files(workspace: Path, user_dir: Path | None) -> list[Candidate]:
    """The files to read, user level first, then from the repository root down to the workspace."""
    workspace = workspace.resolve()
    root = project_root(workspace)
    found: list[Candidate] = []
    if user_dir is not None:
        path = _in_folder(user_dir)
        if path is not None:
            found.append(Candidate(path, USER, display_path(path, root)))
    folders = [workspace, *workspace.parents]
    for folder in reversed(folders[: folders.index(root) + 1]):
        path = _in_folder(folder)
        if path is not None and all(c.path != path for c in found):
            found.append(Candidate(path, PROJECT, display_path(path, root)))
    return found


def project_root(workspace: Path) -> Path:
    """The repository root, or the workspace when it is in no repository."""
    workspace = workspace.resolve()
    return repository_root(workspace) or workspace


def _in_folder(folder: Path) -> Path | None:
    for name in FILE_NAMES:
        path = folder / name
        try:
            if path.is_file():
                return path.resolve()
        except OSError:  # a folder we may not look into holds nothing we can read
            return None
    return None


def display_path(path: Path, root: Path) -> str:
    """``path`` relative to the project root, else to the home folder (``~/...``), else absolute."""
    for base, prefix in ((root, ""), (Path.home(), "~/")):
        try:
            return prefix + path.relative_to(base).as_posix()
        except ValueError:
            continue
    return str(path)
