"""delete_session: nothing of the session is left in any table, the other sessions are untouched."""

from __future__ import annotations

import pytest

from app.agent.events import core as ev
from storage.delete import delete_session, session_tables
from storage.importers import import_path
from storage.queries import SessionNotFound, list_sessions
from storage.search import search_sessions
from tests.support.session_files import CODEX
from tests.support.store import store_events, table_counts

SHARED_OUTPUT = "shared line\n" * 500
OWN_OUTPUT = "only in the doomed session\n" * 500


def tiny_session(db, session_id: str, outputs: list[str]) -> None:
    """A short session whose tool calls carry full outputs (stored as blobs)."""
    events: list[ev.Event] = [
        ev.SessionStarted(workspace="/w", model="m"),
        ev.TurnStarted(turn=1, user_text=f"task of {session_id}"),
        ev.MessageAppended(index=0, message={"role": "user", "content": f"task of {session_id}"}, turn=1),
    ]
    for k, output in enumerate(outputs):
        events.append(ev.ToolCallFinished(tool_call_id=f"{session_id}-t{k}", name="bash", result=output[:40],
                                          full_output=output, truncated=True, turn=1, step=1))
    events += [ev.TurnFinished(turn=1, steps=1), ev.SessionFinished()]
    store_events(db, events, session_id=session_id)


def rows_of(db, session_id: str) -> dict[str, int]:
    counts = {t: db.execute(f"select count(*) from [{t}] where session_id = ?", [session_id]).fetchone()[0]
              for t in session_tables(db)}
    counts["sessions"] = db.execute("select count(*) from sessions where id = ?", [session_id]).fetchone()[0]
    return counts



def test_deleting_a_recorded_session_leaves_no_row_of_it(recorded, recorded_db):
    db = recorded_db
    tiny_session(db, "keep-me", [SHARED_OUTPUT])
    import_path(db, CODEX)
    others = [s["id"] for s in list_sessions(db) if s["id"] != recorded.session_id]
    before_others = {sid: rows_of(db, sid) for sid in others}
    before = rows_of(db, recorded.session_id)
    # The recorded session touches the core and every feature's tables.
    for table in ("events", "messages", "model_calls", "tool_calls", "budget_measurements", "budget_compactions",
                  "resilience_attempts", "resilience_sessions", "feedback_tasks"):
        assert before[table] > 0, table
    assert recorded.session_id in {r["session_id"] for r in search_sessions(db, "files")}  # (the index has no session_id)

    deleted = delete_session(db, recorded.session_id)

    assert rows_of(db, recorded.session_id) == {table: 0 for table in before}
    assert deleted["events"] == before["events"] and deleted["sessions"] == 1
    assert {sid: rows_of(db, sid) for sid in others} == before_others
    assert recorded.session_id not in {r["session_id"] for r in search_sessions(db, "files")}
    assert db.execute("pragma foreign_key_check").fetchall() == []
    assert db.execute("pragma integrity_check").fetchone()[0] == "ok"


def test_blobs_go_only_when_nothing_else_points_to_them(db):
    tiny_session(db, "doomed", [SHARED_OUTPUT, OWN_OUTPUT])
    tiny_session(db, "keeper", [SHARED_OUTPUT])
    assert db.execute("select count(*) from blobs").fetchone()[0] == 2

    deleted = delete_session(db, "doomed")

    contents = [r[0] for r in db.execute("select content from blobs")]
    assert contents == [SHARED_OUTPUT] and deleted["blobs"] == 1
    assert db.execute("select count(*) from tool_calls where session_id = 'keeper'").fetchone()[0] == 1


def test_an_unknown_session_changes_nothing(db):
    tiny_session(db, "only", [OWN_OUTPUT])
    before = table_counts(db)
    with pytest.raises(SessionNotFound):
        delete_session(db, "nope")
    assert table_counts(db) == before


def test_it_is_one_transaction(db, monkeypatch):
    """A failure half-way leaves every row in place."""
    tiny_session(db, "only", [OWN_OUTPUT])
    before = table_counts(db)
    real_execute = db.execute

    def failing(sql, *args, **kwargs):
        if str(sql).startswith("delete from sessions"):
            raise RuntimeError("disk on fire")
        return real_execute(sql, *args, **kwargs)

    monkeypatch.setattr(db, "execute", failing)
    with pytest.raises(RuntimeError):
        delete_session(db, "only")
    monkeypatch.undo()
    assert table_counts(db) == before


def test_a_fresh_memory_database(tmp_path):
    """Against a bare sqlite_utils database after the migrations (the storage convention)."""
    import sqlite_utils

    from storage.migrations import migrate

    db = sqlite_utils.Database(memory=True)
    migrate(db)
    tiny_session(db, "a", [OWN_OUTPUT])
    tiny_session(db, "b", [SHARED_OUTPUT])
    delete_session(db, "a")
    assert [r[0] for r in db.execute("select id from sessions")] == ["b"]
    assert rows_of(db, "a") == {table: 0 for table in rows_of(db, "a")}
