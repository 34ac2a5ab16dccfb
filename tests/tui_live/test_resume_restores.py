"""A resumed session carries on from what it had: the panes and the status bar are rebuilt
from its stored events before any new task, and its stored outcome changes only when a task runs."""

from __future__ import annotations

from pathlib import Path

from app.agent.approvals import HeadlessApprover
from app.agent.events import core as ev
from app.agent.events.budget import ContextMeasured
from app.agent.events.feedback import FeedbackAnswered, FeedbackSampled, task_id_for
from app.runtime import RunOptions, build_session
from app.settings import Settings
from app.tui.live_panes import LiveRetriesPane
from storage.db import open_db
from storage.queries import session_summary
from storage.store import EventStore
from tests.tui.conftest import wait_until
from tests.tui_live.test_live_panes import FAST, make_app, send
from widgets.context_budget import ContextBudgetPane
from widgets.feedback_pane import FeedbackPane

# The first run: a call that fails once and is retried, a tool call, then the step limit.
FIRST_RUN = [
    {"error": {"status": 500, "message": "upstream hiccup"}},
    {"text": "Reading.", "tool_calls": [{"name": "read_file", "arguments": {"path": "notes.txt"}}]},
]
NEXT_TASK = [{"text": "Done now."}]


async def record_session(model: str, workspace: Path, db_path: Path) -> str:
    """A stored session, run as `cockpit run` would: retried, measured, rated up, stopped by the step limit."""
    store = EventStore(open_db(db_path))
    options = RunOptions(model=model, workspace=workspace, db_path=db_path, yes=True, max_steps=1, feedback_rate=1.0)
    session = build_session(Settings(resilience=FAST), options, human=HeadlessApprover(True), store=store)
    session.start()
    result = await session.run_task("read the notes")
    assert result.outcome == "limit"
    # The feedback collector asked (π = 1); the user answers.
    session.bus.emit(FeedbackAnswered(task_id=task_id_for(session.id, 1), source="solicited", rating="up", comment="fine"))
    session.finish()
    assert session.bus.failure is None
    return session.id


def stored(db, session_id: str) -> dict:
    return dict(db["sessions"].get(session_id))


async def open_resumed(pilot, app, events) -> None:
    """Until the resumed session is open and its restored conversation measured."""
    await wait_until(pilot, lambda: app.session is not None and events.of(ContextMeasured), what="the resumed session")


async def test_a_resumed_session_shows_its_panes_and_totals_before_any_task(workspace, tmp_path, write_script):
    (workspace / "notes.txt").write_text("hello\n" * 50)
    model = write_script(FIRST_RUN + NEXT_TASK)
    db_path = tmp_path / "c.db"
    session_id = await record_session(model, workspace, db_path)
    before = session_summary(open_db(db_path), session_id)
    assert before["status"] == "limit" and before["tokens_in"] > 0

    app, events, db = make_app(model, workspace, db_path, resume=session_id)
    async with app.run_test(size=(150, 50)) as pilot:
        await open_resumed(pilot, app, events)
        assert not events.of(ev.TurnStarted)  # nothing new ran
        # The context is measured at once from the restored conversation.
        budget = app.query_one(ContextBudgetPane)
        fresh = events.of(ContextMeasured)[-1]
        assert budget.state.measured is fresh and fresh.used > 0
        headline = budget.query_one("#headline")
        assert "used" in str(headline.render()) and "No measurement yet" not in str(headline.render())
        # Retries and feedback as they were stored.
        assert app.query_one(LiveRetriesPane).reducer.state.retries == 1
        feedback = app.query_one(FeedbackPane).reducer.state
        assert feedback.answered == 1 and feedback.pending_prompt is None
        assert "answered 1" in str(app.query_one(FeedbackPane).render())
        # The status bar carries the session's totals on.
        stats = app.status.stats
        assert (stats.steps, stats.tokens_in, stats.tokens_out) == (1, before["tokens_in"], before["tokens_out"])
        assert stats.session_id == session_id and not stats.running
        line = app.status.status_line().plain
        assert "step 1 ·" in line
        await pilot.press("ctrl+q")  # quit without a task
    row = stored(db, session_id)
    assert row["status"] == "limit"  # unchanged: no task ran


async def test_a_task_in_a_resumed_session_updates_its_outcome_and_totals(workspace, tmp_path, write_script):
    (workspace / "notes.txt").write_text("hello\n")
    model = write_script(FIRST_RUN + NEXT_TASK)
    db_path = tmp_path / "c.db"
    session_id = await record_session(model, workspace, db_path)
    tokens_before = session_summary(open_db(db_path), session_id)["tokens_in"]

    app, events, db = make_app(model, workspace, db_path, resume=session_id)
    async with app.run_test(size=(150, 50)) as pilot:
        await open_resumed(pilot, app, events)
        await send(pilot, app, "and now?", events, 1)
        stats = app.status.stats
        assert stats.steps == 1 + events.of(ev.TurnFinished)[-1].steps  # the stored step, then this task's
        assert stats.tokens_in > tokens_before
        assert app.query_one(LiveRetriesPane).reducer.state.retries == 1  # the stored retry still counts
        await pilot.press("ctrl+q")
    assert stored(db, session_id)["status"] == "completed"


async def test_quitting_a_resumed_failed_session_keeps_failed(workspace, tmp_path, write_script):
    model = write_script([{"error": {"status": 401, "message": "bad key"}}])
    db_path = tmp_path / "c.db"
    store = EventStore(open_db(db_path))
    options = RunOptions(model=model, workspace=workspace, db_path=db_path, yes=True)
    session = build_session(Settings(resilience=FAST), options, human=HeadlessApprover(True), store=store)
    session.start()
    await session.run_task("go")
    session.finish()
    assert stored(store.db, session.id)["status"] == "failed"

    app, events, db = make_app(model, workspace, db_path, resume=session.id)
    async with app.run_test(size=(150, 50)) as pilot:
        await open_resumed(pilot, app, events)
        await pilot.press("ctrl+q")
    assert stored(db, session.id)["status"] == "failed"
    assert not [e for e in events if isinstance(e, FeedbackSampled)]
