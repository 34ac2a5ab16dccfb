"""Checkpoint storage: the migration, the files projection, deduplicated blobs and the size cap."""

from __future__ import annotations

from app.tui.screens.sessions_data import SessionQuery, load_sessions
from storage.checkpoints import BLOBS, REFS, SqliteBlobs, files_changed, stored_bytes
from storage.db import open_db
from storage.migrations import pending
from storage.redact import Redactor
from storage.store import EventStore


def _session(store: EventStore, session_id: str, *, finished: bool, files: list[str] = ()) -> None:
    events = [{"type": "session_started", "session_id": session_id, "seq": 1, "ts": 1.0, "title": session_id}]
    if files:
        events.append({"type": "checkpoint_recorded", "session_id": session_id, "seq": 2, "ts": 2.0, "turn": 1,
                       "checkpoint_id": "c1", "files": [{"path": p, "before": None, "after": "ab"} for p in files]})
    if finished:
        events.append({"type": "session_finished", "session_id": session_id, "seq": 3, "ts": 3.0, "status": "completed"})
    store.append_many(events)


def test_the_migration_adds_the_tables_to_an_existing_database(tmp_path):
    path = tmp_path / "c.db"
    db = open_db(path)
    for table in ("checkpoint_files", REFS, BLOBS):
        db.execute(f"drop table {table}")
    db.execute("delete from _sqlite_migrations where name = 'checkpoints_001_tables'")
    assert pending(db) == ["checkpoints_001_tables"]
    db.close()
    again = open_db(path)
    assert {BLOBS, REFS, "checkpoint_files"} <= set(again.table_names()) and pending(again) == []


def test_files_changed_per_session_reaches_the_sessions_screen_data(db):
    store = EventStore(db)
    _session(store, "s1", finished=True, files=["a.py", "b.py"])
    _session(store, "s2", finished=True)
    assert files_changed(db, ["s1", "s2"]) == {"s1": 2}
    rows = {r["id"]: r for r in load_sessions(db, SessionQuery())}
    assert rows["s1"]["files_changed"] == 2 and rows["s2"]["files_changed"] is None  # unknown, not 0


def test_blobs_are_deduplicated_and_the_cap_prunes_finished_sessions_oldest_first(db):
    store = EventStore(db)
    for sid, finished in (("old", True), ("newer", True), ("live", False)):
        _session(store, sid, finished=finished)
    db.execute("update sessions set ended_at = '2026-01-01' where id = 'old'")
    db.execute("update sessions set ended_at = '2026-06-01' where id = 'newer'")
    kib = b"x" * 1024
    assert SqliteBlobs(db, "old").put("a" * 64, kib) and SqliteBlobs(db, "newer").put("a" * 64, kib)
    assert stored_bytes(db) == 1024  # one content, kept by two sessions
    SqliteBlobs(db, "old").put("b" * 64, b"y" * 1024)
    SqliteBlobs(db, "newer").put("c" * 64, b"z" * 1024)
    live = SqliteBlobs(db, "live", max_bytes=3072)
    assert live.put("d" * 64, b"w" * 1024)  # over the cap: the old session's own blob goes first
    kept = {row[0][0] for row in db.execute(f"select sha from {BLOBS}").fetchall()}
    assert kept == {"a", "c", "d"} and stored_bytes(db) == 3072
    assert live.get("d" * 64) == b"w" * 1024 and live.get("b" * 64) is None


def test_a_content_holding_a_secret_is_never_stored(db):
    blobs = SqliteBlobs(db, "s", redactor=Redactor({"API_TOKEN": "sk-very-secret-123"}))
    assert not blobs.put("e" * 64, b"TOKEN=sk-very-secret-123\n")
    assert stored_bytes(db) == 0
