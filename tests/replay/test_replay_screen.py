"""The Replay screen under Pilot: keys move the cursor, panes follow, play advances and pause stops;
``cockpit replay ID`` resolves ids and refuses unknown ones."""

from __future__ import annotations

import argparse
import time

import pytest
from textual.widgets import Static

from app.agent.events import core as ev
from app.replay.timeline import Timeline
from app.tui.replay_app import ReplayApp
from app.tui.screens.replay import ReplayScreen
from app.tui.screens.replay_parts import ReplayTranscript, TimelineBar
from widgets.feedback_pane import FeedbackPane
from storage.importers import import_path
from storage.queries import load_events
from tests.support.session_files import CODEX
from tests.replay.samples import SYNTHETIC_ID, store_synthetic
from widgets.context_budget import ContextBudgetPane
from widgets.retries_pane import RetriesPane

SIZE = (140, 45)
WAIT_S = 20.0


def utc(ts: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(ts))


async def until(pilot, condition, what: str) -> None:
    deadline = time.monotonic() + WAIT_S
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await pilot.pause(0.02)
    await pilot.pause()


async def opened(pilot, app: ReplayApp) -> ReplayScreen:
    await until(pilot, lambda: isinstance(app.screen, ReplayScreen) and app.screen.timeline is not None, "the replay")
    return app.screen  # type: ignore[return-value]


def text(widget) -> str:
    return str(widget.content.plain if hasattr(widget.content, "plain") else widget.content)


@pytest.fixture
def synthetic_db(db):
    store_synthetic(db)
    return db


async def test_keys_move_the_cursor(synthetic_db):
    app = ReplayApp(synthetic_db, SYNTHETIC_ID, format_time=utc)
    async with app.run_test(size=SIZE) as pilot:
        screen = await opened(pilot, app)
        t = screen.timeline
        assert screen.position == 0 and app.focused is None
        await pilot.press("right", "right", "right")
        assert screen.position == 3
        await pilot.press("left")
        assert screen.position == 2
        await pilot.press("end")
        assert screen.position == t.last
        await pilot.press("right")
        assert screen.position == t.last  # clamped
        await pilot.press("home")
        assert screen.position == 0
        await pilot.press("right_square_bracket")
        assert screen.position == t.turn_starts[0]
        await pilot.press("shift+right")
        assert screen.position == t.turn_starts[1]
        await pilot.press("left_square_bracket")
        assert screen.position == t.turn_starts[0]
        await pilot.press("home", "e")
        assert screen.position == t.marks["error"][0]
        await pilot.press("e")
        assert screen.position == t.marks["error"][1]
        await pilot.press("E")
        assert screen.position == t.marks["error"][0]
        await pilot.press("home", "r")
        assert screen.position == t.marks["retry"][0]
        await pilot.press("R")
        assert screen.position == t.marks["retry"][0]  # none before: stays, with a notice
        await pilot.press("end", "C")
        expected = t.marks["compaction"][-1] if t.marks["compaction"] else t.last
        assert screen.position == expected
        bar = screen.query_one(TimelineBar)
        assert bar.position == screen.position


async def test_panes_show_the_state_at_the_cursor(synthetic_db):
    app = ReplayApp(synthetic_db, SYNTHETIC_ID, format_time=utc)
    async with app.run_test(size=SIZE) as pilot:
        screen = await opened(pilot, app)
        reference = Timeline.from_stored(load_events(synthetic_db, SYNTHETIC_ID))
        budget = screen.query_one(ContextBudgetPane)
        retries = screen.query_one(RetriesPane)
        assert budget.state.empty
        assert "No measurement yet" in text(budget.query_one("#headline", Static))

        await pilot.press("r")  # the engine decides to retry an overloaded call
        await pilot.pause(0.05)
        p = screen.position
        assert isinstance(screen.timeline.events[p], ev.Event) and screen.timeline.events[p].type == "resilience_attempt_failed"
        assert retries.state == reference.panes_at(p).retries_state
        summary = text(retries.query_one("#retries-summary", Static))
        assert "Backoff 1.5s" in summary
        assert budget.state.measured == reference.panes_at(p).budget.measured
        assert "used" in text(budget.query_one("#headline", Static))

        await pilot.press("left")
        await pilot.pause(0.05)
        assert retries.state == reference.panes_at(p - 1).retries_state
        assert "Backoff 0s" in text(retries.query_one("#retries-summary", Static))

        await pilot.press("end")
        await pilot.pause(0.05)
        feedback = screen.query_one(FeedbackPane)
        state = reference.panes_at(reference.last).feedback_state
        assert f"asked {state.asked}" in text(feedback) and state.asked > 0


async def test_the_transcript_follows_and_marks_the_current_entry(synthetic_db):
    app = ReplayApp(synthetic_db, SYNTHETIC_ID, format_time=utc)
    async with app.run_test(size=SIZE) as pilot:
        screen = await opened(pilot, app)
        transcript = screen.query_one(ReplayTranscript)
        assert transcript.entries == [] and transcript.visible_text().strip() == ""
        await pilot.press("e")  # the first failed tool call (or model call)
        await pilot.pause()
        p = screen.position
        assert transcript.entries == screen.timeline.transcript_at(p, len(transcript.entries))
        current = transcript.highlighted
        assert current is not None and current.index <= p and current.updated == p
        assert current.kind in ("tool", "model_error") and (current.status == "tool_error" or current.kind == "model_error")
        shown = transcript.visible_text()
        assert "error" in shown or "failed" in shown
        assert shown.rstrip().splitlines()[-1].strip()  # drawn from the bottom: the newest line is the last one
        # The gutter marks the current entry's lines.
        assert any(line.startswith("▌") for line in shown.splitlines())
        await pilot.press("pageup")
        assert transcript.back > 0 and transcript.visible_text() != shown
        await pilot.press("pagedown", "pagedown")
        assert transcript.back == 0
        await pilot.press("home")
        await pilot.pause()
        assert transcript.entries == [] and transcript.highlighted is None
        await pilot.press("e")
        await pilot.pause()
        assert transcript.visible_text() == shown


async def test_play_advances_and_pause_stops(synthetic_db):
    app = ReplayApp(synthetic_db, SYNTHETIC_ID, format_time=utc)
    async with app.run_test(size=SIZE) as pilot:
        screen = await opened(pilot, app)
        await pilot.press("plus", "plus", "plus", "plus", "plus")
        assert screen.speed == 16.0
        await pilot.press("minus")
        assert screen.speed == 8.0
        await pilot.press("space")
        assert screen.playing
        await until(pilot, lambda: screen.position >= 3, "play to advance")
        assert "playing 8×" in str(screen.query_one(TimelineBar).render())
        await pilot.press("space")
        assert not screen.playing
        stopped_at = screen.position
        for _ in range(5):
            await pilot.pause(screen.interval_s)
        assert screen.position == stopped_at
        assert "paused 8×" in str(screen.query_one(TimelineBar).render())


async def test_play_stops_at_the_end(synthetic_db):
    app = ReplayApp(synthetic_db, SYNTHETIC_ID, format_time=utc)
    async with app.run_test(size=SIZE) as pilot:
        screen = await opened(pilot, app)
        screen.go(screen.timeline.last - 2)
        await pilot.press("plus", "plus", "plus", "plus", "space")
        await until(pilot, lambda: not screen.playing, "play to stop at the end")
        assert screen.position == screen.timeline.last


class WatchingApp(ReplayApp):
    """Records the pane actions that get past the screen (there must be none)."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.escaped: list[ContextBudgetPane.ItemAction] = []

    def on_context_budget_pane_item_action(self, message: ContextBudgetPane.ItemAction) -> None:
        self.escaped.append(message)


async def test_the_panes_are_read_only(synthetic_db):
    app = WatchingApp(synthetic_db, SYNTHETIC_ID, format_time=utc)
    async with app.run_test(size=SIZE) as pilot:
        screen = await opened(pilot, app)
        await pilot.press("tab", "c")
        assert app.focused is None  # nothing in the side column takes the keys: "c" is the replay's
        budget = screen.query_one(ContextBudgetPane)
        budget.action_compact()  # even if the pane asks, the screen swallows it
        budget.action_drop()
        await pilot.pause()
        assert app.escaped == [] and isinstance(app.screen, ReplayScreen)


async def test_escape_leaves_the_replay_app(synthetic_db):
    app = ReplayApp(synthetic_db, SYNTHETIC_ID, format_time=utc)
    async with app.run_test(size=SIZE) as pilot:
        await opened(pilot, app)
        await pilot.press("escape")
        await pilot.pause()
    assert app.return_code == 0


async def test_an_imported_session_replays_on_screen(db):
    result = import_path(db, CODEX)
    app = ReplayApp(db, result.session_id, format_time=utc)
    async with app.run_test(size=SIZE) as pilot:
        screen = await opened(pilot, app)
        assert "codex-cli" in text(screen.query_one("#replay-title", Static))
        await pilot.press("e")
        await pilot.pause(0.05)
        assert screen.position == screen.timeline.marks["error"][0]
        current = screen.query_one(ReplayTranscript).highlighted
        assert current is not None and current.status == "tool_error"
        assert screen.query_one(ContextBudgetPane).state.empty  # no budget events in an import


async def test_a_session_without_events_says_so(db):
    db["sessions"].insert({"id": "empty-one", "started_at": "2026-01-01T00:00:00+00:00"})
    app = ReplayApp(db, "empty-one", format_time=utc)
    async with app.run_test(size=SIZE) as pilot:
        screen = await opened(pilot, app)
        assert "no recorded events" in text(screen.query_one("#replay-loading", Static))
        await pilot.press("right", "space", "e")
        assert screen.position == 0 and not screen.playing


# --- cockpit replay ID ----------------------------------------------------------------------


def run_command(argv: list[str]) -> int:
    from app.commands import replay

    parser = argparse.ArgumentParser()
    replay.register(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["replay", *argv])
    return args.func(args)


def test_the_command_refuses_an_unknown_id(tmp_path, capsys):
    from storage.db import open_db

    open_db(tmp_path / "c.db").close()
    assert run_command(["nope", "--db", str(tmp_path / "c.db")]) == 2
    assert "no session matches 'nope'" in capsys.readouterr().err


def test_the_command_opens_the_replay_of_a_prefix_or_latest(tmp_path, monkeypatch):
    from storage.db import open_db

    db = open_db(tmp_path / "c.db")
    store_synthetic(db, events=60)
    db.close()
    opened_ids = []

    def fake_run(self):
        opened_ids.append(self.session_id)

    monkeypatch.setattr(ReplayApp, "run", fake_run)
    assert run_command([SYNTHETIC_ID[:6], "--db", str(tmp_path / "c.db")]) == 0
    assert run_command(["latest", "--db", str(tmp_path / "c.db")]) == 0
    assert opened_ids == [SYNTHETIC_ID, SYNTHETIC_ID]


async def test_a_database_error_is_shown_not_raised():
    import sqlite3

    class Locked:
        def execute(self, *args, **kwargs):
            raise sqlite3.OperationalError("database is locked")

    app = ReplayApp(Locked(), "some-session", format_time=utc)
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: isinstance(app.screen, ReplayScreen) and app.screen.error, "the error")
        screen = app.screen
        assert "database is locked" in text(screen.query_one("#replay-loading", Static))
        await pilot.press("right", "space")
        assert screen.position == 0 and not screen.playing
