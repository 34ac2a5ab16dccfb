"""The feedback report as a screen: the same report as `cockpit feedback report`."""

from __future__ import annotations

from typing import Any

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import Footer, Static

from widgets.feedback_report import FeedbackReportView


class FeedbackScreen(Screen[None]):
    """Reads the feedback tables on a worker thread and shows the bias-corrected report."""

    BINDINGS = [
        Binding("escape,q", "close", "Close", id="feedback.close", tooltip="Back to the session"),
        Binding("r", "reload", "Reload", id="feedback.reload", tooltip="Read the feedback tables again"),
    ]
    DEFAULT_CSS = "FeedbackScreen #feedback-title { padding: 0 1; text-style: bold; background: $panel; }"

    def __init__(self, db: Any) -> None:
        super().__init__()
        self.db = db

    def compose(self) -> ComposeResult:
        yield Static("Feedback — solicited answers weighted by 1/π, post-stratified by category", id="feedback-title")
        yield FeedbackReportView()
        yield Footer()

    def on_mount(self) -> None:
        self.action_reload()

    def action_reload(self) -> None:
        self._load()

    @work(thread=True, exclusive=True, group="feedback-report", exit_on_error=False)
    def _load(self) -> None:
        from app.feedback_report import build_report

        report = build_report(self.db)
        self.app.call_from_thread(self.query_one(FeedbackReportView).update_report, report)

    def action_close(self) -> None:
        self.dismiss(None)
