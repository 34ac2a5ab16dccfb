"""The contract version on every stored event (events.contract_version) and in every JSON/JSONL export."""

from __future__ import annotations

import json

from app.agent.events import core as ev
from app.agent.events.subagents import CONTRACT_VERSION
from storage.db import open_db
from storage.export import export_session
from storage.migrations import MIGRATIONS
from storage.store import EventStore
from tests.subagents.support import converse, delegate, run_delegating
from tests.support.openai_server import Reply


def test_events_written_before_the_version_existed_are_version_1(tmp_path):
    path = tmp_path / "old.db"
    old = open_db(path, migrate=False)
    MIGRATIONS.apply(old, stop_before="core_005_contract_version")
    old.execute("insert into sessions (id, source, started_at) values ('s', 'cockpit', '')")
    old.execute("insert into events (session_id, seq, type, ts, payload) values ('s', 1, 'notice', 0, '{}')")
    old.conn.close()
    assert open_db(path).execute("select contract_version from events").fetchall() == [(1,)]


def test_the_store_writes_the_version_of_every_event(db):
    store = EventStore(db)
    store.append_many([ev.SessionStarted(session_id="s", seq=1).to_dict(), ev.Notice(session_id="s", seq=2).to_dict()])
    assert db.execute("select distinct contract_version from events").fetchall() == [(CONTRACT_VERSION,)]


async def test_exports_of_a_parent_and_its_child_carry_the_version(openai_server, workspace, tmp_path):
    converse(openai_server, {"ask": [delegate("Say hi."), Reply(text="ok")], "Say hi.": [Reply(text="hi")]})
    _, session, _, db = await run_delegating(openai_server, workspace, tmp_path / "c.db", "ask the child")
    child = db.execute("select id from sessions where parent_id = ?", [session.id]).fetchone()[0]
    for session_id in (session.id, child):
        data = json.loads(export_session(db, session_id, "json"))
        assert data["contract_version"] == CONTRACT_VERSION
        assert data["events"] and all(e["contract_version"] == CONTRACT_VERSION for e in data["events"])
        lines = [json.loads(line) for line in export_session(db, session_id, "jsonl").splitlines()]
        assert len(lines) == len(data["events"]) and all(e["contract_version"] == CONTRACT_VERSION for e in lines)
    exported = json.loads(export_session(db, session.id, "json"))
    assert {e["type"] for e in exported["events"]} >= {"subagent_status"}
    markdown = export_session(db, session.id, "md")
    assert f"> ✓ task · look into it · completed · child {child[:8]} — 1 call · " in markdown
