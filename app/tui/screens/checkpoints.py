"""The modals of /undo, /redo and /rewind: overwrite files changed outside Cockpit? which turn, which mode?"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from app.agent.events.checkpoints import BOTH, CONVERSATION, FILES, file_count

MODE_LABELS = {BOTH: "Files and conversation", FILES: "Files only", CONVERSATION: "Conversation only"}
SHOWN_CONFLICTS = 12


class ConfirmOverwrite(ModalScreen[bool]):
    """Files changed outside Cockpit since the checkpoint: overwrite them, or change nothing."""

    DEFAULT_CSS = """
    ConfirmOverwrite { align: center middle; }
    ConfirmOverwrite > Vertical { width: 72; max-width: 100%; height: auto; padding: 1 2;
                                  border: thick $warning 60%; background: $surface; }
    ConfirmOverwrite .hint { color: $text-muted; margin: 1 0 0 0; }
    """
    BINDINGS = [
        Binding("y", "answer(True)", "Overwrite", id="checkpoints.overwrite", tooltip="Restore them anyway"),
        Binding("n,escape", "answer(False)", "Cancel", id="checkpoints.keep", tooltip="Change nothing"),
    ]

    def __init__(self, action: str, conflicts: list[str]) -> None:
        super().__init__()
        self.action = action
        self.conflicts = conflicts

    def compose(self) -> ComposeResult:
        shown = "\n".join(f"  {p}" for p in self.conflicts[:SHOWN_CONFLICTS])
        more = f"\n  … and {len(self.conflicts) - SHOWN_CONFLICTS} more" if len(self.conflicts) > SHOWN_CONFLICTS else ""
        with Vertical():
            yield Static(Content.from_markup(
                "[b]$action: $count changed outside Cockpit since[/b]\n$paths",
                action=self.action, count=file_count(len(self.conflicts)), paths=shown + more), id="conflicts")
            yield Static("y overwrites them with the checkpoint · n or Esc changes nothing", classes="hint")

    def action_answer(self, overwrite: bool) -> None:
        self.dismiss(overwrite)


class RewindScreen(ModalScreen[tuple[int, str] | None]):
    """Pick a turn, then what to restore to its state before: (the turn's seq, the mode), or None."""

    DEFAULT_CSS = """
    RewindScreen { align: center middle; }
    RewindScreen > Vertical { width: 90; max-width: 100%; height: auto; max-height: 90%; padding: 1 2;
                              border: round $primary; background: $surface; }
    RewindScreen OptionList { height: auto; max-height: 20; }
    RewindScreen .hint { color: $text-muted; margin: 1 0 0 0; }
    """
    BINDINGS = [Binding("escape", "cancel", "Cancel", id="rewind.cancel", tooltip="Rewind nothing")]

    def __init__(self, turns: list[tuple[int, str]]) -> None:
        """``turns``: (the turn's seq, its line), oldest first."""
        super().__init__()
        self.turns = turns
        self.chosen: int | None = None

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static("[b]Rewind[/b] — to the state before which turn?", id="rewind-title")
            yield OptionList(*(Option(text, id=str(seq)) for seq, text in reversed(self.turns)), id="rewind-options")
            yield Static("Enter chooses · Esc cancels", classes="hint")

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        if self.chosen is None:
            self.chosen = int(event.option.id or 0)
            self.query_one("#rewind-title", Static).update("[b]Rewind[/b] — restore what?")
            options = self.query_one(OptionList)
            options.clear_options()
            options.add_options([Option(label, id=mode) for mode, label in MODE_LABELS.items()])
            options.highlighted = 0
        else:
            self.dismiss((self.chosen, event.option.id or BOTH))

    def action_cancel(self) -> None:
        self.dismiss(None)


class DiffScreen(ModalScreen[None]):
    """/diff: the session's whole change, from its checkpoints, scrollable."""

    DEFAULT_CSS = """
    DiffScreen { align: center middle; }
    DiffScreen > Vertical { width: 100%; max-width: 120; height: 90%; padding: 0 1;
                            border: round $primary; background: $surface; }
    DiffScreen VerticalScroll { height: 1fr; }
    DiffScreen .hint { color: $text-muted; }
    """
    BINDINGS = [Binding("escape,q", "close", "Close", id="diff.close", tooltip="Close the diff")]

    def __init__(self, diff: str) -> None:
        super().__init__()
        self.diff = diff

    def compose(self) -> ComposeResult:
        from rich.syntax import Syntax
        from textual.containers import VerticalScroll

        with Vertical():
            yield Static("[b]This session's changes[/b] — from its checkpoints", id="diff-title")
            with VerticalScroll():
                yield Static(Syntax(self.diff, "diff", theme="ansi_dark", word_wrap=True), id="diff-text")
            yield Static("↑↓ PgUp PgDn scroll · Esc closes", classes="hint")

    def action_close(self) -> None:
        self.dismiss(None)
