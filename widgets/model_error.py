"""A failed model-call attempt in the live transcript: one line, updated as the retry engine decides.

``✗ model call failed (rate_limit, attempt 1) · retrying in 2s`` becomes ``… · retried``
when the next attempt is sent (the fold's note, ``transcript_view.model_error_line``);
the error's message is in the Retries pane, the export and replay.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.widgets import Static

if TYPE_CHECKING:
    from app.agent.events.transcript_view import Entry


class ModelErrorLine(Static):
    DEFAULT_CSS = """
    ModelErrorLine { margin: 0 0 1 2; padding: 0 1; color: $text-error; }
    """

    def __init__(self, entry: Entry) -> None:
        super().__init__("")
        self.show(entry)

    def show(self, entry: Entry) -> None:
        from app.agent.events.transcript_view import model_error_line

        self.line = model_error_line(entry)
        self.update(self.line)
