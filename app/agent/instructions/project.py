"""The system message of a session, built from the prompt, the environment and the instruction files.

:class:`ProjectInstructions` reads the files at the start (and the environment:
git, date, platform, sandbox, once), registers the message's sections with the
budget's layouts so each is counted on its own, and between turns reads the files
again: when one changed, was added or removed, the next model call gets the new
text and an :class:`~app.agent.events.core.InstructionsLoaded` says what changed.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date
from pathlib import Path
from typing import Any, Protocol

from app.agent.budget.layouts import Section, SystemLayouts
from app.agent.events.core import InstructionsLoaded
from app.agent.instructions.environment import git_summary
from app.agent.instructions.loader import MAX_FILE_CHARS, MAX_TOTAL_CHARS, InstructionFile, LoadedInstructions
from app.agent.instructions.loader import load_instructions
from app.agent.prompts import ENVIRONMENT_ITEM, environment_text, instruction_item, system_message, system_sections
from app.agent.tools.sandbox import Sandbox

ADDED, REMOVED, CHANGED = "added", "removed", "changed"


class TextCounter(Protocol):
    """What counts the sections' tokens: the session's context budget."""

    def count_text(self, text: str) -> int: ...

    @property
    def approximate(self) -> bool: ...


class ProjectInstructions:
    def __init__(
        self,
        workspace: Path,
        *,
        user_dir: Path | None = None,  # Cockpit's config folder: the user's own AGENTS.md / CLAUDE.md
        layouts: SystemLayouts | None = None,  # the budget's, so that it counts each section on its own
        counter: TextCounter | None = None,  # the budget; None: tokens are unknown
        git: Callable[[Path], str] = git_summary,
        today: Callable[[], date] = date.today,
        max_file_chars: int = MAX_FILE_CHARS,
        max_total_chars: int = MAX_TOTAL_CHARS,
    ) -> None:
        self.workspace = workspace
        self.user_dir = user_dir
        self.layouts = layouts if layouts is not None else SystemLayouts()
        self.counter = counter
        self.git = git
        self.today = today
        self.limits = {"max_file_chars": max_file_chars, "max_total_chars": max_total_chars}
        self.loaded = LoadedInstructions()
        self.environment = ""
        self.sections: list[Section] = []

    def start(self, sandbox: Sandbox) -> dict[str, str]:
        """Read the environment and the files; the system message they make."""
        self.environment = environment_text(self.workspace, sandbox, self.git(self.workspace), self.today())
        self.loaded = self._load()
        return self.message()

    def message(self) -> dict[str, str]:
        self.sections = system_sections(self.environment, self.loaded.files)
        return system_message(self.layouts.add(self.sections))

    def reload(self) -> list[dict[str, str]]:
        """Read the files again; what changed (nothing: the message stays as it is)."""
        loaded = self._load()
        changes = file_changes(self.loaded.files, loaded.files)
        if changes:
            self.loaded = loaded
        return changes

    def event(self, reason: str, changes: Sequence[dict[str, str]] = ()) -> InstructionsLoaded:
        by_id = {section.item_id: section for section in self.sections}
        texts = [by_id[instruction_item(f)].text for f in self.loaded.files]
        files = [self._file(f, text) for f, text in zip(self.loaded.files, texts)]
        return InstructionsLoaded(
            reason=reason,
            files=files,
            changes=list(changes),
            notes=list(self.loaded.notes),
            tokens=None if self.counter is None else sum(self.counter.count_text(text) for text in texts),
            approximate=self.counter is not None and self.counter.approximate,
            environment=self.environment,
            environment_tokens=self._tokens(by_id[ENVIRONMENT_ITEM].text),
        )

    @property
    def worth_saying(self) -> bool:
        """Files were loaded or something was noted (a session without any says nothing)."""
        return bool(self.loaded.files or self.loaded.notes)

    def _load(self) -> LoadedInstructions:
        return load_instructions(self.workspace, self.user_dir, **self.limits)

    def _file(self, file: InstructionFile, text: str) -> dict[str, Any]:
        return {"path": str(file.path), "label": file.label, "scope": file.scope, "tokens": self._tokens(text),
                "chars": file.chars, "truncated": file.truncated, "imported_by": file.imported_by}

    def _tokens(self, text: str) -> int | None:
        return None if self.counter is None else self.counter.count_text(text)


def file_changes(before: Sequence[InstructionFile], after: Sequence[InstructionFile]) -> list[dict[str, str]]:
    """Files added, removed or changed (by path), in the order of the new list, then the removed ones."""
    old = {f.path: f for f in before}
    new = {f.path: f for f in after}
    changes = [{"label": f.label, "change": ADDED if f.path not in old else CHANGED}
               for f in after if f.path not in old or old[f.path].text != f.text]
    changes += [{"label": f.label, "change": REMOVED} for f in before if f.path not in new]
    return changes
