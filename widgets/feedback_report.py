"""The feedback report as a pane: headline, rate over time, categories, signals, worst tasks.

Fed the dict that ``app.feedback_report.build_report`` returns, through
:meth:`FeedbackReportView.update_report`; it computes nothing, it only shows.
A rate the report withheld (``None``: fewer ratings than the minimum) is shown
as its "not enough data" message, never as a number.
"""

from __future__ import annotations

from typing import Any

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.widgets import Sparkline, Static

from app.agent.events.format import money


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.0f}%"


def _bar(rate: float | None, width: int = 16) -> Text:
    if rate is None:
        return Text("")
    filled = round(rate * width)
    return Text.assemble(("█" * filled, "green"), ("░" * (width - filled), "dim"))


class FeedbackReportView(VerticalScroll):
    DEFAULT_CSS = """
    FeedbackReportView { padding: 0 1; background: $surface; }
    FeedbackReportView .feedback-report--headline { text-style: bold; color: $text; margin-bottom: 1; }
    FeedbackReportView .feedback-report--title { color: $accent; text-style: bold; margin-top: 1; }
    FeedbackReportView .feedback-report--muted { color: $text-muted; }
    FeedbackReportView Sparkline { height: 3; margin: 0 0 0 0; }
    FeedbackReportView Sparkline > .sparkline--max-color { color: $success; }
    FeedbackReportView Sparkline > .sparkline--min-color { color: $error; }
    """

    def __init__(self, report: dict[str, Any] | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._report = report

    def compose(self) -> ComposeResult:
        yield Static("No feedback yet.", id="feedback-headline", classes="feedback-report--headline")
        yield Static("", id="feedback-summary")
        yield Static("Rate over time (per day)", classes="feedback-report--title")
        yield Sparkline([], id="feedback-trend")
        yield Static("", id="feedback-trend-note", classes="feedback-report--muted")
        yield Static("By category", classes="feedback-report--title")
        yield Static("", id="feedback-categories")
        yield Static("By model", classes="feedback-report--title")
        yield Static("", id="feedback-models")
        yield Static("Implicit signals", classes="feedback-report--title")
        yield Static("", id="feedback-signals")
        yield Static("Worst tasks", classes="feedback-report--title")
        yield Static("", id="feedback-worst")

    def on_mount(self) -> None:
        if self._report is not None:
            self._show(self._report)

    def update_report(self, report: dict[str, Any]) -> None:
        """Show a new report (kept until mount if the view is not mounted yet)."""
        self._report = report
        if self.is_mounted:
            self._show(report)

    def _show(self, report: dict[str, Any]) -> None:
        self.query_one("#feedback-headline", Static).update(report["headline"])
        self.query_one("#feedback-summary", Static).update(self._summary(report))
        days = [d["rate"] for d in report["by_day"] if d["rate"] is not None]
        self.query_one("#feedback-trend", Sparkline).data = days
        self.query_one("#feedback-trend", Sparkline).display = len(days) >= 2
        if len(days) >= 2:
            note = f"{len(days)} days with enough ratings · first {_pct(days[0])} · last {_pct(days[-1])} · lowest {_pct(min(days))} · highest {_pct(max(days))}"
        else:
            note = f"not enough data per day yet (each day needs n ≥ {report['min_n']})"
        self.query_one("#feedback-trend-note", Static).update(note)
        self.query_one("#feedback-categories", Static).update(self._breakdown(report["by_category"], "category"))
        self.query_one("#feedback-models", Static).update(self._breakdown(report["by_model"], "model"))
        self.query_one("#feedback-signals", Static).update(self._signals(report["signals"]))
        self.query_one("#feedback-worst", Static).update(self._worst(report["worst_tasks"]))

    # --- parts ----------------------------------------------------------------------

    @staticmethod
    def _summary(report: dict[str, Any]) -> Table:
        e, v = report["estimate"], report["volunteered"]
        grid = Table.grid(padding=(0, 2))
        grid.add_row("asked", f"{e['asked']} of {e['tasks']} tasks")
        grid.add_row("answered", f"{e['answered']} ({_pct(e['response_rate'])} response rate)")
        if report["worst_case"] is not None:
            wc = report["worst_case"]
            grid.add_row("worst case", f"{_pct(wc['low'])} – {_pct(wc['high'])} (fewer than 80% answered)")
        grid.add_row("volunteered (raw)", _pct(v["rate"]) if v["rate"] is not None else v["message"])
        if v["gap"] is not None:
            grid.add_row("gap", f"{v['gap'] * 100:+.0f} points (the bias of volunteered ratings)")
        return grid

    @staticmethod
    def _breakdown(rows: list[dict[str, Any]], key: str) -> Table | str:
        if not rows:
            return "—"
        table = Table.grid(padding=(0, 2))
        for row in rows:
            rate = row["rate"]
            text = f"{_pct(rate)} ({_pct(row['low'])}–{_pct(row['high'])})" if rate is not None else row["message"]
            table.add_row(row[key] or "—", f"n={row['n']}", _bar(rate), text)
        return table

    @staticmethod
    def _signals(signals: dict[str, Any]) -> Table | str:
        if not signals["tasks"]:
            return "—"
        table = Table.grid(padding=(0, 2))
        for item in signals["rates"].values():
            table.add_row(item["label"], _bar(item["rate"]), _pct(item["rate"]))
        if signals["mean_cost_usd"] is not None:
            table.add_row("mean cost per task", "", money(signals["mean_cost_usd"]))
        return table

    @staticmethod
    def _worst(tasks: list[dict[str, Any]]) -> Table | str:
        if not tasks:
            return "—"
        table = Table.grid(padding=(0, 2))
        for task in tasks:
            table.add_row(f"{task['session_id']} #{task['turn']}", ", ".join(task["why"]), task["comment"])
        return table
