"""The session stopped because its events could not be stored: a modal that cannot be missed.

``cockpit run`` exits 1 with "the session stopped: <cause>" in the same case; the TUI
has interrupted the running turn and takes no more tasks in this session. Closing the
modal leaves the app open (the status bar keeps saying "stopped"), so the user can
read the transcript, start a new session or quit.
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Button, Static


class SessionStoppedScreen(ModalScreen[None]):
    DEFAULT_CSS = """
    SessionStoppedScreen { align: center middle; }
    SessionStoppedScreen > Vertical {
        width: 72; max-width: 100%; height: auto; padding: 1 2;
        border: thick $error; background: $surface;
    }
    SessionStoppedScreen #stopped-text { margin: 0 0 1 0; }
    SessionStoppedScreen Horizontal { height: auto; align-horizontal: right; }
    """

    BINDINGS = [
        Binding("escape,enter", "close", "Close", id="session_stopped.close", tooltip="Back to the transcript"),
    ]

    def __init__(self, cause: str) -> None:
        super().__init__()
        self.cause = cause

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(
                Content.from_markup(
                    "[b $text-error]The session stopped: $cause[/]\n\nIts events can no longer be stored, so "
                    "Cockpit interrupted the running turn and will run no more tasks in this session. "
                    "Fix the cause (disk space, the database file), then start a new session "
                    "(Ctrl+P › New session) or quit (Ctrl+C twice).",
                    cause=self.cause,
                ),
                id="stopped-text",
            )
            with Horizontal():
                yield Button("OK", variant="error", id="ok")

    def on_mount(self) -> None:
        self.query_one("#ok", Button).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.dismiss(None)

    def action_close(self) -> None:
        self.dismiss(None)
