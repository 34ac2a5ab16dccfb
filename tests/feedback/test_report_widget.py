import random

import pytest
import sqlite_utils
from textual.app import App, ComposeResult
from textual.widgets import Sparkline, Static

from app.agent.events import core as ev
from app.agent.feedback.config import FeedbackConfig
from app.feedback_report import build_report
from storage.feedback import ensure_tables
from widgets.feedback_report import FeedbackReportView

from .helpers import PYTEST_FAILED, Harness
from .test_report import PROMPTS

NOON_UTC = 1_700_049_600.0  # 2023-11-15 12:00 UTC: the same date in every time zone from -11 to +11
SIZE = (100, 60)


def week_report() -> dict:
    """Six days of tasks, all asked; satisfaction drifting up; some trouble on the way."""
    db = sqlite_utils.Database(memory=True)
    ensure_tables(db)
    rng = random.Random(42)
    for day in range(6):
        h = Harness(FeedbackConfig(rate=1.0), session_id=f"day{day}", db=db, start=NOON_UTC + day * 86_400)
        model = "anthropic/claude" if day % 2 else "openai/gpt"
        h.start_session(model=model)
        for i in range(14):
            h.begin(PROMPTS[(day + i) % len(PROMPTS)] if i % 4 else f"fix bug #{100 + day * 14 + i}")
            h.model_call(cost=0.02, model=model)
            if i % 5 == 0:
                h.tool("write_file", {"path": f"f{i}.py"})
            if i % 7 == 3:
                h.tool("bash", {"command": "pytest"}, status=ev.ToolStatus.TOOL_ERROR, exit_code=1, result=PYTEST_FAILED)
            decision = h.end()
            if i < 12:
                happy = rng.random() < 0.45 + day * 0.08
                h.answer(decision.task_id, "up" if happy else "down", "" if happy else f"missed case {i}")
            if i == 13:
                h.answer(decision.task_id, "down", source="volunteered")
            h.now += 120
        h.finish_session()
    return build_report(db)


class ReportApp(App):
    def __init__(self, report: dict | None) -> None:
        super().__init__()
        self.report = report

    def compose(self) -> ComposeResult:
        yield FeedbackReportView(self.report)


@pytest.fixture(scope="module")
def report():
    return week_report()


async def test_the_view_shows_the_report_it_is_given(report):
    app = ReportApp(report)
    async with app.run_test(size=SIZE):
        view = app.query_one(FeedbackReportView)
        assert str(view.query_one("#feedback-headline", Static).render()) == report["headline"]
        trend = view.query_one("#feedback-trend", Sparkline)
        assert list(trend.data) == [d["rate"] for d in report["by_day"]] and len(trend.data) == 6
        assert trend.display
        note = str(view.query_one("#feedback-trend-note", Static).render())
        assert note.startswith("6 days with enough ratings")


async def test_without_enough_data_it_says_so(report):
    app = ReportApp(None)
    async with app.run_test(size=SIZE):
        view = app.query_one(FeedbackReportView)
        assert str(view.query_one("#feedback-headline", Static).render()) == "No feedback yet."
        sparse = build_report(_empty_db())
        view.update_report(sparse)
        assert str(view.query_one("#feedback-headline", Static).render()).startswith("Not enough data (n = 0 < 10)")
        assert not view.query_one("#feedback-trend", Sparkline).display
        assert "not enough data per day" in str(view.query_one("#feedback-trend-note", Static).render())


def _empty_db() -> sqlite_utils.Database:
    db = sqlite_utils.Database(memory=True)
    ensure_tables(db)
    return db


def test_snapshot_report(snap_compare, report):
    assert snap_compare(ReportApp(report), terminal_size=SIZE)
