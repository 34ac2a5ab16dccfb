"""A small modal that asks for a model string (palette: "Change model")."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Static


class ModelPrompt(ModalScreen[str | None]):
    DEFAULT_CSS = """
    ModelPrompt { align: center middle; }
    ModelPrompt > Vertical {
        width: 80; height: auto; padding: 1 2;
        border: round $primary; background: $surface;
    }
    ModelPrompt .hint { color: $text-muted; margin: 1 0 0 0; }
    """
    BINDINGS = [Binding("escape", "cancel", "Cancel", id="model.cancel", tooltip="Keep the current model")]

    def __init__(self, current: str, *, first: bool = False) -> None:
        super().__init__()
        self.current = current
        self.first = first  # no session yet: this opens one

    def compose(self) -> ComposeResult:
        with Vertical():
            if self.first:
                yield Static("[b]Pick a model[/b] — any litellm model string; with none configured, it becomes your default")
            else:
                yield Static("[b]Change model[/b] — the conversation continues with the new one")
            yield Input(value=self.current, placeholder="anthropic/claude-sonnet-4-5, openai/gpt-4.1, ollama_chat/llama3.1, …")
            yield Static("Enter switches · Esc cancels", classes="hint")

    def on_input_submitted(self, event: Input.Submitted) -> None:
        value = event.value.strip()
        self.dismiss(value if value and value != self.current else None)

    def action_cancel(self) -> None:
        self.dismiss(None)
