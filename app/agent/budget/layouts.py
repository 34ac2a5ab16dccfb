"""The sections of the system messages Cockpit builds, so the budget can attribute them.

The system message is one plain string (every provider accepts it), built by
:mod:`app.agent.prompts` from sections: the prompt, the environment, one per
project instruction file. Whoever builds one registers its sections here; the
counter asks :meth:`SystemLayouts.sections` for the content it measures and gets
them back only when they make up exactly that content, so nothing is ever
attributed by guessing. A system message nobody registered (an old session's,
another agent's) is counted whole, as the system prompt.

Each section is counted on its own and the message's tokens are their sum; every
section but the last ends in a blank line and the next starts with a visible
character, so with a BPE tokenizer the sum equals the count of the whole text.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

KEEP = 8  # layouts remembered (the current system message and a few earlier ones)


@dataclass(frozen=True, slots=True)
class Section:
    """One stretch of a system message: its budget category, its item and its text."""

    category: str  # a counter category: system | instructions
    item_id: str
    kind: str  # system | environment | instructions
    label: str
    text: str


class SystemLayouts:
    """Sections of system messages, by their content."""

    def __init__(self) -> None:
        self._by_content: dict[str, tuple[Section, ...]] = {}

    def add(self, sections: Sequence[Section]) -> str:
        """Remember ``sections``; the content they make up (the system message's text)."""
        content = "".join(section.text for section in sections)
        self._by_content.pop(content, None)
        self._by_content[content] = tuple(sections)
        while len(self._by_content) > KEEP:
            del self._by_content[next(iter(self._by_content))]
        return content

    def sections(self, content: str) -> tuple[Section, ...] | None:
        return self._by_content.get(content)
