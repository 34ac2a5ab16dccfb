"""The completion popup shown just above the prompt, and what it speaks.

* :class:`Candidate` — one row: ``label`` is what the menu shows, ``insert`` the text
  that replaces the token, trigger included (``"/compact "``, ``"@src/app.py "``),
  ``help`` a short description shown dimmed beside it.
* :class:`Completion` — what a :class:`Completer` answers for a text and a cursor: the
  span of the token (``start`` .. ``end``, indexes into the text) and its candidates.
* :class:`CompletionMenu` — the rows (up to :data:`ROWS`, scrolled around the
  highlighted one). It never takes focus: the prompt keeps it and moves the highlight
  (Up/Down), accepts (Tab/Enter) or closes it (Esc).

The menu knows nothing of where candidates come from (``app/tui/completion.py``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from rich.text import Text
from textual.geometry import Size
from textual.widget import Widget

ROWS = 8
LABEL_MAX = 28  # the label column is as wide as the widest label, up to this


@dataclass(frozen=True)
class Candidate:
    label: str
    insert: str
    help: str = ""


@dataclass(frozen=True)
class Completion:
    """The token ``text[start:end]`` (trigger included) may be replaced by a candidate's ``insert``."""

    start: int
    end: int
    candidates: tuple[Candidate, ...]


class Completer(Protocol):
    def complete(self, text: str, cursor: int) -> Completion | None:
        """What may replace the token that ends at ``cursor`` (an index into ``text``), or None.

        May be called on a worker thread: it must not touch widgets."""


class CompletionMenu(Widget, can_focus=False):
    DEFAULT_CSS = """
    CompletionMenu {
        display: none;
        height: auto;
        max-height: 8;
        padding: 0 1;
        background: $panel;
        border-left: wide $primary;
        &.-open { display: block; }
    }
    CompletionMenu > .completion-menu--highlight { background: $primary 40%; text-style: bold; }
    CompletionMenu > .completion-menu--label { color: $text; }
    CompletionMenu > .completion-menu--help { color: $text-muted; }
    """
    COMPONENT_CLASSES = {"completion-menu--highlight", "completion-menu--label", "completion-menu--help"}

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.completion: Completion | None = None
        self.index = 0
        self._top = 0  # the first row shown

    @property
    def is_open(self) -> bool:
        return self.completion is not None

    @property
    def candidates(self) -> tuple[Candidate, ...]:
        return self.completion.candidates if self.completion else ()

    @property
    def highlighted(self) -> Candidate | None:
        candidates = self.candidates
        return candidates[self.index] if candidates else None

    def show(self, completion: Completion) -> None:
        """Open (or refresh) with ``completion``; with no candidates, close."""
        if not completion.candidates:
            self.close()
            return
        keep = self.highlighted
        self.completion = completion
        self.index = completion.candidates.index(keep) if keep in completion.candidates else 0
        self._scroll()
        self.add_class("-open")
        self.refresh(layout=True)

    def close(self) -> None:
        if self.completion is None:
            return
        self.completion, self.index, self._top = None, 0, 0
        self.remove_class("-open")
        self.refresh(layout=True)

    def move(self, delta: int) -> None:
        """Move the highlight ``delta`` rows, wrapping around."""
        if self.candidates:
            self.index = (self.index + delta) % len(self.candidates)
            self._scroll()
            self.refresh()

    def _scroll(self) -> None:
        if self.index < self._top:
            self._top = self.index
        elif self.index >= self._top + ROWS:
            self._top = self.index - ROWS + 1
        self._top = max(0, min(self._top, len(self.candidates) - ROWS))

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        return min(ROWS, len(self.candidates))

    def render(self) -> Text:
        shown = self.candidates[self._top: self._top + ROWS]
        width = max(1, self.content_size.width)
        label_width = min(LABEL_MAX, max((len(c.label) for c in shown), default=0))
        label_style = self.get_component_rich_style("completion-menu--label")
        help_style = self.get_component_rich_style("completion-menu--help")
        highlight = self.get_component_rich_style("completion-menu--highlight")
        lines = []
        for row, candidate in enumerate(shown, start=self._top):
            line = Text(no_wrap=True, overflow="ellipsis", end="")
            label = candidate.label if len(candidate.label) <= label_width else candidate.label[: label_width - 1] + "…"
            line.append(label.ljust(label_width), label_style)
            if candidate.help:
                line.append("  " + candidate.help, help_style)
            line.truncate(width, overflow="ellipsis", pad=True)
            if row == self.index:
                line.stylize(highlight)
            lines.append(line)
        return Text("\n", end="").join(lines)

