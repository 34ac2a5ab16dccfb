"""Confinement: every path a tool touches must stay inside the workspace.

``resolve_in_workspace`` turns a path the model gave (relative to the workspace,
or absolute inside it) into a resolved path, and refuses ``..`` escapes,
absolute paths elsewhere and symlinks that lead out of the workspace.
"""

from __future__ import annotations

import os
from pathlib import Path

from app.agent.tools.base import ToolError


def resolve_in_workspace(workspace: Path, path: str) -> Path:
    """The resolved location of ``path``, guaranteed to be inside ``workspace``.

    The path need not exist (``write_file`` creates files). Symlinks are
    followed, so the returned path is the real target.
    """
    if not isinstance(path, str) or not path.strip():
        raise ToolError("path is empty; give a path relative to the workspace, e.g. 'src/app.py'")
    if "\x00" in path:
        raise ToolError(f"path {path!r} contains a NUL byte")
    root = workspace.resolve()
    given = Path(path)
    if given.is_absolute():
        lexical = Path(os.path.normpath(given))
        # The workspace may itself be reached through a symlink (/tmp on macOS).
        base = next((b for b in (root, Path(os.path.abspath(workspace))) if is_within(lexical, b)), None)
        if base is None:
            raise ToolError(
                f"{path} is outside the workspace ({root}); use a path relative to the workspace"
            )
    else:
        base = root
        lexical = Path(os.path.normpath(root / given))
        if not is_within(lexical, root):
            raise ToolError(f"{path} escapes the workspace through '..'; paths must stay inside {root}")
    try:
        resolved = lexical.resolve()
    except RuntimeError:  # Python 3.11 reports a symlink loop this way
        raise ToolError(f"{path} goes through a symlink loop") from None
    if not is_within(resolved, root):
        link = _first_escaping_link(lexical, base, root)
        where = f"{link} is a symlink to {safe_resolve(link)}" if link else f"it resolves to {resolved}"
        raise ToolError(f"{path} leads outside the workspace: {where}")
    return resolved


def display_path(workspace: Path, p: Path) -> str:
    """``p`` relative to the workspace, in forward-slash form ("." for the root)."""
    root = workspace.resolve()
    try:
        rel = safe_resolve(Path(p)).relative_to(root)
    except ValueError:
        return str(p)
    text = rel.as_posix()
    return text if text else "."


def is_within(path: Path, root: Path) -> bool:
    """True if ``path`` is ``root`` or below it (a lexical test: resolve both first)."""
    return path == root or root in path.parents


def _first_escaping_link(path: Path, base: Path, root: Path) -> Path | None:
    """The first symlink below ``base`` along ``path`` whose target lies outside ``root``."""
    current = base
    for part in path.relative_to(base).parts:
        current = current / part
        if current.is_symlink() and not is_within(safe_resolve(current), root):
            return current
    return None


def safe_resolve(path: Path) -> Path:
    """``path.resolve()``, or ``path`` itself when it is caught in a symlink loop."""
    try:
        return path.resolve()
    except RuntimeError:
        return path
