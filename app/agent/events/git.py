"""What git says about the workspace, as the status bar shows it (``app.agent.git_status`` reads it)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class GitState:
    """The branch (or the commit of a detached HEAD) and how many files differ from it."""

    branch: str = ""  # "" when HEAD is detached
    head: str = ""  # the short commit id ("" before the first commit)
    changed: int | None = 0  # modified, staged, renamed or deleted files; None: git status failed
    untracked: int = 0

    @property
    def where(self) -> str:
        """``main``, ``@1a2b3c4`` (detached) or ``no commits yet``."""
        return self.branch or (f"@{self.head}" if self.head else "no commits yet")

    @property
    def dirty_files(self) -> int | None:
        """Files that differ (untracked ones included); None when unknown."""
        return None if self.changed is None else self.changed + self.untracked
