"""The Sessions table's Tokens column: a session none of whose calls has token counts (its only call
failed before any usage came back) reads —, as ``cockpit sessions`` and ``cockpit show`` say, never 0."""

from __future__ import annotations

from app.tui.screens.sessions import render_summary
from app.tui.screens.sessions_data import SessionQuery, full_cells, load_sessions, sort_rows
from storage.db import open_db
from storage.queries import session_summary


def _session(db, session_id: str, started: str, usage_source: str, status: str) -> None:
    counted = usage_source != "none"
    db.execute("insert into sessions (id, source, title, model, status, started_at) values (?, 'cockpit', 'hi', "
               "'openai/local', ?, ?)", [session_id, status, started])
    db.execute("insert into model_calls (id, session_id, turn, step, attempt, model, prompt_tokens, completion_tokens, "
               "usage_source, status) values (?, ?, 1, 1, 1, 'openai/local', ?, ?, ?, ?)",
               [f"{session_id}.1", session_id, 900 if counted else 0, 80 if counted else 0, usage_source,
                "ok" if counted else "error"])


def test_a_session_whose_calls_have_no_token_counts_shows_unknown_tokens_and_sorts_first(tmp_path):
    db = open_db(tmp_path / "s.db")
    _session(db, "ai-failed", "2026-12-01T10:00:00+00:00", "none", "failed")
    _session(db, "ai-counted", "2026-12-01T11:00:00+00:00", "provider", "completed")
    db.conn.commit()
    rows = {row["id"]: row for row in load_sessions(db, SessionQuery())}
    assert full_cells(rows["ai-failed"])["tokens"] == "—"
    assert full_cells(rows["ai-counted"])["tokens"] == "980"
    ordered = sort_rows(list(rows.values()), "tokens", reverse=False)
    assert [row["id"] for row in ordered] == ["ai-failed", "ai-counted"]  # unknown below any count
    db.close()


def test_the_summary_panel_says_tokens_unknown_too(tmp_path):
    db = open_db(tmp_path / "s.db")
    _session(db, "ai-failed", "2026-12-01T10:00:00+00:00", "none", "failed")
    _session(db, "ai-counted", "2026-12-01T11:00:00+00:00", "provider", "completed")
    db.conn.commit()
    panel = {sid: {ln.split(maxsplit=1)[0]: ln.split(maxsplit=1)[-1] for ln in render_summary(session_summary(db, sid))
                   .plain.splitlines() if ln.strip()} for sid in ("ai-failed", "ai-counted")}
    assert panel["ai-failed"]["tokens"] == "—"  # as `cockpit show` says, not "0 in / 0 out"
    assert panel["ai-counted"]["tokens"] == "900 in / 80 out / — cached"
    db.close()
