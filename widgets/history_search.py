"""Reverse-incremental history search (Ctrl+R): a small modal above the prompt.

Type to filter the sent prompts (case-insensitive, every word must appear),
newest first; Ctrl+R again or Up steps to an older match, Down to a newer one;
Enter puts the highlighted prompt into the input without sending it (the screen
is dismissed with its text), Esc cancels (dismissed with ``None``). The in-modal
Ctrl+R shares the binding id ``prompt.history_search``, so remapping the prompt's
key remaps this one too.
"""

from __future__ import annotations

from collections.abc import Sequence

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Input, OptionList, Static
from textual.widgets.option_list import Option

SHOWN = 8  # matches visible at once (the list scrolls)
LINE_WIDTH = 200  # a match's one-line form is cut here (the list cuts it to its width too)


def matching(entries: Sequence[str], query: str) -> list[str]:
    """The entries that contain every word of ``query`` (any case), newest first, each text once."""
    words = query.lower().split()
    seen: set[str] = set()
    found: list[str] = []
    for text in reversed(entries):
        if text in seen:
            continue
        seen.add(text)
        lowered = text.lower()
        if all(word in lowered for word in words):
            found.append(text)
    return found


def one_line(text: str) -> str:
    flat = " ⏎ ".join(line.strip() for line in text.strip().splitlines() if line.strip())
    return flat if len(flat) <= LINE_WIDTH else flat[: LINE_WIDTH - 1] + "…"


class HistorySearch(ModalScreen[str | None]):
    DEFAULT_CSS = """
    HistorySearch {
        align: center bottom;
        background: $background 40%;
    }
    HistorySearch > Vertical {
        width: 100%;
        max-width: 120;
        height: auto;
        margin: 0 1 5 1;
        padding: 0 1;
        border: round $accent;
        border-title-color: $text-accent;
        background: $surface;
    }
    HistorySearch OptionList { height: auto; max-height: 8; border: none; padding: 0; background: $surface; }
    HistorySearch Input { background: $boost; }
    HistorySearch .history-search--status { color: $text-muted; }
    """

    BINDINGS = [
        Binding("ctrl+r", "older", "Older", id="prompt.history_search", tooltip="The next older match"),
        Binding("up", "older", "Older", show=False),
        Binding("down", "newer", "Newer", show=False),
        Binding("escape", "cancel", "Cancel", tooltip="Close the search; the prompt is left as it was"),
    ]

    def __init__(self, entries: Sequence[str], query: str = "") -> None:
        super().__init__()
        self.entries = list(entries)
        self.query_text = query
        self.found: list[str] = []

    def compose(self) -> ComposeResult:
        with Vertical() as box:
            box.border_title = "History search · newest first"
            yield OptionList(classes="history-search--matches")
            yield Input(value=self.query_text, placeholder="Type to search the prompts you sent",
                        classes="history-search--query", compact=True)
            yield Static("", classes="history-search--status")

    def on_mount(self) -> None:
        self.query_one(OptionList).can_focus = False  # the keys stay in the search field
        self.query_one(Input).focus()
        self._filter(self.query_text)

    @property
    def matches(self) -> OptionList:
        return self.query_one(OptionList)

    @property
    def selected(self) -> str | None:
        index = self.matches.highlighted
        return self.found[index] if index is not None and index < len(self.found) else None

    @on(Input.Changed)
    def _typed(self, event: Input.Changed) -> None:
        event.stop()
        self._filter(event.value)

    def _filter(self, query: str) -> None:
        self.found = matching(self.entries, query)
        options = self.matches
        options.clear_options()
        options.add_options(Option(Content(one_line(text))) for text in self.found)
        options.highlighted = 0 if self.found else None
        self._status()

    def _status(self) -> None:
        if not self.entries:
            text = "No prompts sent in this workspace yet · esc closes"
        elif not self.found:
            text = "No match · esc closes"
        else:
            index = (self.matches.highlighted or 0) + 1
            text = f"{index} of {len(self.found)} · {self._older_key()}/↑ older · ↓ newer · enter edits it · esc cancels"
        self.query_one(".history-search--status", Static).update(text)

    def _older_key(self) -> str:
        """The search key as the keymap has it (``ctrl+r`` unless remapped)."""
        keys = [key for key, active in self.app.active_bindings.items() if active.binding.id == "prompt.history_search"]
        return keys[0] if keys else "ctrl+r"

    def _step(self, by: int) -> None:
        if not self.found:
            return
        current = self.matches.highlighted or 0
        self.matches.highlighted = max(0, min(len(self.found) - 1, current + by))
        self._status()

    def action_older(self) -> None:
        self._step(1)

    def action_newer(self) -> None:
        self._step(-1)

    def action_cancel(self) -> None:
        self.dismiss(None)

    @on(Input.Submitted)
    def _chosen(self, event: Input.Submitted) -> None:
        event.stop()
        self.dismiss(self.selected)

    @on(OptionList.OptionSelected)
    def _clicked(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.dismiss(self.found[event.option_index])
