"""The event store: projections, reconstruction from events, secrets, crashes."""

from __future__ import annotations

import json

import pytest

from storage.db import open_db
from storage.queries import conversation, list_sessions, load_events, resolve_session_id, session_summary, SessionNotFound
from storage.redact import Redactor
from storage.prepared import prepare, without_payloads
from storage.store import EventStore, mark_abandoned_sessions
from tests.core.helpers import make_session
from tests.support.store import store_events


PROJECTED = {
    "model_calls": "select id, turn, step, attempt, model, prompt_tokens, completion_tokens, status, text, tool_call_count from model_calls order by id",
    "tool_calls": "select tool_call_id, name, arguments, status, result, output_hash, exit_code from tool_calls order by tool_call_id",
    "messages": "select generation, idx, role, content, tool_calls, tool_call_id from messages order by generation, idx",
    "sessions": "select id, title, workspace, model, status, started_at, ended_at from sessions",
}


async def run_demo(workspace, tmp_path, write_script):
    big = "x" * 50_000
    (workspace / "big.txt").write_text(big)
    model = write_script(
        [
            {"tool_calls": [{"name": "bash", "arguments": {"command": "cat big.txt"}}]},
            {"tool_calls": [{"name": "write_file", "arguments": {"path": "a.txt", "content": "A"}}]},
            {"text": "done"},
        ]
    )
    session, events, db = make_session(model, workspace, tmp_path / "c.db")
    session.start()
    await session.run_task("demo task")
    session.finish()
    return session, db


async def test_every_session_can_be_rebuilt_from_its_events(workspace, tmp_path, write_script):
    session, db = await run_demo(workspace, tmp_path, write_script)
    rebuilt = open_db(tmp_path / "rebuilt.db")
    rebuilt.conn.executemany("insert into blobs select * from (select ?, ?, ?)", db.execute("select hash, size, content from blobs").fetchall())
    store_events(rebuilt, load_events(db, session.id))
    for table, sql in PROJECTED.items():
        assert list(rebuilt.execute(sql)) == list(db.execute(sql)), table
    assert conversation(rebuilt, session.id) == session.agent.messages


async def test_large_tool_output_is_capped_for_the_model_and_kept_whole(workspace, tmp_path, write_script):
    session, db = await run_demo(workspace, tmp_path, write_script)
    row = db.execute("select result, truncated, output_hash from tool_calls where name = 'bash'").fetchone()
    assert row[1] == 1 and len(row[0]) < 50_000
    full = db.execute("select content from blobs where hash = ?", [row[2]]).fetchone()[0]
    assert full.count("x") == 50_000
    payloads = [json.loads(r[0]) for r in db.execute("select payload from events where type = 'tool_call_finished'")]
    assert all("full_output" not in p for p in payloads)


async def test_summary_list_and_lookup(workspace, tmp_path, write_script):
    session, db = await run_demo(workspace, tmp_path, write_script)
    summary = session_summary(db, session.id)
    assert summary["status"] == "completed" and summary["model_calls"] == 3
    assert summary["tool_calls"] == 2 and summary["tool_calls_ok"] == 2
    assert summary["title"] == "demo task"
    assert resolve_session_id(db, session.id[:6]) == session.id
    assert resolve_session_id(db, "latest") == session.id
    with pytest.raises(SessionNotFound):
        resolve_session_id(db, "zzzz")
    assert [r["id"] for r in list_sessions(db, search="big.txt")] == [session.id]
    assert list_sessions(db, search="no such words anywhere") == []


def test_secrets_never_reach_the_database(tmp_path):
    db = open_db(tmp_path / "c.db")
    store = EventStore(db, redactor=Redactor.from_environment({"MY_API_KEY": "sk-very-secret-123", "HOME": "/root"}))
    store.append({"type": "session_started", "session_id": "s1", "seq": 1, "ts": 1.0, "settings": {"api_key": "abc123456", "max_tokens": 5}})
    store.append(
        {"type": "tool_call_finished", "session_id": "s1", "seq": 2, "ts": 2.0, "tool_call_id": "t1", "name": "bash",
         "result": "token is sk-very-secret-123 ok", "status": "ok"}
    )
    dump = "\n".join(db.conn.iterdump())
    assert "sk-very-secret-123" not in dump and "abc123456" not in dump
    assert "[redacted:MY_API_KEY]" in dump
    assert json.loads(db.execute("select payload from events where seq = 1").fetchone()[0])["settings"]["max_tokens"] == 5


def test_sessions_left_running_by_a_dead_process_are_marked_interrupted(db):
    store_events(db, [{"type": "session_started", "session_id": "dead", "seq": 1, "ts": 1.0},
                      {"type": "session_started", "session_id": "alive", "seq": 1, "ts": 1.0}])
    db.conn.execute("update sessions set pid = 2147483000 where id = 'dead'")  # no such process
    assert mark_abandoned_sessions(db) == ["dead"]
    statuses = dict(db.execute("select id, status from sessions").fetchall())
    assert statuses == {"dead": "interrupted", "alive": "running"}


def test_an_event_sent_without_its_payload_keeps_its_row():
    events = [
        {"type": "session_started", "session_id": "s", "seq": 1, "ts": 1.0, "model": "m"},
        {"type": "message_appended", "session_id": "s", "seq": 2, "ts": 2.0, "index": 0, "turn": 1,
         "message": {"role": "user", "content": "hé \ud800"}},
        {"type": "tool_call_finished", "session_id": "s", "seq": 3, "ts": 3.0, "tool_call_id": "t1", "name": "bash",
         "status": "ok", "result": "out", "full_output": "all of it"},
    ]
    prepared = prepare(events, Redactor({}), kept={e["type"] for e in events})  # every payload kept
    sent = without_payloads(prepared)
    assert [e.payload is None for e in prepared] == [False, False, False]
    assert [e.payload is None for e in sent] == [False, True, True]
    assert sent == prepare(events, Redactor({}))
    assert [e.row for e in sent] == [e.row for e in prepared]
    assert [e[:7] for e in sent] == [e[:7] for e in prepared]
