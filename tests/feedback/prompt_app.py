"""A tiny app with a chat input and the feedback prompt, recording answers as the
real app would: through FeedbackAnswered / FeedbackDismissed events into the
feedback tables."""

from __future__ import annotations

from textual.app import App, ComposeResult
from textual.widgets import Input, Static

from app.agent.events.feedback import FeedbackAnswered, FeedbackDismissed
from widgets.feedback_prompt import FeedbackPrompt

from .helpers import fresh_db, project

TASK_ID = "sess-1:3"


class PromptApp(App):
    CSS = "Screen { layout: vertical; } #chat { dock: bottom; }"
    AUTO_FOCUS = "#chat"  # as in the real app: the prompt never takes focus by itself

    def __init__(self, source: str = "solicited") -> None:
        super().__init__()
        self.source = source
        self.db = fresh_db()
        self.seq = 0
        self.messages: list[str] = []

    def compose(self) -> ComposeResult:
        yield Static("assistant: I renamed the function and updated the three call sites.")
        yield FeedbackPrompt(TASK_ID, source=self.source)
        yield Input(placeholder="Ask Cockpit…", id="chat")

    def on_mount(self) -> None:
        self.query_one("#chat", Input).cursor_blink = False
        self.query_one(FeedbackPrompt).comment_input.cursor_blink = False

    def _record(self, event) -> None:
        self.seq += 1
        event.session_id, event.seq, event.ts = "sess-1", self.seq, 1000.0 + self.seq
        project(self.db, event)

    def on_feedback_prompt_answered(self, message: FeedbackPrompt.Answered) -> None:
        self.messages.append("answered")
        self._record(FeedbackAnswered(task_id=message.task_id, source=message.source, rating=message.rating, comment=message.comment))

    def on_feedback_prompt_dismissed(self, message: FeedbackPrompt.Dismissed) -> None:
        self.messages.append("dismissed")
        self._record(FeedbackDismissed(task_id=message.task_id, reason="dismissed"))
