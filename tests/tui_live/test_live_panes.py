"""The live panes in the real app, over sessions composed like `cockpit` composes them."""

from __future__ import annotations

from pathlib import Path

from app.agent.events import core as ev
from app.agent.bus import EventList
from app.runtime import RunOptions, build_session
from app.settings import Settings
from app.tui.app import CockpitApp
from app.tui.live_panes import FeedbackSlot, LivePanes, LiveRetriesPane
from storage.db import open_db
from storage.store import EventStore
from tests.tui.conftest import wait_until
from widgets.context_budget import ContextBudgetPane
from widgets.feedback_prompt import FeedbackPrompt

FAST = {"backoff_base_s": 0.01, "backoff_cap_s": 0.02}


def make_app(model: str, workspace: Path, db_path: Path, *, feedback_rate: float = 0.0, settings: Settings | None = None,
             resume: str | None = None):
    """The app as `cockpit` composes it; with ``resume``, its first session resumes that one (``--resume``)."""
    db = open_db(db_path)
    store = EventStore(db)
    events = EventList()
    settings = settings or Settings(resilience=FAST)
    first = {"resume": resume} if resume else {}

    def make_session(approver, **overrides):
        overrides = overrides or dict(first)
        first.clear()
        options = RunOptions(
            model=overrides.get("model") or (None if overrides.get("resume") else model),
            resume=overrides.get("resume"),
            workspace=workspace,
            db_path=db_path,
            yes=True,
            feedback_rate=feedback_rate,
        )
        session = build_session(settings, options, human=approver, store=store)
        session.bus.subscribe(events)
        return session

    app = CockpitApp(make_session, database=lambda: db, load_litellm=False, session_panes=LivePanes)
    return app, events, db


async def send(pilot, app, text: str, events: EventList, turns: int) -> None:
    await wait_until(pilot, lambda: app.session is not None, what="session")
    app.prompt.text = text
    await pilot.press("enter")
    await wait_until(pilot, lambda: len(events.of(ev.TurnFinished)) >= turns and not app.busy, what="turn")


async def test_panes_fill_in_as_the_agent_works(workspace, tmp_path, write_script):
    (workspace / "notes.txt").write_text("hello\n" * 200)
    model = write_script(
        [
            {"error": {"status": 500, "message": "upstream hiccup"}},
            {"text": "Reading.", "tool_calls": [{"name": "read_file", "arguments": {"path": "notes.txt"}}]},
            {"text": "Done."},
        ]
    )
    app, events, db = make_app(model, workspace, tmp_path / "c.db")
    async with app.run_test(size=(150, 50)) as pilot:
        await send(pilot, app, "read the notes", events, 1)
        await pilot.pause(0.3)
        budget = app.query_one(ContextBudgetPane)
        measured = budget.state.measured
        assert measured is not None and measured.used > 0 and measured.advertised > 0
        assert budget.state.badge  # calibrated against the provider's count
        retries = app.query_one(LiveRetriesPane)
        assert retries.reducer.state.retries == 1
        rendered = " ".join(str(w.render()) for w in retries.query("*"))
        assert "server_error" in rendered or "retry" in rendered.lower()


async def test_the_feedback_prompt_appears_and_its_answer_is_stored(workspace, tmp_path, write_script):
    model = write_script([{"text": "All done."}, {"text": "Second."}])
    app, events, db = make_app(model, workspace, tmp_path / "c.db", feedback_rate=1.0)
    async with app.run_test(size=(150, 50)) as pilot:
        await send(pilot, app, "do it", events, 1)
        await wait_until(pilot, lambda: app.query(FeedbackSlot), what="the feedback prompt")
        prompt = app.query_one(FeedbackPrompt)
        # Typing into the input never answers it.
        app.prompt.focus()
        await pilot.press("y", "n", "s")
        assert app.query(FeedbackSlot)
        assert not any(e.type == "feedback_answered" for e in events)
        prompt.focus()
        await pilot.press("y")
        await pilot.pause()
        await pilot.press(*"quick", "enter")  # the optional comment
        await wait_until(pilot, lambda: any(e.type == "feedback_answered" for e in events), what="the answer")
        await pilot.pause(0.2)
        assert not app.query(FeedbackSlot)
    answered = [e for e in events if e.type == "feedback_answered"][0]
    assert answered.rating == "up" and answered.source == "solicited" and answered.comment == "quick"
    sampled = [e for e in events if e.type == "feedback_sampled"][0]
    assert sampled.pi == 1.0 and sampled.shown
    assert db.execute("select count(*) from events where type = 'feedback_answered'").fetchone()[0] == 1


async def test_rate_last_task_asks_for_a_volunteered_rating(workspace, tmp_path, write_script):
    model = write_script([{"text": "All done."}])
    app, events, db = make_app(model, workspace, tmp_path / "c.db", feedback_rate=0.0)
    async with app.run_test(size=(150, 50)) as pilot:
        await send(pilot, app, "do it", events, 1)
        assert not app.query(FeedbackSlot)  # π = 0: never asked
        app.palette.rate_last_task()
        await wait_until(pilot, lambda: app.query(FeedbackPrompt), what="the volunteered prompt")
        await pilot.pause()
        await pilot.press("n", "enter")
        await wait_until(pilot, lambda: any(e.type == "feedback_answered" for e in events), what="the answer")
    answered = [e for e in events if e.type == "feedback_answered"][0]
    assert answered.rating == "down" and answered.source == "volunteered"


async def test_compact_now_runs_the_ladder(workspace, tmp_path, write_script):
    (workspace / "big.log").write_text("".join(f"line {i}: {'x' * 60}\n" for i in range(3000)))
    model = write_script(
        [
            {"tool_calls": [{"name": "bash", "arguments": {"command": "cat big.log"}}]},
            {"tool_calls": [{"name": "bash", "arguments": {"command": "cat big.log | head -1500"}}]},
            {"tool_calls": [{"name": "read_file", "arguments": {"path": "big.log", "end_line": 400}}]},
            {"tool_calls": [{"name": "read_file", "arguments": {"path": "big.log", "start_line": 400, "end_line": 800}}]},
            {"tool_calls": [{"name": "read_file", "arguments": {"path": "big.log", "start_line": 800, "end_line": 1200}}]},
            {"text": "Read it all."},
        ]
    )
    # A window so large the threshold never fires: only the manual command compacts.
    settings = Settings(resilience=FAST, budget={"advertised_window": 2_000_000})
    app, events, db = make_app(model, workspace, tmp_path / "c.db", settings=settings)
    async with app.run_test(size=(150, 50)) as pilot:
        await send(pilot, app, "read the log", events, 1)
        assert not any(e.type == "compaction_performed" for e in events)
        app.palette.compact_now()
        await wait_until(pilot, lambda: any(e.type == "compaction_performed" for e in events), what="compaction")
    compactions = [e for e in events if e.type == "compaction_performed"]
    assert compactions and all(c.reason == "manual" for c in compactions)
    assert compactions[-1].tokens_after < compactions[0].tokens_before
    assert db.execute("select count(*) from budget_compactions").fetchone()[0] == len(compactions)


async def test_ctrl_o_opens_the_sessions_screen_and_resumes_from_it(workspace, tmp_path, write_script):
    from app.tui.screens.sessions import SessionsScreen

    model = write_script([{"text": "first"}, {"text": "second"}, {"text": "third"}])
    app, events, db = make_app(model, workspace, tmp_path / "c.db")
    async with app.run_test(size=(150, 50)) as pilot:
        await send(pilot, app, "the first task", events, 1)
        first = app.session.id
        app.palette.new_session()
        await wait_until(pilot, lambda: app.session is not None and app.session.id != first, what="a new session")
        await send(pilot, app, "the second task", events, 2)
        await pilot.press("ctrl+o")
        await wait_until(pilot, lambda: isinstance(app.screen, SessionsScreen), what="the sessions screen")
        screen = app.screen
        await wait_until(pilot, lambda: screen.table.row_count == 2, what="two rows")
        # Move to the other (first) session and resume it.
        while screen.highlighted_id() != first:
            await pilot.press("down")
        screen.action_resume()
        await wait_until(pilot, lambda: app.session is not None and app.session.id == first, what="the resumed session")
        assert not isinstance(app.screen, SessionsScreen)


async def test_the_feedback_report_screen_shows_the_estimate(workspace, tmp_path, write_script):
    from app.tui.screens.feedback import FeedbackScreen
    from widgets.feedback_report import FeedbackReportView

    model = write_script([{"text": "done"}])
    app, events, db = make_app(model, workspace, tmp_path / "c.db", feedback_rate=1.0)
    async with app.run_test(size=(150, 50)) as pilot:
        await send(pilot, app, "do it", events, 1)
        await wait_until(pilot, lambda: app.query(FeedbackPrompt), what="the prompt")
        app.query_one(FeedbackPrompt).focus()
        await pilot.press("y", "enter")
        await wait_until(pilot, lambda: any(e.type == "feedback_answered" for e in events), what="the answer")
        app.palette.feedback_report()
        await wait_until(pilot, lambda: isinstance(app.screen, FeedbackScreen), what="the report screen")
        view = app.screen.query_one(FeedbackReportView)
        await wait_until(pilot, lambda: view._report is not None, what="the report")
        headline = str(app.screen.query_one("#feedback-headline").render())
        assert "Not enough data" in headline and "1 rated of 1 asked" in headline
        await pilot.press("escape")
        await wait_until(pilot, lambda: not isinstance(app.screen, FeedbackScreen), what="closing")
