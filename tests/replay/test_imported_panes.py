"""Imported sessions have no Cockpit measurements: the panes still show what the source recorded."""

from __future__ import annotations

import pytest

from app.replay.timeline import Timeline
from storage.importers import import_path
from storage.queries import load_events
from tests.support.session_files import CLAUDE_SHORT, CODEX, GEMINI


def test_imported_codex_session_shows_provider_tokens_and_tool_failures(db):
    result = import_path(db, CODEX)
    timeline = Timeline.from_stored(load_events(db, result.session_id))
    end = timeline.panes_at(timeline.last)
    # Seven model calls, the last one's prompt as Codex recorded it; two shell commands failed (exit 1).
    assert end.budget.provider_prompt_tokens and end.budget.per_turn
    assert end.budget.measured is None
    assert sum(end.retries_state.tool_failures.values()) == 2


@pytest.mark.parametrize("path", [GEMINI, CLAUDE_SHORT, CODEX], ids=["gemini", "claude", "codex"])
def test_imported_sessions_count_their_calls_as_first_tries_and_their_turns_as_tasks(db, path):
    result = import_path(db, path)
    events = load_events(db, result.session_id)
    calls = sum(e["type"] == "model_call_finished" for e in events)
    turns = {e["turn"] for e in events if e["type"] == "turn_finished"}
    timeline = Timeline.from_stored(events)
    end = timeline.panes_at(timeline.last)
    assert calls and turns
    assert end.retries_state.first_tries + end.retries_state.retries == calls == result.model_calls
    assert sorted(t.turn for t in end.feedback_state.tasks.values()) == sorted(turns)
    assert not any(t.shown for t in end.feedback_state.tasks.values())  # nothing was asked


async def test_the_bar_of_an_imported_session_says_why_there_is_none(db):
    from textual.app import App

    from widgets.context_budget import NO_BAR_IMPORTED, BudgetBar

    result = import_path(db, GEMINI)
    timeline = Timeline.from_stored(load_events(db, result.session_id))
    bar = BudgetBar()

    class One(App[None]):
        def compose(self):
            yield bar

    async with One().run_test(size=(160, 10)):
        bar.state = timeline.panes_at(timeline.last).budget
        text = str(bar.render())
    assert NO_BAR_IMPORTED in text and "no measurement yet" not in text
