"""Imported events are ordinary Cockpit events: they decode, and the panes' reducers fold them."""

from __future__ import annotations

import pytest

from app.agent.events.budget_view import BudgetState
from app.agent.events.core import ModelCallFinished, ToolCallFinished, UnknownEvent, event_from_dict
from app.agent.events.feedback_view import FeedbackReducer
from app.agent.events.retries_view import RetriesReducer
from storage.importers import import_path
from storage.queries import load_events
from tests.support.session_files import CLAUDE_MAIN, CLAUDE_SHORT, CODEX, MINI


@pytest.mark.parametrize("path", [CLAUDE_SHORT, CLAUDE_MAIN, CODEX, MINI], ids=["claude", "claude-main", "codex", "mini"])
def test_imported_events_decode_and_fold(db, path):
    result = import_path(db, path)
    stored = load_events(db, result.session_id)
    events = [event_from_dict(e) for e in stored]
    assert not [e for e in events if isinstance(e, UnknownEvent)]
    assert [e.seq for e in events] == list(range(1, len(events) + 1))
    assert sum(isinstance(e, ModelCallFinished) for e in events) == result.model_calls
    assert sum(isinstance(e, ToolCallFinished) for e in events) == result.tool_calls
    # Round trip: what replay rebuilds is what was stored.
    for original, event in zip(stored, events):
        assert {k: v for k, v in event.to_dict().items() if k in original} == {
            k: v for k, v in original.items() if k in event.to_dict()
        }
    budget, retries, feedback = BudgetState(), RetriesReducer(), FeedbackReducer()
    for event in events:
        budget.apply(event)
        retries.apply(event)
        feedback.apply(event)
    assert budget.model == db["sessions"].get(result.session_id)["model"]
    assert round(retries.state.session_cost_usd, 7) == round(
        db.execute("select coalesce(sum(cost_usd), 0) from model_calls where session_id = ?",  # unpriced: null
                   [result.session_id]).fetchone()[0], 7
    )
