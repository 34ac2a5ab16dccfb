"""What the user asked: one entry per task, marked while it waits in the queue."""

from __future__ import annotations

from textual.content import Content
from textual.widgets import Static


class UserMessage(Static):
    """The user's task; ``queued`` while it waits for the running turn to end."""

    DEFAULT_CSS = """
    UserMessage {
        margin: 1 0 1 0;
        padding: 0 1;
        border-left: outer $primary;
        background: $primary 10%;
        color: $text;
        &.-queued { border-left: outer $panel-lighten-2; background: $panel; color: $text-muted; }
    }
    """

    def __init__(self, text: str, *, queued: bool = False, sent: str | None = None) -> None:
        self.text = text
        self.sent = text if sent is None else sent  # what the model gets (a custom command's text)
        super().__init__(self._content(queued))
        self.set_class(queued, "-queued")
        self.queued = queued

    def _content(self, queued: bool) -> Content:
        label = "queued — sent when the agent finishes" if queued else "you"
        parts = [Content.styled(label, "dim"), Content(self.text)]
        if self.sent != self.text:
            parts.append(Content.styled(f"sent as:\n{self.sent}", "$text-muted"))
        return Content("\n").join(parts)

    def mark_sent(self) -> None:
        self.queued = False
        self.remove_class("-queued")
        self.update(self._content(False))
