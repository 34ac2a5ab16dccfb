"""Where the agents Cockpit can import keep their sessions on this machine, and which were never imported.

``cockpit import --discover`` imports from :func:`locations`; the TUI's first start offers it when
:func:`never_imported` finds files (a quick check by path: the import itself decides by content
what is new, and skips a file whose bytes it already holds).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import sqlite_utils

    from storage.importers import Discovery


@dataclass(frozen=True)
class Location:
    """One agent's default session folder (or file) that exists here."""

    agent: str
    path: Path


def locations(home: Path | None = None, workspace: Path | None = None,
              environ: Mapping[str, str] | None = None) -> list[Location]:
    """The default locations that exist: Claude Code, Codex CLI, Gemini CLI, opencode, and Aider's history
    in the workspace."""
    environ = os.environ if environ is None else environ
    home = home or Path(environ.get("HOME") or Path.home())
    workspace = workspace or Path.cwd()
    data_home = Path(environ.get("XDG_DATA_HOME") or home / ".local" / "share")
    candidates = [
        Location("Claude Code", home / ".claude" / "projects"),
        Location("Codex CLI", Path(environ["CODEX_HOME"]) / "sessions" if environ.get("CODEX_HOME") else home / ".codex" / "sessions"),
        Location("Gemini CLI", home / ".gemini" / "tmp"),
        Location("opencode", data_home / "opencode" / "storage"),
        Location("Aider", workspace / ".aider.chat.history.md"),
    ]
    return [location for location in candidates if location.path.exists()]


def session_files(found: list[Location]) -> Discovery:
    """The session files in these locations (a :class:`storage.importers.Discovery`)."""
    from storage.importers import find_sessions

    return find_sessions(location.path for location in found)


def never_imported(db: sqlite_utils.Database, files: list[Path]) -> list[Path]:
    """The files no session was imported from (by path)."""
    from storage.importers.imported import imported_paths

    known = imported_paths(db)
    return [path for path in files if str(path) not in known]
