"""The popup's "@" source: the workspace's files and folders, fuzzy-matched as you type.

The index (``app.agent.workspace_files``) of the open session's workspace is built the
first time "@" is typed -- on the completer's worker thread, never the UI's -- then
answered from; when it is older than ``max_age_s`` it is rebuilt in the background
while the old one keeps answering. A folder is inserted as ``@src/`` (no space), so
completing goes on inside it; a file as ``@src/app.py `` (quoted when it has spaces).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from app.agent.workspace_files import Match, WorkspaceFiles
from widgets.completion_menu import Candidate

FOLDER_HELP = "folder"


class MentionSource:
    trigger = "@"

    def __init__(self, workspace: Callable[[], Path | None], *, max_age_s: float = 10.0) -> None:
        self.workspace = workspace  # the open session's, or None
        self.max_age_s = max_age_s
        self._files: WorkspaceFiles | None = None

    def files(self, root: Path) -> WorkspaceFiles:
        """The live index of ``root`` (a new one when the session's workspace changed)."""
        if self._files is None or self._files.root != root:
            self._files = WorkspaceFiles(root, max_age_s=self.max_age_s)
        return self._files

    def candidates(self, token: str, limit: int) -> list[Candidate]:
        root = self.workspace()
        if root is None or token.startswith('"'):
            return []
        return [candidate(match) for match in self.files(root).index().search(token, limit)]


def candidate(match: Match) -> Candidate:
    path = match.path
    written = f'"{path}"' if any(ch.isspace() for ch in path) else path
    if match.is_dir:
        return Candidate(label=path, insert=f"@{written}", help=FOLDER_HELP)
    return Candidate(label=path, insert=f"@{written} ")
