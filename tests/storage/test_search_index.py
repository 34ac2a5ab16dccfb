"""The contentless full-text index holds exactly what the tables say, whatever order the store writes in.

FTS5 forgets an entry of a contentless table only when told its exact text, and a wrong text corrupts the
index silently (its own integrity check does not see it): each test compares every (term, row, position) of
``search_fts`` with an index built afresh from ``messages`` and ``tool_calls``.
"""

from __future__ import annotations

import sqlite_utils
from hypothesis import HealthCheck, given, settings, strategies as st

from storage import search
from storage.db import open_db
from storage.delete import delete_session
from storage.migrations import core_steps
from storage.store import EventStore
from tests.support.store import store_events

# What is indexed, said independently of storage.search: prompts and answers, and each tool call's text.
REFERENCE_ROWS = """
select id * 2, content from messages where role in ('user', 'assistant') and coalesce(content, '') != ''
union all
select rowid * 2 + 1, name || ' ' || coalesce(arguments_raw, '') || ' ' || coalesce(result, '') || ' ' || coalesce(error, '')
from tool_calls"""


def index_entries(db: sqlite_utils.Database, table: str) -> list[tuple[str, int, int]]:
    db.execute(f"drop table if exists temp.vocab_{table}")
    db.execute(f"create virtual table temp.vocab_{table} using fts5vocab(main, {table}, instance)")
    rows = db.execute(f"select term, doc, offset from temp.vocab_{table} order by term, doc, offset").fetchall()
    db.execute(f"drop table temp.vocab_{table}")
    return rows


def assert_index_matches_tables(db: sqlite_utils.Database) -> None:
    db.execute("drop table if exists reference_fts")
    db.execute("create virtual table reference_fts using fts5(text, tokenize = 'porter unicode61 remove_diacritics 2')")
    db.execute(f"insert into reference_fts (rowid, text) {REFERENCE_ROWS}")
    expected = index_entries(db, "reference_fts")
    db.execute("drop table reference_fts")
    assert index_entries(db, "search_fts") == expected


def events(session_id: str, start_seq: int, *items: dict) -> list[dict]:
    return [{"session_id": session_id, "seq": seq, "ts": 1_700_000_000.0 + seq, **item}
            for seq, item in enumerate(items, start_seq)]


def started(session_id: str) -> list[dict]:
    return events(session_id, 1, {"type": "session_started", "title": "", "model": "m"})


def requested(call_id: str, arguments: object = '{"command": "ls"}') -> dict:
    return {"type": "tool_call_requested", "tool_call_id": call_id, "name": "bash", "arguments_raw": arguments,
            "turn": 1, "step": 1}


def finished(call_id: str, result: object = "walrus output", error: str | None = None) -> dict:
    return {"type": "tool_call_finished", "tool_call_id": call_id, "name": "bash", "status": "ok", "result": result,
            "error": error, "turn": 1, "step": 1}


def message(role: str, content: str | None, index: int = 0) -> dict:
    return {"type": "message_appended", "index": index, "turn": 1, "message": {"role": role, "content": content}}


def sessions_found(db, query: str) -> list[str]:
    return [row["session_id"] for row in search.search_sessions(db, query)]


def test_a_call_finished_in_a_later_batch_is_indexed_with_its_result_only_once(db):
    store = EventStore(db)
    store.append_many(started("s1") + events("s1", 2, requested("t1"), message("user", "find the walrus")))
    store.append_many(events("s1", 4, finished("t1", "a narwhal here", "exit 1")))
    assert_index_matches_tables(db)
    assert sessions_found(db, "narwhal") == ["s1"]
    assert db.execute("select count(*) from search_fts where rowid % 2 = 1").fetchone() == (1,)


def test_a_call_id_used_again_replaces_its_entry_in_one_batch_and_across_batches(db):
    store = EventStore(db)
    store.append_many(started("s1") + events("s1", 2, requested("t1", '{"a": "penguin"}'), finished("t1"),
                                             requested("t1", '{"a": "puffin"}')))
    assert_index_matches_tables(db)
    assert sessions_found(db, "penguin") == [] and sessions_found(db, "puffin") == ["s1"]
    store.append_many(events("s1", 5, requested("t1", '{"a": "gannet"}'), finished("t1", "kittiwake")))
    assert_index_matches_tables(db)
    assert sessions_found(db, "puffin") == [] and sessions_found(db, "kittiwake gannet") == ["s1"]
    assert db.execute("select count(*) from tool_calls").fetchone() == (1,)


def test_values_sqlite_stores_as_text_are_indexed_as_sqlite_writes_them(db):
    store = EventStore(db)
    store.append_many(started("s1") + events("s1", 2, requested("t1", 12345), finished("t1", 1.5e20),
                                             requested("t2", 7.25)))
    store.append_many(events("s1", 5, finished("t2", 99)))
    assert_index_matches_tables(db)
    assert sessions_found(db, "12345") == ["s1"]


def test_a_result_without_its_request_and_a_compaction_are_indexed(db):
    store = EventStore(db)
    store.append_many(started("s1") + events("s1", 2, finished("orphan", "lonely albatross")))
    store.append_many(events("s1", 3, {"type": "messages_replaced", "messages": [
        {"role": "system", "content": "system prompt"}, {"role": "user", "content": "summary about a cormorant"}]}))
    assert_index_matches_tables(db)
    assert sessions_found(db, "albatross") == ["s1"] and sessions_found(db, "cormorant") == ["s1"]
    assert sessions_found(db, "system") == []


def test_deleting_a_session_takes_exactly_its_entries_out(db):
    store = EventStore(db)
    for sid in ("s1", "s2"):
        store.append_many(started(sid) + events(sid, 2, message("user", f"shared heron {sid}"), requested("t1"),
                                                finished("t1", "shared egret")))
    delete_session(db, "s1")
    assert_index_matches_tables(db)
    assert sessions_found(db, "heron") == ["s2"] and sessions_found(db, "egret") == ["s2"]


def test_a_database_without_the_search_steps_is_written_without_an_index():
    plain = sqlite_utils.Database(memory=True)
    for step in core_steps():
        step(plain)
    store_events(plain, [{"type": "session_started", "title": "", "model": "m"}, requested("t1"), finished("t1"),
                         requested("t1"), finished("t1")], session_id="s1")
    assert "search_fts" not in plain.table_names()
    assert plain.execute("select result from tool_calls").fetchone() == ("walrus output",)


# Live writes in any order and batching: requests, results, reused ids, messages, deleted sessions.
_WORDS = st.sampled_from(["alpha", "beta", "gamma", "delta", "running", "runs", "ünïcode", "x_y", ""])
_TEXT = st.lists(_WORDS, max_size=4).map(" ".join)
_ITEM = st.one_of(
    st.builds(requested, st.sampled_from(["t1", "t2", "t3"]), st.one_of(_TEXT, st.none(), st.integers(0, 9))),
    st.builds(finished, st.sampled_from(["t1", "t2", "t3", "t4"]), st.one_of(_TEXT, st.none()),
              st.one_of(_TEXT, st.none())),
    st.builds(message, st.sampled_from(["user", "assistant", "tool", "system"]), st.one_of(_TEXT, st.none())),
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(st.sampled_from(["s1", "s2"]), st.lists(_ITEM, min_size=1, max_size=6)), max_size=6),
       st.sampled_from([None, "s1", "s2"]))
def test_any_sequence_of_batches_leaves_the_index_equal_to_the_tables(batches, deleted):
    db = open_db(":memory:")
    store = EventStore(db)
    seq = {"s1": 1, "s2": 1}
    for sid in seq:
        store.append_many(started(sid))
    for sid, items in batches:
        store.append_many(events(sid, seq[sid] + 1, *items))
        seq[sid] += len(items)
    if deleted:
        delete_session(db, deleted)
    assert_index_matches_tables(db)
    db.conn.close()
