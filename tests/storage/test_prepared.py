"""What an import's reading process sends is what the writer would have prepared itself."""

from __future__ import annotations

from storage.prepared import new_prepared, prepare, prepare_to_send, without_payloads
from storage.redact import Redactor

EVENTS = [
    {"type": "session_started", "session_id": "s", "seq": 1, "ts": 1.0, "model": "m"},
    {"type": "turn_started", "session_id": "s", "seq": 2, "ts": 2.0, "turn": 1, "user_text": "hi  there"},
    {"type": "message_appended", "session_id": "s", "seq": 3, "ts": 2.0, "index": 0, "turn": 1,
     "message": {"role": "user", "content": "hé \ud800 sk-secret-value"}},
    {"type": "tool_call_finished", "session_id": "s", "seq": 4, "ts": 3.0, "tool_call_id": "t1", "name": "bash",
     "status": "ok", "result": "out", "full_output": "all of it", "arguments": {"api_key": "x"}},
    {"type": "tool_call_finished", "session_id": "s", "seq": 5, "ts": 4.0, "tool_call_id": "t2", "name": "bash",
     "status": "ok", "result": "out", "full_output": None, "duration_ms": float("nan")},
    {"type": "turn_finished", "session_id": "s", "seq": 6, "ts": "5", "turn": 1, "answer": "done"},
]


def test_the_events_sent_are_the_prepared_ones_without_the_payloads_the_writer_does_not_read():
    redactor = Redactor({"MY_TOKEN": "sk-secret-value"})
    sent = prepare_to_send(EVENTS, redactor)
    assert all(type(event) is tuple for event in sent)
    assert list(map(new_prepared, sent)) == without_payloads(prepare(EVENTS, redactor))
    assert "sk-secret-value" not in repr(sent)


def test_a_tool_call_without_full_output_is_stored_as_one_without_the_key():
    redactor = Redactor({})
    without_key = {k: v for k, v in EVENTS[4].items() if k != "full_output"}
    (with_none,), (without,) = prepare([EVENTS[4]], redactor), prepare([without_key], redactor)
    assert with_none == without
    assert "full_output" not in with_none.text and with_none.blob is None


def test_a_batch_keeps_only_the_payloads_the_writer_reads_and_is_written_the_same(tmp_path):
    """prepare() drops the payloads of the types no projection reads the row of; what is stored is the same as
    with every payload kept, row for row in every table."""
    from app.agent.events import core as ev
    from app.replay.synthetic import generate_session
    from storage.db import open_db
    from storage.projection_params import ROW_KINDS
    from storage.prepared import payload_kinds
    from storage.store import EventStore

    db = open_db(tmp_path / "kinds.db")
    store = EventStore(db)
    assert set(store._projections) == ROW_KINDS  # (the store's row projections are the ones named there)
    assert ROW_KINDS <= payload_kinds() and set(store._features) <= payload_kinds()
    events = [e.to_dict() for e in generate_session("s", events=600)]
    events.append(ev.Notice(session_id="s", seq=len(events) + 1, message="note").to_dict())
    batch = prepare(events, Redactor({}))
    every = prepare(events, Redactor({}), kept={e["type"] for e in events})
    assert [e[:7] for e in batch] == [e[:7] for e in every]
    assert all(e.payload is not None for e in every)
    assert {e.type for e in batch if e.payload is not None} == {e.type for e in batch} & payload_kinds()
    assert any(e.payload is None for e in batch)
    other = EventStore(open_db(tmp_path / "every.db"))
    store.append_prepared(batch)
    other.append_prepared(every)
    tables = [name for (name,) in db.execute("select name from sqlite_master where type = 'table' "
                                              "and name not like 'search_fts%' and name not like '%sqlite%'")]
    assert "events" in tables and "tool_calls" in tables
    for table in tables:
        assert db.execute(f"select * from {table}").fetchall() == other.db.execute(f"select * from {table}").fetchall(), table
