"""Imported sessions have no Cockpit measurements: the panes still show what the source recorded."""

from __future__ import annotations

from app.replay.timeline import Timeline
from storage.importers import import_path
from storage.queries import load_events
from tests.support.session_files import CODEX


def test_imported_codex_session_shows_provider_tokens_and_tool_failures(db):
    result = import_path(db, CODEX)
    timeline = Timeline.from_stored(load_events(db, result.session_id))
    end = timeline.panes_at(timeline.last)
    # Seven model calls, the last one's prompt as Codex recorded it; two shell commands failed (exit 1).
    assert end.budget.provider_prompt_tokens and end.budget.per_turn
    assert end.budget.measured is None
    assert sum(end.retries_state.tool_failures.values()) == 2
