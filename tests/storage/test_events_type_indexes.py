"""Events are indexed by type only for the types read by type alone (core_007_events_type_partial)."""

from __future__ import annotations

from app.agent.events import core as ev
from storage.db import open_db
from storage.migrations import INDEXED_EVENT_TYPES, MIGRATIONS
from storage.queries import SUMMARY_SQL, last_turn
from storage.store import EventStore


def _indexes(db) -> dict[str, str]:
    return dict(db.execute("select name, sql from sqlite_master where type = 'index' and tbl_name = 'events' "
                           "and sql is not null").fetchall())


def _plan(db, sql: str, params: list[object]) -> str:
    return " | ".join(row[3] for row in db.execute("explain query plan " + sql, params))


def _session(store: EventStore, session_id: str, turns: int) -> None:
    events = [ev.SessionStarted(session_id=session_id, seq=1).to_dict()]
    for turn in range(1, turns + 1):
        events.append(ev.TurnStarted(session_id=session_id, seq=len(events) + 1, turn=turn, user_text="go").to_dict())
        events.append(ev.Notice(session_id=session_id, seq=len(events) + 1, message="x").to_dict())
    store.append_many(events)


def test_a_new_database_has_a_partial_index_for_each_type_read_by_type_and_none_of_all_types(tmp_path):
    db = open_db(tmp_path / "c.db")
    indexes = _indexes(db)
    assert "events_type" not in indexes
    for kind in INDEXED_EVENT_TYPES:
        assert f"where type = '{kind}'" in indexes[f"events_{kind}"]


def test_the_reads_by_type_use_them_and_count_what_they_did_before(tmp_path):
    db = open_db(tmp_path / "c.db")
    store = EventStore(db)
    _session(store, "a", 3)
    _session(store, "b", 5)
    assert last_turn(db, "a") == 3 and last_turn(db, "b") == 5
    assert dict(db.execute("select session_id, turns from session_summary").fetchall()) == {"a": 3, "b": 5}
    assert "events_turn_started" in _plan(db, "select turns from session_summary", [])
    summary = _plan(db, SUMMARY_SQL + " where s.id = ?", ["a"])
    assert "events_resilience_retry_tax" in summary
    assert "events_turn_started" in _plan(
        db, "select max(json_extract(payload, '$.turn')) from events where session_id = ? and type = 'turn_started'", ["a"])


def test_a_database_from_before_loses_the_index_of_all_types_and_keeps_its_events(tmp_path):
    path = tmp_path / "old.db"
    old = open_db(path, migrate=False)
    MIGRATIONS.apply(old, stop_before="core_007_events_type_partial")
    assert "events_type" in _indexes(old)
    _session(EventStore(old), "a", 4)
    old.conn.close()
    db = open_db(path)
    assert "events_type" not in _indexes(db)
    assert set(INDEXED_EVENT_TYPES) <= {name.removeprefix("events_") for name in _indexes(db)}
    assert db.execute("select count(*) from events").fetchone()[0] == 9
    assert last_turn(db, "a") == 4
    assert db.execute("pragma integrity_check").fetchone()[0] == "ok"
