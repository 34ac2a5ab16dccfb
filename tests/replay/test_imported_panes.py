"""Imported sessions have no Cockpit measurements: the panes still show what the source recorded."""

from __future__ import annotations

from pathlib import Path

from app.replay.timeline import Timeline
from storage.db import open_db
from storage.importers import import_path
from storage.queries import load_events

DATA = Path(__file__).resolve().parents[1] / "data" / "sessions"


def test_imported_codex_session_shows_provider_tokens_and_tool_failures(tmp_path):
    db = open_db(tmp_path / "c.db")
    source = next((DATA / "codex-cli").glob("*.jsonl"))
    result = import_path(db, source)
    timeline = Timeline.from_stored(load_events(db, result.session_id))
    end = timeline.panes_at(timeline.last)
    # Seven model calls, the last one's prompt as Codex recorded it; two shell commands failed (exit 1).
    assert end.budget.provider_prompt_tokens and end.budget.per_turn
    assert end.budget.measured is None
    assert sum(end.retries_state.tool_failures.values()) == 2
